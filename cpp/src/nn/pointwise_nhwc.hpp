#pragma once
// 1x1 layers (stride 1, no padding, one group) on channels-last arrays:
// the channels-last pointwise kernel (kernels.hpp, PointwiseNhwcTask)
// multiplies the pixels' channel rows by the weights in place, where the
// planar path would copy the input into a panel and store every output
// alone at the channels' stride. Each output is bias + its K products in
// ascending order, the planar kernels' sums: the same bits in either
// layout, for any number of threads (tests/test_nn_layers.py).
#include <algorithm>
#include <vector>

#include "kernels/kernels.hpp"
#include "nn/plan.hpp"
#include "nn/pointwise.hpp"
#include "parallel.hpp"

namespace fastconv::detail {

// Whether run_pointwise_nhwc takes a layer: 1x1, stride 1, no padding,
// one group, and input and output channels-last with a pixel's channels
// side by side and the pixels of a row one after another (any row step).
template <class T>
bool pointwise_nhwc_applies(const LayerPlan& p, const View<const T>& x, const View<T>& out) {
  if (!kernels::pointwise_nhwc_kernel<T>(kernels::active_table())) return false;
  return p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.pad_top == 0 && p.pad_left == 0 &&
         p.oh == p.h && p.ow == p.w && p.groups == 1 && x.strides[1] == 1 && out.strides[1] == 1 &&
         (p.w == 1 || (x.strides[3] == p.channels && out.strides[3] == p.out_channels));
}

// The layer (pointwise_nhwc_applies) on 4-D views; `residual` with out's
// strides (CallEpilogue's), data == nullptr for none.
template <class T>
void run_pointwise_nhwc(const LayerPlan& p, const View<const T>& x, const View<const T>& w,
                        const View<const T>& b, const View<T>& out, int threads,
                        const kernels::Epilogue<T>* epilogue, const View<const T>& residual) {
  const kernels::KernelTable& table = kernels::active_table();
  const kernels::PointwiseNhwcKernel<T> kernel = kernels::pointwise_nhwc_kernel<T>(table);
  const index_t lanes = table.vec_bytes / static_cast<index_t>(sizeof(T));
  const index_t K = p.channels, Cout = p.out_channels;
  const index_t w_step = (Cout + lanes - 1) / lanes * lanes;

  // The weights input-channel-major (row r: every output channel's weight
  // of input r) and the bias, whole vectors with zeros past Cout: Cout x K
  // values, little beside the product's pixels x Cout x K.
  std::vector<T> wt(static_cast<size_t>(K * w_step), T(0)), bias;
  for (index_t o = 0; o < Cout; ++o)
    for (index_t r = 0; r < K; ++r)
      wt[r * w_step + o] = w.data[o * w.strides[0] + r * w.strides[1]];
  if (b.data) {
    bias.assign(static_cast<size_t>(w_step), T(0));
    for (index_t o = 0; o < Cout; ++o) bias[o] = b.data[o * b.strides[0]];
  }

  // Runs of pixels one after another in both arrays: an image's (its rows
  // follow each other), else a row's. Each run in chunks: the chunk's
  // input about half of L2, fewer pixels when that gives the threads too
  // few tasks (the sums do not depend on the chunks).
  const bool dense =
      p.h == 1 || (x.strides[2] == p.w * x.strides[3] && out.strides[2] == p.w * out.strides[3]);
  const index_t runs = p.batch * (dense ? 1 : p.h), run = dense ? p.h * p.w : p.w;
  index_t chunk = std::max<index_t>(24, kPointwiseTaskBytes / (K * index_t(sizeof(T))));
  while (chunk > 96 && runs * ((run + chunk - 1) / chunk) < 4 * threads) chunk /= 2;
  const index_t chunks = (run + chunk - 1) / chunk;

  parallel_tasks(runs * chunks, threads, [&](const TaskLoop& for_each_task) {
    for_each_task([&](index_t task) {
      const index_t k = task % chunks, rn = task / chunks;
      const index_t n = dense ? rn : rn / p.h, r = dense ? 0 : rn % p.h;
      const index_t i0 = k * chunk, i1 = std::min(run, i0 + chunk);
      const index_t x_at = n * x.strides[0] + r * x.strides[2] + i0 * x.strides[3];
      const index_t at = n * out.strides[0] + r * out.strides[2] + i0 * out.strides[3];
      kernels::PointwiseNhwcTask<T> t{x.data + x_at,
                                      x.strides[3],
                                      K,
                                      i1 - i0,
                                      wt.data(),
                                      w_step,
                                      b.data ? bias.data() : nullptr,
                                      Cout,
                                      out.data + at,
                                      out.strides[3]};
      if (epilogue) {
        t.epilogue = epilogue;
        t.slopes = epilogue->slopes;
        if (residual.data) t.res = residual.data + at;
      }
      kernel(t);
    });
  });
}

}  // namespace fastconv::detail
