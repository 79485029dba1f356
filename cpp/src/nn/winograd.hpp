#pragma once
// Winograd's minimal filtering for 3x3, stride-1, dilation-1 layers
// (F(2x2, 3x3) and F(4x4, 3x3), kernels/winograd_matrices.hpp): 16 or 36
// products per 4 or 16 outputs where direct convolution takes 9 per
// output. The weights are transformed once per layer object (per call in
// the one-call functions); tasks over (image, group, block of tiles, chunk
// of output channels) copy the input the tiles read into a channels-last
// panel, then run the ISA's kernel (winograd_kernel-inl.hpp): input
// transform, products as GEMMs over the input channels, output transform
// with the bias (with few blocks of tiles, the copies and input
// transforms run first, shared by the chunks: run_winograd). Accurate
// normwise, not per element (docs/conventions.md).
// An image whose tiles give an Inf or NaN is computed directly instead,
// so Inf and NaN give what direct convolution gives.
#include <algorithm>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include "kernels/kernels.hpp"
#include "nn/plan.hpp"
#include "nn/run.hpp"
#include "parallel.hpp"

namespace fastconv::detail {

// "auto" takes Winograd from this many channels per group in and out
// (fewer: the transforms cost more than the products save).
constexpr index_t kWinogradMinChannels = 8;

// The most input transforms a run keeps for its output-channel chunks to
// share (more: each chunk's task makes its own).
constexpr index_t kMaxSharedInputBytes = index_t(32) << 20;

// The Winograd variant a plan runs for T -- 0: F(2x2, 3x3), 1: F(4x4,
// 3x3) -- or -1: direct convolution. F(4x4) on maps of 8 outputs or more
// each way, F(2x2) on smaller ones (whose 4x4 tiles would be mostly cut).
template <class T>
constexpr bool kHasWinograd = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <class T>
int winograd_variant(const LayerPlan& p) {
  if (p.algorithm == ConvAlgorithm::direct) return -1;
  if (p.algorithm == ConvAlgorithm::winograd && !kHasWinograd<T>)
    throw std::invalid_argument("algorithm: 'winograd' needs float or double elements");
  if (p.algorithm == ConvAlgorithm::automatic &&
      (!kHasWinograd<T> || !winograd_shape(p) || p.cin_g < kWinogradMinChannels ||
       p.cout_g < kWinogradMinChannels || p.oh < 2 || p.ow < 2))
    return -1;
  return std::min(p.oh, p.ow) >= 8 ? 1 : 0;
}

inline int winograd_m(int variant) { return variant == 1 ? 4 : 2; }

// A layer's transformed weights for one variant: per group g, product e
// (of alpha^2), block b of NB output channels (the kernel's block; cout_g
// rounded up to whole blocks, the rest zero) and input channel c, the NB
// channels at U[(((g*E + e)*blocks + b)*Cp + c)*NB]; Cp: cin_g rounded up
// to whole vectors. The bias, if any, Op = blocks*NB per group.
template <class T>
struct WinogradWeights {
  int variant = 0;
  index_t Cp = 0, NB = 0, blocks = 0, Op = 0;
  std::vector<T> U, bias;
  bool finite = true;  // every transformed weight finite
};

// G g G^T of every 3x3 kernel, computed in double (the ISA's kernel, a
// block of NB output channels at a time) and rounded once to T. Tasks over
// (group, block, chunk of input channels); a chunk's products are kept so
// that each product's rows of U are written in one contiguous run (U's
// products lie far apart: one pass per kernel would touch E pages each).
template <class T>
void transform_kernels(const LayerPlan& p, const View<const T>& w, WinogradWeights<T>& out,
                       int threads) {
  constexpr index_t kChunk = 16;  // input channels per task
  const index_t E = (winograd_m(out.variant) + 2) * (winograd_m(out.variant) + 2);
  const kernels::WinogradWeightsKernel kernel =
      kernels::active_table().winograd_weights[out.variant];
  const index_t NB = out.NB, step = out.blocks * out.Cp * NB;  // (between products)
  const index_t chunks = (p.cin_g + kChunk - 1) / kChunk;
  const index_t tasks = p.groups * out.blocks * chunks;
  std::vector<char> task_nonfinite(static_cast<size_t>(tasks), 0);
  parallel_tasks(tasks, threads, [&](const TaskLoop& for_each_task) {
    std::vector<double> taps(static_cast<size_t>(9 * NB), 0.0);
    std::vector<double> products(static_cast<size_t>(kChunk * E * NB));
    for_each_task([&](index_t task) {
      const index_t chunk = task % chunks, b = task / chunks % out.blocks,
                    g = task / chunks / out.blocks;
      const index_t c0 = chunk * kChunk, c1 = std::min(p.cin_g, c0 + kChunk);
      const index_t channels = std::min(NB, p.cout_g - b * NB);
      for (index_t c = c0; c < c1; ++c) {
        for (index_t j = 0; j < channels; ++j) {
          const T* k = w.data + (g * p.cout_g + b * NB + j) * w.strides[0] + c * w.strides[1];
          for (index_t i = 0; i < 9; ++i)
            taps[i * NB + j] = static_cast<double>(k[i / 3 * w.strides[2] + i % 3 * w.strides[3]]);
        }
        kernel(taps.data(), NB, products.data() + (c - c0) * E * NB);
      }
      bool finite = true;
      T* dst = out.U.data() + ((g * E * out.blocks + b) * out.Cp + c0) * NB;
      for (index_t e = 0; e < E; ++e) {
        T* row = dst + e * step;
        for (index_t c = 0; c < c1 - c0; ++c) {
          const double* from = products.data() + (c * E + e) * NB;
          for (index_t j = 0; j < channels; ++j) row[c * NB + j] = static_cast<T>(from[j]);
        }
        finite = finite && all_finite(row, (c1 - c0) * NB);
      }
      task_nonfinite[task] = !finite;
    });
  });
  out.finite = std::none_of(task_nonfinite.begin(), task_nonfinite.end(), [](char c) { return c; });
}

template <class T>
WinogradWeights<T> transform_winograd_weights(const LayerPlan& p, int variant,
                                              const View<const T>& w, const View<const T>& bias,
                                              int threads) {
  const kernels::KernelTable& table = kernels::active_table();
  const index_t L = table.vec_bytes / static_cast<index_t>(sizeof(T));
  const index_t block = table.conv_channel_vecs * L;
  const index_t A = winograd_m(variant) + 2;
  WinogradWeights<T> out;
  out.variant = variant;
  out.Cp = (p.cin_g + L - 1) / L * L;
  out.NB = block;
  out.blocks = (p.cout_g + block - 1) / block;
  out.Op = out.blocks * block;
  out.U.assign(static_cast<size_t>(p.groups * A * A * out.Cp * out.Op), T(0));
  transform_kernels(p, w, out, threads);
  if (bias.data) {
    out.bias.assign(static_cast<size_t>(p.groups * out.Op), T(0));
    for (index_t g = 0; g < p.groups; ++g)
      for (index_t o = 0; o < p.cout_g; ++o)
        out.bias[g * out.Op + o] = bias.data[(g * p.cout_g + o) * bias.strides[0]];
  }
  return out;
}

// A layer object's transformed weights, made on first use of each variant.
template <class T>
class WinogradCache {
 public:
  const WinogradWeights<T>& get(const LayerPlan& p, int variant, const View<const T>& w,
                                const View<const T>& bias, int threads) const {
    std::call_once(once_[variant], [&] {
      weights_[variant] = std::make_unique<const WinogradWeights<T>>(
          transform_winograd_weights(p, variant, w, bias, threads));
    });
    return *weights_[variant];
  }

 private:
  mutable std::once_flag once_[2];
  mutable std::unique_ptr<const WinogradWeights<T>> weights_[2];
};

// Run a plan with Winograd on 4-D views, with the epilogue (nullptr:
// none) and its residual (4-D, out's strides; data nullptr: none) fused
// into the output transform; returns, per image, whether its tiles gave an
// Inf or NaN before the epilogue (the image's output is then to be
// computed directly).
template <class T>
std::vector<char> run_winograd(const LayerPlan& p, const View<const T>& in,
                               const WinogradWeights<T>& ww, const View<T>& out, int threads,
                               const kernels::Epilogue<T>* epilogue,
                               const View<const T>& residual) {
  const kernels::KernelTable& table = kernels::active_table();
  const kernels::WinogradKernel<T> kernel = kernels::winograd_kernel<T>(table, ww.variant);
  const index_t m = winograd_m(ww.variant), A = m + 2, E = A * A;
  const index_t L = table.vec_bytes / static_cast<index_t>(sizeof(T));
  const index_t block = table.conv_channel_vecs * L;
  // Tiles per task: about two of the product kernel's register blocks,
  // whole tile rows where they are short.
  const index_t tiles_y = (p.oh + m - 1) / m, tiles_x = (p.ow + m - 1) / m;
  const index_t per_task = 2 * table.conv_pixels;
  const index_t tcols = std::min(tiles_x, per_task);
  const index_t trows = std::clamp((per_task + tcols - 1) / tcols, index_t(1), tiles_y);
  const index_t row_blocks = (tiles_y + trows - 1) / trows,
                col_blocks = (tiles_x + tcols - 1) / tcols;
  const index_t spatial_tasks = p.batch * p.groups * row_blocks * col_blocks;
  const index_t o_blocks = ww.Op / block;
  const index_t chunks =
      threads == 1 ? 1
                   : std::min(o_blocks, std::max<index_t>(
                                            1, (4 * threads + spatial_tasks - 1) / spatial_tasks));
  const index_t per_chunk = (o_blocks + chunks - 1) / chunks;
  const index_t pr = trows * m + 2, pc = tcols * m + 2;
  const index_t panel_row = pc * ww.Cp;
  const size_t panel_size = static_cast<size_t>(pr * panel_row);
  const size_t v_size = static_cast<size_t>(E * trows * tcols * ww.Cp);
  const size_t m_size = static_cast<size_t>(E * trows * tcols * per_chunk * block);
  // Input index i of an axis of n through the padding; zero past the
  // padded input (read only by the cut tiles' outputs, never stored).
  auto padded = [&](index_t i, index_t n, index_t before, index_t after) {
    return i < -before || i >= n + after ? index_t(-1) : map_padded(i, n, p.mode);
  };
  const index_t pad_bottom = p.oh + 2 - p.h - p.pad_top, pad_right = p.ow + 2 - p.w - p.pad_left;
  std::vector<index_t> col_map(static_cast<size_t>(col_blocks * pc));
  for (index_t cb = 0; cb < col_blocks; ++cb)
    for (index_t x = 0; x < pc; ++x)
      col_map[cb * pc + x] = padded(cb * tcols * m + x - p.pad_left, p.w, p.pad_left, pad_right);

  // The panel of a block of tiles (rows and columns they read, channels
  // last), channels [c0, c1) of it (past cin_g: zeros).
  const kernels::PlanesToRowsKernel<T> planes_to_rows_fn =
      kernels::planes_to_rows_kernel<T>(kernels::active_table());
  auto fill_panel = [&](T* panel, index_t n, index_t g, index_t rb, index_t cb, index_t c0,
                        index_t c1) {
    const index_t ty0 = rb * trows, tx0 = cb * tcols;
    const index_t rows = std::min(trows, tiles_y - ty0) * m + 2,
                  cols = std::min(tcols, tiles_x - tx0) * m + 2;
    const index_t* cm = col_map.data() + cb * pc;
    const index_t c_in = std::min(c1, p.cin_g);  // (channels past cin_g are zero)
    if (in.strides[1] == 1) {
      // Channels-last input: a pixel's channels are side by side, as in
      // the panel.
      const T* xg = in.data + n * in.strides[0] + g * p.cin_g * in.strides[1];
      for (index_t r = 0; r < rows; ++r) {
        T* dst = panel + r * panel_row;
        const index_t ri = padded(ty0 * m + r - p.pad_top, p.h, p.pad_top, pad_bottom);
        for (index_t x = 0; x < cols; ++x) {
          if (ri < 0 || cm[x] < 0)
            std::fill(dst + x * ww.Cp + c0, dst + x * ww.Cp + c_in, T(0));
          else
            std::copy(xg + ri * in.strides[2] + cm[x] * in.strides[3] + c0,
                      xg + ri * in.strides[2] + cm[x] * in.strides[3] + c_in, dst + x * ww.Cp + c0);
        }
      }
    } else {
      // Planar input: the panel's columns [lo, hi) read input columns
      // inside the image, one after another (on unit column steps: the
      // planes transposed into the panel's rows by the ISA's kernel); the
      // rest through the padding rule, channel by channel.
      const index_t first_col = tx0 * m - p.pad_left;
      index_t lo = std::clamp(-first_col, index_t(0), cols);
      index_t hi = std::clamp(p.w - first_col, lo, cols);
      if (!planes_to_rows_fn || in.strides[3] != 1) lo = hi = 0;
      const T* x0 = in.data + n * in.strides[0] + (g * p.cin_g + c0) * in.strides[1];
      for (index_t r = 0; r < rows; ++r) {
        const index_t ri = padded(ty0 * m + r - p.pad_top, p.h, p.pad_top, pad_bottom);
        if (ri >= 0 && hi > lo)
          planes_to_rows_fn(x0 + ri * in.strides[2] + first_col + lo, in.strides[1], c_in - c0,
                            hi - lo, panel + r * panel_row + lo * ww.Cp + c0, ww.Cp);
        for (index_t c = c0; c < c_in; ++c) {
          T* dst = panel + r * panel_row + c;
          if (ri < 0) {
            for (index_t x = 0; x < cols; ++x) dst[x * ww.Cp] = T(0);
            continue;
          }
          const T* xr = x0 + (c - c0) * in.strides[1] + ri * in.strides[2];
          auto through_padding = [&](index_t a, index_t b) {
            for (index_t x = a; x < b; ++x)
              dst[x * ww.Cp] = cm[x] < 0 ? T(0) : xr[cm[x] * in.strides[3]];
          };
          through_padding(0, lo);
          through_padding(hi, cols);
        }
      }
    }
    if (std::max(c0, p.cin_g) < c1)
      for (index_t r = 0; r < rows; ++r)
        for (index_t x = 0; x < cols; ++x)
          std::fill(panel + r * panel_row + x * ww.Cp + std::max(c0, p.cin_g),
                    panel + r * panel_row + x * ww.Cp + c1, T(0));
  };
  // The kernel's task for a block of tiles: the input transform of the
  // panel's channels [c0, c1) (panel nullptr: none) and the output blocks
  // [ob0, ob1).
  auto tile_task = [&](const T* panel, index_t c0, index_t c1, T* V, T* M, index_t n, index_t g,
                       index_t rb, index_t cb, index_t ob0, index_t ob1, bool* nonfinite,
                       const kernels::Epilogue<T>* group_epilogue) {
    const index_t ty0 = rb * trows, tx0 = cb * tcols;
    const index_t y0 = ty0 * m, x0 = tx0 * m;
    return kernels::WinogradTask<T>{panel,
                                    c0,
                                    c1,
                                    panel_row,
                                    ww.Cp,
                                    std::min(trows, tiles_y - ty0),
                                    std::min(tcols, tiles_x - tx0),
                                    p.cin_g,
                                    ww.U.data() + g * E * ww.Cp * ww.Op,
                                    ww.Cp * ww.Op,
                                    ww.Cp * ww.NB,
                                    ob0 * block,
                                    ob1 * block,
                                    ww.bias.empty() ? nullptr : ww.bias.data() + g * ww.Op,
                                    V,
                                    M,
                                    out.data + n * out.strides[0] + g * p.cout_g * out.strides[1] +
                                        y0 * out.strides[2] + x0 * out.strides[3],
                                    out.strides[1],
                                    out.strides[2],
                                    out.strides[3],
                                    p.oh - y0,
                                    p.ow - x0,
                                    p.cout_g,
                                    nonfinite,
                                    group_epilogue,
                                    residual.data
                                        ? residual.data + n * residual.strides[0] +
                                              g * p.cout_g * residual.strides[1] +
                                              y0 * residual.strides[2] + x0 * residual.strides[3]
                                        : nullptr};
  };
  auto epilogue_of_group = [&](index_t g) {  // (the slopes from the group's first channel)
    kernels::Epilogue<T> e = *epilogue;
    if (e.slopes) e.slopes += g * p.cout_g;
    return e;
  };

  // Few blocks of tiles for the threads: the output channels are split
  // into chunks, and each chunk's task would copy and transform its
  // block's input again (on 2 threads, a 14x14 layer's 8 chunks did so 8
  // times and ran slower than on 1). Then the copies and input transforms
  // run first, once per block, split over channel vectors, into a V the
  // chunks share (when it is not too large).
  const index_t vecs = ww.Cp / L;
  const index_t shared_v = spatial_tasks * static_cast<index_t>(v_size);
  const bool staged = chunks > 1 && shared_v * index_t(sizeof(T)) <= kMaxSharedInputBytes;
  std::unique_ptr<T[]> shared_owned;
  T* shared = staged ? scratch<T, 7>(static_cast<size_t>(shared_v), shared_owned) : nullptr;
  if (staged) {
    const index_t pieces = std::min(vecs, (4 * threads + spatial_tasks - 1) / spatial_tasks);
    const index_t per_piece = (vecs + pieces - 1) / pieces * L;
    parallel_tasks(spatial_tasks * pieces, threads, [&](const TaskLoop& for_each_task) {
      std::unique_ptr<T[]> owned;
      T* panel = scratch<T, 4>(panel_size, owned);
      for_each_task([&](index_t task) {
        const index_t c0 = task % pieces * per_piece, c1 = std::min(ww.Cp, c0 + per_piece);
        const index_t st = task / pieces;  // (n, g, rb, cb)
        const index_t cb = st % col_blocks, rb = st / col_blocks % row_blocks,
                      g = st / col_blocks / row_blocks % p.groups,
                      n = st / col_blocks / row_blocks / p.groups;
        if (c0 >= c1) return;
        fill_panel(panel, n, g, rb, cb, c0, c1);
        bool unused = false;  // (no outputs yet)
        kernel(tile_task(panel, c0, c1, shared + st * v_size, nullptr, n, g, rb, cb, 0, 0, &unused,
                         nullptr));
      });
    });
  }

  // Task order: image, group, chunk, row block, column block.
  const index_t tasks = spatial_tasks * chunks;
  std::vector<char> task_nonfinite(static_cast<size_t>(tasks), 0);
  parallel_tasks(tasks, threads, [&](const TaskLoop& for_each_task) {
    std::unique_ptr<T[]> owned[3];
    T* panel = staged ? nullptr : scratch<T, 4>(panel_size, owned[0]);
    T* V = staged ? nullptr : scratch<T, 5>(v_size, owned[1]);
    T* M = scratch<T, 6>(m_size, owned[2]);
    for_each_task([&](index_t task) {
      index_t rem = task;
      const index_t cb = rem % col_blocks;
      rem /= col_blocks;
      const index_t rb = rem % row_blocks;
      rem /= row_blocks;
      const index_t chunk = rem % chunks;
      rem /= chunks;
      const index_t g = rem % p.groups, n = rem / p.groups;
      const index_t ob0 = chunk * per_chunk, ob1 = std::min(o_blocks, ob0 + per_chunk);
      if (ob0 >= ob1) return;
      if (!staged) fill_panel(panel, n, g, rb, cb, 0, ww.Cp);
      const index_t st = ((n * p.groups + g) * row_blocks + rb) * col_blocks + cb;
      bool nonfinite = false;
      kernels::Epilogue<T> group_epilogue;
      if (epilogue) group_epilogue = epilogue_of_group(g);
      kernel(tile_task(panel, 0, ww.Cp, staged ? shared + st * v_size : V, M, n, g, rb, cb, ob0,
                       ob1, &nonfinite, epilogue ? &group_epilogue : nullptr));
      if (nonfinite) task_nonfinite[task] = 1;
    });
  });
  std::vector<char> image_nonfinite(static_cast<size_t>(p.batch), 0);
  for (index_t task = 0; task < tasks; ++task)
    if (task_nonfinite[task])
      image_nonfinite[task / (chunks * row_blocks * col_blocks) / p.groups] = 1;
  return image_nonfinite;
}

}  // namespace fastconv::detail
