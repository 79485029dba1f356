#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "fastconv/runtime.hpp"

namespace py = pybind11;

void register_runtime(py::module_& m) {
  m.def("set_num_threads", &fastconv::set_num_threads, py::arg("n"));
  m.def("get_num_threads", &fastconv::get_num_threads);
  m.def("resolve_num_threads", &fastconv::resolve_num_threads, py::arg("requested"),
        "The threads a call asking for `requested` (0 = the global setting) runs on.");
  m.def("active_isa", &fastconv::active_isa);
  m.def("available_isas", &fastconv::available_isas);
  m.def("config_string", &fastconv::config_string);
  m.def("denormal_guard", &fastconv::denormal_guard);
  m.def("set_denormal_guard", &fastconv::set_denormal_guard, py::arg("on"));
  m.def("openmp_runtime", &fastconv::openmp_runtime);
  // For bench/: (flops, seconds) of the active ISA's FMA probe.
  m.def(
      "fma_probe",
      [](long iterations, int threads) {
        py::gil_scoped_release nogil;
        return fastconv::measure_fma_peak(iterations, threads);
      },
      py::arg("iterations"), py::arg("threads"));
}
