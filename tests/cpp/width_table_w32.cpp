// 32-byte vectors with the AVX2 blocking (width_table-inl.hpp).
#define FASTCONV_KERNEL_ISA w32
#define FASTCONV_WIDTH_CONSTANTS kAvx2Constants
#include "width_table-inl.hpp"
