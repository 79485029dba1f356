// The baseline kernels' part: the layers' wide and half-width kernels of
// double, for the table of kernel_baseline.cpp (kernel_unit.hpp).
#define FASTCONV_KERNEL_ISA baseline
#define FASTCONV_KERNEL_CONSTANTS kBaselineConstants
#define FASTCONV_KERNEL_PART_WIDE_F64
#include "kernels/kernel_unit.hpp"
