// The denormal guard's arithmetic (underflow.hpp): exact power-of-two
// scalings and the range of a run of floats, all on the bits -- integer
// operations and additions of normal numbers only, since a floating-point
// operation on a subnormal is itself the slow case. Selections are by
// masks, so that the row loops vectorize.
//
// Included inside a namespace, twice over: in each ISA's kernel file (the
// row loops of its table, compiled with its flags) and in underflow.hpp
// (single values, for strided elements and the fill value). The includer
// provides <algorithm>, <cstdint>, <cstring>, <limits> and <type_traits>.

template <class R>
struct FloatBits;
template <>
struct FloatBits<float> {
  using U = std::uint32_t;
  static constexpr int kMantissa = 23, kMinExp = -126, kMaxExp = 127;
};
template <>
struct FloatBits<double> {
  using U = std::uint64_t;
  static constexpr int kMantissa = 52, kMinExp = -1022, kMaxExp = 1023;
};

template <class R>
inline typename FloatBits<R>::U bits_of(R v) {
  typename FloatBits<R>::U u;
  std::memcpy(&u, &v, sizeof v);
  return u;
}
template <class R>
inline R from_bits(typename FloatBits<R>::U u) {
  R v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}
// |v|'s bits: as an integer, in the order of the values.
template <class R>
inline typename FloatBits<R>::U abs_bits(R v) {
  using U = typename FloatBits<R>::U;
  return bits_of(v) & ~(U(1) << (sizeof(U) * 8 - 1));
}

// v * 2^e (e >= 0) when the result is normal or zero: exact.
template <class R>
inline R scale_up(R v, int e) {
  using FB = FloatBits<R>;
  using U = typename FB::U;
  const U b = bits_of(v);
  const U a = abs_bits(v);
  const U subnormal = U(0) - U((a >> FB::kMantissa) == 0);  // all ones or zero
  const U normal = b + (U(e) << FB::kMantissa);
  // A subnormal a * 2^(kMinExp - kMantissa): the normal number
  // 2^(kMinExp + e) * (1 + a 2^-kMantissa), less its leading term. (Other
  // lanes compute lead - lead = 0.)
  const U lead = U(e + 1) << FB::kMantissa;
  const U tail = bits_of(from_bits<R>(lead | (a & subnormal)) - from_bits<R>(lead)) | (b ^ a);
  return from_bits<R>((tail & subnormal) | (normal & ~subnormal));
}

// y * 2^-e (e > 0), correctly rounded (to nearest, ties to even) however
// far into the subnormals it falls.
template <class R>
inline R scale_down(R y, int e) {
  using FB = FloatBits<R>;
  using U = typename FB::U;
  const U b = bits_of(y);
  const U a = abs_bits(y);
  const U field = a >> FB::kMantissa;
  const U top_field = (U(1) << (sizeof(U) * 8 - 1 - FB::kMantissa)) - 1;  // Inf, NaN
  const U keep = U(0) - U(field == top_field);
  const U stays_normal = U(0) - U(field > U(e));
  // Else |y| < C = 2^(kMinExp + e): |y| + C lies in [C, 2C), whose spacing
  // is the subnormals' scaled by 2^e, so the addition rounds |y| to them
  // and the sum's bits less C's are the result's.
  const R c = from_bits<R>(U(e + 1) << FB::kMantissa);
  const U tail = (bits_of(from_bits<R>(a & ~stays_normal) + c) - bits_of(c)) | (b ^ a);
  const U r = ((b - (U(e) << FB::kMantissa)) & stays_normal) | (tail & ~stays_normal);
  return from_bits<R>((b & keep) | (r & ~keep));
}

// The row loops of the kernel table.
template <class R>
void scale_up_row(const R* __restrict src, R* __restrict dst, index_t n, int e) {
  for (index_t i = 0; i < n; ++i) dst[i] = scale_up(src[i], e);
}
template <class R>
void scale_down_row(R* __restrict y, index_t n, int e) {
  for (index_t i = 0; i < n; ++i) y[i] = scale_down(y[i], e);
}
// Folds the smallest nonzero and the largest |p[i]| into lo and hi, as
// bit patterns (zeros never count toward lo).
template <class R>
void bit_range_row(const R* __restrict p, index_t n, std::int64_t& lo, std::int64_t& hi) {
  using S = std::make_signed_t<typename FloatBits<R>::U>;
  S l = static_cast<S>(lo), h = static_cast<S>(hi);
  for (index_t i = 0; i < n; ++i) {
    const S a = static_cast<S>(abs_bits(p[i]));
    l = std::min(l, a == 0 ? std::numeric_limits<S>::max() : a);
    h = std::max(h, a);
  }
  lo = l;
  hi = h;
}
