// The AVX2 kernels' part: the layers' wide and half-width kernels of
// double, for the table of kernel_avx2.cpp (kernel_unit.hpp).
#define FASTCONV_KERNEL_ISA avx2
#define FASTCONV_KERNEL_CONSTANTS kAvx2Constants
#define FASTCONV_KERNEL_PART_WIDE_F64
#include "kernels/kernel_unit.hpp"
