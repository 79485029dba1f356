#pragma once
// Subnormal numbers cost many CPUs a microcode assist on every vector
// instruction that reads or makes one: on Intel a convolution of data
// scaled by 1e-39 ran 250-500x slower than on the same data unscaled.
// Convolution is linear, so a call whose products would be subnormal runs
// instead on operands scaled by exact powers of two (input x 2^in, kernel
// x 2^kernel, the bias x 2^(in + kernel), the fill value with the input),
// and its output is scaled back once at the end, correctly rounded. Every
// product and partial sum is then the scaled image of the unscaled one, so
// the result keeps the direct sum's error bound with IEEE gradual
// underflow's absolute term (the one final rounding), and the hot loops
// never meet a subnormal.
//
// The scans and the scalings work on the bits (underflow_kernel-inl.hpp;
// their row loops per ISA, in the kernel table). A call decides from a
// sample of its input and kernel (all of them when small); only a call
// that would be slow pays for the exact scan, the scaled copies and the
// final pass. The guard is a run-time switch (fastconv::denormal_guard).
// Data whose magnitudes span more than the type's range can carry once
// scaled, or that holds Inf or NaN, runs unscaled: right, only slower.
// float and double (and their complex types) take part; long double and
// integers do not.
#include <algorithm>
#include <array>
#include <climits>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "fastconv/runtime.hpp"
#include "fastconv/view.hpp"
#include "kernels/kernels.hpp"
#include "parallel.hpp"

namespace fastconv::detail {

#include "kernels/underflow_kernel-inl.hpp"

// The real type of an element type (float for std::complex<float>).
template <class T>
struct RealOf {
  using type = T;
};
template <class R>
struct RealOf<std::complex<R>> {
  using type = R;
};

// Element types whose calls are guarded.
template <class T>
constexpr bool kGuardsUnderflow = std::is_same_v<typename RealOf<T>::type, float> ||
                                  std::is_same_v<typename RealOf<T>::type, double>;

// floor(log2 |v|) of the values a set holds: `lo` of the smallest nonzero,
// `hi` of the largest; no nonzero value: lo > hi.
struct Magnitudes {
  int lo = INT_MAX, hi = INT_MIN;
  bool finite = true;
  bool any_nonzero() const { return lo <= hi; }
  void include(const Magnitudes& m) {
    lo = std::min(lo, m.lo);
    hi = std::max(hi, m.hi);
    finite = finite && m.finite;
  }
};

// The smallest nonzero and the largest |value| of a set, as bit patterns
// (for non-negative floats, integer order is value order).
template <class R>
struct BitRange {
  using U = typename FloatBits<R>::U;
  using S = std::make_signed_t<U>;
  std::int64_t lo = std::numeric_limits<S>::max();  // (zeros never count)
  std::int64_t hi = 0;

  // n elements of type T (R or std::complex<R>), `step` apart.
  template <class T>
  void add_run(const T* p, index_t n, index_t step) {
    constexpr index_t parts = sizeof(T) / sizeof(R);
    const auto bit_range = kernels::underflow_kernels<R>(kernels::active_table()).bit_range;
    if (step == 1) {
      bit_range(reinterpret_cast<const R*>(p), n * parts, lo, hi);
    } else {
      for (index_t i = 0; i < n; ++i)
        bit_range(reinterpret_cast<const R*>(p + i * step), parts, lo, hi);
    }
  }

  static int exponent(U a) {  // floor(log2) of the nonzero, finite a
    using FB = FloatBits<R>;
    const int field = static_cast<int>(a >> FB::kMantissa);
    if (field != 0) return field - 1 + FB::kMinExp;
    const int msb = static_cast<int>(sizeof(U) * 8) - 1 -
                    (sizeof(U) == 4 ? __builtin_clz(static_cast<unsigned>(a))
                                    : __builtin_clzll(static_cast<unsigned long long>(a)));
    return msb + FB::kMinExp - FB::kMantissa;
  }
  Magnitudes magnitudes() const {
    Magnitudes m;
    m.finite = static_cast<U>(hi) < abs_bits(std::numeric_limits<R>::infinity());
    if (hi == 0 || !m.finite) return m;
    m.lo = exponent(static_cast<U>(lo));
    m.hi = exponent(static_cast<U>(hi));
    return m;
  }
};

// Runs of the last axis: fn(pointer, count, step) for every row of `v`
// (rows [first, first + count) of them, in C order).
template <class T, class Fn>
void for_each_row(const View<T>& v, index_t first, index_t count, Fn&& fn) {
  if (count <= 0) return;  // (an empty view: no row, and a zero extent to divide by)
  const int rank = v.ndim();
  const index_t n = rank ? v.shape[rank - 1] : 1;
  const index_t step = rank ? v.strides[rank - 1] : 1;
  std::array<index_t, kMaxRank> idx;  // (entries [0, rank - 1) set below: zeroing 64 costs more)
  index_t rest = first;
  for (int a = rank - 2; a >= 0; --a) {
    idx[a] = rest % v.shape[a];
    rest /= v.shape[a];
  }
  for (index_t r = 0; r < count; ++r) {
    index_t off = 0;
    for (int a = 0; a < rank - 1; ++a) off += idx[a] * v.strides[a];
    fn(v.data + off, n, step);
    for (int a = rank - 2; a >= 0; --a) {
      if (++idx[a] < v.shape[a]) break;
      idx[a] = 0;
    }
  }
}

template <class T>
index_t rows_of(const View<T>& v) {
  const int rank = v.ndim();
  return rank && v.shape[rank - 1] ? v.size() / v.shape[rank - 1] : (rank ? 0 : 1);
}

// Rows of n elements per block of parallel_rows: about 16k elements.
inline index_t rows_per_block(index_t n) {
  return std::max<index_t>(1, (index_t(1) << 14) / std::max<index_t>(n, 1));
}
inline index_t blocks_of(index_t rows, index_t n) {
  return (rows + rows_per_block(n) - 1) / rows_per_block(n);
}

// fn(block, first, count) over blocks of the `rows` rows (of n elements)
// of a view, on threads when there are enough elements.
template <class Fn>
void parallel_rows(index_t rows, index_t n, int threads, Fn&& fn) {
  const index_t block = rows_per_block(n);
  parallel_tasks(blocks_of(rows, n), rows * n >= (index_t(1) << 16) ? threads : 1,
                 [&](const TaskLoop& loop) {
                   loop([&](index_t b) { fn(b, b * block, std::min(block, rows - b * block)); });
                 });
}

// Magnitudes of every element of `v`; with a row op `each(row, p, m, step)`
// run on the same rows as they are read (so that a scaled copy measures
// its source in the same pass). Threads over rows.
template <class T, class Each>
Magnitudes measure(const View<const T>& v, int threads, Each&& each) {
  using R = typename RealOf<T>::type;
  const index_t n = v.ndim() ? v.shape[v.ndim() - 1] : 1;
  std::vector<BitRange<R>> ranges(
      static_cast<size_t>(std::max<index_t>(blocks_of(rows_of(v), n), 1)));
  parallel_rows(rows_of(v), n, threads, [&](index_t b, index_t first, index_t count) {
    BitRange<R>& range = ranges[static_cast<size_t>(b)];
    index_t row = first;
    for_each_row(v, first, count, [&](const T* p, index_t m, index_t step) {
      range.add_run(p, m, step);
      each(row++, p, m, step);
    });
  });
  Magnitudes m = ranges[0].magnitudes();
  for (const BitRange<R>& r : ranges) m.include(r.magnitudes());
  return m;
}
template <class T>
Magnitudes measure(const View<const T>& v, int threads) {
  return measure(v, threads, [](index_t, const T*, index_t, index_t) {});
}

// Magnitudes of kSampleRuns short runs spread evenly over `v` (of all of
// it when small): enough to see a subnormal stretch, or subnormals
// scattered more densely than about 1 in 1000, at the cost of a few
// hundred cache lines.
constexpr index_t kScanAll = index_t(1) << 15;
constexpr index_t kSampleRuns = 256;
constexpr index_t kSampleRun = 16;

template <class T>
Magnitudes sample(const View<const T>& v) {
  using R = typename RealOf<T>::type;
  const index_t size = v.size();
  BitRange<R> range;
  if (size <= kScanAll) {  // (all of it, on this thread: a tiny call's cost)
    index_t dense = 1;     // (a C-contiguous view is one run)
    for (int a = v.ndim() - 1; a >= 0 && dense; --a)
      dense = v.shape[a] == 1 || v.strides[a] == dense ? dense * v.shape[a] : 0;
    if (dense)
      range.add_run(v.data, size, 1);
    else
      for_each_row(v, 0, rows_of(v),
                   [&](const T* p, index_t m, index_t step) { range.add_run(p, m, step); });
    return range.magnitudes();
  }
  const index_t n = v.shape[v.ndim() - 1];
  for (index_t s = 0; s < kSampleRuns; ++s) {
    const index_t flat = size / kSampleRuns * s;
    const index_t col = flat % n;
    for_each_row(v, flat / n, 1, [&](const T* p, index_t, index_t step) {
      range.add_run(p + col * step, std::min(kSampleRun, n - col), step);
    });
  }
  return range.magnitudes();
}

template <class T>
inline T scale_up_element(T v, int e) {
  if constexpr (std::is_arithmetic_v<T>)
    return scale_up(v, e);
  else
    return T(scale_up(v.real(), e), scale_up(v.imag(), e));
}

// The powers of two of a guarded call (all 0: it runs as given).
struct UnderflowScaling {
  int in = 0;
  std::array<int, 2> kernel{0, 0};
  int out() const { return in + kernel[0] + kernel[1]; }
  bool active() const { return out() > 0; }
};

// Whether a call's products could be subnormal, from samples (cheap).
template <class R>
bool may_underflow(const Magnitudes& x, const std::array<Magnitudes, 2>& k, int nk,
                   const Magnitudes& bias) {
  using FB = FloatBits<R>;
  if (!x.any_nonzero()) return false;
  bool operand = x.lo < FB::kMinExp || (bias.any_nonzero() && bias.lo < FB::kMinExp);
  int lo = x.lo;
  for (int i = 0; i < nk; ++i) {
    if (!k[i].any_nonzero()) return false;
    operand = operand || k[i].lo < FB::kMinExp;
    lo += k[i].lo;
  }
  return operand || lo < FB::kMinExp + 8;
}

// The kernels' powers of two for sums of at most `terms` products input x
// kernel (x a second kernel: the separable filter's two passes) plus a
// bias, the input scaled by 2^in: products at least 2^(kMinExp + 32),
// well clear of the subnormals with their partial sums; every sum (the
// first pass's too) below 2^(kMaxExp - 1); every operand normal and
// below 2^kMaxExp. None when the magnitudes span more than that allows.
template <class R>
UnderflowScaling plan_scaling(int in, const Magnitudes& x, const std::array<Magnitudes, 2>& k,
                              int nk, const Magnitudes& bias, index_t terms) {
  using FB = FloatBits<R>;
  const UnderflowScaling none;
  if (!x.finite || !bias.finite || !x.any_nonzero() || x.hi + in > FB::kMaxExp - 1) return none;
  UnderflowScaling s;
  s.in = in;
  int log2_terms = 0;
  while (log2_terms < 62 && (index_t(1) << log2_terms) < terms) ++log2_terms;
  int lo = x.lo + in, top = x.hi + in + 1 + log2_terms, need = 0;
  for (int i = 0; i < nk; ++i) {
    if (!k[i].finite || !k[i].any_nonzero()) return none;
    s.kernel[i] = std::max(0, FB::kMinExp - k[i].lo);
    need += s.kernel[i];
    lo += k[i].lo;
    top += k[i].hi + 1;
  }
  const int need_bias = bias.any_nonzero() ? std::max(0, FB::kMinExp - bias.lo) : 0;
  if (bias.any_nonzero()) top = std::max(top, bias.hi + 1 - in);
  const int want = std::max({need, need_bias - in, FB::kMinExp + 32 - lo});
  const int total = std::min(want, FB::kMaxExp - 1 - top);
  if (total < need || in + total < need_bias) return none;
  // The rest: first what lifts a first pass's products (x kernel[0]) to
  // the target as well, then from the last kernel back (keeping a first
  // pass's sums small).
  int extra = total - need;
  auto give = [&](int i, int wanted) {
    const int add = std::max(0, std::min({extra, wanted, FB::kMaxExp - 1 - k[i].hi - s.kernel[i]}));
    s.kernel[i] += add;
    extra -= add;
  };
  if (nk == 2) give(0, FB::kMinExp + 32 - (x.lo + in + k[0].lo + s.kernel[0]));
  for (int i = nk - 1; i >= 0; --i) give(i, extra);
  if (nk == 2 && x.hi + in + k[0].hi + 2 + log2_terms + s.kernel[0] > FB::kMaxExp - 1) return none;
  return s.active() ? s : none;
}

// A dense C-order copy of `v` scaled by 2^e, measuring `v` as it goes.
template <class T>
class ScaledCopy {
 public:
  ScaledCopy(const View<const T>& v, int e, int threads) : data_(new T[v.size() ? v.size() : 1]) {
    using R = typename RealOf<T>::type;
    constexpr index_t parts = sizeof(T) / sizeof(R);
    view_ = make_view(static_cast<const T*>(data_.get()), v.shape);
    const index_t n = v.ndim() ? v.shape[v.ndim() - 1] : 1;
    R* dst = reinterpret_cast<R*>(data_.get());
    const auto scale = kernels::underflow_kernels<R>(kernels::active_table()).scale_up;
    measured_ = measure(v, threads, [&](index_t row, const T* p, index_t m, index_t step) {
      R* d = dst + row * n * parts;
      if (step == 1) {
        scale(reinterpret_cast<const R*>(p), d, m * parts, e);
      } else {
        for (index_t i = 0; i < m; ++i)
          scale(reinterpret_cast<const R*>(p + i * step), d + i * parts, parts, e);
      }
    });
  }
  const View<const T>& view() const { return view_; }
  // The source's magnitudes.
  const Magnitudes& measured() const { return measured_; }

 private:
  std::unique_ptr<T[]> data_;
  View<const T> view_;
  Magnitudes measured_;
};

// out *= 2^-e, in place, correctly rounded.
template <class T>
void scale_down_view(const View<T>& out, int e, int threads) {
  using R = typename RealOf<T>::type;
  constexpr index_t parts = sizeof(T) / sizeof(R);
  const auto scale = kernels::underflow_kernels<R>(kernels::active_table()).scale_down;
  parallel_rows(rows_of(out), out.ndim() ? out.shape[out.ndim() - 1] : 1, threads,
                [&](index_t, index_t first, index_t count) {
                  for_each_row(out, first, count, [&](T* p, index_t m, index_t step) {
                    if (step == 1) {
                      scale(reinterpret_cast<R*>(p), m * parts, e);
                    } else {
                      for (index_t i = 0; i < m; ++i)
                        scale(reinterpret_cast<R*>(p + i * step), parts, e);
                    }
                  });
                });
}

// Runs run(in, kernel, kernel2, bias, fill) -- on the arrays as given, or,
// when its products would be subnormal, on scaled copies, then scales
// `out` back. kernel2 and bias may be empty views (data null); products
// are in x kernel (x kernel2), at most `terms` of them in one output.
//
// Samples decide whether to guard, and whether the input needs a copy
// (when it holds subnormals: scaled by 2^kMantissa, which makes every one
// normal); the copy measures the input exactly as it goes (or a scan does,
// without a copy), and the kernels' powers follow from that. An input
// whose exact range leaves no room runs as given after all.
//
// `known`: the kernel's and bias's samples and exact magnitudes when the
// caller has them (a layer object takes them once from its weights), used
// instead of sampling and measuring them on every call. (The samples, not
// the exact values, decide whether to guard, as for a call without them:
// so that both give the same bits.)
struct KnownMagnitudes {
  Magnitudes kernel_sample, kernel, bias_sample, bias;
};

// A kernel's and bias's (data null: none) magnitudes for guard_underflow.
template <class T>
KnownMagnitudes known_magnitudes(const View<const T>& kernel, const View<const T>& bias) {
  KnownMagnitudes m;
  if constexpr (kGuardsUnderflow<T>) {
    m.kernel_sample = sample(kernel);
    m.kernel = measure(kernel, 1);
    if (bias.data) {
      m.bias_sample = sample(bias);
      m.bias = measure(bias, 1);
    }
  }
  return m;
}

template <class T, class Run>
void guard_underflow(const View<const T>& in, const View<const T>& kernel,
                     const View<const T>& kernel2, const View<const T>& bias, T fill, index_t terms,
                     const View<T>& out, int threads, Run&& run,
                     const KnownMagnitudes* known = nullptr) {
  if constexpr (!kGuardsUnderflow<T>) {
    run(in, kernel, kernel2, bias, fill);
  } else {
    using R = typename RealOf<T>::type;
    if (!denormal_guard()) {
      run(in, kernel, kernel2, bias, fill);
      return;
    }
    const int nk = kernel2.data ? 2 : 1;
    const Magnitudes fill_magnitudes = [&] {
      BitRange<R> f;
      f.add_run(&fill, 1, 1);
      return f.magnitudes();
    }();
    const Magnitudes none;
    Magnitudes x = sample(in), b = !bias.data ? none : known ? known->bias_sample : sample(bias);
    x.include(fill_magnitudes);
    std::array<Magnitudes, 2> k{known ? known->kernel_sample : sample(kernel),
                                nk == 2 ? sample(kernel2) : none};
    if (!may_underflow<R>(x, k, nk, b)) {
      run(in, kernel, kernel2, bias, fill);
      return;
    }
    const int in_scale = x.lo < FloatBits<R>::kMinExp ? FloatBits<R>::kMantissa : 0;
    std::unique_ptr<ScaledCopy<T>> xs;
    if (in_scale) {
      xs = std::make_unique<ScaledCopy<T>>(in, in_scale, threads);
      x = xs->measured();
    } else {
      x = measure(in, threads);
    }
    x.include(fill_magnitudes);
    k[0] = known ? known->kernel : measure(kernel, threads);
    if (nk == 2) k[1] = measure(kernel2, 1);
    if (bias.data) b = known ? known->bias : measure(bias, 1);
    const UnderflowScaling s = plan_scaling<R>(in_scale, x, k, nk, b, terms);
    if (!s.active()) {
      run(in, kernel, kernel2, bias, fill);
      return;
    }
    ScaledCopy<T> k0(kernel, s.kernel[0], threads);
    std::unique_ptr<ScaledCopy<T>> k1, bs;
    if (nk == 2) k1 = std::make_unique<ScaledCopy<T>>(kernel2, s.kernel[1], 1);
    if (bias.data) bs = std::make_unique<ScaledCopy<T>>(bias, s.out(), 1);
    run(xs ? xs->view() : in, k0.view(), k1 ? k1->view() : kernel2, bs ? bs->view() : bias,
        scale_up_element(fill, s.in));
    scale_down_view(out, s.out(), threads);
  }
}

}  // namespace fastconv::detail
