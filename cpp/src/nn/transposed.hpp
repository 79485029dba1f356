#pragma once
// A transposed layer as runs of the ordinary layer engine: one run per
// output phase (phases.hpp), each an ordinary layer over the input with a
// flipped sub-kernel, written to its phase of the output (rows phi_h::s_h,
// columns phi_w::s_w). With few channels per group and column stride 2,
// the two column phases of a row phase run together (the paired kernel),
// so that the output is stored in whole vectors.
#include <array>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "nn/epilogue.hpp"
#include "nn/pointwise.hpp"
#include "nn/run.hpp"
#include "phases.hpp"
#include "scalar.hpp"

namespace fastconv::detail {

// The transposed layer term by term, for weights holding Inf or NaN: the
// phase gather reads zeros past the input's edges, and 0 * Inf = NaN is a
// term that the scatter definition does not have. One thread, slow, exact.
template <class T>
void transposed_by_definition(const TransposedPlan& tp, const View<const T>& x,
                              const View<const T>& w, const View<const T>& bias, const View<T>& y) {
  // The input position that tap j of output position o reads on axis a,
  // or -1.
  auto source = [&](int a, index_t o, index_t j) {
    const index_t at = o + tp.pad[a] - j * tp.d[a];
    if (at < 0 || at % tp.s[a]) return index_t(-1);
    return at / tp.s[a] < tp.n[a] ? at / tp.s[a] : index_t(-1);
  };
  for (index_t n = 0; n < tp.batch; ++n)
    for (index_t oc = 0; oc < tp.out_channels; ++oc) {
      const index_t g = oc / tp.cout_g, og = oc % tp.cout_g;
      for (index_t i = 0; i < tp.out[0]; ++i)
        for (index_t j = 0; j < tp.out[1]; ++j) {
          T acc = bias.data ? bias.data[oc * bias.strides[0]] : T(0);
          for (index_t c = g * tp.cin_g; c < (g + 1) * tp.cin_g; ++c)
            for (index_t p = 0; p < tp.k[0]; ++p) {
              const index_t si = source(0, i, p);
              if (si < 0) continue;
              for (index_t q = 0; q < tp.k[1]; ++q) {
                const index_t sj = source(1, j, q);
                if (sj < 0) continue;
                detail::madd(acc,
                             x.data[n * x.strides[0] + c * x.strides[1] + si * x.strides[2] +
                                    sj * x.strides[3]],
                             w.data[c * w.strides[0] + og * w.strides[1] + p * w.strides[2] +
                                    q * w.strides[3]]);
              }
            }
          y.data[n * y.strides[0] + oc * y.strides[1] + i * y.strides[2] + j * y.strides[3]] = acc;
        }
    }
}

// One run of a transposed layer: output row phase phi_h and column phase
// phi_w (-1: both column phases, paired), as an ordinary layer's plan
// over the input (zero padding: a phase reads only the input) with the
// sub-kernel taps of (ph, pw) -- then of (ph, odd) when paired.
struct TransposedRun {
  index_t phi_h, phi_w;
  detail::OutputPhase ph, pw, odd;
  LayerPlan plan;
  bool paired;
  ColumnPair pair;
};

// The runs of a transposed plan, and whether some output phase gets no tap
// (only the bias). `pairable`: whether T has the paired kernel.
struct TransposedRuns {
  std::vector<TransposedRun> runs;
  bool some_empty = false;
};

inline TransposedRuns transposed_runs(const TransposedPlan& tp, bool pairable) {
  auto phase = [&](int axis, index_t phi) {
    return detail::output_phase(phi, tp.k[axis], tp.s[axis], tp.d[axis], tp.pad[axis],
                                tp.out[axis]);
  };
  auto phase_plan = [&](const detail::OutputPhase& ph, const detail::OutputPhase& pw) {
    LayerPlan p{};
    p.spatial = tp.spatial;
    p.batch = tp.batch;
    p.channels = tp.channels;
    p.out_channels = tp.out_channels;
    p.groups = tp.groups;
    p.cin_g = tp.cin_g;
    p.cout_g = tp.cout_g;
    p.h = tp.n[0];
    p.w = tp.n[1];
    p.kh = ph.taps;
    p.kw = pw.taps;
    p.sh = p.sw = 1;
    p.dh = ph.dilation;
    p.dw = pw.dilation;
    p.pad_top = -ph.offset;
    p.pad_left = -pw.offset;
    p.oh = ph.count;
    p.ow = pw.count;
    p.mode = PaddingMode::zeros;
    return p;
  };
  // The phases some tap reaches, per axis (at most k of them); the others
  // get only the bias.
  TransposedRuns result;
  std::array<std::vector<detail::OutputPhase>, 2> live;
  std::array<std::vector<index_t>, 2> live_phi;
  for (int a = 0; a < 2; ++a)
    for (index_t phi = 0; phi < std::min(tp.s[a], tp.out[a]); ++phi) {
      const detail::OutputPhase ph = phase(a, phi);
      if (ph.taps == 0) {
        result.some_empty = true;
        continue;
      }
      live[a].push_back(ph);
      live_phi[a].push_back(phi);
    }
  const bool pair_columns = pairable && tp.s[1] == 2 && live[1].size() == 2;
  for (size_t ih = 0; ih < live[0].size(); ++ih) {
    const detail::OutputPhase& ph = live[0][ih];
    if (pair_columns) {
      const detail::OutputPhase &even = live[1][0], &odd = live[1][1];
      LayerPlan p = phase_plan(ph, even);
      const index_t first = std::min(even.offset, odd.offset);
      p.pad_left = -first;
      const ColumnPair pair{odd.taps, even.offset - first, odd.offset - first, tp.out[1]};
      result.runs.push_back({live_phi[0][ih], -1, ph, even, odd, p, true, pair});
      continue;
    }
    for (size_t iw = 0; iw < live[1].size(); ++iw) {
      const detail::OutputPhase& pw = live[1][iw];
      result.runs.push_back(
          {live_phi[0][ih], live_phi[1][iw], ph, pw, {}, phase_plan(ph, pw), false, {}});
    }
  }
  return result;
}

// Whether T's transposed layers of cout_g channels a group pair their
// column phases (the paired kernel: few channels a group).
template <class T>
bool pairs_columns(index_t cout_g) {
  const kernels::KernelTable& table = kernels::active_table();
  return kernels::conv_kernels<T>(table).paired != nullptr &&
         !uses_wide_kernel(cout_g, table, table.vec_bytes / static_cast<index_t>(sizeof(T)));
}

// The weights of a run: weight[g*cin_g + c, o % cout_g, tap_h(qh),
// tap_w(qw)] for output channel o, the taps of (ph, pw) then, paired, of
// (ph, odd). `w` is 4-D (C, Cout/groups, kh, kw).
template <class T>
LayerWeights<T> transposed_weights(const TransposedPlan& tp, const TransposedRun& r,
                                   const View<const T>& w) {
  LayerWeights<T> lw{w.data, {}, {}};
  for (index_t oc = 0; oc < tp.out_channels; ++oc)
    lw.channel_at.push_back(oc / tp.cout_g * tp.cin_g * w.strides[0] +
                            oc % tp.cout_g * w.strides[1]);
  auto add_taps = [&](const detail::OutputPhase& ph, const detail::OutputPhase& pw) {
    for (index_t c = 0; c < tp.cin_g; ++c)
      for (index_t qh = 0; qh < ph.taps; ++qh)
        for (index_t qw = 0; qw < pw.taps; ++qw)
          lw.tap_at.push_back(c * w.strides[0] + ph.tap(qh) * w.strides[2] +
                              pw.tap(qw) * w.strides[3]);
  };
  add_taps(r.ph, r.pw);
  if (r.paired) add_taps(r.ph, r.odd);
  return lw;
}

// A transposed layer whose kernel is its stride (along each axis; no
// crop): every output takes exactly one tap, so the layer is ONE 1x1 layer
// over the input with Cout x taps output channels -- channel m = ((o * kd
// + a) * kh + b) * kw + c of group g is output channel g*cout_g + o at
// depth phase a, row phase b and column phase c -- each channel's products
// stored straight to its phase (LayerRun::channel_out). Its sums are the
// 1x1 layer's, in the same order whatever the batch, layout or threads.
// The views are 5-D, (N, C, D, H, W) with weights (C, Cout/groups, kd, kh,
// kw); a 2-D layer is one with D = kd = 1 (with_depth).
inline bool stride_taps_shape(const TransposedPlan& tp) {
  for (int a = 0; a < 2; ++a)
    if (tp.k[a] != tp.s[a] || (tp.k[a] > 1 && tp.d[a] != 1) || tp.pad[a] != 0) return false;
  return true;
}

// The 1x1 layer of `images` images of the plane plan tp, kd depth taps.
inline LayerPlan stride_taps_plan(const TransposedPlan& tp, index_t kd, index_t images) {
  LayerPlan p{};
  p.spatial = 2;
  p.batch = images;
  p.channels = tp.channels;
  p.groups = tp.groups;
  p.cin_g = tp.cin_g;
  p.cout_g = tp.cout_g * kd * tp.k[0] * tp.k[1];
  p.out_channels = p.groups * p.cout_g;
  p.h = p.oh = tp.n[0];
  p.w = p.ow = tp.n[1];
  p.kh = p.kw = p.sh = p.sw = p.dh = p.dw = 1;
  p.mode = PaddingMode::zeros;
  return p;
}

// Whether T runs tp (kd depth taps) as one 1x1 layer: the shape, and the
// wide kernels, which take an offset per output channel.
template <class T>
bool runs_stride_taps(const TransposedPlan& tp, index_t kd) {
  return stride_taps_shape(tp) && configure_layer_for<T>(stride_taps_plan(tp, kd, 1)).wide_kernel;
}

// v with an axis of size 1 inserted at 2 (a 2-D layer's depth).
template <class T>
View<T> with_depth(View<T> v) {
  v.shape.insert(v.shape.begin() + 2, 1);
  v.strides.insert(v.strides.begin() + 2, 0);
  return v;
}

// The 1x1 layer's weights (w5: C, Cout/groups, kd, kh, kw) and, per
// output channel, the output channel of the layer whose phase it is.
template <class T>
LayerWeights<T> stride_taps_weights(const TransposedPlan& tp, const View<const T>& w5,
                                    std::vector<index_t>* channel_of = nullptr) {
  LayerWeights<T> lw{w5.data, {}, {}};
  const auto& ws = w5.strides;
  for (index_t g = 0; g < tp.groups; ++g)
    for (index_t o = 0; o < tp.cout_g; ++o)
      for (index_t a = 0; a < w5.shape[2]; ++a)
        for (index_t b = 0; b < w5.shape[3]; ++b)
          for (index_t c = 0; c < w5.shape[4]; ++c) {
            lw.channel_at.push_back(g * tp.cin_g * ws[0] + o * ws[1] + a * ws[2] + b * ws[3] +
                                    c * ws[4]);
            if (channel_of) channel_of->push_back(g * tp.cout_g + o);
          }
  for (index_t c = 0; c < tp.cin_g; ++c) lw.tap_at.push_back(c * ws[0]);
  return lw;
}

// The bias of each of the 1x1 layer's channels (empty: no bias).
template <class T>
std::vector<T> stride_taps_bias(const std::vector<index_t>& channel_of, const View<const T>& bias) {
  std::vector<T> b;
  if (bias.data)
    for (index_t o : channel_of) b.push_back(bias.data[o * bias.strides[0]]);
  return b;
}

template <class T>
std::unique_ptr<OwnedPackedWeights<T>> pack_stride_taps(const TransposedPlan& tp,
                                                        const View<const T>& w5,
                                                        const View<const T>& bias) {
  const index_t kd = w5.shape[2];
  const LayerConf c = configure_layer_for<T>(stride_taps_plan(tp, kd, 1));
  std::vector<index_t> channel_of;
  const LayerWeights<T> lw = stride_taps_weights(tp, w5, &channel_of);
  const std::vector<T> b = stride_taps_bias(channel_of, bias);
  const View<const T> bv =
      b.empty() ? View<const T>() : make_view<const T>(b.data(), {index_t(b.size())});
  return std::make_unique<OwnedPackedWeights<T>>(tp.groups, c.blocks, c.K, c.R, lw, bv,
                                                 tp.cout_g * kd * tp.k[0] * tp.k[1]);
}

// Set the outputs of y (4-D: slices, channels, rows, columns, at `at`
// elements from the call's out) outside the first `reach` slices, rows and
// columns (those that output_padding adds) to the bias, then the epilogue.
template <class T>
void fill_past_reach(const View<T>& y, std::array<index_t, 3> reach, const View<const T>& bias,
                     const CallEpilogue<T>* epilogue, index_t at) {
  auto fill = [&](index_t d0, index_t d1, index_t r0, index_t r1, index_t c0, index_t c1) {
    if (d0 >= d1 || r0 >= r1 || c0 >= c1) return;
    View<T> part(y.data + d0 * y.strides[0] + r0 * y.strides[2] + c0 * y.strides[3],
                 {d1 - d0, y.shape[1], r1 - r0, c1 - c0}, y.strides);
    for (index_t d = 0; d < part.shape[0]; ++d)
      for (index_t ch = 0; ch < part.shape[1]; ++ch) {
        const T v = bias.data ? bias.data[ch * bias.strides[0]] : T(0);
        for (index_t i = 0; i < part.shape[2]; ++i)
          for (index_t j = 0; j < part.shape[3]; ++j)
            part.data[d * part.strides[0] + ch * part.strides[1] + i * part.strides[2] +
                      j * part.strides[3]] = v;
      }
    if (epilogue) epilogue->apply(part, at + (part.data - y.data));
  };
  const index_t slices = y.shape[0], rows = y.shape[2], cols = y.shape[3];
  const index_t rd = std::min(reach[0], slices), rr = std::min(reach[1], rows);
  fill(rd, slices, 0, rows, 0, cols);                  // slices past the reach
  fill(0, rd, rr, rows, 0, cols);                      // their rows past it
  fill(0, rd, 0, rr, std::min(reach[2], cols), cols);  // and columns
}

// A 2-D layer of run_stride_taps with 2-wide columns (stride 2), unit
// column steps and rows of at least a vector: the pointwise kernel over
// each input row in place, each channel's two column phases interleaved
// in registers and stored as whole vectors of an output row
// (ConvTask::ch_pairs), where the wide kernel stores every output alone.
// Each output is bias + its C products in ascending order, as there: the
// same bits.
template <class T>
bool phases_pointwise_applies(const TransposedPlan& tp, const View<const T>& x, const View<T>& y,
                              index_t kd) {
  const kernels::KernelTable& table = kernels::active_table();
  const index_t lanes = table.vec_bytes / static_cast<index_t>(sizeof(T));
  return kernels::conv_kernels<T>(table).pointwise && kd == 1 && x.shape[2] == 1 && tp.k[1] == 2 &&
         tp.n[1] >= lanes && x.strides[4] == 1 && y.strides[4] == 1;
}

// Run it (5-D views; lw, b and the epilogue e as run_stride_taps makes
// them, e.activation none for no epilogue, `res` with y's strides). False,
// having stored nothing, when a weight is Inf or NaN.
template <class T>
bool run_phases_pointwise(const TransposedPlan& tp, const View<const T>& x, const View<T>& y,
                          const LayerWeights<T>& lw, const std::vector<T>& b,
                          const kernels::Epilogue<T>* e, const View<const T>& res, int threads) {
  const kernels::ConvKernel<T> kernel = kernels::conv_kernels<T>(kernels::active_table()).pointwise;
  const index_t C = tp.cin_g, M = tp.cout_g * tp.k[0] * 2, kh = tp.k[0];
  const index_t rows = tp.n[0], cols = tp.n[1];
  // The weights as (channel, input channel) rows, each group's M after
  // the one before.
  std::vector<T> w(static_cast<size_t>(tp.groups * M * C));
  for (index_t m = 0; m < tp.groups * M; ++m)
    for (index_t c = 0; c < C; ++c) w[m * C + c] = lw.data[lw.channel_at[m] + lw.tap_at[c]];
  if (!all_finite(w.data(), static_cast<std::int64_t>(w.size()))) return false;
  // Channel m = (o*kh + r)*2 + phase of a group: output channel o, row phase r.
  std::vector<index_t> ch_out(static_cast<size_t>(M));
  for (index_t m = 0; m < M; ++m)
    ch_out[m] = m / (2 * kh) * y.strides[1] + m / 2 % kh * y.strides[3];
  std::vector<index_t> x_off(static_cast<size_t>(C));
  for (index_t c = 0; c < C; ++c) x_off[c] = c * x.strides[1];

  // Tasks: rows of an image and group, their input about half of L2,
  // fewer rows when that gives the threads too few tasks.
  const index_t images = tp.batch * tp.groups;
  index_t per_task = std::max<index_t>(1, kPointwiseTaskBytes / (C * cols * index_t(sizeof(T))));
  while (per_task > 1 && images * ((rows + per_task - 1) / per_task) < 4 * threads)
    per_task = (per_task + 1) / 2;
  const index_t blocks = (rows + per_task - 1) / per_task;
  parallel_tasks(images * blocks, threads, [&](const TaskLoop& for_each_task) {
    for_each_task([&](index_t task) {
      const index_t k = task % blocks, ng = task / blocks;
      const index_t g = ng % tp.groups, n = ng / tp.groups;
      for (index_t r = k * per_task; r < std::min(rows, (k + 1) * per_task); ++r) {
        const index_t at = n * y.strides[0] + g * tp.cout_g * y.strides[1] + kh * r * y.strides[3];
        kernels::ConvTask<T> t{x.data + n * x.strides[0] + g * C * x.strides[1] + r * x.strides[3],
                               nullptr,
                               x_off.data(),
                               C,
                               w.data() + g * M * C,
                               b.empty() ? nullptr : b.data() + g * M,
                               M,
                               cols,
                               nullptr,
                               nullptr,
                               nullptr,
                               y.data + at,
                               0,
                               1,
                               nullptr,
                               true,
                               true};
        t.ch_out = ch_out.data();
        t.ch_pairs = true;
        if (e) {
          t.epilogue = e;
          t.slopes = e->slopes ? e->slopes + g * M : nullptr;
          if (res.data) t.res = res.data + at;
        }
        kernel(t);
      }
    });
  });
  return true;
}

// The outputs of every image of y (5-D) that output_padding adds past
// the kernel's reach (`slices` along the depth): the bias alone.
template <class T>
void fill_past_reach_all(const TransposedPlan& tp, const View<T>& y, index_t slices,
                         const View<const T>& bias, const CallEpilogue<T>* epilogue) {
  const auto& ys = y.strides;
  for (index_t n = 0; n < y.shape[0]; ++n) {
    const View<T> yn(y.data + n * ys[0], {y.shape[2], y.shape[1], y.shape[3], y.shape[4]},
                     {ys[2], ys[1], ys[3], ys[4]});
    fill_past_reach(yn, {slices, tp.n[0] * tp.k[0], tp.n[1] * tp.k[1]}, bias, epilogue, n * ys[0]);
  }
}

// Run a transposed layer as one 1x1 layer (runs_stride_taps: tp is the
// plane's plan, for any batch) on 5-D views, with a layer object's packed
// weights or (packed == nullptr) packing per call, and the epilogue
// (nullptr: none) of the call whose out is `y`. False, having stored
// nothing, when a weight is Inf or NaN.
template <class T>
bool run_stride_taps(const TransposedPlan& tp, const View<const T>& x, const View<const T>& w5,
                     const View<const T>& bias, const View<T>& y, int threads_requested,
                     const PackedWeights<T>* packed = nullptr,
                     const CallEpilogue<T>* epilogue = nullptr) {
  const index_t batch = x.shape[0], depth = x.shape[2], kd = w5.shape[2];
  const index_t kh = tp.k[0], kw = tp.k[1];
  std::vector<index_t> channel_of;
  const LayerWeights<T> lw = stride_taps_weights(tp, w5, &channel_of);
  const std::vector<T> b = stride_taps_bias(channel_of, bias);
  const View<const T> bv =
      b.empty() ? View<const T>() : make_view<const T>(b.data(), {index_t(b.size())});
  std::vector<T> slopes;
  kernels::Epilogue<T> e{};
  const kernels::Epilogue<T>* ek = epilogue ? epilogue->kernel() : nullptr;
  if (ek) epilogue->rearrange(channel_of, e, slopes);
  // Each channel's output offset: its channel, then its phases.
  const auto& ys = y.strides;
  std::vector<index_t> channel_out;
  for (size_t m = 0; m < channel_of.size(); ++m) {
    const index_t phase = static_cast<index_t>(m) % (kd * kh * kw);
    channel_out.push_back(channel_of[m] * ys[1] + phase / (kh * kw) * ys[2] +
                          phase / kw % kh * ys[3] + phase % kw * ys[4]);
  }
  const View<const T> res = epilogue ? epilogue->residual() : View<const T>();
  if (phases_pointwise_applies(tp, x, y, kd)) {
    const index_t work = y.size() * tp.cin_g;  // multiply-adds
    if (!run_phases_pointwise(tp, x, y, lw, b, ek ? &e : nullptr, res,
                              detail::resolve_threads(threads_requested, work, 1)))
      return false;
    fill_past_reach_all(tp, y, depth * kd, bias, epilogue);
    return true;
  }
  // One run of the input's images: a 2-D layer's batch, else (depth
  // slices as images) one per batch item.
  const index_t images = depth == 1 ? batch : depth, runs_n = depth == 1 ? 1 : batch;
  const LayerPlan plan = stride_taps_plan(tp, kd, images);
  const LayerConf c = configure_layer_for<T>(plan);
  // (several runs: the weights packed once for all of them)
  std::unique_ptr<OwnedPackedWeights<T>> packed_here;
  if (!packed && runs_n > 1) {
    packed_here = pack_stride_taps(tp, w5, bias);
    if (!packed_here->finite) return false;
    packed = &packed_here->packed;
  }
  const bool use_packed = packed && packed->K == c.K && packed->R == c.R;
  std::vector<LayerRun<T>> runs;
  for (index_t n = 0; n < runs_n; ++n) {
    const int image_axis = depth == 1 ? 0 : 2;
    const View<const T> xi(x.data + n * x.strides[0], {images, tp.channels, tp.n[0], tp.n[1]},
                           {x.strides[image_axis], x.strides[1], x.strides[3], x.strides[4]});
    const index_t at = n * ys[0];
    const std::vector<index_t> out_strides = {depth == 1 ? ys[0] : kd * ys[2], ys[1], kh * ys[3],
                                              kw * ys[4]};
    const View<T> yi(y.data + at, {images, plan.out_channels, tp.n[0], tp.n[1]}, out_strides);
    if (use_packed)
      runs.emplace_back(c, plan, xi, bv, yi, *packed);
    else
      runs.emplace_back(c, plan, xi, bv, yi, lw);
    runs.back().channel_out = channel_out;
    // (a block's channels start at even m: R even)
    runs.back().channel_pairs = kw == 2 && ys[4] == 1 && c.R % 2 == 0;
    if (ek) {
      runs.back().epilogue = &e;
      if (res.data) runs.back().residual = View<const T>(res.data + at, yi.shape, yi.strides);
    }
  }
  const index_t work = y.size() * tp.cin_g;  // multiply-adds
  if (!run_layers(runs, detail::resolve_threads(threads_requested, work, 1),
                  /*finite_weights_only=*/true))
    return false;
  fill_past_reach_all(tp, y, depth * kd, bias, epilogue);
  return true;
}

// A transposed layer object's weights, packed per run, by (phi_h, phi_w).
// A call whose runs differ (an output smaller than the stride has fewer
// phases) packs the missing ones itself.
template <class T>
struct TransposedPacks {
  std::map<std::pair<index_t, index_t>, std::unique_ptr<OwnedPackedWeights<T>>> by_phase;
  std::unique_ptr<OwnedPackedWeights<T>> stride_taps;  // (runs_stride_taps: instead)
  bool finite = true;                                  // whether every weight is finite
};

template <class T>
TransposedPacks<T> pack_transposed(const TransposedPlan& tp, const View<const T>& w4,
                                   const View<const T>& bias) {
  TransposedPacks<T> packs;
  if (runs_stride_taps<T>(tp, 1)) {
    packs.stride_taps = pack_stride_taps(tp, with_depth(w4), bias);
    packs.finite = packs.stride_taps->finite;
    return packs;
  }
  for (const TransposedRun& r : transposed_runs(tp, pairs_columns<T>(tp.cout_g)).runs) {
    const LayerConf c = configure_layer_for<T>(r.plan, r.paired ? &r.pair : nullptr);
    auto owned = std::make_unique<OwnedPackedWeights<T>>(
        tp.groups, c.blocks, c.K, c.R, transposed_weights(tp, r, w4), bias, tp.cout_g);
    packs.finite = packs.finite && owned->finite;
    packs.by_phase[{r.phi_h, r.phi_w}] = std::move(owned);
  }
  return packs;
}

// Run a transposed plan (4-D views), with a layer object's packed weights
// or (packs == nullptr) packing per call, and the epilogue (nullptr: none).
template <class T>
void run_transposed_phases(const TransposedPlan& tp, const View<const T>& x, const View<const T>& w,
                           const View<const T>& bias, const View<T>& y, int threads_requested,
                           const TransposedPacks<T>* packs = nullptr,
                           const CallEpilogue<T>* epilogue = nullptr) {
  // (Inf or NaN weights: term by term, see transposed_by_definition)
  auto by_definition = [&] {
    transposed_by_definition(tp, x, w, bias, y);
    if (epilogue) epilogue->apply(y);
  };
  if (packs && !packs->finite) return by_definition();
  if (runs_stride_taps<T>(tp, 1)) {
    if (!run_stride_taps(tp, with_depth(x), with_depth(w), bias, with_depth(y), threads_requested,
                         packs && packs->stride_taps ? &packs->stride_taps->packed : nullptr,
                         epilogue))
      by_definition();
    return;
  }
  const TransposedRuns tr = transposed_runs(tp, pairs_columns<T>(tp.cout_g));
  if (tr.some_empty) {
    // (the runs overwrite the phases they compute, the epilogue included)
    for (index_t n = 0; n < tp.batch; ++n)
      for (index_t c = 0; c < tp.out_channels; ++c) {
        const T v = bias.data ? bias.data[c * bias.strides[0]] : T(0);
        T* plane = y.data + n * y.strides[0] + c * y.strides[1];
        for (index_t i = 0; i < tp.out[0]; ++i)
          for (index_t j = 0; j < tp.out[1]; ++j) plane[i * y.strides[2] + j * y.strides[3]] = v;
      }
    if (epilogue) epilogue->apply(y);
  }
  std::vector<LayerRun<T>> runs;
  index_t work = 0;  // multiply-adds
  for (const TransposedRun& r : tr.runs) {
    // The output of phase (phi_h, phi_w): the even phase's when paired.
    View<T> yp = y;
    yp.data += r.phi_h * y.strides[2] + std::max<index_t>(r.phi_w, 0) * y.strides[3];
    yp.shape[2] = r.ph.count;
    yp.shape[3] = r.pw.count;
    yp.strides[2] *= tp.s[0];
    yp.strides[3] *= tp.s[1];
    const LayerConf c = configure_layer_for<T>(r.plan, r.paired ? &r.pair : nullptr);
    const PackedWeights<T>* prepacked = nullptr;
    if (packs) {
      const auto it = packs->by_phase.find({r.phi_h, r.phi_w});
      if (it != packs->by_phase.end() && it->second->packed.K == c.K && it->second->packed.R == c.R)
        prepacked = &it->second->packed;
    }
    if (prepacked)
      runs.emplace_back(c, r.plan, x, bias, yp, *prepacked);
    else
      runs.emplace_back(c, r.plan, x, bias, yp, transposed_weights(tp, r, w));
    if (epilogue && epilogue->kernel()) {
      runs.back().epilogue = epilogue->kernel();
      if (epilogue->residual().data) {  // (the phase's part, as yp of y)
        View<const T> rp = as_4d(epilogue->residual());
        rp.data = rp.data + (yp.data - y.data);
        rp.shape = yp.shape;
        rp.strides = yp.strides;
        runs.back().residual = rp;
      }
    }
    work += yp.size() * c.K;
  }
  if (!run_layers(runs, detail::resolve_threads(threads_requested, work, 1),
                  /*finite_weights_only=*/true))
    by_definition();
}

}  // namespace fastconv::detail
