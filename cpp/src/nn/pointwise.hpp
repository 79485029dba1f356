#pragma once
// 1x1 layers with stride 1 and no padding on contiguous planes: the
// pointwise kernel (kernels.hpp) over the input in place, no panel and no
// packing. Such a layer is a product (Cout x C) . (C x pixels) per image
// and group; the kernel keeps a block of output channels x vectors of
// pixels in registers and stores whole vectors of each channel's plane,
// where the wide kernel, with channels in its lanes, would store every
// output alone. Each output is bias + its C products in ascending order,
// the sums of the other direct kernels: the results are the same bits
// whichever path a call takes (tests/test_nn_pointwise.py).
#include <algorithm>
#include <vector>

#include "kernels/kernels.hpp"
#include "nn/plan.hpp"
#include "parallel.hpp"

namespace fastconv::detail {

// Pixels per task: the task's input (C channels of them) about half of
// L2, in whole vectors.
constexpr index_t kPointwiseTaskBytes = index_t(128) << 10;

// Whether run_pointwise takes a layer: 1x1, stride 1, no padding, at
// least one vector of pixels per plane, and the planes of the input and
// output contiguous (rows one after another).
template <class T>
bool pointwise_applies(const LayerPlan& p, const View<const T>& x, const View<T>& out) {
  const kernels::KernelTable& table = kernels::active_table();
  if (!kernels::conv_kernels<T>(table).pointwise) return false;
  const index_t lanes = table.vec_bytes / static_cast<index_t>(sizeof(T));
  return p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.pad_top == 0 && p.pad_left == 0 &&
         p.oh == p.h && p.ow == p.w && p.h * p.w >= lanes && x.strides[3] == 1 &&
         out.strides[3] == 1 && (p.h == 1 || (x.strides[2] == p.w && out.strides[2] == p.w));
}

// The pointwise kernel's task: output channels [o0, o0 + channels) of n
// pixels, input channel c at x + x_off[c], the weights `channels` rows of
// C taps, output channel o at out + o * out_ch_step; the epilogue (may be
// nullptr) with its residual at res (nullptr: none).
template <class T>
kernels::ConvTask<T> pointwise_task(const T* x, const index_t* x_off, index_t C, const T* w,
                                    const T* bias, index_t o0, index_t channels, index_t n, T* out,
                                    index_t out_ch_step, const kernels::Epilogue<T>* epilogue,
                                    const T* res) {
  kernels::ConvTask<T> t{};
  t.panel = x;
  t.x_off = x_off;
  t.K = C;
  t.w = w;
  t.bias = bias;
  t.channels = channels;
  t.n_vec = n;
  t.out = out;
  t.out_ch_step = out_ch_step;
  t.out_w_step = 1;
  t.first = t.last = true;
  if (epilogue) {
    t.epilogue = epilogue;
    t.slopes = epilogue->slopes ? epilogue->slopes + o0 : nullptr;
    t.res = res;
  }
  return t;
}

// The layer (pointwise_applies) on 4-D views; `residual` with out's
// strides (CallEpilogue's), data == nullptr for none.
template <class T>
void run_pointwise(const LayerPlan& p, const View<const T>& x, const View<const T>& w,
                   const View<const T>& b, const View<T>& out, int threads,
                   const kernels::Epilogue<T>* epilogue, const View<const T>& residual) {
  const kernels::KernelTable& table = kernels::active_table();
  const kernels::ConvKernel<T> kernel = kernels::conv_kernels<T>(table).pointwise;
  const index_t lanes = table.vec_bytes / static_cast<index_t>(sizeof(T));
  const index_t C = p.cin_g, plane = p.h * p.w;

  // The weights as (Cout, C) rows and the bias, contiguous (copies only
  // when the caller's are not).
  std::vector<T> w_copy, b_copy;
  const T* wd = w.data;
  if (w.strides[1] != 1 || w.strides[0] != C) {
    w_copy.resize(static_cast<size_t>(p.out_channels * C));
    for (index_t o = 0; o < p.out_channels; ++o)
      for (index_t c = 0; c < C; ++c)
        w_copy[o * C + c] = w.data[o * w.strides[0] + c * w.strides[1]];
    wd = w_copy.data();
  }
  const T* bd = nullptr;
  if (b.data) {
    b_copy.resize(static_cast<size_t>(p.out_channels));
    for (index_t o = 0; o < p.out_channels; ++o) b_copy[o] = b.data[o * b.strides[0]];
    bd = b_copy.data();
  }
  std::vector<index_t> x_off(static_cast<size_t>(C));
  for (index_t c = 0; c < C; ++c) x_off[c] = c * x.strides[1];

  // Pixel chunks: whole vectors, fewer pixels when the images and groups
  // give the threads too few tasks; a remainder of less than a vector
  // joins the chunk before it (the kernel's last vector overlaps the one
  // before it, inside its own chunk).
  const index_t per_byte = std::max<index_t>(1, kPointwiseTaskBytes / (C * index_t(sizeof(T))));
  index_t chunk = std::max(lanes, per_byte / lanes * lanes);
  const index_t images = p.batch * p.groups;
  while (chunk > 16 * lanes && images * ((plane + chunk - 1) / chunk) < 4 * threads)
    chunk = (chunk / 2 + lanes - 1) / lanes * lanes;
  index_t chunks = std::max<index_t>(1, plane / chunk);
  if (chunks * chunk < plane && plane - chunks * chunk >= lanes) ++chunks;

  parallel_tasks(images * chunks, threads, [&](const TaskLoop& for_each_task) {
    for_each_task([&](index_t task) {
      const index_t k = task % chunks, ng = task / chunks;
      const index_t g = ng % p.groups, n = ng / p.groups;
      const index_t i0 = k * chunk, i1 = k + 1 == chunks ? plane : i0 + chunk;
      const index_t o0 = g * p.cout_g;
      const index_t at = n * out.strides[0] + o0 * out.strides[1] + i0;
      const T* res = residual.data
                         ? residual.data + n * residual.strides[0] + o0 * residual.strides[1] + i0
                         : nullptr;
      kernel(pointwise_task(x.data + n * x.strides[0] + g * C * x.strides[1] + i0, x_off.data(), C,
                            wd + o0 * C, bd ? bd + o0 : nullptr, o0, p.cout_g, i1 - i0,
                            out.data + at, out.strides[1], epilogue, res));
    });
  });
}

}  // namespace fastconv::detail
