// Max-pooling with indices, max-unpooling and average pooling (see
// fastconv/pool.hpp).
#include "fastconv/pool.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
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
  if (naxes < 1 || naxes > 3)
    throw std::invalid_argument("kernel_size: expected 1, 2 or 3 values (pooled axes), got " +
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

// Pooled axis i of naxes: the last naxes of (depth, row, col).
PoolAxis& pooled_axis(PoolPlan& p, int naxes, int i) {
  PoolAxis* axes[3] = {&p.depth, &p.row, &p.col};
  return *axes[3 - naxes + i];
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
    PoolAxis& a = pooled_axis(p, naxes, i);
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
  // [floor(o*n/out), ceil((o+1)*n/out)); the products fit (the plan checks)
  if (a.adaptive) return {o * a.n / a.out, ((o + 1) * a.n + a.out - 1) / a.out};
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

// plane_offset of the planes of a view, without its divisions where the
// leading axes collapse into one stride (C order among themselves, the
// usual case): one call per plane of a block of planes adds up otherwise.
template <class T>
class PlaneOffsets {
 public:
  PlaneOffsets(const View<T>& v, int leading) : v_(v), leading_(leading) {
    if (leading == 0) return;
    step_ = v.strides[leading - 1];
    index_t inner = step_ * v.shape[leading - 1];  // the stride axis a must have
    for (int a = leading - 2; a >= 0; --a) {
      if (v.shape[a] != 1 && v.strides[a] != inner) uniform_ = false;
      inner *= v.shape[a];
    }
  }
  index_t operator()(index_t plane) const {
    return uniform_ ? plane * step_ : plane_offset(v_, leading_, plane);
  }
  // Whether plane q is at q * step().
  bool uniform() const { return uniform_; }
  index_t step() const { return step_; }

 private:
  const View<T>& v_;
  int leading_;
  bool uniform_ = true;
  index_t step_ = 0;
};

template <class T>
constexpr T lowest() {
  return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                              : std::numeric_limits<T>::lowest();
}

// A NaN beats everything (and a later NaN an earlier one, as torch);
// otherwise only a strictly larger value wins, so ties keep the first.
template <class T>
inline bool beats(T v, T best) {
  return (v > best) | (v != v);  // (no short circuit: a select, not a branch)
}

// c ? a : b without a branch for float and double (GCC branches on a
// float select, and on real data the winner of a tap is random: a
// mispredict every other tap).
template <class T>
inline T pick(bool c, T a, T b) {
  if constexpr (std::is_floating_point_v<T> && (sizeof(T) == 4 || sizeof(T) == 8)) {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    Bits x, y;
    std::memcpy(&x, &a, sizeof a);
    std::memcpy(&y, &b, sizeof b);
    const Bits mask = Bits(0) - Bits(c);
    const Bits r = (x & mask) | (y & ~mask);
    T t;
    std::memcpy(&t, &r, sizeof t);
    return t;
  } else {
    return c ? a : b;
  }
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

// A view's strides along the pooled depth, rows and columns (0 for an
// axis the pooling does not have).
struct PooledStrides {
  index_t depth = 0, row = 0, col = 0;
};

template <class T>
PooledStrides pooled_strides(const View<T>& v, int naxes) {
  const int rank = v.ndim();
  PooledStrides s;
  s.col = v.strides[rank - 1];
  if (naxes >= 2) s.row = v.strides[rank - 2];
  if (naxes == 3) s.depth = v.strides[rank - 3];
  return s;
}

// The plan of an adaptive pooling to output_size (one value per pooled
// axis), the pooled axes' n and out set; throws std::invalid_argument.
PoolPlan adaptive_plan(const std::vector<index_t>& in_shape,
                       const std::vector<index_t>& output_size, int threads) {
  const int naxes = static_cast<int>(output_size.size());
  if (naxes < 1 || naxes > 3)
    throw std::invalid_argument("output_size: expected 1, 2 or 3 values (pooled axes), got " +
                                std::to_string(naxes));
  const int rank = static_cast<int>(in_shape.size());
  if (rank < naxes) throw std::invalid_argument("input: fewer dimensions than pooled axes");
  PoolPlan p = leading_planes(in_shape, naxes, threads);
  for (int i = 0; i < naxes; ++i) {
    PoolAxis& a = pooled_axis(p, naxes, i);
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

constexpr index_t kPoolRows = 8;        // output rows per task
constexpr index_t kPoolColumns = 4096;  // output columns per task

}  // namespace

std::vector<index_t> PoolGeometry::out_shape() const {
  std::vector<index_t> shape(in_shape.begin(), in_shape.end() - naxes);
  if (naxes == 3) shape.push_back(depth.out);
  if (naxes >= 2) shape.push_back(row.out);
  shape.push_back(col.out);
  return shape;
}

MaxPoolPlan plan_max_pool(const std::vector<index_t>& in_shape, const PoolOptions& options) {
  return MaxPoolPlan{plan(in_shape, options)};
}

MaxPoolPlan plan_adaptive_max_pool(const std::vector<index_t>& in_shape,
                                   const std::vector<index_t>& output_size, int threads) {
  MaxPoolPlan p{adaptive_plan(in_shape, output_size, threads)};
  for (int i = 0; i < p.naxes; ++i) {
    PoolAxis& a = pooled_axis(p, p.naxes, i);
    if (a.out > 0 && a.n % a.out == 0) {
      a.k = a.s = a.n / a.out;  // equal windows side by side: a plain pooling
    } else {
      a.adaptive = true;
      a.k = a.out > 0 ? a.n / a.out + 2 : 1;  // (the longest window, for the thread count)
    }
  }
  return p;
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
  const PooledStrides is = pooled_strides(in, naxes), os = pooled_strides(out, naxes);
  const PooledStrides xs = with_indices ? pooled_strides(indices, naxes) : PooledStrides{};
  const PoolAxis depth = p.depth, row = p.row, col = p.col;

  // The row kernel takes the outputs whose column windows lie inside the
  // input, from contiguous rows into contiguous rows; the loop below the
  // rest (and adaptive columns).
  const bool contiguous =
      is.col == 1 && os.col == 1 && (!with_indices || xs.col == 1) && !col.adaptive;
  const auto col_inside = col.adaptive ? std::pair<index_t, index_t>{0, 0} : inside(col);
  const auto row_inside = row.adaptive ? std::pair<index_t, index_t>{0, 0} : inside(row);
  const kernels::MaxPoolRowKernel<T> pool_row =
      kernels::max_pool_row_kernel<T>(kernels::active_table());

  const index_t row_blocks = (row.out + kPoolRows - 1) / kPoolRows;
  const index_t col_blocks = (col.out + kPoolColumns - 1) / kPoolColumns;
  const index_t tasks = p.planes * depth.out * row_blocks * col_blocks;
  if (tasks == 0) return;
  const int threads = detail::resolve_threads(p.threads, p.planes * depth.out * row.out * col.out,
                                              depth.k * row.k * col.k);
  const index_t plane_size = row.n * col.n;  // of one depth slice
  detail::parallel_tasks(tasks, threads, [&](const detail::TaskLoop& loop) {
    loop([&](index_t task) {
      const index_t plane = task / (depth.out * row_blocks * col_blocks);
      const index_t od = task / (row_blocks * col_blocks) % depth.out;
      const index_t rb = task / col_blocks % row_blocks, cb = task % col_blocks;
      const Window dw = window(depth, od);
      const T* src = in.data + plane_offset(in, leading, plane);
      T* dst = out.data + plane_offset(out, leading, plane) + od * os.depth;
      std::int64_t* idx = with_indices
                              ? indices.data + plane_offset(indices, leading, plane) + od * xs.depth
                              : nullptr;
      // One output by the general loop; the index tracked only if wanted.
      auto pool_one = [&](auto track, index_t orow, const Window& rw, index_t oc) {
        const Window cw = window(col, oc);
        T best = lowest<T>();
        index_t best_at = (dw.begin * row.n + rw.begin) * col.n + cw.begin;
        for (index_t z = dw.begin; z < dw.end; z += depth.d) {
          for (index_t r = rw.begin; r < rw.end; r += row.d) {
            const T* line = src + z * is.depth + r * is.row;
            for (index_t c = cw.begin; c < cw.end; c += col.d) {
              // Selects, not branches: on real data the winner is random.
              const T v = line[c * is.col];
              const bool wins = beats(v, best);
              best = pick(wins, v, best);
              if constexpr (decltype(track)::value)
                best_at = wins ? z * plane_size + r * col.n + c : best_at;
            }
          }
        }
        dst[orow * os.row + oc * os.col] = best;
        if constexpr (decltype(track)::value) idx[orow * xs.row + oc * xs.col] = best_at;
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
      // The columns [lo, hi) of an output row with row window rw that
      // pool_row takes (none: lo == hi == oc_end), and whether it takes
      // column lo - 1 too (clipped: its window starts one column left of
      // the input and ends inside).
      struct KernelColumns {
        index_t lo, hi;
        bool clipped;
      };
      auto kernel_columns = [&](const Window& rw) {
        KernelColumns k{oc_end, oc_end, false};
        if (contiguous && rw.end > rw.begin && dw.end > dw.begin) {
          k.lo = std::clamp(col_inside.first, oc_begin, oc_end);
          k.hi = std::clamp(col_inside.second, k.lo, oc_end);
          k.clipped = k.hi > k.lo && k.lo > oc_begin && col.d == 1 &&
                      (k.lo - 1) * col.s - col.p == -1 && col.k - 2 < col.n;
        }
        return k;
      };
      // Columns [lo, hi) of output rows orow.. orow + nrows - 1 by pool_row,
      // their row windows rw moved down a stride per row.
      auto kernel_rows = [&](index_t orow, index_t nrows, const Window& rw,
                             const KernelColumns& k) {
        const index_t lo = k.lo, hi = k.hi;
        const index_t c0 = lo * col.s - col.p;
        kernels::MaxPoolRowTask<T> t;
        t.x = src + dw.begin * is.depth + rw.begin * is.row + c0;
        t.x_after = col.n - c0;
        t.depths = (dw.end - dw.begin + depth.d - 1) / depth.d;
        t.depth_step = depth.d * is.depth;
        t.rows = (rw.end - rw.begin + row.d - 1) / row.d;
        t.row_step = row.d * is.row;
        t.kw = col.k;
        t.dilation = col.d;
        t.stride = col.s;
        t.count = hi - lo;
        t.out = dst + orow * os.row + lo;
        t.idx = idx ? idx + orow * xs.row + lo : nullptr;
        t.at0 = dw.begin * plane_size + rw.begin * col.n + c0;
        t.depth_at_step = depth.d * plane_size;
        t.row_at_step = row.d * col.n;
        t.out_rows = nrows;
        t.x_row_step = row.s * is.row;
        t.out_row_step = os.row;
        t.idx_row_step = xs.row;
        t.at_row_step = row.s * col.n;
        t.first_clipped = k.clipped;
        pool_row(t);
      };
      // The output rows whose windows lie wholly inside the input (the same
      // taps a stride apart) are one kernel call; the others one each. The
      // kernel goes first: it streams the rows that the border columns'
      // scattered reads then find in the cache.
      const index_t orow_begin = rb * kPoolRows;
      const index_t orow_end = std::min(row.out, (rb + 1) * kPoolRows);
      const index_t run_begin = std::clamp(row_inside.first, orow_begin, orow_end);
      const index_t run_end = std::clamp(row_inside.second, run_begin, orow_end);
      if (run_end > run_begin) {
        const Window rw = window(row, run_begin);
        const KernelColumns k = kernel_columns(rw);
        if (k.hi > k.lo) kernel_rows(run_begin, run_end - run_begin, rw, k);
      }
      for (index_t orow = orow_begin; orow < orow_end; ++orow) {
        const Window rw = window(row, orow);
        const KernelColumns k = kernel_columns(rw);
        if (k.hi > k.lo && (orow < run_begin || orow >= run_end)) kernel_rows(orow, 1, rw, k);
        pool_range(orow, rw, oc_begin, k.lo - k.clipped);
        pool_range(orow, rw, k.hi, oc_end);
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
      static const char* const kNames[3] = {"D", "H", "W"};
      const char* axis = naxes == 1 ? "L" : kNames[3 - naxes + i];
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
  if (pooled_axes < 1 || pooled_axes > 3 || rank < pooled_axes)
    throw std::invalid_argument("max_unpool: expected 1, 2 or 3 pooled axes");
  check_shape(indices.shape, in.shape, "indices");
  if (out.ndim() != rank ||
      !std::equal(in.shape.begin(), in.shape.end() - pooled_axes, out.shape.begin()))
    throw std::invalid_argument("out: the leading axes must match the input's");
  const int leading = rank - pooled_axes;
  index_t planes = 1;
  for (int a = 0; a < leading; ++a) planes *= in.shape[a];
  // The pooled extents, depth, rows and columns (1 where absent).
  auto extent = [&](const auto& v, int from_end) {
    return pooled_axes >= from_end ? v.shape[rank - from_end] : index_t(1);
  };
  const index_t in_depth = extent(in, 3), in_rows = extent(in, 2), in_cols = extent(in, 1);
  const index_t out_depth = extent(out, 3), out_rows = extent(out, 2), out_cols = extent(out, 1);
  const index_t slice = out_rows * out_cols, plane_size = out_depth * slice;
  const PooledStrides is = pooled_strides(in, pooled_axes);
  const PooledStrides xs = pooled_strides(indices, pooled_axes);
  const PooledStrides os = pooled_strides(out, pooled_axes);
  // (a C-ordered plane: the flat index is the offset, no division)
  const bool flat = (out_rows == 1 || os.row == out_cols * os.col) &&
                    (out_depth == 1 || os.depth == out_rows * os.row);

  // An out-of-plane index stops its plane; the first one (in row-major
  // order over planes) is reported, whatever the number of threads.
  std::vector<std::int64_t> bad(static_cast<size_t>(planes), -1);
  std::vector<char> has_bad(static_cast<size_t>(planes), 0);
  const index_t in_size = in_depth * in_rows * in_cols;
  const int threads =
      detail::resolve_threads(threads_requested, planes * (plane_size + in_size), 1);
  detail::parallel_tasks(planes, threads, [&](const detail::TaskLoop& loop) {
    loop([&](index_t plane) {
      const T* src = in.data + plane_offset(in, leading, plane);
      const std::int64_t* ix = indices.data + plane_offset(indices, leading, plane);
      T* dst = out.data + plane_offset(out, leading, plane);
      for (index_t z = 0; z < out_depth; ++z)
        for (index_t r = 0; r < out_rows; ++r)
          for (index_t c = 0; c < out_cols; ++c) dst[z * os.depth + r * os.row + c * os.col] = T(0);
      for (index_t i = 0; i < in_size; ++i) {
        const index_t z = i / (in_rows * in_cols), r = i / in_cols % in_rows, c = i % in_cols;
        const index_t from = z * is.depth + r * is.row + c * is.col;
        const std::int64_t at = ix[z * xs.depth + r * xs.row + c * xs.col];
        if (at < 0 || at >= plane_size) {
          bad[plane] = at;
          has_bad[plane] = 1;
          return;
        }
        const index_t to =
            flat ? at * os.col
                 : at / slice * os.depth + at % slice / out_cols * os.row + at % out_cols * os.col;
        dst[to] = src[from];
      }
    });
  });
  for (index_t plane = 0; plane < planes; ++plane)
    if (has_bad[plane])
      throw std::invalid_argument(
          "indices: index " + std::to_string(bad[plane]) + " is outside the output plane of size " +
          (pooled_axes == 3 ? std::to_string(out_depth) + "x" : "") +
          (pooled_axes >= 2 ? std::to_string(out_rows) + "x" : "") + std::to_string(out_cols));
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

constexpr int kAvgPlanes = 16;  // planes per average-pooling task (a vector's lanes)

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

// The divisors of a window's sum as plan `p` says, in the order they
// divide (1: none): torch divides an adaptive window's sum by its depth,
// height, then width (a 1-D or 2-D pooling's depth is 1), a plain one once.
// `width`: the window's factor along the columns.
std::array<index_t, 3> divisors(const AvgPoolPlan& p, const AvgWindow& dw, const AvgWindow& rw,
                                index_t width) {
  if (p.adaptive) return {dw.size, rw.size, width};
  return {p.divisor_override != 0 ? p.divisor_override : dw.size * rw.size * width, 1, 1};
}

// sum divided by each of d in turn.
template <class T>
T divided(AvgSum<T> sum, const std::array<index_t, 3>& d) {
  for (index_t x : d)
    if (x != 1) sum = static_cast<AvgSum<T>>(divide<T>(sum, x));
  return static_cast<T>(sum);
}

// Whether plan p pools each plane to one output whose window holds the
// whole plane (adaptive to 1 on every pooled axis; plain with
// kernel_size - padding >= n on every pooled axis): a global pool, summed
// in the order of kernels.hpp's AvgPoolGlobalKernel.
bool is_global(const AvgPoolPlan& p) {
  for (const PoolAxis* a : {&p.depth, &p.row, &p.col})
    if (a->out != 1 || (!p.adaptive && a->k - a->p < a->n)) return false;
  return true;
}

// AvgPoolGlobalKernel's sum of the plane at x (depth.n x row.n x col.n,
// strides s), element by element in row-major order: any layout, any
// floating type.
template <class T>
T global_sum(const T* x, const AvgPoolPlan& p, const PooledStrides& s) {
  constexpr index_t kLanes = kernels::kGlobalLanes;
  T partial[kLanes] = {};
  const index_t n = p.depth.n * p.row.n * p.col.n, whole = n - n % kLanes;
  index_t i = 0;
  for (index_t z = 0; z < p.depth.n; ++z)
    for (index_t r = 0; r < p.row.n; ++r)
      for (index_t c = 0; c < p.col.n; ++c, ++i)
        partial[i < whole ? i % kLanes : i + kLanes - n] += x[z * s.depth + r * s.row + c * s.col];
  for (index_t w = kLanes / 2; w >= 1; w /= 2)
    for (index_t j = 0; j < w; ++j) partial[j] += partial[j + w];
  return partial[0];
}

// The average of a window's sum, divided as plan `p` says.
template <class T>
T average(const AvgPoolPlan& p, AvgSum<T> sum, const AvgWindow& dw, const AvgWindow& rw,
          const AvgWindow& cw) {
  if (dw.end <= dw.begin || rw.end <= rw.begin || cw.end <= cw.begin)
    return T(0);  // no tap inside (torch: 0)
  return divided<T>(sum, divisors(p, dw, rw, cw.size));
}

// A global average pool (is_global(p)) of floats: each plane's sum in the
// global order, divided once by the product of its divisors. Contiguous
// planes of float and double take the ISA's kernel.
template <class T>
void global_avg_pool(const AvgPoolPlan& p, const View<const T>& in, const View<T>& out) {
  constexpr index_t kPlanesPerTask = 64;
  const int leading = static_cast<int>(p.in_shape.size()) - p.naxes;
  const PooledStrides is = pooled_strides(in, p.naxes);
  const index_t n = p.depth.n * p.row.n * p.col.n;
  const bool contiguous = is.col == 1 && (p.row.n == 1 || is.row == p.col.n) &&
                          (p.depth.n == 1 || is.depth == p.row.n * p.col.n);
  const kernels::AvgPoolGlobalKernel<T> kernel =
      contiguous ? kernels::avg_pool_global_kernel<T>(kernels::active_table()) : nullptr;
  index_t divisor = 1;
  for (index_t d : divisors(p, avg_window(p, p.depth, 0), avg_window(p, p.row, 0),
                            avg_window(p, p.col, 0).size))
    divisor *= d;  // (the product of a plane's extents, or of a padded window's)
  const PlaneOffsets<const T> in_offset(in, leading);
  const PlaneOffsets<T> out_offset(out, leading);
  const index_t tasks = (p.planes + kPlanesPerTask - 1) / kPlanesPerTask;
  const int threads = detail::resolve_threads(p.threads, p.planes, n);
  detail::parallel_tasks(tasks, threads, [&](const detail::TaskLoop& loop) {
    loop([&](index_t task) {
      const index_t first = task * kPlanesPerTask;
      const index_t count = std::min(p.planes - first, kPlanesPerTask);
      T sums[kPlanesPerTask];
      if (kernel && in_offset.uniform()) {
        kernel(in.data + in_offset(first), n, count, in_offset.step(), sums);
      } else {
        for (index_t q = 0; q < count; ++q) {
          const T* x = in.data + in_offset(first + q);
          if (kernel)
            kernel(x, n, 1, 0, &sums[q]);
          else
            sums[q] = global_sum(x, p, is);
        }
      }
      for (index_t q = 0; q < count; ++q) sums[q] /= static_cast<T>(divisor);  // (vectorised)
      for (index_t q = 0; q < count; ++q) out.data[out_offset(first + q)] = sums[q];
    });
  });
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
  AvgPoolPlan p{adaptive_plan(in_shape, output_size, threads)};
  p.adaptive = true;
  return p;
}

template <class T>
void avg_pool(const AvgPoolPlan& p, View<const T> in, View<T> out) {
  check_planned_input(p, in.shape);
  check_shape(out.shape, p.out_shape(), "out");
  if constexpr (std::is_floating_point_v<T>) {
    if (p.planes > 0 && is_global(p)) {
      global_avg_pool(p, in, out);
      return;
    }
  }
  using Sum = AvgSum<T>;
  const int leading = static_cast<int>(p.in_shape.size()) - p.naxes;
  const PooledStrides is = pooled_strides(in, p.naxes), os = pooled_strides(out, p.naxes);
  const PoolAxis depth = p.depth, row = p.row, col = p.col;
  // Outputs whose column windows lie wholly inside the input (ck columns
  // each, cs apart) are pooled a row at a time: by the ISA's row kernel
  // (float and double, unit column strides), else tap by tap over a row of
  // sums (vectorisable). Each output's taps are still added in row-major
  // order, so the bits are those of the one-output loop used for the
  // others. Adaptive columns join when their windows are equal and there
  // are enough of them (the one-output loop keeps kAvgPlanes sums in
  // flight: better for a few long windows).
  std::pair<index_t, index_t> sweep{0, 0};
  index_t ck = col.k, cs = col.s, cp = col.p;
  if (!p.adaptive) {
    sweep = inside(col);
    sweep.first = std::min(sweep.first, col.out);
    sweep.second = std::clamp(sweep.second, sweep.first, col.out);
  } else if (col.out >= kAvgPlanes && col.n % col.out == 0) {
    ck = cs = col.n / col.out;
    cp = 0;
    sweep = {0, col.out};
  }
  const kernels::AvgPoolRowKernel<T> pool_row =
      is.col == 1 && os.col == 1 ? kernels::avg_pool_row_kernel<T>(kernels::active_table())
                                 : nullptr;
  const kernels::AvgPoolPlanesKernel<T> pool_planes =
      is.col == 1 ? kernels::avg_pool_planes_kernel<T>(kernels::active_table()) : nullptr;

  // A task pools a block of planes: the one-output loop keeps one sum per
  // plane in flight (independent additions, not one long dependent chain;
  // the whole cost of a global average pool otherwise), the ISA's planes
  // kernel one per lane.
  const index_t plane_blocks = (p.planes + kAvgPlanes - 1) / kAvgPlanes;
  const index_t row_blocks = (row.out + kPoolRows - 1) / kPoolRows;
  const index_t tasks = plane_blocks * depth.out * row_blocks;
  if (tasks == 0 || col.out == 0) return;
  const index_t taps =
      p.adaptive ? (depth.n / depth.out + 1) * (row.n / row.out + 1) * (col.n / col.out + 1)
                 : depth.k * row.k * col.k;
  const int threads =
      detail::resolve_threads(p.threads, p.planes * depth.out * row.out * col.out, taps);
  const PlaneOffsets<const T> in_offset(in, leading);
  const PlaneOffsets<T> out_offset(out, leading);
  detail::parallel_tasks(tasks, threads, [&](const detail::TaskLoop& loop) {
    std::vector<Sum> sums(static_cast<size_t>(sweep.second - sweep.first));
    loop([&](index_t task) {
      const index_t first_plane = task / (depth.out * row_blocks) * kAvgPlanes;
      const index_t od = task / row_blocks % depth.out, rb = task % row_blocks;
      const int nplanes = static_cast<int>(std::min<index_t>(kAvgPlanes, p.planes - first_plane));
      const AvgWindow dw = avg_window(p, depth, od);
      // (a short block repeats its first plane: the loop stays fixed-size)
      const T* src[kAvgPlanes];
      T* dst[kAvgPlanes];
      for (int q = 0; q < kAvgPlanes; ++q) {
        const index_t plane = first_plane + (q < nplanes ? q : 0);
        src[q] = in.data + in_offset(plane);
        dst[q] = out.data + out_offset(plane) + od * os.depth;
      }
      // One output (orow, oc) of every plane of the block.
      auto pool_one = [&](index_t orow, const AvgWindow& rw, index_t oc) {
        const AvgWindow cw = avg_window(p, col, oc);
        if (pool_planes && dw.end > dw.begin && rw.end > rw.begin && cw.end > cw.begin) {
          const T* first_tap[kAvgPlanes];
          T* at[kAvgPlanes];
          for (int q = 0; q < nplanes; ++q) {
            first_tap[q] = src[q] + dw.begin * is.depth + rw.begin * is.row + cw.begin;
            at[q] = dst[q] + orow * os.row + oc * os.col;
          }
          kernels::AvgPoolPlanesTask<T> t;
          t.x = first_tap;
          t.planes = nplanes;
          t.depths = dw.end - dw.begin;
          t.depth_step = is.depth;
          t.rows = rw.end - rw.begin;
          t.row_step = is.row;
          t.width = cw.end - cw.begin;
          const std::array<index_t, 3> d = divisors(p, dw, rw, cw.size);
          std::copy(d.begin(), d.end(), t.divisors);
          t.out = at;
          pool_planes(t);
          return;
        }
        Sum sum[kAvgPlanes] = {};
        for (index_t z = dw.begin; z < dw.end; ++z)
          for (index_t r = rw.begin; r < rw.end; ++r)
            for (index_t c = cw.begin; c < cw.end; ++c)
              for (int q = 0; q < kAvgPlanes; ++q)
                sum[q] += static_cast<Sum>(src[q][z * is.depth + r * is.row + c * is.col]);
        for (int q = 0; q < nplanes; ++q)
          dst[q][orow * os.row + oc * os.col] = average<T>(p, sum[q], dw, rw, cw);
      };
      for (index_t orow = rb * kPoolRows; orow < std::min(row.out, (rb + 1) * kPoolRows); ++orow) {
        const AvgWindow rw = avg_window(p, row, orow);
        for (index_t oc = 0; oc < sweep.first; ++oc) pool_one(orow, rw, oc);
        const index_t count = sweep.second - sweep.first, c0 = sweep.first * cs - cp;
        const bool taps_inside = rw.end > rw.begin && dw.end > dw.begin;
        // These windows all have ck columns inside the input: one divisor.
        const std::array<index_t, 3> row_divisors = divisors(p, dw, rw, ck);
        for (int q = 0; q < nplanes && count > 0; ++q) {
          const T* first_tap = src[q] + dw.begin * is.depth + rw.begin * is.row + c0 * is.col;
          T* line_out = dst[q] + orow * os.row + sweep.first * os.col;
          if (!taps_inside) {
            for (index_t i = 0; i < count; ++i) line_out[i * os.col] = T(0);
          } else if (pool_row) {
            kernels::AvgPoolRowTask<T> t;
            t.x = first_tap;
            t.x_after = col.n - c0;
            t.depths = dw.end - dw.begin;
            t.depth_step = is.depth;
            t.rows = rw.end - rw.begin;
            t.row_step = is.row;
            t.kw = ck;
            t.stride = cs;
            t.count = count;
            std::copy(row_divisors.begin(), row_divisors.end(), t.divisors);
            t.out = line_out;
            pool_row(t);
          } else {
            std::fill(sums.begin(), sums.end(), Sum(0));
            for (index_t z = 0; z < dw.end - dw.begin; ++z)
              for (index_t r = 0; r < rw.end - rw.begin; ++r)
                for (index_t j = 0; j < ck; ++j)
                  add_strided(sums.data(), first_tap + z * is.depth + r * is.row + j * is.col,
                              count, cs * is.col);
            for (index_t i = 0; i < count; ++i)
              line_out[i * os.col] = divided<T>(sums[i], row_divisors);
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
