#pragma once
// Complex arithmetic on interleaved (re, im) arrays for the FFT. Written
// out rather than std::complex: its operator* must handle inf/NaN per C
// Annex G, which GCC does in a library call on every product.
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
inline Cx<T> operator+(Cx<T> a, Cx<T> b) {
  return {a.re + b.re, a.im + b.im};
}
template <class T>
inline Cx<T> operator-(Cx<T> a, Cx<T> b) {
  return {a.re - b.re, a.im - b.im};
}
template <class T>
inline Cx<T> operator*(Cx<T> a, Cx<T> b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
template <class T>
inline Cx<T> operator*(Cx<T> a, T s) {
  return {a.re * s, a.im * s};
}
template <class T>
inline Cx<T> conj(Cx<T> a) {
  return {a.re, -a.im};
}
template <class T>
inline Cx<T> times_i(Cx<T> a) {
  return {-a.im, a.re};
}
template <class T>
inline Cx<T> times_minus_i(Cx<T> a) {
  return {a.im, -a.re};
}

}  // namespace fastconv::fft
