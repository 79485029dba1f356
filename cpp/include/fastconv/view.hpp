#pragma once
// Strided array views: a pointer, a shape and strides counted in elements,
// so that NumPy arrays (any layout, negative or zero strides) pass without
// copies.
#include <cstddef>
#include <vector>

namespace fastconv {

using index_t = std::ptrdiff_t;

// NumPy's limit on dimensions, and so the library's.
constexpr int kMaxRank = 64;

template <class T>
struct View {
  T* data = nullptr;
  std::vector<index_t> shape;
  std::vector<index_t> strides;  // in elements, not bytes

  View() = default;
  View(T* data_, std::vector<index_t> shape_, std::vector<index_t> strides_)
      : data(data_), shape(std::move(shape_)), strides(std::move(strides_)) {}

  int ndim() const { return static_cast<int>(shape.size()); }
  index_t size() const {
    index_t n = 1;
    for (index_t s : shape) n *= s;
    return n;
  }
  // A read-only view of the same elements.
  operator View<const T>() const { return View<const T>(data, shape, strides); }
};

// A view of a dense C-order (row-major) block of memory.
template <class T>
View<T> make_view(T* data, std::vector<index_t> shape) {
  std::vector<index_t> strides(shape.size());
  index_t step = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = step;
    step *= shape[i];
  }
  return View<T>(data, std::move(shape), std::move(strides));
}

}  // namespace fastconv
