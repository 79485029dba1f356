// The CNN layers' configuration step (cpp/src/nn/conf.hpp) on its own:
// plan + a kernel table's register constants -> which kernel and which
// blocking, checked without running anything, for every ISA's constants
// on any machine. The rules: the kernel each layer class gets, the packed
// weights' channel block (the one thing a layer object packs by before it
// sees an input), and the blocking's limits (tasks cover the output, a
// panel stays within its budget, a pass of taps keeps its weights in L1).
#include <fastconv/fastconv.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "kernels/isa_constants.hpp"
#include "kernels/kernels.hpp"
#include "nn/conf.hpp"

namespace {
using fastconv::index_t;
using fastconv::detail::LayerConf;
using fastconv::detail::LayerKernel;
int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::printf("FAIL: %s\n", what.c_str());
    ++failures;
  }
}

// A table holding an ISA's constants (the configuration reads no kernel).
fastconv::kernels::KernelTable table_of(const fastconv::kernels::IsaConstants& c) {
  fastconv::kernels::KernelTable t{};
  t.isa = c.name;
  t.vec_bytes = c.vec_bytes;
  t.conv_channel_vecs = c.conv_channel_vecs;
  t.conv_pixels = c.conv_pixels;
  return t;
}

fastconv::ConvLayerPlan plan(index_t c, index_t hw, index_t cout, index_t k, index_t stride,
                             index_t groups) {
  fastconv::ConvLayerOptions o;
  o.stride = {stride};
  o.padding = {k / 2};
  o.groups = groups;
  return fastconv::plan_conv_layer({1, c, hw, hw}, {cout, c / groups, k, k}, o);
}

// The limits every configuration keeps.
void check_limits(const fastconv::ConvLayerPlan& p, const LayerConf& c, index_t elem_bytes,
                  const fastconv::kernels::KernelTable& t, bool simd, const std::string& what) {
  // (every plan here is a conv layer's own run: its taps)
  check(
      c.R == fastconv::detail::channel_block(p.cout_g, p.cin_g * p.kh * p.kw, t, elem_bytes, simd),
      what + ": R is channel_block's");
  check(c.blocks * c.R >= p.cout_g && (c.blocks - 1) * c.R < p.cout_g, what + ": blocks");
  check(c.K == p.cin_g * p.kh * p.kw, what + ": K");
  check(c.row_blocks * c.row_block >= p.oh && (c.row_blocks - 1) * c.row_block < p.oh,
        what + ": row blocks cover the rows");
  check(c.col_blocks * c.col_block >= p.ow && (c.col_blocks - 1) * c.col_block < p.ow,
        what + ": column blocks cover the columns");
  check(c.row_block == 1 || c.panel_size * static_cast<size_t>(elem_bytes) <= (size_t(1) << 19),
        what + ": the panel stays within its budget");
  check(c.taps_per_pass >= 1 && c.taps_per_pass <= c.K, what + ": taps per pass");
  if (c.wide_kernel)
    check(c.taps_per_pass == 1 || c.taps_per_pass * c.R * elem_bytes <= (24 << 10),
          what + ": a pass's weights stay in L1");
  else
    check(c.taps_per_pass == c.K, what + ": narrow kernels take all taps in one pass");
  check(c.phase_len >= (c.wide_kernel ? c.col_block : c.vec_row * c.L) + (p.kw - 1) * p.dw / p.sw,
        what + ": a panel row holds the columns' reach");
  check(c.str().find(fastconv::detail::kernel_name(c.kernel)) == 0, what + ": str names it");
}

void check_isa(const fastconv::kernels::IsaConstants& isa) {
  const fastconv::kernels::KernelTable t = table_of(isa);
  const std::string name = isa.name;
  for (index_t elem : {index_t(4), index_t(8)}) {
    const index_t L = isa.vec_bytes / elem;
    const std::string type = name + (elem == 4 ? " float" : " double");
    auto conf = [&](const fastconv::ConvLayerPlan& p) {
      const LayerConf c = fastconv::detail::configure_layer(p, t, elem, true, nullptr, true);
      check_limits(p, c, elem, t, true, type);
      return c;
    };
    // Dense 3x3 with many channels: the wide kernel, blocks of two vectors.
    const LayerConf dense = conf(plan(64, 56, 64 * L / 16 * 2, 3, 1, 1));
    check(dense.kernel == LayerKernel::wide && dense.R == isa.conv_channel_vecs * L &&
              dense.piece == isa.conv_pixels,
          type + ": dense 3x3 -> wide");
    // Exactly one vector of channels a group: the half kernel wastes fewer lanes.
    const LayerConf one_vec = conf(plan(8, 20, L, 3, 1, 1));
    check(one_vec.kernel == LayerKernel::half && one_vec.R == L &&
              one_vec.piece == isa.conv_pixels * isa.conv_channel_vecs,
          type + ": one vector of channels -> half");
    // Depthwise: the rows kernel at stride 1, the narrow one at stride 2.
    const LayerConf dw = conf(plan(32, 40, 32, 3, 1, 32));
    check(dw.kernel == LayerKernel::rows && dw.R == 1 && dw.piece == L,
          type + ": depthwise -> rows");
    const LayerConf dw2 = conf(plan(32, 40, 32, 3, 2, 32));
    check(dw2.kernel == LayerKernel::narrow, type + ": strided depthwise -> narrow");
    // Few channels a group, several inputs: narrow.
    const LayerConf few = conf(plan(16, 30, 4, 3, 1, 4));
    check(few.kernel == LayerKernel::narrow && few.R == 1, type + ": few channels -> narrow");
    // Many taps: several passes of the wide kernel.
    const LayerConf deep = conf(plan(512, 14, 64, 3, 1, 1));
    check(deep.taps_per_pass < deep.K, type + ": 4608 taps -> several passes");
    // A wide row: column blocks of nearly equal width.
    const LayerConf row = conf(plan(8, 1100, 4 * L, 3, 1, 1));
    check(row.col_blocks == 3 && row.col_block == 367, type + ": 1100 columns -> 3 x 367");
    // Few taps (a stem: 3 channels x 3x3, stride 2): one channel a block,
    // the planes kernel on rows of a vector or more, narrow on narrower
    // ones; a transposed layer's run (not a conv's own) stays wide.
    const fastconv::ConvLayerPlan stem_plan = plan(3, 480, 16 * L / 8, 3, 2, 1);
    const LayerConf stem = conf(stem_plan);
    check(stem.kernel == LayerKernel::planes && stem.R == 1 && !stem.wide_kernel &&
              stem.taps_per_pass == stem.K,
          type + ": stem -> planes");
    const LayerConf small_stem = conf(plan(3, 2 * L - 2, 16 * L / 8, 3, 2, 1));
    check(small_stem.kernel == LayerKernel::narrow && small_stem.R == 1,
          type + ": stem on rows under a vector -> narrow");
    const LayerConf stem_run = fastconv::detail::configure_layer(stem_plan, t, elem, true);
    check(stem_run.wide_kernel && stem_run.R > 1, type + ": a transposed layer's run stays wide");
    // Paired column phases: the odd phase's taps join the even's.
    fastconv::detail::ColumnPair pair{2, 0, 1, 2 * 20};
    const fastconv::ConvLayerPlan pp = plan(6, 20, 6, 2, 1, 6);
    const LayerConf paired = fastconv::detail::configure_layer(pp, t, elem, true, &pair);
    check(
        paired.kernel == LayerKernel::paired && paired.K == pp.cin_g * pp.kh * (pp.kw + pair.taps),
        type + ": paired");
    // No SIMD kernels (another element type): the portable loop.
    const LayerConf portable =
        fastconv::detail::configure_layer(plan(64, 56, 64, 3, 1, 1), t, elem, false);
    check(portable.kernel == LayerKernel::portable && portable.R == 1 && portable.L == 1,
          type + ": portable");
  }
}

}  // namespace

int main() {
  check_isa(fastconv::kernels::kBaselineConstants);
  check_isa(fastconv::kernels::kAvx2Constants);
  check_isa(fastconv::kernels::kAvx512Constants);
  if (failures) {
    std::printf("%d failure(s)\n", failures);
    return 1;
  }
  std::printf("layer configurations: all checks passed\n");
  return 0;
}
