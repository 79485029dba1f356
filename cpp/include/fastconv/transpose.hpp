#pragma once
// Transposed convolution ("deconvolution"): every input element scatters
// a copy of the kernel scaled by its value, the copies placed `stride`
// apart and summed where they overlap. Per transposed axis (input n,
// kernel k, stride s, dilation d, padding p):
//
//   out[i*s + j*d - p] += in[i] * kernel[j]
//
// with output length (n-1)*s - 2p + d*(k-1) + 1 + output_padding. It equals
// inserting s-1 zeros between input samples and taking the full
// convolution, and it is the exact adjoint of the strided, dilated 'valid'
// correlation (no conjugation of the kernel here). Computed as a gather
// per output phase: no zero-inserted temporary, no atomics, the same bits
// for any number of threads.
#include "fastconv/export.hpp"
#include <array>
#include <stdexcept>
#include <vector>

#include "fastconv/view.hpp"

namespace fastconv {

struct TransposeOptions {
  // The axes of `in` that kernel axes 0, 1, ... pair with; empty = the
  // last kernel.ndim() axes. The other axes of `in` are batch axes.
  std::vector<index_t> axes;
  // One value for every transposed axis, or one per kernel axis; empty =
  // the default (stride and dilation 1, paddings 0).
  std::vector<index_t> stride, padding, output_padding, dilation;
  int threads = 0;  // 0 = the global setting
};

// A transposed convolution planned once for one input and kernel shape
// (plan_conv_transpose), run by conv_transpose(plan, ...) on arrays of
// those shapes.
struct ConvTransposePlan {
  struct Axis {
    int axis;  // axis of `in` (and `out`)
    index_t n, k, s, d, pad, opad, out;
  };
  int rank = 0;
  int naxes = 0;                            // transposed axes (the kernel's)
  std::array<Axis, kMaxRank> t{};           // per transposed axis (kernel order)
  std::array<index_t, kMaxRank> shape{};    // the result's
  std::array<int, kMaxRank> kernel_axis{};  // per axis of `in`: kernel axis, or -1
  int threads = 0;

  std::vector<index_t> out_shape() const;
};

FASTCONV_API ConvTransposePlan plan_conv_transpose(const std::vector<index_t>& in_shape,
                                                   const std::vector<index_t>& kernel_shape,
                                                   const TransposeOptions& options);

template <class T>
FASTCONV_API void conv_transpose(const ConvTransposePlan& plan, View<const T> in,
                                 View<const T> kernel, View<T> out);

// The result shape; throws std::invalid_argument naming the bad argument.
FASTCONV_API std::vector<index_t> conv_transpose_shape(const std::vector<index_t>& in_shape,
                                                       const std::vector<index_t>& kernel_shape,
                                                       const TransposeOptions& options);

// Write the transposed convolution of `in` with `kernel` into `out`,
// whose shape must equal conv_transpose_shape(...). Element types as for
// convolve().
template <class T>
FASTCONV_API void conv_transpose(View<const T> in, View<const T> kernel, View<T> out,
                                 const TransposeOptions& options);

}  // namespace fastconv
