// C++-only checks of the core (no Python): results for every element type
// against a naive loop, and the exceptions of bad arguments.
#include <fastconv/fastconv.hpp>

#include <complex>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <vector>

namespace {
int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) { std::printf("FAIL: %s\n", what); ++failures; }
}

template <class T>
void check_1d_valid(const char* name) {
  std::vector<T> x = {T(1), T(2), T(3), T(4), T(5)};
  std::vector<T> k = {T(1), T(-1), T(2)};
  fastconv::ConvOptions opt;
  opt.mode = fastconv::Mode::valid;
  std::vector<T> out(3);
  fastconv::convolve<T>(fastconv::make_view<const T>(x.data(), {5}),
                        fastconv::make_view<const T>(k.data(), {3}),
                        fastconv::make_view(out.data(), {3}), opt);
  // out[i] = sum_p x[i + 2 - p] k[p]
  bool ok = true;
  for (int i = 0; i < 3; ++i) {
    T ref = T(0);
    for (int p = 0; p < 3; ++p) ref += x[i + 2 - p] * k[p];
    ok = ok && out[i] == ref;
  }
  check(ok, name);
}

void expect_invalid(const std::function<void()>& f, const char* what) {
  try {
    f();
    check(false, what);
  } catch (const std::invalid_argument&) {
  }
}
}  // namespace

int main() {
  check_1d_valid<float>("float");
  check_1d_valid<double>("double");
  check_1d_valid<long double>("long double");
  check_1d_valid<std::complex<float>>("complex<float>");
  check_1d_valid<std::complex<double>>("complex<double>");
  check_1d_valid<std::int64_t>("int64");

  std::vector<double> x(16, 1.0), k(9, 1.0), out(100);
  auto in = fastconv::make_view<const double>(x.data(), {4, 4});
  auto kv = fastconv::make_view<const double>(k.data(), {3, 3});
  fastconv::ConvOptions opt;
  opt.stride = {0};
  expect_invalid([&] { fastconv::output_shape(in.shape, kv.shape, opt); }, "stride 0");
  opt = {};
  opt.dilation = {1, 2, 3};
  expect_invalid([&] { fastconv::output_shape(in.shape, kv.shape, opt); }, "3 dilations for 2 axes");
  opt = {};
  expect_invalid([&] {
    fastconv::convolve<double>(in, kv, fastconv::make_view(out.data(), {5, 5}), opt);
  }, "wrong out shape");
  expect_invalid([] { fastconv::parse_boundary("reflect"); }, "reflect is ambiguous");
  expect_invalid([] { fastconv::parse_mode("bogus"); }, "unknown mode");
  opt.mode = fastconv::Mode::valid;
  opt.dilation = {3};
  expect_invalid([&] { fastconv::output_shape(in.shape, kv.shape, opt); }, "valid needs ke <= n");

  // Max-pooling 2x2 at stride 2 with indices, and unpooling back.
  {
    std::vector<float> img = {1, 5, 2, 0,  //
                              3, 4, 8, 8,  //
                              0, 0, 1, 1,  //
                              9, 0, 1, 2};
    std::vector<float> pooled(4), restored(16);
    std::vector<std::int64_t> where(4);
    fastconv::PoolOptions po;
    po.kernel_size = {2, 2};
    check(fastconv::max_pool_shape({1, 4, 4}, po) == std::vector<fastconv::index_t>({1, 2, 2}),
          "max_pool_shape");
    fastconv::max_pool<float>(fastconv::make_view<const float>(img.data(), {1, 4, 4}),
                              fastconv::make_view(pooled.data(), {1, 2, 2}),
                              fastconv::make_view(where.data(), {1, 2, 2}), po);
    check(pooled == std::vector<float>({5, 8, 9, 2}), "max_pool values");
    check(where == std::vector<std::int64_t>({1, 6, 12, 15}), "max_pool indices (first tie)");
    fastconv::max_unpool<float>(fastconv::make_view<const float>(pooled.data(), {1, 2, 2}),
                                fastconv::make_view<const std::int64_t>(where.data(), {1, 2, 2}),
                                fastconv::make_view(restored.data(), {1, 4, 4}), 2);
    check(restored == std::vector<float>({0, 5, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 9, 0, 0, 2}),
          "max_unpool");
    where[3] = 16;
    expect_invalid([&] {
      fastconv::max_unpool<float>(fastconv::make_view<const float>(pooled.data(), {1, 2, 2}),
                                  fastconv::make_view<const std::int64_t>(where.data(), {1, 2, 2}),
                                  fastconv::make_view(restored.data(), {1, 4, 4}), 2);
    }, "unpool index outside the plane");
    po.padding = {2};
    expect_invalid([&] { fastconv::max_pool_shape({1, 4, 4}, po); }, "padding > kernel/2");
  }

  // Transposed convolution, 1-D: [1, 2] with [1, 1, 1] at stride 2
  // scatters copies 2 apart: 1 1 1 . . + . . 2 2 2 = 1 1 3 2 2.
  {
    std::vector<double> xt = {1, 2}, kt = {1, 1, 1}, yt(5);
    fastconv::TransposeOptions to;
    to.stride = {2};
    fastconv::conv_transpose<double>(fastconv::make_view<const double>(xt.data(), {2}),
                                     fastconv::make_view<const double>(kt.data(), {3}),
                                     fastconv::make_view(yt.data(), {5}), to);
    check(yt == std::vector<double>({1, 1, 3, 2, 2}), "conv_transpose 1-D");
    to.output_padding = {2};
    expect_invalid([&] { fastconv::conv_transpose_shape({2}, {3}, to); },
                   "output_padding >= stride");
  }

  // Called from inside the caller's own OpenMP team: every call must run
  // on its own (no worksharing that binds to the caller's team).
  {
    std::vector<double> img(64 * 64), ker(5 * 5, 1.0), ref(64 * 64);
    for (size_t i = 0; i < img.size(); ++i) img[i] = double(i % 17);
    fastconv::ConvOptions so;
    so.mode = fastconv::Mode::same;
    auto I = fastconv::make_view<const double>(img.data(), {64, 64});
    auto K = fastconv::make_view<const double>(ker.data(), {5, 5});
    fastconv::convolve<double>(I, K, fastconv::make_view(ref.data(), {64, 64}), so);
    int mismatches = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(2) reduction(+ : mismatches)
#endif
    {
      std::vector<double> mine(64 * 64), sep(64 * 64);
      std::vector<double> ones(5, 1.0);
      fastconv::convolve<double>(I, K, fastconv::make_view(mine.data(), {64, 64}), so);
      fastconv::convolve_separable<double>(I, fastconv::make_view<const double>(ones.data(), {5}),
                                           fastconv::make_view<const double>(ones.data(), {5}),
                                           fastconv::make_view(sep.data(), {64, 64}), so);
      for (size_t i = 0; i < mine.size(); ++i)
        mismatches += (mine[i] != ref[i]) + (sep[i] != ref[i]);
    }
    check(mismatches == 0, "calls from inside the caller's OpenMP team");
  }

  std::printf("%d failed\n", failures);
  return failures ? 1 : 0;
}
