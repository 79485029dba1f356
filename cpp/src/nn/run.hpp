#pragma once
// A layer's run: tasks over (image, group, chunk of channel blocks, block
// of output rows, block of output columns) on the threads, each copying
// the input it reads, extended by the padding mode, into a small panel
// laid out so that the taps of consecutive output pixels are consecutive
// panel positions (stride-s columns split into s phases), then calling the
// configured kernel (nn/conf.hpp) over the packed weights (nn/packed.hpp).
// No im2col: the panel holds each input element once.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "nn/conf.hpp"
#include "nn/packed.hpp"
#include "nn/pointwise.hpp"
#include "parallel.hpp"

namespace fastconv::detail {

// Scratch memory that each thread keeps between calls (one buffer per
// slot and element type): fresh pages cost a fault each, which on the
// machines measured took as long as packing a layer's weights. Larger
// requests than kKeptBytes get memory of their own, freed by `owned`.
constexpr size_t kKeptBytes = size_t(64) << 20;

template <class T, int Slot>
T* scratch(size_t n, std::unique_ptr<T[]>& owned) {
  static thread_local std::vector<T> kept;
  if (n * sizeof(T) > kKeptBytes) {
    owned.reset(new T[n]);
    return owned.get();
  }
  if (kept.size() < n) kept.resize(n);
  return kept.data();
}

// What a thread needs to run tasks: a panel, the partial sums of a pass
// and the pieces of a task's outputs.
struct ScratchSizes {
  size_t panel = 0, partial = 0, pieces = 0, pixels = 0;
  void include(const ScratchSizes& o) {
    panel = std::max(panel, o.panel);
    partial = std::max(partial, o.partial);
    pieces = std::max(pieces, o.pieces);
    pixels = std::max(pixels, o.pixels);
  }
};

template <class T>
struct ThreadScratch {
  explicit ThreadScratch(const ScratchSizes& s)
      : panel(scratch<T, 1>(s.panel, panel_owned)),
        partial(scratch<T, 2>(s.partial, partial_owned)),
        x_base(scratch<index_t, 3>(3 * s.pieces + s.pixels, index_owned)),
        out_off(x_base + s.pieces),
        lanes(out_off + s.pieces),
        pixel_out(lanes + s.pieces) {}
  std::unique_ptr<T[]> panel_owned, partial_owned;
  std::unique_ptr<index_t[]> index_owned;
  T* panel;
  T* partial;
  // The wide kernels' pieces of a task (kept memory too: a tiny layer's
  // call would spend a tenth of its time allocating them).
  index_t *x_base, *out_off, *lanes, *pixel_out;
  // The panel's first edges_rows rows hold zeros outside the input for
  // the tasks of run edges_of, column block edges_cb (zero padding).
  const void* edges_of = nullptr;
  index_t edges_cb = -1, edges_rows = 0;
};

// One layer -- or one output phase of a transposed layer -- on one call's
// arrays: its configuration, the geometry of the call's tasks and the
// packed weights, either its own (packed by run_layers) or a layer
// object's. With a ColumnPair, `output` is the even phase (its column step
// that of one phase) and the weights list the even phase's taps, then the
// odd's.
template <class T>
struct LayerRun : LayerConf {
  // Weights packed per call, from `w`.
  LayerRun(const LayerConf& conf, const LayerPlan& plan, View<const T> input, View<const T> b,
           View<T> output, LayerWeights<T> w);
  // Weights packed before (a layer object's: of this configuration's K, R).
  LayerRun(const LayerConf& conf, const LayerPlan& plan, View<const T> input, View<const T> b,
           View<T> output, const PackedWeights<T>& prepacked);

  index_t taps() const { return K; }
  // Channel blocks to pack (none with weights packed before).
  index_t pack_tasks() const { return packed_here ? p.groups * blocks : 0; }
  // Split the channel blocks into chunks when there are too few tasks
  // for `threads` in all (`spatial_tasks_all`, this run's and others').
  void split(int threads, index_t spatial_tasks_all);
  index_t tasks() const { return spatial_tasks * chunks; }
  ScratchSizes scratch_sizes() const;
  void run(index_t task, ThreadScratch<T>& s) const;
  // The planes kernel on a task's panel: channel blocks [b0, b1) (one
  // channel each) of every output row, the row's pixels in place.
  void run_planes(const ThreadScratch<T>& s, index_t n, index_t g, index_t b0, index_t b1,
                  index_t r0, index_t rows, index_t c0, index_t cols) const;

  LayerPlan p;
  View<const T> in, bias;
  View<T> out;
  LayerWeights<T> weights;  // (weights packed here)
  bool packed_here;
  PackedWeights<T> packed;           // data set by run_layers when packed here
  std::vector<T> own_bias;           // the packed bias, when packed here
  kernels::ConvKernel<T> kernel_fn;  // (the configuration's `kernel`)
  std::vector<index_t> x_off;
  index_t spatial_tasks, chunks = 1, per_chunk;
  // Per column block: the input column of every panel position through
  // the padding rule (-1: a zero), per phase the positions [lo, hi) that
  // lie inside the input, and the positions [j0, j1) inside in every phase
  // (empty when no phase's span ends inside another's).
  std::vector<index_t> col_maps;
  std::vector<std::pair<index_t, index_t>> insides, all_inside;
  // Strided layers on unit input column steps: the positions inside in
  // every phase are copied by one pass over their input columns (nullptr:
  // phase by phase).
  kernels::DeinterleaveKernel<T> deinterleave_fn = nullptr;
  // Channels-last input (one group, unit column steps): each row's inside
  // positions of every channel copied into the channel planes at once,
  // not channel by channel at stride cin_g (nullptr: channel by channel).
  kernels::DeinterleaveKernel<T> channels_last_fn = nullptr;
  // The narrow kernels' pieces of a task's outputs, the same for every
  // task of a column block (a task of fewer rows takes a prefix): per
  // column block from narrow_at[cb], row by row, the pieces' x_base,
  // out_off (from the task's first output) and lanes.
  std::vector<index_t> narrow_at, narrow_x_base, narrow_out_off, narrow_lanes;

  index_t rows_in(index_t rows) const { return (rows - 1) * p.sh + (p.kh - 1) * p.dh + 1; }

  // The call's fused epilogue (nullptr: none) and its residual (data ==
  // nullptr: none), laid out with out's strides (nn/epilogue.hpp).
  const kernels::Epilogue<T>* epilogue = nullptr;
  View<const T> residual;
  // Wide kernels: each output channel's offset in out (and the residual)
  // when not channel * out.strides[1] (empty: that), see ConvTask::ch_out.
  std::vector<index_t> channel_out;
  bool channel_pairs = false;  // (ConvTask::ch_pairs)

 private:
  void lay_out();  // the task geometry (both constructors)
};

// The kernel that a configuration names, for T.
template <class T>
kernels::ConvKernel<T> layer_kernel(LayerKernel k) {
  const kernels::ConvKernels<T> simd = kernels::conv_kernels<T>(kernels::active_table());
  switch (k) {
    case LayerKernel::wide:
      return simd.wide;
    case LayerKernel::half:
      return simd.half;
    case LayerKernel::narrow:
      return simd.narrow;
    case LayerKernel::rows:
      return simd.rows;
    case LayerKernel::paired:
      return simd.paired;
    case LayerKernel::planes:
      return simd.pointwise;
    case LayerKernel::portable:
      break;
  }
  return &kernels::portable_conv<T>;
}

// The configuration of a plan for T on the active table (conv: a conv
// layer's own run, which the planes kernel may take).
template <class T>
LayerConf configure_layer_for(const LayerPlan& p, const ColumnPair* pair = nullptr,
                              bool conv = false) {
  const kernels::KernelTable& table = kernels::active_table();
  return configure_layer(p, table, sizeof(T), kernels::conv_kernels<T>(table).wide != nullptr, pair,
                         conv);
}

template <class T>
LayerRun<T>::LayerRun(const LayerConf& conf, const LayerPlan& plan, View<const T> input,
                      View<const T> b, View<T> output, LayerWeights<T> w)
    : LayerConf(conf),
      p(plan),
      in(std::move(input)),
      bias(std::move(b)),
      out(std::move(output)),
      weights(std::move(w)),
      packed_here(true),
      packed{p.groups, blocks, K, R, nullptr, nullptr} {
  lay_out();
}

template <class T>
LayerRun<T>::LayerRun(const LayerConf& conf, const LayerPlan& plan, View<const T> input,
                      View<const T> b, View<T> output, const PackedWeights<T>& prepacked)
    : LayerConf(conf),
      p(plan),
      in(std::move(input)),
      bias(std::move(b)),
      out(std::move(output)),
      packed_here(false),
      packed(prepacked) {
  lay_out();
}

template <class T>
void LayerRun<T>::lay_out() {
  // (the planes kernel stores whole vectors of a row: run_direct asks for
  // it only where out has unit column steps)
  if (kernel == LayerKernel::planes && out.strides[3] != 1)
    throw std::logic_error("fastconv: the planes kernel needs unit output column steps");
  kernel_fn = layer_kernel<T>(kernel);
  // (each kernel column's panel offset once: a division costs a tiny
  // layer's call more than its taps)
  std::vector<index_t> col_off(static_cast<size_t>(p.kw));
  for (index_t kq = 0; kq < p.kw; ++kq)
    col_off[kq] =
        (kq * p.dw) % p.sw * phase_len + kq * p.dw / p.sw + (paired ? pair.shift_even : 0);
  x_off.resize(static_cast<size_t>(K_even));
  index_t* xo = x_off.data();
  for (index_t c = 0; c < p.cin_g; ++c)
    for (index_t kp = 0; kp < p.kh; ++kp)
      for (index_t kq = 0; kq < p.kw; ++kq) *xo++ = c * ch_len + kp * p.dh * row_len + col_off[kq];
  if (paired)  // (p.sw == 1)
    for (index_t c = 0; c < p.cin_g; ++c)
      for (index_t kp = 0; kp < p.kh; ++kp)
        for (index_t kq = 0; kq < pair.taps; ++kq)
          x_off.push_back(c * ch_len + kp * p.dh * row_len + pair.shift_odd + kq * p.dw);

  spatial_tasks = p.batch * p.groups * row_blocks * col_blocks;
  per_chunk = blocks;

  col_maps.resize(static_cast<size_t>(col_blocks * row_len));
  insides.resize(static_cast<size_t>(col_blocks * p.sw));
  for (index_t cb = 0; cb < col_blocks; ++cb) {
    const index_t first_col = cb * col_block * p.sw - p.pad_left;
    for (index_t f = 0; f < p.sw; ++f) {
      const index_t base = first_col + f;  // the column of position 0
      for (index_t j = 0; j < phase_len; ++j)
        col_maps[cb * row_len + f * phase_len + j] = map_padded(base + j * p.sw, p.w, p.mode);
      const index_t lo = std::min(phase_len, base >= 0 ? 0 : (-base + p.sw - 1) / p.sw);
      const index_t hi = base < p.w ? std::min(phase_len, (p.w - base + p.sw - 1) / p.sw) : 0;
      insides[cb * p.sw + f] = {lo, std::max(lo, hi)};
    }
    index_t j0 = 0, j1 = phase_len;
    for (index_t f = 0; f < p.sw; ++f) {
      j0 = std::max(j0, insides[cb * p.sw + f].first);
      j1 = std::min(j1, insides[cb * p.sw + f].second);
    }
    all_inside.emplace_back(j0, std::max(j0, j1));
  }
  if (p.sw > 1 && in.strides[3] == 1)
    deinterleave_fn = kernels::deinterleave_kernel<T>(kernels::active_table());
  if (p.sw == 1 && p.cin_g > 1 && in.strides[1] == 1 && in.strides[3] == p.cin_g)
    channels_last_fn = kernels::deinterleave_kernel<T>(kernels::active_table());

  if (!wide_kernel && kernel != LayerKernel::planes)
    for (index_t cb = 0; cb < col_blocks; ++cb) {
      narrow_at.push_back(static_cast<index_t>(narrow_x_base.size()));
      const index_t c0 = cb * col_block, cols = std::min(col_block, p.ow - c0);
      for (index_t r = 0; r < row_block; ++r)
        for (index_t c = 0; c < cols; c += piece) {
          // A row's last vector, if partial, computes the last `piece`
          // outputs instead (the same sums for those that the vector
          // before computed too): it stores a whole vector.
          const index_t at = !paired && c + piece > cols && cols >= piece ? cols - piece : c;
          narrow_x_base.push_back(r * p.sh * row_len + at);
          narrow_out_off.push_back(r * out.strides[2] + at * out.strides[3]);
          narrow_lanes.push_back(paired ? std::min(2 * piece, pair.columns - 2 * (c0 + c))
                                        : std::min(piece, cols - at));
        }
    }
}

template <class T>
void LayerRun<T>::split(int threads, index_t spatial_tasks_all) {
  // (a chunk re-reads the panel; the sums stay the same whatever the split)
  chunks = threads == 1
               ? 1
               : std::min(blocks, std::max<index_t>(1, (4 * threads + spatial_tasks_all - 1) /
                                                           spatial_tasks_all));
  per_chunk = (blocks + chunks - 1) / chunks;
}

template <class T>
ScratchSizes LayerRun<T>::scratch_sizes() const {
  ScratchSizes s;
  s.panel = panel_size;
  // (pieces across rows: at most one more per row than within rows)
  s.pieces = wide_kernel ? static_cast<size_t>(row_block * ((row_len + piece - 1) / piece + 1)) : 0;
  s.pixels = s.pieces * static_cast<size_t>(piece);
  s.partial = taps_per_pass < K ? s.pieces * static_cast<size_t>(piece * R) : 0;
  return s;
}

template <class T>
void LayerRun<T>::run(index_t task, ThreadScratch<T>& s) const {
  index_t rem = task;
  const index_t cb = rem % col_blocks;
  rem /= col_blocks;
  const index_t rb = rem % row_blocks;
  rem /= row_blocks;
  const index_t chunk = rem % chunks;
  rem /= chunks;
  const index_t g = rem % p.groups;
  const index_t n = rem / p.groups;
  const index_t c0 = cb * col_block, cols = std::min(col_block, p.ow - c0);
  const index_t r0 = rb * row_block, rows = std::min(row_block, p.oh - r0);
  const index_t b0 = chunk * per_chunk, b1 = std::min(blocks, b0 + per_chunk);
  if (b0 >= b1) return;

  // The panel: each phase's positions [lo, hi) read input columns inside
  // the input, at a fixed step; the others go through the padding rule
  // (col_map; -1: a zero).
  const index_t* col_map = col_maps.data() + cb * row_len;
  const auto* inside = insides.data() + cb * p.sw;
  const index_t first_row = r0 * p.sh - p.pad_top;
  const index_t used_rows = rows_in(rows);
  // Zero padding: the positions outside are zeros, and nothing but this
  // copy writes the panel, so rows whose outside positions an earlier task
  // of this run and column block zeroed keep them (a wholly padded row
  // zeroes them too).
  const bool zeros = p.mode == PaddingMode::zeros;
  if (s.edges_of != this || s.edges_cb != cb) {
    s.edges_of = this;
    s.edges_cb = cb;
    s.edges_rows = 0;
  }
  const index_t zeroed_rows = zeros ? s.edges_rows : 0;
  // (rows outer: a row's padding rule once for all its channels, which
  // a tiny layer's many channels of one row feel)
  for (index_t r = 0; r < used_rows; ++r) {
    const index_t ri = map_padded(first_row + r, p.h, p.mode);
    for (index_t c = 0; c < p.cin_g; ++c) {
      T* dst = s.panel + c * ch_len + r * row_len;
      if (ri < 0) {
        std::fill(dst, dst + row_len, T(0));
        continue;
      }
      const T* xr =
          in.data + n * in.strides[0] + (g * p.cin_g + c) * in.strides[1] + ri * in.strides[2];
      const index_t xs_w = in.strides[3];
      // The positions [j0, j1) of every phase at once (unit column steps:
      // input columns col_map[j0] on), the rest of each phase's inside
      // span below phase by phase.
      auto [j0, j1] = all_inside[cb];
      if (deinterleave_fn && j1 > j0)
        deinterleave_fn(xr + col_map[j0], j1 - j0, p.sw, dst + j0, phase_len);
      else
        j0 = j1 = 0;
      for (index_t f = 0; f < p.sw; ++f) {
        T* d = dst + f * phase_len;
        const index_t* cm = col_map + f * phase_len;
        const auto [lo, hi] = inside[f];
        if (zeros) {
          if (r >= zeroed_rows) {
            std::fill(d, d + lo, T(0));
            std::fill(d + hi, d + phase_len, T(0));
          }
        } else {
          for (index_t j = 0; j < lo; ++j) d[j] = cm[j] < 0 ? T(0) : xr[cm[j] * xs_w];
          for (index_t j = hi; j < phase_len; ++j) d[j] = cm[j] < 0 ? T(0) : xr[cm[j] * xs_w];
        }
        // Positions [a, b) inside the input, at a fixed step.
        auto copy_inside = [&](index_t a, index_t b) {
          if (b <= a) return;
          const T* src = xr + cm[a] * xs_w;
          const index_t step = p.sw * xs_w;
          if (step == 1 && b - a > 8)  // (a few: no library call)
            std::copy(src, src + (b - a), d + a);
          else
            for (index_t j = a; j < b; ++j) d[j] = src[(j - a) * step];
        };
        if (!channels_last_fn) {
          copy_inside(lo, std::min(hi, j0));
          copy_inside(std::max(lo, j1), hi);
        }
      }
    }
  }
  if (channels_last_fn) {
    const auto [lo, hi] = inside[0];
    for (index_t r = 0; r < used_rows && hi > lo; ++r) {
      const index_t ri = map_padded(first_row + r, p.h, p.mode);
      if (ri < 0) continue;
      const T* xr = in.data + n * in.strides[0] + g * p.cin_g * in.strides[1] + ri * in.strides[2] +
                    col_map[lo] * in.strides[3];
      channels_last_fn(xr, hi - lo, p.cin_g, s.panel + r * row_len + lo, ch_len);
    }
  }
  s.edges_rows = std::max(s.edges_rows, used_rows);
  if (kernel == LayerKernel::planes) return run_planes(s, n, g, b0, b1, r0, rows, c0, cols);

  // The pieces of the task's outputs. Narrow kernels: vectors along each
  // row, from the tables planned with the run. Wide kernel: nearly equal
  // runs of at most `piece` pixels per row; rows narrower than half a run
  // take runs of `piece` panel positions across rows (with unit strides
  // the rows follow each other in the panel, row_len apart): the
  // row_len - cols positions between rows are then computed for nothing,
  // but the runs stay long.
  index_t nv = 0;
  const index_t vec_row = (cols + piece - 1) / piece;  // (narrow kernels)
  const index_t *x_base = s.x_base, *out_off = s.out_off, *lanes = s.lanes;
  if (!wide_kernel) {
    const auto at = static_cast<size_t>(narrow_at[cb]);
    x_base = narrow_x_base.data() + at;
    out_off = narrow_out_off.data() + at;
    lanes = narrow_lanes.data() + at;
    nv = rows * vec_row;
  } else {
    auto position_out = [&](index_t r, index_t c) {
      return c < cols ? r * out.strides[2] + c * out.strides[3] : kernels::kNoOutput;
    };
    if (p.sh == 1 && p.sw == 1 && 2 * cols < piece) {
      const index_t total = (rows - 1) * row_len + cols;
      for (index_t q = 0; q < total; q += piece, ++nv) {
        s.x_base[nv] = q;
        s.lanes[nv] = std::min(piece, total - q);
        for (index_t l = 0; l < s.lanes[nv]; ++l)
          s.pixel_out[nv * piece + l] = position_out((q + l) / row_len, (q + l) % row_len);
      }
    } else {
      const index_t pieces = (cols + piece - 1) / piece;
      const index_t run = (cols + pieces - 1) / pieces;
      for (index_t r = 0; r < rows; ++r)
        for (index_t c = 0; c < cols; c += run, ++nv) {
          s.x_base[nv] = r * p.sh * row_len + c;
          s.lanes[nv] = std::min(run, cols - c);
          for (index_t l = 0; l < s.lanes[nv]; ++l)
            s.pixel_out[nv * piece + l] = position_out(r, c + l);
        }
    }
  }
  const bool own_offsets = !channel_out.empty();
  for (index_t b = b0; b < b1; ++b) {
    const index_t o0 = g * p.cout_g + b * R;
    const index_t o0_at = own_offsets ? 0 : o0;  // (else in channel_out)
    const T* wb = packed.data + (g * blocks + b) * K * R;
    for (index_t k0 = 0; k0 < K; k0 += taps_per_pass) {
      const index_t k1 = std::min(K, k0 + taps_per_pass);
      kernels::ConvTask<T> t{s.panel,
                             x_base,
                             x_off.data() + k0,
                             k1 - k0,
                             wb + k0 * R,
                             packed.bias ? packed.bias + (g * blocks + b) * R : nullptr,
                             std::min(R, p.cout_g - b * R),
                             nv,
                             lanes,
                             out_off,
                             s.pixel_out,
                             out.data + n * out.strides[0] + o0_at * out.strides[1] +
                                 r0 * out.strides[2] + c0 * out.strides[3],
                             out.strides[1],
                             out.strides[3],
                             s.partial,
                             k0 == 0,
                             k1 == K};
      t.kh = p.kh;  // (for the rows kernel)
      t.kw = p.kw;
      t.row_step = row_len;
      t.vec_row = vec_row;
      if (own_offsets) {
        t.ch_out = channel_out.data() + o0;
        t.ch_pairs = channel_pairs;
      }
      if (epilogue) {
        t.epilogue = epilogue;
        t.slopes = epilogue->slopes ? epilogue->slopes + o0 : nullptr;
        if (residual.data)
          t.res = residual.data + n * residual.strides[0] + o0_at * residual.strides[1] +
                  r0 * residual.strides[2] + c0 * residual.strides[3];
      }
      if (paired) {  // (one pass: the narrow kernel)
        t.K = K_even;
        t.x_off2 = x_off.data() + K_even;
        t.w2 = wb + K_even;
        t.K2 = K - K_even;
      }
      kernel_fn(t);
    }
  }
}

template <class T>
void LayerRun<T>::run_planes(const ThreadScratch<T>& s, index_t n, index_t g, index_t b0,
                             index_t b1, index_t r0, index_t rows, index_t c0, index_t cols) const {
  // (R = 1: block b is output channel b of the group, its K taps in order)
  const index_t o0 = g * p.cout_g + b0;
  for (index_t r = 0; r < rows; ++r) {
    const index_t at =
        n * out.strides[0] + o0 * out.strides[1] + (r0 + r) * out.strides[2] + c0 * out.strides[3];
    const T* res = residual.data
                       ? residual.data + n * residual.strides[0] + o0 * residual.strides[1] +
                             (r0 + r) * residual.strides[2] + c0 * residual.strides[3]
                       : nullptr;  // (beyond its base, at the output's offsets)
    kernel_fn(pointwise_task(s.panel + r * p.sh * row_len, x_off.data(), K,
                             packed.data + (g * blocks + b0) * K,
                             packed.bias ? packed.bias + g * blocks + b0 : nullptr, o0, b1 - b0,
                             cols, out.data + at, out.strides[1], epilogue, res));
  }
}

// Pack the weights of every run that packs its own (by all threads when
// they are many: a layer's weights can take a tenth of its time to
// reorder), then run all their tasks on one team of threads. With
// `finite_weights_only`, weights holding Inf or NaN run nothing and give
// false.
template <class T>
bool run_layers(std::vector<LayerRun<T>>& runs, int threads, bool finite_weights_only = false) {
  size_t packed_total = 0;
  index_t spatial_total = 0, pack_tasks = 0;
  std::unique_ptr<T[]> packed_owned;
  for (const LayerRun<T>& r : runs) {
    if (r.packed_here) packed_total += r.packed.size();
    spatial_total += r.spatial_tasks;
    pack_tasks = std::max(pack_tasks, r.pack_tasks());
  }
  T* memory = scratch<T, 0>(packed_total, packed_owned);
  for (LayerRun<T>& r : runs) {
    if (!r.packed_here) continue;
    r.packed.data = memory;
    memory += r.packed.size();
    if (r.bias.data) {
      r.own_bias.resize(r.packed.bias_size());
      r.packed.bias = r.own_bias.data();
    }
  }
  // Channel block gb of every run in turn: the phases of a transposed
  // layer read the same weights, which then come from cache.
  std::vector<char> finite(static_cast<size_t>(pack_tasks), 1);
  detail::parallel_tasks(
      pack_tasks, packed_total >= (size_t(1) << 18) ? threads : 1,
      [&](const detail::TaskLoop& for_each_block) {
        for_each_block([&](index_t gb) {
          for (LayerRun<T>& r : runs)
            if (gb < r.pack_tasks() &&
                !r.packed.pack(gb, r.weights, r.bias, r.p.cout_g, finite_weights_only))
              finite[gb] = 0;
        });
      });
  if (finite_weights_only && std::find(finite.begin(), finite.end(), 0) != finite.end())
    return false;

  std::vector<index_t> first_task{0};  // each run's first task
  ScratchSizes sizes;
  for (LayerRun<T>& r : runs) {
    r.split(threads, spatial_total);
    first_task.push_back(first_task.back() + r.tasks());
    sizes.include(r.scratch_sizes());
  }
  detail::parallel_tasks(first_task.back(), threads, [&](const detail::TaskLoop& for_each_task) {
    ThreadScratch<T> s(sizes);
    for_each_task([&](index_t task) {
      const auto i = static_cast<size_t>(
          std::upper_bound(first_task.begin(), first_task.end(), task) - first_task.begin() - 1);
      runs[i].run(task - first_task[i], s);
    });
  });
  return true;
}

}  // namespace fastconv::detail
