#pragma once
// The library's own real FFT and the 1-D and 2-D overlap-save convolutions
// built on it (docs/fft.md says why we write our own).
#include <array>
#include <complex>
#include <vector>

#include "fastconv/export.hpp"
#include "fastconv/view.hpp"

namespace fastconv {

// Whether RealFft takes size n: even, with n / 2 a product of 2s, 3s and 5s.
FASTCONV_API bool fft_size_supported(index_t n);

// The smallest size >= n that RealFft takes.
FASTCONV_API index_t next_fft_size(index_t n);

// A planned complex discrete Fourier transform of size m (m a product of
// 2s, 3s and 5s; m = 1 is the identity) on split arrays: the real parts,
// then the imaginary parts from a fixed offset on. It transforms a batch
// of `batch` interleaved sequences at once (element t of sequence q at
// q + batch * t): the passes' inner loops then run over the batch, whole
// vectors wide (the columns of a 2-D block). Immutable, like RealFft.
template <class T>
class FASTCONV_API ComplexFft {
 public:
  // Throws std::invalid_argument unless m >= 1 is a product of 2, 3 and 5.
  explicit ComplexFft(index_t m);

  index_t size() const { return m_; }

  // X[q + batch j] = sum_t x[q + batch t] exp(-2 pi i j t / m) for the
  // `batch` sequences of a, split: real parts at a[0, m batch), imaginary
  // parts at a[imag, imag + m batch); b is scratch of the same layout. The
  // passes alternate between a and b: returns the one holding the result.
  T* forward(T* a, T* b, index_t imag, index_t batch) const;

 private:
  // One Stockham pass.
  struct Pass {
    index_t radix, length, stride, twiddles;  // (its first twiddle: complex index)
  };
  index_t m_;
  std::vector<Pass> passes_;
  std::vector<T> twiddles_;  // every pass's w^(p k): its real parts, then its imaginary parts
};

extern template class ComplexFft<float>;
extern template class ComplexFft<double>;

// A planned real discrete Fourier transform of size n (twiddle factors
// computed once, here). The transforms allocate nothing: the caller passes
// a scratch buffer of work_size() elements. A plan is immutable, so one
// plan serves any number of threads, each with its own scratch.
template <class T>
class FASTCONV_API RealFft {
 public:
  // Throws std::invalid_argument unless fft_size_supported(n).
  explicit RealFft(index_t n);

  index_t size() const { return n_; }
  index_t work_size() const { return 2 * buffer_size(); }

  // X[j] = sum_t x[t] exp(-2 pi i j t / n) for j in [0, n/2]: x has n
  // elements, X n/2 + 1 (numpy.fft.rfft).
  void forward(const T* x, std::complex<T>* X, T* work) const;

  // x[t] = sum_j X[j] exp(+2 pi i j t / n) over the Hermitian extension of
  // X (n/2 + 1 elements; the imaginary parts of X[0] and X[n/2] are
  // ignored): n * numpy.fft.irfft(X, n), unnormalised like FFTW.
  void inverse(const std::complex<T>* X, T* x, T* work) const;

  // The same with the n/2 + 1 bins split: real parts in re, imaginary
  // parts in im (the 2-D and overlap-save paths keep spectra split). With
  // `conjugated`, inverse_split takes the conjugate of X (im's signs
  // flipped). re and im must not overlap work.
  void forward_split(const T* x, T* re, T* im, T* work) const;
  void inverse_split(const T* re, const T* im, T* x, T* work, bool conjugated = false) const;

 private:
  // The scratch holds two split complex buffers (real parts, then imaginary
  // parts). Power-of-two distances between them make the passes' loads
  // and stores collide in the cache sets (and in the CPU's 4 KiB store
  // forwarding check), so each part is padded by a cache line.
  static constexpr index_t kPad = 64 / sizeof(T);
  index_t imag_offset() const { return n_ / 2 + kPad; }
  index_t buffer_size() const { return n_ + 2 * kPad; }

  index_t n_;
  ComplexFft<T> half_;    // the size n/2 complex transform
  std::vector<T> split_;  // exp(-2 pi i j / n), j in [0, n/4]: the split pass's, split
};

extern template class RealFft<float>;
extern template class RealFft<double>;

// The full linear convolution of every row of `in` (last axis: the signal;
// the leading axes: a batch of rows) with the 1-D `kernel`, sampled at
// full[start + i * step] for the out.shape.back() indices i, into `out`
// (the batch shape of `in`). Indices outside the full convolution (start
// may be negative) give 0. Overlap-save over RealFft blocks: the kernel's
// spectrum is computed once per call, threads share the (row, block)
// tasks, and the result is bitwise the same for any thread count. Accurate
// normwise (about eps * log2(block) * |row| * |kernel|), not per element.
// `out` must not overlap `in` or `kernel`. Throws std::invalid_argument for
// mismatched shapes or step < 1.
template <class T>
FASTCONV_API void convolve_overlap_save(View<const T> in, View<const T> kernel, index_t start,
                                        index_t step, View<T> out, int threads = 0);

// The transform size the overlap-save paths pick along an axis with k taps
// for `outputs` consecutive full outputs (two_d: convolve_overlap_save_2d's
// blocks, for elements of element_size bytes; else the 1-D path's): each
// block yields size - k + 1 outputs. (The cost model's view of the paths.)
FASTCONV_API index_t overlap_save_block_size(index_t k, index_t outputs, bool two_d,
                                             size_t element_size);

// The 2-D counterpart: the full linear convolution of every plane of `in`
// (its last two axes; the leading axes: a batch of planes) with the 2-D
// `kernel`, sampled at full[start[0] + i * step[0], start[1] + j * step[1]]
// for the indices (i, j) of out's last two axes, into `out` (in's batch
// shape). Indices outside the full convolution give 0. Overlap-save over
// 2-D blocks (row-column transforms: RealFft along the rows, ComplexFft
// along the columns of their bins), sized for the cache; the kernel's
// spectrum is computed once per call, threads share the (plane, block)
// tasks, and the result is bitwise the same for any thread count. Only the
// asked-for outputs are computed. Accurate normwise, like the 1-D path.
// `out` must not overlap `in` or `kernel`. Throws std::invalid_argument
// for mismatched shapes or a step < 1.
template <class T>
FASTCONV_API void convolve_overlap_save_2d(View<const T> in, View<const T> kernel,
                                           std::array<index_t, 2> start,
                                           std::array<index_t, 2> step, View<T> out,
                                           int threads = 0);

}  // namespace fastconv
