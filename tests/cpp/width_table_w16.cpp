// 16-byte vectors with the SSE2 blocking (width_table-inl.hpp).
#define FASTCONV_KERNEL_ISA w16
#define FASTCONV_WIDTH_CONSTANTS kBaselineConstants
#include "width_table-inl.hpp"
