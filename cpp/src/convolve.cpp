// Argument checks and planning: turns the user-facing options into an
// AxisPlan per axis and hands the problem to the engine.
#include "fastconv/convolve.hpp"

#include <algorithm>
#include <array>
#include <complex>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "execute.hpp"
#include "fastconv/runtime.hpp"
#include "scalar.hpp"
#include "small_buffer.hpp"

namespace fastconv {

Mode parse_mode(const std::string& name) {
  if (name == "full") return Mode::full;
  if (name == "same") return Mode::same;
  if (name == "valid") return Mode::valid;
  throw std::invalid_argument("mode: acceptable mode flags are 'valid', 'same', or 'full', not '" +
                              name + "'");
}

Boundary parse_boundary(const std::string& name) {
  if (name == "fill" || name == "pad") return Boundary::fill;
  if (name == "wrap" || name == "circular") return Boundary::wrap;
  if (name == "symm" || name == "symmetric") return Boundary::symm;
  if (name == "mirror") return Boundary::mirror;
  if (name == "nearest") return Boundary::nearest;
  if (name == "reflect")
    throw std::invalid_argument(
        "boundary: 'reflect' is ambiguous (libraries disagree on it); use 'symm' "
        "(d c b a | a b c d) or 'mirror' (d c b | a b c d)");
  throw std::invalid_argument("boundary: unknown boundary '" + name +
                              "'; expected 'fill', 'wrap', 'symm', 'mirror' or 'nearest'");
}

namespace {

using detail::check_view;
using detail::may_overlap;
using detail::shape_str;

using detail::checked_add;
using detail::checked_mul;

// Fixed-size arrays keep planning free of heap allocation (tiny calls take
// microseconds).
using detail::kMaxRank;
using AxisArray = std::array<index_t, kMaxRank>;

// Everything the planner derives from the shapes and options; the
// per-axis arrays hold `rank` entries (the rest is never read, and not
// zeroed: that would cost more than a tiny call's convolution).
struct Geometry {
  int rank = 0;
  std::array<bool, kMaxRank> convolved;  // per axis
  AxisArray out_shape;                   // per axis
  AxisArray start;                       // per axis: first kept element of the full result
  AxisArray stride, dilation;

  std::vector<index_t> shape() const { return {out_shape.begin(), out_shape.begin() + rank}; }
};

// `flip_kernel` (convolution) decides where an explicit anchor tap puts
// the start: tap*d for convolution, mirrored for correlation.
Geometry plan_geometry(const std::vector<index_t>& in_shape, const std::vector<index_t>& k_shape,
                       const ConvOptions& opt, bool flip_kernel) {
  const size_t rank = in_shape.size();
  if (rank == 0) throw std::invalid_argument("in1: must have at least one dimension");
  if (rank > static_cast<size_t>(kMaxRank))
    throw std::invalid_argument("in1: more than 64 dimensions");
  if (k_shape.size() != rank)
    throw std::invalid_argument("in1 and in2 should have the same dimensionality");
  for (size_t a = 0; a < rank; ++a)
    if (in_shape[a] < 0 || k_shape[a] < 0) throw std::invalid_argument("in1/in2: negative extent");

  Geometry g;
  g.rank = static_cast<int>(rank);
  std::fill_n(g.convolved.begin(), rank, opt.axes.empty());
  // Per-axis parameters pair with `axes` in its order (ascending when empty).
  std::array<size_t, kMaxRank> param;
  for (size_t i = 0; i < rank; ++i) param[i] = i;
  for (size_t i = 0; i < opt.axes.size(); ++i) {
    const index_t ax = opt.axes[i];
    const index_t a = ax < 0 ? ax + static_cast<index_t>(rank) : ax;
    if (a < 0 || a >= static_cast<index_t>(rank))
      throw std::invalid_argument("axes: axis " + std::to_string(ax) +
                                  " exceeds dimensionality of input");
    if (g.convolved[a]) throw std::invalid_argument("axes: all axes must be unique");
    g.convolved[a] = true;
    param[a] = i;
  }
  const size_t nconv =
      static_cast<size_t>(std::count(g.convolved.begin(), g.convolved.begin() + rank, true));
  const AxisArray stride = detail::expand_per_axis(opt.stride, nconv, "stride", 1, 1);
  const AxisArray dilation = detail::expand_per_axis(opt.dilation, nconv, "dilation", 1, 1);
  AxisArray anchor{};
  if (opt.anchor_rule == AnchorRule::taps)  // (range checked against the kernel below)
    anchor = detail::expand_per_axis(opt.anchor, nconv, "anchor", 0,
                                     std::numeric_limits<index_t>::min());
  std::fill_n(g.stride.begin(), rank, 1);
  std::fill_n(g.dilation.begin(), rank, 1);
  std::fill_n(g.start.begin(), rank, 0);
  index_t total = 1;
  for (size_t a = 0; a < rank; ++a) {
    const index_t n = in_shape[a], k = k_shape[a];
    if (!g.convolved[a]) {
      if (n != k && n != 1 && k != 1)
        throw std::invalid_argument("in1 and in2: incompatible shapes along batch axis " +
                                    std::to_string(a) + " (" + std::to_string(n) + " and " +
                                    std::to_string(k) + ")");
      g.out_shape[a] = (n == 0 || k == 0) ? 0 : std::max(n, k);
      total = checked_mul(total, g.out_shape[a], "output");
      continue;
    }
    const size_t c = param[a];
    const index_t s = stride[c], d = dilation[c];
    if (n == 0) throw std::invalid_argument("in1: empty along a convolved axis");
    if (k == 0) throw std::invalid_argument("in2: empty along a convolved axis");
    // ke = d*(k-1)+1, the dilated kernel extent.
    const index_t ke = checked_add(checked_mul(d, k - 1, "dilation"), 1, "dilation");
    // The engine's indices reach from -(ke-1) to about n + 2*ke: they must
    // be representable (a larger dilation would overrun its buffers).
    index_t reach;
    if (__builtin_mul_overflow(ke, 2, &reach) || __builtin_add_overflow(reach, n, &reach))
      throw std::invalid_argument("dilation: the dilated kernel extent " + std::to_string(ke) +
                                  " is too large (its index range overflows)");
    if (opt.anchor_rule == AnchorRule::taps && opt.mode == Mode::same &&
        (anchor[c] < 0 || anchor[c] >= k))
      throw std::invalid_argument("anchor: tap " + std::to_string(anchor[c]) +
                                  " outside the kernel (size " + std::to_string(k) + ")");
    if (opt.mode == Mode::valid && n < ke)
      throw std::invalid_argument(
          "in1: in 'valid' mode the input must be at least as large as the dilated kernel "
          "along every convolved axis (" +
          std::to_string(n) + " < " + std::to_string(ke) + ")");
    const index_t len = opt.mode == Mode::full   ? checked_add(n, ke - 1, "output")
                        : opt.mode == Mode::same ? n
                                                 : n - ke + 1;
    const index_t start =
        detail::mode_start(opt.mode, opt.anchor_rule, anchor[c], ke, d, flip_kernel);
    g.start[a] = start;
    g.stride[a] = s;
    g.dilation[a] = d;
    g.out_shape[a] = (len - 1) / s + 1;
    total = checked_mul(total, g.out_shape[a], "output");
  }
  (void)total;  // computed only to reject sizes that overflow
  return g;
}

template <class T>
void run(View<const T> in, View<const T> kernel, View<T> out, const ConvOptions& opt, T fill,
         bool flip_kernel) {
  check_view(in, "in1");
  check_view(kernel, "in2");
  check_view(out, "out");
  const Geometry g = plan_geometry(in.shape, kernel.shape, opt, flip_kernel);
  if (!std::equal(out.shape.begin(), out.shape.end(), g.out_shape.begin(),
                  g.out_shape.begin() + g.rank))
    throw std::invalid_argument("out: has shape " + shape_str(out.shape) +
                                ", the result has shape " + shape_str(g.shape()));
  if (may_overlap(out, in) || may_overlap(out, kernel))
    throw std::invalid_argument("out: must not overlap in1 or in2");
  if (out.size() == 0) return;

  std::array<detail::AxisParams, kMaxRank> params;
  for (int a = 0; a < in.ndim(); ++a) {
    const index_t ke = g.dilation[a] * (kernel.shape[a] - 1) + 1;
    params[a] = {g.convolved[a], g.stride[a], g.dilation[a], g.start[a] - (ke - 1)};
  }
  // Convolution is correlation with the flipped kernel; scipy's
  // correlation conjugates the kernel.
  detail::execute<T>(in, kernel, out, params.data(), flip_kernel, !flip_kernel, opt.boundary, fill,
                     opt.threads);
}

}  // namespace

std::vector<index_t> output_shape(const std::vector<index_t>& in_shape,
                                  const std::vector<index_t>& kernel_shape,
                                  const ConvOptions& options) {
  return plan_geometry(in_shape, kernel_shape, options, true).shape();
}

template <class T>
void convolve(View<const T> in, View<const T> kernel, View<T> out, const ConvOptions& options,
              T fillvalue) {
  run<T>(in, kernel, out, options, fillvalue, /*flip_kernel=*/true);
}

template <class T>
void correlate(View<const T> in, View<const T> kernel, View<T> out, const ConvOptions& options,
               T fillvalue) {
  run<T>(in, kernel, out, options, fillvalue, /*flip_kernel=*/false);
}

#define FASTCONV_INSTANTIATE(T)                                                            \
  template void convolve<T>(View<const T>, View<const T>, View<T>, const ConvOptions&, T); \
  template void correlate<T>(View<const T>, View<const T>, View<T>, const ConvOptions&, T);
FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_INSTANTIATE)
#undef FASTCONV_INSTANTIATE

}  // namespace fastconv
