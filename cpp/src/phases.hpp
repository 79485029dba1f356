#pragma once
// Transposed convolution along one axis as a gather per output phase, the
// rule shared by conv_transpose (transpose.cpp) and the transposed layers
// (nn/transposed.hpp).
//
// out[i*s + j*d - p] += in[i] * k[j]. The outputs o = phi + m*s (phase
// phi) receive the taps j with j*d = phi + p (mod s): those are
// j = j0 + t*s' (s' = s/gcd(d, s)), and then in[i] with
// i = m + c0 - t*d' (d' = d/gcd(d, s)). So each phase is an ordinary
// correlation of `in` with the flipped sub-kernel k[j0::s'] at dilation
// d', written to out[phi::s]: no zero insertion, no scatter, no atomics.
#include <algorithm>
#include <numeric>

#include "fastconv/view.hpp"

namespace fastconv::detail {

struct OutputPhase {
  index_t count;  // outputs phi, phi + s, ... below the output length
  // 0: no tap reaches this phase (its outputs get no term). Else
  //   out[phi + m*s] = sum_{q < taps} in[m + offset + q*dilation] * k[tap(q)]
  index_t taps;
  index_t dilation, offset;
  index_t j0, kstep;  // tap(q) = j0 + (taps - 1 - q) * kstep

  index_t tap(index_t q) const { return j0 + (taps - 1 - q) * kstep; }
};

// Phase phi < min(s, out) of an axis with kernel length k, stride s,
// dilation d, padding p and output length out.
inline OutputPhase output_phase(index_t phi, index_t k, index_t s, index_t d, index_t p,
                                index_t out) {
  const index_t g = std::gcd(d, s), sp = s / g, dp = d / g;
  const index_t c = (phi + p) % s;
  OutputPhase ph{(out - phi + s - 1) / s, 0, dp, 0, 0, sp};
  // (only taps j0 < k matter: j0 * d cannot overflow, and a huge stride
  // does not make this a long search)
  index_t j0 = 0;
  const index_t j_end = std::min(sp, k);
  while (j0 < j_end && (j0 * d) % s != c) ++j0;
  if (j0 == j_end) return ph;
  ph.taps = (k - j0 + sp - 1) / sp;
  ph.j0 = j0;
  const index_t c0 = (phi + p - j0 * d) / s;  // exact by choice of j0
  ph.offset = c0 - (ph.taps - 1) * dp;
  return ph;
}

}  // namespace fastconv::detail
