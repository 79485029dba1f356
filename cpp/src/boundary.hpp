#pragma once
#include "fastconv/options.hpp"

namespace fastconv::detail {

// static: kernel files compiled with AVX flags include these too, and
// internal linkage keeps each file's copy its own (no linker merging).

static inline index_t floor_mod(index_t a, index_t m) {
  index_t r = a % m;
  return r < 0 ? r + m : r;
}

// Map an index t (possibly far outside [0, n)) to the input element that
// the boundary rule puts there; n >= 1. Not used for Boundary::fill.
static inline index_t map_index(index_t t, index_t n, Boundary b) {
  if (t >= 0 && t < n) return t;
  switch (b) {
    case Boundary::wrap:
      return floor_mod(t, n);
    case Boundary::symm: {  // period 2n: a b c d | d c b a
      index_t u = floor_mod(t, 2 * n);
      return u < n ? u : 2 * n - 1 - u;
    }
    case Boundary::mirror: {  // period 2n-2: a b c d | c b
      if (n == 1) return 0;
      index_t u = floor_mod(t, 2 * n - 2);
      return u < n ? u : 2 * n - 2 - u;
    }
    case Boundary::nearest:
      return t < 0 ? 0 : n - 1;
    case Boundary::fill:
      break;
  }
  return -1;
}

}  // namespace fastconv::detail
