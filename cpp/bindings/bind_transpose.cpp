#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <vector>

#include "fastconv/transpose.hpp"
#include "numpy_view.hpp"

namespace py = pybind11;
using namespace fastconv;

namespace {

TransposeOptions make_options(std::vector<index_t> axes, std::vector<index_t> stride,
                              std::vector<index_t> padding, std::vector<index_t> output_padding,
                              std::vector<index_t> dilation, int threads) {
  TransposeOptions o;
  o.axes = std::move(axes);
  o.stride = std::move(stride);
  o.padding = std::move(padding);
  o.output_padding = std::move(output_padding);
  o.dilation = std::move(dilation);
  o.threads = threads;
  return o;
}

}  // namespace

void register_transpose(py::module_& m) {
  py::class_<ConvTransposePlan>(m, "ConvTransposePlan",
                                "A planned transposed convolution (fastconv/transpose.hpp).")
      .def_property_readonly(
          "shape", [](const ConvTransposePlan& p) { return bindings::as_tuple(p.out_shape()); });
  m.def(
      "plan_conv_transpose",
      [](std::vector<index_t> in_shape, std::vector<index_t> k_shape, std::vector<index_t> axes,
         std::vector<index_t> stride, std::vector<index_t> padding,
         std::vector<index_t> output_padding, std::vector<index_t> dilation, int threads) {
        return fastconv::plan_conv_transpose(
            in_shape, k_shape,
            make_options(std::move(axes), std::move(stride), std::move(padding),
                         std::move(output_padding), std::move(dilation), threads));
      },
      py::arg("in_shape"), py::arg("kernel_shape"), py::arg("axes"), py::arg("stride"),
      py::arg("padding"), py::arg("output_padding"), py::arg("dilation"), py::arg("threads"));
  m.def(
      "conv_transpose",
      [](const ConvTransposePlan& plan, const py::array& in1, const py::array& in2,
         const py::array& out) {
        const py::dtype dt = in1.dtype();
        if (!in2.dtype().is(dt) || !out.dtype().is(dt))
          throw py::type_error("in1, in2 and out must share one dtype");
        bindings::dispatch_dtype(dt, [&](auto tag) {
          using T = decltype(tag);
          auto x = bindings::view_of<const T>(in1, "in1", false);
          auto k = bindings::view_of<const T>(in2, "in2", false);
          auto y = bindings::view_of<T>(out, "out", true);
          py::gil_scoped_release nogil;  // pure C++ from here on
          fastconv::conv_transpose<T>(plan, std::move(x), std::move(k), std::move(y));
          return 0;
        });
      },
      py::arg("plan"), py::arg("in1"), py::arg("in2"), py::arg("out"),
      "Run a planned transposed convolution into out (see fastconv/transpose.hpp).");
}
