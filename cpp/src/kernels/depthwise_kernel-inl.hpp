// Channels-last depthwise kernel body (DepthwiseTask in kernels.hpp).
// Compiled once per ISA: include it inside the ISA's own namespace after
// conv_kernel-inl.hpp (it uses Lanes, load_vec, store_vec, activate and
// FASTCONV_UNROLL).
//
// Vectorised along the channels, which lie side by side in a channels-last
// array: a block of kDepthwisePixels output pixels x kDepthwiseChannelVecs
// vectors of channels (or twice the pixels x one vector) stays in
// registers for the whole reduction, each tap loading its weight vectors
// once for the block's pixels (at column stride 1 or 2, dilation 1 and 3,
// 5 or 7 columns, each input vector also once for all the pixels it
// feeds). The input is read in place (no panel): the
// pixels whose taps all lie inside the row at fixed offsets, the edge
// pixels through the task's column table.

constexpr int kDepthwisePixels = kVecBytes == 64 ? 8 : 4;
constexpr int kDepthwiseChannelVecs = 2;
// Pixels per block of CV channel vectors: the same number of sums.
template <int CV>
constexpr int kDepthwisePixelsFor = kDepthwisePixels * kDepthwiseChannelVecs / CV;

// The first n < L values at p as a vector (zeros after), and back: the
// last channels when they fill no whole vector, never touching memory
// past them.
template <class V, class T>
static inline V load_first(const T* p, index_t n) {
  T tmp[sizeof(V) / sizeof(T)] = {};
  std::memcpy(tmp, p, static_cast<size_t>(n) * sizeof(T));
  return load_vec<V>(tmp);
}
template <class V, class T>
static inline void store_first(T* p, const V& v, index_t n) {
  T tmp[sizeof(V) / sizeof(T)];
  store_vec(tmp, v);
  std::memcpy(p, tmp, static_cast<size_t>(n) * sizeof(T));
}

// The block's sums through the epilogue into out.
template <class T, int P, int CV, bool Partial, class V>
static inline void depthwise_store(const DepthwiseTask<T>& t, index_t x0, index_t c0, index_t last,
                                   V (&acc)[P][CV]) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  auto load = [&](const T* p, int j) {
    return Partial && j + 1 == CV ? load_first<V>(p + j * L, last) : load_vec<V>(p + j * L);
  };
  FASTCONV_UNROLL for (int i = 0; i < P; ++i) {
    const index_t at = (x0 + i) * t.channels + c0;
    if (t.epilogue) {
      FASTCONV_UNROLL for (int j = 0; j < CV; ++j) {
        if (t.res) acc[i][j] += load(t.res + at, j);
        const V slope = t.slopes ? load_vec<V>(t.slopes + c0 + j * L) : V{};
        acc[i][j] = activate(*t.epilogue, acc[i][j], slope);
      }
    }
    FASTCONV_UNROLL for (int j = 0; j < CV; ++j) {
      if (Partial && j + 1 == CV)
        store_first(t.out + at + j * L, acc[i][j], last);
      else
        store_vec(t.out + at + j * L, acc[i][j]);
    }
  }
}

// Accumulators of P pixels x CV channel vectors from channel c0, each
// starting at the bias (nullptr: zero); channels-last kernels' first step.
template <class T, int P, int CV, class V>
static inline void start_at_bias(const T* bias, index_t c0, V (&acc)[P][CV]) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  FASTCONV_UNROLL for (int j = 0; j < CV; ++j) {
    const V b = bias ? load_vec<V>(bias + c0 + j * L) : V{};
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) acc[i][j] = b;
  }
}

// Pixels [x0, x0 + P) x CV channel vectors from channel c0; with
// Partial, the last vector holds only `last` channels. Inner: every tap of
// the pixels lies inside the row.
template <class T, int P, int CV, bool Inner, bool Partial>
static inline void depthwise_block(const DepthwiseTask<T>& t, index_t x0, index_t c0,
                                   index_t last) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  const index_t C = t.channels;
  auto load = [&](const T* p, int j) {
    return Partial && j + 1 == CV ? load_first<V>(p + j * L, last) : load_vec<V>(p + j * L);
  };
  V acc[P][CV];
  start_at_bias<T>(t.bias, c0, acc);
  for (index_t p = 0; p < t.kh; ++p) {
    const T* row = t.rows[p] + c0;
    const T* w = t.w + p * t.kw * t.w_step + c0;
    for (index_t q = 0; q < t.kw; ++q, w += t.w_step) {
      V wv[CV];
      FASTCONV_UNROLL for (int j = 0; j < CV; ++j) wv[j] = load_vec<V>(w + j * L);
      FASTCONV_UNROLL for (int i = 0; i < P; ++i) {
        const index_t col = (x0 + i) * t.sw + q * t.dw;
        const T* x;
        if constexpr (Inner)
          x = row + (col - t.pad_left) * C;
        else
          x = t.col[col] < 0 ? t.zeros + c0 : row + t.col[col];
        FASTCONV_UNROLL for (int j = 0; j < CV; ++j) acc[i][j] += load(x, j) * wv[j];
      }
    }
  }
  depthwise_store<T, P, CV, Partial>(t, x0, c0, last, acc);
}

// The same sums for inner pixels at column stride SW (1 or 2), dilation 1
// and a kernel KW columns wide: pixel i's tap q reads position SW*i + q of
// the kernel row, so each input vector is loaded once and feeds every
// pixel whose taps reach it; taking the positions in order still adds
// each pixel's taps in ascending q.
template <class T, int KW, int SW, int P, int CV>
static inline void depthwise_block_slide(const DepthwiseTask<T>& t, index_t x0, index_t c0) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  const index_t C = t.channels;
  V acc[P][CV];
  start_at_bias<T>(t.bias, c0, acc);
  for (index_t p = 0; p < t.kh; ++p) {
    const T* row = t.rows[p] + (x0 * SW - t.pad_left) * C + c0;
    const T* w = t.w + p * KW * t.w_step + c0;
    V wv[KW][CV];
    FASTCONV_UNROLL for (int q = 0; q < KW; ++q) FASTCONV_UNROLL for (int j = 0; j < CV; ++j)
        wv[q][j] = load_vec<V>(w + q * t.w_step + j * L);
    FASTCONV_UNROLL for (int m = 0; m < SW * (P - 1) + KW; ++m) {
      V xv[CV];
      FASTCONV_UNROLL for (int j = 0; j < CV; ++j) xv[j] = load_vec<V>(row + m * C + j * L);
      FASTCONV_UNROLL for (int q = 0; q < KW; ++q) {
        const int i = (m - q) / SW;
        if (m >= q && (m - q) % SW == 0 && i < P)
          FASTCONV_UNROLL for (int j = 0; j < CV; ++j) acc[i][j] += xv[j] * wv[q][j];
      }
    }
  }
  depthwise_store<T, P, CV, false>(t, x0, c0, 0, acc);
}

// Whether the sliding blocks serve a row: column stride 1 or 2, dilation
// 1, 3, 5 or 7 columns.
template <class T>
static inline bool depthwise_slides(const DepthwiseTask<T>& t) {
  return t.sw <= 2 && t.dw == 1 && (t.kw == 3 || t.kw == 5 || t.kw == 7);
}

// Channel vectors per sliding block of KW columns: two where the pixels'
// sums, the KW weights and a loaded input of each vector fit the register
// file (16 vector registers below AVX-512, 32 there), else one for twice
// the pixels. (One AVX2 core: 3x3 as fast as before, 5x5 1.25x and 7x7
// 1.1x faster with one vector; two vectors of a 3x3 layer beat one.)
constexpr int slide_channel_vecs(index_t kw) {
  return (kDepthwisePixels + kw + 1) * kDepthwiseChannelVecs <= (kVecBytes == 64 ? 32 : 16)
             ? kDepthwiseChannelVecs
             : 1;
}

// Pixels [x0, x1) of channels [c0, c0 + CV vectors), P at a time, the
// rest one by one.
template <class T, int CV, bool Inner, bool Partial>
static inline void depthwise_pixels(const DepthwiseTask<T>& t, index_t x0, index_t x1, index_t c0,
                                    index_t last) {
  constexpr int P = kDepthwisePixelsFor<CV>;
  if constexpr (Inner && !Partial) {
    auto slide = [&](auto kw, auto sw) {
      if constexpr (CV == 1 || slide_channel_vecs(kw) == CV) {  // (one vector always fits)
        const index_t first = x0;
        for (; x0 + P <= x1; x0 += P) depthwise_block_slide<T, kw, sw, P, CV>(t, x0, c0);
        // The last pixels: a block ending at x1, over the previous one's
        // last pixels (stored twice, the same sums; a residual that
        // overlaps out is a copy, nn/epilogue.hpp)
        if (x0 < x1 && x1 - first >= P) {
          depthwise_block_slide<T, kw, sw, P, CV>(t, x1 - P, c0);
          x0 = x1;
        }
      }
    };
    auto slide_kw = [&](auto sw) {
      if (t.kw == 3) slide(Int<3>{}, sw);
      if (t.kw == 5) slide(Int<5>{}, sw);
      if (t.kw == 7) slide(Int<7>{}, sw);
    };
    if (depthwise_slides(t)) {
      if (t.sw == 1)
        slide_kw(Int<1>{});
      else
        slide_kw(Int<2>{});
    }
  }
  for (; x0 + P <= x1; x0 += P) depthwise_block<T, P, CV, Inner, Partial>(t, x0, c0, last);
  for (; x0 < x1; ++x0) depthwise_block<T, 1, CV, Inner, Partial>(t, x0, c0, last);
}

// Channels [c0, c0 + CV vectors) of the row: edge pixels, inner ones, edge.
template <class T, int CV, bool Partial = false>
static void depthwise_channels(const DepthwiseTask<T>& t, index_t c0, index_t last = 0) {
  depthwise_pixels<T, CV, false, Partial>(t, 0, t.inner_lo, c0, last);
  depthwise_pixels<T, CV, true, Partial>(t, t.inner_lo, t.inner_hi, c0, last);
  depthwise_pixels<T, CV, false, Partial>(t, t.inner_hi, t.cols, c0, last);
}

template <class T, int CV>
static void depthwise_channel_runs(const DepthwiseTask<T>& t) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  index_t c0 = 0;
  for (; c0 + CV * L <= t.channels; c0 += CV * L) depthwise_channels<T, CV>(t, c0);
  // The rest: whole vectors, the last one over the one before where the
  // channels fill no whole number (its first channels stored twice, the
  // same sums), a partial vector only below a vector of channels.
  if constexpr (CV > 1)
    for (; c0 + L <= t.channels; c0 += L) depthwise_channels<T, 1>(t, c0);
  if (c0 < t.channels) {
    if (t.channels >= L)
      depthwise_channels<T, 1>(t, t.channels - L);
    else
      depthwise_channels<T, 1, true>(t, c0, t.channels - c0);
  }
}

// A row in runs of kDepthwiseChannelVecs channel vectors, or of the
// sliding blocks' count where those serve it.
template <class T>
static void depthwise_channels_last(const DepthwiseTask<T>& t) {
  if (depthwise_slides(t) && slide_channel_vecs(t.kw) == 1)
    depthwise_channel_runs<T, 1>(t);
  else
    depthwise_channel_runs<T, kDepthwiseChannelVecs>(t);
}
