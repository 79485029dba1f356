// Baseline kernels: compiled with the default flags of the target
// (SSE2 on x86-64, NEON on aarch64), so they run on every CPU.
#include <algorithm>

#include "boundary.hpp"
#include "kernels/kernels.hpp"
#include "scalar.hpp"

namespace fastconv::kernels::baseline {
namespace {
constexpr const char* kIsaName = "baseline";
#include "kernels/row_kernel-inl.hpp"
}  // namespace

const KernelTable& table() { return kTable; }

}  // namespace fastconv::kernels::baseline
