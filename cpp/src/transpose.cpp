// Transposed convolution as a gather per output phase (the rule is in
// phases.hpp): each phase is an ordinary correlation of `in` with a
// flipped sub-kernel, written to a strided view of `out` -- the engine's
// SIMD and threads do the rest.
#include "fastconv/transpose.hpp"

#include <array>
#include <complex>
#include <cstdint>
#include <string>
#include <type_traits>

#include "execute.hpp"
#include "fastconv/nn.hpp"
#include "phases.hpp"
#include "scalar.hpp"

namespace fastconv {

namespace {

using detail::kMaxRank;

using TransposePlan = ConvTransposePlan;

index_t checked(bool overflow, index_t v) {
  if (overflow) throw std::invalid_argument("conv_transpose: result size overflows");
  return v;
}

TransposePlan plan(const std::vector<index_t>& in_shape, const std::vector<index_t>& k_shape,
                   const TransposeOptions& o) {
  TransposePlan p;
  p.rank = static_cast<int>(in_shape.size());
  p.naxes = static_cast<int>(k_shape.size());
  if (p.naxes < 1) throw std::invalid_argument("in2: the kernel needs at least one dimension");
  if (p.rank > kMaxRank) throw std::invalid_argument("in1: more than 64 dimensions");
  if (p.rank < p.naxes)
    throw std::invalid_argument("in1: has fewer dimensions than the kernel in2");
  std::vector<index_t> axes = o.axes;
  if (axes.empty())
    for (int i = 0; i < p.naxes; ++i) axes.push_back(p.rank - p.naxes + i);
  if (static_cast<int>(axes.size()) != p.naxes)
    throw std::invalid_argument("axes: expected one axis per kernel axis");
  const auto s = detail::expand_per_axis(o.stride, p.naxes, "stride", 1, 1);
  const auto d = detail::expand_per_axis(o.dilation, p.naxes, "dilation", 1, 1);
  const auto pad = detail::expand_per_axis(o.padding, p.naxes, "padding", 0, 0);
  const auto opad = detail::expand_per_axis(o.output_padding, p.naxes, "output_padding", 0, 0);
  p.kernel_axis.fill(-1);
  p.threads = o.threads;
  for (int a = 0; a < p.rank; ++a) p.shape[a] = in_shape[a];
  for (int i = 0; i < p.naxes; ++i) {
    index_t a = axes[i] < 0 ? axes[i] + p.rank : axes[i];
    if (a < 0 || a >= p.rank)
      throw std::invalid_argument("axes: axis " + std::to_string(axes[i]) +
                                  " exceeds dimensionality of input");
    if (p.kernel_axis[a] >= 0) throw std::invalid_argument("axes: all axes must be unique");
    p.kernel_axis[a] = i;
    if (opad[i] >= std::max(s[i], d[i]))
      throw std::invalid_argument("output_padding: must be smaller than stride or dilation");
    const index_t n = in_shape[a], k = k_shape[i];
    if (k < 1) throw std::invalid_argument("in2: empty kernel");
    index_t len = 0;
    if (n > 0) {
      // (n-1)*s - 2*pad + d*(k-1) + 1 + opad, refusing sizes that overflow
      index_t t1, t2, t3;
      checked(__builtin_mul_overflow(n - 1, s[i], &t1), 0);
      checked(__builtin_mul_overflow(d[i], k - 1, &t2), 0);
      checked(__builtin_add_overflow(t1, t2, &t3), 0);
      len = t3 + 1 + opad[i] - 2 * pad[i];
      if (len < 1)
        throw std::invalid_argument("padding: too large, the result would have length " +
                                    std::to_string(len));
    }
    p.t[i] = {static_cast<int>(a), n, k, s[i], d[i], pad[i], opad[i], len};
    p.shape[a] = len;
  }
  index_t total = 1;
  for (int a = 0; a < p.rank; ++a) checked(__builtin_mul_overflow(total, p.shape[a], &total), 0);
  return p;
}

// The batch axes of `v` (those not transposed) as one axis of
// v.strides[first] per step and `count` steps, or false if they do not
// merge into one.
template <class V>
bool merged_batch(const V& v, const TransposePlan& p, index_t& count, index_t& stride) {
  count = 1;
  stride = 0;
  index_t next = -1;  // the batch axis after the current one
  for (int a = p.rank - 1; a >= 0; --a) {
    if (p.kernel_axis[a] >= 0 || v.shape[a] == 1) continue;
    if (next >= 0 && v.strides[a] != v.strides[next] * v.shape[next]) return false;
    if (next < 0) stride = v.strides[a];
    count *= v.shape[a];
    next = a;
  }
  return true;
}

// float and double on the CNN layer's kernels (one channel: the narrow
// and paired kernels store whole vectors at stride 2), when the batch axes
// merge into the layer's N axis; false otherwise.
template <class T>
bool transpose_as_layer(const View<const T>& in, const View<const T>& kernel, const View<T>& out,
                        const TransposePlan& p) {
  if constexpr (!std::is_same_v<T, float> && !std::is_same_v<T, double>) {
    return false;
  } else {
    // (a kernel holding Inf or NaN stays on the engine, which adds no
    // 0 * Inf term for the outside of the input; the layer would)
    const index_t rows = p.naxes == 2 ? kernel.shape[0] : 1, cols = kernel.shape[p.naxes - 1];
    const index_t row_step = p.naxes == 2 ? kernel.strides[0] : 0;
    for (index_t i = 0; i < rows; ++i)
      for (index_t j = 0; j < cols; ++j)
        if (!detail::is_finite(kernel.data[i * row_step + j * kernel.strides[p.naxes - 1]]))
          return false;
    index_t n_in, s_in, n_out, s_out;
    if (!merged_batch(in, p, n_in, s_in) || !merged_batch(out, p, n_out, s_out)) return false;
    // (N, 1, [H,] W) views of the transposed axes in kernel order
    auto layer_view = [&](auto v, index_t n, index_t stride) {
      decltype(v) l(v.data, {n, 1}, {stride, 0});
      for (int i = 0; i < p.naxes; ++i) {
        l.shape.push_back(v.shape[p.t[i].axis]);
        l.strides.push_back(v.strides[p.t[i].axis]);
      }
      return l;
    };
    View<const T> k(kernel.data, {1, 1}, {0, 0});
    for (int i = 0; i < p.naxes; ++i) {
      k.shape.push_back(kernel.shape[i]);
      k.strides.push_back(kernel.strides[i]);
    }
    ConvTransposeLayerOptions lo;
    for (int i = 0; i < p.naxes; ++i) {
      lo.stride.push_back(p.t[i].s);
      lo.dilation.push_back(p.t[i].d);
      lo.padding.push_back(p.t[i].pad);
      lo.output_padding.push_back(p.t[i].opad);
    }
    lo.threads = p.threads;
    const View<const T> x = layer_view(in, n_in, s_in), no_bias;
    const View<T> y = layer_view(out, n_out, s_out);
    if (p.naxes == 1)
      conv_transpose1d<T>(x, k, no_bias, y, lo);
    else
      conv_transpose2d<T>(x, k, no_bias, y, lo);
    return true;
  }
}

}  // namespace

std::vector<index_t> ConvTransposePlan::out_shape() const {
  return {shape.begin(), shape.begin() + rank};
}

ConvTransposePlan plan_conv_transpose(const std::vector<index_t>& in_shape,
                                      const std::vector<index_t>& kernel_shape,
                                      const TransposeOptions& options) {
  return plan(in_shape, kernel_shape, options);
}

std::vector<index_t> conv_transpose_shape(const std::vector<index_t>& in_shape,
                                          const std::vector<index_t>& kernel_shape,
                                          const TransposeOptions& options) {
  return plan(in_shape, kernel_shape, options).out_shape();
}

template <class T>
void conv_transpose(View<const T> in, View<const T> kernel, View<T> out,
                    const TransposeOptions& options) {
  const TransposePlan p = plan(in.shape, kernel.shape, options);
  conv_transpose<T>(p, std::move(in), std::move(kernel), std::move(out));
}

template <class T>
void conv_transpose(const ConvTransposePlan& p, View<const T> in, View<const T> kernel,
                    View<T> out) {
  detail::check_view(in, "in1");
  detail::check_view(kernel, "in2");
  detail::check_view(out, "out");
  bool planned = in.ndim() == p.rank && kernel.ndim() == p.naxes;
  for (int a = 0; planned && a < p.rank; ++a)
    planned = p.kernel_axis[a] >= 0 ? in.shape[a] == p.t[p.kernel_axis[a]].n &&
                                          kernel.shape[p.kernel_axis[a]] == p.t[p.kernel_axis[a]].k
                                    : in.shape[a] == p.shape[a];
  if (!planned)
    throw std::invalid_argument("in1/in2: shapes " + detail::shape_str(in.shape) + " and " +
                                detail::shape_str(kernel.shape) + " are not the plan's");
  if (!std::equal(out.shape.begin(), out.shape.end(), p.shape.begin(), p.shape.begin() + p.rank))
    throw std::invalid_argument("out: has shape " + detail::shape_str(out.shape) +
                                ", the result has shape " +
                                detail::shape_str({p.shape.begin(), p.shape.begin() + p.rank}));
  if (detail::may_overlap(out, in) || detail::may_overlap(out, kernel))
    throw std::invalid_argument("out: must not overlap in1 or in2");
  if (out.size() == 0) return;
  if (in.size() == 0) return;  // (only batch axes can be empty when out is not)
  if (p.naxes <= 2 && transpose_as_layer(in, kernel, out, p)) return;

  // Phases: every combination of phi_i in [0, min(s_i, out_i)).
  std::array<index_t, kMaxRank> nphase{}, phi{};
  index_t phases = 1;
  for (int i = 0; i < p.naxes; ++i) {
    nphase[i] = std::min(p.t[i].s, p.t[i].out);
    phases *= nphase[i];
  }
  for (index_t ph = 0; ph < phases; ++ph) {
    index_t rem = ph;
    for (int i = p.naxes - 1; i >= 0; --i) {
      phi[i] = rem % nphase[i];
      rem /= nphase[i];
    }

    // Views of this phase: out[phi::s] and the flipped sub-kernel.
    View<T> o = out;
    View<const T> kv(kernel.data, std::vector<index_t>(p.rank, 1), std::vector<index_t>(p.rank, 0));
    std::array<detail::AxisParams, kMaxRank> params{};
    bool empty_phase = false;
    for (int a = 0; a < p.rank; ++a) params[a] = {false, 1, 1, 0};
    for (int i = 0; i < p.naxes; ++i) {
      const ConvTransposePlan::Axis& t = p.t[i];
      const detail::OutputPhase ph = detail::output_phase(phi[i], t.k, t.s, t.d, t.pad, t.out);
      o.data += phi[i] * out.strides[t.axis];
      o.shape[t.axis] = ph.count;
      o.strides[t.axis] = out.strides[t.axis] * t.s;
      if (ph.taps == 0) {
        empty_phase = true;
        continue;
      }
      // the sub-kernel k[j0::kstep], which the engine flips
      kv.data += ph.j0 * kernel.strides[i];
      kv.shape[t.axis] = ph.taps;
      kv.strides[t.axis] = kernel.strides[i] * ph.kstep;
      params[t.axis] = {true, 1, ph.dilation, ph.offset};
    }
    if (empty_phase) {
      // No tap reaches these outputs: zeros.
      detail::fill_view(o, T(0));
      continue;
    }
    if (o.size() == 0) continue;
    detail::execute<T>(in, kv, o, params.data(), /*flip_kernel=*/true, /*conj_kernel=*/false,
                       Boundary::fill, T(0), p.threads);
  }
}

#define FASTCONV_INSTANTIATE(T)                                                                    \
  template void conv_transpose<T>(View<const T>, View<const T>, View<T>, const TransposeOptions&); \
  template void conv_transpose<T>(const ConvTransposePlan&, View<const T>, View<const T>, View<T>);
FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_INSTANTIATE)
#undef FASTCONV_INSTANTIATE

}  // namespace fastconv
