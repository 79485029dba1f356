#pragma once
// Max-pooling with recorded indices, and max-unpooling, with
// torch.nn.functional's semantics (max_pool1d/2d, max_unpool1d/2d).
//
// The pooled axes are the last kernel_size.size() (1 or 2) axes of the
// input; every leading axis is a plane axis (N, C, ...). Along a pooled
// axis (length n, kernel k, stride s, padding p, dilation d) output o
// takes the maximum of in[o*s - p + j*d] over the taps j < k that land
// inside the input (padding never wins), and its index is the flat
// position (row * width + column) of that maximum in the input plane:
// the first one on ties, a NaN beats any number (among NaNs, the last,
// as torch). Output length
//   floor_or_ceil((n + 2p - d*(k-1) - 1) / s) + 1,
// and with ceil_mode the last window must start inside the input or the
// left padding. Computed one plane (or block of rows) per task, so
// results are the same for any number of threads.
//
// max_unpool puts every value at its recorded index in a zero plane; an
// index outside the output plane is an error. Duplicate indices: the last
// in row-major order wins (deterministically).
#include "fastconv/export.hpp"
#include <cstdint>
#include <vector>

#include "fastconv/view.hpp"

namespace fastconv {

struct PoolOptions {
  // One entry per pooled axis (1 or 2 of them); this decides how many
  // trailing axes are pooled.
  std::vector<index_t> kernel_size;
  // One value for every pooled axis, or one per axis; empty stride = the
  // kernel size, empty padding = 0, empty dilation = 1.
  std::vector<index_t> stride, padding, dilation;
  bool ceil_mode = false;
  int threads = 0;  // 0 = the global setting
};

// A max-pooling planned once for one input shape (plan_max_pool), run by
// max_pool(plan, ...) on inputs of that shape. A 1-D pooling is a 2-D one
// with a single row.
struct MaxPoolPlan {
  struct Axis {
    index_t n = 1, k = 1, s = 1, p = 0, d = 1, out = 1;
  };
  std::vector<index_t> in_shape;
  int naxes = 0;       // pooled axes: the last 1 or 2
  index_t planes = 1;  // product of the leading axes
  Axis row, col;
  int threads = 0;

  std::vector<index_t> out_shape() const;  // of the result and of its indices
};

FASTCONV_API MaxPoolPlan plan_max_pool(const std::vector<index_t>& in_shape,
                                       const PoolOptions& options);

template <class T>
FASTCONV_API void max_pool(const MaxPoolPlan& plan, View<const T> in, View<T> out,
                           View<std::int64_t> indices);

// The shape of max_pool's result (and of its indices); throws
// std::invalid_argument naming the bad argument.
FASTCONV_API std::vector<index_t> max_pool_shape(const std::vector<index_t>& in_shape,
                                                 const PoolOptions& options);

// Write the max-pooling of `in` into `out`, and the flat in-plane index of
// every maximum into `indices` unless indices.data is null. `out` (and
// `indices`) must have shape max_pool_shape(in.shape, options).
// T: float, double, long double, or a signed/unsigned 8..64-bit integer.
template <class T>
FASTCONV_API void max_pool(View<const T> in, View<T> out, View<std::int64_t> indices,
                           const PoolOptions& options);

// The shape of max_unpool's result: the leading (plane) axes of `in_shape`
// followed by `output_size` if it is not empty -- checked to lie strictly
// between default - stride and default + stride, as torch does -- else the
// default (n - 1) * s - 2p + k per pooled axis. `output_size` may also
// hold the whole shape (plane axes included; they must match).
FASTCONV_API std::vector<index_t> max_unpool_shape(const std::vector<index_t>& in_shape,
                                                   const PoolOptions& options,
                                                   const std::vector<index_t>& output_size);

// Scatter `in` into `out` at `indices` (same shape as `in`), zeros
// elsewhere. The last `pooled_axes` axes of `out` form the plane the
// indices point into; the leading axes of `in` and `out` must match.
// Throws std::invalid_argument for an index outside the plane.
template <class T>
FASTCONV_API void max_unpool(View<const T> in, View<const std::int64_t> indices, View<T> out,
                             int pooled_axes, int threads = 0);

}  // namespace fastconv
