// The time per stage of the 1-D overlap-save path (fastconv/fft.hpp) on
// H8's shape (float32, N = 10^6, K = 1024), one thread: the block's copy
// in, forward transform, spectrum product, inverse transform and copy out,
// each timed over every block of the row, median of 9 runs; the block size
// is the library's choice (8x the kernel), or argv[1]. Build against
// a CMake build of the library (no install needed):
//   g++ -O2 -std=c++17 -Icpp/include -I<build>/generated/include -Icpp/src
//     bench/fft_stages.cpp <build>/cpp/libfastconv.a -fopenmp -o /tmp/fft_stages
#include <fastconv/fft.hpp>

#include <algorithm>
#include <chrono>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "fft/complex_ops.hpp"

using fastconv::index_t;
using T = float;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const index_t n = 1000000, k = 1024;
  const index_t size = fastconv::next_fft_size(argc > 1 ? std::atol(argv[1]) : 8 * k);
  const index_t step = size - k + 1, blocks = (n + k - 1 + step - 1) / step;
  std::mt19937 rng(8);
  std::uniform_real_distribution<T> d(-1, 1);
  std::vector<T> x(n), h(k), y(n + k - 1);
  for (T& v : x) v = d(rng);
  for (T& v : h) v = d(rng);
  const fastconv::RealFft<T> fft(size);
  std::vector<T> seg(size), work(fft.work_size()), hspec(size + 2);
  std::vector<std::complex<T>> spec(size / 2 + 1);
  std::copy(h.begin(), h.end(), seg.begin());
  fft.forward(seg.data(), reinterpret_cast<std::complex<T>*>(hspec.data()), work.data());

  const char* names[] = {"copy in", "forward", "product", "inverse", "copy out"};
  std::vector<double> runs[5];
  for (int run = 0; run < 9; ++run) {
    double t[5] = {};
    for (index_t b = 0; b < blocks; ++b) {
      const index_t j0 = b * step, origin = j0 - (k - 1);
      auto t0 = Clock::now();
      // (as the library does: the row's samples, zeros around them)
      const index_t begin = std::max<index_t>(-origin, 0);
      const index_t end = std::min(n - origin, std::min(size, j0 + step - origin));
      std::fill(seg.begin(), seg.end(), T(0));
      if (end > begin)
        std::copy(x.begin() + origin + begin, x.begin() + origin + end, seg.begin() + begin);
      auto t1 = Clock::now();
      fft.forward(seg.data(), spec.data(), work.data());
      auto t2 = Clock::now();
      T* s = reinterpret_cast<T*>(spec.data());
      for (index_t j = 0; j < size / 2 + 1; ++j)
        fastconv::fft::store(s, j,
                             fastconv::fft::load(s, j) * fastconv::fft::load(hspec.data(), j));
      auto t3 = Clock::now();
      fft.inverse(spec.data(), seg.data(), work.data());
      auto t4 = Clock::now();
      const index_t count = std::min(step, n + k - 1 - j0);
      std::copy(seg.begin() + (k - 1), seg.begin() + (k - 1) + count, y.begin() + j0);
      auto t5 = Clock::now();
      const Clock::time_point ts[] = {t0, t1, t2, t3, t4, t5};
      for (int i = 0; i < 5; ++i) t[i] += std::chrono::duration<double>(ts[i + 1] - ts[i]).count();
    }
    for (int i = 0; i < 5; ++i) runs[i].push_back(t[i]);
  }
  std::printf("H8 shape, block size %td, %td blocks, one thread (median of 9):\n", size, blocks);
  double total = 0;
  for (int i = 0; i < 5; ++i) {
    std::sort(runs[i].begin(), runs[i].end());
    total += runs[i][4];
    std::printf("  %-9s %7.3f ms\n", names[i], runs[i][4] * 1e3);
  }
  std::printf("  %-9s %7.3f ms\n", "total", total * 1e3);
  return 0;
}
