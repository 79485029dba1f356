#pragma once
// The element types of the library, listed once. Everything per type is
// generated from these lists: the explicit instantiations of the entry
// points, the per-ISA row-kernel table, and the Python bindings' dtype
// switch (and so the dtypes the Python layer computes in natively).
//
// FASTCONV_FOR_EACH_ELEMENT_TYPE(X): convolution, correlation, separable
// and transposed convolution, and the nn layers.
// FASTCONV_FOR_EACH_POOL_TYPE(X): max_pool and max_unpool (real types).
// Each expands X(T) once per type.
#include <complex>
#include <cstdint>
#include <type_traits>

#define FASTCONV_FOR_EACH_ELEMENT_TYPE(X) \
  X(float)                                \
  X(double)                               \
  X(long double)                          \
  X(std::complex<float>)                  \
  X(std::complex<double>)                 \
  X(std::complex<long double>)            \
  X(std::int64_t)

#define FASTCONV_FOR_EACH_POOL_TYPE(X) \
  X(float)                             \
  X(double)                            \
  X(long double)                       \
  X(std::int8_t)                       \
  X(std::int16_t)                      \
  X(std::int32_t)                      \
  X(std::int64_t)                      \
  X(std::uint8_t)                      \
  X(std::uint16_t)                     \
  X(std::uint32_t)                     \
  X(std::uint64_t)

namespace fastconv {

template <class... T>
struct TypeList {};

namespace detail {
template <class List>
struct DropFirst;
template <class First, class... Rest>
struct DropFirst<TypeList<First, Rest...>> {
  using type = TypeList<Rest...>;
};
#define FASTCONV_TYPE_LIST_ITEM(T) , T
}  // namespace detail

// The lists as types (for tables and switches built with templates).
using ElementTypes = typename detail::DropFirst<
    TypeList<void FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_TYPE_LIST_ITEM)>>::type;
using PoolTypes = typename detail::DropFirst<
    TypeList<void FASTCONV_FOR_EACH_POOL_TYPE(FASTCONV_TYPE_LIST_ITEM)>>::type;
#undef FASTCONV_TYPE_LIST_ITEM

template <class T>
struct IsComplex : std::false_type {};
template <class T>
struct IsComplex<std::complex<T>> : std::true_type {};

// NumPy's kind character of T: 'f' floating, 'c' complex, 'i' signed and
// 'u' unsigned integer (the dtype of T is its kind and sizeof(T)).
template <class T>
constexpr char numpy_kind() {
  if constexpr (IsComplex<T>::value) return 'c';
  if constexpr (std::is_floating_point_v<T>) return 'f';
  if constexpr (std::is_signed_v<T>) return 'i';
  return 'u';
}

}  // namespace fastconv
