// Baseline kernels: compiled with the target's default flags (SSE2 on
// x86-64, NEON on aarch64), so they run on every CPU.
// This file: every kernel but the layers' wide ones, and the table; the
// wide ones in kernel_baseline_wide_*.cpp (kernel_unit.hpp).
#define FASTCONV_KERNEL_ISA baseline
#define FASTCONV_KERNEL_CONSTANTS kBaselineConstants
#define FASTCONV_KERNEL_PART_TABLE
#include "kernels/kernel_unit.hpp"
