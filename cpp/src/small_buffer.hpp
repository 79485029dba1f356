#pragma once
// Scratch storage that lives on the stack up to N elements and on the heap
// beyond; elements are left uninitialised. Tiny calls (a few microseconds)
// otherwise spend much of their time in malloc and free.
#include <cstddef>
#include <memory>

namespace fastconv::detail {

template <class T, std::size_t N>
class SmallBuffer {
 public:
  SmallBuffer() = default;
  explicit SmallBuffer(std::size_t n) { resize(n); }
  SmallBuffer(const SmallBuffer&) = delete;
  SmallBuffer& operator=(const SmallBuffer&) = delete;

  // Make room for n elements; contents are not kept.
  void resize(std::size_t n) {
    if (n > N && n > heap_size_) {
      heap_.reset(new T[n]);
      heap_size_ = n;
    }
    data_ = n > N ? heap_.get() : local_;
  }
  T* data() { return data_; }
  T& operator[](std::size_t i) { return data_[i]; }

 private:
  T local_[N];
  std::unique_ptr<T[]> heap_;
  std::size_t heap_size_ = 0;
  T* data_ = local_;
};

}  // namespace fastconv::detail
