// The FFT's kernels (FftKernels in kernels.hpp: the Stockham passes and
// the real transform's split pass; the plans, twiddles
// and the order of the passes are ISA-independent: cpp/src/fft/). Compiled
// once per ISA: include it inside the ISA's own namespace after
// tile_kernel-inl.hpp (it uses Lanes and Int), with kVecBytes set.
//
// Data are split (real parts, imaginary parts), so a pass runs W
// butterflies at once on vectors of W lanes: the widest W the ISA has
// (kVecBytes), then narrower ones for what is left (a stride or a tail
// shorter than a vector), down to scalars. Every lane runs the same
// scalar operations, in the same order, whatever W: with no contraction
// into FMA (below), the results are bitwise the same on every ISA and in
// every lane position.
//
// The kernel files are compiled with -ffp-contract=fast (the tile and row
// kernels want FMA); contraction is switched off for the passes here.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

// W lanes of T: a vector, or T itself for W = 1.
template <class T, int W>
struct FftLanes {
  using type = typename Lanes<T, W>::type;
};
template <class T>
struct FftLanes<T, 1> {
  using type = T;
};

template <class V>
struct FftCx {
  V re, im;
};
template <class V>
inline FftCx<V> operator+(FftCx<V> a, FftCx<V> b) {
  return {a.re + b.re, a.im + b.im};
}
template <class V>
inline FftCx<V> operator-(FftCx<V> a, FftCx<V> b) {
  return {a.re - b.re, a.im - b.im};
}
template <class V>
inline FftCx<V> operator*(FftCx<V> a, FftCx<V> b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
template <class V, class S>
inline FftCx<V> scaled(FftCx<V> a, S s) {
  return {a.re * s, a.im * s};
}
template <class V>
inline FftCx<V> times_minus_i(FftCx<V> a) {
  return {a.im, -a.re};
}

// A V from p[0..) (unaligned), and back.
template <class V, class T>
inline V fft_load(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <class V, class T>
inline void fft_store(T* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}

// The radix-R butterfly: c[k] = sum_j a[j] exp(-2 pi i j k / R). T is the
// element type (the constants are rounded to it once, the same on every
// ISA).
template <class T, class V>
inline void fft_butterfly(const FftCx<V> (&a)[2], FftCx<V> (&c)[2]) {
  c[0] = a[0] + a[1];
  c[1] = a[0] - a[1];
}

template <class T, class V>
inline void fft_butterfly(const FftCx<V> (&a)[4], FftCx<V> (&c)[4]) {
  const FftCx<V> t0 = a[0] + a[2], t1 = a[0] - a[2];
  const FftCx<V> t2 = a[1] + a[3], t3 = times_minus_i(a[1] - a[3]);
  c[0] = t0 + t2;
  c[1] = t1 + t3;
  c[2] = t0 - t2;
  c[3] = t1 - t3;
}

template <class T, class V>
inline void fft_butterfly(const FftCx<V> (&a)[3], FftCx<V> (&c)[3]) {
  const T kSin60 = T(0.866025403784438646763723170752936183L);
  const FftCx<V> sum = a[1] + a[2];
  const FftCx<V> mid = a[0] - scaled(sum, T(0.5));
  const FftCx<V> rot = scaled(times_minus_i(a[1] - a[2]), kSin60);
  c[0] = a[0] + sum;
  c[1] = mid + rot;
  c[2] = mid - rot;
}

template <class T, class V>
inline void fft_butterfly(const FftCx<V> (&a)[5], FftCx<V> (&c)[5]) {
  // cos and sin of 2 pi / 5 and 4 pi / 5; the outputs pair up as
  // c[1], c[4] and c[2], c[3] (conjugate rotations of the same sums).
  const T kC1 = T(0.309016994374947424102293417182819059L);
  const T kS1 = T(0.951056516295153572116439333379382143L);
  const T kC2 = T(-0.809016994374947424102293417182819059L);
  const T kS2 = T(0.587785252292473129168705954639072769L);
  const FftCx<V> b1 = a[1] + a[4], d1 = a[1] - a[4];
  const FftCx<V> b2 = a[2] + a[3], d2 = a[2] - a[3];
  const FftCx<V> u1 = a[0] + scaled(b1, kC1) + scaled(b2, kC2);
  const FftCx<V> v1 = times_minus_i(scaled(d1, kS1) + scaled(d2, kS2));
  const FftCx<V> u2 = a[0] + scaled(b1, kC2) + scaled(b2, kC1);
  const FftCx<V> v2 = times_minus_i(scaled(d1, kS2) - scaled(d2, kS1));
  c[0] = a[0] + b1 + b2;
  c[1] = u1 + v1;
  c[4] = u1 - v1;
  c[2] = u2 + v2;
  c[3] = u2 - v2;
}

// Butterfly R of a pass on W lanes: a[j] = in[in0 + j in_step] (real parts
// in ir, imaginary parts in ii), out[out0 + k out_step] = c[k] w[k].
template <int R, class T, class V>
inline void fft_butterfly_at(const T* ir, const T* ii, T* or_, T* oi, index_t in0, index_t in_step,
                             index_t out0, index_t out_step, const FftCx<V> (&w)[R]) {
  FftCx<V> a[R], c[R];
  for (int j = 0; j < R; ++j)
    a[j] = {fft_load<V>(ir + in0 + j * in_step), fft_load<V>(ii + in0 + j * in_step)};
  fft_butterfly<T>(a, c);
  fft_store(or_ + out0, c[0].re);
  fft_store(oi + out0, c[0].im);
  for (int k = 1; k < R; ++k) {
    const FftCx<V> v = c[k] * w[k];
    fft_store(or_ + out0 + k * out_step, v.re);
    fft_store(oi + out0 + k * out_step, v.im);
  }
}

// f(Int<W>{}, i) for i = begin, begin + W, ... while W lanes fit, then the
// rest with W / 2, W / 4, ..., 1 lanes (at most one step each).
template <int W, class F>
inline void fft_by_lanes(index_t begin, index_t end, F&& f) {
  index_t i = begin;
  for (; i + W <= end; i += W) f(Int<W>{}, i);
  if constexpr (W > 1) fft_by_lanes<W / 2>(i, end, f);
}

// One decimation-in-frequency Stockham pass over `stride` interleaved
// transforms of `length` points each: out[q + s (R p + k)] = (radix-R DFT
// of in[q + s (p + j m)], j < R)[k] * w^(p k), with m = length / R and
// w = exp(-2 pi i / length), whose real parts are twr[(k - 1) m + p] and
// imaginary parts twi[(k - 1) m + p]. Arrays are split: the real parts,
// then the imaginary parts from `imag` on. The lanes run over q
// (contiguous), or over p in the first pass, where s = 1.
template <int R, class T>
void fft_pass(const T* in, T* out, index_t imag, index_t length, index_t stride, const T* twr,
              const T* twi) {
  constexpr int kW = kVecBytes / static_cast<int>(sizeof(T));
  const index_t m = length / R, s = stride;
  const T *ir = in, *ii = in + imag;
  T *or_ = out, *oi = out + imag;
  if (s == 1) {
    // W values of p at a time: the inputs and twiddles are contiguous in p,
    // the outputs (R apart) go out through a small transpose.
    fft_by_lanes<kW>(0, m, [&](auto lanes, index_t p) {
      constexpr int W = decltype(lanes)::value;
      using V = typename FftLanes<T, W>::type;
      FftCx<V> w[R] = {};
      for (int k = 1; k < R; ++k)
        w[k] = {fft_load<V>(twr + (k - 1) * m + p), fft_load<V>(twi + (k - 1) * m + p)};
      T re[R][W], im[R][W];
      fft_butterfly_at<R, T, V>(ir, ii, &re[0][0], &im[0][0], p, m, 0, W, w);
      for (int l = 0; l < W; ++l)
        for (int k = 0; k < R; ++k) {
          or_[R * (p + l) + k] = re[k][l];
          oi[R * (p + l) + k] = im[k][l];
        }
    });
    return;
  }
  for (index_t p = 0; p < m; ++p) {
    T wr[R] = {}, wi[R] = {};
    for (int k = 1; k < R; ++k) wr[k] = twr[(k - 1) * m + p], wi[k] = twi[(k - 1) * m + p];
    fft_by_lanes<kW>(0, s, [&](auto lanes, index_t q) {
      using V = typename FftLanes<T, decltype(lanes)::value>::type;
      FftCx<V> w[R] = {};
      for (int k = 1; k < R; ++k) w[k] = {V{} + wr[k], V{} + wi[k]};
      fft_butterfly_at<R, T, V>(ir, ii, or_, oi, q + s * p, s * m, q + s * R * p, s, w);
    });
  }
}

// v's lanes in reverse order.
template <class V, int... I>
inline V fft_reversed(V v, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(v, v, (static_cast<int>(sizeof...(I)) - 1 - I)...);
}
template <int W, class V>
inline V fft_reversed(V v) {
  if constexpr (W == 1)
    return v;
  else
    return fft_reversed(v, std::make_integer_sequence<int, W>{});
}

// The real transform's split pass (RealFft::forward): from z's spectrum Z
// (m points, split: zr, zi) to X, the spectrum of the n = 2m real samples
// whose even ones are z's real parts and odd ones its imaginary parts,
// bins [0, m] split into xr, xi. E[j] = (Z[j] + conj Z[m-j]) / 2,
// O[j] = (Z[j] - conj Z[m-j]) / 2i, X[j] = E[j] + w^j O[j] and
// X[m-j] = conj(E[j] - w^j O[j]), w^j = wr[j] + i wi[j] (j <= m/2): a pair
// (j, m-j) at a time, W pairs at once (the m-j side's lanes reversed).
template <class T>
void fft_split_forward(const T* zr, const T* zi, const T* wr, const T* wi, T* xr, T* xi,
                       index_t m) {
  constexpr int kW = kVecBytes / static_cast<int>(sizeof(T));
  xr[0] = zr[0] + zi[0];
  xi[0] = T(0);
  xr[m] = zr[0] - zi[0];
  xi[m] = T(0);
  fft_by_lanes<kW>(1, (m + 1) / 2, [&](auto lanes, index_t j) {
    constexpr int W = decltype(lanes)::value;
    using V = typename FftLanes<T, W>::type;
    const index_t k = m - j - (W - 1);  // the lanes of m - j, reversed
    const FftCx<V> a = {fft_load<V>(zr + j), fft_load<V>(zi + j)};
    const FftCx<V> b = {fft_reversed<W>(fft_load<V>(zr + k)),
                        -fft_reversed<W>(fft_load<V>(zi + k))};
    const FftCx<V> w = {fft_load<V>(wr + j), fft_load<V>(wi + j)};
    const FftCx<V> even = scaled(a + b, T(0.5));
    const FftCx<V> odd = scaled(w * times_minus_i(a - b), T(0.5));
    const FftCx<V> lo = even + odd, hi = even - odd;
    fft_store(xr + j, lo.re);
    fft_store(xi + j, lo.im);
    fft_store(xr + k, fft_reversed<W>(hi.re));
    fft_store(xi + k, -fft_reversed<W>(hi.im));
  });
  if (m % 2 == 0 && m > 0) {  // X[m/2] = conj Z[m/2] exactly
    xr[m / 2] = zr[m / 2];
    xi[m / 2] = -zi[m / 2];
  }
}

// Its inverse (RealFft::inverse), up to the factor 2 and the conjugation:
// from bins [0, m] of X (xr, xi; xi's signs flipped when `conjugated`:
// X given as its conjugate) to z', split in zr, zi, such that the forward
// complex transform of z' is the conjugate of twice z's samples:
// Z'[j] = conj(E'[j] + i O'[j]), E'[j] = X[j] + conj X[m-j],
// O'[j] = (X[j] - conj X[m-j]) conj(w^j).
template <class T>
void fft_split_inverse(const T* xr, const T* xi, bool conjugated, const T* wr, const T* wi, T* zr,
                       T* zi, index_t m) {
  constexpr int kW = kVecBytes / static_cast<int>(sizeof(T));
  const T sign = conjugated ? T(-1) : T(1);  // (exact)
  zr[0] = xr[0] + xr[m];
  zi[0] = -(xr[0] - xr[m]);
  fft_by_lanes<kW>(1, (m + 1) / 2, [&](auto lanes, index_t j) {
    constexpr int W = decltype(lanes)::value;
    using V = typename FftLanes<T, W>::type;
    const index_t k = m - j - (W - 1);
    const FftCx<V> a = {fft_load<V>(xr + j), fft_load<V>(xi + j) * sign};
    const FftCx<V> b = {fft_reversed<W>(fft_load<V>(xr + k)),
                        -(fft_reversed<W>(fft_load<V>(xi + k)) * sign)};
    const FftCx<V> w = {fft_load<V>(wr + j), -fft_load<V>(wi + j)};
    const FftCx<V> even = a + b;
    const FftCx<V> d = (a - b) * w;
    const FftCx<V> odd_i = {-d.im, d.re};  // i d
    const FftCx<V> lo = even + odd_i, hi = even - odd_i;
    // z'[j] = conj(lo); z'[m-j] = conj(conj(hi)) = hi
    fft_store(zr + j, lo.re);
    fft_store(zi + j, -lo.im);
    fft_store(zr + k, fft_reversed<W>(hi.re));
    fft_store(zi + k, fft_reversed<W>(hi.im));
  });
  if (m % 2 == 0 && m > 0) {  // Z'[m/2] = conj(2 conj X[m/2])
    zr[m / 2] = xr[m / 2] * T(2);
    zi[m / 2] = xi[m / 2] * sign * T(2);
  }
}

template <class T>
constexpr FftKernels<T> fft_kernel_table() {
  return {&fft_pass<2, T>, &fft_pass<3, T>,       &fft_pass<4, T>,
          &fft_pass<5, T>, &fft_split_forward<T>, &fft_split_inverse<T>};
}

#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
