// libFuzzer target for the C++ API: decodes an operation, shapes, strides
// (gaps, negative and zero), options and values from the fuzzer's bytes,
// runs fastconv, and checks every output element against a naive loop
// over the definitions in the public headers, written here from those
// definitions alone (no fastconv internals): the signal functions and the
// CNN layers (one-call functions and layer objects). Values are small integers (or
// any 64-bit integer for int64), so every element type must agree
// exactly. A bad argument must be refused with std::invalid_argument
// exactly when the definitions say so; anything else aborts.
//
//   build: cmake -DFASTCONV_BUILD_FUZZERS=ON -DCMAKE_CXX_COMPILER=clang++ ...
//   run:   fuzz_api -max_total_time=60 tests/fuzz/corpus
#include <fastconv/fastconv.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace {

using fastconv::index_t;

// Reads the input bytes front to back; past the end every read is 0.
struct Bytes {
  const uint8_t* p;
  size_t n;
  uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  int range(int lo, int hi) { return lo + u8() % (hi - lo + 1); }  // [lo, hi]
  bool flag() { return u8() & 1; }
  int64_t i64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return static_cast<int64_t>(v);
  }
};

[[noreturn]] void fail(const char* what, const char* detail = "") {
  std::fprintf(stderr, "fuzz_api: %s %s\n", what, detail);
  std::abort();
}

template <class T>
struct is_cx : std::false_type {};
template <class R>
struct is_cx<std::complex<R>> : std::true_type {};

template <class T>
T conj_of(T v) {
  if constexpr (is_cx<T>::value)
    return std::conj(v);
  else
    return v;
}
// Integers wrap as two's complement (the API's promise); computed unsigned.
template <class T>
T mul(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else
    return a * b;
}
template <class T>
T add(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else
    return a + b;
}

template <class T>
T value(Bytes& b) {
  if constexpr (std::is_integral_v<T>) {
    return b.range(0, 7) == 0 ? static_cast<T>(b.i64()) : T(b.range(-8, 7));
  } else if constexpr (is_cx<T>::value) {
    using R = typename T::value_type;
    return T(R(b.range(-8, 7)), R(b.range(-8, 7)));
  } else {
    return T(b.range(-8, 7));
  }
}

// An array of `shape` laid out with gaps, reversed or broadcast axes: the
// owning buffer and a view of it.
template <class T>
struct Strided {
  std::vector<T> buf;
  fastconv::View<T> view;
  index_t offset(const std::vector<index_t>& idx) const {
    index_t o = 0;
    for (size_t a = 0; a < idx.size(); ++a) o += idx[a] * view.strides[a];
    return o;
  }
  T& at(const std::vector<index_t>& idx) { return view.data[offset(idx)]; }
};

template <class T>
Strided<T> make_array(Bytes& b, const std::vector<index_t>& shape, bool allow_zero_stride) {
  Strided<T> s;
  const size_t r = shape.size();
  std::vector<index_t> strides(r);
  std::vector<int> kind(r);
  index_t step = 1, first = 0;
  for (size_t a = r; a-- > 0;) {
    kind[a] = b.range(0, 7);  // 0-4 dense, 5 gap, 6 reversed, 7 broadcast
    if (kind[a] == 7 && !allow_zero_stride) kind[a] = 0;
    if (kind[a] == 7) {
      strides[a] = 0;
      continue;
    }
    strides[a] = step;
    step *= std::max<index_t>(shape[a], 1) * (kind[a] == 5 ? 2 : 1);
  }
  for (size_t a = 0; a < r; ++a)
    if (kind[a] == 6) {
      first += (shape[a] - 1) * strides[a];
      strides[a] = -strides[a];
    }
  s.buf.assign(static_cast<size_t>(step) + 1, T(0));
  s.view = fastconv::View<T>(s.buf.data() + first, shape, strides);
  return s;
}

// Visit every multi-index of `shape`.
template <class F>
void each_index(const std::vector<index_t>& shape, F f) {
  for (index_t n : shape)
    if (n == 0) return;
  std::vector<index_t> idx(shape.size(), 0);
  while (true) {
    f(idx);
    size_t a = shape.size();
    while (a-- > 0) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
      if (a == 0) return;
    }
    if (shape.empty()) return;
  }
}

template <class T>
void fill_values(Bytes& b, Strided<T>& s) {
  each_index(s.view.shape, [&](const std::vector<index_t>& i) { s.at(i) = value<T>(b); });
}

index_t floor_mod(index_t a, index_t m) {
  index_t r = a % m;
  return r < 0 ? r + m : r;
}

// The boundary rules of options.hpp; -1 = the fill value.
index_t extend(index_t t, index_t n, fastconv::Boundary bd) {
  using B = fastconv::Boundary;
  if (t >= 0 && t < n) return t;
  switch (bd) {
    case B::fill:
      return -1;
    case B::wrap:
      return floor_mod(t, n);
    case B::nearest:
      return t < 0 ? 0 : n - 1;
    case B::symm: {  // a b c d | d c b a, period 2n
      index_t u = floor_mod(t, 2 * n);
      return u < n ? u : 2 * n - 1 - u;
    }
    case B::mirror: {  // a b c d | c b, period 2n - 2
      if (n == 1) return 0;
      index_t u = floor_mod(t, 2 * n - 2);
      return u < n ? u : 2 * n - 2 - u;
    }
  }
  return -1;
}

template <class T>
void expect_equal(T got, T want, const char* what) {
  if (!(got == want)) fail(what);
}

// A shape function (output_shape, ...) must refuse exactly the arguments
// the definitions call invalid, and give their shape otherwise; false
// when refused.
// Run f, which must throw std::invalid_argument exactly when the
// arguments are not valid; false when it threw.
template <class F>
bool refused_unless(bool valid, F f, const char* name) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    if (valid) fail(name, e.what());
    return false;
  }
  if (!valid) fail(name, "accepted invalid arguments");
  return true;
}

template <class F>
bool shape_agrees(F shape_of, bool valid, const std::vector<index_t>& expected, const char* name) {
  std::vector<index_t> shape;
  if (!refused_unless(valid, [&] { shape = shape_of(); }, name)) return false;
  if (shape != expected) fail(name, "gave a wrong shape");
  return true;
}

// The two operands: laid out from the bytes, then their values.
template <class T>
std::pair<Strided<T>, Strided<T>> operands(Bytes& b, const std::vector<index_t>& xs,
                                           const std::vector<index_t>& ks) {
  std::pair<Strided<T>, Strided<T>> r{make_array<T>(b, xs, true), make_array<T>(b, ks, true)};
  fill_values(b, r.first);
  fill_values(b, r.second);
  return r;
}

// ---- convolve / correlate (convolve.hpp) ---------------------------------
template <class T>
void fuzz_convolve(Bytes& b, bool correlate) {
  using namespace fastconv;
  const int rank = b.range(1, 3);
  std::vector<index_t> xs(rank), ks(rank);
  for (int a = 0; a < rank; ++a) {
    xs[a] = b.range(1, 12);
    ks[a] = b.range(1, 6);
  }
  ConvOptions o;
  o.mode = static_cast<Mode>(b.range(0, 2));
  o.boundary = static_cast<Boundary>(b.range(0, 4));
  o.threads = b.range(0, 2);
  // axes: all (empty), or a permutation of a subset, possibly with negatives
  std::vector<int> conv_axes;
  if (b.flag() && rank > 1) {
    for (int a = 0; a < rank; ++a)
      if (b.flag()) conv_axes.push_back(a);
    if (conv_axes.empty()) conv_axes.push_back(rank - 1);
    if (b.flag()) std::reverse(conv_axes.begin(), conv_axes.end());
    for (int a : conv_axes) o.axes.push_back(b.flag() ? a - rank : a);
    // batch axes: equal, or 1 in one of the inputs (sometimes neither)
    for (int a = 0; a < rank; ++a) {
      if (std::find(conv_axes.begin(), conv_axes.end(), a) != conv_axes.end()) continue;
      const int c = b.range(0, 5);
      if (c == 0)
        xs[a] = 1;
      else if (c == 1)
        ks[a] = 1;
      else if (c < 5)
        ks[a] = xs[a];
    }
  } else {
    for (int a = 0; a < rank; ++a) conv_axes.push_back(a);
  }
  const size_t nc = conv_axes.size();
  auto per_axis = [&](std::vector<index_t>& v, int lo, int hi) {
    const int c = b.range(0, 2);  // empty, one for all, one per axis
    if (c == 1) v.push_back(b.range(lo, hi));
    if (c == 2)
      for (size_t i = 0; i < nc; ++i) v.push_back(b.range(lo, hi));
  };
  per_axis(o.stride, 1, 4);
  per_axis(o.dilation, 1, 4);
  if (b.range(0, 15) == 0) o.dilation = {index_t(1) << b.range(20, 61)};  // huge
  o.anchor_rule = static_cast<AnchorRule>(b.range(0, 2));
  if (o.anchor_rule == AnchorRule::taps) per_axis(o.anchor, 0, 5);
  const T fill = value<T>(b);

  // The expected geometry, from the header's definitions.
  std::vector<index_t> start(rank, 0), st(rank, 1), dl(rank, 1), oshape(rank);
  std::vector<bool> conv(rank, false);
  bool valid = true;
  auto param = [&](const std::vector<index_t>& v, size_t i, index_t dflt) {
    return v.empty() ? dflt : v.size() == 1 ? v[0] : v[i];
  };
  for (size_t i = 0; i < nc; ++i) {
    const int a = conv_axes[i];
    conv[a] = true;
    const index_t s = param(o.stride, i, 1), d = param(o.dilation, i, 1);
    const index_t n = xs[a], k = ks[a];
    __int128 ke = static_cast<__int128>(d) * (k - 1) + 1;
    if (ke * 2 + n > INT64_MAX) {
      valid = false;
      continue;
    }
    index_t len = o.mode == Mode::full   ? n + static_cast<index_t>(ke) - 1
                  : o.mode == Mode::same ? n
                                         : n - static_cast<index_t>(ke) + 1;
    if (len < 1) {
      valid = false;
      continue;
    }
    index_t s0 = 0;
    if (o.mode == Mode::valid) s0 = static_cast<index_t>(ke) - 1;
    if (o.mode == Mode::same) {
      if (o.anchor_rule == AnchorRule::centre_low)
        s0 = static_cast<index_t>((ke - 1) / 2);
      else if (o.anchor_rule == AnchorRule::centre_high)
        s0 = static_cast<index_t>(ke / 2);
      else {
        const index_t tap = param(o.anchor, i, 0);  // (empty: tap 0)
        if (tap >= k) {
          valid = false;
          continue;
        }
        // the tap over output sample 0 of the full convolution's index
        s0 = correlate ? static_cast<index_t>(ke) - 1 - tap * d : tap * d;
      }
    }
    start[a] = s0;
    st[a] = s;
    dl[a] = d;
    oshape[a] = (len - 1) / s + 1;
  }
  for (int a = 0; a < rank; ++a) {
    if (conv[a]) continue;
    if (xs[a] != ks[a] && xs[a] != 1 && ks[a] != 1) valid = false;
    oshape[a] = std::max(xs[a], ks[a]);
  }
  index_t total = 1;  // the result's size must fit in index_t
  for (int a = 0; a < rank && valid; ++a)
    if (__builtin_mul_overflow(total, oshape[a], &total)) valid = false;

  auto xk = operands<T>(b, xs, ks);
  auto& x = xk.first;  // (references, not a structured binding: lambdas capture them)
  auto& k = xk.second;
  if (!shape_agrees([&] { return output_shape(xs, ks, o); }, valid, oshape, "output_shape")) return;
  if (total > 20000) return;  // (a huge dilation in 'full' mode: the shape is the check)
  auto out = make_array<T>(b, oshape, false);
  View<const T> xv = x.view, kv = k.view;
  if (correlate)
    fastconv::correlate<T>(xv, kv, out.view, o, fill);
  else
    fastconv::convolve<T>(xv, kv, out.view, o, fill);

  std::vector<index_t> xi(rank), ki(rank);
  each_index(oshape, [&](const std::vector<index_t>& oi) {
    T want = T(0);
    // batch axes pick their element; convolved axes sum over the taps
    for (int a = 0; a < rank; ++a)
      if (!conv[a]) {
        xi[a] = xs[a] == 1 ? 0 : oi[a];
        ki[a] = ks[a] == 1 ? 0 : oi[a];
      }
    std::vector<index_t> kc;
    for (int a = 0; a < rank; ++a) kc.push_back(conv[a] ? ks[a] : 1);
    each_index(kc, [&](const std::vector<index_t>& p) {
      bool outside = false;
      for (int a = 0; a < rank; ++a) {
        if (!conv[a]) continue;
        const index_t ke = dl[a] * (ks[a] - 1) + 1;
        const index_t t = correlate ? oi[a] * st[a] + start[a] - (ke - 1) + p[a] * dl[a]
                                    : oi[a] * st[a] + start[a] - p[a] * dl[a];
        const index_t e = extend(t, xs[a], o.boundary);
        if (e < 0)
          outside = true;
        else
          xi[a] = e;
        ki[a] = p[a];
      }
      const T xv_ = outside ? fill : x.at(xi);
      const T kv_ = correlate ? conj_of(k.at(ki)) : k.at(ki);
      want = add(want, mul(xv_, kv_));
    });
    expect_equal(out.at(oi), want, correlate ? "correlate value" : "convolve value");
  });
}

// ---- conv_transpose (transpose.hpp) --------------------------------------
template <class T>
void fuzz_transpose(Bytes& b) {
  using namespace fastconv;
  const int naxes = b.range(1, 2);
  const int rank = naxes + b.range(0, 1);
  std::vector<index_t> xs(rank), ks(naxes);
  for (int a = 0; a < rank; ++a) xs[a] = b.range(0, 7);
  for (int i = 0; i < naxes; ++i) ks[i] = b.range(1, 5);
  TransposeOptions o;
  o.threads = b.range(0, 2);
  std::vector<int> axes;
  for (int i = 0; i < naxes; ++i) axes.push_back(rank - naxes + i);
  if (b.flag()) {
    std::reverse(axes.begin(), axes.end());
    for (int a : axes) o.axes.push_back(a);
  }
  auto per_axis = [&](std::vector<index_t>& v, int lo, int hi) {
    const int c = b.range(0, 2);
    if (c == 1) v.push_back(b.range(lo, hi));
    if (c == 2)
      for (int i = 0; i < naxes; ++i) v.push_back(b.range(lo, hi));
  };
  per_axis(o.stride, 1, 4);
  per_axis(o.dilation, 1, 3);
  per_axis(o.padding, 0, 3);
  per_axis(o.output_padding, 0, 3);
  auto param = [&](const std::vector<index_t>& v, int i, index_t dflt) {
    return v.empty() ? dflt : v.size() == 1 ? v[0] : v[i];
  };
  bool valid = true;
  std::vector<index_t> oshape = xs;
  for (int i = 0; i < naxes; ++i) {
    const int a = axes[i];
    const index_t s = param(o.stride, i, 1), d = param(o.dilation, i, 1);
    const index_t p = param(o.padding, i, 0), op = param(o.output_padding, i, 0);
    if (op >= std::max(s, d)) valid = false;
    const index_t len = xs[a] == 0 ? 0 : (xs[a] - 1) * s - 2 * p + d * (ks[i] - 1) + 1 + op;
    if (xs[a] > 0 && len < 1) valid = false;
    oshape[a] = len;
  }
  auto xk = operands<T>(b, xs, ks);
  auto& x = xk.first;  // (references, not a structured binding: lambdas capture them)
  auto& k = xk.second;
  if (!shape_agrees([&] { return conv_transpose_shape(xs, ks, o); }, valid, oshape,
                    "conv_transpose_shape"))
    return;
  auto out = make_array<T>(b, oshape, false);
  each_index(oshape, [&](const std::vector<index_t>& i) { out.at(i) = T(99); });  // overwritten
  conv_transpose<T>(View<const T>(x.view), View<const T>(k.view), out.view, o);

  // the scatter of the definition: out[i*s + j*d - p] += in[i] * kernel[j]
  std::vector<T> want(1, T(0));
  index_t total = 1;
  for (index_t n : oshape) total *= n;
  want.assign(static_cast<size_t>(total), T(0));
  auto flat = [&](const std::vector<index_t>& idx) {
    index_t f = 0;
    for (int a = 0; a < rank; ++a) f = f * oshape[a] + idx[a];
    return f;
  };
  each_index(xs, [&](const std::vector<index_t>& xi) {
    each_index(ks, [&](const std::vector<index_t>& j) {
      std::vector<index_t> oi = xi;
      for (int i = 0; i < naxes; ++i) {
        const int a = axes[i];
        oi[a] =
            xi[a] * param(o.stride, i, 1) + j[i] * param(o.dilation, i, 1) - param(o.padding, i, 0);
        if (oi[a] < 0 || oi[a] >= oshape[a]) return;
      }
      T& w = want[static_cast<size_t>(flat(oi))];
      w = add(w, mul(x.at(xi), k.at(j)));
    });
  });
  each_index(oshape, [&](const std::vector<index_t>& oi) {
    expect_equal(out.at(oi), want[static_cast<size_t>(flat(oi))], "conv_transpose value");
  });
}

// ---- convolve_separable: equals convolve() with the outer product --------
template <class T>
void fuzz_separable(Bytes& b) {
  using namespace fastconv;
  std::vector<index_t> xs = {b.range(1, 10), b.range(1, 10)};
  const index_t nc = b.range(1, 5), nr = b.range(1, 5);
  ConvOptions o;
  o.mode = static_cast<Mode>(b.range(0, 2));
  o.boundary = static_cast<Boundary>(b.range(0, 4));
  if (b.flag()) o.stride = {b.range(1, 3), b.range(1, 3)};
  o.anchor_rule = static_cast<AnchorRule>(b.range(0, 1));
  const T fill = value<T>(b);
  auto x = make_array<T>(b, xs, true);
  auto col = make_array<T>(b, {nc}, true);
  auto row = make_array<T>(b, {nr}, true);
  fill_values(b, x);
  fill_values(b, col);
  fill_values(b, row);
  const auto shape = separable_output_shape(xs, nc, nr, o);
  auto out = make_array<T>(b, shape, false);
  convolve_separable<T>(View<const T>(x.view), View<const T>(col.view), View<const T>(row.view),
                        out.view, o, fill);
  // MATLAB's rule: 'valid' with an image smaller than the kernel is empty
  if (o.mode == Mode::valid && (xs[0] < nc || xs[1] < nr)) {
    if (shape[0] * shape[1] != 0) fail("separable valid: not empty");
    return;
  }
  // the reference: the naive 2-D convolution of the definition
  std::vector<index_t> start(2);
  const index_t ks[2] = {nc, nr};
  for (int a = 0; a < 2; ++a)
    start[a] = o.mode == Mode::full                      ? 0
               : o.mode == Mode::valid                   ? ks[a] - 1
               : o.anchor_rule == AnchorRule::centre_low ? (ks[a] - 1) / 2
                                                         : ks[a] / 2;
  const index_t s0 = o.stride.empty() ? 1 : o.stride[0], s1 = o.stride.empty() ? 1 : o.stride[1];
  each_index(shape, [&](const std::vector<index_t>& oi) {
    T want = T(0);
    for (index_t p = 0; p < nc; ++p)
      for (index_t q = 0; q < nr; ++q) {
        const index_t r = extend(oi[0] * s0 + start[0] - p, xs[0], o.boundary);
        const index_t c = extend(oi[1] * s1 + start[1] - q, xs[1], o.boundary);
        const T xv = (r < 0 || c < 0) ? fill : x.at({r, c});
        want = add(want, mul(xv, mul(col.at({p}), row.at({q}))));
      }
    expect_equal(out.at(oi), want, "convolve_separable value");
  });
}

// ---- CNN layers (nn.hpp): conv1d/2d, conv_transpose1d/2d, layer objects -

// The layers' padding modes as the boundaries of `extend`.
fastconv::Boundary boundary_of(fastconv::PaddingMode m) {
  using fastconv::Boundary;
  using fastconv::PaddingMode;
  switch (m) {
    case PaddingMode::zeros:
      return Boundary::fill;  // (the fill value: 0)
    case PaddingMode::reflect:
      return Boundary::mirror;
    case PaddingMode::replicate:
      return Boundary::nearest;
    case PaddingMode::circular:
      return Boundary::wrap;
  }
  return Boundary::fill;
}

// The same bits (long double: the same value and sign; its padding bytes
// are not part of the value).
template <class T>
bool same_bits(T a, T b) {
  if constexpr (std::is_same_v<T, long double>)
    return a == b && std::signbit(a) == std::signbit(b);
  else
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// One spatial option as the headers describe it: one value for every
// axis or one per axis, `dflt` when empty.
index_t option_at(const std::vector<index_t>& v, int axis, index_t dflt) {
  return v.empty() ? dflt : v.size() == 1 ? v[0] : v[static_cast<size_t>(axis)];
}

// (N, C, [H,] W) index of an element of a layer's array; 1-D has no H.
std::vector<index_t> at4(int ns, index_t n, index_t c, index_t i, index_t j) {
  return ns == 2 ? std::vector<index_t>{n, c, i, j} : std::vector<index_t>{n, c, j};
}

// A layer call (conv or transposed, Transposed) with small fuzzer-chosen
// shapes and options: the shape function, the one-call function and the
// layer object must refuse exactly the arguments nn.hpp calls invalid; the
// one-call result must equal the definition's sum (exact: small integer
// values), and the layer object's run the one-call result bit for bit --
// after the caller's weight and bias arrays were overwritten (the layer
// keeps its own copy).
template <class T, bool Transposed>
void fuzz_layer(Bytes& b) {
  using namespace fastconv;
  using Options = std::conditional_t<Transposed, ConvTransposeLayerOptions, ConvLayerOptions>;
  using Layer = std::conditional_t<Transposed, ConvTransposeLayer<T>, ConvLayer<T>>;
  const int ns = b.range(1, 2);
  // An invalid argument now and then (not from the zeros past the input's
  // end: short inputs should make valid calls).
  auto rare = [&] { return b.range(0, 31) == 31; };
  // big: enough channels for every ISA's wide kernel, and taps for passes
  const bool big = b.range(0, 7) == 7;
  Options o;
  o.groups = rare() ? b.range(-1, 0) : b.range(1, 3);
  const index_t g1 = std::max<index_t>(o.groups, 1);
  // (8..40 channels: the wide and the half kernel of every ISA and type)
  const index_t cin_g = b.range(1, big ? 16 : 3), cout_g = big ? b.range(8, 40) : b.range(0, 4);
  const index_t C = cin_g * g1 + (rare() ? 1 : 0), Cout = cout_g * g1;
  std::vector<index_t> in_shape{b.range(0, 2), C}, w_shape;
  if constexpr (Transposed)
    w_shape = {C + (rare() ? 1 : 0), cout_g};
  else
    w_shape = {Cout + (rare() ? 1 : 0), cin_g + (rare() ? 1 : 0)};
  for (int a = 0; a < ns; ++a) {
    in_shape.push_back(rare() ? 0 : b.range(1, big ? 5 : 9));
    w_shape.push_back(b.range(0, 7) == 7 ? b.range(5, 7) : b.range(1, 4));  // (rows kernel: 5, 7)
  }
  auto per_axis = [&](std::vector<index_t>& v, int lo, int hi) {
    const int c = b.range(0, 7);  // empty, one for all, one per axis, a wrong count
    const size_t count = c < 2 ? 0 : c < 4 ? 1 : c < 7 ? ns : ns + 1;
    for (size_t i = 0; i < count; ++i) v.push_back(rare() ? lo - 1 : b.range(lo, hi));
  };
  per_axis(o.stride, 1, 3);
  per_axis(o.dilation, 1, 3);
  per_axis(o.padding, 0, 3);
  PaddingMode mode = PaddingMode::zeros;
  if constexpr (Transposed) {
    per_axis(o.output_padding, 0, 3);
  } else {
    per_axis(o.padding_end, 0, 3);
    o.same_padding = b.range(0, 3) == 3;
    if (o.same_padding && !rare()) {  // (its usual company)
      o.padding.clear();
      o.padding_end.clear();
      o.stride.clear();
    }
    mode = o.padding_mode = static_cast<PaddingMode>(b.range(0, 3));
  }
  const int threads = b.range(0, 2);
  o.threads = threads;

  // The expected verdicts and shape, from nn.hpp: options (checked by the
  // layer object's constructor), then the input.
  auto count_ok = [&](const std::vector<index_t>& v) {
    return v.empty() || v.size() == 1 || v.size() == static_cast<size_t>(ns);
  };
  auto all_at_least = [&](const std::vector<index_t>& v, index_t lo) {
    return std::all_of(v.begin(), v.end(), [&](index_t x) { return x >= lo; });
  };
  bool opts_ok = o.groups >= 1 && count_ok(o.stride) && count_ok(o.dilation) &&
                 count_ok(o.padding) && all_at_least(o.stride, 1) && all_at_least(o.dilation, 1) &&
                 all_at_least(o.padding, 0) &&
                 w_shape[0] % g1 == 0;  // (Cout, or the transposed layer's C)
  bool in_ok = in_shape[1] >= 1;
  for (int a = 0; a < ns; ++a) in_ok = in_ok && in_shape[2 + a] >= 1;
  std::vector<index_t> oshape{in_shape[0], Transposed ? cout_g * g1 : w_shape[0]};
  std::array<index_t, 2> pad_begin{0, 0};  // (rows, columns)
  if constexpr (Transposed) {
    opts_ok = opts_ok && count_ok(o.output_padding) && all_at_least(o.output_padding, 0);
    in_ok = in_ok && in_shape[1] == w_shape[0];
  } else {
    opts_ok = opts_ok && count_ok(o.padding_end) && all_at_least(o.padding_end, 0);
    if (o.same_padding)
      opts_ok = opts_ok && o.padding.empty() && o.padding_end.empty() &&
                all_at_least(o.stride, 1) &&
                std::all_of(o.stride.begin(), o.stride.end(), [](index_t s) { return s == 1; });
    in_ok = in_ok && in_shape[1] == w_shape[1] * g1;
  }
  for (int a = 0; a < ns && opts_ok; ++a) {
    const index_t n = in_shape[2 + a], k = w_shape[2 + a];
    const index_t s = option_at(o.stride, a, 1), d = option_at(o.dilation, a, 1);
    const index_t span = d * (k - 1);
    index_t len;
    if constexpr (Transposed) {
      const index_t op = option_at(o.output_padding, a, 0), p = option_at(o.padding, a, 0);
      opts_ok = opts_ok && op < std::max(s, d);
      len = (n - 1) * s - 2 * p + span + 1 + op;
      pad_begin[a + 2 - ns] = p;
    } else {
      const index_t p0 = o.same_padding ? span / 2 : option_at(o.padding, a, 0);
      const index_t p1 = o.same_padding          ? span - span / 2
                         : o.padding_end.empty() ? p0
                                                 : option_at(o.padding_end, a, 0);
      if (mode == PaddingMode::reflect && (p0 >= n || p1 >= n)) in_ok = false;
      if (mode == PaddingMode::circular && (p0 > n || p1 > n)) in_ok = false;
      len = n + p0 + p1 - span;  // (then strided)
      if (len >= 1) len = (len - 1) / s + 1;
      pad_begin[a + 2 - ns] = p0;
    }
    in_ok = in_ok && len >= 1;
    oshape.push_back(std::max<index_t>(len, 1));  // (refused: some shape for out)
  }
  oshape.resize(static_cast<size_t>(ns + 2), 1);
  const bool with_bias = b.flag();
  const index_t bias_len = oshape[1] + (rare() ? 1 : 0);
  const bool bias_ok = !with_bias || bias_len == oshape[1];
  std::vector<index_t> out_shape = oshape;
  const bool out_ok = !rare();
  if (!out_ok) out_shape.back() += 1;
  const bool wrong_rank = rare();  // (conv2d on a 3-D input, or the reverse)

  auto in = make_array<T>(b, in_shape, true);
  auto weight = make_array<T>(b, w_shape, true);
  auto bias = make_array<T>(b, {bias_len}, true);
  fill_values(b, in);
  fill_values(b, weight);
  fill_values(b, bias);
  const View<const T> iv = in.view, wv = weight.view, bv = with_bias ? bias.view : View<T>();

  const bool shape_ok = opts_ok && in_ok;
  // (refusals go on: the layer object must refuse bad options too)
  if constexpr (Transposed)
    shape_agrees([&] { return conv_transpose_output_shape(in_shape, w_shape, o); }, shape_ok,
                 oshape, "conv_transpose_output_shape");
  else
    shape_agrees([&] { return conv_output_shape(in_shape, w_shape, o); }, shape_ok, oshape,
                 "conv_output_shape");
  auto out = make_array<T>(b, out_shape, false);
  each_index(out_shape, [&](const std::vector<index_t>& i) { out.at(i) = T(99); });  // overwritten
  const bool call_ok = shape_ok && bias_ok && out_ok;
  auto call = [&](bool conv_2d) {
    if constexpr (Transposed)
      (conv_2d ? conv_transpose2d<T> : conv_transpose1d<T>)(iv, wv, bv, out.view, o, {});
    else
      (conv_2d ? conv2d<T> : conv1d<T>)(iv, wv, bv, out.view, o, {});
  };
  if (wrong_rank) refused_unless(false, [&] { call(ns == 1); }, "a layer call of the wrong rank");
  refused_unless(call_ok, [&] { call(ns == 2); }, Transposed ? "conv_transpose1d/2d" : "conv1d/2d");

  if (call_ok) {
    // The definition: the gather of conv, or the scatter of the transposed
    // layer (both plus the bias); rows of one element in 1-D.
    const index_t H = ns == 2 ? in_shape[2] : 1, W = in_shape.back();
    const index_t kh = ns == 2 ? w_shape[2] : 1, kw = w_shape.back();
    const index_t oh = ns == 2 ? oshape[2] : 1, ow = oshape.back();
    const index_t sh = ns == 2 ? option_at(o.stride, 0, 1) : 1, sw = option_at(o.stride, ns - 1, 1);
    const index_t dh = ns == 2 ? option_at(o.dilation, 0, 1) : 1,
                  dw = option_at(o.dilation, ns - 1, 1);
    const index_t ci_g = in_shape[1] / g1, co_g = oshape[1] / g1;
    std::vector<T> want(static_cast<size_t>(oshape[0] * oshape[1] * oh * ow), T(0));
    auto flat = [&](index_t n, index_t c, index_t i, index_t j) {
      return static_cast<size_t>(((n * oshape[1] + c) * oh + i) * ow + j);
    };
    for (index_t n = 0; n < oshape[0]; ++n)
      for (index_t g = 0; g < g1; ++g)
        for (index_t oc = 0; oc < co_g; ++oc)
          for (index_t c = 0; c < ci_g; ++c)
            for (index_t p = 0; p < kh; ++p)
              for (index_t q = 0; q < kw; ++q) {
                const index_t xc = g * ci_g + c, yc = g * co_g + oc;
                if constexpr (Transposed) {
                  const T wt = weight.at(at4(ns, xc, oc, p, q));
                  for (index_t i = 0; i < H; ++i)
                    for (index_t j = 0; j < W; ++j) {
                      const index_t r = i * sh + p * dh - pad_begin[0];
                      const index_t col = j * sw + q * dw - pad_begin[1];
                      if (r < 0 || r >= oh || col < 0 || col >= ow) continue;
                      T& y = want[flat(n, yc, r, col)];
                      y = add(y, mul(in.at(at4(ns, n, xc, i, j)), wt));
                    }
                } else {
                  const T wt = weight.at(at4(ns, yc, c, p, q));
                  for (index_t i = 0; i < oh; ++i)
                    for (index_t j = 0; j < ow; ++j) {
                      const index_t r =
                          extend(i * sh + p * dh - pad_begin[0], H, boundary_of(mode));
                      const index_t col =
                          extend(j * sw + q * dw - pad_begin[1], W, boundary_of(mode));
                      if (r < 0 || col < 0) continue;  // (zero padding)
                      T& y = want[flat(n, yc, i, j)];
                      y = add(y, mul(in.at(at4(ns, n, xc, r, col)), wt));
                    }
                }
              }
    for (index_t n = 0; n < oshape[0]; ++n)
      for (index_t c = 0; c < oshape[1]; ++c)
        for (index_t i = 0; i < oh; ++i)
          for (index_t j = 0; j < ow; ++j) {
            const T bias_c = with_bias ? bias.at({c}) : T(0);
            expect_equal(out.at(at4(ns, n, c, i, j)), add(bias_c, want[flat(n, c, i, j)]),
                         Transposed ? "conv_transpose1d/2d value" : "conv1d/2d value");
          }
  }

  // The layer object: the options and bias are checked at construction,
  // the input and out at run.
  std::optional<Layer> layer;
  if (!refused_unless(opts_ok && bias_ok, [&] { layer.emplace(wv, bv, o); }, "layer object"))
    return;
  // (its copy of the weights: the caller's arrays may change)
  std::fill(weight.buf.begin(), weight.buf.end(), T(5));
  std::fill(bias.buf.begin(), bias.buf.end(), T(-3));
  if (!shape_agrees([&] { return layer->output_shape(in_shape); }, in_ok, oshape,
                    "layer output_shape"))
    return;
  auto out2 = make_array<T>(b, out_shape, false);
  if (!refused_unless(in_ok && out_ok, [&] { layer->run(iv, out2.view, threads); }, "layer run"))
    return;
  each_index(out_shape, [&](const std::vector<index_t>& i) {
    if (!same_bits(out2.at(i), out.at(i))) fail("layer run: not the one-call result");
  });
}

template <class T>
void run(Bytes& b, int op) {
  switch (op) {
    case 0:
      fuzz_convolve<T>(b, false);
      break;
    case 1:
      fuzz_convolve<T>(b, true);
      break;
    case 2:
      fuzz_transpose<T>(b);
      break;
    case 3:
      fuzz_separable<T>(b);
      break;
    case 4:
      fuzz_layer<T, false>(b);
      break;
    default:
      fuzz_layer<T, true>(b);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes b{data, size};
  // A first byte below 0xC0 picks one of the signal functions as it did
  // before the layers came (the corpus keeps its meaning); from 0xC0 on,
  // a layer: conv (even) or transposed (odd).
  const uint8_t head = b.u8();
  const int op = head < 0xC0 ? head % 4 : 4 + head % 2;
  const int type = b.range(0, 4);
  switch (type) {
    case 0:
      run<float>(b, op);
      break;
    case 1:
      run<double>(b, op);
      break;
    case 2:
      run<long double>(b, op);
      break;
    case 3:
      run<std::complex<double>>(b, op);
      break;
    default:
      run<std::int64_t>(b, op);
      break;
  }
  return 0;
}
