// One ISA's register-block configuration compiled with the tests' default
// flags, as the table fastconv::kernels::FASTCONV_KERNEL_ISA::table() with
// FASTCONV_KERNEL_CONSTANTS's blocking (width_tables.hpp says why): every
// part of kernel_unit.hpp in one file. One file per width
// (width_table_w16.cpp, ...) so that the build compiles them in parallel:
// the wide vectors without the ISA flags are slow.
#include "kernels/isa_constants.hpp"
#include "width_tables.hpp"

#define FASTCONV_WIDTH_STRING2(name) #name
#define FASTCONV_WIDTH_STRING(name) FASTCONV_WIDTH_STRING2(name)
#define FASTCONV_KERNEL_CONSTANTS \
  renamed(FASTCONV_WIDTH_CONSTANTS, FASTCONV_WIDTH_STRING(FASTCONV_KERNEL_ISA))
#define FASTCONV_KERNEL_PART_TABLE
#define FASTCONV_KERNEL_PART_WIDE_F32
#define FASTCONV_KERNEL_PART_WIDE_F64
#include "kernels/kernel_unit.hpp"
