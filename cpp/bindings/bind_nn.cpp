#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "fastconv/nn.hpp"
#include "numpy_view.hpp"

namespace py = pybind11;
using namespace fastconv;

namespace {

// The epilogue that Python describes as (name, params): clamp's (min,
// max), leaky_relu's (negative_slope,), prelu's slopes, none for others.
Epilogue make_epilogue(const std::string& name, const std::vector<double>& params) {
  Epilogue e;
  e.activation = parse_activation(name);
  const size_t wanted = e.activation == Activation::clamp        ? 2
                        : e.activation == Activation::leaky_relu ? 1
                        : e.activation == Activation::prelu      ? params.size()
                                                                 : 0;
  if (params.size() != wanted)
    throw std::invalid_argument("activation: " + name + " takes " + std::to_string(wanted) +
                                " parameters, got " + std::to_string(params.size()));
  if (e.activation == Activation::clamp) {
    e.min = params[0];
    e.max = params[1];
  }
  if (e.activation == Activation::leaky_relu) e.negative_slope = params[0];
  if (e.activation == Activation::prelu) e.slopes = params;
  return e;
}

// An optional array of the input's dtype (None: a view with data == nullptr).
template <class T>
View<const T> optional_view(const py::object& a, const py::dtype& dt, const char* name) {
  if (a.is_none()) return View<const T>();
  auto arr = a.cast<py::array>();
  if (!arr.dtype().is(dt))
    throw py::type_error(std::string(name) + ": must have the input's dtype");
  return bindings::view_of<const T>(arr, name, false);
}

ConvLayerOptions make_options(std::vector<index_t> stride, std::vector<index_t> dilation,
                              std::vector<index_t> padding, std::vector<index_t> padding_end,
                              bool same_padding, index_t groups, const std::string& padding_mode,
                              int threads, const std::string& algorithm = "auto") {
  ConvLayerOptions o;
  o.stride = std::move(stride);
  o.dilation = std::move(dilation);
  o.padding = std::move(padding);
  o.padding_end = std::move(padding_end);
  o.same_padding = same_padding;
  o.groups = groups;
  o.padding_mode = parse_padding_mode(padding_mode);
  o.algorithm = parse_conv_algorithm(algorithm);
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

// Run `layer(x, w, b, y, residual)` on the arrays' element type, the GIL
// released.
template <class Layer>
void run_layer_call(const py::array& input, const py::array& weight, const py::object& bias,
                    const py::array& out, const py::object& residual, Layer layer) {
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
    auto r = optional_view<T>(residual, dt, "residual");
    py::gil_scoped_release nogil;  // pure C++ from here on
    layer(std::move(x), std::move(w), std::move(bv), std::move(y), std::move(r));
  });
}

// A layer object of the weight's element type (ConvLayer<T> or
// ConvTransposeLayer<T>), behind a dtype-free face for Python.
struct BoundLayer {
  py::dtype dtype;
  std::function<std::vector<index_t>(const std::vector<index_t>&)> output_shape;
  std::function<void(const py::array&, const py::array&, int, const py::object&)> run;
  // The result of a batched input of the layer's dtype in a new array, on
  // `threads` threads (0: the global setting); None where the input needs
  // the general path (another dtype, unaligned elements).
  std::function<py::object(const py::array&, int)> forward;
};

template <template <class> class Layer, class Options>
BoundLayer bind_layer(const py::array& weight, const py::object& bias, const Options& options) {
  const py::dtype dt = weight.dtype();
  py::array b;
  if (!bias.is_none()) {
    b = bias.cast<py::array>();
    if (!b.dtype().is(dt)) throw py::type_error("bias: must have the weight's dtype");
  }
  BoundLayer bound{dt, {}, {}, {}};
  bindings::dispatch_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    auto w = bindings::view_of<const T>(weight, "weight", false);
    View<const T> bv;  // data == nullptr: no bias
    if (!bias.is_none()) bv = bindings::view_of<const T>(b, "bias", false);
    auto layer = std::make_shared<const Layer<T>>(std::move(w), std::move(bv), options);
    bound.output_shape = [layer](const std::vector<index_t>& s) { return layer->output_shape(s); };
    bound.run = [layer, dt](const py::array& input, const py::array& out, int threads,
                            const py::object& residual) {
      if (!input.dtype().is(dt) || !out.dtype().is(dt))
        throw py::type_error("input and out must have the layer's dtype");
      auto x = bindings::view_of<const T>(input, "input", false);
      auto y = bindings::view_of<T>(out, "out", true);
      auto r = optional_view<T>(residual, dt, "residual");
      py::gil_scoped_release nogil;  // run is const and thread-safe
      layer->run(std::move(x), std::move(y), threads, std::move(r));
    };
    bound.forward = [layer, dt](const py::array& input, int threads) -> py::object {
      if (!input.dtype().is(dt) || !bindings::viewable<T>(input)) return py::none();
      auto x = bindings::view_of<const T>(input, "input", false);
      const std::vector<index_t> shape = layer->output_shape(x.shape);
      py::array out(dt, std::vector<py::ssize_t>(shape.begin(), shape.end()));
      auto y = bindings::view_of<T>(out, "out", true);
      {
        py::gil_scoped_release nogil;
        layer->run(std::move(x), std::move(y), threads);
      }
      return std::move(out);
    };
  });
  return bound;
}

// Two Python classes, the constructors differing (pybind11 binds a C++
// type once): the face's methods on either.
struct BoundConvLayer : BoundLayer {};
struct BoundConvTransposeLayer : BoundLayer {};

template <class Bound>
py::class_<Bound> layer_class(py::module_& m, const char* name, const char* doc) {
  return py::class_<Bound>(m, name, doc)
      .def_property_readonly("dtype", [](const Bound& l) { return l.dtype; })
      .def(
          "output_shape",
          [](const Bound& l, const std::vector<index_t>& in_shape) {
            return bindings::as_tuple(l.output_shape(in_shape));
          },
          py::arg("in_shape"))
      .def(
          "run",
          [](const Bound& l, const py::array& input, const py::array& out, int threads,
             const py::object& residual) { l.run(input, out, threads, residual); },
          py::arg("input"), py::arg("out"), py::arg("threads"), py::arg("residual") = py::none(),
          "Run the layer on input (its dtype) into out, adding residual (None: none) before "
          "the activation; the GIL released.")
      .def(
          "forward",
          [](const Bound& l, const py::array& input, int threads) {
            return l.forward(input, threads);
          },
          py::arg("input"), py::arg("threads") = 0,
          "The result of a batched input of the layer's dtype in a new array, on `threads` "
          "threads (0: the global setting; None: another dtype or unaligned elements, for the "
          "general path).");
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
         const std::string& padding_mode, const std::string& algorithm) {
        return plan_conv_layer(
            in_shape, weight_shape,
            make_options(std::move(stride), std::move(dilation), std::move(padding),
                         std::move(padding_end), same_padding, groups, padding_mode, 0, algorithm));
      },
      py::arg("in_shape"), py::arg("weight_shape"), py::arg("stride"), py::arg("dilation"),
      py::arg("padding"), py::arg("padding_end"), py::arg("same_padding"), py::arg("groups"),
      py::arg("padding_mode"), py::arg("algorithm") = "auto");
  m.def(
      "conv_layer",
      [](const ConvLayerPlan& plan, const py::array& input, const py::array& weight,
         const py::object& bias, const py::array& out, int threads, const std::string& activation,
         const std::vector<double>& params, const py::object& residual) {
        const Epilogue e = make_epilogue(activation, params);
        run_layer_call(input, weight, bias, out, residual,
                       [&](auto x, auto w, auto b, auto y, auto r) {
                         using T = std::remove_pointer_t<decltype(y.data)>;
                         fastconv::conv_layer<T>(plan, std::move(x), std::move(w), std::move(b),
                                                 std::move(y), threads, e, std::move(r));
                       });
      },
      py::arg("plan"), py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"),
      py::arg("threads"), py::arg("activation") = "none", py::arg("params") = std::vector<double>(),
      py::arg("residual") = py::none(),
      "Run a planned CNN convolution layer into out, see fastconv/nn.hpp.");
  m.def(
      "plan_conv_transpose_layer",
      [](std::vector<index_t> in_shape, std::vector<index_t> weight_shape,
         std::vector<index_t> stride, std::vector<index_t> dilation, std::vector<index_t> padding,
         std::vector<index_t> output_padding, index_t groups) {
        return plan_conv_transpose_layer(
            in_shape, weight_shape,
            make_transpose_options(std::move(stride), std::move(dilation), std::move(padding),
                                   std::move(output_padding), groups, 0));
      },
      py::arg("in_shape"), py::arg("weight_shape"), py::arg("stride"), py::arg("dilation"),
      py::arg("padding"), py::arg("output_padding"), py::arg("groups"));
  m.def(
      "conv_transpose_layer",
      [](const ConvTransposeLayerPlan& plan, const py::array& input, const py::array& weight,
         const py::object& bias, const py::array& out, int threads, const std::string& activation,
         const std::vector<double>& params, const py::object& residual) {
        const Epilogue e = make_epilogue(activation, params);
        run_layer_call(
            input, weight, bias, out, residual, [&](auto x, auto w, auto b, auto y, auto r) {
              using T = std::remove_pointer_t<decltype(y.data)>;
              fastconv::conv_transpose_layer<T>(plan, std::move(x), std::move(w), std::move(b),
                                                std::move(y), threads, e, std::move(r));
            });
      },
      py::arg("plan"), py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"),
      py::arg("threads"), py::arg("activation") = "none", py::arg("params") = std::vector<double>(),
      py::arg("residual") = py::none(),
      "Run a planned transposed CNN layer into out, see fastconv/nn.hpp.");

  m.def(
      "conv3d_output_shape",
      [](std::vector<index_t> in_shape, std::vector<index_t> weight_shape,
         std::vector<index_t> stride, std::vector<index_t> dilation, std::vector<index_t> padding,
         bool same_padding, index_t groups, const std::string& padding_mode) {
        return bindings::as_tuple(conv3d_output_shape(
            in_shape, weight_shape,
            make_options(std::move(stride), std::move(dilation), std::move(padding), {},
                         same_padding, groups, padding_mode, 0)));
      },
      py::arg("in_shape"), py::arg("weight_shape"), py::arg("stride"), py::arg("dilation"),
      py::arg("padding"), py::arg("same_padding"), py::arg("groups"), py::arg("padding_mode"));
  m.def(
      "conv3d",
      [](const py::array& input, const py::array& weight, const py::object& bias,
         const py::array& out, std::vector<index_t> stride, std::vector<index_t> dilation,
         std::vector<index_t> padding, bool same_padding, index_t groups,
         const std::string& padding_mode, const std::string& algorithm, int threads,
         const std::string& activation, const std::vector<double>& params,
         const py::object& residual) {
        ConvLayerOptions o =
            make_options(std::move(stride), std::move(dilation), std::move(padding), {},
                         same_padding, groups, padding_mode, threads, algorithm);
        o.epilogue = make_epilogue(activation, params);
        run_layer_call(input, weight, bias, out, residual,
                       [&](auto x, auto w, auto b, auto y, auto r) {
                         using T = std::remove_pointer_t<decltype(y.data)>;
                         fastconv::conv3d<T>(std::move(x), std::move(w), std::move(b), std::move(y),
                                             o, std::move(r));
                       });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("stride"),
      py::arg("dilation"), py::arg("padding"), py::arg("same_padding"), py::arg("groups"),
      py::arg("padding_mode"), py::arg("algorithm"), py::arg("threads"),
      py::arg("activation") = "none", py::arg("params") = std::vector<double>(),
      py::arg("residual") = py::none(), "A 3-D convolution layer into out, see fastconv/nn.hpp.");
  m.def(
      "conv_transpose3d_output_shape",
      [](std::vector<index_t> in_shape, std::vector<index_t> weight_shape,
         std::vector<index_t> stride, std::vector<index_t> dilation, std::vector<index_t> padding,
         std::vector<index_t> output_padding, index_t groups) {
        return bindings::as_tuple(conv_transpose3d_output_shape(
            in_shape, weight_shape,
            make_transpose_options(std::move(stride), std::move(dilation), std::move(padding),
                                   std::move(output_padding), groups, 0)));
      },
      py::arg("in_shape"), py::arg("weight_shape"), py::arg("stride"), py::arg("dilation"),
      py::arg("padding"), py::arg("output_padding"), py::arg("groups"));
  m.def(
      "conv_transpose3d",
      [](const py::array& input, const py::array& weight, const py::object& bias,
         const py::array& out, std::vector<index_t> stride, std::vector<index_t> dilation,
         std::vector<index_t> padding, std::vector<index_t> output_padding, index_t groups,
         int threads, const std::string& activation, const std::vector<double>& params,
         const py::object& residual) {
        ConvTransposeLayerOptions o =
            make_transpose_options(std::move(stride), std::move(dilation), std::move(padding),
                                   std::move(output_padding), groups, threads);
        o.epilogue = make_epilogue(activation, params);
        run_layer_call(input, weight, bias, out, residual,
                       [&](auto x, auto w, auto b, auto y, auto r) {
                         using T = std::remove_pointer_t<decltype(y.data)>;
                         fastconv::conv_transpose3d<T>(std::move(x), std::move(w), std::move(b),
                                                       std::move(y), o, std::move(r));
                       });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("stride"),
      py::arg("dilation"), py::arg("padding"), py::arg("output_padding"), py::arg("groups"),
      py::arg("threads"), py::arg("activation") = "none", py::arg("params") = std::vector<double>(),
      py::arg("residual") = py::none(),
      "A 3-D transposed convolution layer into out, see fastconv/nn.hpp.");

  layer_class<BoundConvLayer>(
      m, "ConvLayer", "A convolution layer object, its weights packed once (fastconv/nn.hpp).")
      .def(py::init([](const py::array& weight, const py::object& bias, std::vector<index_t> stride,
                       std::vector<index_t> dilation, std::vector<index_t> padding,
                       std::vector<index_t> padding_end, bool same_padding, index_t groups,
                       const std::string& padding_mode, const std::string& algorithm,
                       const std::string& activation, const std::vector<double>& params) {
             ConvLayerOptions o = make_options(std::move(stride), std::move(dilation),
                                               std::move(padding), std::move(padding_end),
                                               same_padding, groups, padding_mode, 0, algorithm);
             o.epilogue = make_epilogue(activation, params);
             return BoundConvLayer{bind_layer<ConvLayer>(weight, bias, o)};
           }),
           py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("dilation"),
           py::arg("padding"), py::arg("padding_end"), py::arg("same_padding"), py::arg("groups"),
           py::arg("padding_mode"), py::arg("algorithm") = "auto", py::arg("activation") = "none",
           py::arg("params") = std::vector<double>());
  layer_class<BoundConvTransposeLayer>(
      m, "ConvTransposeLayer",
      "A transposed convolution layer object, its weights packed once (fastconv/nn.hpp).")
      .def(py::init([](const py::array& weight, const py::object& bias, std::vector<index_t> stride,
                       std::vector<index_t> dilation, std::vector<index_t> padding,
                       std::vector<index_t> output_padding, index_t groups,
                       const std::string& activation, const std::vector<double>& params) {
             ConvTransposeLayerOptions o =
                 make_transpose_options(std::move(stride), std::move(dilation), std::move(padding),
                                        std::move(output_padding), groups, 0);
             o.epilogue = make_epilogue(activation, params);
             return BoundConvTransposeLayer{bind_layer<ConvTransposeLayer>(weight, bias, o)};
           }),
           py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("dilation"),
           py::arg("padding"), py::arg("output_padding"), py::arg("groups"),
           py::arg("activation") = "none", py::arg("params") = std::vector<double>());
}
