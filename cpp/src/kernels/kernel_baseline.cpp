// Baseline kernels: compiled with the target's default flags (SSE2 on
// x86-64, NEON on aarch64), so they run on every CPU.
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

namespace fastconv::kernels::baseline {
namespace {
constexpr IsaConstants kIsa = kBaselineConstants;
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

}  // namespace fastconv::kernels::baseline
