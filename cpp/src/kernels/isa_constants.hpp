#pragma once
// Each ISA's register-block constants, written once: the kernel files
// compile their bodies with them (kernel_unit.hpp), and the C++ tests run
// the same configurations on any machine (tests/cpp). Plain constants: no
// code, so nothing here can carry one ISA's instructions into another's
// path.
namespace fastconv::kernels {

struct IsaConstants {
  const char* name;
  int vec_bytes;          // bytes per vector register
  int row_block;          // tile kernel: output rows sharing each input load
  int col_vecs_multi;     // tile kernel: vectors along the row per block
  int conv_channel_vecs;  // layer wide kernel: vectors of output channels...
  int conv_pixels;        // ...x pixels, accumulated in registers
  int conv_vecs1;         // layer narrow kernel: vectors of pixels per step
};

// The same constants under another name (the tests' copies of a table).
constexpr IsaConstants renamed(IsaConstants c, const char* name) {
  c.name = name;
  return c;
}

inline constexpr IsaConstants kBaselineConstants{"baseline", 16, 3, 3, 2, 4, 8};
inline constexpr IsaConstants kAvx2Constants{"avx2", 32, 3, 3, 2, 6, 8};
// (32 registers: more rows share each input load)
inline constexpr IsaConstants kAvx512Constants{"avx512", 64, 4, 4, 2, 14, 12};

}  // namespace fastconv::kernels
