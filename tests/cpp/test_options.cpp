// The C++ API's options, each against hand-computed values (no Python):
// correlate (conjugating), axes with batch broadcasting, stride and
// dilation, the 'same' anchors, non-contiguous views, int64 wrap-around,
// conv_transpose padding, max_pool / max_unpool options (1-D to 3-D,
// adaptive), and plans
// (made once, run twice; scipy's 'valid' swap and empty inputs).
#include <fastconv/fastconv.hpp>

#include <complex>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <vector>

namespace {
using fastconv::index_t;
using fastconv::make_view;
int failures = 0;

template <class T>
void expect(const std::vector<T>& got, const std::vector<T>& want, const char* what) {
  if (got != want) {
    std::printf("FAIL: %s\n", what);
    ++failures;
  }
}

template <class T>
std::vector<T> conv(bool correlate, const std::vector<T>& x, std::vector<index_t> xs,
                    const std::vector<T>& k, std::vector<index_t> ks,
                    const fastconv::ConvOptions& o, T fill = T(0)) {
  const auto shape = fastconv::output_shape(xs, ks, o);
  index_t n = 1;
  for (index_t s : shape) n *= s;
  std::vector<T> out(static_cast<size_t>(n));
  auto xv = make_view<const T>(x.data(), xs);
  auto kv = make_view<const T>(k.data(), ks);
  if (correlate)
    fastconv::correlate<T>(xv, kv, make_view(out.data(), shape), o, fill);
  else
    fastconv::convolve<T>(xv, kv, make_view(out.data(), shape), o, fill);
  return out;
}

void correlate_conjugates() {
  using C = std::complex<double>;
  const C i(0, 1);
  fastconv::ConvOptions o;  // full
  // out[j] = sum_p x[j - 1 + p] * conj(k[p]): conj(k) = [-i, 1]
  expect(conv<C>(true, {C(1), C(2), C(3)}, {3}, {i, C(1)}, {2}, o),
         {C(1), C(2) - i, C(3) - 2.0 * i, -3.0 * i}, "correlate conjugates the kernel");
}

void axes_with_batch() {
  fastconv::ConvOptions o;
  o.axes = {-1};  // rows only; axis 0 is a batch axis, the kernel broadcasts along it
  expect(conv<double>(false, {1, 2, 3, 10, 20, 30}, {2, 3}, {1, 1}, {1, 2}, o),
         {1, 3, 5, 3, 10, 30, 50, 30}, "axes: batch axis with a broadcast kernel");
}

void stride_dilation() {
  fastconv::ConvOptions o;
  o.mode = fastconv::Mode::valid;
  o.stride = {2};
  o.dilation = {3};
  // ke = 4, out[i] = x[2i + 3] * k0 + x[2i] * k1, i < (10 - 4) / 2 + 1 = 4
  std::vector<double> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  expect(conv<double>(false, x, {10}, {1, 10}, {2}, o), {3, 25, 47, 69},
         "stride 2, dilation 3, valid");
}

void anchors() {
  std::vector<double> x = {1, 2, 3, 4}, k = {1, 10, 100};
  fastconv::ConvOptions o;
  o.mode = fastconv::Mode::same;
  o.anchor_rule = fastconv::AnchorRule::taps;
  o.anchor = {0};  // tap 0 over each output: out[i] = x[i] + 10 x[i-1] + 100 x[i-2]
  expect(conv<double>(false, x, {4}, k, {3}, o), {1, 12, 123, 234}, "anchor tap 0 (convolve)");
  o.anchor = {2};  // correlate, tap 2 over each output: out[i] = x[i-2] + 10 x[i-1] + 100 x[i]
  expect(conv<double>(true, x, {4}, k, {3}, o), {100, 210, 321, 432}, "anchor tap 2 (correlate)");
  // even kernel: centre_low starts at (ke-1)/2 = 0, centre_high at ke/2 = 1
  fastconv::ConvOptions lo, hi;
  lo.mode = hi.mode = fastconv::Mode::same;
  hi.anchor_rule = fastconv::AnchorRule::centre_high;
  expect(conv<double>(false, x, {4}, {1, 10}, {2}, lo), {1, 12, 23, 34}, "centre_low");
  expect(conv<double>(false, x, {4}, {1, 10}, {2}, hi), {12, 23, 34, 40}, "centre_high");
}

void boundaries_and_aliases() {
  fastconv::ConvOptions o;
  o.mode = fastconv::Mode::same;
  std::vector<double> x = {1, 2, 3}, k = {1, 0, 0};  // out[i] = x~[i + 1]
  const char* names[] = {"pad", "circular", "symmetric", "mirror", "nearest"};
  const double right[] = {7, 1, 3, 2, 3};  // x~[3]: fill 7, wrap, symm, mirror, nearest
  for (int b = 0; b < 5; ++b) {
    o.boundary = fastconv::parse_boundary(names[b]);
    expect(conv<double>(false, x, {3}, k, {3}, o, 7.0), {2, 3, right[b]}, names[b]);
  }
}

void non_contiguous_views() {
  // x viewed backwards with a gap: elements buf[8], buf[6], ..., buf[0]
  std::vector<double> buf = {5, -1, 4, -1, 3, -1, 2, -1, 1};
  fastconv::View<const double> xv(buf.data() + 8, {5}, {-2});
  std::vector<double> k = {1, 1}, out(6);
  fastconv::ConvOptions o;
  fastconv::convolve<double>(xv, make_view<const double>(k.data(), {2}),
                             fastconv::View<double>(out.data(), {6}, {1}), o);
  expect(out, {1, 3, 5, 7, 9, 5}, "reversed, strided input view");
  // a broadcast (stride 0) kernel row and a strided output
  std::vector<double> one = {2}, out2(14, -1);
  fastconv::View<const double> kv(one.data(), {3}, {0});  // [2, 2, 2]
  fastconv::convolve<double>(xv, kv, fastconv::View<double>(out2.data(), {7}, {2}), o);
  expect(out2, {2, -1, 6, -1, 12, -1, 18, -1, 24, -1, 18, -1, 10, -1},
         "zero-stride kernel, strided output");
}

void int64_wraps() {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  fastconv::ConvOptions o;
  // big * 2 wraps to -2; big + big*... : out = [2 big, 3 big] mod 2**64
  expect(conv<std::int64_t>(false, {big}, {1}, {2, 3}, {2}, o), {std::int64_t(-2), big - 2},
         "int64 wraps around");
}

void transpose_padding() {
  fastconv::TransposeOptions o;
  o.stride = {2};
  o.padding = {1};
  o.output_padding = {1};
  // full: out[2i + j] += x[i] k[j] -> [1, 1, 2, 2, 3, 3]; cropped by 1 at
  // the left, length (3-1)*2 - 2 + 2 + 1 = 5: [1, 2, 2, 3, 3]
  std::vector<double> x = {1, 2, 3}, k = {1, 1}, out(5);
  const auto shape = fastconv::conv_transpose_shape({3}, {2}, o);
  expect(shape, {5}, "conv_transpose shape");
  fastconv::conv_transpose<double>(make_view<const double>(x.data(), {3}),
                                   make_view<const double>(k.data(), {2}),
                                   make_view(out.data(), {5}), o);
  expect(out, {1, 2, 2, 3, 3}, "conv_transpose padding, output_padding");
}

void pooling() {
  std::vector<double> x = {3, 1, 4, 1, 5, 9, 2, 6};
  auto pool = [&](const fastconv::PoolOptions& o, std::vector<double>& v,
                  std::vector<std::int64_t>& idx) {
    const auto shape = fastconv::max_pool_shape({1, 8}, o);
    v.assign(static_cast<size_t>(shape[1]), 0);
    idx.assign(v.size(), -1);
    fastconv::max_pool<double>(make_view<const double>(x.data(), {1, 8}),
                               make_view(v.data(), shape), make_view(idx.data(), shape), o);
  };
  std::vector<double> v;
  std::vector<std::int64_t> idx;
  fastconv::PoolOptions o;
  o.kernel_size = {3};
  o.stride = {2};
  o.padding = {1};  // windows [-1,1], [1,3], [3,5], [5,7]
  pool(o, v, idx);
  expect(v, {3, 4, 9, 9}, "max_pool padding");
  expect(idx, {0, 2, 5, 5}, "max_pool indices");
  o.ceil_mode = true;  // one more window, [7, 9], starting inside
  pool(o, v, idx);
  expect(v, {3, 4, 9, 9, 6}, "max_pool ceil_mode");
  fastconv::PoolOptions d;
  d.kernel_size = {2};
  d.stride = {1};
  d.dilation = {2};  // taps o and o + 2; ties keep the first
  pool(d, v, idx);
  expect(v, {4, 1, 5, 9, 5, 9}, "max_pool dilation");
  expect(idx, {2, 1, 4, 5, 4, 5}, "max_pool dilation indices (first on ties)");
  // unpool the padded pooling back into 8 samples
  std::vector<double> pv = {3, 4, 9, 9}, back(8, -1);
  std::vector<std::int64_t> pi = {0, 2, 5, 5};
  fastconv::max_unpool<double>(make_view<const double>(pv.data(), {1, 4}),
                               make_view<const std::int64_t>(pi.data(), {1, 4}),
                               make_view(back.data(), {1, 8}), 1);
  expect(back, {3, 0, 4, 0, 0, 9, 0, 0}, "max_unpool");
  // an index outside the plane is refused
  pi[3] = 8;
  try {
    fastconv::max_unpool<double>(make_view<const double>(pv.data(), {1, 4}),
                                 make_view<const std::int64_t>(pi.data(), {1, 4}),
                                 make_view(back.data(), {1, 8}), 1);
    std::printf("FAIL: max_unpool accepted index 8 of 8\n");
    ++failures;
  } catch (const std::invalid_argument&) {
  }
  // adaptive max-pooling of the 8 samples to 3: windows [0,3), [2,6), [5,8)
  const fastconv::MaxPoolPlan ap = fastconv::plan_adaptive_max_pool({1, 8}, {3});
  v.assign(3, 0);
  idx.assign(3, -1);
  fastconv::max_pool<double>(ap, make_view<const double>(x.data(), {1, 8}),
                             make_view(v.data(), {1, 3}), make_view(idx.data(), {1, 3}));
  expect(v, {4, 9, 9}, "adaptive max_pool");
  expect(idx, {2, 5, 5}, "adaptive max_pool indices");
  // 3-D: the 2x2x2 volume 0..7 with its maximum 7 moved to the front,
  // pooled whole: the winner's flat index in the volume
  std::vector<double> vol = {7, 1, 2, 3, 4, 5, 6, 0};
  fastconv::PoolOptions o3;
  o3.kernel_size = {2, 2, 2};
  const auto shape3 = fastconv::max_pool_shape({1, 2, 2, 2}, o3);
  expect(shape3, {1, 1, 1, 1}, "max_pool 3-D shape");
  v.assign(1, 0);
  idx.assign(1, -1);
  fastconv::max_pool<double>(make_view<const double>(vol.data(), {1, 2, 2, 2}),
                             make_view(v.data(), shape3), make_view(idx.data(), shape3), o3);
  expect(v, {7}, "max_pool 3-D");
  expect(idx, {0}, "max_pool 3-D index");
  idx[0] = 6;  // and back at depth 1, row 1, column 0
  std::vector<double> vol_back(8, -1);
  fastconv::max_unpool<double>(make_view<const double>(v.data(), shape3),
                               make_view<const std::int64_t>(idx.data(), shape3),
                               make_view(vol_back.data(), {1, 2, 2, 2}), 3);
  expect(vol_back, {0, 0, 0, 0, 0, 0, 7, 0}, "max_unpool 3-D");
}

template <class F>
void expect_throws(F f, const char* what) {
  try {
    f();
  } catch (const std::invalid_argument&) {
    return;
  }
  std::printf("FAIL: %s (no std::invalid_argument)\n", what);
  ++failures;
}

void plans() {
  using fastconv::Mode;
  fastconv::ConvOptions o;
  o.mode = Mode::same;
  o.anchor_rule = fastconv::AnchorRule::taps;
  o.anchor = {0};
  // correlation with tap 0 over each output: out[i] = sum_p x[i + p] k[p]
  const fastconv::ConvPlan p = fastconv::plan_correlate({5}, {3}, o);
  expect(p.out_shape(), {5}, "plan: 'same' shape");
  expect(std::vector<index_t>{p.axis[0].start}, {2}, "plan: start of a correlation's tap 0");
  const std::vector<double> x = {1, 2, 3, 4, 5}, k = {1, 0, 0};
  std::vector<double> out(5);
  for (int run = 0; run < 2; ++run) {  // a plan runs any number of times
    fastconv::execute<double>(p, make_view(x.data(), {5}), make_view(k.data(), {3}),
                              make_view(out.data(), {5}));
    expect(out, {1, 2, 3, 4, 5}, "plan: execute");
  }
  expect_throws(
      [&] {
        fastconv::execute<double>(p, make_view(x.data(), {4}), make_view(k.data(), {3}),
                                  make_view(out.data(), {5}));
      },
      "plan: an input of another shape");

  // scipy's 'valid' swap: the larger operand goes first
  fastconv::ConvOptions v;
  v.mode = Mode::valid;
  expect_throws([&] { fastconv::plan_correlate({2}, {4}, v); }, "valid: in1 smaller, no swap");
  v.swap_valid_inputs = true;
  const fastconv::ConvPlan s = fastconv::plan_correlate({2}, {4}, v);
  expect(std::vector<index_t>{s.swapped, s.axis[0].in_n, s.out_shape()[0]}, {1, 4, 3},
         "valid swap: planned for (in2, in1)");
  // execute takes the caller's order and computes correlate(in2, in1)
  const std::vector<double> a = {1, 2}, b = {1, 2, 3, 4};
  std::vector<double> r(3);
  fastconv::execute<double>(s, make_view(a.data(), {2}), make_view(b.data(), {4}),
                            make_view(r.data(), {3}));
  expect(r, {5, 8, 11}, "valid swap: execute");
  expect_throws([&] { fastconv::plan_correlate({2, 5}, {3, 3}, v); },
                "valid swap: neither input the larger");
  v.stride = {2};  // no swap with a stride: the usual error
  expect_throws([&] { fastconv::plan_correlate({2}, {4}, v); }, "valid swap: not with a stride");

  // empty inputs: an error, or scipy's empty result
  fastconv::ConvOptions e;
  e.mode = Mode::same;
  expect_throws([&] { fastconv::plan_convolve({0}, {3}, e); }, "empty input refused");
  e.allow_empty = true;
  expect(fastconv::plan_convolve({0, 4}, {3, 2}, e).out_shape(), {0, 4}, "allow_empty: same");
  e.mode = Mode::valid;
  expect(fastconv::plan_convolve({4, 0}, {2, 2}, e).out_shape(), {3, 0}, "allow_empty: valid");
  e.mode = Mode::full;  // a non-empty result of an empty input: zeros
  const fastconv::ConvPlan ep = fastconv::plan_convolve({0, 3}, {2, 2}, e);
  expect(ep.out_shape(), {1, 4}, "allow_empty: full");
  std::vector<double> zeros(4, 7.0);
  fastconv::execute<double>(ep, make_view(x.data(), {0, 3}), make_view(x.data(), {2, 2}),
                            make_view(zeros.data(), {1, 4}));
  expect(zeros, {0, 0, 0, 0}, "allow_empty: execute gives zeros");

  // separable: MATLAB's empty 'valid' result for an input smaller than col
  fastconv::ConvOptions sep;
  sep.mode = Mode::valid;
  expect(fastconv::plan_separable({4, 5}, 3, 2, sep).out_shape(), {2, 4}, "separable plan");
  expect(fastconv::plan_separable({2, 5}, 3, 2, sep).out_shape(), {0, 4},
         "separable plan: smaller than col");

  // layers: plan once, run on arrays of the planned shapes
  const std::vector<double> xs = {1, 2, 3, 4}, ws = {1, 2};
  const fastconv::ConvLayerPlan lp = fastconv::plan_conv_layer({1, 1, 4}, {1, 1, 2}, {});
  expect(lp.out_shape(), {1, 1, 3}, "layer plan: shape");
  std::vector<double> y(3);
  fastconv::conv_layer<double>(lp, make_view(xs.data(), {1, 1, 4}), make_view(ws.data(), {1, 1, 2}),
                               {}, make_view(y.data(), {1, 1, 3}));
  expect(y, {5, 8, 11}, "layer plan: run");
  expect_throws(
      [&] {
        fastconv::conv_layer<double>(lp, make_view(xs.data(), {1, 1, 3}),
                                     make_view(ws.data(), {1, 1, 2}), {},
                                     make_view(y.data(), {1, 1, 2}));
      },
      "layer plan: an input of another shape");
  const fastconv::ConvTransposeLayerPlan tp =
      fastconv::plan_conv_transpose_layer({1, 1, 2}, {1, 1, 2}, {});
  expect(tp.out_shape(), {1, 1, 3}, "transposed layer plan: shape");
  fastconv::conv_transpose_layer<double>(tp, make_view(xs.data(), {1, 1, 2}),
                                         make_view(ws.data(), {1, 1, 2}), {},
                                         make_view(y.data(), {1, 1, 3}));
  expect(y, {1, 4, 4}, "transposed layer plan: run");  // [1, 2] + [0, 2, 4]

  // single-channel transposed convolution and max-pooling
  const fastconv::ConvTransposePlan ct = fastconv::plan_conv_transpose({2}, {2}, {});
  expect(ct.out_shape(), {3}, "conv_transpose plan: shape");
  fastconv::conv_transpose<double>(ct, make_view(xs.data(), {2}), make_view(ws.data(), {2}),
                                   make_view(y.data(), {3}));
  expect(y, {1, 4, 4}, "conv_transpose plan: run");
  expect_throws(
      [&] {
        fastconv::conv_transpose<double>(ct, make_view(xs.data(), {3}), make_view(ws.data(), {2}),
                                         make_view(y.data(), {3}));
      },
      "conv_transpose plan: an input of another shape");
  fastconv::PoolOptions po;
  po.kernel_size = {2};
  const fastconv::MaxPoolPlan mp = fastconv::plan_max_pool({1, 4}, po);
  expect(mp.out_shape(), {1, 2}, "max_pool plan: shape");
  std::vector<double> pooled(2);
  std::vector<std::int64_t> where(2);
  fastconv::max_pool<double>(mp, make_view(xs.data(), {1, 4}), make_view(pooled.data(), {1, 2}),
                             make_view(where.data(), {1, 2}));
  expect(pooled, {2, 4}, "max_pool plan: values");
  expect(where, {1, 3}, "max_pool plan: indices");
  expect_throws(
      [&] {
        fastconv::max_pool<double>(mp, make_view(xs.data(), {1, 3}),
                                   make_view(pooled.data(), {1, 2}), {});
      },
      "max_pool plan: an input of another shape");
}

// Average pooling from C++: padding counted or not, divisor_override,
// adaptive windows, int64 rounding toward zero, and the argument checks.
void average_pooling() {
  const std::vector<double> x = {1, 2, 3, 4, 6};
  std::vector<double> y(3);
  fastconv::AvgPoolOptions o;
  o.kernel_size = {3};
  o.stride = {2};
  o.padding = {1};
  const fastconv::AvgPoolPlan with_pad = fastconv::plan_avg_pool({1, 5}, o);
  expect(with_pad.out_shape(), {1, 3}, "avg_pool plan: shape");
  fastconv::avg_pool<double>(with_pad, make_view(x.data(), {1, 5}), make_view(y.data(), {1, 3}));
  expect(y, {1, 3, 10.0 / 3}, "avg_pool: padding counted");
  o.count_include_pad = false;
  fastconv::avg_pool<double>(fastconv::plan_avg_pool({1, 5}, o), make_view(x.data(), {1, 5}),
                             make_view(y.data(), {1, 3}));
  expect(y, {1.5, 3, 5}, "avg_pool: padding not counted");
  o.divisor_override = 2;
  fastconv::avg_pool<double>(fastconv::plan_avg_pool({1, 5}, o), make_view(x.data(), {1, 5}),
                             make_view(y.data(), {1, 3}));
  expect(y, {1.5, 4.5, 5}, "avg_pool: divisor_override");
  // windows [0, 3) and [2, 5)
  std::vector<double> z(2);
  fastconv::avg_pool<double>(fastconv::plan_adaptive_avg_pool({1, 5}, {2}),
                             make_view(x.data(), {1, 5}), make_view(z.data(), {1, 2}));
  expect(z, {2, 13.0 / 3}, "adaptive_avg_pool");
  const std::vector<std::int64_t> xi = {-7, 2, 3};
  std::vector<std::int64_t> yi(2);
  fastconv::AvgPoolOptions oi;
  oi.kernel_size = {2};
  oi.stride = {1};
  fastconv::avg_pool<std::int64_t>(fastconv::plan_avg_pool({1, 3}, oi),
                                   make_view(xi.data(), {1, 3}), make_view(yi.data(), {1, 2}));
  expect(yi, {-2, 2}, "avg_pool int64: toward zero");
  fastconv::AvgPoolOptions bad = o;
  bad.padding = {2};
  expect_throws([&] { fastconv::plan_avg_pool({1, 5}, bad); }, "avg_pool: padding > k/2");
  bad = o;
  bad.dilation = {2};
  expect_throws([&] { fastconv::plan_avg_pool({1, 5}, bad); }, "avg_pool: dilation");
  expect_throws([&] { fastconv::plan_adaptive_avg_pool({1, 5}, {-1}); },
                "adaptive_avg_pool: negative output_size");
  expect_throws([&] { fastconv::plan_adaptive_avg_pool({1, 0}, {1}); },
                "adaptive_avg_pool: empty input");
  expect_throws(
      [&] {
        fastconv::avg_pool<double>(with_pad, make_view(x.data(), {1, 4}),
                                   make_view(y.data(), {1, 3}));
      },
      "avg_pool plan: an input of another shape");
}

}  // namespace

int main() {
  correlate_conjugates();
  axes_with_batch();
  stride_dilation();
  anchors();
  boundaries_and_aliases();
  non_contiguous_views();
  int64_wraps();
  transpose_padding();
  pooling();
  plans();
  average_pooling();
  std::printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
