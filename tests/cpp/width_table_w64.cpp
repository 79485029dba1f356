// 64-byte vectors with the AVX-512 blocking (width_table-inl.hpp).
#define FASTCONV_KERNEL_ISA w64
#define FASTCONV_WIDTH_CONSTANTS kAvx512Constants
#include "width_table-inl.hpp"
