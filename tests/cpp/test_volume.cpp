// The 3-D layers (fastconv::conv3d, conv_transpose3d) from the C++ API,
// against their definition as sums of 2-D layers over the depth taps:
//
//   conv3d(x, w)[:, :, od]  = bias + sum_k conv2d(x[:, :, od*sd + k*dd - pad], w[:, :, k])
//   conv_transpose3d(x, w)[:, :, id*sd + k*dd - pad] += conv_transpose2d(x[:, :, id], w[:, :, k])
//
// (zero padding: taps outside the input left out) on small integers, so
// every element type sums exactly and the results must be equal; and bad
// arguments throw std::invalid_argument.
#include <fastconv/fastconv.hpp>

#include <complex>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {
using fastconv::index_t;
using fastconv::View;
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

template <class T>
struct Array {
  std::vector<index_t> shape;
  std::vector<T> data;
  explicit Array(std::vector<index_t> s, std::mt19937* rng = nullptr) : shape(std::move(s)) {
    index_t n = 1;
    for (index_t v : shape) n *= v;
    data.assign(static_cast<size_t>(n), T(0));
    std::uniform_int_distribution<int> d(-3, 3);
    if (rng)
      for (T& v : data) v = T(d(*rng));
  }
  View<T> view() { return fastconv::make_view(data.data(), shape); }
  View<const T> cview() const { return fastconv::make_view(data.data(), shape); }
};

// Depth slice d of a 5-D view as 4-D (drop axis 2).
template <class T>
View<T> slice(const View<T>& v, index_t d) {
  return View<T>(v.data + d * v.strides[2], {v.shape[0], v.shape[1], v.shape[3], v.shape[4]},
                 {v.strides[0], v.strides[1], v.strides[3], v.strides[4]});
}

// want[:, :, d] += term (a contiguous 4-D array).
template <class T>
void add_to_slice(Array<T>& want, index_t d, const Array<T>& term) {
  const View<T> out = slice(want.view(), d);
  const index_t plane = out.shape[2] * out.shape[3];
  for (index_t n = 0; n < out.shape[0]; ++n)
    for (index_t c = 0; c < out.shape[1]; ++c)
      for (index_t i = 0; i < plane; ++i)
        out.data[n * out.strides[0] + c * out.strides[1] + i] +=
            term.data[static_cast<size_t>((n * out.shape[1] + c) * plane + i)];
}

template <class T>
void add_bias(Array<T>& want, const Array<T>& b) {
  const auto& s = want.shape;
  for (size_t i = 0; i < want.data.size(); ++i)
    want.data[i] += b.data[static_cast<size_t>(i / (s[2] * s[3] * s[4]) % s[1])];
}

template <class T>
void check_conv3d(const char* type) {
  std::mt19937 rng(7);
  const index_t sd = 2, dd = 2, pad = 1, groups = 2;
  Array<T> x({2, 4, 6, 5, 4}, &rng), w({6, 2, 2, 3, 2}, &rng), b({6}, &rng);
  fastconv::ConvLayerOptions o;
  o.stride = {sd, 1, 1};
  o.dilation = {dd, 1, 1};
  o.padding = {pad, 1, 0};
  o.groups = groups;
  const auto shape = fastconv::conv3d_output_shape(x.shape, w.shape, o);
  Array<T> got(shape), want(shape);
  fastconv::conv3d<T>(x.cview(), w.cview(), b.cview(), got.view(), o);

  fastconv::ConvLayerOptions o2 = o;
  o2.stride = {1, 1};
  o2.dilation = {1, 1};
  o2.padding = {1, 0};
  for (index_t od = 0; od < shape[2]; ++od) {
    Array<T> term({shape[0], shape[1], shape[3], shape[4]});
    for (index_t k = 0; k < w.shape[2]; ++k) {
      const index_t id = od * sd + k * dd - pad;
      if (id < 0 || id >= x.shape[2]) continue;
      fastconv::conv2d<T>(slice(x.cview(), id), slice(w.cview(), k), View<const T>(), term.view(),
                          o2);
      add_to_slice(want, od, term);
    }
  }
  add_bias(want, b);
  check(got.data == want.data, std::string("conv3d as a sum of conv2d, ") + type);
}

// (depth stride sd and dilation dd: one 2-D run per output slice, or one
// per run of slices taking the same taps when dd divides sd; kernel depth
// kd == sd, pad 0 and column stride sw = 2: the whole layer one 1x1 layer)
template <class T>
void check_conv_transpose3d(const char* type, index_t sd, index_t dd, index_t kd = 3,
                            index_t pad = 1, index_t sw = 1) {
  std::mt19937 rng(8);
  const index_t groups = 2;
  Array<T> x({2, 4, 4, 3, 3}, &rng), w({4, 3, kd, 2, 2}, &rng), b({6}, &rng);
  fastconv::ConvTransposeLayerOptions o;
  o.stride = {sd, 2, sw};
  o.dilation = {dd, 1, 1};
  o.padding = {pad, 0, 0};
  o.output_padding = {sd > 1 || dd > 1 ? 1 : 0, 1, 0};
  o.groups = groups;
  const auto shape = fastconv::conv_transpose3d_output_shape(x.shape, w.shape, o);
  Array<T> got(shape), want(shape);
  fastconv::conv_transpose3d<T>(x.cview(), w.cview(), b.cview(), got.view(), o);

  fastconv::ConvTransposeLayerOptions o2 = o;
  o2.stride = {2, sw};
  o2.dilation = {1, 1};
  o2.padding = {0, 0};
  o2.output_padding = {1, 0};
  for (index_t id = 0; id < x.shape[2]; ++id)
    for (index_t k = 0; k < w.shape[2]; ++k) {
      const index_t od = id * sd + k * dd - pad;
      if (od < 0 || od >= shape[2]) continue;
      Array<T> term({shape[0], shape[1], shape[3], shape[4]});
      fastconv::conv_transpose2d<T>(slice(x.cview(), id), slice(w.cview(), k), View<const T>(),
                                    term.view(), o2);
      add_to_slice(want, od, term);
    }
  add_bias(want, b);
  check(got.data == want.data, "conv_transpose3d as a sum of conv_transpose2d, " +
                                   std::string(type) + " stride " + std::to_string(sd));
}

void check_errors() {
  Array<float> x({1, 2, 4, 4, 4}), w({3, 2, 2, 2, 2}), y({1, 3, 3, 3, 3});
  Array<float> x4({1, 2, 4, 4});
  fastconv::ConvLayerOptions o;
  expect_invalid([&] { fastconv::conv3d<float>(x4.cview(), w.cview(), {}, y.view(), o); },
                 "conv3d: a 4-D input");
  o.stride = {1, 1};
  expect_invalid([&] { fastconv::conv3d<float>(x.cview(), w.cview(), {}, y.view(), o); },
                 "conv3d: two strides");
  o.stride = {};
  o.groups = 2;
  expect_invalid([&] { fastconv::conv3d<float>(x.cview(), w.cview(), {}, y.view(), o); },
                 "conv3d: groups not dividing Cout");
  o.groups = 1;
  Array<float> wrong({1, 3, 3, 3, 2});
  expect_invalid([&] { fastconv::conv3d<float>(x.cview(), w.cview(), {}, wrong.view(), o); },
                 "conv3d: out of the wrong shape");
  expect_invalid([&] { fastconv::conv3d<float>(x.cview(), w.cview(), {}, x.view(), o); },
                 "conv3d: out overlapping the input");
  fastconv::ConvTransposeLayerOptions t;
  t.output_padding = {1, 0, 0};
  Array<float> wt({2, 3, 2, 2, 2}), yt({1, 3, 6, 5, 5});
  expect_invalid(
      [&] { fastconv::conv_transpose3d<float>(x.cview(), wt.cview(), {}, yt.view(), t); },
      "conv_transpose3d: output_padding not below stride or dilation");
}

}  // namespace

int main() {
  check_conv3d<float>("float");
  check_conv3d<double>("double");
  check_conv3d<std::complex<double>>("complex<double>");
  check_conv3d<std::int64_t>("int64");
  for (index_t sd : {1, 2, 3}) {
    check_conv_transpose3d<float>("float", sd, 2);
    check_conv_transpose3d<double>("double", sd, 1);
    check_conv_transpose3d<std::int64_t>("int64", sd, 1);
  }
  check_conv_transpose3d<float>("float", 2, 1, 2, 0, 2);
  check_conv_transpose3d<double>("double", 1, 1, 1, 0, 2);
  check_errors();
  if (failures) {
    std::printf("%d failure(s)\n", failures);
    return 1;
  }
  std::printf("3-D layers: all checks passed\n");
  return 0;
}
