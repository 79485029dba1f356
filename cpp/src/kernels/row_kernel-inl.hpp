// Row-correlation kernel body and the FMA probe. Compiled once per ISA:
// include it inside the ISA's own namespace, after tile_kernel-inl.hpp
// (see kernel_unit.hpp), never from a header.
//
// Loop order: taps outer, outputs inner (an axpy per tap), so the inner
// loop is branch-free and vectorises along the output; every output sums
// its taps in ascending order whatever the tiling, so results do not
// depend on how work is split between threads.

template <class T>
static void row_correlate(const RowTask<T>& t) {
  T* acc = t.acc - t.j0;  // index acc by absolute output position j
  const index_t s = t.stride;
  // A zero fill is no term of the sum (docs/conventions.md, Boundaries: an
  // Inf tap times the padding is not NaN); adding 0 * w changes nothing
  // otherwise.
  const bool zero_fill = t.boundary == Boundary::fill && t.fill == T(0);
  for (index_t q = 0; q < t.taps; ++q) {
    const T w = t.k[q];
    const index_t off = q * t.dilation + t.origin;  // x index of output 0
    if (t.fill_row) {
      if (!zero_fill)
        for (index_t j = t.j0; j < t.j1; ++j) detail::fused_madd(acc[j], t.fill, w);
      continue;
    }
    // Outputs whose sample j*s + off lies inside [0, n).
    index_t lo = off >= 0 ? 0 : (-off + s - 1) / s;
    index_t hi = t.n - 1 - off >= 0 ? (t.n - 1 - off) / s + 1 : 0;
    lo = std::min(std::max(lo, t.j0), t.j1);
    hi = std::max(std::min(hi, t.j1), lo);
    for (index_t j = t.j0; j < lo && !zero_fill; ++j) {
      const index_t i = j * s + off;
      if (t.boundary == Boundary::fill)
        detail::fused_madd(acc[j], t.fill, w);
      else
        detail::madd(acc[j], t.x[detail::map_index(i, t.n, t.boundary) * t.x_stride], w);
    }
    if (lo == hi) {
      // no sample inside (t.x + off may lie far outside the array for a
      // huge dilation: not even form that pointer, it would overflow)
    } else if (t.x_stride == 1 && s == 1) {
      const T* x = t.x + (lo + off);
      for (index_t j = lo; j < hi; ++j) detail::madd(acc[j], x[j - lo], w);
    } else {
      for (index_t j = lo; j < hi; ++j) detail::madd(acc[j], t.x[(j * s + off) * t.x_stride], w);
    }
    for (index_t j = hi; j < t.j1 && !zero_fill; ++j) {
      const index_t i = j * s + off;
      if (t.boundary == Boundary::fill)
        detail::fused_madd(acc[j], t.fill, w);
      else
        detail::madd(acc[j], t.x[detail::map_index(i, t.n, t.boundary) * t.x_stride], w);
    }
  }
}

// Twelve independent accumulator chains hide the FMA latency; the result
// is returned through a volatile so the loop is not optimised away.
static double fma_probe(long iterations) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(float));
  using V = typename Lanes<float, L>::type;
  constexpr int kChains = 12;
  V acc[kChains];
  V a = V{} + 1.0f, b = V{} + 0.999999f;
  FASTCONV_UNROLL for (int i = 0; i < kChains; ++i) acc[i] = V{} + static_cast<float>(i);
  for (long it = 0; it < iterations; ++it)
    FASTCONV_UNROLL for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * b + a;
  V sum = V{};
  FASTCONV_UNROLL for (int i = 0; i < kChains; ++i) sum += acc[i];
  volatile float sink = sum[0];
  (void)sink;
  return 2.0 * kChains * L * static_cast<double>(iterations);
}
