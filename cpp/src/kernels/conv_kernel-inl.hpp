// Direct convolution bodies for CNN layers (see ConvTask in kernels.hpp).
// Compiled once per ISA: include it inside the ISA's own namespace after
// tile_kernel-inl.hpp (it uses Lanes, load_vec, store_vec and
// FASTCONV_UNROLL), with kConvChannelVecs and kConvPixels (the wide
// kernel's block) and kConvVecs1 (the narrow kernel's) defined.
//
// Wide kernel, vectorised along output channels: a block of
// kConvChannelVecs vectors of channels x up to kConvPixels consecutive
// output pixels of one row stays in registers for the whole reduction;
// each step loads the channel vectors of one tap's weights and broadcasts
// one input value per pixel. No lane is wasted whatever the image width:
// 2 x 14 of 32 registers (AVX-512), 2 x 6 of 16 (AVX2), 2 x 4 (SSE2). The
// half-width kernel: one vector of channels x twice the pixels. A piece of
// at least a vector's worth of pixels whose outputs lie side by side is
// transposed in registers and stored in whole vectors per channel.
//
// Narrow kernel, for one channel at a time (depthwise layers), vectorised
// along the output row: kConvVecs1 output vectors per block, each step one
// load per vector and one broadcast weight. Rows kernel: the narrow one
// for one input channel at row stride and dilation 1, blocks of kRowBlock
// output rows x kColVecsMulti vectors sharing each input load (as the tile
// kernel's blocks do). Paired kernel: the narrow one
// for the two column phases of a stride-2 transposed layer, interleaved in
// registers so that the output is stored in whole vectors.
//
// Pointwise kernel, for 1x1 layers with stride 1 and no padding on
// contiguous planes: the input read in place (no panel) and the output
// stored in whole vectors, blocks of kPointwiseChannels output channels x
// kPointwiseVecs vectors of pixels, each input vector loaded once per
// block and feeding all its channels.

// Pixels per piece of the wide kernel with C vectors of channels: the
// same registers whatever C (the half-width kernel, C = 1, serves layers
// whose channels fill one vector better than two).
template <int C>
constexpr int kPiecePixels = kConvPixels * kConvChannelVecs / C;

// Whether a wide piece's n outputs of each channel (offsets po) all lie
// side by side in ascending order, so that they can be stored as whole
// vectors.
template <class T>
static inline bool whole_vector_stores(const ConvTask<T>& t, const index_t* po, int n) {
  if (t.ch_pairs) return false;
  for (int i = 0; i < n; ++i)
    if (po[i] == kNoOutput || po[i] != po[0] + i) return false;
  return true;
}

template <class T, int C, int P>
static inline void conv_pixels(const ConvTask<T>& t, index_t v) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  V acc[P][C];
  // (one pass has no partial sums: no buffer, and no offset into a null one)
  T* const partial = t.partial ? t.partial + v * kPiecePixels<C> * C * L : nullptr;
  if (t.first) {
    FASTCONV_UNROLL for (int j = 0; j < C; ++j) {
      const V b = t.bias ? load_vec<V>(t.bias + j * L) : V{};
      FASTCONV_UNROLL for (int i = 0; i < P; ++i) acc[i][j] = b;
    }
  } else {
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) FASTCONV_UNROLL for (int j = 0; j < C; ++j)
        acc[i][j] = load_vec<V>(partial + (i * C + j) * L);
  }
  const T* xb = t.panel + t.x_base[v];
  const T* w = t.w;
  for (index_t r = 0; r < t.K; ++r, w += C * L) {
    const T* xp = xb + t.x_off[r];
    __builtin_prefetch(w + 8 * C * L);  // the weights stream from L2
    V wv[C];
    FASTCONV_UNROLL for (int j = 0; j < C; ++j) wv[j] = load_vec<V>(w + j * L);
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) {
      const T xi = xp[i];
      FASTCONV_UNROLL for (int j = 0; j < C; ++j) acc[i][j] += wv[j] * xi;
    }
  }
  if (!t.last) {
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) FASTCONV_UNROLL for (int j = 0; j < C; ++j)
        store_vec(partial + (i * C + j) * L, acc[i][j]);
    return;
  }
  // Channel o of position i goes to out[o*out_ch_step + pixel_out[i]],
  // written channel by channel: the planes of an NCHW output can lie a
  // multiple of 4 KiB apart, in one set of the L1 cache, so a line is
  // written whole before the next channel's.
  const index_t* po = t.pixel_out + v * kPiecePixels<C>;
  T tile[P][C * L];
  if (t.epilogue && t.res) {  // (the residual's channels lie apart: one by one)
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) FASTCONV_UNROLL for (int j = 0; j < C; ++j)
        store_vec(tile[i] + j * L, acc[i][j]);
    for (index_t o = 0; o < t.channels; ++o) {
      const T* ro = t.res + (t.ch_out ? t.ch_out[o] : o * t.out_ch_step);
      FASTCONV_UNROLL for (int i = 0; i < P; ++i) if (po[i] != kNoOutput) tile[i][o] += ro[po[i]];
    }
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) FASTCONV_UNROLL for (int j = 0; j < C; ++j)
        acc[i][j] = load_vec<V>(tile[i] + j * L);
  }
  if (t.epilogue) {
    FASTCONV_UNROLL for (int j = 0; j < C; ++j) {
      const V slope = t.slopes ? load_vec<V>(t.slopes + j * L) : V{};
      FASTCONV_UNROLL for (int i = 0; i < P; ++i) acc[i][j] =
          activate(*t.epilogue, acc[i][j], slope);
    }
  }
  if (t.out_ch_step == 1 && !t.ch_out) {
    // Channels-last output: each pixel's channels lie side by side, in
    // whole vectors but for a partial last one.
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) {
      if (po[i] == kNoOutput) continue;
      T* o = t.out + po[i];
      FASTCONV_UNROLL for (int j = 0; j < C; ++j) {
        const index_t n = std::min<index_t>(L, t.channels - j * L);
        if (n == L) {
          store_vec(o + j * L, acc[i][j]);
        } else if (n > 0) {
          store_vec(tile[i] + j * L, acc[i][j]);
          std::memcpy(o + j * L, tile[i] + j * L, static_cast<size_t>(n) * sizeof(T));
        }
      }
    }
    return;
  }
  if constexpr (P >= L) {
    if (whole_vector_stores(t, po, P)) {
      // Pixels [s, s + L) of every channel in whole vectors: blocks of L
      // pixels (the last overlapping the one before when L does not
      // divide P: the same values stored twice) transposed in registers.
      for (int b = 0; b < P; b += L) {  // (no unroll pragma: clang cannot, and warns)
        const int s = std::min(b, P - L);
        FASTCONV_UNROLL for (int j = 0; j < C; ++j) {
          V v[L];
          FASTCONV_UNROLL for (int l = 0; l < L; ++l) v[l] = acc[s + l][j];
          transpose(v);  // v[k]: channel j*L + k of the block's pixels
          FASTCONV_UNROLL for (int k = 0; k < L; ++k) {
            const index_t o = j * L + k;
            if (o < t.channels)
              store_vec(t.out + (t.ch_out ? t.ch_out[o] : o * t.out_ch_step) + po[s], v[k]);
          }
        }
      }
      return;
    }
  } else if constexpr (2 * P >= L) {
    if (whole_vector_stores(t, po, P)) {
      // Fewer pixels than a vector (the AVX-512 and AVX2 wide pieces):
      // transposed with the spare lanes zero, the first P lanes of every
      // channel stored at once. (No unroll pragma: clang's fuzzer build
      // cannot unroll this loop, and warns.)
      for (int j = 0; j < C; ++j) {
        V v[L];
        static_for<L>([&](auto l) {
          if constexpr (l < P)
            v[l] = acc[l][j];
          else
            v[l] = V{};
        });
        transpose(v);
        FASTCONV_UNROLL for (int k = 0; k < L; ++k) {
          const index_t o = j * L + k;
          if (o < t.channels)
            std::memcpy(t.out + (t.ch_out ? t.ch_out[o] : o * t.out_ch_step) + po[0], &v[k],
                        P * sizeof(T));
        }
      }
      return;
    }
  }
  FASTCONV_UNROLL for (int i = 0; i < P; ++i) FASTCONV_UNROLL for (int j = 0; j < C; ++j)
      store_vec(tile[i] + j * L, acc[i][j]);
  if (t.ch_pairs) {  // (half the stores: two columns at a time)
    for (index_t o = 0; o < t.channels; o += 2) {
      T* oo = t.out + t.ch_out[o];
      FASTCONV_UNROLL for (int i = 0; i < P; ++i) if (po[i] != kNoOutput)
          std::memcpy(oo + po[i], tile[i] + o, 2 * sizeof(T));
    }
    return;
  }
  for (index_t o = 0; o < t.channels; ++o) {
    T* oo = t.out + (t.ch_out ? t.ch_out[o] : o * t.out_ch_step);
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) if (po[i] != kNoOutput) oo[po[i]] = tile[i][o];
  }
}

// Tiles of 1..kPiecePixels<C> pixels (lanes[v] of them).
template <class T, int C, int P>
static inline void conv_pixels_upto(const ConvTask<T>& t, index_t v) {
  if constexpr (P > 1) {
    if (t.lanes[v] < P) return conv_pixels_upto<T, C, P - 1>(t, v);
  }
  conv_pixels<T, C, P>(t, v);
}

template <class T, int C>
static void conv_wide(const ConvTask<T>& t) {
  for (index_t v = 0; v < t.n_vec; ++v) conv_pixels_upto<T, C, kPiecePixels<C>>(t, v);
}

// n <= N outputs of one channel through the epilogue: acc plus the
// residual at offset `at` (whole vectors when contiguous), then the
// activation with the channel's slope.
template <class T, int N, class V>
static inline void finish_outputs(const ConvTask<T>& t, index_t at, index_t n, index_t step,
                                  V (&acc)[N]) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  if (t.res) {
    const T* r = t.res + at;
    if (n == N * L && step == 1) {
      FASTCONV_UNROLL for (int u = 0; u < N; ++u) acc[u] += load_vec<V>(r + u * L);
    } else {
      T tmp[N * L] = {};
      for (index_t l = 0; l < n; ++l) tmp[l] = r[l * step];
      FASTCONV_UNROLL for (int u = 0; u < N; ++u) acc[u] += load_vec<V>(tmp + u * L);
    }
  }
  const V slope = splat<V>(t.slopes ? t.slopes[0] : T(0));
  FASTCONV_UNROLL for (int u = 0; u < N; ++u) acc[u] = activate(*t.epilogue, acc[u], slope);
}

// Output vector v of a narrow kernel: whole, or its lanes[v] lanes one by
// one (a partial vector, or output columns not adjacent).
template <class T, class V>
static inline void store_piece(const ConvTask<T>& t, index_t v, V acc) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  T* o = t.out + t.out_off[v];
  const index_t lanes = t.lanes[v];
  if (t.epilogue) {
    V a[1] = {acc};
    finish_outputs<T, 1>(t, t.out_off[v], lanes, t.out_w_step, a);
    acc = a[0];
  }
  if (lanes == L && t.out_w_step == 1) {
    store_vec(o, acc);
  } else {
    T tmp[L];
    store_vec(tmp, acc);
    for (index_t l = 0; l < lanes; ++l) o[l * t.out_w_step] = tmp[l];
  }
}

// One channel: U output vectors (pieces of at most L outputs).
template <class T, int U>
static inline void conv_block(const ConvTask<T>& t, index_t v0) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  V acc[U];
  const V b = V{} + (t.bias ? t.bias[0] : T(0));
  FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[u] = b;
  const T* xb[U];
  FASTCONV_UNROLL for (int u = 0; u < U; ++u) xb[u] = t.panel + t.x_base[v0 + u];
  for (index_t r = 0; r < t.K; ++r) {
    const index_t off = t.x_off[r];
    const T wr = t.w[r];
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[u] += load_vec<V>(xb[u] + off) * wr;
  }
  FASTCONV_UNROLL for (int u = 0; u < U; ++u) store_piece(t, v0 + u, acc[u]);
}

// One input channel, KH kernel rows: R output rows x U vectors from
// vector v0 (row-major, vec_row per row). Input row rr of the block feeds
// output row i with kernel row rr - i, so each output still takes its
// taps in ascending (row, column) order: the narrow kernel's sums.
template <class T, int KH, int R, int U>
static inline void rows_block(const ConvTask<T>& t, index_t v0) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  V acc[R][U];
  const V b = V{} + (t.bias ? t.bias[0] : T(0));
  FASTCONV_UNROLL for (int i = 0; i < R; ++i) FASTCONV_UNROLL for (int u = 0; u < U; ++u)
      acc[i][u] = b;
  const T* xb[U];  // (a row's last vector may overlap the one before)
  FASTCONV_UNROLL for (int u = 0; u < U; ++u) xb[u] = t.panel + t.x_base[v0 + u];
  const index_t kw = t.kw;
  FASTCONV_UNROLL for (int rr = 0; rr < R + KH - 1; ++rr) {
    for (index_t q = 0; q < kw; ++q) {
      const index_t off = rr * t.row_step + t.x_off[q];
      FASTCONV_UNROLL for (int u = 0; u < U; ++u) {
        V xv = load_vec<V>(xb[u] + off);
        if constexpr (kVecBytes <= kNativeVecBytes) FASTCONV_IN_REGISTER(xv);
        FASTCONV_UNROLL for (int i = 0; i < R; ++i) if (rr - i >= 0 && rr - i < KH) acc[i][u] +=
            xv * t.w[(rr - i) * kw + q];
      }
    }
  }
  FASTCONV_UNROLL for (int i = 0; i < R; ++i) FASTCONV_UNROLL for (int u = 0; u < U; ++u)
      store_piece(t, v0 + i * t.vec_row + u, acc[i][u]);
}

// R rows of vectors from vector v0, U at a time, the rest by fewer.
template <class T, int KH, int R, int U>
static inline void rows_strip(const ConvTask<T>& t, index_t v0, index_t u0) {
  for (; u0 + U <= t.vec_row; u0 += U) rows_block<T, KH, R, U>(t, v0 + u0);
  if constexpr (U > 1) rows_strip<T, KH, R, U / 2>(t, v0, u0);
}

template <class T, int KH>
static void conv_rows_of(const ConvTask<T>& t) {
  const index_t rows = t.n_vec / t.vec_row;
  index_t r = 0;
  for (; r + kRowBlock <= rows; r += kRowBlock)
    rows_strip<T, KH, kRowBlock, kColVecsMulti>(t, r * t.vec_row, 0);
  for (; r < rows; ++r) rows_strip<T, KH, 1, kColVecsMulti>(t, r * t.vec_row, 0);
}

// One channel, two column phases: U output vectors of each.
template <class T, int U>
static inline void conv_pair_block(const ConvTask<T>& t, index_t v0) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  V even[U], odd[U];
  const V b = V{} + (t.bias ? t.bias[0] : T(0));
  FASTCONV_UNROLL for (int u = 0; u < U; ++u) even[u] = odd[u] = b;
  const T* xb[U];
  FASTCONV_UNROLL for (int u = 0; u < U; ++u) xb[u] = t.panel + t.x_base[v0 + u];
  for (index_t r = 0; r < t.K; ++r) {
    const index_t off = t.x_off[r];
    const T wr = t.w[r];
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) even[u] += load_vec<V>(xb[u] + off) * wr;
  }
  for (index_t r = 0; r < t.K2; ++r) {
    const index_t off = t.x_off2[r];
    const T wr = t.w2[r];
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) odd[u] += load_vec<V>(xb[u] + off) * wr;
  }
  const index_t step = t.out_w_step / 2;  // between output columns
  FASTCONV_UNROLL for (int u = 0; u < U; ++u) {
    // (a0 b0 a1 b1 ...) in lo, then the rest in hi
    V lo = interleave<0>(even[u], odd[u], std::make_index_sequence<L>{});
    V hi = interleave<1>(even[u], odd[u], std::make_index_sequence<L>{});
    T* o = t.out + t.out_off[v0 + u];
    const index_t columns = t.lanes[v0 + u];
    if (t.epilogue) {
      V both[2] = {lo, hi};
      finish_outputs<T, 2>(t, t.out_off[v0 + u], columns, step, both);
      lo = both[0];
      hi = both[1];
    }
    if (columns == 2 * L && step == 1) {
      store_vec(o, lo);
      store_vec(o + L, hi);
    } else {
      T tmp[2 * L];
      store_vec(tmp, lo);
      store_vec(tmp + L, hi);
      for (index_t l = 0; l < columns; ++l) o[l * step] = tmp[l];
    }
  }
}

// All output vectors of the task, U at a time, the rest by smaller blocks
// (of the narrow kernel, or with Paired of the paired one).
template <class T, int U, bool Paired = false>
static void conv_vectors(const ConvTask<T>& t) {
  index_t v = 0;
  for (; v + U <= t.n_vec; v += U) {
    if constexpr (Paired)
      conv_pair_block<T, U>(t, v);
    else
      conv_block<T, U>(t, v);
  }
  if constexpr (U > 1) {
    if (v < t.n_vec) {
      ConvTask<T> rest = t;
      rest.x_base += v;
      rest.out_off += v;
      rest.lanes += v;
      rest.n_vec = t.n_vec - v;
      conv_vectors<T, U / 2, Paired>(rest);
    }
  }
}

template <class T>
static void conv_narrow(const ConvTask<T>& t) {
  conv_vectors<T, kConvVecs1>(t);
}

template <class T>
static void conv_paired(const ConvTask<T>& t) {
  conv_vectors<T, kConvVecs1 / 2, true>(t);
}

// The rows kernel for the common kernel heights, the narrow one for others.
template <class T>
static void conv_rows(const ConvTask<T>& t) {
  switch (t.kh) {
    case 2:
      return conv_rows_of<T, 2>(t);
    case 3:
      return conv_rows_of<T, 3>(t);
    case 5:
      return conv_rows_of<T, 5>(t);
    case 7:
      return conv_rows_of<T, 7>(t);
    default:
      return conv_narrow(t);
  }
}

// Pointwise blocks: accumulators, input vectors and a broadcast weight in
// the register file (4 x 6 + 6 of 32 AVX-512 registers, 2 x 4 + 4 of 16).
constexpr int kPointwiseChannels = kVecBytes == 64 ? 4 : 2;
constexpr int kPointwiseVecs = kVecBytes == 64 ? 6 : 4;

// Store U vectors of consecutive outputs at out + at, after the epilogue
// (the residual at the same offsets, channel j's prelu slope).
template <class T, int U, class V>
__attribute__((always_inline)) static inline void pointwise_store(const ConvTask<T>& t, index_t at,
                                                                  V* acc, index_t j) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  if (t.epilogue) {
    if (t.res)
      FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[u] += load_vec<V>(t.res + at + u * L);
    const V slope = splat<V>(t.slopes ? t.slopes[j] : T(0));
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[u] = activate(*t.epilogue, acc[u], slope);
  }
  FASTCONV_UNROLL for (int u = 0; u < U; ++u) store_vec(t.out + at + u * L, acc[u]);
}

// Channels [j0, j0 + C) of pixels [i0, i0 + U*L) of a pointwise task:
// each output is bias + the K products in ascending order, the narrow and
// wide kernels' sums, then the epilogue (the residual at out's offsets).
// Pairs: ch_pairs (a compile-time choice: the plain block keeps its
// registers to itself).
template <class T, int C, int U, bool Pairs>
static inline void pointwise_block(const ConvTask<T>& t, index_t j0, index_t i0) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  V acc[C][U];
  FASTCONV_UNROLL for (int j = 0; j < C; ++j) {
    const V b = V{} + (t.bias ? t.bias[j0 + j] : T(0));
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[j][u] = b;
  }
  const T* x = t.panel + i0;
  const T* w = t.w + j0 * t.K;
  for (index_t r = 0; r < t.K; ++r) {
    const T* xr = x + t.x_off[r];
    V xv[U];
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) xv[u] = load_vec<V>(xr + u * L);
    FASTCONV_UNROLL for (int j = 0; j < C; ++j) {
      const T wj = w[j * t.K + r];
      FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[j][u] += xv[u] * wj;
    }
  }
  if constexpr (Pairs) {
    static_assert(C % 2 == 0);
    // Channels 2i and 2i + 1 side by side: vector u of each interleaved
    // into 2 vectors of consecutive outputs.
    FASTCONV_UNROLL for (int j = 0; j < C; j += 2) {
      const index_t at = t.ch_out[j0 + j] + 2 * i0;
      V both[2 * U];
      FASTCONV_UNROLL for (int u = 0; u < U; ++u) {
        both[2 * u] = interleave<0>(acc[j][u], acc[j + 1][u], std::make_index_sequence<L>{});
        both[2 * u + 1] = interleave<1>(acc[j][u], acc[j + 1][u], std::make_index_sequence<L>{});
      }
      pointwise_store<T, 2 * U>(t, at, both, j0 + j);
    }
  } else {
    FASTCONV_UNROLL for (int j = 0; j < C; ++j)
        pointwise_store<T, U>(t, (j0 + j) * t.out_ch_step + i0, acc[j], j0 + j);
  }
}

// A block of `vecs` <= U vectors (chosen at run time).
template <class T, int C, int U, bool Pairs>
static inline void pointwise_upto(const ConvTask<T>& t, index_t j0, index_t i0, index_t vecs) {
  if constexpr (U > 1)
    if (vecs < U) return pointwise_upto<T, C, U - 1, Pairs>(t, j0, i0, vecs);
  pointwise_block<T, C, U, Pairs>(t, j0, i0);
}

// Channels [j0, j0 + C) of all the task's pixels (n_vec of them, at least
// one vector): blocks of kPointwiseVecs vectors, then one block of just
// enough vectors for the rest, ending at the last pixel (overlapping the
// block before when the rest is not whole vectors: the same sums for the
// outputs both compute, and whole vectors stored).
template <class T, int C, bool Pairs>
static inline void pointwise_channels(const ConvTask<T>& t, index_t j0) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  constexpr int U = kPointwiseVecs;
  const index_t n = t.n_vec;
  index_t i = 0;
  for (; i + U * L <= n; i += U * L) pointwise_block<T, C, U, Pairs>(t, j0, i);
  if (i == n) return;
  const index_t vecs = (n - i + L - 1) / L;
  if (vecs * L <= n) return pointwise_upto<T, C, U, Pairs>(t, j0, n - vecs * L, vecs);
  // (fewer than U vectors in all, not whole: the whole ones, then the last)
  pointwise_upto<T, C, U, Pairs>(t, j0, 0, n / L);
  pointwise_block<T, C, 1, Pairs>(t, j0, n - L);
}

// A pointwise task (ConvTask read as: panel = the input at the task's
// first pixel, x_off[r] = input channel r's offset, w = the weights of the
// first output channel, channel j's K at w + j*K, bias and slopes indexed
// by channel from the first, n_vec = pixels, out at the first pixel).
//
// With ch_pairs, channels come in pairs (`channels` even) whose outputs
// interleave: pixel i of channels 2m and 2m + 1 at out + ch_out[2m] + 2i
// and + 2i + 1 (a transposed layer's two column phases at stride 2).
template <class T>
static void conv_pointwise(const ConvTask<T>& t) {
  constexpr int C = kPointwiseChannels;
  index_t j = 0;
  if (t.ch_pairs) {
    for (; j + C <= t.channels; j += C) pointwise_channels<T, C, true>(t, j);
    for (; j < t.channels; j += 2) pointwise_channels<T, 2, true>(t, j);
  } else {
    for (; j + C <= t.channels; j += C) pointwise_channels<T, C, false>(t, j);
    for (; j < t.channels; ++j) pointwise_channels<T, 1, false>(t, j);
  }
}

// ---- The panel copy of a strided layer (nn/run.hpp)

// Lane i: lane S*i + F of the S vectors v[0..S) laid end to end (S = 2, 3
// or 4): the lanes from v[0]:v[1], then (S > 2) those from the rest.
template <int S, int F, class V, std::size_t... I>
static inline V phase_lanes(const V (&v)[S], std::index_sequence<I...>) {
  constexpr std::size_t L = sizeof...(I);
  // (a lane taken from the back picks any lane of the front: 0)
  const V front = __builtin_shufflevector(v[0], v[1], (S * I + F < 2 * L ? S * I + F : 0)...);
  if constexpr (S == 2) {
    return front;
  } else {
    V back = v[2];
    if constexpr (S == 4)
      back = __builtin_shufflevector(v[2], v[3], (S * I + F < 2 * L ? 0 : S * I + F - 2 * L)...);
    // S = 3: back lane k is element 2L + k; S = 4: back lane i is lane i's.
    return __builtin_shufflevector(
        front, back, (S * I + F < 2 * L ? I : L + (S == 3 ? S * I + F - 2 * L : I))...);
  }
}

// All n >= L positions of every phase in whole vectors, L positions of
// each phase (S*L consecutive elements) per step, the last step
// overlapping the one before when L does not divide n (the same values
// written twice).
template <class T, int S>
static void deinterleave_vectors(const T* src, index_t n, T* dst, index_t phase_step) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  for (index_t j = 0;; j = std::min(j + L, n - L)) {
    V v[S];
    FASTCONV_UNROLL for (int s = 0; s < S; ++s) v[s] = load_vec<V>(src + j * S + s * L);
    static_for<S>([&](auto f) {
      store_vec(dst + f * phase_step + j,
                phase_lanes<S, decltype(f)::value>(v, std::make_index_sequence<L>{}));
    });
    if (j + L >= n) break;
  }
}

// dst[j*dst_step + c] = src[c*src_step + j] for c < channels, j < n:
// planes into channels-last rows (kernels.hpp). Blocks of L channels x L
// positions transposed in registers, the last block of each run
// overlapping the one before, when both counts are at least L; a scalar
// loop otherwise.
template <class T>
static void planes_to_rows(const T* src, index_t src_step, index_t channels, index_t n, T* dst,
                           index_t dst_step) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  if (channels < L || n < L) {
    for (index_t c = 0; c < channels; ++c)
      for (index_t j = 0; j < n; ++j) dst[j * dst_step + c] = src[c * src_step + j];
    return;
  }
  for (index_t c = 0;; c = std::min(c + L, channels - L)) {
    for (index_t j = 0;; j = std::min(j + L, n - L)) {
      V v[L];
      FASTCONV_UNROLL for (int k = 0; k < L; ++k) v[k] = load_vec<V>(src + (c + k) * src_step + j);
      transpose(v);  // v[i]: channels [c, c + L) of position j + i
      FASTCONV_UNROLL for (int i = 0; i < L; ++i) store_vec(dst + (j + i) * dst_step + c, v[i]);
      if (j + L >= n) break;
    }
    if (c + L >= channels) break;
  }
}

// dst[f*phase_step + j] = src[j*phases + f] for j < n and f < phases: a
// contiguous run of n*phases input columns split into its column phases,
// or a channels-last row into channel planes (kernels.hpp). Whole vectors
// for 2, 3, 4 or at least L phases of at least L positions; a scalar loop
// otherwise.
template <class T>
static void deinterleave(const T* src, index_t n, index_t phases, T* dst, index_t phase_step) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  if (n >= L) {
    switch (phases) {
      case 2:
        return deinterleave_vectors<T, 2>(src, n, dst, phase_step);
      case 3:
        return deinterleave_vectors<T, 3>(src, n, dst, phase_step);
      case 4:
        return deinterleave_vectors<T, 4>(src, n, dst, phase_step);
      default:
        // (a channels-last row's channels: the transpose of an n x phases
        // matrix, as the Winograd panel's)
        if (phases >= L) return planes_to_rows(src, phases, n, phases, dst, phase_step);
        break;
    }
  }
  for (index_t f = 0; f < phases; ++f)
    for (index_t j = 0; j < n; ++j) dst[f * phase_step + j] = src[j * phases + f];
}
