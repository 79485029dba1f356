// A layer's configuration (nn/conf.hpp): kernel choice and blocking.
#include "nn/conf.hpp"

#include <algorithm>
#include <sstream>

#include "execute.hpp"

namespace fastconv::detail {

namespace {

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
// The wide kernels' weights per pass of taps (they stay in L1).
constexpr index_t kPassBytes = 24 << 10;

// Blocks of the vectors of channels that waste fewer lanes (a tie: two
// vectors, which load a broadcast value for twice the work).
bool half_block(index_t cout_g, const kernels::KernelTable& table, index_t L) {
  const index_t two = table.conv_channel_vecs * L;
  return (cout_g + L - 1) / L * L < (cout_g + two - 1) / two * two;
}

}  // namespace

const char* kernel_name(LayerKernel k) {
  switch (k) {
    case LayerKernel::portable:
      return "portable";
    case LayerKernel::wide:
      return "wide";
    case LayerKernel::half:
      return "half";
    case LayerKernel::narrow:
      return "narrow";
    case LayerKernel::rows:
      return "rows";
    case LayerKernel::paired:
      return "paired";
    case LayerKernel::planes:
      return "planes";
  }
  return "?";
}

index_t channel_block(index_t cout_g, index_t taps, const kernels::KernelTable& table,
                      index_t elem_bytes, bool simd) {
  if (!simd) return 1;
  const index_t L = table.vec_bytes / elem_bytes;
  if (!uses_wide_kernel(cout_g, table, L) || uses_planes_kernel(cout_g, taps, table, L)) return 1;
  return half_block(cout_g, table, L) ? L : table.conv_channel_vecs * L;
}

LayerConf configure_layer(const ConvLayerPlan& p, const kernels::KernelTable& table,
                          index_t elem_bytes, bool simd, const ColumnPair* pair, bool conv) {
  LayerConf c;
  // (the taps of a conv layer's own run; 0: never the planes kernel)
  const index_t conv_taps = conv && !pair ? p.cin_g * p.kh * p.kw : 0;
  bool planes = false;
  if (simd) {
    c.L = table.vec_bytes / elem_bytes;
    planes = uses_planes_kernel(p.cout_g, conv_taps, table, c.L);
    c.wide_kernel = !planes && uses_wide_kernel(p.cout_g, table, c.L);
    c.kernel = LayerKernel::narrow;
    c.piece = c.L;
    if (c.wide_kernel) {
      const bool half = half_block(p.cout_g, table, c.L);
      c.piece = table.conv_pixels * (half ? table.conv_channel_vecs : 1);
      c.kernel = half ? LayerKernel::half : LayerKernel::wide;
    }
    if (pair) {
      c.paired = true;
      c.pair = *pair;
      c.kernel = LayerKernel::paired;
    } else if (!c.wide_kernel && p.cin_g == 1 && p.sh == 1 && p.dh == 1) {
      c.kernel = LayerKernel::rows;  // (consecutive output rows share input rows)
    }
    if (planes && p.ow >= c.L) c.kernel = LayerKernel::planes;
  }
  c.R = channel_block(p.cout_g, conv_taps, table, elem_bytes, simd);
  c.K_even = p.cin_g * p.kh * p.kw;
  c.K = c.K_even + (c.paired ? p.cin_g * p.kh * c.pair.taps : 0);
  c.blocks = (p.cout_g + c.R - 1) / c.R;

  // (equal blocks: a block of a few columns would copy a whole panel)
  const index_t even_blocks = (p.ow + kColumnBlock - 1) / kColumnBlock;
  c.col_block = (p.ow + even_blocks - 1) / even_blocks;
  c.vec_row = (c.col_block + c.L - 1) / c.L;
  // Panel: per channel rows_in(row_block) input rows of `row_len` = s_w
  // phases of `phase_len` positions; position j of phase f holds input
  // column c0*s_w - pad_left + j*s_w + f, so output column c's tap q is at
  // phase (q*d_w) % s_w, position c + (q*d_w) / s_w.
  // (the narrow kernel reads whole vectors past the last column; the wide
  // one reads single positions)
  const index_t reach = c.paired ? std::max(c.pair.shift_even + (p.kw - 1) * p.dw,
                                            c.pair.shift_odd + (c.pair.taps - 1) * p.dw)
                                 : (p.kw - 1) * p.dw / p.sw;
  c.phase_len = (c.wide_kernel ? c.col_block : c.vec_row * c.L) + reach;
  c.row_len = checked_mul(c.phase_len, p.sw, "stride");
  auto rows_in = [&](index_t rows) { return (rows - 1) * p.sh + (p.kh - 1) * p.dh + 1; };
  const index_t per_task = c.wide_kernel ? kVectorsPerTask : kNarrowVectorsPerTask;
  c.row_block = std::clamp((per_task + c.vec_row - 1) / c.vec_row, index_t(1), p.oh);
  while (c.row_block > 1 && p.cin_g * rows_in(c.row_block) * c.row_len * elem_bytes > kPanelBytes)
    c.row_block = (c.row_block + 1) / 2;
  c.ch_len = checked_mul(rows_in(c.row_block), c.row_len, "dilation");
  c.panel_size = static_cast<size_t>(checked_mul(p.cin_g, c.ch_len, "input"));
  // The wide kernel takes the taps in passes of nearly equal length whose
  // weights stay in L1 (beside the few panel lines a run of pixels reads).
  const index_t max_pass = std::max<index_t>(1, kPassBytes / (c.R * elem_bytes));
  const index_t passes = c.wide_kernel ? (c.K + max_pass - 1) / max_pass : 1;
  c.taps_per_pass = (c.K + passes - 1) / passes;
  c.row_blocks = (p.oh + c.row_block - 1) / c.row_block;
  c.col_blocks = (p.ow + c.col_block - 1) / c.col_block;
  return c;
}

std::string LayerConf::str() const {
  std::ostringstream s;
  s << kernel_name(kernel) << " L=" << L << " R=" << R << " piece=" << piece << " K=" << K
    << " blocks=" << blocks << " tile=" << row_block << "x" << col_block << " tasks=" << row_blocks
    << "x" << col_blocks << " taps/pass=" << taps_per_pass << " panel=" << panel_size;
  if (paired) s << " pair(taps=" << pair.taps << ")";
  return s.str();
}

}  // namespace fastconv::detail
