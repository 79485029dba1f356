// fastconv::RealFft against the DFT's definition in long double, for every
// supported size up to 3072 and some large ones (there, the round trip and
// a few bins), with the normwise bound ||X - DFT(x)|| <= c eps log2(n) ||X||
// (2-norms); and fastconv::convolve_overlap_save against the convolution's
// definition in long double, bitwise the same for any thread count (and
// convolve_overlap_save_2d likewise).
#include <fastconv/fastconv.hpp>

#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {
using fastconv::index_t;
using LD = long double;
int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::printf("FAIL: %s\n", what.c_str());
    ++failures;
  }
}

void expect_invalid(const std::function<void()>& f, const std::string& what) {
  try {
    f();
    check(false, what + " (no exception)");
  } catch (const std::invalid_argument&) {
  }
}

// The bound's constant: the measured errors are below 0.5 eps log2(n).
constexpr LD kBound = 2;

template <class T>
std::vector<T> random_values(index_t n, std::mt19937* rng) {
  std::uniform_real_distribution<double> d(-1, 1);
  std::vector<T> v(static_cast<size_t>(n));
  for (T& e : v) e = static_cast<T>(d(*rng));
  return v;
}

// exp(sign 2 pi i j / n) for every j < n, in long double.
std::vector<std::complex<LD>> roots(index_t n, int sign) {
  const LD pi = 3.141592653589793238462643383279502884L;
  std::vector<std::complex<LD>> w(static_cast<size_t>(n));
  for (index_t j = 0; j < n; ++j) {
    const LD a = sign * 2 * pi * static_cast<LD>(j) / static_cast<LD>(n);
    w[j] = {std::cos(a), std::sin(a)};
  }
  return w;
}

// Bin j of the DFT of real x (n values).
template <class T>
std::complex<LD> dft_bin(const std::vector<T>& x, index_t j,
                         const std::vector<std::complex<LD>>& w) {
  const index_t n = static_cast<index_t>(x.size());
  std::complex<LD> s = 0;
  for (index_t t = 0; t < n; ++t) s += static_cast<LD>(x[t]) * w[(j * t) % n];
  return s;
}

template <class T>
LD eps() {
  return static_cast<LD>(std::numeric_limits<T>::epsilon());
}

// A plan of size n, random data x and its transform X.
template <class T>
struct Transformed {
  fastconv::RealFft<T> fft;
  index_t m;
  std::vector<T> x, work;
  std::vector<std::complex<T>> X;
  Transformed(index_t n, std::mt19937* rng)
      : fft(n), m(n / 2), x(random_values<T>(n, rng)), work(fft.work_size()), X(m + 1) {
    fft.forward(x.data(), X.data(), work.data());
  }
};

// Forward and inverse of size n against the whole DFT.
template <class T>
void check_size(index_t n, std::mt19937* rng) {
  Transformed<T> tr(n, rng);
  const auto& fft = tr.fft;
  const auto& x = tr.x;
  const auto& X = tr.X;
  auto& work = tr.work;
  const index_t m = tr.m;
  const auto fw = roots(n, -1), bw = roots(n, 1);
  LD err = 0, norm = 0;
  for (index_t j = 0; j <= m; ++j) {
    const std::complex<LD> ref = dft_bin(x, j, fw);
    err += std::norm(std::complex<LD>(X[j]) - ref);
    norm += std::norm(ref);
  }
  const LD bound = kBound * eps<T>() * std::log2(static_cast<LD>(n));
  check(std::sqrt(err) <= bound * std::sqrt(norm),
        "forward n=" + std::to_string(n) + " sizeof=" + std::to_string(sizeof(T)));

  // The inverse of a random half spectrum (the imaginary parts of X[0] and
  // X[m] are ignored): x[t] = sum over the Hermitian extension.
  const std::vector<T> parts = random_values<T>(2 * (m + 1), rng);
  std::vector<std::complex<T>> Y(static_cast<size_t>(m + 1));
  for (index_t j = 0; j <= m; ++j) Y[j] = {parts[2 * j], parts[2 * j + 1]};
  std::vector<T> y(static_cast<size_t>(n));
  fft.inverse(Y.data(), y.data(), work.data());
  err = norm = 0;
  for (index_t t = 0; t < n; ++t) {
    LD ref = static_cast<LD>(Y[0].real()) + static_cast<LD>(Y[m].real()) * (t % 2 ? -1 : 1);
    for (index_t j = 1; j < m; ++j) ref += 2 * (std::complex<LD>(Y[j]) * bw[(j * t) % n]).real();
    err += (y[t] - ref) * (y[t] - ref);
    norm += ref * ref;
  }
  check(std::sqrt(err) <= bound * std::sqrt(norm),
        "inverse n=" + std::to_string(n) + " sizeof=" + std::to_string(sizeof(T)));
}

// A large size: a few bins against the DFT, and the round trip.
template <class T>
void check_large(index_t n, std::mt19937* rng) {
  Transformed<T> tr(n, rng);
  const auto& x = tr.x;
  const index_t m = tr.m;
  std::vector<T> back(static_cast<size_t>(n));
  const auto fw = roots(n, -1);
  const LD bound = kBound * eps<T>() * std::log2(static_cast<LD>(n));
  LD xnorm = 0;
  for (T v : x) xnorm += static_cast<LD>(v) * v;
  xnorm = std::sqrt(xnorm);
  // Each bin's error is below the whole spectrum's, sqrt(n) bound ||x||.
  for (index_t j : {index_t(0), index_t(1), m / 3, m / 2, m - 1, m}) {
    const LD e = std::abs(std::complex<LD>(tr.X[j]) - dft_bin(x, j, fw));
    check(e <= bound * std::sqrt(static_cast<LD>(n)) * xnorm,
          "large forward bin " + std::to_string(j) + " n=" + std::to_string(n));
  }
  tr.fft.inverse(tr.X.data(), back.data(), tr.work.data());
  LD err = 0;
  for (index_t t = 0; t < n; ++t) {
    const LD d = static_cast<LD>(back[t]) / n - x[t];
    err += d * d;
  }
  check(std::sqrt(err) <= 2 * bound * xnorm, "large round trip n=" + std::to_string(n));
}

// convolve_overlap_save of a batch of rows against the definition.
template <class T>
void check_overlap_save(index_t rows, index_t n, index_t k, index_t start, index_t step,
                        index_t count, std::mt19937* rng) {
  const std::vector<T> x = random_values<T>(rows * n, rng), h = random_values<T>(k, rng);
  std::vector<T> y1(static_cast<size_t>(rows * count)), y3(y1.size());
  auto run = [&](std::vector<T>& y, int threads) {
    fastconv::convolve_overlap_save<T>(fastconv::make_view(x.data(), {rows, n}),
                                       fastconv::make_view(h.data(), {k}), start, step,
                                       fastconv::make_view(y.data(), {rows, count}), threads);
  };
  run(y1, 1);
  run(y3, 3);
  const std::string what = " rows=" + std::to_string(rows) + " n=" + std::to_string(n) +
                           " k=" + std::to_string(k) + " start=" + std::to_string(start) +
                           " step=" + std::to_string(step);
  check(y1 == y3, "overlap-save: threads change the bits" + what);
  LD hnorm = 0;
  for (T v : h) hnorm += static_cast<LD>(v) * v;
  for (index_t r = 0; r < rows; ++r) {
    LD err = 0, xnorm = 0;
    for (index_t t = 0; t < n; ++t) xnorm += static_cast<LD>(x[r * n + t]) * x[r * n + t];
    for (index_t i = 0; i < count; ++i) {
      const index_t j = start + i * step;
      LD ref = 0;
      for (index_t t = 0; t < k; ++t)
        if (j - t >= 0 && j - t < n) ref += static_cast<LD>(h[t]) * x[r * n + j - t];
      err = std::max(err, std::abs(y1[r * count + i] - ref));
    }
    // |y - ref| <= c eps log2(N) ||x|| ||h||, with a block size N below 2^20
    check(err <= 4 * kBound * eps<T>() * 20 * std::sqrt(xnorm * hnorm), "overlap-save" + what);
  }
}

// convolve_overlap_save_2d of a batch of planes against the definition:
// the window full[start + i step] of each plane, bitwise the same for 1 and
// 3 threads, with the normwise bound of the 1-D check (a 2-D block's
// transforms have log2(N0 N1) stages).
template <class T>
void check_overlap_save_2d(index_t planes, std::array<index_t, 2> n, std::array<index_t, 2> k,
                           std::array<index_t, 2> start, std::array<index_t, 2> step,
                           std::array<index_t, 2> count, std::mt19937* rng) {
  const index_t plane = n[0] * n[1], out_plane = count[0] * count[1];
  const std::vector<T> x = random_values<T>(planes * plane, rng),
                       h = random_values<T>(k[0] * k[1], rng);
  std::vector<T> y1(static_cast<size_t>(planes * out_plane)), y3(y1.size());
  auto run = [&](std::vector<T>& y, int threads) {
    fastconv::convolve_overlap_save_2d<T>(
        fastconv::make_view(x.data(), {planes, n[0], n[1]}),
        fastconv::make_view(h.data(), {k[0], k[1]}), start, step,
        fastconv::make_view(y.data(), {planes, count[0], count[1]}), threads);
  };
  run(y1, 1);
  run(y3, 3);
  std::string what = " planes=" + std::to_string(planes);
  for (int a = 0; a < 2; ++a)
    what += " axis " + std::to_string(a) + ": n=" + std::to_string(n[a]) +
            " k=" + std::to_string(k[a]) + " start=" + std::to_string(start[a]) +
            " step=" + std::to_string(step[a]);
  check(y1 == y3, "overlap-save 2-D: threads change the bits" + what);
  LD hnorm = 0;
  for (T v : h) hnorm += static_cast<LD>(v) * v;
  for (index_t p = 0; p < planes; ++p) {
    const T* xp = x.data() + p * plane;
    LD err = 0, xnorm = 0;
    for (index_t t = 0; t < plane; ++t) xnorm += static_cast<LD>(xp[t]) * xp[t];
    for (index_t i = 0; i < count[0]; ++i)
      for (index_t j = 0; j < count[1]; ++j) {
        const index_t r = start[0] + i * step[0], c = start[1] + j * step[1];
        LD ref = 0;
        for (index_t a = 0; a < k[0]; ++a)
          for (index_t b = 0; b < k[1]; ++b)
            if (r - a >= 0 && r - a < n[0] && c - b >= 0 && c - b < n[1])
              ref += static_cast<LD>(h[a * k[1] + b]) * xp[(r - a) * n[1] + c - b];
        err = std::max(err, std::abs(y1[p * out_plane + i * count[1] + j] - ref));
      }
    check(err <= 4 * kBound * eps<T>() * 20 * std::sqrt(xnorm * hnorm), "overlap-save 2-D" + what);
  }
}

}  // namespace

int main() {
  std::mt19937 rng(29);
  int sizes = 0;
  for (index_t n = 1; n <= 3072; ++n) {
    check(fastconv::fft_size_supported(n) ==
              (n == fastconv::next_fft_size(n) && n % 2 == 0 && n >= 2),
          "next_fft_size and fft_size_supported agree at " + std::to_string(n));
    if (!fastconv::fft_size_supported(n)) continue;
    check_size<double>(n, &rng);
    check_size<float>(n, &rng);
    ++sizes;
  }
  check(sizes > 50, "sizes checked");
  for (index_t n : {index_t(31250), index_t(43200), index_t(98304), index_t(1) << 17}) {
    check_large<double>(n, &rng);
    check_large<float>(n, &rng);
  }
  check(fastconv::next_fft_size(2001) == 2048 && fastconv::next_fft_size(2025) == 2048 &&
            fastconv::next_fft_size(1001) == 1024 && fastconv::next_fft_size(1000) == 1000,
        "next_fft_size values");
  expect_invalid([] { fastconv::RealFft<double> f(14); }, "size 14 (7 is not a factor)");
  expect_invalid([] { fastconv::RealFft<double> f(9); }, "odd size");
  expect_invalid([] { fastconv::RealFft<float> f(0); }, "size 0");

  // rows, n, k, start, step, count: full (start 0, n + k - 1 outputs),
  // windows, strides, negative starts and outputs past the end.
  check_overlap_save<double>(3, 5000, 37, 0, 1, 5036, &rng);
  check_overlap_save<double>(2, 10007, 300, 150, 1, 10007, &rng);
  check_overlap_save<double>(1, 1000, 1000, -5, 3, 700, &rng);
  check_overlap_save<double>(2, 7, 3000, 2, 2, 1600, &rng);
  check_overlap_save<float>(4, 9000, 129, 64, 1, 9000, &rng);
  check_overlap_save<float>(1, 1, 1, -3, 1, 8, &rng);
  // planes, n, k, start, step, count: full, 'same'-like and 'valid'-like
  // windows over several blocks, odd and non-smooth sizes, strides,
  // negative starts, outputs past the end, a kernel larger than the plane.
  check_overlap_save_2d<double>(2, {61, 53}, {9, 13}, {0, 0}, {1, 1}, {69, 65}, &rng);
  check_overlap_save_2d<double>(1, {150, 97}, {31, 5}, {15, 2}, {1, 1}, {150, 97}, &rng);
  check_overlap_save_2d<double>(1, {70, 71}, {7, 70}, {6, 69}, {2, 3}, {32, 1}, &rng);
  check_overlap_save_2d<double>(1, {5, 6}, {40, 3}, {-3, -1}, {3, 1}, {16, 11}, &rng);
  check_overlap_save_2d<float>(3, {130, 41}, {17, 11}, {8, 5}, {1, 2}, {130, 21}, &rng);
  check_overlap_save_2d<float>(1, {1, 1}, {1, 1}, {-2, 0}, {1, 1}, {4, 3}, &rng);
  {
    std::vector<double> x(12), h(4), y(24);
    auto call = [&](std::array<index_t, 2> step, std::vector<index_t> out_shape,
                    std::vector<index_t> k_shape) {
      fastconv::convolve_overlap_save_2d<double>(fastconv::make_view(x.data(), {2, 2, 3}),
                                                 fastconv::make_view(h.data(), k_shape), {0, 0},
                                                 step, fastconv::make_view(y.data(), out_shape), 1);
    };
    expect_invalid([&] { call({1, 0}, {2, 3, 4}, {2, 2}); }, "2-D: step 0");
    expect_invalid([&] { call({1, 1}, {3, 2, 4}, {2, 2}); }, "2-D: batch shape mismatch");
    expect_invalid([&] { call({1, 1}, {2, 3, 4}, {4}); }, "2-D: a 1-D kernel");
  }
  {
    std::vector<double> x(10), h(3), y(12);
    auto call = [&](index_t step, std::vector<index_t> out_shape) {
      fastconv::convolve_overlap_save<double>(fastconv::make_view(x.data(), {2, 5}),
                                              fastconv::make_view(h.data(), {3}), 0, step,
                                              fastconv::make_view(y.data(), out_shape), 1);
    };
    expect_invalid([&] { call(0, {2, 6}); }, "step 0");
    expect_invalid([&] { call(1, {3, 4}); }, "batch shape mismatch");
  }
  if (failures) return 1;
  std::printf("test_fft: %d sizes, all passed\n", sizes);
  return 0;
}
