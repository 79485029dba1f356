// C++-only checks of the core (no Python): results for every element type
// against a naive loop, and the exceptions of bad arguments.
#include <fastconv/fastconv.hpp>

#include <cfenv>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {
using fastconv::index_t;
int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL: %s\n", what);
    ++failures;
  }
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

// A CNN layer (N=2, C=4, 5x7 -> Cout=6, groups 2, 3x2 kernel, stride
// (1, 2), padding (1, 0), bias) against a naive loop over the definition;
// integer-valued data, so every element type must agree exactly.
template <class T>
void check_conv2d(const char* name) {
  using fastconv::index_t;
  const index_t N = 2, C = 4, H = 5, W = 7, O = 6, G = 2, KH = 3, KW = 2;
  std::vector<T> x(N * C * H * W), w(O * (C / G) * KH * KW), b(O);
  for (size_t i = 0; i < x.size(); ++i) x[i] = T(static_cast<int>(i % 7) - 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = T(static_cast<int>(i % 5) - 2);
  for (size_t i = 0; i < b.size(); ++i) b[i] = T(static_cast<int>(i));
  fastconv::ConvLayerOptions o;
  o.groups = G;
  o.stride = {1, 2};
  o.padding = {1, 0};
  const auto shape = fastconv::conv_output_shape({N, C, H, W}, {O, C / G, KH, KW}, o);
  check(shape == std::vector<index_t>({N, O, 5, 3}), "conv_output_shape");
  std::vector<T> out(N * O * 5 * 3);
  fastconv::conv2d<T>(fastconv::make_view<const T>(x.data(), {N, C, H, W}),
                      fastconv::make_view<const T>(w.data(), {O, C / G, KH, KW}),
                      fastconv::make_view<const T>(b.data(), {O}),
                      fastconv::make_view(out.data(), shape), o);
  bool ok = true;
  for (index_t n = 0; n < N; ++n)
    for (index_t oc = 0; oc < O; ++oc)
      for (index_t i = 0; i < 5; ++i)
        for (index_t j = 0; j < 3; ++j) {
          T ref = b[oc];
          const index_t g = oc / (O / G);
          for (index_t c = 0; c < C / G; ++c)
            for (index_t p = 0; p < KH; ++p)
              for (index_t q = 0; q < KW; ++q) {
                const index_t r = i + p - 1, s = j * 2 + q;
                if (r < 0 || r >= H) continue;  // zero padding
                ref += x[((n * C + g * (C / G) + c) * H + r) * W + s] *
                       w[((oc * (C / G) + c) * KH + p) * KW + q];
              }
          ok = ok && out[((n * O + oc) * 5 + i) * 3 + j] == ref;
        }
  check(ok, name);
}

// A transposed CNN layer against a naive loop over the scatter definition
//   out[n, g*Og + o, i*s + p*d - pad] += x[n, g*Cg + c, i] * w[g*Cg + c, o, p]
// (per spatial axis; plus bias). Integer-valued data: every element type
// must agree exactly. 2-D (or 1-D with H = 1 and no H axis in the views);
// the output is written through a strided view (every other element of a
// larger buffer, which must stay untouched elsewhere).
template <class T>
bool check_conv_transpose(index_t N, index_t C, index_t H, index_t W, index_t O, index_t G,
                          index_t KH, index_t KW, std::vector<index_t> s, std::vector<index_t> d,
                          std::vector<index_t> pad, std::vector<index_t> op, bool with_bias,
                          bool one_d) {
  const index_t Cg = C / G, Og = O / G;
  std::vector<T> x(N * C * H * W), w(C * Og * KH * KW), b(O);
  for (size_t i = 0; i < x.size(); ++i) x[i] = T(static_cast<int>((i * 7) % 9) - 4);
  for (size_t i = 0; i < w.size(); ++i) w[i] = T(static_cast<int>((i * 5) % 7) - 3);
  for (size_t i = 0; i < b.size(); ++i) b[i] = T(static_cast<int>(i % 5) - 2);
  fastconv::ConvTransposeLayerOptions o;
  o.groups = G;
  o.stride = s;
  o.dilation = d;
  o.padding = pad;
  o.output_padding = op;
  const int ax = one_d ? 0 : 1;                        // index of the column axis in s, d, pad, op
  for (std::vector<index_t>* v : {&s, &d, &pad, &op})  // one value: every axis (as the options)
    if (v->size() == 1 && !one_d) v->push_back(v->front());
  const index_t OH = one_d ? 1 : (H - 1) * s[0] - 2 * pad[0] + d[0] * (KH - 1) + op[0] + 1;
  const index_t OW = (W - 1) * s[ax] - 2 * pad[ax] + d[ax] * (KW - 1) + op[ax] + 1;
  std::vector<index_t> xs = {N, C, H, W}, ws = {C, Og, KH, KW}, ys = {N, O, OH, OW};
  if (one_d) {
    xs = {N, C, W};
    ws = {C, Og, KW};
    ys = {N, O, OW};
  }
  if (fastconv::conv_transpose_output_shape(xs, ws, o) != ys) return false;
  // the reference, from the scatter definition
  std::vector<T> ref(N * O * OH * OW, T(0));
  for (index_t n = 0; n < N; ++n)
    for (index_t g = 0; g < G; ++g)
      for (index_t c = 0; c < Cg; ++c)
        for (index_t i = 0; i < H; ++i)
          for (index_t j = 0; j < W; ++j)
            for (index_t p = 0; p < KH; ++p)
              for (index_t q = 0; q < KW; ++q)
                for (index_t oc = 0; oc < Og; ++oc) {
                  const index_t r = one_d ? 0 : i * s[0] + p * d[0] - pad[0];
                  const index_t t = j * s[ax] + q * d[ax] - pad[ax];
                  if (r < 0 || r >= OH || t < 0 || t >= OW) continue;
                  ref[((n * O + g * Og + oc) * OH + r) * OW + t] +=
                      x[((n * C + g * Cg + c) * H + i) * W + j] *
                      w[(((g * Cg + c) * Og + oc) * KH + p) * KW + q];
                }
  if (with_bias)
    for (index_t n = 0; n < N; ++n)
      for (index_t oc = 0; oc < O; ++oc)
        for (index_t r = 0; r < OH * OW; ++r) ref[(n * O + oc) * OH * OW + r] += b[oc];
  // the output through a strided view: every other element of a buffer
  const T sentinel = T(12345);
  std::vector<T> buf(2 * ref.size(), sentinel);
  std::vector<index_t> ystr = {2 * O * OH * OW, 2 * OH * OW, 2 * OW, 2};
  if (one_d) ystr = {2 * O * OW, 2 * OW, 2};
  fastconv::View<T> y(buf.data(), ys, ystr);
  fastconv::View<const T> bias = with_bias ? fastconv::make_view<const T>(b.data(), {O})
                                           : fastconv::View<const T>(nullptr, {}, {});
  if (one_d)
    fastconv::conv_transpose1d<T>(fastconv::make_view<const T>(x.data(), xs),
                                  fastconv::make_view<const T>(w.data(), ws), bias, y, o);
  else
    fastconv::conv_transpose2d<T>(fastconv::make_view<const T>(x.data(), xs),
                                  fastconv::make_view<const T>(w.data(), ws), bias, y, o);
  bool ok = true;
  for (size_t i = 0; i < ref.size(); ++i)
    ok = ok && buf[2 * i] == ref[i] && buf[2 * i + 1] == sentinel;
  return ok;
}

template <class T>
void check_conv_transposes(const char* name) {
  struct Case {
    index_t N, C, H, W, O, G, KH, KW;
    std::vector<index_t> s, d, pad, op;
    bool bias, one_d;
  };
  const std::vector<Case> cases = {
      {2, 4, 3, 5, 6, 2, 3, 2, {2, 1}, {1, 2}, {1, 0}, {1, 0}, true, false},
      {1, 3, 4, 4, 5, 1, 4, 4, {2}, {1}, {1}, {0}, true, false},              // k4 s2 p1
      {1, 6, 3, 4, 6, 6, 2, 2, {3}, {1}, {0}, {2}, false, false},             // depthwise, k < s
      {1, 4, 3, 3, 8, 2, 2, 3, {4, 2}, {2, 3}, {1, 2}, {3, 2}, true, false},  // gcd(d, s) > 1
      {1, 2, 2, 2, 37, 1, 3, 3, {2}, {1}, {0}, {1}, true, false},  // Cout not a block multiple
      {2, 4, 1, 9, 6, 2, 1, 4, {3}, {2}, {2}, {2}, true, true},    // 1-D
      {1, 3, 1, 7, 4, 1, 1, 3, {1}, {2}, {1}, {1}, false, true},   // 1-D, op < dilation
      // kernel == stride: one 1x1 layer, its channels stored to their phases
      {2, 4, 3, 5, 40, 2, 2, 2, {2}, {1}, {0}, {1}, true, false},
      {1, 3, 2, 3, 36, 1, 2, 3, {2, 3}, {1}, {0}, {0}, false, false},
      {2, 4, 1, 5, 32, 2, 1, 3, {3}, {1}, {0}, {1}, true, true},  // 1-D
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const std::string what = std::string(name) + ", case " + std::to_string(i);
    check(check_conv_transpose<T>(c.N, c.C, c.H, c.W, c.O, c.G, c.KH, c.KW, c.s, c.d, c.pad, c.op,
                                  c.bias, c.one_d),
          what.c_str());
  }
}

void expect_invalid(const std::function<void()>& f, const char* what) {
  try {
    f();
    check(false, what);
  } catch (const std::invalid_argument&) {
  }
}
}  // namespace

// The denormal guard from the C++ API: a 2-D convolution of subnormal
// data against a long double loop (bound: 2 * taps * eps * sum|terms|
// plus taps smallest subnormals), with the guard on and off; with it on,
// the call raises no underflow (no operation met a subnormal).
void check_denormal_guard() {
  const index_t n = 40, m = 50, kh = 3, kw = 4;
  std::vector<float> x(n * m), k(kh * kw), out(n * m);
  std::uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(static_cast<int>(state >> 8) - (1 << 23)) / float(1 << 23);
  };
  for (float& v : x) v = next() * 1e-39f;
  for (float& v : k) v = next();
  fastconv::ConvOptions opt;
  opt.mode = fastconv::Mode::same;
  opt.threads = 1;  // (a worker thread's flags are its own)
  const bool before = fastconv::denormal_guard();
  for (bool on : {true, false}) {
    fastconv::set_denormal_guard(on);
    std::feclearexcept(FE_UNDERFLOW);
    fastconv::convolve<float>(fastconv::make_view<const float>(x.data(), {n, m}),
                              fastconv::make_view<const float>(k.data(), {kh, kw}),
                              fastconv::make_view(out.data(), {n, m}), opt);
    if (on) check(!std::fetestexcept(FE_UNDERFLOW), "guard on: no subnormal in the arithmetic");
    bool ok = true;
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < m; ++j) {
        long double exact = 0, scale = 0;
        for (index_t p = 0; p < kh; ++p)
          for (index_t q = 0; q < kw; ++q) {
            // 'same' (scipy's anchor): out[i, j] = sum x[i + 1 - p, j + 1 - q] k[p, q]
            const index_t a = i + (kh - 1) / 2 - p, b = j + (kw - 1) / 2 - q;
            if (a < 0 || a >= n || b < 0 || b >= m) continue;
            const long double t = static_cast<long double>(x[a * m + b]) * k[p * kw + q];
            exact += t;
            scale += t < 0 ? -t : t;
          }
        const long double err = out[i * m + j] - exact;
        const long double bound = 2.0L * kh * kw * 1.1920929e-7L * scale + kh * kw * 1.4e-45L;
        ok = ok && (err < 0 ? -err : err) <= bound;
      }
    check(ok, on ? "guard on: within the bound" : "guard off: within the bound");
  }
  fastconv::set_denormal_guard(before);
}

int main() {
  check_denormal_guard();
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
  expect_invalid([&] { fastconv::output_shape(in.shape, kv.shape, opt); },
                 "3 dilations for 2 axes");
  opt = {};
  expect_invalid(
      [&] { fastconv::convolve<double>(in, kv, fastconv::make_view(out.data(), {5, 5}), opt); },
      "wrong out shape");
  expect_invalid([] { fastconv::parse_boundary("reflect"); }, "reflect is ambiguous");
  expect_invalid([] { fastconv::parse_mode("bogus"); }, "unknown mode");
  opt.mode = fastconv::Mode::valid;
  opt.dilation = {3};
  expect_invalid([&] { fastconv::output_shape(in.shape, kv.shape, opt); }, "valid needs ke <= n");

  // The runtime queries the bindings use, from the public API alone.
  {
    const auto isas = fastconv::available_isas();
    check(!isas.empty() && isas.back() == "baseline", "available_isas ends with baseline");
    const std::string active = fastconv::active_isa();
    bool listed = false;
    for (const auto& name : isas) listed = listed || name == active;
    check(listed, "active_isa is available");
    const auto [flops, seconds] = fastconv::measure_fma_peak(1000, 1);
    check(flops > 0 && seconds >= 0, "measure_fma_peak counts flops");
  }

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
    expect_invalid(
        [&] {
          fastconv::max_unpool<float>(
              fastconv::make_view<const float>(pooled.data(), {1, 2, 2}),
              fastconv::make_view<const std::int64_t>(where.data(), {1, 2, 2}),
              fastconv::make_view(restored.data(), {1, 4, 4}), 2);
        },
        "unpool index outside the plane");
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

  // CNN layers (fastconv/nn.hpp): every element type, and bad arguments.
  check_conv2d<float>("conv2d float");
  check_conv2d<double>("conv2d double");
  check_conv2d<std::complex<float>>("conv2d complex<float>");
  check_conv2d<std::int64_t>("conv2d int64");
  {
    using fastconv::index_t;
    fastconv::ConvLayerOptions o;
    const std::vector<index_t> in_shape = {1, 4, 8}, w_shape = {2, 4, 3};
    check(fastconv::conv_output_shape(in_shape, w_shape, o) == std::vector<index_t>({1, 2, 6}),
          "conv1d output shape");
    o.same_padding = true;
    o.dilation = {2};
    check(fastconv::conv_output_shape(in_shape, w_shape, o) == std::vector<index_t>({1, 2, 8}),
          "conv1d 'same' output shape");
    o.stride = {2};
    expect_invalid([&] { fastconv::conv_output_shape(in_shape, w_shape, o); },
                   "'same' with stride 2");
    o = {};
    o.groups = 3;
    expect_invalid([&] { fastconv::conv_output_shape(in_shape, w_shape, o); },
                   "groups not dividing the channels");
    o = {};
    o.padding_mode = fastconv::PaddingMode::reflect;
    o.padding = {8};
    expect_invalid([&] { fastconv::conv_output_shape(in_shape, w_shape, o); },
                   "reflect padding as large as the input");
    expect_invalid([&] { fastconv::conv_output_shape(in_shape, {2, 3, 3}, {}); },
                   "weight channels != C/groups");
    expect_invalid([] { fastconv::parse_padding_mode("mirror"); }, "unknown padding_mode");
    // conv1d through the public entry point: [1 2 3 4] * [1 0 -1], padding 1
    std::vector<double> x1 = {1, 2, 3, 4}, w1 = {1, 0, -1}, y1(4);
    o = {};
    o.padding = {1};
    fastconv::conv1d<double>(fastconv::make_view<const double>(x1.data(), {1, 1, 4}),
                             fastconv::make_view<const double>(w1.data(), {1, 1, 3}), {},
                             fastconv::make_view(y1.data(), {1, 1, 4}), o);
    check(y1 == std::vector<double>({-2, -2, -2, 3}), "conv1d values");
  }

  // Transposed CNN layers: every element type against the scatter loop,
  // the output shape, and bad arguments.
  check_conv_transposes<float>("conv_transpose float");
  check_conv_transposes<double>("conv_transpose double");
  check_conv_transposes<std::complex<double>>("conv_transpose complex<double>");
  check_conv_transposes<std::int64_t>("conv_transpose int64");
  {
    fastconv::ConvTransposeLayerOptions o;
    o.stride = {2};
    o.output_padding = {2};
    expect_invalid([&] { fastconv::conv_transpose_output_shape({1, 4, 5}, {4, 3, 3}, o); },
                   "transposed output_padding >= max(stride, dilation)");
    o.output_padding = {1};
    check(fastconv::conv_transpose_output_shape({1, 4, 5}, {4, 3, 3}, o) ==
              std::vector<index_t>({1, 3, 12}),
          "conv_transpose_output_shape 1-D");
    o = {};
    o.groups = 3;
    expect_invalid([&] { fastconv::conv_transpose_output_shape({1, 4, 5}, {4, 3, 3}, o); },
                   "transposed groups not dividing C");
    o = {};
    expect_invalid([&] { fastconv::conv_transpose_output_shape({1, 4, 5}, {5, 3, 3}, o); },
                   "transposed weight rows != C");
    o.padding = {3};
    expect_invalid([&] { fastconv::conv_transpose_output_shape({1, 4, 1}, {4, 3, 3}, o); },
                   "transposed output size < 1");
    o.padding = {1};
    expect_invalid([&] { fastconv::conv_transpose_output_shape({1, 4, 1}, {4, 3, 2}, o); },
                   "transposed output size 0 (torch: 'Output size is too small')");
    o = {};
    o.stride = {std::int64_t(1) << 62};
    expect_invalid([&] { fastconv::conv_transpose_output_shape({1, 1, 5, 5}, {1, 1, 1, 1}, o); },
                   "transposed output size overflow");
    o = {};
    o.dilation = {0};
    expect_invalid([&] { fastconv::conv_transpose_output_shape({1, 1, 5}, {1, 1, 1}, o); },
                   "transposed dilation 0");
    // the header's example: [1, 2] * [1, 10, 100] at stride 2
    std::vector<double> x1 = {1, 2}, w1 = {1, 10, 100}, y1(5);
    o = {};
    o.stride = {2};
    fastconv::conv_transpose1d<double>(fastconv::make_view<const double>(x1.data(), {1, 1, 2}),
                                       fastconv::make_view<const double>(w1.data(), {1, 1, 3}), {},
                                       fastconv::make_view(y1.data(), {1, 1, 5}), o);
    check(y1 == std::vector<double>({1, 10, 102, 20, 200}), "conv_transpose1d values");
    // a wrong out shape is refused
    expect_invalid(
        [&] {
          fastconv::conv_transpose1d<double>(
              fastconv::make_view<const double>(x1.data(), {1, 1, 2}),
              fastconv::make_view<const double>(w1.data(), {1, 1, 3}), {},
              fastconv::make_view(y1.data(), {1, 1, 4}), o);
        },
        "conv_transpose1d wrong out shape");
  }

  std::printf("%d failed\n", failures);
  return failures ? 1 : 0;
}
