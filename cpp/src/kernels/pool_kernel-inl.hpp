// Max-pooling's common CNN case for pool.cpp: windows of 2 (or 1) rows x 2
// contiguous columns at stride 2, for outputs whose windows lie inside the
// input. Compiled once per ISA: include it inside the ISA's own namespace,
// after tile_kernel-inl.hpp (Lanes) and before row_kernel-inl.hpp (whose
// table holds it), never from a header.
//
// The same selects in the same order as pool.cpp's general loop, so the
// same answers: the first maximum wins ties, a NaN beats any number.

template <class T>
static inline bool pool_beats(T v, T best) {
  return v > best || v != v;
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

template <class T, int Rows, bool WithIndices>
static void pool_pairs_rows(const T* line0, const T* line1, index_t count, T* dst,
                            std::int64_t* idx, std::int64_t at0, index_t width) {
  index_t o = 0;
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    // L outputs at a time in whole vectors: split even and odd columns,
    // then track the winner's code 0..3 (row * 2 + column) per lane.
    constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
    using V = typename Lanes<T, L>::type;
    using Code =
        typename Lanes<std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>, L>::type;
    using Index = typename Lanes<std::int64_t, L>::type;
    auto split = [](const T* p, V& even, V& odd) {
      V lo, hi;
      std::memcpy(&lo, p, sizeof lo);
      std::memcpy(&hi, p + L, sizeof hi);
      even = even_lanes(lo, hi, std::make_index_sequence<L>{});
      odd = odd_lanes(lo, hi, std::make_index_sequence<L>{});
    };
    Index lane{};
    for (int i = 0; i < L; ++i) lane[i] = 2 * i;
    for (; o + L <= count; o += L) {
      V best, v;
      split(line0 + 2 * o, best, v);
      Code code{};
      auto take = [&](V value, int c) {
        const Code wins = (value > best) | (value != value);
        best = wins ? value : best;
        code = wins ? Code{} + c : code;
      };
      take(v, 1);
      if constexpr (Rows == 2) {
        V v0, v1;
        split(line1 + 2 * o, v0, v1);
        take(v0, 2);
        take(v1, 3);
      }
      std::memcpy(dst + o, &best, sizeof best);
      if constexpr (WithIndices) {
        const Index c = __builtin_convertvector(code, Index);
        const Index at = (at0 + 2 * o) + lane + (c & 1) + (c >> 1) * width;
        std::memcpy(idx + o, &at, sizeof at);
      }
    }
  }
  for (; o < count; ++o) {
    T best = line0[2 * o];
    std::int64_t at = at0 + 2 * o;
    auto take = [&](T v, std::int64_t pos) {
      const bool wins = pool_beats(v, best);
      best = wins ? v : best;
      at = wins ? pos : at;
    };
    take(line0[2 * o + 1], at0 + 2 * o + 1);
    if constexpr (Rows == 2) {
      take(line1[2 * o], at0 + width + 2 * o);
      take(line1[2 * o + 1], at0 + width + 2 * o + 1);
    }
    dst[o] = best;
    if constexpr (WithIndices) idx[o] = at;
  }
}

template <class T>
static void pool_pairs(const T* line0, const T* line1, index_t count, T* dst, std::int64_t* idx,
                       std::int64_t at0, index_t width) {
  if (line1 && idx)
    pool_pairs_rows<T, 2, true>(line0, line1, count, dst, idx, at0, width);
  else if (line1)
    pool_pairs_rows<T, 2, false>(line0, line1, count, dst, idx, at0, width);
  else if (idx)
    pool_pairs_rows<T, 1, true>(line0, line1, count, dst, idx, at0, width);
  else
    pool_pairs_rows<T, 1, false>(line0, line1, count, dst, idx, at0, width);
}
