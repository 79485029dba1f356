#pragma once
// The kernel interface, one table per ISA (KernelTable, chosen at start-up
// in runtime.cpp): the row kernel (one strided 1-D correlation of a row
// segment, every element type), the register-blocked tile kernel (a 2-D
// block with column stride 1, float and double), which the engine
// (engine.hpp) reduces the signal functions to, and the CNN layers'
// kernels over a packed panel (ConvTask, nn/run.hpp), max- and
// average-pooling's rows (pool.cpp); plus the FMA probe.
#include <complex>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

#include "fastconv/element_types.hpp"
#include "fastconv/nn.hpp"
#include "fastconv/options.hpp"
#include "kernels/winograd_matrices.hpp"

namespace fastconv::kernels {

// acc[j - j0] += sum_q x~[j*stride + q*dilation + origin] * k[q]
// for j in [j0, j1), where x~ is the row x[0..n) (element stride
// x_stride) extended by `boundary`, or the constant `fill` everywhere when
// fill_row is set (a row that lies wholly in the fill region).
template <class T>
struct RowTask {
  const T* x;
  index_t n;
  index_t x_stride;
  const T* k;
  index_t taps;
  index_t stride;
  index_t dilation;
  index_t origin;
  Boundary boundary;
  T fill;
  bool fill_row;
  T* acc;
  index_t j0;
  index_t j1;
};

template <class T>
using RowKernel = void (*)(const RowTask<T>&);

// The interior of a 2-D correlation, where every tap lands inside the
// input (no boundary handling, column stride 1, contiguous input rows):
//   acc[r*acc_stride + c] (+)= sum_{p,q} k[p*kw + q] *
//       x[(row0 + r*row_stride + p*row_dilation)*x_stride + col0 + c + q*col_dilation]
// for r in [0, rows), c in [0, cols), adding to acc when `accumulate` is
// set and overwriting it otherwise. Taps are summed p-major, q-minor, the
// same order as the row kernel.
template <class T>
struct TileTask {
  const T* x;
  index_t x_stride;  // elements between input rows
  const T* k;
  index_t kh, kw;
  index_t row0, row_stride, row_dilation;
  index_t col0, col_dilation;
  index_t rows, cols;
  T* acc;
  index_t acc_stride;
  bool accumulate;
};

template <class T>
using TileKernel = void (*)(const TileTask<T>&);

// A CNN layer's direct convolution over a panel (a boundary-extended copy
// of the input rows one task reads, see nn/run.hpp): for every piece v < n_vec
// of lanes[v] consecutive panel positions, and channel i < R of the block,
//   out[i*out_ch_step + (output offset of position l)] = bias[i] +
//       sum_{r < K} panel[x_base[v] + l + x_off[r]] * w[r*R + i]
// for l < lanes[v], the K taps in ascending r. Narrow kernel: R = 1,
// pieces of at most one vector, stored at out_off[v] + l*out_w_step. Wide
// kernel: R = conv_channel_vecs vectors of channels, pieces of at most
// P = conv_pixels positions whose output offsets are pixel_out[v*P + l]
// (kNoOutput: a position with no output, not stored; offsets may be
// negative: an output with negative strides); the half-width kernel the
// same with R = one vector and P = conv_pixels * conv_channel_vecs. Only
// the first `channels` of the block are stored (the packed weights and
// bias of the others are zero). bias == nullptr: no bias.
//
// The wide kernel may take the reduction in passes over slices of the
// taps (x_off, w and K describing one slice): a pass that is not `first`
// starts from the sums in `partial` instead of the bias, and one that is
// not `last` leaves its sums there (R per position, P positions per
// piece) instead of storing them -- the same operations in the same
// order as one pass, so the same bits.
//
// Rows kernel: the narrow kernel's sums for one input channel (K = kh *
// kw taps, x_off[p*kw + q] = p*row_step + x_off[q]) when the task's
// n_vec pieces are n_vec / vec_row output rows of vec_row pieces, each row
// row_step panel positions after the one before (x_base).
//
// Paired kernel (a transposed layer's two column phases at stride 2):
// as the narrow kernel, with a second reduction over the K2 taps
// x_off2/w2 for the odd output columns; piece v's outputs m of the first
// go to column 2m and of the second to 2m + 1 (out_w_step is the step of
// m), the two vectors interleaved into 2*lanes[v] <= 2 vectors' worth of
// consecutive columns (lanes[v] counts the columns stored: at most twice
// a vector).
// A wide-kernel position with no output (pixel_out): no output offset
// can be this, whatever the strides.
inline constexpr index_t kNoOutput = std::numeric_limits<index_t>::min();
// (`partial` may be null when a task takes all its taps in one pass.)
// A layer's fused epilogue as the kernels apply it (epilogue-inl.hpp):
// out = activation(sum + residual). relu6 arrives as clamp (0, 6) and
// leaky_relu as prelu with its slope for every channel.
template <class T>
struct Epilogue {
  Activation activation = Activation::none;
  T lo = 0, hi = 0;  // clamp's bounds
  // prelu: the slope of each output channel, readable a whole block of
  // channels past the last (zeros there)
  const T* slopes = nullptr;
};

// The epilogue as a pass over n outputs already stored (out, element
// step out_step), with the residual (res, step res_step; nullptr: none)
// and one channel's prelu slope: what the kernels do in registers, for
// the paths that store outputs without a kernel.
template <class T>
using EpiloguePass = void (*)(const Epilogue<T>& e, T* out, const T* res, index_t n,
                              index_t out_step, index_t res_step, T slope);

template <class T>
struct ConvTask {
  const T* panel;
  const index_t* x_base;
  const index_t* x_off;
  index_t K;
  const T* w;
  const T* bias;
  index_t channels;
  index_t n_vec;
  const index_t* lanes;
  const index_t* out_off;
  const index_t* pixel_out;
  T* out;
  index_t out_ch_step;
  index_t out_w_step;
  T* partial;
  bool first;
  bool last;
  const index_t* x_off2 = nullptr;  // paired kernel only
  const T* w2 = nullptr;
  index_t K2 = 0;
  index_t kh = 0, kw = 0, row_step = 0, vec_row = 0;  // rows kernel only
  // The epilogue (nullptr: store the sums), applied when the last pass
  // stores: the residual at out's offsets from res (nullptr: none), and
  // the prelu slopes from the block's first channel.
  const Epilogue<T>* epilogue = nullptr;
  const T* res = nullptr;
  const T* slopes = nullptr;
  // Wide kernels: channel o's output (and residual) offset, instead of
  // o*out_ch_step (nullptr: that): a transposed layer whose kernel is its
  // stride sends its (channel, tap) products to their output phases.
  const index_t* ch_out = nullptr;
  // With ch_out: channels 2i and 2i + 1 lie side by side in out (column
  // phases 0 and 1 of a 2-wide stride-2 kernel), stored together.
  bool ch_pairs = false;
};

template <class T>
using ConvKernel = void (*)(const ConvTask<T>&);

// A strided layer's panel copy (nn/run.hpp): n*phases consecutive input
// columns split into their column phases,
//   dst[f*phase_step + j] = src[j*phases + f]   for f < phases, j < n,
// so that the taps of consecutive output pixels are consecutive panel
// positions; and a channels-last input row (phases = its channels) into
// the panel's channel planes. Reads src[0, n*phases) only.
template <class T>
using DeinterleaveKernel = void (*)(const T* src, index_t n, index_t phases, T* dst,
                                    index_t phase_step);

// The Winograd panel copy (nn/winograd.hpp): n positions of `channels`
// planes src_step apart into channels-last rows,
//   dst[j*dst_step + c] = src[c*src_step + j]   for c < channels, j < n.
template <class T>
using PlanesToRowsKernel = void (*)(const T* src, index_t src_step, index_t channels, index_t n,
                                    T* dst, index_t dst_step);

// A channels-last depthwise layer (one input and one output channel per
// group; nn/depthwise.hpp), one output row: for output pixels x < cols and
// channels c < channels,
//   out[x*channels + c] = bias[c] +
//       sum_{p < kh, q < kw} in_p(x*sw + q*dw)[c] * w[(p*kw + q)*w_step + c]
// with the taps in ascending (p, q) order -- the planar kernels' sums, so
// either layout gives the same bits. in_p(j), padded column j of the
// task's input row p, is rows[p] + col[j] (col[j] < 0: zeros); for the
// pixels [inner_lo, inner_hi), whose taps all lie inside the row, it is
// rows[p] + (j - pad_left)*channels. w, bias (nullptr: none) and zeros
// hold w_step >= channels values per tap, a whole number of vectors. The
// epilogue as ConvTask's: the residual at out's offsets, the slopes of
// the channels from 0.
template <class T>
struct DepthwiseTask {
  const T* const* rows;
  const index_t* col;
  const T* zeros;
  index_t kh, kw, sw, dw, pad_left;
  index_t cols, channels, inner_lo, inner_hi;
  const T* w;
  index_t w_step;
  const T* bias;
  T* out;
  const Epilogue<T>* epilogue = nullptr;
  const T* res = nullptr;
  const T* slopes = nullptr;
};

template <class T>
using DepthwiseKernel = void (*)(const DepthwiseTask<T>&);

// A 1x1 layer (stride 1, no padding, one group) on channels-last arrays
// (nn/pointwise_nhwc.hpp), a run of pixels: for pixels i < pixels and
// output channels o < channels,
//   out[i*out_step + o] = bias[o] + sum_{r < K} in[i*in_step + r] * w[r*w_step + o]
// with r ascending -- the planar pointwise kernel's sums, so either layout
// gives the same bits. w (K rows), bias (nullptr: none) and the slopes
// hold w_step >= channels values, a whole number of vectors (zeros past
// the last channel). The epilogue as ConvTask's: the residual at out's
// offsets, the slopes of the channels from 0.
template <class T>
struct PointwiseNhwcTask {
  const T* in;
  index_t in_step, K, pixels;
  const T* w;
  index_t w_step;
  const T* bias;
  index_t channels;
  T* out;
  index_t out_step;
  const Epilogue<T>* epilogue = nullptr;
  const T* res = nullptr;
  const T* slopes = nullptr;
};

template <class T>
using PointwiseNhwcKernel = void (*)(const PointwiseNhwcTask<T>&);

// Winograd F(m x m, 3 x 3) for a block of tiles of a 3 x 3, stride-1
// layer (winograd_matrices.hpp; nn/winograd.hpp runs it). The input is a
// channels-last panel: element (row r, column x, channel c) at
// panel[r*panel_row + x*channel_step + c], zero for channels >= C; tile
// (i, j) of tile_rows x tile_cols reads its alpha x alpha elements from
// row i*m, column j*m. The transformed weights of product e (of alpha^2),
// input channel c and output channel o = b*NB + j (NB = conv_channel_vecs
// vectors) are U[e*u_e_step + b*u_block_step + c*NB + j]. For the output
// channels [o0, o1) (whole blocks), per tile:
//   out[o*out_ch_step + y*out_row_step + x*out_col_step] =
//       bias[o] + (A^T [sum_c U[., c, o] . (B^T d_c B)] A)[y - i*m, x - j*m]
// stored for o < channels, y < rows and x < cols (the output's edge cuts
// the last tiles); the C input channels summed in ascending order. V and M
// are scratch of alpha^2 x tiles x channel_step and alpha^2 x tiles x
// (o1 - o0). `nonfinite` is set when any output of the
// tiles, stored or not, is Inf or NaN (the caller then computes the image
// directly: a tile mixes its inputs, so Inf and NaN would spread).
// A run may split a task in two stages (nn/winograd.hpp): with panel set,
// the input transform of the channels [in_c0, in_c1) (whole vectors) into
// V; with o1 > o0, the products and the output transform from V, which
// then holds every channel's transform (panel nullptr: done before).
template <class T>
struct WinogradTask {
  const T* panel;
  index_t in_c0, in_c1;
  index_t panel_row, channel_step;
  index_t tile_rows, tile_cols, C;
  const T* U;
  index_t u_e_step, u_block_step;
  index_t o0, o1;
  const T* bias;
  T* V;
  T* M;
  T* out;
  index_t out_ch_step, out_row_step, out_col_step;
  index_t rows, cols, channels;
  bool* nonfinite;
  // The fused epilogue (nullptr: none; its slopes from this task's first
  // channel on) and the residual at out's offsets (nullptr: none).
  const Epilogue<T>* epilogue = nullptr;
  const T* res = nullptr;
};

template <class T>
using WinogradKernel = void (*)(const WinogradTask<T>&);
// G g G^T of n 3x3 kernels in double (n a multiple of 8): tap (i, q) of
// kernel j at g[(3*i + q)*n + j], product e at u[e*n + j].
using WinogradWeightsKernel = void (*)(const double* g, index_t n, double* u);

// A tuple of Kernel<T> for each T of a type list (a table entry per type).
template <template <class> class Kernel, class List>
struct PerType;
template <template <class> class Kernel, class... T>
struct PerType<Kernel, TypeList<T...>> {
  using type = std::tuple<Kernel<T>...>;
};

using RowKernels = PerType<RowKernel, ElementTypes>::type;

// Max-pooling of out_rows output rows (pool.cpp, pool_kernel-inl.hpp):
// for i < out_rows and o < count, out[i*out_row_step + o] is the maximum of
//   x[i*x_row_step + o*stride + z*depth_step + r*row_step + j*dilation]
// over z < depths, r < rows, j < kw, taken in that (row-major) order, and
// idx[i*idx_row_step + o] (unless idx is nullptr) its flat index:
// at0 + i*at_row_step + o*stride + z*depth_at_step + r*row_at_step +
// j*dilation. Every tap lies inside the input; x_after elements of each
// of x's rows are readable from its first tap on. One per pool type.
template <class T>
struct MaxPoolRowTask {
  const T* x;
  index_t x_after;
  index_t depths, depth_step;
  index_t rows, row_step;
  index_t kw, dilation, stride;
  index_t count;
  T* out;
  std::int64_t* idx;
  std::int64_t at0, depth_at_step, row_at_step;
  index_t out_rows = 1;  // the rows below the first, each a step further on
  index_t x_row_step = 0, out_row_step = 0, idx_row_step = 0;
  std::int64_t at_row_step = 0;
  // Each row's output before the first too (out[-1], idx[-1]: o = -1 above,
  // dilation 1), whose first column lies left of the row: not a tap.
  bool first_clipped = false;
};
template <class T>
using MaxPoolRowKernel = void (*)(const MaxPoolRowTask<T>&);
using MaxPoolRowKernels = PerType<MaxPoolRowKernel, PoolTypes>::type;

// Average pooling of one output row (pool.cpp, pool_kernel-inl.hpp): for
// o < count, out[o] is the sum of
//   x[o*stride + z*depth_step + r*row_step + j]
// over z < depths, r < rows, j < kw, added from zero in that (row-major)
// order, divided by divisors[0], then [1], then [2] (1: no division).
// Every tap lies inside the input; x_after elements of x's row are
// readable from x on. float32 and float64 (the other types: pool.cpp's
// loops).
template <class T>
struct AvgPoolRowTask {
  const T* x;
  index_t x_after;
  index_t depths, depth_step;
  index_t rows, row_step;
  index_t kw, stride;
  index_t count;
  index_t divisors[3];
  T* out;
};
template <class T>
using AvgPoolRowKernel = void (*)(const AvgPoolRowTask<T>&);

// Average pooling of one window in each of `planes` planes (pool.cpp's
// outputs that no row kernel takes: borders, unequal adaptive windows,
// windows nearly as large as the plane): *out[q] for q < planes is the sum of
//   x[q][z*depth_step + r*row_step + j]
// over z < depths, r < rows, j < width, added from zero in that
// (row-major) order, divided by divisors[0], then [1], then [2]. Every
// tap lies inside the input. float32 and float64.
template <class T>
struct AvgPoolPlanesTask {
  const T* const* x;  // each plane's first tap
  int planes;
  index_t depths, depth_step;
  index_t rows, row_step;
  index_t width;
  index_t divisors[3];
  T* const* out;  // each plane's output
};
template <class T>
using AvgPoolPlanesKernel = void (*)(const AvgPoolPlanesTask<T>&);

// A global average pool's sums (pool.cpp: the window is the whole plane):
// sums[q] for q < planes is the sum of plane x + q*step, its elements
// x[q*step + i] for i < n, n >= 1, in kGlobalLanes partial sums from
// zero: element i
// goes to partial sum i % kGlobalLanes, except the last n % kGlobalLanes
// elements, which go to the last n % kGlobalLanes partial sums in order
// (element i to i + kGlobalLanes - n); then partial sums j and
// j + w are added for j < w, w = kGlobalLanes / 2, then w / 2, ..., 1.
// The same on every ISA (docs/conventions.md, "Average pooling"). float32
// and float64.
constexpr int kGlobalLanes = 16;
template <class T>
using AvgPoolGlobalKernel = void (*)(const T* x, index_t n, index_t planes, index_t step, T* sums);

// Peak-throughput probe for bench/: `iterations` rounds of independent
// float32 FMAs over full vectors; returns the flops done.
using FmaProbe = double (*)(long iterations);

// The denormal guard's row loops (underflow.hpp), over contiguous reals:
// dst = src * 2^e exactly (e >= 0, results normal), y *= 2^-e correctly
// rounded, and the smallest nonzero / largest |value| bit patterns folded
// into lo and hi.
template <class R>
struct UnderflowKernels {
  void (*scale_up)(const R* src, R* dst, index_t n, int e);
  void (*scale_down)(R* y, index_t n, int e);
  void (*bit_range)(const R* p, index_t n, std::int64_t& lo, std::int64_t& hi);
};

// The FFT's kernels (fft_kernel-inl.hpp; the plans are ISA-independent:
// ComplexFft and RealFft, cpp/src/fft/real_fft.cpp). A Stockham pass of
// radix 2, 3, 4 or 5 over `stride` interleaved transforms of `length`
// points, split arrays (imaginary parts `imag` after the real parts), the
// pass's twiddles in twr / twi; and the real transform's split pass and its
// inverse, for the complex transform of m points.
template <class T>
using FftPass = void (*)(const T* in, T* out, index_t imag, index_t length, index_t stride,
                         const T* twr, const T* twi);
template <class T>
struct FftKernels {
  FftPass<T> radix2, radix3, radix4, radix5;
  void (*split_forward)(const T* zr, const T* zi, const T* wr, const T* wi, T* xr, T* xi,
                        index_t m);
  void (*split_inverse)(const T* xr, const T* xi, bool conjugated, const T* wr, const T* wi, T* zr,
                        T* zi, index_t m);
};

struct KernelTable {
  const char* isa;
  FmaProbe fma_probe;
  TileKernel<float> tile_f32;
  TileKernel<double> tile_f64;
  RowKernels row;                            // one per element type: row_kernel<T>(table)
  MaxPoolRowKernels max_pool_row;            // one per pool type: max_pool_row_kernel<T>(table)
  AvgPoolRowKernel<float> avg_pool_row_f32;  // avg_pool_row_kernel<T>(table)
  AvgPoolRowKernel<double> avg_pool_row_f64;
  AvgPoolPlanesKernel<float> avg_pool_planes_f32;  // avg_pool_planes_kernel<T>(table)
  AvgPoolPlanesKernel<double> avg_pool_planes_f64;
  AvgPoolGlobalKernel<float> avg_pool_global_f32;  // avg_pool_global_kernel<T>(table)
  AvgPoolGlobalKernel<double> avg_pool_global_f64;
  // CNN layers: bytes per vector, the wide kernels' block (vectors of
  // channels x pixels), and the kernels.
  int vec_bytes;
  int conv_channel_vecs;
  int conv_pixels;
  // (named as nn/conf.hpp's LayerKernel: wide = conv_channel_vecs vectors
  // of output channels x conv_pixels pixels, half = one vector of channels
  // x twice the pixels, both broadcasting one input per pixel and tap;
  // narrow = vectors of pixels of one channel; rows = narrow sharing input
  // rows between output rows; paired = narrow over two column phases)
  ConvKernel<float> conv_wide_f32;
  ConvKernel<float> conv_half_f32;
  ConvKernel<float> conv_narrow_f32;
  ConvKernel<float> conv_rows_f32;
  ConvKernel<float> conv_paired_f32;
  ConvKernel<double> conv_wide_f64;
  ConvKernel<double> conv_half_f64;
  ConvKernel<double> conv_narrow_f64;
  ConvKernel<double> conv_rows_f64;
  ConvKernel<double> conv_paired_f64;
  // pointwise = 1x1, stride 1, no padding: blocks of channels x vectors of
  // pixels over the input in place, stored in whole vectors
  ConvKernel<float> conv_pointwise_f32;
  ConvKernel<double> conv_pointwise_f64;
  // a strided layer's panel copy: the column phases of an input row
  DeinterleaveKernel<float> deinterleave_f32;
  DeinterleaveKernel<double> deinterleave_f64;
  // the Winograd panel copy: planes into channels-last rows
  PlanesToRowsKernel<float> planes_to_rows_f32;
  PlanesToRowsKernel<double> planes_to_rows_f64;
  // depthwise layers on channels-last arrays: vectors of channels
  DepthwiseKernel<float> depthwise_f32;
  DepthwiseKernel<double> depthwise_f64;
  // 1x1 layers on channels-last arrays: vectors of output channels
  PointwiseNhwcKernel<float> pointwise_nhwc_f32;
  PointwiseNhwcKernel<double> pointwise_nhwc_f64;
  UnderflowKernels<float> underflow_f32;
  UnderflowKernels<double> underflow_f64;
  // Winograd tiles: [0] F(2x2, 3x3), [1] F(4x4, 3x3)
  WinogradKernel<float> winograd_f32[2];
  WinogradKernel<double> winograd_f64[2];
  WinogradWeightsKernel winograd_weights[2];
  EpiloguePass<float> epilogue_f32;
  EpiloguePass<double> epilogue_f64;
  // the FFT's passes: fft_kernels<T>(table)
  FftKernels<float> fft_f32;
  FftKernels<double> fft_f64;
};

namespace baseline {
const KernelTable& table();
}
namespace avx2 {
const KernelTable& table();
}
namespace avx512 {
const KernelTable& table();
}

// The table of the ISA chosen at start-up (see runtime.cpp).
const KernelTable& active_table();

// T's entry of a float / double pair of table entries; nullptr for other
// types, which have no such kernel.
template <class T, class F32, class F64>
auto per_type(F32 f32, F64 f64) {
  if constexpr (std::is_same_v<T, float>)
    return f32;
  else if constexpr (std::is_same_v<T, double>)
    return f64;
  else
    return nullptr;
}

// The tile kernel of T, or nullptr where only the row kernel exists.
template <class T>
TileKernel<T> tile_kernel(const KernelTable& t) {
  return per_type<T>(t.tile_f32, t.tile_f64);
}

// The layer kernels of T: wide (conv_channel_vecs vectors of channels),
// half (1 vector of channels, twice the pixels), narrow (1 channel), rows
// and paired; nullptr where T has none.
template <class T>
struct ConvKernels {
  ConvKernel<T> wide = nullptr, half = nullptr, narrow = nullptr, rows = nullptr, paired = nullptr,
                pointwise = nullptr;
};
template <class T>
ConvKernels<T> conv_kernels(const KernelTable&) {
  return {};
}
template <>
inline ConvKernels<float> conv_kernels(const KernelTable& t) {
  return {t.conv_wide_f32, t.conv_half_f32,   t.conv_narrow_f32,
          t.conv_rows_f32, t.conv_paired_f32, t.conv_pointwise_f32};
}
template <>
inline ConvKernels<double> conv_kernels(const KernelTable& t) {
  return {t.conv_wide_f64, t.conv_half_f64,   t.conv_narrow_f64,
          t.conv_rows_f64, t.conv_paired_f64, t.conv_pointwise_f64};
}

// The panel copy's deinterleave kernel of T; nullptr where T has none.
template <class T>
DeinterleaveKernel<T> deinterleave_kernel(const KernelTable& t) {
  return per_type<T>(t.deinterleave_f32, t.deinterleave_f64);
}

// The Winograd panel copy's kernel of T; nullptr where T has none.
template <class T>
PlanesToRowsKernel<T> planes_to_rows_kernel(const KernelTable& t) {
  return per_type<T>(t.planes_to_rows_f32, t.planes_to_rows_f64);
}

// The channels-last depthwise kernel of T; nullptr where T has none.
template <class T>
DepthwiseKernel<T> depthwise_kernel(const KernelTable& t) {
  return per_type<T>(t.depthwise_f32, t.depthwise_f64);
}

// The channels-last 1x1 kernel of T; nullptr where T has none.
template <class T>
PointwiseNhwcKernel<T> pointwise_nhwc_kernel(const KernelTable& t) {
  return per_type<T>(t.pointwise_nhwc_f32, t.pointwise_nhwc_f64);
}

// The Winograd kernels of T ([0] F(2x2, 3x3), [1] F(4x4, 3x3)); nullptr
// where T has none.
template <class T>
WinogradKernel<T> winograd_kernel(const KernelTable& t, int variant) {
  return per_type<T>(t.winograd_f32[variant], t.winograd_f64[variant]);
}

// The epilogue pass of T (float or double).
template <class T>
EpiloguePass<T> epilogue_pass(const KernelTable& t) {
  if constexpr (std::is_same_v<T, float>)
    return t.epilogue_f32;
  else
    return t.epilogue_f64;
}

// The FFT's kernels of T (float or double).
template <class T>
FftKernels<T> fft_kernels(const KernelTable& t) {
  return per_type<T>(t.fft_f32, t.fft_f64);
}

template <class R>
const UnderflowKernels<R>& underflow_kernels(const KernelTable& t) {
  if constexpr (std::is_same_v<R, float>)
    return t.underflow_f32;
  else
    return t.underflow_f64;
}

template <class T>
RowKernel<T> row_kernel(const KernelTable& t) {
  return std::get<RowKernel<T>>(t.row);
}

template <class T>
MaxPoolRowKernel<T> max_pool_row_kernel(const KernelTable& t) {
  return std::get<MaxPoolRowKernel<T>>(t.max_pool_row);
}

// The average-pooling row kernel of T; nullptr where T has none.
template <class T>
AvgPoolRowKernel<T> avg_pool_row_kernel(const KernelTable& t) {
  return per_type<T>(t.avg_pool_row_f32, t.avg_pool_row_f64);
}

// The average-pooling planes kernel of T; nullptr where T has none.
template <class T>
AvgPoolPlanesKernel<T> avg_pool_planes_kernel(const KernelTable& t) {
  return per_type<T>(t.avg_pool_planes_f32, t.avg_pool_planes_f64);
}

// The global average-pooling kernel of T; nullptr where T has none.
template <class T>
AvgPoolGlobalKernel<T> avg_pool_global_kernel(const KernelTable& t) {
  return per_type<T>(t.avg_pool_global_f32, t.avg_pool_global_f64);
}

}  // namespace fastconv::kernels
