// Channels-last 1x1 kernel body (PointwiseNhwcTask in kernels.hpp).
// Compiled once per ISA: include it inside the ISA's own namespace after
// depthwise_kernel-inl.hpp (it uses Lanes, load_vec, store_vec, splat,
// activate, load_first, store_first, start_at_bias and FASTCONV_UNROLL).
//
// On channels-last data a 1x1 layer is a plain matrix product, out(pixels
// x Cout) = in(pixels x K) . W: the output channels lie along the vector
// lanes. A block of P pixels x CV vectors of channels stays in registers
// for the whole reduction; each input channel r loads the block's CV
// weight vectors once and broadcasts each pixel's input r once.

// Accumulators per block (of 16 registers, 12; of 32, 24), shared out as
// P = kNhwcAcc / CV pixels for CV = 1, 2 or 3 channel vectors, and the
// pixels taken kNhwcAcc at a time (a multiple of every such P) so that
// their input stays in L1 over all the channel blocks.
constexpr int kNhwcAcc = kVecBytes == 64 ? 24 : 12;

// Pixels [i0, i0 + P) x CV channel vectors from channel c0: bias + the K
// products in ascending r, then the epilogue. With Partial (CV = 1), the
// vector holds only the `last` channels: the residual and the output are
// read and written no further.
template <class T, int P, int CV, bool Partial>
static inline void nhwc_block(const PointwiseNhwcTask<T>& t, index_t i0, index_t c0, index_t last) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  static_assert(!Partial || CV == 1);
  V acc[P][CV];
  start_at_bias<T>(t.bias, c0, acc);
  const T* x = t.in + i0 * t.in_step;
  const T* w = t.w + c0;
  for (index_t r = 0; r < t.K; ++r, w += t.w_step) {
    V wv[CV];
    FASTCONV_UNROLL for (int j = 0; j < CV; ++j) wv[j] = load_vec<V>(w + j * L);
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) {
      const V xv = splat<V>(x[i * t.in_step + r]);
      FASTCONV_UNROLL for (int j = 0; j < CV; ++j) acc[i][j] += xv * wv[j];
    }
  }
  FASTCONV_UNROLL for (int i = 0; i < P; ++i) {
    const index_t at = (i0 + i) * t.out_step + c0;
    FASTCONV_UNROLL for (int j = 0; j < CV; ++j) {
      if (t.epilogue) {
        if (t.res)
          acc[i][j] += Partial ? load_first<V>(t.res + at, last) : load_vec<V>(t.res + at + j * L);
        const V slope = t.slopes ? load_vec<V>(t.slopes + c0 + j * L) : V{};
        acc[i][j] = activate(*t.epilogue, acc[i][j], slope);
      }
      if (Partial)
        store_first(t.out + at, acc[i][j], last);
      else
        store_vec(t.out + at + j * L, acc[i][j]);
    }
  }
}

// Pixels [i0, i1) of channels [c0, c0 + CV vectors): blocks of
// kNhwcAcc / CV pixels, the rest one by one.
template <class T, int CV, bool Partial = false>
static inline void nhwc_channels(const PointwiseNhwcTask<T>& t, index_t i0, index_t i1, index_t c0,
                                 index_t last = 0) {
  constexpr int P = kNhwcAcc / CV;
  for (; i0 + P <= i1; i0 += P) nhwc_block<T, P, CV, Partial>(t, i0, c0, last);
  for (; i0 < i1; ++i0) nhwc_block<T, 1, CV, Partial>(t, i0, c0, last);
}

// Pixels [i0, i1) of every channel: one block of 3 vectors when the whole
// vectors are odd in number, blocks of 2, then the last channels.
template <class T>
static inline void nhwc_pixels(const PointwiseNhwcTask<T>& t, index_t i0, index_t i1) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  const index_t vecs = t.channels / L;
  index_t c0 = 0;
  if (vecs >= 3 && vecs % 2 == 1) {
    nhwc_channels<T, 3>(t, i0, i1, c0);
    c0 += 3 * L;
  }
  for (; c0 + 2 * L <= t.channels; c0 += 2 * L) nhwc_channels<T, 2>(t, i0, i1, c0);
  for (; c0 + L <= t.channels; c0 += L) nhwc_channels<T, 1>(t, i0, i1, c0);
  if (c0 < t.channels) nhwc_channels<T, 1, true>(t, i0, i1, c0, t.channels - c0);
}

template <class T>
static void pointwise_nhwc(const PointwiseNhwcTask<T>& t) {
  index_t i = 0;
  for (; i + kNhwcAcc <= t.pixels; i += kNhwcAcc) nhwc_pixels(t, i, i + kNhwcAcc);
  if (i < t.pixels) nhwc_pixels(t, i, t.pixels);
}
