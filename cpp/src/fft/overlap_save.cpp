// The large-kernel path: overlap-save over RealFft blocks, in 1-D and 2-D.
// Block b of a row computes the full outputs [lo + b L, lo + (b + 1) L)
// from the input samples they reach (L + k - 1 of them), by one forward
// transform, a product with the kernel's spectrum and one inverse
// transform of size N = L + k - 1 (the circular convolution's first k - 1
// outputs wrap and are dropped). A 2-D block does the same along both
// axes, with row-column transforms. Blocks depend only on (lo, L), never
// on the thread count.
#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastconv/fft.hpp"
#include "parallel.hpp"

namespace fastconv {

namespace {

// Transform sizes are about 8x the kernel (the cost per output, N log N /
// (N - k + 1), is within a few % of its minimum there, and the block's
// buffers stay in L2 for kernels up to a few thousand taps), at least
// kMinBlock, and no longer than one block covering every output.
constexpr index_t kMinBlock = 2048;

index_t block_size(index_t k) { return next_fft_size(std::max(8 * k, kMinBlock)); }

// A 2-D block's side: the transform cost per output, N log N / (N - k + 1)
// per axis, levels off from about 4x the kernel; past kMaxSide2d the
// block's spectrum (2 buffers of N x (N/2 + 1) complex values) no longer
// fits a core's L2. Kernels of more than half the cap take twice their
// size all the same: at the cap, a 255-tap kernel left 2 outputs per axis
// of a 256 x 256 block (200x slower than scipy's fftconvolve at 1024^2).
constexpr index_t kMinSide2d = 32, kMaxSide2d = 256;

index_t block_size_2d(index_t k, size_t element_size) {
  const index_t cap = element_size > 4 ? kMaxSide2d / 2 : kMaxSide2d;
  return std::max(next_fft_size(2 * std::max<index_t>(k, 1)),
                  std::min(cap, next_fft_size(std::max(4 * k, kMinSide2d))));
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

// Offset of batch item `item` (the axes of v before its last `trailing`
// ones, C order) in v.data.
template <class T>
index_t batch_offset(const View<T>& v, index_t item, int trailing) {
  index_t off = 0;
  for (int a = v.ndim() - trailing - 1; a >= 0; --a) {
    off += (item % v.shape[a]) * v.strides[a];
    item /= v.shape[a];
  }
  return off;
}

// One axis of the window the caller asks for: output i is full index
// start + i step of the full convolution of n samples with k taps. The
// full indices [lo, hi) are computed, by blocks of `per_block` outputs
// (transforms of `size`); outputs [first, end) lie there, the rest are 0.
struct AxisWindow {
  index_t start, step, count, k;
  index_t lo = 0, hi = 0, first = 0, end = 0;
  index_t size = 0, per_block = 0, blocks = 0;

  AxisWindow(index_t n, index_t k_, index_t start_, index_t step_, index_t count_)
      : start(start_), step(step_), count(count_), k(k_) {
    const index_t full = (n == 0 || k == 0) ? 0 : n + k - 1;
    lo = std::max<index_t>(start, 0);
    hi = std::min(start + (count - 1) * step + 1, full);
    first = lo < hi ? first_index(lo) : count;
    end = lo < hi ? first_index(hi) : count;
  }
  bool empty() const { return first >= end; }
  // The least i with start + i step >= j (at most count).
  index_t first_index(index_t j) const {
    return j <= start ? 0 : std::min(count, (j - start + step - 1) / step);
  }
  // Blocks of transform size n (overlap_save_block_size's).
  void set_block(index_t n) {
    size = n;
    per_block = size - k + 1;
    blocks = (hi - lo + per_block - 1) / per_block;
  }
  // Block b: the full indices [j0, j1) it yields, and where its input
  // segment starts (origin) and which of its samples are in the signal
  // ([begin, end_in): the others, and those past what [j0, j1) reach, are 0).
  struct Block {
    index_t j0, j1, origin, begin, end_in;
  };
  Block block(index_t b, index_t n) const {
    const index_t j0 = lo + b * per_block, j1 = std::min(j0 + per_block, hi);
    const index_t origin = j0 - (k - 1);
    const index_t begin = std::clamp<index_t>(-origin, 0, size);
    return {j0, j1, origin, begin, std::clamp<index_t>(n - origin, begin, j1 - origin)};
  }
  // The outputs [i0, i1) that block `blk` computes.
  std::array<index_t, 2> outputs(const Block& blk) const {
    return {std::max(first_index(blk.j0), first), std::min(first_index(blk.j1), end)};
  }
  // Where output i is in its block's segment.
  index_t offset(index_t i, const Block& blk) const { return k - 1 + start + i * step - blk.j0; }
};

// seg[i] = x[(origin + i) step] for i in [begin, end_in) of the block,
// 0 for the rest of its `size` samples.
template <class T, class Block>
void copy_segment(const T* x, index_t step, const Block& blk, T* seg, index_t size) {
  std::fill(seg, seg + blk.begin, T(0));
  if (step == 1)
    std::copy(x + blk.origin + blk.begin, x + blk.origin + blk.end_in, seg + blk.begin);
  else
    for (index_t i = blk.begin; i < blk.end_in; ++i) seg[i] = x[(blk.origin + i) * step];
  std::fill(seg + blk.end_in, seg + size, T(0));
}

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("convolve_overlap_save: " + what);
}

}  // namespace

index_t overlap_save_block_size(index_t k, index_t outputs, bool two_d, size_t element_size) {
  const index_t whole = next_fft_size(outputs + k - 1);  // one block for every output
  return std::min(whole, two_d ? block_size_2d(k, element_size) : block_size(k));
}

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

  AxisWindow win(n, k, start, step, count);
  for (index_t r = 0; r < rows; ++r) {
    T* y = out.data + batch_offset(out, r, 1);
    for (index_t i = 0; i < win.first; ++i) y[i * out_step] = T(0);
    for (index_t i = win.end; i < count; ++i) y[i * out_step] = T(0);
  }
  if (win.empty()) return;

  win.set_block(overlap_save_block_size(k, win.hi - win.lo, false, sizeof(T)));
  const index_t size = win.size, blocks = win.blocks;
  const std::shared_ptr<const RealFft<T>> plan = cached_plan<T>(size);
  const RealFft<T>& fft = *plan;
  const index_t bins = size / 2 + 1;

  // The kernel's spectrum, scaled by 1/size (the inverse is unnormalised),
  // split: real parts, then imaginary parts from `bins` on.
  std::vector<T> spectrum(static_cast<size_t>(2 * bins));
  {
    std::vector<T> padded(static_cast<size_t>(size), T(0)),
        work(static_cast<size_t>(fft.work_size()));
    for (index_t t = 0; t < k; ++t) padded[t] = kernel.data[t * kernel.strides[0]];
    fft.forward_split(padded.data(), spectrum.data(), spectrum.data() + bins, work.data());
    const T scale = T(1) / static_cast<T>(size);
    for (T& v : spectrum) v *= scale;
  }
  const T *kre = spectrum.data(), *kim = kre + bins;

  detail::parallel_tasks(rows * blocks, resolve_num_threads(threads), [&](auto run_tasks) {
    std::vector<T> segment(static_cast<size_t>(size)), work(static_cast<size_t>(fft.work_size()));
    std::vector<T> spec(static_cast<size_t>(2 * bins));
    T* seg = segment.data();
    T *re = spec.data(), *im = re + bins;
    run_tasks([&](index_t task) {
      const index_t r = task / blocks;
      const AxisWindow::Block blk = win.block(task % blocks, n);
      const T* x = in.data + batch_offset(in, r, 1);
      T* y = out.data + batch_offset(out, r, 1);
      // seg[i] = x[origin + i] where the block reads the row, else 0
      copy_segment(x, in_step, blk, seg, size);
      fft.forward_split(seg, re, im, work.data());
      for (index_t j = 0; j < bins; ++j) {
        const T pr = re[j] * kre[j] - im[j] * kim[j];
        const T pi = re[j] * kim[j] + im[j] * kre[j];
        re[j] = pr;
        im[j] = pi;
      }
      fft.inverse_split(re, im, seg, work.data());

      const auto [i0, i1] = win.outputs(blk);
      for (index_t i = i0; i < i1; ++i) y[i * out_step] = seg[win.offset(i, blk)];
    });
  });
}

namespace {

// The 2-D blocks' transforms: a block's spectrum is the real transform of
// each of its rows (RealFft, cols / 2 + 1 bins), then the complex
// transform of each column of bins (ComplexFft, a batch over the bins).
// Spectra are split: real parts [rows][bins], then imaginary parts from
// imag() on. One per thread (the plans are shared).
template <class T>
class Block2d {
 public:
  Block2d(const RealFft<T>& row_fft, const ComplexFft<T>& col_fft)
      : row_fft_(row_fft),
        col_fft_(col_fft),
        rows_(col_fft.size()),
        bins_(row_fft.size() / 2 + 1),
        a_(static_cast<size_t>(2 * imag())),
        b_(a_.size()),
        line_(static_cast<size_t>(row_fft.size())),
        work_(static_cast<size_t>(row_fft.work_size())) {}

  index_t bins() const { return bins_; }
  // Offset of the imaginary parts (padded by a cache line: see RealFft).
  index_t imag() const { return rows_ * bins_ + 64 / static_cast<index_t>(sizeof(T)); }
  T* line() { return line_.data(); }

  // The block's 2-D spectrum: fill_row(t, line()) writes row t's samples
  // into line() for t in [row_begin, row_end); the other rows are 0.
  template <class FillRow>
  T* forward(index_t row_begin, index_t row_end, FillRow fill_row) {
    T* re = a_.data();
    T* im = re + imag();
    for (index_t t = 0; t < rows_; ++t) {
      if (t < row_begin || t >= row_end) {
        std::fill(re + t * bins_, re + (t + 1) * bins_, T(0));
        std::fill(im + t * bins_, im + (t + 1) * bins_, T(0));
        continue;
      }
      fill_row(t, line_.data());
      row_fft_.forward_split(line_.data(), re + t * bins_, im + t * bins_, work_.data());
    }
    return col_fft_.forward(a_.data(), b_.data(), imag(), bins_);
  }

  // The product of spectrum s (a result of forward, in this object's
  // buffers) with `kernel` (same layout), then the inverse column
  // transforms; returns the result, conjugated (see row).
  T* multiply_inverse_columns(T* s, const T* kernel) {
    T* re = s;
    T* im = s + imag();
    const T *kre = kernel, *kim = kernel + imag();
    // Conjugated: the inverse DFT is conj(DFT(conj(.))).
    for (index_t e = 0; e < rows_ * bins_; ++e) {
      const T r = re[e] * kre[e] - im[e] * kim[e];
      const T i = re[e] * kim[e] + im[e] * kre[e];
      re[e] = r;
      im[e] = -i;
    }
    T* other = s == a_.data() ? b_.data() : a_.data();
    return col_fft_.forward(s, other, imag(), bins_);
  }

  // Row t of the inverse transform of a block whose column transforms
  // returned c (conjugated), into line() (unnormalised).
  T* row(const T* c, index_t t) {
    row_fft_.inverse_split(c + t * bins_, c + imag() + t * bins_, line_.data(), work_.data(),
                           /*conjugated=*/true);
    return line_.data();
  }

 private:
  const RealFft<T>& row_fft_;
  const ComplexFft<T>& col_fft_;
  index_t rows_, bins_;
  std::vector<T> a_, b_;  // the spectrum and the column passes' other buffer
  std::vector<T> line_;
  std::vector<T> work_;
};

}  // namespace

template <class T>
void convolve_overlap_save_2d(View<const T> in, View<const T> kernel, std::array<index_t, 2> start,
                              std::array<index_t, 2> step, View<T> out, int threads) {
  const char* name = "convolve_overlap_save_2d: ";
  auto fail = [&](const std::string& what) { throw std::invalid_argument(name + what); };
  if (in.ndim() < 2) fail("in must have at least two axes");
  if (kernel.ndim() != 2) fail("kernel must be 2-D");
  if (out.ndim() != in.ndim() ||
      !std::equal(in.shape.begin(), in.shape.end() - 2, out.shape.begin()))
    fail("out must have in's batch shape (all axes but the last two)");
  for (index_t s : step)
    if (s < 1) fail("step must be >= 1, got " + std::to_string(s));
  const int nd = in.ndim();
  const index_t n0 = in.shape[nd - 2], n1 = in.shape[nd - 1];
  const index_t count0 = out.shape[nd - 2], count1 = out.shape[nd - 1];
  if (out.size() == 0) return;
  const index_t planes = out.size() / (count0 * count1);
  const index_t in_s0 = in.strides[nd - 2], in_s1 = in.strides[nd - 1];
  const index_t out_s0 = out.strides[nd - 2], out_s1 = out.strides[nd - 1];

  AxisWindow win0(n0, kernel.shape[0], start[0], step[0], count0);
  AxisWindow win1(n1, kernel.shape[1], start[1], step[1], count1);
  // Zeros outside the computed window: whole rows above and below it, the
  // columns left and right of it in the rows between.
  for (index_t p = 0; p < planes; ++p) {
    T* y = out.data + batch_offset(out, p, 2);
    for (index_t i = 0; i < count0; ++i) {
      const bool inside = i >= win0.first && i < win0.end;
      for (index_t j = 0; j < (inside ? win1.first : count1); ++j)
        y[i * out_s0 + j * out_s1] = T(0);
      if (inside)
        for (index_t j = win1.end; j < count1; ++j) y[i * out_s0 + j * out_s1] = T(0);
    }
  }
  if (win0.empty() || win1.empty()) return;

  for (AxisWindow* win : {&win0, &win1})
    win->set_block(overlap_save_block_size(win->k, win->hi - win->lo, true, sizeof(T)));
  const std::shared_ptr<const RealFft<T>> row_plan = cached_plan<T>(win1.size);
  const ComplexFft<T> col_fft(win0.size);  // (cheap next to the blocks: one column's twiddles)
  const index_t blocks = win0.blocks * win1.blocks;

  // The kernel's spectrum, scaled by 1 / (rows cols) (the inverses are
  // unnormalised), in Block2d's layout.
  std::vector<T> spectrum;
  {
    Block2d<T> block(*row_plan, col_fft);
    const T* s = block.forward(0, kernel.shape[0], [&](index_t t, T* line) {
      std::fill(line, line + win1.size, T(0));
      for (index_t j = 0; j < kernel.shape[1]; ++j)
        line[j] = kernel.data[t * kernel.strides[0] + j * kernel.strides[1]];
    });
    const T scale = T(1) / (static_cast<T>(win0.size) * static_cast<T>(win1.size));
    spectrum.assign(s, s + 2 * block.imag());
    for (T& v : spectrum) v *= scale;
  }

  detail::parallel_tasks(planes * blocks, resolve_num_threads(threads), [&](auto run_tasks) {
    Block2d<T> block(*row_plan, col_fft);
    run_tasks([&](index_t task) {
      const index_t p = task / blocks;
      const AxisWindow::Block b0 = win0.block(task % blocks / win1.blocks, n0);
      const AxisWindow::Block b1 = win1.block(task % blocks % win1.blocks, n1);
      const T* x = in.data + batch_offset(in, p, 2);
      T* y = out.data + batch_offset(out, p, 2);
      T* s = block.forward(b0.begin, b0.end_in, [&](index_t t, T* line) {
        copy_segment(x + (b0.origin + t) * in_s0, in_s1, b1, line, win1.size);
      });
      const T* c = block.multiply_inverse_columns(s, spectrum.data());
      const auto [i0, i1] = win0.outputs(b0);
      const auto [j0, j1] = win1.outputs(b1);
      for (index_t i = i0; i < i1; ++i) {
        const T* line = block.row(c, win0.offset(i, b0));
        T* yi = y + i * out_s0;
        for (index_t j = j0; j < j1; ++j) yi[j * out_s1] = line[win1.offset(j, b1)];
      }
    });
  });
}

template void convolve_overlap_save<float>(View<const float>, View<const float>, index_t, index_t,
                                           View<float>, int);
template void convolve_overlap_save<double>(View<const double>, View<const double>, index_t,
                                            index_t, View<double>, int);
template void convolve_overlap_save_2d<float>(View<const float>, View<const float>,
                                              std::array<index_t, 2>, std::array<index_t, 2>,
                                              View<float>, int);
template void convolve_overlap_save_2d<double>(View<const double>, View<const double>,
                                               std::array<index_t, 2>, std::array<index_t, 2>,
                                               View<double>, int);

}  // namespace fastconv
