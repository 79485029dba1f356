// The layer objects (fastconv::ConvLayer<T>, ConvTransposeLayer<T>) from
// the C++ API: a run gives bitwise the one-call function's result for
// every element type and many option sets, on inputs of changing size and
// any strides; the layer keeps its own copy of the weights; concurrent
// runs on one object agree; bad weights, options and inputs throw
// std::invalid_argument.
#include <fastconv/fastconv.hpp>

#include <algorithm>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {
using fastconv::index_t;
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

index_t product(const std::vector<index_t>& s) {
  index_t n = 1;
  for (index_t v : s) n *= v;
  return n;
}

std::vector<index_t> contiguous_strides(const std::vector<index_t>& shape) {
  std::vector<index_t> st(shape.size(), 1);
  for (size_t a = shape.size(); a-- > 1;) st[a - 1] = st[a] * shape[a];
  return st;
}

// Random small integers (so every element type computes the same sums
// exactly) as T.
template <class T>
std::vector<T> random_values(index_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-4, 4);
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = T(d(rng));
  return v;
}

template <class T>
fastconv::View<const T> view_of(const std::vector<T>& v, const std::vector<index_t>& shape) {
  return fastconv::View<const T>(v.data(), shape, contiguous_strides(shape));
}

// (long double: its padding bytes are not part of the value)
template <class T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
  if constexpr (std::is_same_v<T, long double>) return a == b;
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

struct ConvCase {
  std::vector<index_t> w_shape;  // (Cout, C/groups, [kh,] kw)
  index_t groups;
  std::vector<index_t> stride, dilation, padding, padding_end;
  bool same;
  fastconv::PaddingMode mode;
  bool bias;
};

// The layer object against conv1d / conv2d, on inputs of three sizes,
// one of them a strided view (every other column of a wider array).
template <class T>
void check_conv_layer(const ConvCase& c, const std::string& name, std::mt19937& rng) {
  fastconv::ConvLayerOptions o;
  o.groups = c.groups;
  o.stride = c.stride;
  o.dilation = c.dilation;
  o.padding = c.padding;
  o.padding_end = c.padding_end;
  o.same_padding = c.same;
  o.padding_mode = c.mode;
  std::vector<T> w = random_values<T>(product(c.w_shape), rng);
  std::vector<T> b = random_values<T>(c.w_shape[0], rng);
  const fastconv::View<const T> bv =
      c.bias ? view_of(b, {c.w_shape[0]}) : fastconv::View<const T>();
  const fastconv::ConvLayer<T> layer(view_of(w, c.w_shape), bv, o);
  const std::vector<T> w_kept = w;
  std::fill(w.begin(), w.end(), T(7));  // the layer has its own copy
  const int spatial = static_cast<int>(c.w_shape.size()) - 2;
  const index_t channels = c.w_shape[1] * c.groups;
  const std::vector<std::vector<index_t>> sizes = {{9, 11}, {6, 17}, {12, 5}};
  for (size_t si = 0; si < sizes.size(); ++si) {
    std::vector<index_t> in_shape = {2, channels};
    for (int a = 0; a < spatial; ++a) in_shape.push_back(sizes[si][2 - spatial + a]);
    // a view of every other element of the last axis of a wider array
    std::vector<index_t> wide = in_shape;
    wide.back() *= 2;
    const std::vector<T> x = random_values<T>(product(wide), rng);
    std::vector<index_t> strides = contiguous_strides(wide);
    strides.back() = 2;
    const fastconv::View<const T> xv(x.data(), in_shape, strides);
    std::vector<index_t> out_shape;
    try {
      out_shape = layer.output_shape(in_shape);
    } catch (const std::invalid_argument&) {
      continue;  // (an input too small for the kernel: the one-call function refuses too)
    }
    check(out_shape == fastconv::conv_output_shape(in_shape, c.w_shape, o), name + ": shape");
    std::vector<T> got(static_cast<size_t>(product(out_shape))), want(got.size());
    layer.run(xv, fastconv::View<T>(got.data(), out_shape, contiguous_strides(out_shape)),
              si == 0 ? 1 : 2);
    const fastconv::View<T> wantv(want.data(), out_shape, contiguous_strides(out_shape));
    if (spatial == 1)
      fastconv::conv1d<T>(xv, view_of(w_kept, c.w_shape), bv, wantv, o);
    else
      fastconv::conv2d<T>(xv, view_of(w_kept, c.w_shape), bv, wantv, o);
    check(bitwise_equal(got, want), name + ": input size " + std::to_string(si));
  }
}

struct TransposeCase {
  std::vector<index_t> w_shape;  // (C, Cout/groups, [kh,] kw)
  index_t groups;
  std::vector<index_t> stride, dilation, padding, output_padding;
  bool bias;
};

// The transposed layer object against conv_transpose1d / 2d, on inputs
// of several sizes: a 1x1 input (an output shorter than the stride has
// fewer phases than the ones the layer packed) among them.
template <class T>
void check_transpose_layer(const TransposeCase& c, const std::string& name, std::mt19937& rng) {
  fastconv::ConvTransposeLayerOptions o;
  o.groups = c.groups;
  o.stride = c.stride;
  o.dilation = c.dilation;
  o.padding = c.padding;
  o.output_padding = c.output_padding;
  const std::vector<T> w = random_values<T>(product(c.w_shape), rng);
  const index_t cout = c.w_shape[1] * c.groups;
  const std::vector<T> b = random_values<T>(cout, rng);
  const fastconv::View<const T> bv = c.bias ? view_of(b, {cout}) : fastconv::View<const T>();
  const fastconv::ConvTransposeLayer<T> layer(view_of(w, c.w_shape), bv, o);
  const int spatial = static_cast<int>(c.w_shape.size()) - 2;
  const std::vector<std::vector<index_t>> sizes = {{5, 7}, {1, 1}, {3, 2}, {8, 13}};
  for (size_t si = 0; si < sizes.size(); ++si) {
    std::vector<index_t> in_shape = {2, c.w_shape[0]};
    for (int a = 0; a < spatial; ++a) in_shape.push_back(sizes[si][2 - spatial + a]);
    const std::vector<T> x = random_values<T>(product(in_shape), rng);
    std::vector<index_t> out_shape;
    try {
      out_shape = layer.output_shape(in_shape);
    } catch (const std::invalid_argument&) {
      continue;  // (padding larger than the output: the one-call function refuses too)
    }
    std::vector<T> got(static_cast<size_t>(product(out_shape))), want(got.size());
    layer.run(view_of(x, in_shape),
              fastconv::View<T>(got.data(), out_shape, contiguous_strides(out_shape)), 2);
    const fastconv::View<T> wantv(want.data(), out_shape, contiguous_strides(out_shape));
    if (spatial == 1)
      fastconv::conv_transpose1d<T>(view_of(x, in_shape), view_of(w, c.w_shape), bv, wantv, o);
    else
      fastconv::conv_transpose2d<T>(view_of(x, in_shape), view_of(w, c.w_shape), bv, wantv, o);
    check(bitwise_equal(got, want), name + ": input size " + std::to_string(si));
  }
}

template <class T>
void check_element_type(const char* type_name) {
  using M = fastconv::PaddingMode;
  std::mt19937 rng(7);
  const std::vector<ConvCase> convs = {
      {{8, 4, 3, 3}, 1, {}, {}, {1}, {}, false, M::zeros, true},
      {{40, 3, 3, 3}, 1, {2}, {}, {1}, {}, false, M::reflect, true},  // wide blocks + a partial one
      {{6, 1, 3, 3}, 6, {}, {}, {}, {}, true, M::replicate, false},   // depthwise, 'same'
      {{9, 2, 2, 3}, 3, {1, 2}, {2, 1}, {1, 0}, {0, 2}, false, M::circular, true},
      {{16, 16, 1, 1}, 1, {}, {}, {}, {}, false, M::zeros, false},  // 1x1
      {{12, 4, 5}, 2, {3}, {2}, {2}, {}, false, M::zeros, true},    // 1-D
  };
  for (size_t i = 0; i < convs.size(); ++i)
    check_conv_layer<T>(convs[i], std::string(type_name) + " conv case " + std::to_string(i), rng);
  const std::vector<TransposeCase> transposes = {
      {{4, 3, 4, 4}, 1, {2}, {}, {1}, {}, true},   // k4 s2 p1
      {{6, 1, 4, 4}, 6, {2}, {}, {1}, {}, false},  // depthwise: paired columns
      {{4, 5, 3, 2}, 2, {3, 2}, {1, 2}, {1, 0}, {2, 1}, true},
      {{3, 20, 2, 2}, 1, {2}, {}, {}, {}, true},  // 2x2 stride 2
      {{4, 3, 5}, 1, {4}, {2}, {2}, {3}, true},   // 1-D
  };
  for (size_t i = 0; i < transposes.size(); ++i)
    check_transpose_layer<T>(transposes[i],
                             std::string(type_name) + " transposed case " + std::to_string(i), rng);
}

// Runs on one layer object from several threads at once, each with its
// own input, against runs one at a time.
void check_concurrent_runs() {
  std::mt19937 rng(3);
  const std::vector<index_t> w_shape = {32, 16, 3, 3};
  const std::vector<float> w = random_values<float>(product(w_shape), rng);
  fastconv::ConvLayerOptions o;
  o.padding = {1};
  const fastconv::ConvLayer<float> layer(view_of(w, w_shape), {}, o);
  fastconv::ConvTransposeLayerOptions up_options;
  up_options.stride = {2};
  up_options.padding = {1};
  const fastconv::ConvTransposeLayer<float> up(view_of(w, {16, 32, 3, 3}), {}, up_options);
  const int n = 4;
  std::vector<std::vector<float>> inputs, alone(n), together(n), up_alone(n), up_together(n);
  const std::vector<index_t> in_shape = {1, 16, 20, 24}, out_shape = layer.output_shape(in_shape);
  const std::vector<index_t> up_in = {1, 16, 7, 9}, up_shape = up.output_shape(up_in);
  for (int i = 0; i < n; ++i) inputs.push_back(random_values<float>(product(in_shape), rng));
  auto run = [&](int i, std::vector<float>& y, std::vector<float>& u) {
    y.assign(static_cast<size_t>(product(out_shape)), 0.0f);
    layer.run(view_of(inputs[i], in_shape),
              fastconv::View<float>(y.data(), out_shape, contiguous_strides(out_shape)), 1);
    u.assign(static_cast<size_t>(product(up_shape)), 0.0f);
    up.run(fastconv::View<const float>(inputs[i].data(), up_in, contiguous_strides(up_in)),
           fastconv::View<float>(u.data(), up_shape, contiguous_strides(up_shape)), 1);
  };
  for (int i = 0; i < n; ++i) run(i, alone[i], up_alone[i]);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { run(i, together[i], up_together[i]); });
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < n; ++i)
    check(bitwise_equal(alone[i], together[i]) && bitwise_equal(up_alone[i], up_together[i]),
          "concurrent runs, thread " + std::to_string(i));
}

// An output with negative strides (a reversed view) gets every value, the
// same as a contiguous one's: a negative offset is an output like any other.
void check_negative_output_strides() {
  std::mt19937 rng(5);
  for (index_t groups : {1, 2}) {
    const std::vector<index_t> w_shape = {16, 4 / groups, 2, 2}, t_shape = {4, 8 / groups, 2, 2};
    const std::vector<double> x = random_values<double>(2 * 4 * 3 * 3, rng);
    const std::vector<double> w = random_values<double>(product(w_shape), rng);
    const std::vector<double> wt = random_values<double>(product(t_shape), rng);
    fastconv::ConvLayerOptions o;
    o.groups = groups;
    o.padding = {1};
    fastconv::ConvTransposeLayerOptions to;
    to.groups = groups;
    const std::vector<index_t> in_shape = {2, 4, 3, 3};
    auto check_out = [&](const std::vector<index_t>& shape, const auto& run, const char* what) {
      std::vector<double> plain(static_cast<size_t>(product(shape)), 99.0), reversed = plain;
      run(fastconv::View<double>(plain.data(), shape, contiguous_strides(shape)));
      // the last axis reversed: element j of a row at column (W - 1 - j)
      std::vector<index_t> st = contiguous_strides(shape);
      st.back() = -1;
      run(fastconv::View<double>(reversed.data() + shape.back() - 1, shape, st));
      bool ok = true;
      const index_t w = shape.back();
      for (index_t i = 0; i < product(shape); ++i)
        ok = ok && reversed[i] == plain[i - i % w + (w - 1 - i % w)];
      check(ok, std::string(what) + ", groups " + std::to_string(groups));
    };
    const fastconv::View<const double> xv = view_of(x, in_shape);
    check_out(
        fastconv::conv_output_shape(in_shape, w_shape, o),
        [&](const fastconv::View<double>& y) {
          fastconv::conv2d<double>(xv, view_of(w, w_shape), {}, y, o);
        },
        "conv2d into a reversed output");
    check_out(
        fastconv::conv_transpose_output_shape(in_shape, t_shape, to),
        [&](const fastconv::View<double>& y) {
          fastconv::ConvTransposeLayer<double>(view_of(wt, t_shape), {}, to).run(xv, y);
        },
        "a transposed layer into a reversed output");
  }
}

void check_errors() {
  const std::vector<float> w(8 * 4 * 3 * 3, 1.0f), b(8, 0.0f), x(2 * 4 * 6 * 6, 1.0f);
  std::vector<float> y(2 * 8 * 6 * 6);
  fastconv::ConvLayerOptions o;
  o.padding = {1};
  auto conv = [&](std::vector<index_t> w_shape, std::vector<index_t> b_shape,
                  fastconv::ConvLayerOptions opt) {
    fastconv::ConvLayer<float> l(view_of(w, w_shape), view_of(b, b_shape), opt);
  };
  expect_invalid([&] { conv({8, 4, 3, 3}, {7}, o); }, "bias of the wrong length");
  expect_invalid([&] { conv({8, 4, 3, 3, 1}, {8}, o); }, "weight of rank 5");
  expect_invalid([&] { conv({8, 4}, {8}, o); }, "weight of rank 2");
  expect_invalid([&] { conv({8, 0, 3, 3}, {8}, o); }, "weight with no input channels");
  auto bad = o;
  bad.groups = 3;
  expect_invalid([&] { conv({8, 4, 3, 3}, {8}, bad); }, "groups not dividing Cout");
  bad = o;
  bad.stride = {0};
  expect_invalid([&] { conv({8, 4, 3, 3}, {8}, bad); }, "stride 0");
  bad = o;
  bad.same_padding = true;
  expect_invalid([&] { conv({8, 4, 3, 3}, {8}, bad); }, "'same' with explicit padding");
  fastconv::ConvTransposeLayerOptions up;
  up.stride = {2};
  up.output_padding = {2};
  expect_invalid([&] { fastconv::ConvTransposeLayer<float> l(view_of(w, {8, 4, 3, 3}), {}, up); },
                 "output_padding >= stride");

  const fastconv::ConvLayer<float> layer(view_of(w, {8, 4, 3, 3}), view_of(b, {8}), o);
  auto run = [&](std::vector<index_t> in_shape, std::vector<index_t> out_shape) {
    layer.run(view_of(x, in_shape),
              fastconv::View<float>(y.data(), out_shape, contiguous_strides(out_shape)));
  };
  expect_invalid([&] { run({2, 3, 6, 6}, {2, 8, 6, 6}); }, "input with the wrong channels");
  expect_invalid([&] { run({2, 4, 36}, {2, 8, 36}); }, "input of rank 3 for a 2-D layer");
  expect_invalid([&] { run({2, 4, 6, 6}, {2, 8, 6, 5}); }, "out of the wrong shape");
  fastconv::ConvLayerOptions valid;
  const fastconv::ConvLayer<float> unpadded(view_of(w, {8, 4, 3, 3}), {}, valid);
  expect_invalid([&] { (void)unpadded.output_shape({1, 4, 2, 6}); },
                 "input smaller than the kernel");
}

// The fused epilogue from the C++ API: a layer object with relu6 and a
// residual of other strides gives the one-call function's sums plus the
// residual through min(max(x, 0), 6), bitwise (prelu per channel too,
// on a transposed layer); a bad epilogue or residual throws.
void check_epilogue() {
  auto out_view = [](std::vector<float>& v, const std::vector<index_t>& shape) {
    return fastconv::View<float>(v.data(), shape, contiguous_strides(shape));
  };
  std::mt19937 rng(7);
  const std::vector<index_t> w_shape{12, 5, 3, 3}, x_shape{2, 5, 7, 9}, y_shape{2, 12, 7, 9};
  const auto w = random_values<float>(product(w_shape), rng);
  const auto x = random_values<float>(product(x_shape), rng);
  auto res = random_values<float>(2 * product(y_shape), rng);  // every other element
  const auto b = random_values<float>(12, rng);
  fastconv::ConvLayerOptions o;
  o.padding = {1};
  std::vector<float> plain(static_cast<size_t>(product(y_shape)));
  fastconv::conv2d<float>(view_of(x, x_shape), view_of(w, w_shape), view_of(b, {12}),
                          out_view(plain, y_shape), o);
  std::vector<index_t> res_strides = contiguous_strides(y_shape);
  for (index_t& s : res_strides) s *= 2;
  const fastconv::View<const float> residual(res.data(), y_shape, res_strides);
  o.epilogue.activation = fastconv::Activation::relu6;
  const fastconv::ConvLayer<float> layer(view_of(w, w_shape), view_of(b, {12}), o);
  std::vector<float> fused(plain.size());
  layer.run(view_of(x, x_shape), out_view(fused, y_shape), 2, residual);
  bool same = true;
  for (size_t i = 0; i < plain.size(); ++i) {
    const float s = plain[i] + res[2 * i];
    same = same && fused[i] == std::min(std::max(s, 0.0f), 6.0f);
  }
  check(same, "relu6 with a strided residual: the unfused sequence");

  fastconv::ConvTransposeLayerOptions up;
  up.stride = {2};
  up.epilogue.activation = fastconv::Activation::prelu;
  for (int c = 0; c < 5; ++c) up.epilogue.slopes.push_back(0.25 * c - 0.5);
  const std::vector<index_t> t_shape{2, 5, 15, 19};
  std::vector<float> t_plain(static_cast<size_t>(product(t_shape))), t_fused(t_plain.size());
  fastconv::ConvTransposeLayerOptions up_plain = up;
  up_plain.epilogue = {};
  fastconv::conv_transpose2d<float>(view_of(plain, y_shape), view_of(w, w_shape), {},
                                    out_view(t_plain, t_shape), up_plain);
  fastconv::conv_transpose2d<float>(view_of(plain, y_shape), view_of(w, w_shape), {},
                                    out_view(t_fused, t_shape), up);
  same = true;
  for (size_t i = 0; i < t_plain.size(); ++i) {
    const float s = t_plain[i], slope = static_cast<float>(up.epilogue.slopes[i / (15 * 19) % 5]);
    same = same && t_fused[i] == (s > 0 ? s : s * slope);
  }
  check(same, "transposed prelu per channel: the unfused sequence");

  auto bad = o;
  bad.epilogue.activation = fastconv::Activation::clamp;
  bad.epilogue.min = 1;
  bad.epilogue.max = 0;
  expect_invalid([&] { fastconv::ConvLayer<float> l(view_of(w, w_shape), {}, bad); },
                 "clamp with min > max");
  bad.epilogue.activation = fastconv::Activation::prelu;
  bad.epilogue.slopes = {1, 2};
  expect_invalid([&] { fastconv::ConvLayer<float> l(view_of(w, w_shape), {}, bad); },
                 "prelu with 2 slopes for 12 channels");
  expect_invalid([&] { (void)fastconv::parse_activation("gelu"); }, "an unknown activation");
  const std::vector<std::int64_t> wi(static_cast<size_t>(product(w_shape)), 1);
  expect_invalid([&] { fastconv::ConvLayer<std::int64_t> l(view_of(wi, w_shape), {}, o); },
                 "an activation on integers");
  expect_invalid(
      [&] {
        layer.run(view_of(x, x_shape), out_view(fused, y_shape), 0, view_of(res, {2, 12, 7, 8}));
      },
      "a residual of the wrong shape");
}

}  // namespace

int main() {
  check_element_type<float>("float");
  check_element_type<double>("double");
  check_element_type<long double>("long double");
  check_element_type<std::complex<double>>("complex<double>");
  check_element_type<std::int64_t>("int64");
  check_concurrent_runs();
  check_negative_output_strides();
  check_errors();
  check_epilogue();
  if (failures) {
    std::printf("%d failure(s)\n", failures);
    return 1;
  }
  std::printf("layer objects: all checks passed\n");
  return 0;
}
