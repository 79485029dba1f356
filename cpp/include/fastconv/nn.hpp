#pragma once
// CNN convolution layers with torch.nn.functional.conv1d / conv2d and
// conv_transpose1d / conv_transpose2d semantics. For input (N, C, H, W), weight (Cout, C/groups,
// kh, kw) and bias (Cout,):
//
//   out[n, o, i, j] = bias[o] + sum_{c < C/groups} sum_{p < kh, q < kw}
//       x~[n, g*(C/groups) + c, i*sh + p*dh - pad_top, j*sw + q*dw - pad_left] * w[o, c, p, q]
//
// where g = o / (Cout/groups) is the output channel's group and x~ is the
// input extended by the padding mode. It is a correlation: complex weights
// are not conjugated (torch's rule). 1-D layers are the same with no H axis.
//
// Output size per spatial axis: (n + pad_begin + pad_end - d*(k-1) - 1) / s + 1.
//
// Element types: float, double, long double, their std::complex, and
// std::int64_t (wrapping arithmetic). float and double run on the
// channel-blocked SIMD kernels; the others on a portable loop. Every
// output is summed in one fixed order (c, p, q) by one thread, so results
// are bitwise identical for any thread count and any input layout.
#include <array>
#include <memory>
#include <stdexcept>  // errors are std::invalid_argument
#include <string>
#include <vector>

#include "fastconv/export.hpp"
#include "fastconv/view.hpp"

namespace fastconv {

// How the input is extended past its edges (torch's padding_mode):
//   zeros      0 0 | a b c d | 0 0
//   reflect    c b | a b c d | c b   (mirror without the edge repeated)
//   replicate  a a | a b c d | d d
//   circular   c d | a b c d | a b
enum class PaddingMode { zeros, reflect, replicate, circular };

// How a conv layer computes its sums:
//   automatic  Winograd where it pays (3x3, stride 1, dilation 1, 2-D,
//              float or double, 8 or more channels per group in and out),
//              else direct
//   direct     the sum as written, each output's taps in one fixed order:
//              accurate per element (docs/conventions.md)
//   winograd   F(4x4, 3x3) on maps of 8 outputs or more each way, F(2x2,
//              3x3) on smaller ones: fewer products, accurate normwise
//              (error bound in docs/conventions.md); needs the 3x3
//              stride-1 dilation-1 2-D shape and float or double elements
// Winograd and direct give the same Inf and NaN: an image whose Winograd
// tiles give one is computed directly.
enum class ConvAlgorithm { automatic, direct, winograd };
// A layer's fused epilogue: out = activation(conv + bias + residual),
// applied while the outputs are in registers. Activations with torch's
// formulas (torch.nn.functional), in the element type:
//   relu         x < 0 ? 0 : x               (NaN stays NaN)
//   relu6        clamp(x, 0, 6)
//   clamp        min(max(x, min), max)        (hardtanh; NaN stays NaN)
//   leaky_relu   x > 0 ? x : x * negative_slope
//   prelu        x > 0 ? x : x * slope[channel]  (one slope, or one per output channel)
//   sigmoid      1 / (1 + exp(-x))
//   hardsigmoid  clamp(x + 3, 0, 6) / 6
//   hardswish    x * clamp(x + 3, 0, 6) / 6
//   silu         x / (1 + exp(-x))
// All but sigmoid and silu give bitwise the unfused sequence; those two
// use the kernels' exp (docs/conventions.md states its error). float and
// double only: other element types take no epilogue (std::invalid_argument
// naming activation or residual).
enum class Activation {
  none,
  relu,
  relu6,
  clamp,
  leaky_relu,
  prelu,
  sigmoid,
  hardsigmoid,
  hardswish,
  silu
};

struct Epilogue {
  Activation activation = Activation::none;
  double min = 0, max = 0;       // clamp's bounds (min <= max)
  double negative_slope = 0.01;  // leaky_relu's
  std::vector<double> slopes;    // prelu's: one, or one per output channel
};

// "none", "relu", "relu6", "clamp", "leaky_relu", "prelu", "sigmoid",
// "hardsigmoid", "hardswish" or "silu"; std::invalid_argument naming
// activation otherwise.
FASTCONV_API Activation parse_activation(const std::string& name);

struct ConvLayerOptions {
  // One value for every spatial axis, or one per spatial axis (rows, then
  // columns); empty = 1 for stride and dilation, 0 for padding.
  std::vector<index_t> stride;
  std::vector<index_t> dilation;
  std::vector<index_t> padding;      // before each spatial axis
  std::vector<index_t> padding_end;  // after each spatial axis; empty = `padding`
  // torch's padding="same": d*(k-1) in all, the odd element at the end;
  // needs stride 1; `padding` and `padding_end` must then be empty.
  bool same_padding = false;
  index_t groups = 1;
  PaddingMode padding_mode = PaddingMode::zeros;
  ConvAlgorithm algorithm = ConvAlgorithm::automatic;
  // Reflect padding must be smaller than the input, circular padding at
  // most its size (torch's limits).
  int threads = 0;    // 0 = the global setting (set_num_threads)
  Epilogue epilogue;  // none by default
};

// "zeros", "reflect", "replicate" or "circular"; std::invalid_argument
// naming padding_mode otherwise.
FASTCONV_API PaddingMode parse_padding_mode(const std::string& name);

// "auto", "direct" or "winograd"; std::invalid_argument naming algorithm
// otherwise.
FASTCONV_API ConvAlgorithm parse_conv_algorithm(const std::string& name);

// The output shape (N, Cout, [H,] W) of a layer with input shape
// (N, C, [H,] W) and weight shape (Cout, C/groups, [kh,] kw); 1 or 2
// spatial axes. Throws std::invalid_argument naming the bad argument
// (input, weight, groups, stride, dilation, padding, padding_mode), also
// when the result size would overflow.
FASTCONV_API std::vector<index_t> conv_output_shape(const std::vector<index_t>& in_shape,
                                                    const std::vector<index_t>& weight_shape,
                                                    const ConvLayerOptions& options);

// A layer planned once, in 2-D (a 1-D layer has h = kh = sh = dh = oh = 1
// and pad_top = 0): what the options give for one input and weight shape.
// Made by plan_conv_layer, run by conv_layer on arrays of those shapes.
struct ConvLayerPlan {
  int spatial;  // 1 or 2
  index_t batch, channels, out_channels, groups, cin_g, cout_g;
  index_t h, w, kh, kw, sh, sw, dh, dw;  // input, kernel, stride, dilation
  index_t pad_top, pad_left;             // padding before the rows and columns
  index_t oh, ow;
  PaddingMode mode;
  ConvAlgorithm algorithm;

  std::vector<index_t> out_shape() const;  // (N, Cout, [H,] W)
};

FASTCONV_API ConvLayerPlan plan_conv_layer(const std::vector<index_t>& in_shape,
                                           const std::vector<index_t>& weight_shape,
                                           const ConvLayerOptions& options);

// Run a plan: `in` and `weight` of the planned shapes, `out` of
// plan.out_shape() (any strides, not overlapping the inputs), `bias` of
// shape (Cout,) or a view with data == nullptr for no bias. Threads are
// the run's (0 = the global setting, set_num_threads), not the plan's:
// options.threads is for the one-call functions. `epilogue` and
// `residual` (out's shape, any strides; data == nullptr: none) as
// Epilogue says.
template <class T>
FASTCONV_API void conv_layer(const ConvLayerPlan& plan, View<const T> in, View<const T> weight,
                             View<const T> bias, View<T> out, int threads = 0,
                             const Epilogue& epilogue = {}, View<const T> residual = {});

// Plan and run in one call: write the layer's output into `out` (shape
// conv_output_shape(...)); 3-D or 4-D views respectively. `residual`:
// added before options.epilogue's activation (out's shape; data ==
// nullptr: none).
template <class T>
FASTCONV_API void conv1d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
                         const ConvLayerOptions& options, View<const T> residual = {});

template <class T>
FASTCONV_API void conv2d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
                         const ConvLayerOptions& options, View<const T> residual = {});

// Transposed layers (torch.nn.functional.conv_transpose1d / 2d), the
// adjoint of conv1d / conv2d with the same arguments. For input
// (N, C, H, W), weight (C, Cout/groups, kh, kw) and bias (Cout,):
//
//   out[n, g*(Cout/groups) + o, i*sh + p*dh - pad_top, j*sw + q*dw - pad_left]
//       += x[n, g*(C/groups) + c, i, j] * w[g*(C/groups) + c, o, p, q]
//
// summed over c, i, j, p, q, plus bias; complex weights are not
// conjugated. Output size per spatial axis
// (n - 1)*s - 2*padding + d*(k - 1) + output_padding + 1. Computed as a
// gather per output phase (s_h x s_w ordinary layers with sub-kernels,
// each written to its phase of the output): the same element types,
// order of sums and bitwise thread-independence as conv2d.
struct ConvTransposeLayerOptions {
  // One value for every spatial axis, or one per spatial axis; empty = 1
  // for stride and dilation, 0 for padding and output_padding.
  std::vector<index_t> stride;
  std::vector<index_t> dilation;
  std::vector<index_t> padding;         // cropped from both ends of each axis
  std::vector<index_t> output_padding;  // added at the end; < max(stride, dilation)
  index_t groups = 1;
  int threads = 0;    // 0 = the global setting (set_num_threads)
  Epilogue epilogue;  // none by default
};

// The output shape (N, Cout, [H,] W) of a transposed layer with input
// shape (N, C, [H,] W) and weight shape (C, Cout/groups, [kh,] kw).
// Throws std::invalid_argument naming the bad argument (input, weight,
// groups, stride, dilation, padding, output_padding), also when the
// result size would overflow.
FASTCONV_API std::vector<index_t> conv_transpose_output_shape(
    const std::vector<index_t>& in_shape, const std::vector<index_t>& weight_shape,
    const ConvTransposeLayerOptions& options);

// A transposed layer planned once: per spatial axis (rows, columns; a
// 1-D layer has rows of one input, kernel and output element) the input
// n, kernel k, stride s, dilation d, padding and output size.
struct ConvTransposeLayerPlan {
  int spatial;  // 1 or 2
  index_t batch, channels, out_channels, groups, cin_g, cout_g;
  std::array<index_t, 2> n, k, s, d, pad, out;

  std::vector<index_t> out_shape() const;  // (N, Cout, [H,] W)
};

FASTCONV_API ConvTransposeLayerPlan plan_conv_transpose_layer(
    const std::vector<index_t>& in_shape, const std::vector<index_t>& weight_shape,
    const ConvTransposeLayerOptions& options);

// Run a plan, with the arguments of conv_layer.
template <class T>
FASTCONV_API void conv_transpose_layer(const ConvTransposeLayerPlan& plan, View<const T> in,
                                       View<const T> weight, View<const T> bias, View<T> out,
                                       int threads = 0, const Epilogue& epilogue = {},
                                       View<const T> residual = {});

// Plan and run in one call: write the transposed layer's output into
// `out` (shape conv_transpose_output_shape(...), any strides, not
// overlapping the inputs). `bias`: shape (Cout,), or a view with data ==
// nullptr.
template <class T>
FASTCONV_API void conv_transpose1d(View<const T> in, View<const T> weight, View<const T> bias,
                                   View<T> out, const ConvTransposeLayerOptions& options,
                                   View<const T> residual = {});

template <class T>
FASTCONV_API void conv_transpose2d(View<const T> in, View<const T> weight, View<const T> bias,
                                   View<T> out, const ConvTransposeLayerOptions& options,
                                   View<const T> residual = {});

// 3-D layers (torch.nn.functional.conv3d / conv_transpose3d): the 2-D
// layers' formulas with a depth axis in front of the rows -- input
// (N, C, D, H, W), conv weight (Cout, C/groups, kd, kh, kw), transposed
// weight (C, Cout/groups, kd, kh, kw) -- and the same options, one value
// for every spatial axis or three (depth, rows, columns). Each output is
// summed by one 2-D layer run over the stacked depth taps (nn/volume.cpp):
// the same element types, order of sums per output and bitwise
// thread-independence as conv2d; "automatic" picks Winograd for 3x3 rows
// and columns as conv2d does. Errors: std::invalid_argument naming the
// argument, as the 2-D layers.
FASTCONV_API std::vector<index_t> conv3d_output_shape(const std::vector<index_t>& in_shape,
                                                      const std::vector<index_t>& weight_shape,
                                                      const ConvLayerOptions& options);

template <class T>
FASTCONV_API void conv3d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
                         const ConvLayerOptions& options, View<const T> residual = {});

FASTCONV_API std::vector<index_t> conv_transpose3d_output_shape(
    const std::vector<index_t>& in_shape, const std::vector<index_t>& weight_shape,
    const ConvTransposeLayerOptions& options);

template <class T>
FASTCONV_API void conv_transpose3d(View<const T> in, View<const T> weight, View<const T> bias,
                                   View<T> out, const ConvTransposeLayerOptions& options,
                                   View<const T> residual = {});

// Layer objects for inference: construct once from the weights (copied and
// packed for the kernels then; later changes to the caller's arrays do not
// reach the layer), run many times on inputs of any batch and spatial size.
// `run` is const and safe to call from several threads at once; `threads`
// there (0 = the global setting, set_num_threads) is the run's, and
// options.threads is not used. A run gives bitwise the result of the
// one-call function (conv1d/conv2d, conv_transpose1d/2d) with the same
// arguments. The options' epilogue is the layer's; a run's `residual`
// (out's shape, any strides; data == nullptr: none) is added before its
// activation. Errors: std::invalid_argument naming the argument, at
// construction for the weight, bias and options, at run for the input,
// out and residual.
template <class T>
class FASTCONV_API ConvLayer {
 public:
  // weight (Cout, C/groups, [kh,] kw): 1 or 2 spatial axes; bias (Cout,),
  // or a view with data == nullptr for no bias.
  ConvLayer(View<const T> weight, View<const T> bias, const ConvLayerOptions& options);
  ~ConvLayer();
  ConvLayer(ConvLayer&&) noexcept;
  ConvLayer& operator=(ConvLayer&&) noexcept;

  int spatial() const;                        // 1 or 2
  std::vector<index_t> weight_shape() const;  // (Cout, C/groups, [kh,] kw)
  // (N, Cout, [H,] W) for input (N, C, [H,] W); std::invalid_argument
  // naming the input when the layer cannot take it.
  std::vector<index_t> output_shape(const std::vector<index_t>& in_shape) const;
  // out: shape output_shape(in.shape), any strides, not overlapping in.
  void run(View<const T> in, View<T> out, int threads = 0, View<const T> residual = {}) const;

  struct Impl;  // (nn/layer.cpp)

 private:
  std::unique_ptr<const Impl> impl_;
};

// The transposed layer's object: weight (C, Cout/groups, [kh,] kw).
template <class T>
class FASTCONV_API ConvTransposeLayer {
 public:
  ConvTransposeLayer(View<const T> weight, View<const T> bias,
                     const ConvTransposeLayerOptions& options);
  ~ConvTransposeLayer();
  ConvTransposeLayer(ConvTransposeLayer&&) noexcept;
  ConvTransposeLayer& operator=(ConvTransposeLayer&&) noexcept;

  int spatial() const;
  std::vector<index_t> weight_shape() const;  // (C, Cout/groups, [kh,] kw)
  std::vector<index_t> output_shape(const std::vector<index_t>& in_shape) const;
  void run(View<const T> in, View<T> out, int threads = 0, View<const T> residual = {}) const;

  struct Impl;

 private:
  std::unique_ptr<const Impl> impl_;
};

}  // namespace fastconv
