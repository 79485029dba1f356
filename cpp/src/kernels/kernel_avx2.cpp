// AVX2 + FMA kernels (16 vector registers). This file alone is compiled
// with -mavx2 -mfma; it runs only where runtime.cpp found both.
//
// Everything here lives in this ISA's namespace (an anonymous one inside
// it for the bodies), so that no inline function compiled with these flags
// can be merged by the linker into another ISA's path.
#include <algorithm>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "boundary.hpp"
#include "kernels/isa_constants.hpp"
#include "kernels/kernels.hpp"
#include "scalar.hpp"

namespace fastconv::kernels::avx2 {
namespace {
constexpr IsaConstants kIsa = kAvx2Constants;
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

}  // namespace fastconv::kernels::avx2
