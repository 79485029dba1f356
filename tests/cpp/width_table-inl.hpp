// One ISA's register-block configuration compiled with the tests' default
// flags, as the table fastconv::kernels::FASTCONV_WIDTH_NAME::table() with
// FASTCONV_WIDTH_CONSTANTS's blocking (width_tables.hpp says why). One
// file per width (width_table_w16.cpp, ...) so that the build compiles
// them in parallel: the wide vectors without the ISA flags are slow.
#include <algorithm>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "boundary.hpp"
#include "kernels/isa_constants.hpp"
#include "scalar.hpp"
#include "width_tables.hpp"

#define FASTCONV_WIDTH_STRING2(name) #name
#define FASTCONV_WIDTH_STRING(name) FASTCONV_WIDTH_STRING2(name)

namespace fastconv::kernels::FASTCONV_WIDTH_NAME {
namespace {
constexpr IsaConstants kIsa =
    renamed(FASTCONV_WIDTH_CONSTANTS, FASTCONV_WIDTH_STRING(FASTCONV_WIDTH_NAME));
#include "kernels/isa_names-inl.hpp"
#include "kernels/tile_kernel-inl.hpp"
#include "kernels/epilogue-inl.hpp"
#include "kernels/conv_kernel-inl.hpp"
#include "kernels/depthwise_kernel-inl.hpp"
#include "kernels/pointwise_nhwc_kernel-inl.hpp"
#include "kernels/pool_kernel-inl.hpp"
#include "kernels/underflow_kernel-inl.hpp"
#include "kernels/winograd_kernel-inl.hpp"
#include "kernels/fft_kernel-inl.hpp"
#include "kernels/row_kernel-inl.hpp"
}  // namespace
const KernelTable& table() { return kTable; }
}  // namespace fastconv::kernels::FASTCONV_WIDTH_NAME
