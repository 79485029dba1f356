#pragma once
// Running a planned correlation: permute the axes (batch first, convolved
// last), pack the kernel, build the engine's axis plans, pick the thread
// count. Shared by convolve.cpp and transpose.cpp.
#include <algorithm>
#include <array>
#include <complex>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine.hpp"
#include "fastconv/element_types.hpp"
#include "fastconv/options.hpp"
#include "fastconv/runtime.hpp"
#include "scalar.hpp"
#include "small_buffer.hpp"
#include "underflow.hpp"

namespace fastconv::detail {

using fastconv::kMaxRank;

// A per-axis parameter: empty -> `dflt` everywhere, one value -> every
// axis, else one value per axis (n of them); each must be >= `minimum`.
inline std::array<index_t, kMaxRank> expand_per_axis(const std::vector<index_t>& v, size_t n,
                                                     const char* name, index_t dflt,
                                                     index_t minimum) {
  if (!v.empty() && v.size() != 1 && v.size() != n)
    throw std::invalid_argument(std::string(name) + ": expected one value or " + std::to_string(n) +
                                " (one per axis), got " + std::to_string(v.size()));
  std::array<index_t, kMaxRank> out;  // entries past n are never read
  for (size_t i = 0; i < n; ++i) {
    out[i] = v.empty() ? dflt : v.size() == 1 ? v[0] : v[i];
    if (out[i] < minimum)
      throw std::invalid_argument(std::string(name) + ": must be >= " + std::to_string(minimum) +
                                  ", got " + std::to_string(out[i]));
  }
  return out;
}

// One axis of a planned correlation:
//   out[i] = sum_p x~[i*stride + p*dilation + origin] * K[p]
// along convolved axes, where K is the kernel, flipped and/or conjugated
// as asked; batch axes have equal extents or 1 (broadcast).
struct AxisParams {
  bool convolved;
  index_t stride, dilation, origin;
};

// Where the mode's output starts in the full result along one convolved
// axis (dilated kernel extent ke; `tap` for AnchorRule::taps).
inline index_t mode_start(Mode mode, AnchorRule rule, index_t tap, index_t ke, index_t dilation,
                          bool flip_kernel) {
  switch (mode) {
    case Mode::full:
      return 0;
    case Mode::valid:
      return ke - 1;
    case Mode::same:
      break;
  }
  if (rule == AnchorRule::centre_low) return (ke - 1) / 2;
  if (rule == AnchorRule::centre_high) return ke / 2;
  // the kernel tap over each output sample: tap*d into the full
  // convolution, mirrored for correlation
  return flip_kernel ? tap * dilation : ke - 1 - tap * dilation;
}

// a*b and a+b of sizes; std::invalid_argument naming `what` when they
// overflow.
inline index_t checked_mul(index_t a, index_t b, const char* what) {
  index_t r;
  if (__builtin_mul_overflow(a, b, &r))
    throw std::invalid_argument(std::string(what) + ": result size overflows");
  return r;
}
inline index_t checked_add(index_t a, index_t b, const char* what) {
  index_t r;
  if (__builtin_add_overflow(a, b, &r))
    throw std::invalid_argument(std::string(what) + ": result size overflows");
  return r;
}

inline std::string shape_str(const std::vector<index_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// Lowest and highest element address a view touches (for overlap checks).
template <class T>
inline std::pair<const char*, const char*> extent_of(const View<T>& v) {
  const char* lo = reinterpret_cast<const char*>(v.data);
  const char* hi = lo;
  for (int a = 0; a < v.ndim(); ++a) {
    const std::ptrdiff_t span =
        (v.shape[a] - 1) * v.strides[a] * static_cast<std::ptrdiff_t>(sizeof(T));
    if (span < 0)
      lo += span;
    else
      hi += span;
  }
  return {lo, hi + sizeof(T)};
}

template <class A, class B>
inline bool may_overlap(const View<A>& a, const View<B>& b) {
  if (a.size() == 0 || b.size() == 0) return false;
  auto ea = extent_of(a);
  auto eb = extent_of(b);
  return ea.first < eb.second && eb.first < ea.second;
}

template <class T>
inline void check_view(const View<T>& v, const char* name) {
  if (v.shape.size() != v.strides.size())
    throw std::invalid_argument(std::string(name) + ": shape and strides differ in length");
  if (v.data == nullptr && v.size() != 0)
    throw std::invalid_argument(std::string(name) + ": null data pointer");
}

// Set every element of `v` (any strides) to `value`.
template <class T>
void fill_view(const View<T>& v, T value) {
  std::array<index_t, kMaxRank> idx{};
  const index_t count = v.size();
  for (index_t e = 0; e < count; ++e) {
    index_t off = 0;
    for (int a = 0; a < v.ndim(); ++a) off += idx[a] * v.strides[a];
    v.data[off] = value;
    for (int a = v.ndim() - 1; a >= 0; --a) {
      if (++idx[a] < v.shape[a]) break;
      idx[a] = 0;
    }
  }
}

// The threads of one call (fastconv::resolve_num_threads: the request or
// the global setting, capped), and one for small problems.
inline int resolve_threads(int requested, index_t outputs, index_t taps) {
  int nt = resolve_num_threads(requested);
  // Below about 2^18 multiply-adds (~0.1 ms on one core) a thread team
  // costs more than it saves.
  index_t work;
  if (!__builtin_mul_overflow(outputs, taps, &work) && work < (index_t(1) << 18)) nt = 1;
  return std::max(nt, 1);
}

template <class T>
void execute_unguarded(const View<const T>& in, const View<const T>& kernel, const View<T>& out,
                       const AxisParams* params, bool flip_kernel, bool conj_kernel,
                       Boundary boundary, T fill, int threads_requested) {
  const int rank = in.ndim();
  // Batch axes first, convolved axes last (in their order). (The per-axis
  // arrays here are filled up to `rank` only: zeroing all 64 entries of
  // each costs more than a tiny call's convolution.)
  std::array<int, kMaxRank> order;
  int n_order = 0;
  for (int a = 0; a < rank; ++a)
    if (!params[a].convolved) order[n_order++] = a;
  for (int a = 0; a < rank; ++a)
    if (params[a].convolved) order[n_order++] = a;

  // Pack the kernel densely in that order, flipped along convolved axes
  // and/or conjugated as asked.
  std::array<index_t, kMaxRank> kshape;
  for (int i = 0; i < rank; ++i) kshape[i] = kernel.shape[order[i]];
  std::array<index_t, kMaxRank> kstep;
  index_t ksize = 1;
  for (int i = rank - 1; i >= 0; --i) {
    kstep[i] = ksize;
    ksize *= kshape[i];
  }
  SmallBuffer<T, 64> packed(static_cast<size_t>(ksize));
  {
    std::array<index_t, kMaxRank> p;
    std::fill_n(p.begin(), rank, index_t(0));
    for (index_t e = 0; e < ksize; ++e) {
      index_t src = 0;
      for (int i = 0; i < rank; ++i) {
        const int a = order[i];
        const index_t pi = (flip_kernel && params[a].convolved) ? kshape[i] - 1 - p[i] : p[i];
        src += pi * kernel.strides[a];
      }
      packed[e] = conj_kernel ? conj_if_complex(kernel.data[src]) : kernel.data[src];
      for (int i = rank - 1; i >= 0; --i) {
        if (++p[i] < kshape[i]) break;
        p[i] = 0;
      }
    }
  }

  std::array<AxisPlan, kMaxRank> axes;
  index_t taps_total = 1;
  for (int i = 0; i < rank; ++i) {
    const int a = order[i];
    AxisPlan& ax = axes[i];
    ax.convolved = params[a].convolved;
    ax.out_n = out.shape[a];
    ax.in_n = in.shape[a];
    ax.taps = kshape[i];
    ax.stride = params[a].stride;
    ax.dilation = params[a].dilation;
    ax.origin = params[a].origin;
    ax.in_step = in.strides[a];
    ax.k_step = kstep[i];
    ax.out_step = out.strides[a];
    if (ax.convolved) taps_total *= ax.taps;
  }
  const int threads = resolve_threads(threads_requested, out.size(), taps_total);
  run_engine<T>(axes.data(), rank, in.data, packed.data(), out.data, boundary, fill, threads);
}

// execute_unguarded, on scaled copies when its products would be
// subnormal (underflow.hpp).
template <class T>
void execute(const View<const T>& in, const View<const T>& kernel, const View<T>& out,
             const AxisParams* params, bool flip_kernel, bool conj_kernel, Boundary boundary,
             T fill, int threads_requested) {
  guard_underflow(in, kernel, View<const T>(), View<const T>(), fill, kernel.size(), out,
                  resolve_threads(threads_requested, out.size(), kernel.size()),
                  [&](const View<const T>& x, const View<const T>& k, const View<const T>&,
                      const View<const T>&, T scaled_fill) {
                    execute_unguarded(x, k, out, params, flip_kernel, conj_kernel, boundary,
                                      scaled_fill, threads_requested);
                  });
}

}  // namespace fastconv::detail
