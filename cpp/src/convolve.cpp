// Argument checks and planning: turns the user-facing options and shapes
// into a ConvPlan, and runs a plan on the engine.
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

// scipy's rule for 'valid' mode: the operand at least as large along every
// convolved axis goes first.
bool swap_for_valid(const std::vector<index_t>& s1, const std::vector<index_t>& s2,
                    const std::array<bool, kMaxRank>& convolved) {
  bool first_large = true, second_large = true;
  for (size_t a = 0; a < s1.size(); ++a) {
    if (!convolved[a]) continue;
    first_large = first_large && s1[a] >= s2[a];
    second_large = second_large && s2[a] >= s1[a];
  }
  if (!first_large && !second_large)
    throw std::invalid_argument(
        "For 'valid' mode, one must be at least as large as the other in every dimension");
  return !first_large;
}

index_t size_of(const std::vector<index_t>& shape) {
  index_t n = 1;
  for (index_t e : shape) n *= e;  // (extents checked non-negative; 0 stays 0)
  return n;
}

ConvPlan plan(const std::vector<index_t>& in1_shape, const std::vector<index_t>& in2_shape,
              const ConvOptions& opt, bool flip_kernel) {
  const size_t rank = in1_shape.size();
  if (rank == 0) throw std::invalid_argument("in1: must have at least one dimension");
  if (rank > static_cast<size_t>(kMaxRank))
    throw std::invalid_argument("in1: more than 64 dimensions");
  if (in2_shape.size() != rank)
    throw std::invalid_argument("in1 and in2 should have the same dimensionality");
  for (size_t a = 0; a < rank; ++a)
    if (in1_shape[a] < 0 || in2_shape[a] < 0)
      throw std::invalid_argument("in1/in2: negative extent");

  ConvPlan p;
  p.flip_kernel = flip_kernel;
  p.boundary = opt.boundary;
  p.threads = opt.threads;
  p.rank = static_cast<int>(rank);
  std::array<bool, kMaxRank> convolved;
  std::fill_n(convolved.begin(), rank, opt.axes.empty());
  // Per-axis parameters pair with `axes` in its order (ascending when empty).
  std::array<size_t, kMaxRank> param;
  for (size_t i = 0; i < rank; ++i) param[i] = i;
  for (size_t i = 0; i < opt.axes.size(); ++i) {
    const index_t ax = opt.axes[i];
    const index_t a = ax < 0 ? ax + static_cast<index_t>(rank) : ax;
    if (a < 0 || a >= static_cast<index_t>(rank))
      throw std::invalid_argument("axes exceeds dimensionality of input (axis " +
                                  std::to_string(ax) + ", " + std::to_string(rank) +
                                  " dimensions)");
    if (convolved[a]) throw std::invalid_argument("all axes must be unique");
    convolved[a] = true;
    param[a] = i;
  }
  const size_t nconv =
      static_cast<size_t>(std::count(convolved.begin(), convolved.begin() + rank, true));
  const AxisArray stride = detail::expand_per_axis(opt.stride, nconv, "stride", 1, 1);
  const AxisArray dilation = detail::expand_per_axis(opt.dilation, nconv, "dilation", 1, 1);
  AxisArray anchor{};
  if (opt.anchor_rule == AnchorRule::taps)  // (range checked against the kernel below)
    anchor = detail::expand_per_axis(opt.anchor, nconv, "anchor", 0,
                                     std::numeric_limits<index_t>::min());
  for (size_t a = 0; a < rank; ++a) {
    const index_t n = in1_shape[a], k = in2_shape[a];
    if (!convolved[a] && n != k && n != 1 && k != 1)
      throw std::invalid_argument("incompatible shapes for in1 and in2: " + shape_str(in1_shape) +
                                  " and " + shape_str(in2_shape) + " (batch axis " +
                                  std::to_string(a) + ")");
  }
  if (opt.swap_valid_inputs && opt.mode == Mode::valid &&
      std::all_of(stride.begin(), stride.begin() + nconv, [](index_t s) { return s == 1; }) &&
      std::all_of(dilation.begin(), dilation.begin() + nconv, [](index_t d) { return d == 1; }))
    p.swapped = swap_for_valid(in1_shape, in2_shape, convolved);
  const std::vector<index_t>& in_shape = p.swapped ? in2_shape : in1_shape;
  const std::vector<index_t>& k_shape = p.swapped ? in1_shape : in2_shape;
  const bool empty = opt.allow_empty && (size_of(in1_shape) == 0 || size_of(in2_shape) == 0);

  index_t total = 1;
  for (size_t a = 0; a < rank; ++a) {
    const index_t n = in_shape[a], k = k_shape[a];
    ConvPlan::Axis& ax = p.axis[a];
    ax.convolved = convolved[a];
    ax.in_n = n;
    ax.kernel_n = k;
    ax.stride = ax.dilation = 1;
    ax.start = 0;
    if (!ax.convolved) {
      ax.out_n = (n == 0 || k == 0) ? 0 : std::max(n, k);
      total = checked_mul(total, ax.out_n, "output");
      continue;
    }
    const size_t c = param[a];
    const index_t s = stride[c], d = dilation[c];
    ax.stride = s;
    ax.dilation = d;
    if (empty) {  // scipy's formula for the shape, clamped at 0
      const index_t ke = d * (k - 1) + 1;
      const index_t len = opt.mode == Mode::full   ? n + ke - 1
                          : opt.mode == Mode::same ? n
                                                   : n - ke + 1;
      ax.out_n = len <= 0 ? 0 : (len - 1) / s + 1;
      continue;
    }
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
    ax.start = detail::mode_start(opt.mode, opt.anchor_rule, anchor[c], ke, d, flip_kernel);
    ax.out_n = (len - 1) / s + 1;
    total = checked_mul(total, ax.out_n, "output");
  }
  (void)total;  // computed only to reject sizes that overflow
  return p;
}

template <class T>
void run(const ConvPlan& p, const View<const T>& in1, const View<const T>& in2, const View<T>& out,
         T fill) {
  check_view(in1, "in1");
  check_view(in2, "in2");
  check_view(out, "out");
  if (in1.ndim() != p.rank || in2.ndim() != p.rank || out.ndim() != p.rank)
    throw std::invalid_argument("in1, in2 and out: must have the plan's " + std::to_string(p.rank) +
                                " dimensions");
  const View<const T>& in = p.swapped ? in2 : in1;
  const View<const T>& kernel = p.swapped ? in1 : in2;
  for (int a = 0; a < p.rank; ++a)
    if (in.shape[a] != p.axis[a].in_n || kernel.shape[a] != p.axis[a].kernel_n)
      throw std::invalid_argument("in1/in2: shapes " + shape_str(in1.shape) + " and " +
                                  shape_str(in2.shape) + " are not the plan's");
  for (int a = 0; a < p.rank; ++a)
    if (out.shape[a] != p.axis[a].out_n)
      throw std::invalid_argument("out: has shape " + shape_str(out.shape) +
                                  ", the result has shape " + shape_str(p.out_shape()));
  if (may_overlap(out, in) || may_overlap(out, kernel))
    throw std::invalid_argument("out: must not overlap in1 or in2");
  if (out.size() == 0) return;
  if (in.size() == 0 || kernel.size() == 0) {  // (ConvOptions::allow_empty)
    detail::fill_view(out, T(0));              // a sum of no terms
    return;
  }

  std::array<detail::AxisParams, kMaxRank> params;
  for (int a = 0; a < p.rank; ++a) {
    const ConvPlan::Axis& ax = p.axis[a];
    const index_t ke = ax.dilation * (ax.kernel_n - 1) + 1;
    params[a] = {ax.convolved, ax.stride, ax.dilation, ax.start - (ke - 1)};
  }
  // Convolution is correlation with the flipped kernel; scipy's
  // correlation conjugates the kernel.
  detail::execute<T>(in, kernel, out, params.data(), p.flip_kernel, !p.flip_kernel, p.boundary,
                     fill, p.threads);
}

}  // namespace

std::vector<index_t> ConvPlan::out_shape() const {
  std::vector<index_t> shape(static_cast<size_t>(rank));
  for (int a = 0; a < rank; ++a) shape[a] = axis[a].out_n;
  return shape;
}

ConvPlan plan_convolve(const std::vector<index_t>& in_shape,
                       const std::vector<index_t>& kernel_shape, const ConvOptions& options) {
  return plan(in_shape, kernel_shape, options, /*flip_kernel=*/true);
}

ConvPlan plan_correlate(const std::vector<index_t>& in_shape,
                        const std::vector<index_t>& kernel_shape, const ConvOptions& options) {
  return plan(in_shape, kernel_shape, options, /*flip_kernel=*/false);
}

std::vector<index_t> output_shape(const std::vector<index_t>& in_shape,
                                  const std::vector<index_t>& kernel_shape,
                                  const ConvOptions& options) {
  return plan_convolve(in_shape, kernel_shape, options).out_shape();
}

template <class T>
void execute(const ConvPlan& plan, View<const T> in, View<const T> kernel, View<T> out,
             T fillvalue) {
  run<T>(plan, in, kernel, out, fillvalue);
}

template <class T>
void convolve(View<const T> in, View<const T> kernel, View<T> out, const ConvOptions& options,
              T fillvalue) {
  run<T>(plan_convolve(in.shape, kernel.shape, options), in, kernel, out, fillvalue);
}

template <class T>
void correlate(View<const T> in, View<const T> kernel, View<T> out, const ConvOptions& options,
               T fillvalue) {
  run<T>(plan_correlate(in.shape, kernel.shape, options), in, kernel, out, fillvalue);
}

#define FASTCONV_INSTANTIATE(T)                                                            \
  template void execute<T>(const ConvPlan&, View<const T>, View<const T>, View<T>, T);     \
  template void convolve<T>(View<const T>, View<const T>, View<T>, const ConvOptions&, T); \
  template void correlate<T>(View<const T>, View<const T>, View<T>, const ConvOptions&, T);
FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_INSTANTIATE)
#undef FASTCONV_INSTANTIATE

}  // namespace fastconv
