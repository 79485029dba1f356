// Channel-blocked direct convolution body for CNN layers (see ConvTask in
// kernels.hpp). Compiled once per ISA: include it inside the ISA's own
// namespace after tile_kernel-inl.hpp (it uses Lanes, load_vec, store_vec
// and FASTCONV_UNROLL), with kConvBlock (channels per register block) and
// kConvVecs / kConvVecs1 (output vectors per block of the wide and the
// 1-channel kernel) defined.
//
// A block keeps kConvBlock x U accumulator vectors in registers for the
// whole reduction: each step loads U panel vectors (one per output vector)
// and broadcasts kConvBlock weights, then does kConvBlock * U FMAs. Chosen
// so that accumulators + loaded vectors fit the register file: 8 x 3 of 32
// registers (AVX-512), 6 x 2 of 16 (AVX2), 4 x 2 of 16 without FMA (SSE2).

template <class T, int R, int U>
static inline void conv_block(const ConvTask<T>& t, index_t v0) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  V acc[R][U];
  FASTCONV_UNROLL for (int i = 0; i < R; ++i) {
    const V b = V{} + (t.bias ? t.bias[i] : T(0));
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[i][u] = b;
  }
  const T* xb[U];
  FASTCONV_UNROLL for (int u = 0; u < U; ++u) xb[u] = t.panel + t.x_base[v0 + u];
  const T* w = t.w;
  for (index_t r = 0; r < t.K; ++r, w += R) {
    const index_t off = t.x_off[r];
    V xv[U];
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) xv[u] = load_vec<V>(xb[u] + off);
    FASTCONV_UNROLL for (int i = 0; i < R; ++i) {
      const T wi = w[i];
      FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[i][u] += xv[u] * wi;
    }
  }
  for (index_t i = 0; i < t.channels; ++i) {
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) {
      T* o = t.out + i * t.out_ch_step + t.out_off[v0 + u];
      const index_t lanes = t.lanes[v0 + u];
      if (lanes == L && t.out_w_step == 1) {
        store_vec(o, acc[i][u]);
      } else {
        T tmp[L];
        store_vec(tmp, acc[i][u]);
        for (index_t l = 0; l < lanes; ++l) o[l * t.out_w_step] = tmp[l];
      }
    }
  }
}

// All output vectors of the task, U at a time, the rest by smaller blocks.
template <class T, int R, int U>
static void conv_vectors(const ConvTask<T>& t) {
  index_t v = 0;
  for (; v + U <= t.n_vec; v += U) conv_block<T, R, U>(t, v);
  if constexpr (U > 1) {
    if (v < t.n_vec) {
      ConvTask<T> rest = t;
      rest.x_base += v;
      rest.out_off += v;
      rest.lanes += v;
      rest.n_vec = t.n_vec - v;
      conv_vectors<T, R, U / 2 == 0 ? 1 : U / 2>(rest);
    }
  }
}

template <class T>
static void conv_wide(const ConvTask<T>& t) {
  conv_vectors<T, kConvBlock, kConvVecs>(t);
}

template <class T>
static void conv_narrow(const ConvTask<T>& t) {
  conv_vectors<T, 1, kConvVecs1>(t);
}
