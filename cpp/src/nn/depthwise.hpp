#pragma once
// Depthwise layers (one input and one output channel per group) on
// channels-last arrays: the depthwise kernel (kernels.hpp, DepthwiseTask)
// reads the input in place, vectors of channels at a time, where the
// planar path would copy every channel's rows into a panel of its own. Any
// kernel size, stride, dilation and padding mode. Each output is bias +
// its taps in ascending order, the planar kernels' sums: the same bits in
// either layout (tests/test_nn_layers.py).
#include <algorithm>
#include <vector>

#include "kernels/kernels.hpp"
#include "nn/plan.hpp"
#include "parallel.hpp"

namespace fastconv::detail {

// Whether run_depthwise_channels_last takes a layer: one input and one
// output channel per group, input and output channels-last with their
// pixels dense (a pixel's channels, then the next pixel's).
template <class T>
bool depthwise_channels_last_applies(const LayerPlan& p, const View<const T>& x,
                                     const View<T>& out) {
  if (!kernels::depthwise_kernel<T>(kernels::active_table())) return false;
  const index_t C = p.channels;
  return p.cin_g == 1 && p.cout_g == 1 && x.strides[1] == 1 && out.strides[1] == 1 &&
         x.strides[3] == C && out.strides[3] == C && (p.h == 1 || x.strides[2] == p.w * C) &&
         (p.oh == 1 || out.strides[2] == p.ow * C);
}

// The layer (depthwise_channels_last_applies) on 4-D views; `residual`
// with out's strides (CallEpilogue's), data == nullptr for none.
template <class T>
void run_depthwise_channels_last(const LayerPlan& p, const View<const T>& x, const View<const T>& w,
                                 const View<const T>& b, const View<T>& out, int threads,
                                 const kernels::Epilogue<T>* epilogue,
                                 const View<const T>& residual) {
  const kernels::KernelTable& table = kernels::active_table();
  const kernels::DepthwiseKernel<T> kernel = kernels::depthwise_kernel<T>(table);
  const index_t lanes = table.vec_bytes / static_cast<index_t>(sizeof(T));
  const index_t C = p.channels, taps = p.kh * p.kw;
  const index_t w_step = (C + lanes - 1) / lanes * lanes;

  // The weights tap-major (a tap's channels side by side), the bias, and
  // zeros for the padding: whole vectors, zeros past the last channel.
  std::vector<T> wt(static_cast<size_t>(taps * w_step), T(0)), bias, zeros;
  for (index_t c = 0; c < C; ++c)
    for (index_t kp = 0; kp < p.kh; ++kp)
      for (index_t kq = 0; kq < p.kw; ++kq)
        wt[(kp * p.kw + kq) * w_step + c] =
            w.data[c * w.strides[0] + kp * w.strides[2] + kq * w.strides[3]];
  if (b.data) {
    bias.assign(static_cast<size_t>(w_step), T(0));
    for (index_t c = 0; c < C; ++c) bias[c] = b.data[c * b.strides[0]];
  }
  // (a padding row in zero mode is a row of these; the zeros of a column
  // outside are its first w_step)
  zeros.assign(static_cast<size_t>(std::max(p.w * C, w_step)), T(0));

  // Padded column j (output column x's tap q: x*sw + q*dw) through the
  // padding rule, as an offset in a row; the output columns whose taps all
  // lie inside, [inner_lo, inner_hi).
  const index_t padded = (p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1;
  std::vector<index_t> col(static_cast<size_t>(padded));
  for (index_t j = 0; j < padded; ++j) {
    const index_t m = map_padded(j - p.pad_left, p.w, p.mode);
    col[j] = m < 0 ? -1 : m * C;
  }
  const index_t reach = (p.kw - 1) * p.dw;
  const index_t inner_lo = std::min(p.ow, (p.pad_left + p.sw - 1) / p.sw);
  const index_t last = p.w - 1 + p.pad_left - reach;  // (the last inner column's first tap)
  const index_t inner_hi = std::max(inner_lo, last < 0 ? 0 : std::min(p.ow, last / p.sw + 1));

  parallel_tasks(p.batch * p.oh, threads, [&](const TaskLoop& for_each_task) {
    std::vector<const T*> rows(static_cast<size_t>(p.kh));
    for_each_task([&](index_t task) {
      const index_t n = task / p.oh, r = task % p.oh;
      for (index_t kp = 0; kp < p.kh; ++kp) {
        const index_t ri = map_padded(r * p.sh - p.pad_top + kp * p.dh, p.h, p.mode);
        rows[kp] = ri < 0 ? zeros.data() : x.data + n * x.strides[0] + ri * x.strides[2];
      }
      const index_t at = n * out.strides[0] + r * out.strides[2];
      kernels::DepthwiseTask<T> t{
          rows.data(),  col.data(), zeros.data(), p.kh,   p.kw,
          p.sw,         p.dw,       p.pad_left,   p.ow,   C,
          inner_lo,     inner_hi,   wt.data(),    w_step, b.data ? bias.data() : nullptr,
          out.data + at};
      if (epilogue) {
        t.epilogue = epilogue;
        t.slopes = epilogue->slopes;
        if (residual.data)
          t.res = residual.data + n * residual.strides[0] + r * residual.strides[2];
      }
      kernel(t);
    });
  });
}

}  // namespace fastconv::detail
