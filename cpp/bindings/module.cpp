#include <pybind11/pybind11.h>

#include "fastconv/version.hpp"

namespace py = pybind11;

void register_convolve(py::module_& m);
void register_runtime(py::module_& m);
void register_transpose(py::module_& m);
void register_pool(py::module_& m);
void register_nn(py::module_& m);

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastconv's C++ core (private; use the fastconv package)";
  m.attr("__version__") = FASTCONV_VERSION_STRING;
  register_runtime(m);
  register_convolve(m);
  register_transpose(m);
  register_pool(m);
  register_nn(m);
}
