// Pooling's kernels for pool.cpp: one output row of windows whose columns
// lie inside the input (max: any kernel size, stride and dilation; average:
// any kernel size and stride; the rows and depths tapped are the caller's,
// already clipped to the input).
// Compiled once per ISA: include it inside the ISA's own namespace, after
// tile_kernel-inl.hpp (Lanes), never from a header (kernel_unit.hpp).
//
// Every output visits its taps in row-major order (depth, row, column)
// with the selects of pool.cpp's loop, so the answers are the same: a
// strictly larger value wins (the first of equal maxima stays), a NaN
// beats anything (the last NaN wins), as torch; an average adds them from
// zero and divides as pool.cpp's loop does. float32 and float64 take whole
// vectors of outputs (rows of at least a vector's worth); the other types
// one at a time.

template <class T>
static inline bool pool_beats(T v, T best) {
  return (v > best) | (v != v);  // (no short circuit: a select, not a branch)
}

// Even and odd lanes of the 2L values lo:hi.
template <class V, std::size_t... I>
static inline V even_lanes(V lo, V hi, std::index_sequence<I...>) {
  return __builtin_shufflevector(lo, hi, (2 * I)...);
}
template <class V, std::size_t... I>
static inline V odd_lanes(V lo, V hi, std::index_sequence<I...>) {
  return __builtin_shufflevector(lo, hi, (2 * I + 1)...);
}

// Lanes v[0], v[0], v[1], ..., v[L-2].
template <class V, std::size_t... I>
static inline V shift_up_one(V v, std::index_sequence<I...>) {
  return __builtin_shufflevector(v, v, (I == 0 ? 0 : I - 1)...);
}

// Stride classes of the vector loads: 1 (contiguous loads), 2 (the even
// or odd lanes of two vectors) or 0 (any stride, lane by lane).
//
// The lanes p[0], p[s], ... of vector type V; `first`: p may be the row's
// first element (for S == 2 the caller checked that p[2L-1] is inside the
// row).
template <class V, int L, int S, class T>
static inline V load_lanes(const T* p, index_t s, bool first) {
  V v{};  // (set below; GCC -O1 cannot tell for the gather)
  if constexpr (S == 1) {
    std::memcpy(&v, p, sizeof v);
  } else if constexpr (S == 2) {
    // The odd lanes of p[-1..2L-1) (which end at the last lane), or the
    // even lanes of p[0..2L) where p[-1] may be outside the row.
    V lo, hi;
    std::memcpy(&lo, first ? p : p - 1, sizeof lo);
    std::memcpy(&hi, (first ? p : p - 1) + L, sizeof hi);
    v = first ? even_lanes(lo, hi, std::make_index_sequence<L>{})
              : odd_lanes(lo, hi, std::make_index_sequence<L>{});
  } else {
    for (int i = 0; i < L; ++i) v[i] = p[i * s];
  }
  return v;
}

// The stride class of a row task (x_after elements readable from x).
static inline int stride_class(index_t stride, index_t x_after, int lanes) {
  if (stride == 1) return 1;
  return stride == 2 && 2 * lanes <= x_after ? 2 : 0;
}

// One output from its first tap p (flat index at): the scalar loop.
template <class T, bool WithIndices>
static inline void max_pool_one(const MaxPoolRowTask<T>& t, const T* p, std::int64_t at, T* dst,
                                std::int64_t* idx) {
  T best = *p;
  std::int64_t best_at = at;
  for (index_t z = 0; z < t.depths; ++z) {
    for (index_t r = 0; r < t.rows; ++r) {
      const T* line = p + z * t.depth_step + r * t.row_step;
      const std::int64_t line_at = at + z * t.depth_at_step + r * t.row_at_step;
      for (index_t j = 0; j < t.kw; ++j) {
        // Selects, not branches: on real data the winner is random.
        const T v = line[j * t.dilation];
        const bool wins = pool_beats(v, best);
        best = wins ? v : best;
        if constexpr (WithIndices) best_at = wins ? line_at + j * t.dilation : best_at;
      }
    }
  }
  *dst = best;
  if constexpr (WithIndices) *idx = best_at;
}

// All t.count >= L outputs in whole vectors of L, the last vector
// overlapping the one before when L does not divide the count (the same
// values written twice), loads of stride class S.
template <class T, bool WithIndices, int S>
static void max_pool_vectors(const MaxPoolRowTask<T>& t) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  // The winner's offset from the lane's first tap, in lanes as wide as T's
  // (the selects' masks are then T's own).
  using Int = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  using Code = typename Lanes<Int, L>::type;
  using Index = typename Lanes<std::int64_t, L>::type;
  const index_t s = t.stride;
  auto load = [&](const T* p, bool first) { return load_lanes<V, L, S>(p, s, first); };
  Index lane{};
  for (int i = 0; i < L; ++i) lane[i] = i * s;
  for (index_t o = 0;; o = std::min(o + L, t.count - L)) {
    const T* p = t.x + o * s;
    V best = load(p, o == 0);
    Code code{};
    for (index_t z = 0; z < t.depths; ++z) {
      for (index_t r = 0; r < t.rows; ++r) {
        const T* line = p + z * t.depth_step + r * t.row_step;
        const Int line_at = static_cast<Int>(z * t.depth_at_step + r * t.row_at_step);
        const bool first_column = o == 0;  // (c0 may be the row's column 0)
        for (index_t j = (z == 0 && r == 0) ? 1 : 0; j < t.kw; ++j) {
          const V v = load(line + j * t.dilation, first_column && j == 0);
          const Code wins = (v > best) | (v != v);
          best = wins ? v : best;
          if constexpr (WithIndices)
            code = wins ? Code{} + static_cast<Int>(line_at + j * t.dilation) : code;
        }
      }
    }
    std::memcpy(t.out + o, &best, sizeof best);
    if constexpr (WithIndices) {
      const Index at = (t.at0 + o * s) + lane + __builtin_convertvector(code, Index);
      std::memcpy(t.idx + o, &at, sizeof at);
    }
    if (o + L >= t.count) break;
  }
}

template <class T, bool WithIndices>
static void max_pool_row_as(const MaxPoolRowTask<T>& t) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
    // The offsets of a window's taps from its first must fit the code lanes.
    const std::int64_t span =
        (t.depths - 1) * t.depth_at_step + (t.rows - 1) * t.row_at_step + (t.kw - 1) * t.dilation;
    const bool fits = sizeof(T) == 8 || span <= std::numeric_limits<std::int32_t>::max();
    if (fits && t.count >= L) {
      const int stride_class_ = stride_class(t.stride, t.x_after, L);
      if (stride_class_ == 1)
        max_pool_vectors<T, WithIndices, 1>(t);
      else if (stride_class_ == 2)
        max_pool_vectors<T, WithIndices, 2>(t);
      else
        max_pool_vectors<T, WithIndices, 0>(t);
      return;
    }
  }
  for (index_t o = 0; o < t.count; ++o)
    max_pool_one<T, WithIndices>(t, t.x + o * t.stride, t.at0 + o * t.stride, t.out + o,
                                 WithIndices ? t.idx + o : nullptr);
}

// ---- Max-pooling of 3x3 windows, stride 2 both ways (a CNN stem's pool)
//
// Each input row's 3-wide maxima are taken once, from one deinterleave of
// its even and odd columns, and shared by the two output rows whose
// windows hold that row. The order of the selects changes, the winner does
// not: combining an earlier partial winner (left) with a later one (right)
// by pool_beats is associative (the first of the largest values wins, or
// the last NaN), so the row maxima combined top to bottom pick the tap the
// row-major loop picks.

// best/code become v/v_code where v (later in row-major order) wins; with
// Nans false, the caller has made sure that no value is a NaN (a strictly
// larger value wins: one maximum instruction when the index is not kept).
template <bool WithIndices, bool Nans, class V, class Code>
static inline void keep_max(V& best, Code& code, V v, Code v_code) {
  Code wins;
  if constexpr (Nans)
    wins = (v > best) | (v != v);
  else
    wins = v > best;
  best = wins ? v : best;
  if constexpr (WithIndices) code = wins ? v_code : code;
}

// The maxima of p[2i-1], p[2i], p[2i+1] for lanes i < L (p[-1..2L-1] are
// read) and the winners' codes: row_code plus the column (0, 1 or 2).
// `clipped`: p[-1] is left of the row: lane 0 takes p[0] twice instead
// (the same winner, of code 1). Without Nans, p[0..2L) (and p[-1] too if
// `edge`: no strip to the left adds it) are added to `probe`, which
// becomes a NaN if one of them is (or on opposite infinities).
template <bool WithIndices, bool Nans, int L, class V, class Code, class T, class Int>
static inline void max3_stride2(const T* p, bool clipped, bool edge, Int row_code, V& best,
                                Code& code, V& probe) {
  V lo, hi, lo1, hi1;
  std::memcpy(&lo1, p, sizeof lo1);
  std::memcpy(&hi1, p + L, sizeof hi1);
  if (clipped) {
    lo = shift_up_one(lo1, std::make_index_sequence<L>{});
  } else {
    std::memcpy(&lo, p - 1, sizeof lo);
  }
  std::memcpy(&hi, p - 1 + L, sizeof hi);
  best = even_lanes(lo, hi, std::make_index_sequence<L>{});
  const V middle = odd_lanes(lo, hi, std::make_index_sequence<L>{});
  const V right = odd_lanes(lo1, hi1, std::make_index_sequence<L>{});
  if constexpr (!Nans) {
    probe += lo1 + hi1;
    if (edge) probe += lo;
  }
  code = Code{} + row_code;
  if (clipped) code[0] += 1;
  keep_max<WithIndices, Nans>(best, code, middle, Code{} + static_cast<Int>(row_code + 1));
  keep_max<WithIndices, Nans>(best, code, right, Code{} + static_cast<Int>(row_code + 2));
}

// Whether task t is a 2-D pooling of 3x3 windows, stride 2 both ways, of
// at least L outputs per row.
template <class T>
static inline bool is_3x3_stride2(const MaxPoolRowTask<T>& t, int lanes) {
  return t.depths == 1 && t.rows == 3 && t.kw == 3 && t.dilation == 1 && t.stride == 2 &&
         (t.out_rows == 1 || t.x_row_step == 2 * t.row_step) && t.count >= lanes;
}

// All rows of a 3x3 stride-2 task, in chunks of up to kStrips strips of L
// outputs (the last strip overlapping the one before when L does not
// divide the count), row by row through a chunk (the reads stream): each
// output row's top row maxima are the row above's bottom ones, kept per
// strip. A clipped first output is lane 0 of the first strip. A chunk is
// computed without the NaN rule (plain maxima) and, where one of its taps
// is a NaN, again with it.
template <class T, bool WithIndices>
static void max_pool_3x3_stride2(const MaxPoolRowTask<T>& t) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  constexpr index_t kStrips = 16;
  using V = typename Lanes<T, L>::type;
  using Int = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  using Code = typename Lanes<Int, L>::type;
  using Index = typename Lanes<std::int64_t, L>::type;
  // Outputs o in [first, count), the first window's middle column at x[2o].
  const index_t first = t.first_clipped ? -1 : 0;
  const T* const x = t.x + 1;
  const index_t count = t.count, out_rows = t.out_rows;
  const index_t row_step = t.row_step, x_row_step = t.x_row_step;
  const index_t out_row_step = t.out_row_step, idx_row_step = t.idx_row_step;
  const std::int64_t at0 = t.at0, at_row_step = t.at_row_step;
  T* const out = t.out;
  std::int64_t* const idx = t.idx;
  const Int row_at = static_cast<Int>(t.row_at_step);
  Index lane{};
  for (int i = 0; i < L; ++i) lane[i] = 2 * i;
  const index_t strips = (count - first + L - 1) / L;
  auto strip_start = [&](index_t s) { return std::min(first + s * L, count - L); };
  // The chunk of strips [s0, s0 + n); false if Nans is false and a tap
  // may be a NaN (the outputs are then wrong).
  auto chunk = [&](auto nans, index_t s0, index_t n) {
    constexpr bool Nans = decltype(nans)::value;
    V top[kStrips], probe{};
    Code top_code[kStrips];
    for (index_t s = 0; s < n; ++s) {
      const index_t o = strip_start(s0 + s);
      max3_stride2<WithIndices, Nans, L>(x + 2 * o, o < 0, s == 0, Int{0}, top[s], top_code[s],
                                         probe);
    }
    for (index_t i = 0; i < out_rows; ++i) {
      for (index_t s = 0; s < n; ++s) {
        const index_t o = strip_start(s0 + s);
        const T* line = x + i * x_row_step + 2 * o;
        V best = top[s], middle, bottom;
        Code code = top_code[s], middle_code, bottom_code;
        max3_stride2<WithIndices, Nans, L>(line + row_step, o < 0, s == 0, row_at, middle,
                                           middle_code, probe);
        max3_stride2<WithIndices, Nans, L>(line + 2 * row_step, o < 0, s == 0,
                                           static_cast<Int>(2 * row_at), bottom, bottom_code,
                                           probe);
        keep_max<WithIndices, Nans>(best, code, middle, middle_code);
        keep_max<WithIndices, Nans>(best, code, bottom, bottom_code);
        std::memcpy(out + i * out_row_step + o, &best, sizeof best);
        if constexpr (WithIndices) {
          const Index at =
              (at0 + i * at_row_step + 2 * o) + lane + __builtin_convertvector(code, Index);
          std::memcpy(idx + i * idx_row_step + o, &at, sizeof at);
        }
        top[s] = bottom;  // the next output row's top row
        top_code[s] = bottom_code - static_cast<Int>(2 * row_at);
      }
    }
    bool nan = false;
    for (int l = 0; l < L; ++l) nan |= probe[l] != probe[l];
    return !nan;
  };
  for (index_t s0 = 0; s0 < strips; s0 += kStrips) {
    const index_t n = std::min(kStrips, strips - s0);
    if (!chunk(std::false_type{}, s0, n)) chunk(std::true_type{}, s0, n);
  }
}

template <class T, bool WithIndices>
static void max_pool_rows_as(const MaxPoolRowTask<T>& t) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
    const bool fits =
        sizeof(T) == 8 || 2 * t.row_at_step + 2 <= std::numeric_limits<std::int32_t>::max();
    if (fits && is_3x3_stride2(t, L)) {
      max_pool_3x3_stride2<T, WithIndices>(t);
      return;
    }
  }
  MaxPoolRowTask<T> row = t;
  MaxPoolRowTask<T> clipped = t;  // a clipped first output's taps: from x - stride + 1
  clipped.kw = t.kw - 1;
  for (index_t i = 0; i < t.out_rows; ++i) {
    row.x = t.x + i * t.x_row_step;
    row.out = t.out + i * t.out_row_step;
    row.idx = WithIndices ? t.idx + i * t.idx_row_step : nullptr;
    row.at0 = t.at0 + i * t.at_row_step;
    max_pool_row_as<T, WithIndices>(row);
    if (t.first_clipped)
      max_pool_one<T, WithIndices>(clipped, row.x + (1 - t.stride), row.at0 + (1 - t.stride),
                                   row.out - 1, WithIndices ? row.idx - 1 : nullptr);
  }
}

template <class T>
static void max_pool_row(const MaxPoolRowTask<T>& t) {
  if (t.idx)
    max_pool_rows_as<T, true>(t);
  else
    max_pool_rows_as<T, false>(t);
}

// ---- Average pooling

// The average of a window's sum: divided by each divisor in turn.
template <class T, class Sum>
static inline Sum avg_divide(Sum sum, const index_t (&divisors)[3]) {
  for (index_t d : divisors)
    if (d != 1) sum = sum / static_cast<T>(d);  // (a division by 1 is exact)
  return sum;
}

// All t.count >= L outputs in whole vectors of L (the last overlapping the
// one before), loads of stride class S; each lane sums its window's taps
// from zero in row-major order, as avg_pool_one.
template <class T, int S>
static void avg_pool_vectors(const AvgPoolRowTask<T>& t) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  const index_t s = t.stride;
  for (index_t o = 0;; o = std::min(o + L, t.count - L)) {
    const T* p = t.x + o * s;
    V sum{};
    for (index_t z = 0; z < t.depths; ++z) {
      for (index_t r = 0; r < t.rows; ++r) {
        const T* line = p + z * t.depth_step + r * t.row_step;
        for (index_t j = 0; j < t.kw; ++j)
          sum += load_lanes<V, L, S>(line + j, s, o == 0 && j == 0);
      }
    }
    sum = avg_divide<T>(sum, t.divisors);
    std::memcpy(t.out + o, &sum, sizeof sum);
    if (o + L >= t.count) break;
  }
}

// One output from its first tap p: the scalar loop.
template <class T>
static inline T avg_pool_one(const AvgPoolRowTask<T>& t, const T* p) {
  T sum = 0;
  for (index_t z = 0; z < t.depths; ++z)
    for (index_t r = 0; r < t.rows; ++r)
      for (index_t j = 0; j < t.kw; ++j) sum += p[z * t.depth_step + r * t.row_step + j];
  return avg_divide<T>(sum, t.divisors);
}

template <class T>
static void avg_pool_row(const AvgPoolRowTask<T>& t) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  if (t.count >= L) {
    const int stride_class_ = stride_class(t.stride, t.x_after, L);
    if (stride_class_ == 1)
      avg_pool_vectors<T, 1>(t);
    else if (stride_class_ == 2)
      avg_pool_vectors<T, 2>(t);
    else
      avg_pool_vectors<T, 0>(t);
    return;
  }
  for (index_t o = 0; o < t.count; ++o) t.out[o] = avg_pool_one(t, t.x + o * t.stride);
}

// A window in each of t.planes planes, L planes to a vector (one per
// lane): the taps of L planes are loaded L at a time and transposed, so
// each lane still adds its plane's taps in row-major order.
template <class T>
static void avg_pool_planes(const AvgPoolPlanesTask<T>& t) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  // Rows (and depths) that follow each other in memory are one long row:
  // the same taps in the same order (a window of whole rows).
  index_t depths = t.depths, rows = t.rows, width = t.width;
  if (rows == 1 || t.row_step == width) {
    width *= rows;
    rows = 1;
    if (depths == 1 || t.depth_step == width) {
      width *= depths;
      depths = 1;
    }
  }
  for (int q0 = 0; q0 < t.planes; q0 += L) {
    const int planes = std::min(L, t.planes - q0);
    const T* x[L];
    for (int q = 0; q < L; ++q) x[q] = t.x[q0 + std::min(q, planes - 1)];  // (repeats the last)
    V sum{};
    for (index_t z = 0; z < depths; ++z) {
      for (index_t r = 0; r < rows; ++r) {
        const index_t line = z * t.depth_step + r * t.row_step;
        index_t j = 0;
        for (; j + L <= width; j += L) {
          V v[L];
          for (int q = 0; q < L; ++q) std::memcpy(&v[q], x[q] + line + j, sizeof(V));
          transpose(v);
          for (int i = 0; i < L; ++i) sum += v[i];
        }
        for (; j < width; ++j) {
          V v{};  // (set below; GCC -O1 cannot tell)
          for (int q = 0; q < L; ++q) v[q] = x[q][line + j];
          sum += v;
        }
      }
    }
    sum = avg_divide<T>(sum, t.divisors);
    for (int q = 0; q < planes; ++q) *t.out[q0 + q] = sum[q];
  }
}

// ---- Global average pooling: a whole plane's sum (kernels.hpp's
// AvgPoolGlobalKernel), its kGlobalLanes partial sums as M vectors of L
// lanes (one AVX-512 float32 vector, two AVX2 ones, four SSE2 ones...), so
// each partial sum takes the same elements in the same order on every ISA.

// Lanes j < W of v become v[j] + v[j + W].
template <int W, class V, std::size_t... I>
static inline V add_upper_lanes(V v, std::index_sequence<I...>) {
  constexpr int L = sizeof...(I);
  return v + __builtin_shufflevector(v, v, static_cast<int>((I + W) % L)...);
}

// The tree of AvgPoolGlobalKernel over lanes W, W/2, ..., 1 of v: lane 0.
template <int W, class V, int L>
static inline auto add_lanes(V v) {
  if constexpr (W == 0) {
    return v[0];
  } else {
    return add_lanes<W / 2, V, L>(add_upper_lanes<W>(v, std::make_index_sequence<L>{}));
  }
}

// The sums of G planes x + g*step, g < G, side by side (independent
// chains of additions).
template <int G, class T>
static inline void global_sums(const T* x, index_t n, index_t step, T* sums) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  constexpr int M = kGlobalLanes / L;  // vectors per set of partial sums
  static_assert(M * L == kGlobalLanes);
  using V = typename Lanes<T, L>::type;
  V sum[G][M] = {};
  const index_t tail = n % kGlobalLanes, whole = n - tail;
  for (index_t i = 0; i < whole; i += kGlobalLanes) {
    for (int g = 0; g < G; ++g) {
      for (int m = 0; m < M; ++m) {
        V v;
        std::memcpy(&v, x + g * step + i + m * L, sizeof v);
        sum[g][m] += v;
      }
    }
  }
  if (tail > 0) {
    // The last kGlobalLanes elements (ending at n; fewer: zeros in
    // front), those already added (the first kGlobalLanes - tail) zeroed:
    // adding +0 leaves a partial sum as it is (one begun from +0 is never
    // -0).
    using Int = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
    using Code = typename Lanes<Int, L>::type;
    const index_t skip = kGlobalLanes - tail;
    Code lane{};
    for (int l = 0; l < L; ++l) lane[l] = static_cast<Int>(l - skip);
    for (int m = 0; m < M; ++m, lane += L) {
      for (int g = 0; g < G; ++g) {
        const T* p = x + g * step;
        V v{};
        if (n >= kGlobalLanes) {
          std::memcpy(&v, p + n - kGlobalLanes + m * L, sizeof v);
          v = lane >= 0 ? v : V{};
        } else {
          for (int l = 0; l < L; ++l)
            if (lane[l] >= 0) v[l] = p[lane[l]];
        }
        sum[g][m] += v;
      }
    }
  }
  for (int g = 0; g < G; ++g) {
    for (int w = M / 2; w >= 1; w /= 2)
      for (int m = 0; m < w; ++m) sum[g][m] += sum[g][m + w];
    sums[g] = add_lanes<L / 2, V, L>(sum[g][0]);
  }
}

template <class T>
static void avg_pool_global(const T* x, index_t n, index_t planes, index_t step, T* sums) {
  constexpr int kGroup = 4;  // planes summed side by side
  index_t q = 0;
  for (; q + kGroup <= planes; q += kGroup) global_sums<kGroup>(x + q * step, n, step, sums + q);
  for (; q < planes; ++q) global_sums<1>(x + q * step, n, step, sums + q);
}
