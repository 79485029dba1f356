#pragma once
// A layer's configuration (oneDNN's init_conf, XNNPACK's operator setup):
// from a plan and the ISA's kernel table, which kernel runs and how the
// work is blocked -- channels per block, pixels per piece, the task's rows
// and columns, taps per pass, the panel's layout. Pure: it runs nothing and
// allocates nothing but the struct, so tests can check it on its own
// (tests/cpp). The run (nn/run.hpp) only reads it. A new algorithm is a
// new LayerKernel case here plus its kernels.
#include <string>

#include "fastconv/nn.hpp"
#include "kernels/kernels.hpp"

namespace fastconv::detail {

// Which kernel computes a layer's outputs (kernels.hpp, ConvTask):
//   portable  one output per step, any element type (no SIMD kernel)
//   wide      conv_channel_vecs vectors of output channels x pixels
//   half      one vector of output channels x twice the pixels
//   narrow    vectors of pixels of one channel (depthwise and few channels)
//   rows      narrow, consecutive output rows sharing input rows
//   paired    narrow over the two column phases of a stride-2 transposed layer
//   planes    blocks of output channels x vectors of a row's pixels, for
//             conv layers of few taps (a stem: 3 channels x 3x3); the
//             pointwise kernel over the panel, whole vectors stored
enum class LayerKernel { portable, wide, half, narrow, rows, paired, planes };

const char* kernel_name(LayerKernel k);

// The odd column phase of a stride-2 transposed layer, run beside the
// even one (the plan's) by the paired kernel: its taps (at the plan's
// dilation), the panel positions of either phase's first tap, and the
// output's width in columns.
struct ColumnPair {
  index_t taps = 0, shift_even = 0, shift_odd = 0, columns = 0;
};

// Tasks cover (image, group, chunk of channel blocks, block of output
// rows, block of output columns); a task copies the input rows it reads,
// extended by the padding mode, into a panel: per input channel
// rows_in(row_block) rows of row_len = s_w phases of phase_len positions.
struct LayerConf {
  LayerKernel kernel = LayerKernel::portable;
  bool wide_kernel = false;  // wide or half: blocks of R channels x pieces of pixels
  bool paired = false;
  ColumnPair pair;
  // Lanes per vector (L), output channels per block (R, the packed
  // weights' width), outputs per piece of a row (piece).
  index_t L = 1, R = 1, piece = 1;
  // Taps (K: input channels x kernel rows x kernel columns, then the odd
  // phase's taps when paired; K_even: the plan's own) and channel blocks
  // per group.
  index_t K = 0, K_even = 0, blocks = 0;
  // Output columns and rows per task, the vectors in a column block, the
  // panel's layout and size, and the taps per pass of the wide kernels
  // (whose weights stay in L1).
  index_t col_block = 0, vec_row = 0, row_block = 0;
  index_t phase_len = 0, row_len = 0, ch_len = 0;
  size_t panel_size = 0;
  index_t taps_per_pass = 0;
  index_t row_blocks = 0, col_blocks = 0;

  std::string str() const;  // for tests and debugging
};

// Output channels per block of the packed weights (LayerConf::R) of a
// layer with cout_g output channels per group and `taps` taps per output
// (0: a transposed layer's run, never the planes kernel): the packing's
// one dependence on the configuration, so that a layer object packs before
// it sees an input. simd: whether the element type has SIMD kernels.
index_t channel_block(index_t cout_g, index_t taps, const kernels::KernelTable& table,
                      index_t elem_bytes, bool simd);

// The configuration of a plan on a table, for elements of elem_bytes
// (simd: whether the type has SIMD kernels); `pair` for a transposed
// layer's paired column phases; `conv`: a conv layer's own run (the
// planes kernel may take it; a transposed layer's runs store channels
// elsewhere).
LayerConf configure_layer(const ConvLayerPlan& p, const kernels::KernelTable& table,
                          index_t elem_bytes, bool simd, const ColumnPair* pair = nullptr,
                          bool conv = false);

// Few channels per group (depthwise): one channel at a time, pieces of a
// vector (the narrow kernel); else blocks of channel vectors x pixels.
inline bool uses_wide_kernel(index_t cout_g, const kernels::KernelTable& table, index_t lanes) {
  return cout_g * 2 >= table.conv_channel_vecs * lanes;
}

// Conv layers whose outputs sum at most this many taps (a stem's 3 input
// channels x 3x3) and that would take the wide kernel take one channel per
// block instead: the planes kernel on rows of at least a vector, the
// narrow one on narrower rows. (With so few taps the wide kernel spends
// as long transposing its outputs into the planes as summing them.)
constexpr index_t kPlanesMaxTaps = 32;

inline bool uses_planes_kernel(index_t cout_g, index_t taps, const kernels::KernelTable& table,
                               index_t lanes) {
  return taps > 0 && taps <= kPlanesMaxTaps && uses_wide_kernel(cout_g, table, lanes);
}

}  // namespace fastconv::detail
