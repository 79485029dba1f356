// CNN convolution layers (fastconv/nn.hpp): an operator that checks and
// plans the layer, packs the weights once per call into the kernels'
// channel blocks, and runs tasks -- (image, group, channel chunk, block of
// output rows, block of output columns) -- on the threads. A task copies
// the input it reads, extended by the padding mode, into a small panel
// laid out so that the taps of consecutive output pixels are consecutive
// panel positions (stride-s columns are split into s phases). The ISA's
// wide kernel keeps 2 vectors of output channels x a run of pixels in
// registers, broadcasting one panel value per pixel and tap; the narrow
// one (depthwise layers) vectors of pixels of one channel. No im2col: the
// panel holds each input element once.
#include "fastconv/nn.hpp"

#include <algorithm>
#include <complex>
#include <memory>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "boundary.hpp"
#include "execute.hpp"
#include "kernels/kernels.hpp"
#include "parallel.hpp"
#include "phases.hpp"
#include "scalar.hpp"
#include "small_buffer.hpp"

namespace fastconv {

PaddingMode parse_padding_mode(const std::string& name) {
  if (name == "zeros") return PaddingMode::zeros;
  if (name == "reflect") return PaddingMode::reflect;
  if (name == "replicate") return PaddingMode::replicate;
  if (name == "circular") return PaddingMode::circular;
  throw std::invalid_argument(
      "padding_mode: expected 'zeros', 'reflect', 'replicate' or "
      "'circular', got '" +
      name + "'");
}

namespace {

using detail::shape_str;

using LayerPlan = ConvLayerPlan;
using TransposedPlan = ConvTransposeLayerPlan;

using detail::checked_add;
using detail::checked_mul;

// The checks that every layer makes of its shapes: rank, signs, and a
// non-empty input apart from the batch. `layout` names the weight's axes.
void check_layer_shapes(const std::vector<index_t>& in_shape, const std::vector<index_t>& w_shape,
                        const char* layout) {
  const size_t rank = in_shape.size();
  if (rank != 3 && rank != 4)
    throw std::invalid_argument("input: expected shape (N, C, L) or (N, C, H, W), got " +
                                shape_str(in_shape));
  if (w_shape.size() != rank)
    throw std::invalid_argument("weight: expected " + std::to_string(rank) + " dimensions " +
                                layout + " for input " + shape_str(in_shape) + ", got " +
                                shape_str(w_shape));
  for (index_t s : in_shape)
    if (s < 0) throw std::invalid_argument("input: negative size in " + shape_str(in_shape));
  for (index_t s : w_shape)
    if (s < 0) throw std::invalid_argument("weight: negative size in " + shape_str(w_shape));
  for (size_t a = 1; a < rank; ++a)
    if (in_shape[a] == 0)
      throw std::invalid_argument("input: expected non-empty channel and spatial dimensions, got " +
                                  shape_str(in_shape));
  for (size_t a = 2; a < rank; ++a)
    if (w_shape[a] < 1)
      throw std::invalid_argument("weight: kernel sizes must be >= 1, got " + shape_str(w_shape));
}

void check_groups(index_t groups, index_t channels, const char* whose) {
  if (groups < 1)
    throw std::invalid_argument("groups: must be >= 1, got " + std::to_string(groups));
  if (channels % groups)
    throw std::invalid_argument(std::string("groups: the ") + whose + " " +
                                std::to_string(channels) +
                                " channels are not divisible by groups=" + std::to_string(groups));
}

// The result's size in bytes must fit (the largest element: 32 bytes),
// and the packed weights (each group padded by < 64 channels).
void check_layer_size(index_t batch, index_t out_channels, index_t oh, index_t ow, index_t groups,
                      index_t taps) {
  index_t bytes = checked_mul(batch, out_channels, "input");
  bytes = checked_mul(checked_mul(bytes, oh, "input"), checked_mul(ow, 32, "input"), "input");
  const index_t packed_channels =
      checked_add(out_channels, checked_mul(groups, 64, "groups"), "weight");
  checked_mul(packed_channels, taps, "weight");
}

LayerPlan plan_layer(const std::vector<index_t>& in_shape, const std::vector<index_t>& w_shape,
                     const ConvLayerOptions& o) {
  check_layer_shapes(in_shape, w_shape, "(Cout, C/groups, kernel...)");
  const size_t rank = in_shape.size();
  const size_t ns = rank - 2;
  LayerPlan p{};
  p.spatial = static_cast<int>(ns);
  p.batch = in_shape[0];
  p.channels = in_shape[1];
  p.out_channels = w_shape[0];
  p.groups = o.groups;
  p.mode = o.padding_mode;
  p.threads = o.threads;
  check_groups(p.groups, p.channels, "input's");
  check_groups(p.groups, p.out_channels, "weight's output");
  p.cin_g = p.channels / p.groups;
  p.cout_g = p.out_channels / p.groups;
  if (w_shape[1] != p.cin_g)
    throw std::invalid_argument("weight: expected " + std::to_string(p.cin_g) +
                                " input channels per group (C/groups) in dimension 1, got shape " +
                                shape_str(w_shape));

  const auto stride = detail::expand_per_axis(o.stride, ns, "stride", 1, 1);
  const auto dilation = detail::expand_per_axis(o.dilation, ns, "dilation", 1, 1);
  std::array<index_t, 2> begin{}, end{}, out{};
  if (o.same_padding) {
    if (!o.padding.empty() || !o.padding_end.empty())
      throw std::invalid_argument("padding: 'same' takes no explicit padding");
    for (size_t a = 0; a < ns; ++a)
      if (stride[a] != 1)
        throw std::invalid_argument(
            "padding: 'same' is not supported for strided convolutions "
            "(stride " +
            std::to_string(stride[a]) + ")");
  }
  const auto pad = detail::expand_per_axis(o.padding, ns, "padding", 0, 0);
  const auto pad_end = detail::expand_per_axis(o.padding_end.empty() ? o.padding : o.padding_end,
                                               ns, "padding", 0, 0);
  for (size_t a = 0; a < ns; ++a) {
    const index_t n = in_shape[2 + a], k = w_shape[2 + a];
    const index_t span = checked_mul(dilation[a], k - 1, "dilation");  // ke - 1
    if (o.same_padding) {
      begin[a] = span / 2;  // torch: the odd element goes at the end
      end[a] = span - begin[a];
    } else {
      begin[a] = pad[a];
      end[a] = pad_end[a];
    }
    if (p.mode == PaddingMode::reflect && (begin[a] >= n || end[a] >= n))
      throw std::invalid_argument("padding: reflect padding must be smaller than the input size " +
                                  std::to_string(n) + ", got " +
                                  std::to_string(std::max(begin[a], end[a])));
    if (p.mode == PaddingMode::circular && (begin[a] > n || end[a] > n))
      throw std::invalid_argument("padding: circular padding must be at most the input size " +
                                  std::to_string(n) + ", got " +
                                  std::to_string(std::max(begin[a], end[a])));
    const index_t padded = checked_add(checked_add(n, begin[a], "padding"), end[a], "padding");
    if (span >= padded)
      throw std::invalid_argument(
          "weight: the kernel (size " + std::to_string(k) + ", dilated to " +
          std::to_string(checked_add(span, 1, "dilation")) +
          ") is larger than the padded input (size " + std::to_string(padded) + ")");
    out[a] = (padded - 1 - span) / stride[a] + 1;
  }
  const int last = static_cast<int>(ns) - 1;
  p.w = in_shape[rank - 1];
  p.kw = w_shape[rank - 1];
  p.sw = stride[last];
  p.dw = dilation[last];
  p.pad_left = begin[last];
  p.ow = out[last];
  if (ns == 2) {
    p.h = in_shape[2];
    p.kh = w_shape[2];
    p.sh = stride[0];
    p.dh = dilation[0];
    p.pad_top = begin[0];
    p.oh = out[0];
  } else {
    p.h = p.kh = p.sh = p.dh = p.oh = 1;
    p.pad_top = 0;
  }
  check_layer_size(p.batch, p.out_channels, p.oh, p.ow, p.groups,
                   checked_mul(p.cin_g, checked_mul(p.kh, p.kw, "weight"), "weight"));
  return p;
}

TransposedPlan plan_transposed(const std::vector<index_t>& in_shape,
                               const std::vector<index_t>& w_shape,
                               const ConvTransposeLayerOptions& o) {
  check_layer_shapes(in_shape, w_shape, "(C, Cout/groups, kernel...)");
  const size_t rank = in_shape.size(), ns = rank - 2;
  TransposedPlan p{};
  p.spatial = static_cast<int>(ns);
  p.batch = in_shape[0];
  p.channels = in_shape[1];
  p.groups = o.groups;
  p.threads = o.threads;
  check_groups(p.groups, p.channels, "input's");
  if (w_shape[0] != p.channels)
    throw std::invalid_argument("weight: expected the input's " + std::to_string(p.channels) +
                                " channels in dimension 0, got shape " + shape_str(w_shape));
  p.cin_g = p.channels / p.groups;
  p.cout_g = w_shape[1];
  p.out_channels = checked_mul(p.cout_g, p.groups, "weight");
  const auto stride = detail::expand_per_axis(o.stride, ns, "stride", 1, 1);
  const auto dilation = detail::expand_per_axis(o.dilation, ns, "dilation", 1, 1);
  const auto pad = detail::expand_per_axis(o.padding, ns, "padding", 0, 0);
  const auto opad = detail::expand_per_axis(o.output_padding, ns, "output_padding", 0, 0);
  p.n = p.k = p.s = p.d = p.out = {1, 1};
  p.pad = {0, 0};
  for (size_t a = 0; a < ns; ++a) {
    const size_t i = a + 2 - ns;  // 1-D: the columns
    if (opad[a] >= std::max(stride[a], dilation[a]))
      throw std::invalid_argument("output_padding: must be smaller than stride or dilation, got " +
                                  std::to_string(opad[a]) + " with stride " +
                                  std::to_string(stride[a]) + " and dilation " +
                                  std::to_string(dilation[a]));
    p.n[i] = in_shape[2 + a];
    p.k[i] = w_shape[2 + a];
    p.s[i] = stride[a];
    p.d[i] = dilation[a];
    p.pad[i] = pad[a];
    // (n-1)*s + d*(k-1) + 1 + output_padding - 2*padding
    const index_t reach = checked_add(checked_mul(p.n[i] - 1, p.s[i], "stride"),
                                      checked_mul(p.d[i], p.k[i] - 1, "dilation"), "input");
    const index_t len =
        checked_add(reach, 1 + opad[a], "input") - checked_mul(2, pad[a], "padding");
    if (len < 1)
      throw std::invalid_argument("padding: too large for input size " + std::to_string(p.n[i]) +
                                  ", the output would have size " + std::to_string(len));
    p.out[i] = len;
  }
  check_layer_size(p.batch, p.out_channels, p.out[0], p.out[1], p.groups,
                   checked_mul(p.cin_g, checked_mul(p.k[0], p.k[1], "weight"), "weight"));
  return p;
}

// The views as 4-D (N, C, H, W): a 1-D layer gets an H axis of size 1.
template <class T>
View<T> as_4d(View<T> v) {
  if (v.ndim() == 3) {
    v.shape.insert(v.shape.begin() + 2, 1);
    v.strides.insert(v.strides.begin() + 2, 0);
  }
  return v;
}

index_t map_padded(index_t i, index_t n, PaddingMode m) {
  if (i >= 0 && i < n) return i;
  switch (m) {
    case PaddingMode::zeros:
      return -1;
    case PaddingMode::reflect:
      return detail::map_index(i, n, Boundary::mirror);
    case PaddingMode::replicate:
      return detail::map_index(i, n, Boundary::nearest);
    case PaddingMode::circular:
      return detail::map_index(i, n, Boundary::wrap);
  }
  return -1;
}

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

// Where a layer's weights are: tap r of output channel o (taps in the
// panel's order: input channel, kernel row, kernel column) is
// data[channel_at[o] + tap_at[r]].
template <class T>
struct LayerWeights {
  const T* data;
  std::vector<index_t> channel_at;
  std::vector<index_t> tap_at;
};

// The conv layer's weights, (Cout, C/groups, kh, kw).
template <class T>
LayerWeights<T> conv_weights(const LayerPlan& p, const View<const T>& w) {
  LayerWeights<T> lw{w.data, {}, {}};
  for (index_t o = 0; o < p.out_channels; ++o) lw.channel_at.push_back(o * w.strides[0]);
  for (index_t c = 0; c < p.cin_g; ++c)
    for (index_t kp = 0; kp < p.kh; ++kp)
      for (index_t kq = 0; kq < p.kw; ++kq)
        lw.tap_at.push_back(c * w.strides[1] + kp * w.strides[2] + kq * w.strides[3]);
  return lw;
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

// Few channels per group (depthwise): one channel at a time, pieces of a
// vector (the narrow kernel); else blocks of channel vectors x pixels.
inline bool uses_wide_kernel(index_t cout_g, const kernels::KernelTable& table, index_t lanes) {
  return cout_g * 2 >= table.conv_channel_vecs * lanes;
}

template <class T>
struct ThreadScratch {
  explicit ThreadScratch(const ScratchSizes& s)
      : panel(scratch<T, 1>(s.panel, panel_owned)),
        partial(scratch<T, 2>(s.partial, partial_owned)),
        x_base(s.pieces),
        out_off(s.pieces),
        lanes(s.pieces),
        pixel_out(s.pixels) {}
  std::unique_ptr<T[]> panel_owned, partial_owned;
  T* panel;
  T* partial;
  std::vector<index_t> x_base, out_off, lanes, pixel_out;
  // The panel's first edges_rows rows hold zeros outside the input for
  // the tasks of run edges_of, column block edges_cb (zero padding).
  const void* edges_of = nullptr;
  index_t edges_cb = -1, edges_rows = 0;
};

// Output columns per task: whole rows up to this many, so that a panel of
// many channels stays in L2.
constexpr index_t kColumnBlock = 512;
// About this many output vectors (pieces) per task, for the wide and the
// narrow kernels; fewer rows when the panel would exceed kPanelBytes. (A
// task copies the kernel's reach of rows more than it computes: narrow
// kernels, with less work per row, take more rows.)
constexpr index_t kVectorsPerTask = 48;
constexpr index_t kNarrowVectorsPerTask = 256;
constexpr index_t kPanelBytes = index_t(1) << 19;
constexpr index_t kPassBytes = 24 << 10;

// The odd column phase of a stride-2 transposed layer, run beside the
// even one (the plan's) by the paired kernel: its taps (at the plan's
// dilation), the panel positions of either phase's first tap, and the
// output's width in columns.
struct ColumnPair {
  index_t taps, shift_even, shift_odd, columns;
};

// One layer -- or one output phase of a transposed layer -- planned for
// the kernels: the kernel, the task geometry and the weights packed per
// (group, channel block). run_layers() packs and runs a list of them.
// With a ColumnPair, `output` is the even phase (its column step that of
// one phase) and the weights list the even phase's taps, then the odd's.
template <class T>
struct LayerRun {
  LayerRun(const LayerPlan& plan, View<const T> input, LayerWeights<T> w, View<const T> b,
           View<T> output, const ColumnPair* pair = nullptr);

  index_t taps() const { return K; }
  index_t pack_tasks() const { return p.groups * blocks; }
  size_t packed_size() const { return static_cast<size_t>(p.groups * blocks * K * R); }
  // Into `packed`, set by the caller; with check_finite, whether those
  // weights are all finite (else true).
  bool pack(index_t gb, bool check_finite);
  // Split the channel blocks into chunks when there are too few tasks
  // for `threads` in all (`spatial_tasks_all`, this run's and others').
  void split(int threads, index_t spatial_tasks_all);
  index_t tasks() const { return spatial_tasks * chunks; }
  ScratchSizes scratch_sizes() const;
  void run(index_t task, ThreadScratch<T>& s) const;

  LayerPlan p;
  View<const T> in, bias;
  View<T> out;
  LayerWeights<T> weights;
  T* packed = nullptr;
  std::vector<T> packed_bias;
  // Lanes per vector (L), channels per block (R), outputs per piece of a
  // row (piece), the kernel, taps (K) and channel blocks per group.
  index_t L = 1, R = 1, piece = 1;
  bool wide_kernel = false;
  kernels::ConvKernel<T> kernel = &portable_conv<T>;
  bool paired = false;
  ColumnPair pair{};
  index_t K, K_even, blocks;  // (K_even: the even phase's taps, of K)
  // Task geometry: output columns [c0, c0 + cols), rows [r0, r0 + rows).
  index_t col_block, vec_row, phase_len, row_len, row_block, ch_len;
  size_t panel_size;
  index_t taps_per_pass;
  std::vector<index_t> x_off;
  index_t row_blocks, col_blocks, spatial_tasks, chunks = 1, per_chunk;
  // Per column block: the input column of every panel position through
  // the padding rule (-1: a zero), and per phase the positions [lo, hi)
  // that lie inside the input.
  std::vector<index_t> col_maps;
  std::vector<std::pair<index_t, index_t>> insides;
  // The narrow kernels' pieces of a task's outputs, the same for every
  // task of a column block (a task of fewer rows takes a prefix): per
  // column block from narrow_at[cb], row by row, the pieces' x_base,
  // out_off (from the task's first output) and lanes.
  std::vector<index_t> narrow_at, narrow_x_base, narrow_out_off, narrow_lanes;

  index_t rows_in(index_t rows) const { return (rows - 1) * p.sh + (p.kh - 1) * p.dh + 1; }
};

template <class T>
LayerRun<T>::LayerRun(const LayerPlan& plan, View<const T> input, LayerWeights<T> w,
                      View<const T> b, View<T> output, const ColumnPair* column_pair)
    : p(plan),
      in(std::move(input)),
      bias(std::move(b)),
      out(std::move(output)),
      weights(std::move(w)) {
  const kernels::KernelTable& table = kernels::active_table();
  const kernels::ConvKernels<T> simd = kernels::conv_kernels<T>(table);
  if (simd.wide != nullptr) {
    L = table.vec_bytes / static_cast<index_t>(sizeof(T));
    wide_kernel = uses_wide_kernel(p.cout_g, table, L);
    kernel = simd.narrow;
    R = 1;
    piece = L;
    if (wide_kernel) {
      // Blocks of the vectors of channels that waste fewer lanes (a tie:
      // two vectors, which load a broadcast value for twice the work).
      const index_t two = table.conv_channel_vecs * L;
      const bool half = (p.cout_g + L - 1) / L * L < (p.cout_g + two - 1) / two * two;
      R = half ? L : two;
      piece = table.conv_pixels * (half ? table.conv_channel_vecs : 1);
      kernel = half ? simd.half : simd.wide;
    }
    if (column_pair) {
      paired = true;
      pair = *column_pair;
      kernel = simd.paired;
    } else if (!wide_kernel && p.cin_g == 1 && p.sh == 1 && p.dh == 1) {
      kernel = simd.rows;  // (consecutive output rows share input rows)
    }
  }
  K_even = p.cin_g * p.kh * p.kw;
  K = K_even + (paired ? p.cin_g * p.kh * pair.taps : 0);
  blocks = (p.cout_g + R - 1) / R;
  packed_bias.assign(bias.data ? static_cast<size_t>(p.groups * blocks * R) : 0, T(0));

  // (equal blocks: a block of a few columns would copy a whole panel)
  const index_t even_blocks = (p.ow + kColumnBlock - 1) / kColumnBlock;
  col_block = (p.ow + even_blocks - 1) / even_blocks;
  vec_row = (col_block + L - 1) / L;
  // Panel: per channel `panel_rows` input rows of `row_len` = s_w phases of
  // `phase_len` positions; position j of phase f holds input column
  // c0*s_w - pad_left + j*s_w + f, so output column c's tap q is at
  // phase (q*d_w) % s_w, position c + (q*d_w) / s_w.
  // (the narrow kernel reads whole vectors past the last column; the wide
  // one reads single positions)
  const index_t reach = paired ? std::max(pair.shift_even + (p.kw - 1) * p.dw,
                                          pair.shift_odd + (pair.taps - 1) * p.dw)
                               : (p.kw - 1) * p.dw / p.sw;
  phase_len = (wide_kernel ? col_block : vec_row * L) + reach;
  row_len = checked_mul(phase_len, p.sw, "stride");
  const index_t per_task = wide_kernel ? kVectorsPerTask : kNarrowVectorsPerTask;
  row_block = std::clamp((per_task + vec_row - 1) / vec_row, index_t(1), p.oh);
  while (row_block > 1 && p.cin_g * rows_in(row_block) * row_len * index_t(sizeof(T)) > kPanelBytes)
    row_block = (row_block + 1) / 2;
  ch_len = checked_mul(rows_in(row_block), row_len, "dilation");
  panel_size = static_cast<size_t>(checked_mul(p.cin_g, ch_len, "input"));
  // The wide kernel takes the taps in passes of nearly equal length whose
  // weights stay in L1 (beside the few panel lines a run of pixels reads).
  const index_t max_pass = std::max<index_t>(1, kPassBytes / (R * index_t(sizeof(T))));
  const index_t passes = wide_kernel ? (K + max_pass - 1) / max_pass : 1;
  taps_per_pass = (K + passes - 1) / passes;

  for (index_t c = 0; c < p.cin_g; ++c)
    for (index_t kp = 0; kp < p.kh; ++kp)
      for (index_t kq = 0; kq < p.kw; ++kq)
        x_off.push_back(c * ch_len + kp * p.dh * row_len + (kq * p.dw) % p.sw * phase_len +
                        kq * p.dw / p.sw + (paired ? pair.shift_even : 0));
  if (paired)  // (p.sw == 1)
    for (index_t c = 0; c < p.cin_g; ++c)
      for (index_t kp = 0; kp < p.kh; ++kp)
        for (index_t kq = 0; kq < pair.taps; ++kq)
          x_off.push_back(c * ch_len + kp * p.dh * row_len + pair.shift_odd + kq * p.dw);

  row_blocks = (p.oh + row_block - 1) / row_block;
  col_blocks = (p.ow + col_block - 1) / col_block;
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
  }

  if (!wide_kernel)
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

template <class T>
bool LayerRun<T>::pack(index_t gb, bool check_finite) {
  // K taps x R channels, the channels past cout_g zero.
  const index_t g = gb / blocks, b = gb % blocks;
  const index_t o0 = g * p.cout_g + b * R, n_ch = std::min(R, p.cout_g - b * R);
  T* dst = packed + gb * K * R;
  if (n_ch < R) std::fill(dst, dst + K * R, T(0));
  const index_t* channel_at = weights.channel_at.data() + o0;
  const index_t* tap_at = weights.tap_at.data();
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
          for (int j = 0; j < 4; ++j) wc[j] = weights.data + channel_at[i + j] + tap_at[r0];
          for (index_t r = r0; r < r4; r += 4)
            transpose4(wc[0] + (r - r0), wc[1] + (r - r0), wc[2] + (r - r0), wc[3] + (r - r0),
                       dst + r * R + i, R);
          for (index_t r = r4; r < r1; ++r)
            for (int j = 0; j < 4; ++j) dst[r * R + i + j] = wc[j][r - r0];
        }
    }
    for (; i < n_ch; ++i) {
      const T* wc = weights.data + channel_at[i];
      for (index_t r = r0; r < r1; ++r) dst[r * R + i] = wc[tap_at[r]];
    }
  }
  if (bias.data)
    for (index_t i = 0; i < n_ch; ++i)
      packed_bias[static_cast<size_t>(gb * R + i)] = bias.data[(o0 + i) * bias.strides[0]];
  return !check_finite || detail::all_finite(dst, K * R);
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
  for (index_t c = 0; c < p.cin_g; ++c) {
    const T* xc = in.data + n * in.strides[0] + (g * p.cin_g + c) * in.strides[1];
    for (index_t r = 0; r < used_rows; ++r) {
      T* dst = s.panel + c * ch_len + r * row_len;
      const index_t ri = map_padded(first_row + r, p.h, p.mode);
      if (ri < 0) {
        std::fill(dst, dst + row_len, T(0));
        continue;
      }
      const T* xr = xc + ri * in.strides[2];
      const index_t xs_w = in.strides[3];
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
        if (hi > lo) {
          const T* src = xr + cm[lo] * xs_w;
          const index_t step = p.sw * xs_w;
          if (step == 1)
            std::copy(src, src + (hi - lo), d + lo);
          else
            for (index_t j = lo; j < hi; ++j) d[j] = src[(j - lo) * step];
        }
      }
    }
  }
  s.edges_rows = std::max(s.edges_rows, used_rows);

  // The pieces of the task's outputs. Narrow kernels: vectors along each
  // row, from the tables planned with the run. Wide kernel: nearly equal
  // runs of at most `piece` pixels per row; rows narrower than half a run
  // take runs of `piece` panel positions across rows (with unit strides
  // the rows follow each other in the panel, row_len apart): the
  // row_len - cols positions between rows are then computed for nothing,
  // but the runs stay long.
  index_t nv = 0;
  const index_t vec_row = (cols + piece - 1) / piece;  // (narrow kernels)
  const index_t *x_base = s.x_base.data(), *out_off = s.out_off.data(), *lanes = s.lanes.data();
  if (!wide_kernel) {
    const auto at = static_cast<size_t>(narrow_at[cb]);
    x_base = narrow_x_base.data() + at;
    out_off = narrow_out_off.data() + at;
    lanes = narrow_lanes.data() + at;
    nv = rows * vec_row;
  } else {
    auto position_out = [&](index_t r, index_t c) {
      return c < cols ? r * out.strides[2] + c * out.strides[3] : index_t(-1);
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
  for (index_t b = b0; b < b1; ++b) {
    const index_t o0 = g * p.cout_g + b * R;
    const T* wb = packed + (g * blocks + b) * K * R;
    for (index_t k0 = 0; k0 < K; k0 += taps_per_pass) {
      const index_t k1 = std::min(K, k0 + taps_per_pass);
      kernels::ConvTask<T> t{s.panel,
                             x_base,
                             x_off.data() + k0,
                             k1 - k0,
                             wb + k0 * R,
                             bias.data ? packed_bias.data() + (g * blocks + b) * R : nullptr,
                             std::min(R, p.cout_g - b * R),
                             nv,
                             lanes,
                             out_off,
                             s.pixel_out.data(),
                             out.data + n * out.strides[0] + o0 * out.strides[1] +
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
      if (paired) {  // (one pass: the narrow kernel)
        t.K = K_even;
        t.x_off2 = x_off.data() + K_even;
        t.w2 = wb + K_even;
        t.K2 = K - K_even;
      }
      kernel(t);
    }
  }
}

// Pack the weights of every run (by all threads when they are many: a
// layer's weights can take a tenth of its time to reorder), then run all
// their tasks on one team of threads. With `finite_weights_only`, weights
// holding Inf or NaN run nothing and give false.
template <class T>
bool run_layers(std::vector<LayerRun<T>>& runs, int threads, bool finite_weights_only = false) {
  size_t packed_total = 0;
  index_t spatial_total = 0, pack_tasks = 0;
  std::unique_ptr<T[]> packed_owned;
  for (const LayerRun<T>& r : runs) {
    packed_total += r.packed_size();
    spatial_total += r.spatial_tasks;
    pack_tasks = std::max(pack_tasks, r.pack_tasks());
  }
  T* packed = scratch<T, 0>(packed_total, packed_owned);
  for (LayerRun<T>& r : runs) {
    r.packed = packed;
    packed += r.packed_size();
  }
  // Channel block gb of every run in turn: the phases of a transposed
  // layer read the same weights, which then come from cache.
  std::vector<char> finite(static_cast<size_t>(pack_tasks), 1);
  detail::parallel_tasks(pack_tasks, packed_total >= (size_t(1) << 18) ? threads : 1,
                         [&](const detail::TaskLoop& for_each_block) {
                           for_each_block([&](index_t gb) {
                             for (LayerRun<T>& r : runs)
                               if (gb < r.pack_tasks() && !r.pack(gb, finite_weights_only))
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

// conv1d's input has 3 dimensions, conv2d's 4 (checked before planning:
// the plan would take either).
template <class T>
void check_layer_rank(const View<const T>& in, int spatial, const char* name) {
  if (in.ndim() != spatial + 2)
    throw std::invalid_argument(std::string("input: ") + name + std::to_string(spatial) +
                                "d expects " + std::to_string(spatial + 2) + " dimensions, got " +
                                shape_str(in.shape));
}

// The checks of a layer call beyond its plan: views, rank, out and bias.
template <class T>
void check_layer_call(const View<const T>& in, const View<const T>& weight,
                      const View<const T>& bias, const View<T>& out, int spatial,
                      const char* name) {
  detail::check_view(in, "input");
  detail::check_view(weight, "weight");
  detail::check_view(out, "out");
  if (bias.data) detail::check_view(bias, "bias");
  check_layer_rank(in, spatial, name);
}

// The input and weight a plan was made for, (N, C, H, W) and (A, B, kh, kw)
// (a 1-D layer's have no H and kh).
template <class T>
void check_planned_shapes(const View<const T>& in, const View<const T>& weight,
                          std::array<index_t, 4> in_shape, std::array<index_t, 4> w_shape,
                          int spatial) {
  const int skip = spatial == 1 ? 1 : 0;  // (a 1-D layer: no H axis)
  auto equal = [&](const std::vector<index_t>& got, const std::array<index_t, 4>& want) {
    if (got.size() != static_cast<size_t>(4 - skip)) return false;
    for (int a = 0, b = 0; a < 4; ++a)
      if (!(skip && a == 2) && got[b++] != want[a]) return false;
    return true;
  };
  if (!equal(in.shape, in_shape) || !equal(weight.shape, w_shape))
    throw std::invalid_argument("input/weight: shapes " + shape_str(in.shape) + " and " +
                                shape_str(weight.shape) + " are not the plan's");
}

template <class T>
void check_layer_out(const std::vector<index_t>& shape, index_t out_channels,
                     const View<const T>& in, const View<const T>& weight,
                     const View<const T>& bias, const View<T>& out) {
  if (out.shape != shape)
    throw std::invalid_argument("out: shape must be " + shape_str(shape) + ", got " +
                                shape_str(out.shape));
  if (bias.data && bias.shape != std::vector<index_t>{out_channels})
    throw std::invalid_argument("bias: expected shape (" + std::to_string(out_channels) +
                                ",), got " + shape_str(bias.shape));
  if (detail::may_overlap(out, in) || detail::may_overlap(out, weight) ||
      (bias.data && detail::may_overlap(out, bias)))
    throw std::invalid_argument("out: must not overlap input, weight or bias");
}

template <class T>
void run_conv_layer(const LayerPlan& p, View<const T> in, View<const T> weight, View<const T> bias,
                    View<T> out) {
  check_layer_call(in, weight, bias, out, p.spatial, "conv");
  check_planned_shapes(in, weight, {p.batch, p.channels, p.h, p.w},
                       {p.out_channels, p.cin_g, p.kh, p.kw}, p.spatial);
  check_layer_out(p.out_shape(), p.out_channels, in, weight, bias, out);
  if (out.size() == 0) return;
  const int threads = detail::resolve_threads(p.threads, out.size(), p.cin_g * p.kh * p.kw);
  detail::guard_underflow(in, weight, View<const T>(), bias, T(0), weight.size(), out, threads,
                          [&](const View<const T>& x, const View<const T>& w, const View<const T>&,
                              const View<const T>& b, T) {
                            std::vector<LayerRun<T>> runs;
                            runs.emplace_back(p, as_4d(x), conv_weights(p, as_4d(w)), b,
                                              as_4d(out));
                            run_layers(runs, threads);
                          });
}

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

// A transposed layer: one run per output phase (phases.hpp), each an
// ordinary layer over the input with a flipped sub-kernel, written to its
// phase of the output (rows phi_h::s_h, columns phi_w::s_w). With few
// channels per group and column stride 2, the two column phases of a row
// phase run together (the paired kernel), so that the output is stored in
// whole vectors.
template <class T>
void run_transposed_phases(const TransposedPlan& tp, const View<const T>& in,
                           const View<const T>& weight, const View<const T>& bias,
                           const View<T>& out) {
  const View<const T> x = as_4d(in), w = as_4d(weight);
  const View<T> y = as_4d(out);
  auto phase = [&](int axis, index_t phi) {
    return detail::output_phase(phi, tp.k[axis], tp.s[axis], tp.d[axis], tp.pad[axis],
                                tp.out[axis]);
  };
  // The output of phase (phi_h, phi_w).
  auto phase_out = [&](index_t phi_h, index_t phi_w, const detail::OutputPhase& ph,
                       const detail::OutputPhase& pw) {
    View<T> v = y;
    v.data += phi_h * y.strides[2] + phi_w * y.strides[3];
    v.shape[2] = ph.count;
    v.shape[3] = pw.count;
    v.strides[2] *= tp.s[0];
    v.strides[3] *= tp.s[1];
    return v;
  };
  // The layer of phase (ph, pw) with the plan's channels (zero padding:
  // the phase reads only the input).
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
  // weight[g*cin_g + c, o % cout_g, tap_h(qh), tap_w(qw)] for output channel o
  LayerWeights<T> lw{w.data, {}, {}};
  for (index_t oc = 0; oc < tp.out_channels; ++oc)
    lw.channel_at.push_back(oc / tp.cout_g * tp.cin_g * w.strides[0] +
                            oc % tp.cout_g * w.strides[1]);
  auto add_taps = [&](LayerWeights<T>& lws, const detail::OutputPhase& ph,
                      const detail::OutputPhase& pw) {
    for (index_t c = 0; c < tp.cin_g; ++c)
      for (index_t qh = 0; qh < ph.taps; ++qh)
        for (index_t qw = 0; qw < pw.taps; ++qw)
          lws.tap_at.push_back(c * w.strides[0] + ph.tap(qh) * w.strides[2] +
                               pw.tap(qw) * w.strides[3]);
  };

  // The phases some tap reaches, per axis (at most k of them); the others
  // get only the bias, written first.
  std::array<std::vector<detail::OutputPhase>, 2> live;
  std::array<std::vector<index_t>, 2> live_phi;
  bool some_empty = false;
  for (int a = 0; a < 2; ++a)
    for (index_t phi = 0; phi < std::min(tp.s[a], tp.out[a]); ++phi) {
      const detail::OutputPhase ph = phase(a, phi);
      if (ph.taps == 0) {
        some_empty = true;
        continue;
      }
      live[a].push_back(ph);
      live_phi[a].push_back(phi);
    }
  if (some_empty)
    for (index_t n = 0; n < tp.batch; ++n)
      for (index_t c = 0; c < tp.out_channels; ++c) {
        const T v = bias.data ? bias.data[c * bias.strides[0]] : T(0);
        T* plane = y.data + n * y.strides[0] + c * y.strides[1];
        for (index_t i = 0; i < tp.out[0]; ++i)
          for (index_t j = 0; j < tp.out[1]; ++j) plane[i * y.strides[2] + j * y.strides[3]] = v;
      }

  const kernels::KernelTable& table = kernels::active_table();
  const bool pair_columns =
      kernels::conv_kernels<T>(table).paired != nullptr && tp.s[1] == 2 && live[1].size() == 2 &&
      !uses_wide_kernel(tp.cout_g, table, table.vec_bytes / static_cast<index_t>(sizeof(T)));
  std::vector<LayerRun<T>> runs;
  index_t work = 0;  // multiply-adds
  for (size_t ih = 0; ih < live[0].size(); ++ih) {
    const detail::OutputPhase& ph = live[0][ih];
    const index_t phi_h = live_phi[0][ih];
    if (pair_columns) {
      const detail::OutputPhase &even = live[1][0], &odd = live[1][1];
      LayerPlan p = phase_plan(ph, even);
      const index_t first = std::min(even.offset, odd.offset);
      p.pad_left = -first;
      const ColumnPair pair{odd.taps, even.offset - first, odd.offset - first, tp.out[1]};
      LayerWeights<T> pw{lw.data, lw.channel_at, {}};
      add_taps(pw, ph, even);
      add_taps(pw, ph, odd);
      const View<T> yp = phase_out(phi_h, 0, ph, even);
      runs.emplace_back(p, x, std::move(pw), bias, yp, &pair);
      work += yp.size() * runs.back().taps();
      continue;
    }
    for (size_t iw = 0; iw < live[1].size(); ++iw) {
      const detail::OutputPhase& pw = live[1][iw];
      const View<T> yp = phase_out(phi_h, live_phi[1][iw], ph, pw);
      LayerWeights<T> pws{lw.data, lw.channel_at, {}};
      add_taps(pws, ph, pw);
      runs.emplace_back(phase_plan(ph, pw), x, std::move(pws), bias, yp);
      work += yp.size() * runs.back().taps();
    }
  }
  // (Inf or NaN weights: term by term, see transposed_by_definition)
  if (!run_layers(runs, detail::resolve_threads(tp.threads, work, 1), /*finite_weights_only=*/true))
    transposed_by_definition(tp, x, w, bias, y);
}

template <class T>
void run_transposed_layer(const TransposedPlan& tp, View<const T> in, View<const T> weight,
                          View<const T> bias, View<T> out) {
  check_layer_call(in, weight, bias, out, tp.spatial, "conv_transpose");
  check_planned_shapes(in, weight, {tp.batch, tp.channels, tp.n[0], tp.n[1]},
                       {tp.channels, tp.cout_g, tp.k[0], tp.k[1]}, tp.spatial);
  check_layer_out(tp.out_shape(), tp.out_channels, in, weight, bias, out);
  if (out.size() == 0) return;
  const int threads = detail::resolve_threads(tp.threads, out.size(), tp.cin_g);
  detail::guard_underflow(
      in, weight, View<const T>(), bias, T(0), weight.size(), out, threads,
      [&](const View<const T>& x, const View<const T>& w, const View<const T>&,
          const View<const T>& b, T) { run_transposed_phases(tp, x, w, b, out); });
}

}  // namespace

std::vector<index_t> ConvLayerPlan::out_shape() const {
  if (spatial == 1) return {batch, out_channels, ow};
  return {batch, out_channels, oh, ow};
}

std::vector<index_t> ConvTransposeLayerPlan::out_shape() const {
  if (spatial == 1) return {batch, out_channels, out[1]};
  return {batch, out_channels, out[0], out[1]};
}

ConvLayerPlan plan_conv_layer(const std::vector<index_t>& in_shape,
                              const std::vector<index_t>& weight_shape,
                              const ConvLayerOptions& options) {
  return plan_layer(in_shape, weight_shape, options);
}

ConvTransposeLayerPlan plan_conv_transpose_layer(const std::vector<index_t>& in_shape,
                                                 const std::vector<index_t>& weight_shape,
                                                 const ConvTransposeLayerOptions& options) {
  return plan_transposed(in_shape, weight_shape, options);
}

std::vector<index_t> conv_output_shape(const std::vector<index_t>& in_shape,
                                       const std::vector<index_t>& weight_shape,
                                       const ConvLayerOptions& options) {
  return plan_layer(in_shape, weight_shape, options).out_shape();
}

std::vector<index_t> conv_transpose_output_shape(const std::vector<index_t>& in_shape,
                                                 const std::vector<index_t>& weight_shape,
                                                 const ConvTransposeLayerOptions& options) {
  return plan_transposed(in_shape, weight_shape, options).out_shape();
}

template <class T>
void conv_layer(const ConvLayerPlan& plan, View<const T> in, View<const T> weight,
                View<const T> bias, View<T> out) {
  run_conv_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out));
}

template <class T>
void conv_transpose_layer(const ConvTransposeLayerPlan& plan, View<const T> in,
                          View<const T> weight, View<const T> bias, View<T> out) {
  run_transposed_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out));
}

// The one-call forms: the plan of the given rank, then its run. (The rank
// is checked first, so that a wrong one is named as such.)
template <class T>
void conv1d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
            const ConvLayerOptions& options) {
  check_layer_rank(in, 1, "conv");
  const auto plan = plan_layer(in.shape, weight.shape, options);  // (before `in` is moved)
  run_conv_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out));
}

template <class T>
void conv2d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
            const ConvLayerOptions& options) {
  check_layer_rank(in, 2, "conv");
  const auto plan = plan_layer(in.shape, weight.shape, options);  // (before `in` is moved)
  run_conv_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out));
}

template <class T>
void conv_transpose1d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
                      const ConvTransposeLayerOptions& options) {
  check_layer_rank(in, 1, "conv_transpose");
  const auto plan = plan_transposed(in.shape, weight.shape, options);  // (before `in` is moved)
  run_transposed_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out));
}

template <class T>
void conv_transpose2d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
                      const ConvTransposeLayerOptions& options) {
  check_layer_rank(in, 2, "conv_transpose");
  const auto plan = plan_transposed(in.shape, weight.shape, options);  // (before `in` is moved)
  run_transposed_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out));
}

// ---- Layer objects ----

namespace {

// A contiguous copy of a view (the layer's own weights).
template <class T>
std::vector<T> contiguous_copy(const View<const T>& v) {
  std::vector<T> data(static_cast<size_t>(v.size()));
  std::vector<index_t> at(v.shape.size(), 0);
  for (T& d : data) {
    index_t off = 0;
    for (size_t a = 0; a < at.size(); ++a) off += at[a] * v.strides[a];
    d = v.data[off];
    for (size_t a = at.size(); a-- > 0;) {
      if (++at[a] < v.shape[a]) break;
      at[a] = 0;
    }
  }
  return data;
}

template <class T>
View<const T> contiguous_view(const std::vector<T>& data, const std::vector<index_t>& shape) {
  std::vector<index_t> strides(shape.size(), 1);
  for (size_t a = shape.size(); a-- > 1;) strides[a - 1] = strides[a] * shape[a];
  return View<const T>(data.data(), shape, strides);
}

// Option `values` on spatial axis a of ns (one value for all, or one per
// axis; a bad count is for the plan to refuse), or `fallback`.
index_t option_on_axis(const std::vector<index_t>& values, size_t a, size_t ns, index_t fallback) {
  if (values.empty()) return fallback;
  return values.size() == ns ? values[a] : values[0];
}

// An input that a layer of these weights and options can take (the
// kernel fits, reflect padding is smaller than it): planning it checks
// the weights and options at construction, before any input is seen.
std::vector<index_t> probe_input(const std::vector<index_t>& w_shape, index_t channels,
                                 const std::vector<std::vector<index_t>>& paddings,
                                 const std::vector<index_t>& dilation) {
  const size_t ns = w_shape.size() - 2;
  std::vector<index_t> shape{1, channels};
  for (size_t a = 0; a < ns; ++a) {
    const index_t d = std::max<index_t>(1, option_on_axis(dilation, a, ns, 1));
    index_t n = checked_add(checked_mul(d, w_shape[2 + a] - 1, "dilation"), 1, "dilation");
    for (const auto& pad : paddings) {
      const index_t p = std::max<index_t>(0, option_on_axis(pad, a, ns, 0));
      n = std::max(n, checked_add(checked_mul(p, 2, "padding"), 1, "padding"));
    }
    shape.push_back(std::max<index_t>(n, 1));  // (a bad kernel size: the plan names it)
  }
  return shape;
}

// A layer object's input: its rank and channels are the weights' (so that
// the error names the input, not the weight as the one-call plan would).
void check_layer_input(const std::vector<index_t>& in_shape, const std::vector<index_t>& w_shape,
                       index_t channels) {
  if (in_shape.size() != w_shape.size())
    throw std::invalid_argument("input: the layer expects " + std::to_string(w_shape.size()) +
                                " dimensions (N, C, " + (w_shape.size() == 3 ? "L" : "H, W") +
                                "), got " + shape_str(in_shape));
  if (in_shape[1] != channels)
    throw std::invalid_argument("input: the layer expects " + std::to_string(channels) +
                                " channels in dimension 1, got shape " + shape_str(in_shape));
}

template <class T>
void check_layer_weights(const View<const T>& weight, const View<const T>& bias,
                         const char* layout) {
  detail::check_view(weight, "weight");
  if (weight.ndim() != 3 && weight.ndim() != 4)
    throw std::invalid_argument(std::string("weight: expected shape ") + layout +
                                " with 1 or 2 kernel axes, got " + shape_str(weight.shape));
  if (bias.data) detail::check_view(bias, "bias");
}

}  // namespace

template <class T>
struct ConvLayer<T>::Impl {
  std::vector<index_t> w_shape;
  std::vector<T> weight, bias;
  bool has_bias;
  ConvLayerOptions options;

  ConvLayerPlan plan(const std::vector<index_t>& in_shape, int threads) const {
    check_layer_input(in_shape, w_shape, w_shape[1] * options.groups);
    ConvLayerOptions o = options;
    o.threads = threads;
    return plan_layer(in_shape, w_shape, o);
  }
};

template <class T>
ConvLayer<T>::ConvLayer(View<const T> weight, View<const T> bias, const ConvLayerOptions& options) {
  check_layer_weights(weight, bias, "(Cout, C/groups, kernel...)");
  auto impl = std::make_unique<Impl>();
  impl->w_shape = weight.shape;
  impl->options = options;
  impl->options.threads = 0;
  // (the weight and options are checked by planning the smallest input)
  const index_t channels = checked_mul(weight.shape[1], options.groups, "groups");
  impl->plan(probe_input(weight.shape, std::max<index_t>(channels, 1),
                         {options.padding, options.padding_end}, options.dilation),
             0);
  if (bias.data && bias.shape != std::vector<index_t>{weight.shape[0]})
    throw std::invalid_argument("bias: expected shape (" + std::to_string(weight.shape[0]) +
                                ",), got " + shape_str(bias.shape));
  impl->weight = contiguous_copy(weight);
  impl->has_bias = bias.data != nullptr;
  if (impl->has_bias) impl->bias = contiguous_copy(bias);
  impl_ = std::move(impl);
}

template <class T>
ConvLayer<T>::~ConvLayer() = default;
template <class T>
ConvLayer<T>::ConvLayer(ConvLayer&&) noexcept = default;
template <class T>
ConvLayer<T>& ConvLayer<T>::operator=(ConvLayer&&) noexcept = default;

template <class T>
int ConvLayer<T>::spatial() const {
  return static_cast<int>(impl_->w_shape.size()) - 2;
}

template <class T>
std::vector<index_t> ConvLayer<T>::weight_shape() const {
  return impl_->w_shape;
}

template <class T>
std::vector<index_t> ConvLayer<T>::output_shape(const std::vector<index_t>& in_shape) const {
  return impl_->plan(in_shape, 0).out_shape();
}

template <class T>
void ConvLayer<T>::run(View<const T> in, View<T> out, int threads) const {
  detail::check_view(in, "input");
  const ConvLayerPlan plan = impl_->plan(in.shape, threads);
  View<const T> b;
  if (impl_->has_bias) b = contiguous_view(impl_->bias, {impl_->w_shape[0]});
  run_conv_layer<T>(plan, std::move(in), contiguous_view(impl_->weight, impl_->w_shape), b,
                    std::move(out));
}

template <class T>
struct ConvTransposeLayer<T>::Impl {
  std::vector<index_t> w_shape;
  std::vector<T> weight, bias;
  bool has_bias;
  ConvTransposeLayerOptions options;

  ConvTransposeLayerPlan plan(const std::vector<index_t>& in_shape, int threads) const {
    check_layer_input(in_shape, w_shape, w_shape[0]);
    ConvTransposeLayerOptions o = options;
    o.threads = threads;
    return plan_transposed(in_shape, w_shape, o);
  }
};

template <class T>
ConvTransposeLayer<T>::ConvTransposeLayer(View<const T> weight, View<const T> bias,
                                          const ConvTransposeLayerOptions& options) {
  check_layer_weights(weight, bias, "(C, Cout/groups, kernel...)");
  auto impl = std::make_unique<Impl>();
  impl->w_shape = weight.shape;
  impl->options = options;
  impl->options.threads = 0;
  impl->plan(
      probe_input(weight.shape, std::max<index_t>(weight.shape[0], 1), {options.padding}, {}), 0);
  if (bias.data) {
    const index_t cout = checked_mul(weight.shape[1], options.groups, "groups");
    if (bias.shape != std::vector<index_t>{cout})
      throw std::invalid_argument("bias: expected shape (" + std::to_string(cout) + ",), got " +
                                  shape_str(bias.shape));
  }
  impl->weight = contiguous_copy(weight);
  impl->has_bias = bias.data != nullptr;
  if (impl->has_bias) impl->bias = contiguous_copy(bias);
  impl_ = std::move(impl);
}

template <class T>
ConvTransposeLayer<T>::~ConvTransposeLayer() = default;
template <class T>
ConvTransposeLayer<T>::ConvTransposeLayer(ConvTransposeLayer&&) noexcept = default;
template <class T>
ConvTransposeLayer<T>& ConvTransposeLayer<T>::operator=(ConvTransposeLayer&&) noexcept = default;

template <class T>
int ConvTransposeLayer<T>::spatial() const {
  return static_cast<int>(impl_->w_shape.size()) - 2;
}

template <class T>
std::vector<index_t> ConvTransposeLayer<T>::weight_shape() const {
  return impl_->w_shape;
}

template <class T>
std::vector<index_t> ConvTransposeLayer<T>::output_shape(
    const std::vector<index_t>& in_shape) const {
  return impl_->plan(in_shape, 0).out_shape();
}

template <class T>
void ConvTransposeLayer<T>::run(View<const T> in, View<T> out, int threads) const {
  detail::check_view(in, "input");
  const ConvTransposeLayerPlan plan = impl_->plan(in.shape, threads);
  View<const T> b;
  if (impl_->has_bias) {
    const index_t cout = impl_->w_shape[1] * impl_->options.groups;
    b = contiguous_view(impl_->bias, {cout});
  }
  run_transposed_layer<T>(plan, std::move(in), contiguous_view(impl_->weight, impl_->w_shape), b,
                          std::move(out));
}

#define FASTCONV_INSTANTIATE(T)                                                                  \
  template void conv1d<T>(View<const T>, View<const T>, View<const T>, View<T>,                  \
                          const ConvLayerOptions&);                                              \
  template void conv2d<T>(View<const T>, View<const T>, View<const T>, View<T>,                  \
                          const ConvLayerOptions&);                                              \
  template void conv_transpose1d<T>(View<const T>, View<const T>, View<const T>, View<T>,        \
                                    const ConvTransposeLayerOptions&);                           \
  template void conv_transpose2d<T>(View<const T>, View<const T>, View<const T>, View<T>,        \
                                    const ConvTransposeLayerOptions&);                           \
  template void conv_layer<T>(const ConvLayerPlan&, View<const T>, View<const T>, View<const T>, \
                              View<T>);                                                          \
  template void conv_transpose_layer<T>(const ConvTransposeLayerPlan&, View<const T>,            \
                                        View<const T>, View<const T>, View<T>);                  \
  template class ConvLayer<T>;                                                                   \
  template class ConvTransposeLayer<T>;
FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_INSTANTIATE)
#undef FASTCONV_INSTANTIATE

}  // namespace fastconv
