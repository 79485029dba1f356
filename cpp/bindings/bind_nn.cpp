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
  m.def(
      "conv_output_shape",
      [](std::vector<index_t> in_shape, std::vector<index_t> weight_shape,
         std::vector<index_t> stride, std::vector<index_t> dilation, std::vector<index_t> padding,
         std::vector<index_t> padding_end, bool same_padding, index_t groups,
         const std::string& padding_mode) {
        return conv_output_shape(
            in_shape, weight_shape,
            make_options(std::move(stride), std::move(dilation), std::move(padding),
                         std::move(padding_end), same_padding, groups, padding_mode, 0));
      },
      py::arg("in_shape"), py::arg("weight_shape"), py::arg("stride"), py::arg("dilation"),
      py::arg("padding"), py::arg("padding_end"), py::arg("same_padding"), py::arg("groups"),
      py::arg("padding_mode"));
  m.def(
      "conv_layer",
      [](const py::array& input, const py::array& weight, const py::object& bias,
         const py::array& out, std::vector<index_t> stride, std::vector<index_t> dilation,
         std::vector<index_t> padding, std::vector<index_t> padding_end, bool same_padding,
         index_t groups, const std::string& padding_mode, int threads) {
        const ConvLayerOptions o =
            make_options(std::move(stride), std::move(dilation), std::move(padding),
                         std::move(padding_end), same_padding, groups, padding_mode, threads);
        run_layer_call(input, weight, bias, out, [&](auto x, auto w, auto b, auto y) {
          using T = std::remove_pointer_t<decltype(y.data)>;
          if (x.ndim() == 3)
            conv1d<T>(std::move(x), std::move(w), std::move(b), std::move(y), o);
          else
            conv2d<T>(std::move(x), std::move(w), std::move(b), std::move(y), o);
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("stride"),
      py::arg("dilation"), py::arg("padding"), py::arg("padding_end"), py::arg("same_padding"),
      py::arg("groups"), py::arg("padding_mode"), py::arg("threads"),
      "A CNN convolution layer into out, see fastconv/nn.hpp.");
  m.def(
      "conv_transpose_output_shape",
      [](std::vector<index_t> in_shape, std::vector<index_t> weight_shape,
         std::vector<index_t> stride, std::vector<index_t> dilation, std::vector<index_t> padding,
         std::vector<index_t> output_padding, index_t groups) {
        return conv_transpose_output_shape(
            in_shape, weight_shape,
            make_transpose_options(std::move(stride), std::move(dilation), std::move(padding),
                                   std::move(output_padding), groups, 0));
      },
      py::arg("in_shape"), py::arg("weight_shape"), py::arg("stride"), py::arg("dilation"),
      py::arg("padding"), py::arg("output_padding"), py::arg("groups"));
  m.def(
      "conv_transpose_layer",
      [](const py::array& input, const py::array& weight, const py::object& bias,
         const py::array& out, std::vector<index_t> stride, std::vector<index_t> dilation,
         std::vector<index_t> padding, std::vector<index_t> output_padding, index_t groups,
         int threads) {
        const ConvTransposeLayerOptions o =
            make_transpose_options(std::move(stride), std::move(dilation), std::move(padding),
                                   std::move(output_padding), groups, threads);
        run_layer_call(input, weight, bias, out, [&](auto x, auto w, auto b, auto y) {
          using T = std::remove_pointer_t<decltype(y.data)>;
          if (x.ndim() == 3)
            conv_transpose1d<T>(std::move(x), std::move(w), std::move(b), std::move(y), o);
          else
            conv_transpose2d<T>(std::move(x), std::move(w), std::move(b), std::move(y), o);
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("stride"),
      py::arg("dilation"), py::arg("padding"), py::arg("output_padding"), py::arg("groups"),
      py::arg("threads"), "A transposed CNN layer into out, see fastconv/nn.hpp.");
}
