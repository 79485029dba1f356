#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <type_traits>
#include <vector>

#include "fastconv/nn.hpp"
#include "numpy_view.hpp"

namespace py = pybind11;
using namespace fastconv;

namespace {

ConvLayerOptions make_options(std::vector<index_t> stride, std::vector<index_t> dilation,
                              std::vector<index_t> padding, std::vector<index_t> padding_end,
                              bool same_padding, index_t groups, const std::string& padding_mode,
                              int threads) {
  ConvLayerOptions o;
  o.stride = std::move(stride);
  o.dilation = std::move(dilation);
  o.padding = std::move(padding);
  o.padding_end = std::move(padding_end);
  o.same_padding = same_padding;
  o.groups = groups;
  o.padding_mode = parse_padding_mode(padding_mode);
  o.threads = threads;
  return o;
}

ConvTransposeLayerOptions make_transpose_options(std::vector<index_t> stride,
                                                 std::vector<index_t> dilation,
                                                 std::vector<index_t> padding,
                                                 std::vector<index_t> output_padding,
                                                 index_t groups, int threads) {
  ConvTransposeLayerOptions o;
  o.stride = std::move(stride);
  o.dilation = std::move(dilation);
  o.padding = std::move(padding);
  o.output_padding = std::move(output_padding);
  o.groups = groups;
  o.threads = threads;
  return o;
}

// Run `layer(x, w, b, y)` on the arrays' element type, the GIL released.
template <class Layer>
void run_layer_call(const py::array& input, const py::array& weight, const py::object& bias,
                    const py::array& out, Layer layer) {
  const py::dtype dt = input.dtype();
  if (!weight.dtype().is(dt) || !out.dtype().is(dt))
    throw py::type_error("input, weight and out must share one dtype");
  py::array b;
  if (!bias.is_none()) {
    b = bias.cast<py::array>();
    if (!b.dtype().is(dt)) throw py::type_error("bias: must have the input's dtype");
  }
  bindings::dispatch_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    auto x = bindings::view_of<const T>(input, "input", false);
    auto w = bindings::view_of<const T>(weight, "weight", false);
    View<const T> bv;  // data == nullptr: no bias
    if (!bias.is_none()) bv = bindings::view_of<const T>(b, "bias", false);
    auto y = bindings::view_of<T>(out, "out", true);
    py::gil_scoped_release nogil;  // pure C++ from here on
    layer(std::move(x), std::move(w), std::move(bv), std::move(y));
  });
}

}  // namespace

void register_nn(py::module_& m) {
  py::class_<ConvLayerPlan>(m, "ConvLayerPlan", "A planned CNN layer (fastconv/nn.hpp).")
      .def_property_readonly(
          "shape", [](const ConvLayerPlan& p) { return bindings::as_tuple(p.out_shape()); });
  py::class_<ConvTransposeLayerPlan>(m, "ConvTransposeLayerPlan",
                                     "A planned transposed CNN layer (fastconv/nn.hpp).")
      .def_property_readonly("shape", [](const ConvTransposeLayerPlan& p) {
        return bindings::as_tuple(p.out_shape());
      });
  m.def(
      "plan_conv_layer",
      [](std::vector<index_t> in_shape, std::vector<index_t> weight_shape,
         std::vector<index_t> stride, std::vector<index_t> dilation, std::vector<index_t> padding,
         std::vector<index_t> padding_end, bool same_padding, index_t groups,
         const std::string& padding_mode, int threads) {
        return plan_conv_layer(
            in_shape, weight_shape,
            make_options(std::move(stride), std::move(dilation), std::move(padding),
                         std::move(padding_end), same_padding, groups, padding_mode, threads));
      },
      py::arg("in_shape"), py::arg("weight_shape"), py::arg("stride"), py::arg("dilation"),
      py::arg("padding"), py::arg("padding_end"), py::arg("same_padding"), py::arg("groups"),
      py::arg("padding_mode"), py::arg("threads"));
  m.def(
      "conv_layer",
      [](const ConvLayerPlan& plan, const py::array& input, const py::array& weight,
         const py::object& bias, const py::array& out) {
        run_layer_call(input, weight, bias, out, [&](auto x, auto w, auto b, auto y) {
          using T = std::remove_pointer_t<decltype(y.data)>;
          fastconv::conv_layer<T>(plan, std::move(x), std::move(w), std::move(b), std::move(y));
        });
      },
      py::arg("plan"), py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"),
      "Run a planned CNN convolution layer into out, see fastconv/nn.hpp.");
  m.def(
      "plan_conv_transpose_layer",
      [](std::vector<index_t> in_shape, std::vector<index_t> weight_shape,
         std::vector<index_t> stride, std::vector<index_t> dilation, std::vector<index_t> padding,
         std::vector<index_t> output_padding, index_t groups, int threads) {
        return plan_conv_transpose_layer(
            in_shape, weight_shape,
            make_transpose_options(std::move(stride), std::move(dilation), std::move(padding),
                                   std::move(output_padding), groups, threads));
      },
      py::arg("in_shape"), py::arg("weight_shape"), py::arg("stride"), py::arg("dilation"),
      py::arg("padding"), py::arg("output_padding"), py::arg("groups"), py::arg("threads"));
  m.def(
      "conv_transpose_layer",
      [](const ConvTransposeLayerPlan& plan, const py::array& input, const py::array& weight,
         const py::object& bias, const py::array& out) {
        run_layer_call(input, weight, bias, out, [&](auto x, auto w, auto b, auto y) {
          using T = std::remove_pointer_t<decltype(y.data)>;
          fastconv::conv_transpose_layer<T>(plan, std::move(x), std::move(w), std::move(b),
                                            std::move(y));
        });
      },
      py::arg("plan"), py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"),
      "Run a planned transposed CNN layer into out, see fastconv/nn.hpp.");
}
