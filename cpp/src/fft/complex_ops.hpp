#pragma once
// Complex values on interleaved (re, im) arrays, for the FFT's plans and
// bench/fft_stages.cpp (the transforms' own arithmetic is in
// kernels/fft_kernel-inl.hpp, per ISA). Written out rather than
// std::complex: its operator* must handle inf/NaN per C Annex G, which GCC
// does in a library call on every product.
#include "fastconv/view.hpp"

namespace fastconv::fft {

template <class T>
struct Cx {
  T re, im;
};

template <class T>
inline Cx<T> load(const T* a, index_t i) {
  return {a[2 * i], a[2 * i + 1]};
}
template <class T>
inline void store(T* a, index_t i, Cx<T> v) {
  a[2 * i] = v.re;
  a[2 * i + 1] = v.im;
}

template <class T>
inline Cx<T> operator*(Cx<T> a, Cx<T> b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}

}  // namespace fastconv::fft
