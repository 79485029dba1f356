// RealFft: a real transform of size n = 2m through one complex transform
// of size m (the even samples as real parts, the odd ones as imaginary
// parts), then a split pass that separates the two. The complex transform
// is a Stockham autosort FFT (radix 4, 2, 3 and 5 passes, each reading one
// buffer and writing the other, so the output comes out in natural order
// with no bit-reversal pass). docs/fft.md has the design.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fastconv/fft.hpp"
#include "fft/complex_ops.hpp"

namespace fastconv {

namespace {

using fft::Cx;
using fft::load;
using fft::store;

// The passes run on 16-byte vectors (SSE2 on x86-64, the baseline every
// build may use) of real parts and of imaginary parts, W transforms at a
// time, and on scalars where fewer than W remain. (GCC/Clang vector
// extensions; one build for every ISA.)
typedef float VecF __attribute__((vector_size(16)));
typedef double VecD __attribute__((vector_size(16)));
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  using type = VecF;
};
template <>
struct VecOf<double> {
  using type = VecD;
};
template <class V>
struct ScalarOf {
  using type = V;
};
template <>
struct ScalarOf<VecF> {
  using type = float;
};
template <>
struct ScalarOf<VecD> {
  using type = double;
};

// c as a V (every lane, for a vector).
template <class V>
inline V splat(long double c) {
  return V{} + static_cast<typename ScalarOf<V>::type>(c);
}

// A V from T p[0..) (unaligned), and back.
template <class V, class T>
inline V load_as(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <class V, class T>
inline void store_as(T* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}

// The radix-R butterfly: c[k] = sum_j a[j] exp(-2 pi i j k / R).
template <class T>
inline void butterfly(const Cx<T> (&a)[2], Cx<T> (&c)[2]) {
  c[0] = a[0] + a[1];
  c[1] = a[0] - a[1];
}

template <class T>
inline void butterfly(const Cx<T> (&a)[4], Cx<T> (&c)[4]) {
  const Cx<T> t0 = a[0] + a[2], t1 = a[0] - a[2];
  const Cx<T> t2 = a[1] + a[3], t3 = times_minus_i(a[1] - a[3]);
  c[0] = t0 + t2;
  c[1] = t1 + t3;
  c[2] = t0 - t2;
  c[3] = t1 - t3;
}

template <class T>
inline void butterfly(const Cx<T> (&a)[3], Cx<T> (&c)[3]) {
  const T kSin60 = splat<T>(0.866025403784438646763723170752936183L);
  const Cx<T> sum = a[1] + a[2];
  const Cx<T> mid = a[0] - sum * splat<T>(0.5);
  const Cx<T> rot = times_minus_i(a[1] - a[2]) * kSin60;
  c[0] = a[0] + sum;
  c[1] = mid + rot;
  c[2] = mid - rot;
}

template <class T>
inline void butterfly(const Cx<T> (&a)[5], Cx<T> (&c)[5]) {
  // cos and sin of 2 pi / 5 and 4 pi / 5; the outputs pair up as
  // c[1], c[4] and c[2], c[3] (conjugate rotations of the same sums).
  const T kC1 = splat<T>(0.309016994374947424102293417182819059L);
  const T kS1 = splat<T>(0.951056516295153572116439333379382143L);
  const T kC2 = splat<T>(-0.809016994374947424102293417182819059L);
  const T kS2 = splat<T>(0.587785252292473129168705954639072769L);
  const Cx<T> b1 = a[1] + a[4], d1 = a[1] - a[4];
  const Cx<T> b2 = a[2] + a[3], d2 = a[2] - a[3];
  const Cx<T> u1 = a[0] + b1 * kC1 + b2 * kC2, v1 = times_minus_i(d1 * kS1 + d2 * kS2);
  const Cx<T> u2 = a[0] + b1 * kC2 + b2 * kC1, v2 = times_minus_i(d1 * kS2 - d2 * kS1);
  c[0] = a[0] + b1 + b2;
  c[1] = u1 + v1;
  c[4] = u1 - v1;
  c[2] = u2 + v2;
  c[3] = u2 - v2;
}

// Butterfly R of a pass: a[j] = in[in0 + j in_step] (real parts in ir,
// imaginary parts in ii), out[out0 + k out_step] = c[k] w[k].
// V is T, or a vector of T for the W = sizeof(V) / sizeof(T) butterflies
// at in0 + [0, W) and out0 + [0, W).
template <int R, class V, class T>
inline void butterfly_at(const T* ir, const T* ii, T* or_, T* oi, index_t in0, index_t in_step,
                         index_t out0, index_t out_step, const Cx<V> (&w)[R]) {
  Cx<V> a[R], c[R];
  for (int j = 0; j < R; ++j)
    a[j] = {load_as<V>(ir + in0 + j * in_step), load_as<V>(ii + in0 + j * in_step)};
  butterfly(a, c);
  store_as(or_ + out0, c[0].re);
  store_as(oi + out0, c[0].im);
  for (int k = 1; k < R; ++k) {
    const Cx<V> v = c[k] * w[k];
    store_as(or_ + out0 + k * out_step, v.re);
    store_as(oi + out0 + k * out_step, v.im);
  }
}

// One decimation-in-frequency Stockham pass over `stride` interleaved
// transforms of `length` points each: out[q + s (R p + k)] = (radix-R DFT
// of in[q + s (p + j m)], j < R)[k] * w^(p k), with m = length / R and
// w = exp(-2 pi i / length). Arrays are split: the real parts, then the
// imaginary parts from `imag` on. The inner loop runs over q (contiguous: the
// compiler vectorises it), or over p in the first pass, where s = 1.
template <int R, class T>
void run_pass(const T* in, T* out, index_t imag, index_t length, index_t stride, const T* twr,
              const T* twi) {
  const index_t m = length / R, s = stride;
  const T *ir = in, *ii = in + imag;
  T *or_ = out, *oi = out + imag;
  using V = typename VecOf<T>::type;
  constexpr index_t kW = sizeof(V) / sizeof(T);
  Cx<T> w[R] = {};
  Cx<V> wv[R] = {};
  if (s == 1) {
    // W values of p at a time: the inputs and twiddles are contiguous in p,
    // the outputs (R apart) go out through a small transpose.
    index_t p = 0;
    for (; p + kW <= m; p += kW) {
      for (int k = 1; k < R; ++k)
        wv[k] = {load_as<V>(twr + (k - 1) * m + p), load_as<V>(twi + (k - 1) * m + p)};
      T re[R][kW], im[R][kW];
      butterfly_at<R, V>(ir, ii, &re[0][0], &im[0][0], p, m, 0, kW, wv);
      for (index_t l = 0; l < kW; ++l)
        for (int k = 0; k < R; ++k) {
          or_[R * (p + l) + k] = re[k][l];
          oi[R * (p + l) + k] = im[k][l];
        }
    }
    for (; p < m; ++p) {
      for (int k = 1; k < R; ++k) w[k] = {twr[(k - 1) * m + p], twi[(k - 1) * m + p]};
      butterfly_at<R, T>(ir, ii, or_, oi, p, m, R * p, 1, w);
    }
    return;
  }
  for (index_t p = 0; p < m; ++p) {
    for (int k = 1; k < R; ++k) {
      w[k] = {twr[(k - 1) * m + p], twi[(k - 1) * m + p]};
      wv[k] = {V{} + w[k].re, V{} + w[k].im};
    }
    index_t q = 0;
    for (; q + kW <= s; q += kW)
      butterfly_at<R, V>(ir, ii, or_, oi, q + s * p, s * m, q + s * R * p, s, wv);
    for (; q < s; ++q) butterfly_at<R, T>(ir, ii, or_, oi, q + s * p, s * m, q + s * R * p, s, w);
  }
}

// exp(-2 pi i a / b), from long double (twiddles are computed once per plan).
template <class T>
Cx<T> root(index_t a, index_t b) {
  const long double pi = 3.141592653589793238462643383279502884L;
  const long double angle = -2 * pi * static_cast<long double>(a % b) / static_cast<long double>(b);
  return {static_cast<T>(std::cos(angle)), static_cast<T>(std::sin(angle))};
}

}  // namespace

bool fft_size_supported(index_t n) {
  if (n < 2 || n % 2 != 0) return false;
  index_t m = n / 2;
  for (index_t p : {2, 3, 5})
    while (m % p == 0) m /= p;
  return m == 1;
}

index_t next_fft_size(index_t n) {
  // The smallest 2 * 2^a 3^b 5^c >= n: for every 3^b 5^c, the least power
  // of two that reaches the half length.
  const index_t half = std::max<index_t>((n + 1) / 2, 1);
  index_t best = -1;
  for (index_t p5 = 1;; p5 *= 5) {
    for (index_t p35 = p5;; p35 *= 3) {
      index_t c = p35;
      while (c < half) c *= 2;
      if (best < 0 || c < best) best = c;
      if (p35 >= half) break;
    }
    if (p5 >= half) break;
  }
  return 2 * best;
}

template <class T>
ComplexFft<T>::ComplexFft(index_t m) : m_(m) {
  index_t rest = m;
  for (index_t p : {2, 3, 5})
    while (rest > 0 && rest % p == 0) rest /= p;
  if (rest != 1)
    throw std::invalid_argument("ComplexFft: size must be a product of 2, 3 and 5, got " +
                                std::to_string(m));
  // Radix-4 passes first (the cheapest per point), then 2, 3, 5.
  std::vector<index_t> radices;
  rest = m;
  while (rest % 4 == 0) radices.push_back(4), rest /= 4;
  if (rest % 2 == 0) radices.push_back(2), rest /= 2;
  while (rest % 3 == 0) radices.push_back(3), rest /= 3;
  while (rest % 5 == 0) radices.push_back(5), rest /= 5;
  index_t length = m, stride = 1;
  for (index_t r : radices) {
    passes_.push_back({r, length, stride, static_cast<index_t>(twiddles_.size() / 2)});
    // w^(p k) at [(k - 1) m + p]: real parts, then imaginary parts
    const index_t count = (r - 1) * (length / r);
    std::vector<T> re(count), im(count);
    for (index_t k = 1; k < r; ++k)
      for (index_t p = 0; p < length / r; ++p) {
        const Cx<T> w = root<T>(p * k, length);
        re[(k - 1) * (length / r) + p] = w.re;
        im[(k - 1) * (length / r) + p] = w.im;
      }
    twiddles_.insert(twiddles_.end(), re.begin(), re.end());
    twiddles_.insert(twiddles_.end(), im.begin(), im.end());
    length /= r;
    stride *= r;
  }
}

// A batch of interleaved transforms is one transform whose passes all
// have `batch` times the stride: the sequence index joins the pass's
// innermost (contiguous) loop.
template <class T>
T* ComplexFft<T>::forward(T* a, T* b, index_t imag, index_t batch) const {
  for (const Pass& pass : passes_) {
    const T* twr = twiddles_.data() + 2 * pass.twiddles;
    const T* twi = twr + (pass.radix - 1) * (pass.length / pass.radix);
    const index_t stride = pass.stride * batch;
    switch (pass.radix) {
      case 4:
        run_pass<4>(a, b, imag, pass.length, stride, twr, twi);
        break;
      case 2:
        run_pass<2>(a, b, imag, pass.length, stride, twr, twi);
        break;
      case 3:
        run_pass<3>(a, b, imag, pass.length, stride, twr, twi);
        break;
      default:
        run_pass<5>(a, b, imag, pass.length, stride, twr, twi);
        break;
    }
    std::swap(a, b);
  }
  return a;
}

namespace {
index_t checked_half(index_t n) {
  if (!fft_size_supported(n))
    throw std::invalid_argument(
        "RealFft: size must be even with n/2 a product of 2, 3 and 5, got " + std::to_string(n));
  return n / 2;
}
}  // namespace

template <class T>
RealFft<T>::RealFft(index_t n) : n_(n), half_(checked_half(n)) {
  const index_t m = n / 2;
  for (index_t j = 0; j <= m / 2; ++j) {
    const Cx<T> w = root<T>(j, n);
    split_.push_back(w.re);
    split_.push_back(w.im);
  }
}

template <class T>
void RealFft<T>::forward(const T* x, std::complex<T>* X, T* work) const {
  // (std::complex<T> arrays may be accessed as arrays of T, re then im.)
  T* out = reinterpret_cast<T*>(X);
  const index_t m = n_ / 2;
  // z[t] = x[2t] + i x[2t+1], split.
  for (index_t t = 0; t < m; ++t) {
    work[t] = x[2 * t];
    work[imag_offset() + t] = x[2 * t + 1];
  }
  const T* z = half_.forward(work, work + buffer_size(), imag_offset(), 1);
  const T* zi = z + imag_offset();
  // Split z's spectrum Z into the even samples' E and the odd samples' O:
  // E[j] = (Z[j] + conj Z[m-j]) / 2, O[j] = (Z[j] - conj Z[m-j]) / 2i, and
  // X[j] = E[j] + w^j O[j]; X[m-j] = conj(E[j] - w^j O[j]), a pair
  // (j, m-j) at a time.
  store(out, 0, {z[0] + zi[0], T(0)});
  store(out, m, {z[0] - zi[0], T(0)});
  for (index_t j = 1; 2 * j <= m; ++j) {
    const index_t k = m - j;
    const Cx<T> a = {z[j], zi[j]};
    if (j == k) {  // X[m/2] = conj Z[m/2] exactly
      store(out, j, conj(a));
      break;
    }
    const Cx<T> b = {z[k], -zi[k]};
    const Cx<T> even = (a + b) * T(0.5);
    const Cx<T> odd = load(split_.data(), j) * times_minus_i(a - b) * T(0.5);
    store(out, j, even + odd);
    store(out, k, conj(even - odd));
  }
}

template <class T>
void RealFft<T>::inverse(const std::complex<T>* X, T* x, T* work) const {
  const T* in = reinterpret_cast<const T*>(X);
  const index_t m = n_ / 2;
  // Undo the split: Z'[j] = E'[j] + i O'[j] with E'[j] = X[j] + conj X[m-j]
  // and O'[j] = (X[j] - conj X[m-j]) conj(w^j) (twice Z), written
  // conjugated, split: the inverse DFT is conj(DFT(conj Z')).
  T *zr = work, *zi = work + imag_offset();
  auto put = [&](index_t j, Cx<T> v) {
    zr[j] = v.re;
    zi[j] = -v.im;
  };
  const T first = in[0], last = in[2 * m];
  put(0, {first + last, first - last});
  for (index_t j = 1; 2 * j <= m; ++j) {
    const index_t k = m - j;
    const Cx<T> a = load(in, j);
    if (j == k) {  // Z'[m/2] = 2 conj X[m/2]
      put(j, conj(a) * T(2));
      break;
    }
    const Cx<T> b = conj(load(in, k));
    const Cx<T> even = a + b;
    const Cx<T> odd_i = times_i((a - b) * conj(load(split_.data(), j)));
    put(j, even + odd_i);
    put(k, conj(even - odd_i));  // conj E + i conj O
  }
  const T* z = half_.forward(work, work + buffer_size(), imag_offset(), 1);
  for (index_t t = 0; t < m; ++t) {
    x[2 * t] = z[t];
    x[2 * t + 1] = -z[imag_offset() + t];
  }
}

template class ComplexFft<float>;
template class ComplexFft<double>;
template class RealFft<float>;
template class RealFft<double>;

}  // namespace fastconv
