#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "fastconv/runtime.hpp"

namespace py = pybind11;

void register_runtime(py::module_& m) {
  m.def("set_num_threads", &fastconv::set_num_threads, py::arg("n"));
  m.def("get_num_threads", &fastconv::get_num_threads);
  m.def("active_isa", &fastconv::active_isa);
  m.def("available_isas", &fastconv::available_isas);
  m.def("config_string", &fastconv::config_string);
}
