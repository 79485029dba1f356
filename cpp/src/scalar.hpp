#pragma once
// Element-type helpers shared by the planner and the kernels.
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "fastconv/element_types.hpp"

namespace fastconv::detail {

// static: kernel files compiled with AVX flags include these too, and
// internal linkage keeps each file's copy its own (no linker merging).

using fastconv::IsComplex;

template <class T>
static inline T conj_if_complex(T v) {
  if constexpr (IsComplex<T>::value)
    return std::conj(v);
  else
    return v;
}

// Neither Inf nor NaN (integers always).
template <class T>
static inline bool is_finite(T v) {
  if constexpr (std::is_integral_v<T>)
    return true;
  else if constexpr (IsComplex<T>::value)
    return std::isfinite(v.real()) && std::isfinite(v.imag());
  else
    return std::isfinite(v);
}

// Whether v[0, n) holds no Inf or NaN. float and double (and their
// complex) by the exponent bits, in a loop that the compiler vectorises:
// it runs over a layer's packed weights on every call.
template <class T>
static inline bool all_finite(const T* v, std::int64_t n) {
  if constexpr (std::is_integral_v<T>) {
    return true;
  } else if constexpr (IsComplex<T>::value) {
    return all_finite(reinterpret_cast<const typename T::value_type*>(v), 2 * n);
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    constexpr Bits exponent = sizeof(T) == 4 ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
    Bits bad = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      Bits b;
      std::memcpy(&b, v + i, sizeof b);
      bad |= Bits((b & exponent) == exponent);
    }
    return bad == 0;
  } else {
    for (std::int64_t i = 0; i < n; ++i)
      if (!is_finite(v[i])) return false;
    return true;
  }
}

// a * b + c, fused exactly where the vector kernels' `acc += x * w` is
// (builds with FMA), whatever the compiler's choices: scalar code written
// as `a * b + c` is sometimes left unfused (a product hoisted out of a
// loop, a vectorised reduction), and then an output's bits would depend
// on whether a vector or scalar code computed it, i.e. on its position in
// the array. Kernels use it wherever such code computes outputs.
template <class R>
static inline R mul_add(R a, R b, R c) {
#if defined(__FMA__) || defined(__aarch64__)
  if constexpr (std::is_same_v<R, float> || std::is_same_v<R, double>) return std::fma(a, b, c);
#endif
  return a * b + c;
}

// acc += x * w. Integers wrap (two's complement, as NumPy's do) by doing
// the arithmetic unsigned. Complex: the plain formula's four products (no
// C99 Annex G NaN recovery, as NumPy's multiply), each added to acc by
// mul_add, so that the compiler's complex multiply-add patterns (which
// round differently in vector lanes and in the scalar remainder) never
// apply. Floats: a loop's vector body and its remainder contract alike.
template <class T>
static inline void madd(T& acc, T x, T w) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    acc = static_cast<T>(static_cast<U>(acc) + static_cast<U>(x) * static_cast<U>(w));
  } else if constexpr (IsComplex<T>::value) {
    auto xr = x.real(), xi = x.imag(), wr = w.real(), wi = w.imag();
    acc = T(mul_add(-xi, wi, mul_add(xr, wr, acc.real())),
            mul_add(xi, wr, mul_add(xr, wi, acc.imag())));
  } else {
    acc += x * w;
  }
}

// madd with the product always fused as in mul_add (scalar code whose
// outputs a vector kernel also computes).
template <class T>
static inline void fused_madd(T& acc, T x, T w) {
  if constexpr (std::is_floating_point_v<T>)
    acc = mul_add(x, w, acc);
  else
    madd(acc, x, w);
}

}  // namespace fastconv::detail
