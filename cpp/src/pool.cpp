// Max-pooling with indices, max-unpooling and average pooling (see
// fastconv/pool.hpp).
#include "fastconv/pool.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "execute.hpp"
#include "kernels/kernels.hpp"
#include "parallel.hpp"

namespace fastconv {

namespace {

using PoolAxis = PoolGeometry::Axis;
using PoolPlan = PoolGeometry;

[[noreturn]] void overflow() { throw std::invalid_argument("input: result size overflows"); }

index_t floor_div(index_t a, index_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// torch's pooling_output_shape, with overflow checks.
index_t pooled_length(const PoolAxis& a, bool ceil_mode, const char* axis) {
  index_t span, twice_pad, num;
  if (__builtin_mul_overflow(a.d, a.k - 1, &span) || __builtin_mul_overflow(a.p, 2, &twice_pad) ||
      __builtin_add_overflow(a.n, twice_pad, &num) || __builtin_sub_overflow(num, span + 1, &num))
    overflow();
  if (ceil_mode && __builtin_add_overflow(num, a.s - 1, &num)) overflow();
  index_t out = floor_div(num, a.s) + 1;
  // The last window must start inside the input or the left padding.
  if (ceil_mode && out > 0 && (out - 1) * a.s >= a.n + a.p) --out;
  if (out < 1)
    throw std::invalid_argument("input: too small for the pooling window along axis " +
                                std::string(axis) + ": output size would be " +
                                std::to_string(out));
  return out;
}

// The number of pooled axes, after checking kernel_size against the input.
int pooled_axes(const std::vector<index_t>& in_shape, const PoolOptions& o) {
  const int naxes = static_cast<int>(o.kernel_size.size());
  if (naxes < 1 || naxes > 2)
    throw std::invalid_argument("kernel_size: expected 1 or 2 values (pooled axes), got " +
                                std::to_string(naxes));
  if (static_cast<int>(in_shape.size()) < naxes)
    throw std::invalid_argument("input: fewer dimensions than pooled axes");
  for (index_t k : o.kernel_size)
    if (k < 1) throw std::invalid_argument("kernel_size: must be >= 1, got " + std::to_string(k));
  return naxes;
}

// The planes (leading axes) of a pooling over the last `naxes` axes; the
// pooled axes are left for the caller to fill.
PoolPlan leading_planes(const std::vector<index_t>& in_shape, int naxes, int threads) {
  PoolPlan p;
  p.in_shape = in_shape;
  p.naxes = naxes;
  p.threads = threads;
  for (int a = 0; a < static_cast<int>(in_shape.size()) - naxes; ++a) {
    if (in_shape[a] < 0) throw std::invalid_argument("input: negative extent");
    if (__builtin_mul_overflow(p.planes, in_shape[a], &p.planes)) overflow();
  }
  return p;
}

PoolPlan plan(const std::vector<index_t>& in_shape, const PoolOptions& o) {
  const int naxes = pooled_axes(in_shape, o);
  PoolPlan p = leading_planes(in_shape, naxes, o.threads);
  const int rank = static_cast<int>(in_shape.size());
  const auto s =
      detail::expand_per_axis(o.stride.empty() ? o.kernel_size : o.stride, naxes, "stride", 1, 1);
  const auto pad = detail::expand_per_axis(o.padding, naxes, "padding", 0, 0);
  const auto d = detail::expand_per_axis(o.dilation, naxes, "dilation", 1, 1);
  for (int i = 0; i < naxes; ++i) {
    PoolAxis& a = (naxes == 2 && i == 0) ? p.row : p.col;
    a.n = in_shape[rank - naxes + i];
    a.k = o.kernel_size[i];
    a.s = s[i];
    a.p = pad[i];
    a.d = d[i];
    if (2 * a.p > a.k)
      throw std::invalid_argument("padding: must be at most half of kernel_size, got padding=" +
                                  std::to_string(a.p) + " and kernel_size=" + std::to_string(a.k));
    a.out = pooled_length(a, o.ceil_mode, std::to_string(i - naxes).c_str());
  }
  return p;
}

// The first tap of a window starting at `first` that is not in the left
// padding, and the end of its taps (exclusive) clipped to the input.
struct Window {
  index_t begin, end;
};

Window window(const PoolAxis& a, index_t o) {
  const index_t first = o * a.s - a.p;
  index_t begin = first;
  if (begin < 0) begin += (-begin + a.d - 1) / a.d * a.d;
  return {begin, std::min(first + (a.k - 1) * a.d + 1, a.n)};
}

// Offset of plane `plane` (row-major over the leading axes) in a view.
template <class T>
index_t plane_offset(const View<T>& v, int leading, index_t plane) {
  index_t off = 0;
  for (int a = leading - 1; a >= 0; --a) {
    off += plane % v.shape[a] * v.strides[a];
    plane /= v.shape[a];
  }
  return off;
}

template <class T>
constexpr T lowest() {
  return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                              : std::numeric_limits<T>::lowest();
}

// A NaN beats everything (and a later NaN an earlier one, as torch);
// otherwise only a strictly larger value wins, so ties keep the first.
template <class T>
inline bool beats(T v, T best) {
  return v > best || v != v;
}

// The outputs [lo, hi) whose windows lie wholly inside the input.
std::pair<index_t, index_t> inside(const PoolAxis& a) {
  const index_t lo = (a.p + a.s - 1) / a.s;
  const index_t last = a.n - 1 - (a.k - 1) * a.d + a.p;  // o*s <= last
  const index_t hi = last >= 0 ? std::min(last / a.s + 1, a.out) : 0;
  return {std::min(lo, a.out), std::max(lo, hi)};
}

void check_shape(const std::vector<index_t>& got, const std::vector<index_t>& want,
                 const char* name) {
  if (got != want) throw std::invalid_argument(std::string(name) + ": wrong shape");
}

void check_planned_input(const PoolGeometry& p, const std::vector<index_t>& shape) {
  if (shape != p.in_shape)
    throw std::invalid_argument("input: shape " + detail::shape_str(shape) + " is not the plan's " +
                                detail::shape_str(p.in_shape));
}

// A view's strides along the pooled rows (0 for a 1-D pooling) and columns.
template <class T>
std::pair<index_t, index_t> pooled_strides(const View<T>& v, int naxes) {
  const int rank = v.ndim();
  return {naxes == 2 ? v.strides[rank - 2] : 0, v.strides[rank - 1]};
}

constexpr index_t kPoolRows = 8;        // output rows per task
constexpr index_t kPoolColumns = 4096;  // output columns per task

}  // namespace

std::vector<index_t> PoolGeometry::out_shape() const {
  std::vector<index_t> shape(in_shape.begin(), in_shape.end() - naxes);
  if (naxes == 2) shape.push_back(row.out);
  shape.push_back(col.out);
  return shape;
}

MaxPoolPlan plan_max_pool(const std::vector<index_t>& in_shape, const PoolOptions& options) {
  return MaxPoolPlan{plan(in_shape, options)};
}

std::vector<index_t> max_pool_shape(const std::vector<index_t>& in_shape,
                                    const PoolOptions& options) {
  return plan(in_shape, options).out_shape();
}

template <class T>
void max_pool(View<const T> in, View<T> out, View<std::int64_t> indices,
              const PoolOptions& options) {
  const MaxPoolPlan p = plan_max_pool(in.shape, options);
  max_pool<T>(p, std::move(in), std::move(out), std::move(indices));
}

template <class T>
void max_pool(const MaxPoolPlan& p, View<const T> in, View<T> out, View<std::int64_t> indices) {
  check_planned_input(p, in.shape);
  const std::vector<index_t> shape = p.out_shape();
  check_shape(out.shape, shape, "out");
  const bool with_indices = indices.data != nullptr;
  if (with_indices) check_shape(indices.shape, shape, "indices");

  const int naxes = p.naxes;
  const int leading = static_cast<int>(p.in_shape.size()) - naxes;
  // (std::tie, not structured bindings: those cannot be captured in C++17)
  index_t in_rs, in_cs, out_rs, out_cs, idx_rs = 0, idx_cs = 0;
  std::tie(in_rs, in_cs) = pooled_strides(in, naxes);
  std::tie(out_rs, out_cs) = pooled_strides(out, naxes);
  if (with_indices) std::tie(idx_rs, idx_cs) = pooled_strides(indices, naxes);
  const PoolAxis row = p.row, col = p.col;

  // The row kernel takes the outputs whose column windows lie inside the
  // input, from contiguous rows into contiguous rows; the loop below the rest.
  const bool contiguous = in_cs == 1 && out_cs == 1 && (!with_indices || idx_cs == 1);
  const auto col_inside = inside(col);
  const kernels::MaxPoolRowKernel<T> pool_row =
      kernels::max_pool_row_kernel<T>(kernels::active_table());

  const index_t row_blocks = (row.out + kPoolRows - 1) / kPoolRows;
  const index_t col_blocks = (col.out + kPoolColumns - 1) / kPoolColumns;
  const index_t tasks = p.planes * row_blocks * col_blocks;
  if (tasks == 0) return;
  const int threads =
      detail::resolve_threads(p.threads, p.planes * row.out * col.out, row.k * col.k);
  detail::parallel_tasks(tasks, threads, [&](const detail::TaskLoop& loop) {
    loop([&](index_t task) {
      const index_t plane = task / (row_blocks * col_blocks);
      const index_t rb = task / col_blocks % row_blocks, cb = task % col_blocks;
      const T* src = in.data + plane_offset(in, leading, plane);
      T* dst = out.data + plane_offset(out, leading, plane);
      std::int64_t* idx =
          with_indices ? indices.data + plane_offset(indices, leading, plane) : nullptr;
      // One output by the general loop; the index tracked only if wanted.
      auto pool_one = [&](auto track, index_t orow, const Window& rw, index_t oc) {
        const Window cw = window(col, oc);
        T best = lowest<T>();
        index_t best_at = rw.begin * col.n + cw.begin;
        for (index_t r = rw.begin; r < rw.end; r += row.d) {
          const T* line = src + r * in_rs;
          for (index_t c = cw.begin; c < cw.end; c += col.d) {
            // Selects, not branches: on real data the winner is random.
            const T v = line[c * in_cs];
            const bool wins = beats(v, best);
            best = wins ? v : best;
            if constexpr (decltype(track)::value) best_at = wins ? r * col.n + c : best_at;
          }
        }
        dst[orow * out_rs + oc * out_cs] = best;
        if constexpr (decltype(track)::value) idx[orow * idx_rs + oc * idx_cs] = best_at;
      };
      auto pool_range = [&](index_t orow, const Window& rw, index_t lo, index_t hi) {
        for (index_t oc = lo; oc < hi; ++oc) {
          if (idx)
            pool_one(std::true_type{}, orow, rw, oc);
          else
            pool_one(std::false_type{}, orow, rw, oc);
        }
      };
      const index_t oc_begin = cb * kPoolColumns;
      const index_t oc_end = std::min(col.out, (cb + 1) * kPoolColumns);
      for (index_t orow = rb * kPoolRows; orow < std::min(row.out, (rb + 1) * kPoolRows); ++orow) {
        const Window rw = window(row, orow);
        index_t lo = oc_end, hi = oc_end;  // the columns pool_row takes
        if (contiguous && rw.end > rw.begin) {
          lo = std::clamp(col_inside.first, oc_begin, oc_end);
          hi = std::clamp(col_inside.second, lo, oc_end);
        }
        pool_range(orow, rw, oc_begin, lo);
        if (hi > lo) {
          const index_t c0 = lo * col.s - col.p;
          kernels::MaxPoolRowTask<T> t;
          t.x = src + rw.begin * in_rs + c0;
          t.x_after = col.n - c0;
          t.depths = 1;
          t.depth_step = 0;
          t.rows = (rw.end - rw.begin + row.d - 1) / row.d;
          t.row_step = row.d * in_rs;
          t.kw = col.k;
          t.dilation = col.d;
          t.stride = col.s;
          t.count = hi - lo;
          t.out = dst + orow * out_rs + lo;
          t.idx = idx ? idx + orow * idx_rs + lo : nullptr;
          t.at0 = rw.begin * col.n + c0;
          t.depth_at_step = 0;
          t.row_at_step = row.d * col.n;
          pool_row(t);
        }
        pool_range(orow, rw, hi, oc_end);
      }
    });
  });
}

std::vector<index_t> max_unpool_shape(const std::vector<index_t>& in_shape,
                                      const PoolOptions& options,
                                      const std::vector<index_t>& output_size) {
  const int naxes = pooled_axes(in_shape, options);
  const int rank = static_cast<int>(in_shape.size());
  const auto s = detail::expand_per_axis(
      options.stride.empty() ? options.kernel_size : options.stride, naxes, "stride", 1, 1);
  const auto pad = detail::expand_per_axis(options.padding, naxes, "padding", 0, 0);
  std::vector<index_t> shape(in_shape.begin(), in_shape.end() - naxes);
  std::vector<index_t> wanted = output_size;
  if (static_cast<int>(wanted.size()) == rank) {
    if (!std::equal(shape.begin(), shape.end(), wanted.begin()))
      throw std::invalid_argument("output_size: the leading axes must match the input's");
    wanted.erase(wanted.begin(), wanted.begin() + (rank - naxes));
  }
  if (!wanted.empty() && static_cast<int>(wanted.size()) != naxes)
    throw std::invalid_argument("output_size: expected " + std::to_string(naxes) + " or " +
                                std::to_string(rank) + " values, got " +
                                std::to_string(output_size.size()));
  for (int i = 0; i < naxes; ++i) {
    const index_t n = in_shape[rank - naxes + i];
    // (n - 1) * s - 2p + k
    index_t dflt, twice_pad;
    if (n < 0 || __builtin_mul_overflow(n > 0 ? n - 1 : 0, s[i], &dflt) ||
        __builtin_mul_overflow(pad[i], 2, &twice_pad) ||
        __builtin_add_overflow(dflt - twice_pad, options.kernel_size[i], &dflt))
      overflow();
    if (n == 0) dflt = 0;
    if (wanted.empty()) {
      if (dflt < 0) throw std::invalid_argument("padding: too large for the input");
      shape.push_back(dflt);
      continue;
    }
    // torch's range (dflt - s, dflt + s), clipped to what an extent can be.
    const index_t got = wanted[i];
    index_t lo, hi;
    if (__builtin_sub_overflow(dflt, s[i] - 1, &lo) || lo < 0) lo = 0;
    if (__builtin_add_overflow(dflt, s[i] - 1, &hi)) hi = std::numeric_limits<index_t>::max();
    if (got < lo || got > hi) {
      // Named by the pooled axis and its place in the output (with a whole
      // shape given, a bare "dimension 0" would read as the batch axis).
      const char* axis = naxes == 1 ? "L" : (i == 0 ? "H" : "W");
      throw std::invalid_argument(std::string("output_size: the pooled axis ") + axis + " (axis " +
                                  std::to_string(rank - naxes + i) +
                                  " of the output) must be between " + std::to_string(lo) +
                                  " and " + std::to_string(hi) + ", got " + std::to_string(got));
    }
    shape.push_back(got);
  }
  return shape;
}

template <class T>
void max_unpool(View<const T> in, View<const std::int64_t> indices, View<T> out, int pooled_axes,
                int threads_requested) {
  const int rank = in.ndim();
  if (pooled_axes < 1 || pooled_axes > 2 || rank < pooled_axes)
    throw std::invalid_argument("max_unpool: expected 1 or 2 pooled axes");
  check_shape(indices.shape, in.shape, "indices");
  if (out.ndim() != rank ||
      !std::equal(in.shape.begin(), in.shape.end() - pooled_axes, out.shape.begin()))
    throw std::invalid_argument("out: the leading axes must match the input's");
  const int leading = rank - pooled_axes;
  index_t planes = 1;
  for (int a = 0; a < leading; ++a) planes *= in.shape[a];
  const index_t in_rows = pooled_axes == 2 ? in.shape[rank - 2] : 1;
  const index_t in_cols = in.shape[rank - 1];
  const index_t out_rows = pooled_axes == 2 ? out.shape[rank - 2] : 1;
  const index_t out_cols = out.shape[rank - 1];
  const index_t plane_size = out_rows * out_cols;
  auto stride = [&](const auto& v, int from_end) {
    return pooled_axes >= from_end ? v.strides[rank - from_end] : index_t(0);
  };
  const index_t in_rs = stride(in, 2), in_cs = stride(in, 1);
  const index_t ix_rs = stride(indices, 2), ix_cs = stride(indices, 1);
  const index_t out_rs = stride(out, 2), out_cs = stride(out, 1);
  // (rows one after the other: the flat index is the offset, no division)
  const bool flat_rows = out_rows == 1 || out_rs == out_cols * out_cs;

  // An out-of-plane index stops its plane; the first one (in row-major
  // order over planes) is reported, whatever the number of threads.
  std::vector<std::int64_t> bad(static_cast<size_t>(planes), -1);
  std::vector<char> has_bad(static_cast<size_t>(planes), 0);
  const int threads =
      detail::resolve_threads(threads_requested, planes * (plane_size + in_rows * in_cols), 1);
  detail::parallel_tasks(planes, threads, [&](const detail::TaskLoop& loop) {
    loop([&](index_t plane) {
      const T* src = in.data + plane_offset(in, leading, plane);
      const std::int64_t* ix = indices.data + plane_offset(indices, leading, plane);
      T* dst = out.data + plane_offset(out, leading, plane);
      for (index_t r = 0; r < out_rows; ++r)
        for (index_t c = 0; c < out_cols; ++c) dst[r * out_rs + c * out_cs] = T(0);
      for (index_t r = 0; r < in_rows; ++r) {
        for (index_t c = 0; c < in_cols; ++c) {
          const std::int64_t at = ix[r * ix_rs + c * ix_cs];
          if (at < 0 || at >= plane_size) {
            bad[plane] = at;
            has_bad[plane] = 1;
            return;
          }
          const index_t to =
              flat_rows ? at * out_cs : at / out_cols * out_rs + at % out_cols * out_cs;
          dst[to] = src[r * in_rs + c * in_cs];
        }
      }
    });
  });
  for (index_t plane = 0; plane < planes; ++plane)
    if (has_bad[plane])
      throw std::invalid_argument(
          "indices: index " + std::to_string(bad[plane]) + " is outside the output plane of size " +
          (pooled_axes == 2 ? std::to_string(out_rows) + "x" : "") + std::to_string(out_cols));
}

// --- Average pooling ---------------------------------------------------------

namespace {

// The taps of an average-pooling window inside the input, [begin, end)
// (empty when end <= begin), and the window's factor of the divisor.
struct AvgWindow {
  index_t begin, end, size;
};

AvgWindow avg_window(const AvgPoolPlan& p, const PoolAxis& a, index_t o) {
  if (p.adaptive) {
    // [floor(o*n/out), ceil((o+1)*n/out)); the products fit (plan checks).
    const index_t begin = o * a.n / a.out;
    const index_t end = ((o + 1) * a.n + a.out - 1) / a.out;
    return {begin, end, end - begin};
  }
  const index_t first = o * a.s - a.p;
  const index_t last = std::min(first + a.k, a.n + a.p);  // clipped to the padded extent
  const index_t begin = std::max<index_t>(first, 0), end = std::min(last, a.n);
  return {begin, end, p.count_include_pad ? last - first : std::max<index_t>(end - begin, 0)};
}

constexpr int kAvgPlanes = 8;  // planes per average-pooling task

// Integers sum with wrap-around (unsigned arithmetic), floats in their type.
template <class T>
using AvgSum = std::conditional_t<std::is_integral_v<T>, std::uint64_t, T>;

// sum / divisor as torch computes it: in T, an integer quotient rounded
// toward zero.
template <class T>
T divide(AvgSum<T> sum, index_t divisor) {
  if constexpr (std::is_integral_v<T>) {
    if (divisor == -1) return static_cast<T>(std::uint64_t(0) - sum);  // INT64_MIN / -1 wraps
    return static_cast<T>(static_cast<T>(sum) / divisor);
  } else {
    return sum / static_cast<T>(divisor);
  }
}

// sums[i] += x[i * step]: element by element, so each sum's order is kept
// (a unit step is the contiguous loop the compiler vectorises).
template <class Sum, class T>
void add_strided(Sum* __restrict sums, const T* __restrict x, index_t count, index_t step) {
  if (step == 1) {
    for (index_t i = 0; i < count; ++i) sums[i] += static_cast<Sum>(x[i]);
  } else {
    for (index_t i = 0; i < count; ++i) sums[i] += static_cast<Sum>(x[i * step]);
  }
}

// The average of a window's sum, divided as plan `p` says.
template <class T>
T average(const AvgPoolPlan& p, AvgSum<T> sum, const AvgWindow& rw, const AvgWindow& cw) {
  if (rw.end <= rw.begin || cw.end <= cw.begin) return T(0);  // no tap inside (torch: 0)
  if (p.divisor_override != 0) return divide<T>(sum, p.divisor_override);
  // torch divides an adaptive window's sum by its height, then its width.
  if (p.adaptive) return divide<T>(divide<T>(sum, rw.size), cw.size);
  return divide<T>(sum, rw.size * cw.size);
}

}  // namespace

AvgPoolPlan plan_avg_pool(const std::vector<index_t>& in_shape, const AvgPoolOptions& options) {
  for (index_t d : options.dilation)
    if (d != 1)
      throw std::invalid_argument("dilation: average pooling takes none (1), got " +
                                  std::to_string(d));
  AvgPoolPlan p{plan(in_shape, options)};
  p.count_include_pad = options.count_include_pad;
  p.divisor_override = options.divisor_override;
  return p;
}

AvgPoolPlan plan_adaptive_avg_pool(const std::vector<index_t>& in_shape,
                                   const std::vector<index_t>& output_size, int threads) {
  const int naxes = static_cast<int>(output_size.size());
  if (naxes < 1 || naxes > 2)
    throw std::invalid_argument("output_size: expected 1 or 2 values (pooled axes), got " +
                                std::to_string(naxes));
  const int rank = static_cast<int>(in_shape.size());
  if (rank < naxes) throw std::invalid_argument("input: fewer dimensions than pooled axes");
  AvgPoolPlan p{leading_planes(in_shape, naxes, threads)};
  p.adaptive = true;
  for (int i = 0; i < naxes; ++i) {
    PoolAxis& a = (naxes == 2 && i == 0) ? p.row : p.col;
    a.n = in_shape[rank - naxes + i];
    a.out = output_size[i];
    if (a.n < 1)
      throw std::invalid_argument("input: the pooled axes must be non-empty, got extent " +
                                  std::to_string(a.n));
    if (a.out < 0)
      throw std::invalid_argument("output_size: must be >= 0, got " + std::to_string(a.out));
    index_t product;  // the windows' bounds compute (o + 1) * n
    if (__builtin_mul_overflow(a.out + 1, a.n, &product))
      throw std::invalid_argument("output_size: too large, got " + std::to_string(a.out));
  }
  return p;
}

template <class T>
void avg_pool(const AvgPoolPlan& p, View<const T> in, View<T> out) {
  check_planned_input(p, in.shape);
  check_shape(out.shape, p.out_shape(), "out");
  using Sum = AvgSum<T>;
  const int leading = static_cast<int>(p.in_shape.size()) - p.naxes;
  index_t in_rs, in_cs, out_rs, out_cs;
  std::tie(in_rs, in_cs) = pooled_strides(in, p.naxes);
  std::tie(out_rs, out_cs) = pooled_strides(out, p.naxes);
  const PoolAxis row = p.row, col = p.col;
  // Outputs whose column windows lie wholly inside the input are summed
  // together, tap by tap over a row of sums (vectorisable): each output's
  // taps are still added in row-major order, so the bits are those of the
  // one-output loop used for the others.
  std::pair<index_t, index_t> sweep{0, 0};
  if (!p.adaptive) {
    sweep = inside(col);
    sweep.first = std::min(sweep.first, col.out);
    sweep.second = std::clamp(sweep.second, sweep.first, col.out);
  }

  // A task pools a block of planes: the one-output loop keeps one sum per
  // plane in flight (independent additions, not one long dependent chain;
  // the whole cost of a global average pool otherwise).
  const index_t plane_blocks = (p.planes + kAvgPlanes - 1) / kAvgPlanes;
  const index_t row_blocks = (row.out + kPoolRows - 1) / kPoolRows;
  const index_t tasks = plane_blocks * row_blocks;
  if (tasks == 0 || col.out == 0) return;
  const index_t taps = p.adaptive ? (row.n / row.out + 1) * (col.n / col.out + 1) : row.k * col.k;
  const int threads = detail::resolve_threads(p.threads, p.planes * row.out * col.out, taps);
  detail::parallel_tasks(tasks, threads, [&](const detail::TaskLoop& loop) {
    std::vector<Sum> sums(static_cast<size_t>(sweep.second - sweep.first));
    loop([&](index_t task) {
      const index_t first_plane = task / row_blocks * kAvgPlanes, rb = task % row_blocks;
      const int nplanes = static_cast<int>(std::min<index_t>(kAvgPlanes, p.planes - first_plane));
      // (a short block repeats its first plane: the loop stays fixed-size)
      const T* src[kAvgPlanes];
      T* dst[kAvgPlanes];
      for (int q = 0; q < kAvgPlanes; ++q) {
        const index_t plane = first_plane + (q < nplanes ? q : 0);
        src[q] = in.data + plane_offset(in, leading, plane);
        dst[q] = out.data + plane_offset(out, leading, plane);
      }
      // One output (orow, oc) of every plane of the block.
      auto pool_one = [&](index_t orow, const AvgWindow& rw, index_t oc) {
        const AvgWindow cw = avg_window(p, col, oc);
        Sum sum[kAvgPlanes] = {};
        for (index_t r = rw.begin; r < rw.end; ++r)
          for (index_t c = cw.begin; c < cw.end; ++c)
            for (int q = 0; q < kAvgPlanes; ++q)
              sum[q] += static_cast<Sum>(src[q][r * in_rs + c * in_cs]);
        for (int q = 0; q < nplanes; ++q)
          dst[q][orow * out_rs + oc * out_cs] = average<T>(p, sum[q], rw, cw);
      };
      for (index_t orow = rb * kPoolRows; orow < std::min(row.out, (rb + 1) * kPoolRows); ++orow) {
        const AvgWindow rw = avg_window(p, row, orow);
        for (index_t oc = 0; oc < sweep.first; ++oc) pool_one(orow, rw, oc);
        const index_t count = sweep.second - sweep.first, step = col.s * in_cs;
        for (int q = 0; q < nplanes && count > 0; ++q) {
          std::fill(sums.begin(), sums.end(), Sum(0));
          for (index_t r = rw.begin; r < rw.end; ++r) {
            for (index_t j = 0; j < col.k; ++j) {
              const T* x = src[q] + r * in_rs + (sweep.first * col.s - col.p + j) * in_cs;
              add_strided(sums.data(), x, count, step);
            }
          }
          // These windows all have k columns inside the input: one divisor.
          T* line_out = dst[q] + orow * out_rs + sweep.first * out_cs;
          if (rw.end <= rw.begin) {
            for (index_t i = 0; i < count; ++i) line_out[i * out_cs] = T(0);
          } else {
            const index_t divisor = p.divisor_override != 0 ? p.divisor_override : rw.size * col.k;
            for (index_t i = 0; i < count; ++i) line_out[i * out_cs] = divide<T>(sums[i], divisor);
          }
        }
        for (index_t oc = sweep.second; oc < col.out; ++oc) pool_one(orow, rw, oc);
      }
    });
  });
}

template void avg_pool<float>(const AvgPoolPlan&, View<const float>, View<float>);
template void avg_pool<double>(const AvgPoolPlan&, View<const double>, View<double>);
template void avg_pool<long double>(const AvgPoolPlan&, View<const long double>, View<long double>);
template void avg_pool<std::int64_t>(const AvgPoolPlan&, View<const std::int64_t>,
                                     View<std::int64_t>);

#define FASTCONV_INSTANTIATE(T)                                                              \
  template void max_pool<T>(View<const T>, View<T>, View<std::int64_t>, const PoolOptions&); \
  template void max_pool<T>(const MaxPoolPlan&, View<const T>, View<T>, View<std::int64_t>); \
  template void max_unpool<T>(View<const T>, View<const std::int64_t>, View<T>, int, int);
FASTCONV_FOR_EACH_POOL_TYPE(FASTCONV_INSTANTIATE)
#undef FASTCONV_INSTANTIATE

}  // namespace fastconv
