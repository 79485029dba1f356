#pragma once
// The CNN layers' generic loops, compiled once: the weight packing (a
// layer's weights reordered into the SIMD kernels' channel blocks) and the
// portable kernel of the element types without SIMD kernels.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "kernels/kernels.hpp"
#include "scalar.hpp"

namespace fastconv::kernels {

// dst[r*ld + i] = src_i[r] for four channels i and four consecutive taps
// r (a 4 x 4 transpose in vector registers); float and double.
template <class T>
inline void transpose4(const T* s0, const T* s1, const T* s2, const T* s3, T* dst, index_t ld) {
  typedef T V __attribute__((vector_size(4 * sizeof(T))));
  V a, b, c, d;  // (no function returns V: its ABI differs between ISAs)
  std::memcpy(&a, s0, sizeof(V));
  std::memcpy(&b, s1, sizeof(V));
  std::memcpy(&c, s2, sizeof(V));
  std::memcpy(&d, s3, sizeof(V));
  const V ab0 = __builtin_shufflevector(a, b, 0, 4, 1, 5),
          ab1 = __builtin_shufflevector(a, b, 2, 6, 3, 7);
  const V cd0 = __builtin_shufflevector(c, d, 0, 4, 1, 5),
          cd1 = __builtin_shufflevector(c, d, 2, 6, 3, 7);
  const V rows[4] = {
      __builtin_shufflevector(ab0, cd0, 0, 1, 4, 5), __builtin_shufflevector(ab0, cd0, 2, 3, 6, 7),
      __builtin_shufflevector(ab1, cd1, 0, 1, 4, 5), __builtin_shufflevector(ab1, cd1, 2, 3, 6, 7)};
  for (int r = 0; r < 4; ++r) std::memcpy(dst + r * ld, &rows[r], sizeof(V));
}

// Pack one channel block: dst[r*R + i] = weights[channel_at[i] + tap_at[r]]
// for the K taps r and the n_ch <= R channels i of the block, the channels
// past n_ch zero. With check_finite, whether those weights are all finite
// (else true).
template <class T>
bool pack_channel_block(const T* weights, const index_t* channel_at, const index_t* tap_at,
                        index_t K, index_t R, index_t n_ch, T* dst, bool check_finite) {
  if (n_ch < R) std::fill(dst, dst + K * R, T(0));
  // A transpose, by blocks of taps so that the lines read (a channel's
  // weights apart, often in one L1 set) and written stay in L1; where the
  // block's taps are consecutive in memory (a contiguous conv layer's
  // weights), 4 x 4 at a time in vector registers.
  constexpr index_t kTapBlock = 16;
  for (index_t r0 = 0; r0 < K; r0 += kTapBlock) {
    const index_t r1 = std::min(K, r0 + kTapBlock);
    index_t i = 0;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      const bool consecutive =
          tap_at[r1 - 1] - tap_at[r0] == r1 - 1 - r0 &&
          std::adjacent_find(tap_at + r0, tap_at + r1,
                             [](index_t a, index_t c) { return c != a + 1; }) == tap_at + r1;
      const index_t r4 = r0 + (r1 - r0) / 4 * 4;
      if (consecutive && r4 > r0)
        for (; i + 4 <= n_ch; i += 4) {
          const T* wc[4];
          for (int j = 0; j < 4; ++j) wc[j] = weights + channel_at[i + j] + tap_at[r0];
          for (index_t r = r0; r < r4; r += 4)
            transpose4(wc[0] + (r - r0), wc[1] + (r - r0), wc[2] + (r - r0), wc[3] + (r - r0),
                       dst + r * R + i, R);
          for (index_t r = r4; r < r1; ++r)
            for (int j = 0; j < 4; ++j) dst[r * R + i + j] = wc[j][r - r0];
        }
    }
    for (; i < n_ch; ++i) {
      const T* wc = weights + channel_at[i];
      for (index_t r = r0; r < r1; ++r) dst[r * R + i] = wc[tap_at[r]];
    }
  }
  return !check_finite || detail::all_finite(dst, K * R);
}

// The portable kernel (types without SIMD kernels): one channel, one output
// per "vector", the same sums in the same order as the SIMD kernels.
template <class T>
void portable_conv(const kernels::ConvTask<T>& t) {
  for (index_t v = 0; v < t.n_vec; ++v) {
    T acc = t.bias ? t.bias[0] : T(0);
    const T* x = t.panel + t.x_base[v];
    for (index_t r = 0; r < t.K; ++r) detail::madd(acc, x[t.x_off[r]], t.w[r]);
    t.out[t.out_off[v]] = acc;
  }
}

}  // namespace fastconv::kernels
