// The AVX-512 kernels' part: the layers' wide and half-width kernels of
// float, for the table of kernel_avx512.cpp (kernel_unit.hpp).
#define FASTCONV_KERNEL_ISA avx512
#define FASTCONV_KERNEL_CONSTANTS kAvx512Constants
#define FASTCONV_KERNEL_PART_WIDE_F32
#include "kernels/kernel_unit.hpp"
