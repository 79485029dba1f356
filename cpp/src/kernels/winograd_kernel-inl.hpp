// Winograd F(m x m, 3 x 3) bodies (see WinogradTask in kernels.hpp).
// Compiled once per ISA: include it inside the ISA's own namespace after
// conv_kernel-inl.hpp (it uses Lanes, load_vec, store_vec, static_for and
// the wide kernel's block, kConvChannelVecs x kConvPixels).
//
// Three stages per block of tiles, vectorised along channels:
//   input    each tile's alpha x alpha inputs -> B^T d B, per input channel
//   products per element e of the alpha^2: a GEMM over the input
//            channels, kConvPixels tiles x kConvChannelVecs vectors of
//            output channels in registers (as the wide kernel's block)
//   output   A^T M A + bias per output channel, stored into the layer's
//            output
// The transforms skip the matrices' zeros at compile time (x * 0 may not
// be dropped otherwise: Inf and NaN).

// out[r] = sum_k Mx[r][k] * in[k] over the nonzero coefficients, in
// ascending k (a coefficient of 1 or -1 is an add or a subtract).
template <class Mx, int Rows, int Cols>
struct Combine {
  template <int R>
  static constexpr int first_term() {
    for (int k = 0; k < Cols; ++k)
      if (Mx::c[R][k] != 0) return k;
    return -1;
  }
  template <class V, class T>
  static inline V term(const V& x, T c) {
    if (c == T(1)) return x;
    if (c == T(-1)) return -x;
    return x * c;
  }
  template <class T, class V>
  static inline void apply(const V* in, int in_step, V* out, int out_step) {
    static_for<Rows>([&](auto r) {
      constexpr int R = decltype(r)::value;
      constexpr int k0 = first_term<R>();
      static_assert(k0 >= 0, "a matrix row with no coefficient");
      V acc = term(in[k0 * in_step], static_cast<T>(Mx::c[R][k0]));
      static_for<Cols>([&](auto k) {
        constexpr int K = decltype(k)::value;
        if constexpr (K > k0 && Mx::c[R][K] != 0) {
          constexpr T c = static_cast<T>(Mx::c[R][K]);
          if constexpr (c == T(1))
            acc += in[K * in_step];
          else if constexpr (c == T(-1))
            acc -= in[K * in_step];
          else
            acc += in[K * in_step] * c;
        }
      });
      out[R * out_step] = acc;
    });
  }
};

template <class F>
struct InputMatrix {
  static constexpr const auto& c = F::BT;
};
template <class F>
struct OutputMatrix {
  static constexpr const auto& c = F::AT;
};
template <class F>
struct WeightMatrix {
  static constexpr const auto& c = F::G;
};

// Y = Mx D Mx^T for a Rows x Cols matrix and Cols x Cols vectors D
// (row-major), into Rows x Rows vectors.
template <class Mx, int Rows, int Cols, class T, class V>
static inline void transform_2d(const V* d, V* y) {
  V tmp[Rows * Cols];
  FASTCONV_UNROLL for (int j = 0; j < Cols; ++j)  // (columns of D)
      Combine<Mx, Rows, Cols>::template apply<T>(d + j, Cols, tmp + j, Cols);
  FASTCONV_UNROLL for (int i = 0; i < Rows; ++i)  // (rows of Mx D)
      Combine<Mx, Rows, Cols>::template apply<T>(tmp + i * Cols, 1, y + i * Rows, 1);
}

// G g G^T of n kernels, in double: g[(3*i + q)*n + j] is tap (i, q) of
// kernel j, u[e*n + j] its product e (n a whole number of vectors).
template <class F>
static void winograd_weights(const double* g, index_t n, double* u) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(double));
  constexpr int A = F::alpha;
  using V = typename Lanes<double, L>::type;
  using G = Combine<WeightMatrix<F>, A, 3>;
  for (index_t j = 0; j < n; j += L) {
    V d[9], tmp[A * 3], y[A * A];
    FASTCONV_UNROLL for (int i = 0; i < 9; ++i) d[i] = load_vec<V>(g + i * n + j);
    FASTCONV_UNROLL for (int q = 0; q < 3; ++q)  // (G d, column by column)
        G::template apply<double>(d + q, 3, tmp + q, 3);
    FASTCONV_UNROLL for (int a = 0; a < A; ++a)  // (then times G^T, row by row)
        G::template apply<double>(tmp + a * 3, 1, y + a * A, 1);
    FASTCONV_UNROLL for (int e = 0; e < A * A; ++e) store_vec(u + e * n + j, y[e]);
  }
}

// The input transform of every tile and of the channels [in_c0, in_c1)
// into V (element e, tile t, channel c at V[(e*tiles + t)*channel_step + c]).
template <class T, class F>
static void winograd_input(const WinogradTask<T>& t) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  constexpr int A = F::alpha;
  using V = typename Lanes<T, L>::type;
  const index_t tiles = t.tile_rows * t.tile_cols, cs = t.channel_step;
  for (index_t i = 0; i < t.tile_rows; ++i)
    for (index_t j = 0; j < t.tile_cols; ++j) {
      const T* d0 = t.panel + i * F::m * t.panel_row + j * F::m * cs;
      T* v0 = t.V + (i * t.tile_cols + j) * cs;
      for (index_t c = t.in_c0; c < t.in_c1; c += L) {
        V d[A * A], v[A * A];
        FASTCONV_UNROLL for (int r = 0; r < A; ++r) FASTCONV_UNROLL for (int x = 0; x < A; ++x)
            d[r * A + x] = load_vec<V>(d0 + r * t.panel_row + x * cs + c);
        transform_2d<InputMatrix<F>, A, A, T>(d, v);
        FASTCONV_UNROLL for (int e = 0; e < A * A; ++e) store_vec(v0 + e * tiles * cs + c, v[e]);
      }
    }
}

// The products of P tiles from V (tile stride `cs`) with one block of
// transformed weights (NB channels per input channel), into M (m_row
// apart per tile).
template <class T, int P>
static inline void winograd_gemm(const T* v, index_t cs, const T* u, index_t C, T* m,
                                 index_t m_row) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  constexpr int NV = kConvChannelVecs;
  using V = typename Lanes<T, L>::type;
  V acc[P][NV];
  FASTCONV_UNROLL for (int i = 0; i < P; ++i) FASTCONV_UNROLL for (int j = 0; j < NV; ++j)
      acc[i][j] = V{};
  for (index_t c = 0; c < C; ++c, u += NV * L) {
    V w[NV];
    FASTCONV_UNROLL for (int j = 0; j < NV; ++j) w[j] = load_vec<V>(u + j * L);
    FASTCONV_UNROLL for (int i = 0; i < P; ++i) {
      const T x = v[i * cs + c];
      FASTCONV_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] += w[j] * x;
    }
  }
  FASTCONV_UNROLL for (int i = 0; i < P; ++i) FASTCONV_UNROLL for (int j = 0; j < NV; ++j)
      store_vec(m + i * m_row + j * L, acc[i][j]);
}

// 1..P tiles (`count` of them).
template <class T, int P>
static inline void winograd_gemm_upto(index_t count, const T* v, index_t cs, const T* u, index_t C,
                                      T* m, index_t m_row) {
  if constexpr (P > 1) {
    if (count < P) return winograd_gemm_upto<T, P - 1>(count, v, cs, u, C, m, m_row);
  }
  winograd_gemm<T, P>(v, cs, u, C, m, m_row);
}

template <class T, class F>
static void winograd_tiles(const WinogradTask<T>& t) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  constexpr int NB = kConvChannelVecs * L;
  constexpr int A = F::alpha, m = F::m, E = A * A;
  using V = typename Lanes<T, L>::type;
  const index_t tiles = t.tile_rows * t.tile_cols, cs = t.channel_step;
  const index_t oc = t.o1 - t.o0;  // (M's channels per tile)
  if (t.panel) winograd_input<T, F>(t);
  // Product e of every tile and channel block in turn: V's and U's
  // slices of e are read once, from cache.
  for (int e = 0; e < E; ++e) {
    const T* ve = t.V + e * tiles * cs;
    T* me = t.M + e * tiles * oc;
    for (index_t o = t.o0; o < t.o1; o += NB) {
      const T* u = t.U + e * t.u_e_step + o / NB * t.u_block_step;
      for (index_t t0 = 0; t0 < tiles; t0 += kConvPixels)
        winograd_gemm_upto<T, kConvPixels>(std::min<index_t>(kConvPixels, tiles - t0), ve + t0 * cs,
                                           cs, u, t.C, me + t0 * oc + o - t.o0, oc);
    }
  }
  V finite_check = V{};  // (x - x: 0 for finite x, NaN for Inf and NaN)
  for (index_t ti = 0; ti < tiles; ++ti) {
    const index_t y0 = ti / t.tile_cols * m, x0 = ti % t.tile_cols * m;
    const index_t ny = std::min<index_t>(m, t.rows - y0), nx = std::min<index_t>(m, t.cols - x0);
    for (index_t oj = t.o0; oj < std::min(t.o1, t.channels); oj += L) {
      V mv[E], y[m * m];
      FASTCONV_UNROLL for (int e = 0; e < E; ++e) mv[e] =
          load_vec<V>(t.M + (e * tiles + ti) * oc + oj - t.o0);
      transform_2d<OutputMatrix<F>, m, A, T>(mv, y);
      const V b = t.bias ? load_vec<V>(t.bias + oj) : V{};
      const index_t channels = std::min<index_t>(L, t.channels - oj);
      FASTCONV_UNROLL for (int k = 0; k < m * m; ++k) {
        y[k] += b;
        finite_check += y[k] - y[k];
      }
      if (t.epilogue) {  // (on the L channels of a pixel at once)
        const V slope = t.epilogue->slopes ? load_vec<V>(t.epilogue->slopes + oj) : V{};
        for (int k = 0; k < m * m; ++k) {
          const index_t r = k / m, x = k % m;
          if (t.res && r < ny && x < nx) {
            T res[L] = {};
            const T* from =
                t.res + oj * t.out_ch_step + (y0 + r) * t.out_row_step + (x0 + x) * t.out_col_step;
            for (index_t l = 0; l < channels; ++l) res[l] = from[l * t.out_ch_step];
            y[k] += load_vec<V>(res);
          }
          y[k] = activate(*t.epilogue, y[k], slope);
        }
      }
      T tile[m * m][L];
      FASTCONV_UNROLL for (int k = 0; k < m * m; ++k) store_vec(tile[k], y[k]);
      for (index_t l = 0; l < channels; ++l) {
        T* oo = t.out + (oj + l) * t.out_ch_step + y0 * t.out_row_step + x0 * t.out_col_step;
        for (index_t r = 0; r < ny; ++r)
          for (index_t x = 0; x < nx; ++x)
            oo[r * t.out_row_step + x * t.out_col_step] = tile[r * m + x][l];
      }
    }
  }
  T lanes[L];
  store_vec(lanes, finite_check);
  for (int l = 0; l < L; ++l)
    if (lanes[l] != lanes[l]) *t.nonfinite = true;
}
