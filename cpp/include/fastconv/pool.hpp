#pragma once
// Max-pooling with recorded indices, max-unpooling, and average pooling
// (plain and adaptive), with torch.nn.functional's semantics (max_pool1d/2d/3d,
// max_unpool1d/2d/3d, adaptive_max_pool1d/2d/3d, avg_pool1d/2d/3d,
// adaptive_avg_pool1d/2d/3d).
//
// The pooled axes are the last kernel_size.size() (1, 2 or 3) axes of the
// input; every leading axis is a plane axis (N, C, ...). Along a pooled
// axis (length n, kernel k, stride s, padding p, dilation d) output o
// takes the maximum of in[o*s - p + j*d] over the taps j < k that land
// inside the input (padding never wins), and its index is the flat
// position ((depth * height + row) * width + column) of that maximum in
// the input plane, the taps visited in row-major order: the first one on
// ties, a NaN beats any number (among NaNs, the last, as torch). Output
// length
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
  // One entry per pooled axis (1, 2 or 3 of them); this decides how many
  // trailing axes are pooled.
  std::vector<index_t> kernel_size;
  // One value for every pooled axis, or one per axis; empty stride = the
  // kernel size, empty padding = 0, empty dilation = 1.
  std::vector<index_t> stride, padding, dilation;
  bool ceil_mode = false;
  int threads = 0;  // 0 = the global setting
};

// The geometry of a planned pooling: the planes and the pooled axes. A
// 1-D or 2-D pooling is a 3-D one with a single depth slice and row.
struct PoolGeometry {
  struct Axis {
    index_t n = 1, k = 1, s = 1, p = 0, d = 1, out = 1;
    // adaptive max-pooling's unequal windows: o takes [floor(o*n/out),
    // ceil((o+1)*n/out)) (k is then only the longest window's size)
    bool adaptive = false;
  };
  std::vector<index_t> in_shape;
  int naxes = 0;       // pooled axes: the last 1, 2 or 3
  index_t planes = 1;  // product of the leading axes
  Axis depth, row, col;
  int threads = 0;

  std::vector<index_t> out_shape() const;  // of the result (and of max_pool's indices)
};

// A max-pooling planned once for one input shape (plan_max_pool), run by
// max_pool(plan, ...) on inputs of that shape.
struct MaxPoolPlan : PoolGeometry {};

FASTCONV_API MaxPoolPlan plan_max_pool(const std::vector<index_t>& in_shape,
                                       const PoolOptions& options);

// Adaptive max-pooling to `output_size` (one value >= 0 per pooled axis,
// 1 to 3 of them): output i of an axis of length n takes the maximum over
// [floor(i*n/out), ceil((i+1)*n/out)), with max_pool's rules and indices.
// Run by max_pool(plan, ...). Throws std::invalid_argument naming the bad
// argument.
FASTCONV_API MaxPoolPlan plan_adaptive_max_pool(const std::vector<index_t>& in_shape,
                                                const std::vector<index_t>& output_size,
                                                int threads = 0);

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
// elsewhere. The last `pooled_axes` (1, 2 or 3) axes of `out` form the
// plane the indices point into; the leading axes of `in` and `out` must
// match.
// Throws std::invalid_argument for an index outside the plane.
template <class T>
FASTCONV_API void max_unpool(View<const T> in, View<const std::int64_t> indices, View<T> out,
                             int pooled_axes, int threads = 0);

// Average pooling. Along a pooled axis (length n, kernel k, stride s,
// padding p) output o averages in[o*s - p + j] over the taps j < k that
// land inside the input; the output length is max_pool's with dilation 1
// (ceil_mode's rule included) and padding is at most k/2. Each output is
// the sum of its taps in row-major order, divided once by
//   divisor_override, if not 0; else
//   the window clipped to the padded extent [-p, n + p) (count_include_pad)
//   or to the input [0, n) (not count_include_pad), the product over the
//   pooled axes.
// A window with no tap inside the input (possible with ceil_mode) gives 0.
//
// Adaptive average pooling to `out` outputs per axis: output i averages
// the input over [floor(i*n/out), ceil((i+1)*n/out)), the sum divided by
// the window's depth, then its height, then its width (as torch divides).
//
// A global pool of floats (one output per plane whose window holds the
// whole plane: adaptive to 1 on every pooled axis, or kernel_size -
// padding >= n on every pooled axis) sums the plane's elements in
// row-major order into 16 partial sums instead (element i to i % 16, the
// last n % 16 to the last partial sums), adds them in a fixed tree and
// divides once (adaptive: by the plane's size): docs/conventions.md.
//
// Floating types sum in their own type, as torch does; std::int64_t sums
// with wrap-around and divides rounding toward zero, as torch does.
// Computed one block of output rows per task: the same bits for any
// number of threads.
struct AvgPoolOptions : PoolOptions {  // dilation: empty or 1
  bool count_include_pad = true;
  index_t divisor_override = 0;  // 0 = none
};

struct AvgPoolPlan : PoolGeometry {
  bool adaptive = false;
  bool count_include_pad = true;
  index_t divisor_override = 0;
};

// Throw std::invalid_argument naming the bad argument.
FASTCONV_API AvgPoolPlan plan_avg_pool(const std::vector<index_t>& in_shape,
                                       const AvgPoolOptions& options);
// `output_size`: one value per pooled axis (1, 2 or 3 of them), each >= 0.
FASTCONV_API AvgPoolPlan plan_adaptive_avg_pool(const std::vector<index_t>& in_shape,
                                                const std::vector<index_t>& output_size,
                                                int threads = 0);

// Write the (plain or adaptive) average pooling planned by `plan` into
// `out`, of shape plan.out_shape(). T: float, double, long double or
// std::int64_t.
template <class T>
FASTCONV_API void avg_pool(const AvgPoolPlan& plan, View<const T> in, View<T> out);

}  // namespace fastconv
