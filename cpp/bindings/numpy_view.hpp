#pragma once
// NumPy arrays -> fastconv views, without copies. Takes py::array (not
// array_t, which would silently copy arrays of another dtype or layout:
// an out= written into such a copy would never reach the caller).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <complex>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastconv/element_types.hpp"
#include "fastconv/view.hpp"

namespace fastconv::bindings {

namespace py = pybind11;

// Whether view_of<T> can take `a` as it is (aligned, strides a multiple of
// the element size).
template <class T>
bool viewable(const py::array& a) {
  if (reinterpret_cast<std::uintptr_t>(a.data()) % alignof(T) != 0) return false;
  for (py::ssize_t i = 0; i < a.ndim(); ++i)
    if (a.strides(i) % static_cast<py::ssize_t>(sizeof(T)) != 0) return false;
  return true;
}

template <class T>
View<T> view_of(const py::array& a, const char* name, bool writable) {
  if (writable && !a.writeable())
    throw std::invalid_argument(std::string(name) + ": array is read-only");
  const auto item = static_cast<py::ssize_t>(sizeof(T));
  if (a.itemsize() != item)
    throw std::invalid_argument(std::string(name) + ": unexpected item size");
  if (reinterpret_cast<std::uintptr_t>(a.data()) % alignof(T) != 0)
    throw std::invalid_argument(std::string(name) + ": data is not aligned");
  View<T> v;
  v.data = static_cast<T*>(const_cast<void*>(a.data()));
  v.shape.reserve(static_cast<size_t>(a.ndim()));
  v.strides.reserve(static_cast<size_t>(a.ndim()));
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    if (a.strides(i) % item != 0)
      throw std::invalid_argument(std::string(name) +
                                  ": strides are not a multiple of the item size");
    v.shape.push_back(a.shape(i));
    v.strides.push_back(a.strides(i) / item);
  }
  return v;
}

// A value of T for f(tag) (T{} is not valid for `long double` in a macro).
template <class T>
T tag_of() {
  return T{};
}

// Whether NumPy's dtype of kind `kind` and `size` bytes is T.
template <class T>
bool is_dtype_of(char kind, size_t size) {
  return kind == numpy_kind<T>() && size == sizeof(T);
}

// Call f(T{}) with the C++ type of a NumPy dtype the kernels compute in
// (fastconv/element_types.hpp: the first listed type that matches).
template <class F>
auto dispatch_dtype(const py::dtype& dt, F&& f) {
  const char kind = dt.kind();
  const auto size = static_cast<size_t>(dt.itemsize());
#define FASTCONV_DISPATCH(T) \
  if (is_dtype_of<T>(kind, size)) return f(tag_of<T>());
  FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_DISPATCH)
#undef FASTCONV_DISPATCH
  throw py::type_error("unsupported dtype for the C++ core: " + std::string(py::str(dt)));
}

// Call f(T{}) with the C++ type of a real NumPy dtype pooling works in.
template <class F>
void dispatch_real(const py::dtype& dt, F&& f) {
  const char kind = dt.kind();
  const auto size = static_cast<size_t>(dt.itemsize());
#define FASTCONV_DISPATCH(T) \
  if (is_dtype_of<T>(kind, size)) return f(tag_of<T>());
  FASTCONV_FOR_EACH_POOL_TYPE(FASTCONV_DISPATCH)
#undef FASTCONV_DISPATCH
  throw py::type_error("unsupported dtype for pooling: " + std::string(py::str(dt)));
}

// The dtypes of the element types, as (kind, itemsize) pairs.
inline py::list element_dtypes() {
  py::list out;
#define FASTCONV_DTYPE(T) out.append(py::make_tuple(std::string(1, numpy_kind<T>()), sizeof(T)));
  FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_DTYPE)
#undef FASTCONV_DTYPE
  return out;
}

// A shape as a Python tuple (what NumPy gives for array.shape).
inline py::tuple as_tuple(const std::vector<index_t>& v) {
  py::tuple t(v.size());
  for (size_t i = 0; i < v.size(); ++i) t[i] = py::int_(v[i]);
  return t;
}

}  // namespace fastconv::bindings
