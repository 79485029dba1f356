// Register-blocked tile kernel body (see TileTask in kernels.hpp).
// Compiled once per ISA: include it inside the ISA's own namespace, after
// defining kVecBytes (16, 32 or 64 bytes per vector), kRowBlock (output
// rows that share each input load) and kColVecsMulti (vectors per row in
// such a block). R x U accumulators must give at least ~8 independent FMA
// chains to hide FMA latency and still fit the register file beside the
// shared input vectors: 3x3 with 16 registers, 4x4 with 32.
//
// Vectorised along the output row with GCC/Clang vector extensions, so the
// one body serves every width.

template <class T, int N>
struct Lanes {
  typedef T type __attribute__((vector_size(N * sizeof(T))));
};

template <int N>
using Int = std::integral_constant<int, N>;

// f(Int<0>{}), ..., f(Int<N-1>{}): a loop unrolled at compile time.
template <class F, int... Is>
static inline void static_for_impl(F&& f, std::integer_sequence<int, Is...>) {
  (f(Int<Is>{}), ...);
}
template <int N, class F>
static inline void static_for(F&& f) {
  static_for_impl(f, std::make_integer_sequence<int, N>{});
}

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

// Lanes 0, L, 1, L+1, ... of a:b from its first (Half = 0) or second half.
template <std::size_t Half, class V, std::size_t... I>
static inline V interleave(V a, V b, std::index_sequence<I...>) {
  constexpr std::size_t L = sizeof...(I);
  return __builtin_shufflevector(a, b, (Half * L / 2 + I / 2 + (I % 2) * L)...);
}

// v[k][i] -> v[i][k]: each round interleaves vector k with k + L/2, which
// rotates the bits of (k, i) by one; log2(L) rounds transpose.
template <class V, int L>
static inline void transpose(V (&v)[L]) {
  for (int round = 1; round < L; round *= 2) {
    V w[L];
    for (int k = 0; k < L / 2; ++k) {
      w[2 * k] = interleave<0>(v[k], v[k + L / 2], std::make_index_sequence<L>{});
      w[2 * k + 1] = interleave<1>(v[k], v[k + L / 2], std::make_index_sequence<L>{});
    }
    for (int k = 0; k < L; ++k) v[k] = w[k];
  }
}

// Vectors per row when rows cannot share loads (row stride or dilation,
// or kernels shorter than kRowBlock): 8 chains from one row.
constexpr int kColVecsSingle = 8;

// Loops over the R x U register block must be unrolled completely, or the
// accumulators live in memory instead of registers.
#define FASTCONV_UNROLL _Pragma("GCC unroll 32")

// An input vector shared by several rows must be loaded once into a
// register; left alone, GCC folds the load into every FMA that uses it,
// and the kernel becomes load-bound. The empty asm pins it in a register.
// (Only where the vector fits one register of this build: tests compile
// wider vectors without the flags, split into several registers.)
#if defined(__AVX512F__)
constexpr int kNativeVecBytes = 64;
#elif defined(__AVX__)
constexpr int kNativeVecBytes = 32;
#else
constexpr int kNativeVecBytes = 16;
#endif
#if defined(__x86_64__)
#define FASTCONV_IN_REGISTER(v) __asm__("" : "+x"(v))
#elif defined(__aarch64__)
#define FASTCONV_IN_REGISTER(v) __asm__("" : "+w"(v))
#else
#define FASTCONV_IN_REGISTER(v) (void)0
#endif

// R x U vectors of accumulators, passed by value so that the compiler
// keeps them in registers across the sweeps.
template <class V, int R, int U>
struct Block {
  V v[R][U];
  V* operator[](int i) { return v[i]; }
};

// One sweep of input row rr (relative to row r of the block) over the
// kernel row's taps, feeding output rows ILO..IHI of the block: row i takes
// kernel row p = rr - i.
template <class T, int R, int U, int ILO, int IHI, class V>
__attribute__((always_inline)) static inline Block<V, R, U> sweep(Block<V, R, U> acc,
                                                                  const TileTask<T>& t, index_t r,
                                                                  index_t c, index_t rr) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  const index_t kw = t.kw, dx = t.col_dilation;
  const T* xr = t.x + t.col0 + c + (t.row0 + r + rr) * t.x_stride;
  const T* kr = t.k + rr * kw;  // kernel row p = rr - i starts at kr - i*kw
  for (index_t q = 0; q < kw; ++q) {
    FASTCONV_UNROLL for (int u = 0; u < U; ++u) {
      V xv = load_vec<V>(xr + q * dx + u * L);
      if constexpr (kVecBytes <= kNativeVecBytes) FASTCONV_IN_REGISTER(xv);
      FASTCONV_UNROLL for (int i = ILO; i <= IHI; ++i) acc.v[i][u] += xv * kr[q - i * kw];
    }
  }
  return acc;
}

// Output rows [r, r+R), columns [c, c + U*L). With R > 1 (row stride and
// row dilation 1) each input row load feeds all R output rows.
template <class T, int R, int U>
static inline void tile_block(const TileTask<T>& t, index_t r, index_t c) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  Block<V, R, U> acc;
  FASTCONV_UNROLL for (int i = 0; i < R; ++i) FASTCONV_UNROLL for (int u = 0; u < U; ++u)
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
    // output still takes its taps in ascending (p, q) order. The first and
    // last R-1 sweeps feed fewer rows; their row ranges are compile-time
    // constants so that every sweep loads each input vector once. The
    // caller guarantees kh >= R, so the three phases do not overlap.
    static_for<R - 1>(
        [&](auto rr) { acc = sweep<T, R, U, 0, decltype(rr)::value>(acc, t, r, c, rr); });
    for (index_t rr = R - 1; rr < t.kh; ++rr) acc = sweep<T, R, U, 0, R - 1>(acc, t, r, c, rr);
    static_for<R - 1>([&](auto e) {
      acc = sweep<T, R, U, decltype(e)::value + 1, R - 1>(acc, t, r, c, t.kh + decltype(e)::value);
    });
  }
  FASTCONV_UNROLL for (int i = 0; i < R; ++i) FASTCONV_UNROLL for (int u = 0; u < U; ++u)
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
        detail::fused_madd(a, x[p * t.row_dilation * t.x_stride + q * t.col_dilation],
                           t.k[p * t.kw + q]);
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
  if (c == t.cols) return;
  if (!t.accumulate && t.cols >= L) {
    // A last vector overlapping the previous one: it rewrites those outputs
    // with the very same values, and is much faster than scalar code.
    tile_block<T, R, 1>(t, r, t.cols - L);
    return;
  }
  for (int i = 0; i < R; ++i) tile_scalar(t, r + i, c);
}

// 3x3 kernels (the commonest): the nine weights stay in registers as
// broadcast vectors (no broadcast loads in the loop), with R = 2 rows x
// U = 2 vectors per block; each input vector is loaded once per block and
// feeds both rows. About a quarter faster than the general blocks here.
template <class T>
static void tile_3x3(const TileTask<T>& t) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  constexpr int R = 2, U = 2;
  V w[9];
  FASTCONV_UNROLL for (int i = 0; i < 9; ++i) w[i] = V{} + t.k[i];
  const index_t dx = t.col_dilation;
  auto block = [&](index_t r, index_t c) {
    V acc[R][U];
    FASTCONV_UNROLL for (int i = 0; i < R; ++i) FASTCONV_UNROLL for (int u = 0; u < U; ++u)
        acc[i][u] = t.accumulate ? load_vec<V>(t.acc + (r + i) * t.acc_stride + c + u * L) : V{};
    // Input row rr feeds output row i with kernel row rr - i: taps still
    // reach each output in ascending (p, q) order.
    FASTCONV_UNROLL for (int rr = 0; rr < R + 2; ++rr) {
      const T* xr = t.x + t.col0 + c + (t.row0 + r + rr) * t.x_stride;
      FASTCONV_UNROLL for (int q = 0; q < 3; ++q) FASTCONV_UNROLL for (int u = 0; u < U; ++u) {
        const V xv = load_vec<V>(xr + q * dx + u * L);
        FASTCONV_UNROLL for (int i = 0; i < R; ++i) if (rr - i >= 0 && rr - i < 3) acc[i][u] +=
            xv * w[(rr - i) * 3 + q];
      }
    }
    FASTCONV_UNROLL for (int i = 0; i < R; ++i) FASTCONV_UNROLL for (int u = 0; u < U; ++u)
        store_vec(t.acc + (r + i) * t.acc_stride + c + u * L, acc[i][u]);
  };
  index_t r = 0;
  for (; r + R <= t.rows; r += R) {
    index_t c = 0;
    for (; c + U * L <= t.cols; c += U * L) block(r, c);
    if (c < t.cols) {
      // The last columns of these rows through the general blocks.
      TileTask<T> rest = t;
      rest.rows = R;
      rest.row0 = t.row0 + r;
      rest.col0 = t.col0 + c;
      rest.cols = t.cols - c;
      rest.acc = t.acc + r * t.acc_stride + c;
      for (int i = 0; i < R; ++i) tile_rows<T, 1>(rest, i);
    }
  }
  for (; r < t.rows; ++r) tile_rows<T, 1>(t, r);
}

template <class T>
static void tile_correlate(const TileTask<T>& t) {
  if (t.kh == 3 && t.kw == 3 && t.row_stride == 1 && t.row_dilation == 1) {
    tile_3x3(t);
    return;
  }
  index_t r = 0;
  if (t.row_stride == 1 && t.row_dilation == 1 && t.kh >= kRowBlock)
    for (; r + kRowBlock <= t.rows; r += kRowBlock) tile_rows<T, kRowBlock>(t, r);
  for (; r < t.rows; ++r) tile_rows<T, 1>(t, r);
}
