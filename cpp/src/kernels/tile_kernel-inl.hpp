// Register-blocked tile kernel body (see TileTask in kernels.hpp).
// Compiled once per ISA: include it inside the ISA's own namespace, after
// defining kVecBytes (16, 32 or 64) and kRowBlock (rows that share input
// loads: more where the ISA has 32 vector registers).
//
// Vectorised along the output row with GCC/Clang vector extensions, so the
// one body serves every width; each block keeps kRowBlock x kColVecs
// vectors of outputs in registers over all taps.

template <class T, int N>
struct Lanes {
  typedef T type __attribute__((vector_size(N * sizeof(T))));
};

template <class V, class T>
static inline V load_vec(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));  // an unaligned vector load
  return v;
}

template <class V, class T>
static inline void store_vec(T* p, const V& v) {
  std::memcpy(p, &v, sizeof(V));
}

// Vectors of outputs per block row: R rows x U vectors of accumulators
// must give at least ~8 independent FMA chains to hide FMA latency, and fit
// the register file with the shared input vectors.
constexpr int kColVecsMulti = 4;  // with kRowBlock rows
constexpr int kColVecsSingle = 8; // one row

// Loops over the R x U register block must be unrolled completely, or the
// accumulators live in memory instead of registers.
#define FASTCONV_UNROLL _Pragma("GCC unroll 16")

// An input vector shared by several rows must be loaded once into a
// register; left alone, GCC folds the load into every FMA that uses it,
// and the kernel becomes load-bound. The empty asm pins it in a register.
#if defined(__x86_64__)
#define FASTCONV_IN_REGISTER(v) __asm__("" : "+x"(v))
#elif defined(__aarch64__)
#define FASTCONV_IN_REGISTER(v) __asm__("" : "+w"(v))
#else
#define FASTCONV_IN_REGISTER(v) (void)0
#endif

// Output rows [r, r+R), columns [c, c + U*L). With R > 1 (row stride and
// row dilation 1) each input row load feeds all R output rows.
template <class T, int R, int U>
static inline void tile_block(const TileTask<T>& t, index_t r, index_t c) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  V acc[R][U];
  FASTCONV_UNROLL for (int i = 0; i < R; ++i)
    FASTCONV_UNROLL for (int u = 0; u < U; ++u)
      acc[i][u] = t.accumulate ? load_vec<V>(t.acc + (r + i) * t.acc_stride + c + u * L) : V{};
  const T* xcol = t.x + t.col0 + c;
  const index_t kw = t.kw, dx = t.col_dilation;
  if (R == 1) {
    const T* xrow = xcol + (t.row0 + r * t.row_stride) * t.x_stride;
    for (index_t p = 0; p < t.kh; ++p) {
      const T* xr = xrow + p * t.row_dilation * t.x_stride;
      const T* kr = t.k + p * kw;
      for (index_t q = 0; q < kw; ++q) {
        const T w = kr[q];
        const T* xq = xr + q * dx;
        FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[0][u] += load_vec<V>(xq + u * L) * w;
      }
    }
  } else {
    // Input row rr feeds output row i with kernel row p = rr - i, so each
    // output still takes its taps in ascending (p, q) order.
    for (index_t rr = 0; rr < t.kh + R - 1; ++rr) {
      const T* xr = xcol + (t.row0 + r + rr) * t.x_stride;
      if (rr >= R - 1 && rr < t.kh) {
        // Steady state: every row of the block uses this input row.
        const T* kr = t.k + rr * kw;
        for (index_t q = 0; q < kw; ++q) {
          V xv[U];
          FASTCONV_UNROLL for (int u = 0; u < U; ++u) {
            xv[u] = load_vec<V>(xr + q * dx + u * L);
            FASTCONV_IN_REGISTER(xv[u]);
          }
          FASTCONV_UNROLL for (int i = 0; i < R; ++i) {
            const T w = kr[q - i * kw];
            FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[i][u] += xv[u] * w;
          }
        }
      } else {
        // First and last rows of the sweep: only some output rows.
        for (index_t q = 0; q < kw; ++q) {
          V xv[U];
          FASTCONV_UNROLL for (int u = 0; u < U; ++u) xv[u] = load_vec<V>(xr + q * dx + u * L);
          FASTCONV_UNROLL for (int i = 0; i < R; ++i) {
            const index_t p = rr - i;
            if (p >= 0 && p < t.kh) {
              const T w = t.k[p * kw + q];
              FASTCONV_UNROLL for (int u = 0; u < U; ++u) acc[i][u] += xv[u] * w;
            }
          }
        }
      }
    }
  }
  FASTCONV_UNROLL for (int i = 0; i < R; ++i)
    FASTCONV_UNROLL for (int u = 0; u < U; ++u)
      store_vec(t.acc + (r + i) * t.acc_stride + c + u * L, acc[i][u]);
}

// Columns that do not fill a vector: the same sums, one output at a time.
template <class T>
static void tile_scalar(const TileTask<T>& t, index_t r, index_t c0) {
  for (index_t c = c0; c < t.cols; ++c) {
    T a = t.accumulate ? t.acc[r * t.acc_stride + c] : T(0);
    const T* x = t.x + (t.row0 + r * t.row_stride) * t.x_stride + t.col0 + c;
    for (index_t p = 0; p < t.kh; ++p)
      for (index_t q = 0; q < t.kw; ++q)
        a += x[p * t.row_dilation * t.x_stride + q * t.col_dilation] * t.k[p * t.kw + q];
    t.acc[r * t.acc_stride + c] = a;
  }
}

template <class T, int R>
static void tile_rows(const TileTask<T>& t, index_t r) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  constexpr int U = R == 1 ? kColVecsSingle : kColVecsMulti;
  index_t c = 0;
  for (; c + U * L <= t.cols; c += U * L) tile_block<T, R, U>(t, r, c);
  for (; c + L <= t.cols; c += L) tile_block<T, R, 1>(t, r, c);
  if (c < t.cols)
    for (int i = 0; i < R; ++i) tile_scalar(t, r + i, c);
}

template <class T>
static void tile_correlate(const TileTask<T>& t) {
  index_t r = 0;
  if (t.row_stride == 1 && t.row_dilation == 1)
    for (; r + kRowBlock <= t.rows; r += kRowBlock) tile_rows<T, kRowBlock>(t, r);
  for (; r < t.rows; ++r) tile_rows<T, 1>(t, r);
}
