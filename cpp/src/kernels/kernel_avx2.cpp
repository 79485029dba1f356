// AVX2 + FMA kernels (16 vector registers). The kernel_avx2*.cpp files
// alone are compiled with -mavx2 -mfma; they run only where runtime.cpp
// found both.
// This file: every kernel but the layers' wide ones, and the table; the
// wide ones in kernel_avx2_wide_*.cpp (kernel_unit.hpp).
#define FASTCONV_KERNEL_ISA avx2
#define FASTCONV_KERNEL_CONSTANTS kAvx2Constants
#define FASTCONV_KERNEL_PART_TABLE
#include "kernels/kernel_unit.hpp"
