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
#include "kernels/kernels.hpp"

namespace fastconv {

namespace {

using fft::Cx;

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
  // The passes run at the vector width of the ISA chosen at start-up
  // (kernels/fft_kernel-inl.hpp): the same bits on every ISA.
  const kernels::FftKernels<T>& run = kernels::fft_kernels<T>(kernels::active_table());
  for (const Pass& pass : passes_) {
    const T* twr = twiddles_.data() + 2 * pass.twiddles;
    const T* twi = twr + (pass.radix - 1) * (pass.length / pass.radix);
    const index_t stride = pass.stride * batch;
    const kernels::FftPass<T> run_pass = pass.radix == 4   ? run.radix4
                                         : pass.radix == 2 ? run.radix2
                                         : pass.radix == 3 ? run.radix3
                                                           : run.radix5;
    run_pass(a, b, imag, pass.length, stride, twr, twi);
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
  const index_t m = n / 2, count = m / 2 + 1;
  split_.resize(static_cast<size_t>(2 * count));
  for (index_t j = 0; j < count; ++j) {
    const Cx<T> w = root<T>(j, n);
    split_[j] = w.re;
    split_[count + j] = w.im;
  }
}

// A real transform of n = 2m points is the complex transform of the m
// points z[t] = x[2t] + i x[2t+1] and a split pass that separates the
// spectra of the even and odd samples (kernels/fft_kernel-inl.hpp).
template <class T>
void RealFft<T>::forward_split(const T* x, T* re, T* im, T* work) const {
  const index_t m = n_ / 2;
  for (index_t t = 0; t < m; ++t) {
    work[t] = x[2 * t];
    work[imag_offset() + t] = x[2 * t + 1];
  }
  const T* z = half_.forward(work, work + buffer_size(), imag_offset(), 1);
  kernels::fft_kernels<T>(kernels::active_table())
      .split_forward(z, z + imag_offset(), split_.data(), split_.data() + m / 2 + 1, re, im, m);
}

template <class T>
void RealFft<T>::inverse_split(const T* re, const T* im, T* x, T* work, bool conjugated) const {
  // The inverse DFT is conj(DFT(conj Z')), Z' the split undone.
  const index_t m = n_ / 2;
  kernels::fft_kernels<T>(kernels::active_table())
      .split_inverse(re, im, conjugated, split_.data(), split_.data() + m / 2 + 1, work,
                     work + imag_offset(), m);
  const T* z = half_.forward(work, work + buffer_size(), imag_offset(), 1);
  for (index_t t = 0; t < m; ++t) {
    x[2 * t] = z[t];
    x[2 * t + 1] = -z[imag_offset() + t];
  }
}

// The interleaved forms keep the split bins in the scratch: the forward
// one in the buffer the complex transform's result is not in, the inverse
// one in the second buffer, which the split pass reads before the
// complex transform's passes use it.
template <class T>
void RealFft<T>::forward(const T* x, std::complex<T>* X, T* work) const {
  // (std::complex<T> arrays may be accessed as arrays of T, re then im.)
  T* out = reinterpret_cast<T*>(X);
  const index_t m = n_ / 2;
  for (index_t t = 0; t < m; ++t) {
    work[t] = x[2 * t];
    work[imag_offset() + t] = x[2 * t + 1];
  }
  const T* z = half_.forward(work, work + buffer_size(), imag_offset(), 1);
  T* re = z == work ? work + buffer_size() : work;
  T* im = re + m + 1;
  kernels::fft_kernels<T>(kernels::active_table())
      .split_forward(z, z + imag_offset(), split_.data(), split_.data() + m / 2 + 1, re, im, m);
  for (index_t j = 0; j <= m; ++j) {
    out[2 * j] = re[j];
    out[2 * j + 1] = im[j];
  }
}

template <class T>
void RealFft<T>::inverse(const std::complex<T>* X, T* x, T* work) const {
  const T* in = reinterpret_cast<const T*>(X);
  const index_t m = n_ / 2;
  T* re = work + buffer_size();
  T* im = re + m + 1;
  for (index_t j = 0; j <= m; ++j) {
    re[j] = in[2 * j];
    im[j] = in[2 * j + 1];
  }
  inverse_split(re, im, x, work);
}

template class ComplexFft<float>;
template class ComplexFft<double>;
template class RealFft<float>;
template class RealFft<double>;

}  // namespace fastconv
