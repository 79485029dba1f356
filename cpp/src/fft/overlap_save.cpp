// The 1-D large-kernel path: overlap-save over RealFft blocks. Block b of
// a row computes the full outputs [lo + b L, lo + (b + 1) L) from the
// input samples they reach (L + k - 1 of them), by one forward transform,
// a product with the kernel's spectrum and one inverse transform of size
// N = L + k - 1 (the circular convolution's first k - 1 outputs wrap and
// are dropped). Blocks depend only on (lo, L), never on the thread count.
#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastconv/fft.hpp"
#include "fft/complex_ops.hpp"
#include "parallel.hpp"

namespace fastconv {

namespace {

// Transform sizes are about 8x the kernel (the cost per output, N log N /
// (N - k + 1), is within a few % of its minimum there, and the block's
// buffers stay in L2 for kernels up to a few thousand taps), at least
// kMinBlock, and no longer than one block covering every output.
constexpr index_t kMinBlock = 2048;

index_t block_size(index_t k, index_t outputs) {
  const index_t whole = next_fft_size(outputs + k - 1);
  return std::min(whole, next_fft_size(std::max(8 * k, kMinBlock)));
}

// The plans of the last few block sizes, reused by the calls that follow:
// building one computes its twiddles in long double, which takes as long
// as the transforms of a small call.
constexpr size_t kCachedPlans = 4;

template <class T>
std::shared_ptr<const RealFft<T>> cached_plan(index_t size) {
  static std::mutex mutex;
  static std::vector<std::shared_ptr<const RealFft<T>>> plans;  // the most recent last
  const std::lock_guard<std::mutex> lock(mutex);
  for (auto it = plans.begin(); it != plans.end(); ++it)
    if ((*it)->size() == size) {
      std::rotate(it, it + 1, plans.end());
      return plans.back();
    }
  if (plans.size() == kCachedPlans) plans.erase(plans.begin());
  plans.push_back(std::make_shared<const RealFft<T>>(size));
  return plans.back();
}

// Offset of batch row `row` (the leading axes of v, C order) in v.data.
template <class T>
index_t row_offset(const View<T>& v, index_t row) {
  index_t off = 0;
  for (int a = v.ndim() - 2; a >= 0; --a) {
    off += (row % v.shape[a]) * v.strides[a];
    row /= v.shape[a];
  }
  return off;
}

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("convolve_overlap_save: " + what);
}

}  // namespace

template <class T>
void convolve_overlap_save(View<const T> in, View<const T> kernel, index_t start, index_t step,
                           View<T> out, int threads) {
  if (in.ndim() < 1) bad("in must have at least one axis");
  if (kernel.ndim() != 1) bad("kernel must be 1-D");
  if (out.ndim() != in.ndim() ||
      !std::equal(in.shape.begin(), in.shape.end() - 1, out.shape.begin()))
    bad("out must have in's batch shape (all axes but the last)");
  if (step < 1) bad("step must be >= 1, got " + std::to_string(step));
  const index_t n = in.shape.back(), k = kernel.shape[0], count = out.shape.back();
  const index_t rows = out.size() / std::max<index_t>(count, 1);
  if (out.size() == 0) return;
  const index_t in_step = in.strides.back(), out_step = out.strides.back();

  // The full outputs that are computed, [lo, hi); the others are zeros.
  const index_t full = (n == 0 || k == 0) ? 0 : n + k - 1;
  const index_t last = start + (count - 1) * step;
  const index_t lo = std::max<index_t>(start, 0), hi = std::min(last + 1, full);
  // Output i samples full index start + i step: i in [first_i, end_i) are computed.
  auto first_index = [&](index_t j) {  // the least i with start + i step >= j
    return j <= start ? 0 : std::min(count, (j - start + step - 1) / step);
  };
  const index_t first_i = lo < hi ? first_index(lo) : count;
  const index_t end_i = lo < hi ? first_index(hi) : count;
  for (index_t r = 0; r < rows; ++r) {
    T* y = out.data + row_offset(out, r);
    for (index_t i = 0; i < first_i; ++i) y[i * out_step] = T(0);
    for (index_t i = end_i; i < count; ++i) y[i * out_step] = T(0);
  }
  if (first_i >= end_i) return;

  const index_t size = block_size(k, hi - lo), outputs_per_block = size - k + 1;
  const index_t blocks = (hi - lo + outputs_per_block - 1) / outputs_per_block;
  const std::shared_ptr<const RealFft<T>> plan = cached_plan<T>(size);
  const RealFft<T>& fft = *plan;
  const index_t bins = size / 2 + 1;

  // The kernel's spectrum, scaled by 1/size (the inverse is unnormalised).
  std::vector<T> spectrum(2 * bins);
  {
    std::vector<T> padded(static_cast<size_t>(size), T(0)),
        work(static_cast<size_t>(fft.work_size()));
    for (index_t t = 0; t < k; ++t) padded[t] = kernel.data[t * kernel.strides[0]];
    fft.forward(padded.data(), reinterpret_cast<std::complex<T>*>(spectrum.data()), work.data());
    const T scale = T(1) / static_cast<T>(size);
    for (T& v : spectrum) v *= scale;
  }

  detail::parallel_tasks(rows * blocks, resolve_num_threads(threads), [&](auto run_tasks) {
    std::vector<T> segment(static_cast<size_t>(size)), work(static_cast<size_t>(fft.work_size()));
    std::vector<std::complex<T>> bins_buf(static_cast<size_t>(bins));
    T* seg = segment.data();
    T* spec = reinterpret_cast<T*>(bins_buf.data());
    run_tasks([&](index_t task) {
      const index_t r = task / blocks, b = task % blocks;
      const T* x = in.data + row_offset(in, r);
      T* y = out.data + row_offset(out, r);
      const index_t j0 = lo + b * outputs_per_block;
      const index_t j1 = std::min(j0 + outputs_per_block, hi);
      // seg[i] = x[j0 - (k - 1) + i], zero outside the row (and past what
      // the block's outputs reach: the transform mixes every sample).
      const index_t origin = j0 - (k - 1);
      const index_t begin = std::clamp<index_t>(-origin, 0, size);
      const index_t end = std::clamp<index_t>(n - origin, begin, j1 - origin);
      std::fill(seg, seg + begin, T(0));
      if (in_step == 1)
        std::copy(x + origin + begin, x + origin + end, seg + begin);
      else
        for (index_t i = begin; i < end; ++i) seg[i] = x[(origin + i) * in_step];
      std::fill(seg + end, seg + size, T(0));

      fft.forward(seg, bins_buf.data(), work.data());
      for (index_t j = 0; j < bins; ++j)
        fft::store(spec, j, fft::load(spec, j) * fft::load(spectrum.data(), j));
      fft.inverse(bins_buf.data(), seg, work.data());

      const index_t i0 = std::max(first_index(j0), first_i), i1 = std::min(first_index(j1), end_i);
      for (index_t i = i0; i < i1; ++i) y[i * out_step] = seg[k - 1 + start + i * step - j0];
    });
  });
}

template void convolve_overlap_save<float>(View<const float>, View<const float>, index_t, index_t,
                                           View<float>, int);
template void convolve_overlap_save<double>(View<const double>, View<const double>, index_t,
                                            index_t, View<double>, int);

}  // namespace fastconv
