// AVX-512 (F/VL/DQ/BW) kernels (32 vector registers: more rows share each
// input load). The kernel_avx512*.cpp files alone are compiled with the
// AVX-512 flags.
// This file: every kernel but the layers' wide ones, and the table; the
// wide ones in kernel_avx512_wide_*.cpp (kernel_unit.hpp).
#define FASTCONV_KERNEL_ISA avx512
#define FASTCONV_KERNEL_CONSTANTS kAvx512Constants
#define FASTCONV_KERNEL_PART_TABLE
#include "kernels/kernel_unit.hpp"
