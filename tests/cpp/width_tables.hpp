#pragma once
// Every ISA's register-block configuration compiled with this file's
// flags, as tables named w16, w32 and w64 (16-byte vectors with the SSE2
// blocks, 32-byte with AVX2's, 64-byte with AVX-512's): the compiler
// lowers wide vectors to the instructions it has, so the tests run the
// AVX-512 kernels' blocking logic on machines without AVX-512. Each test
// that includes this gets its own copies (anonymous namespaces).
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

namespace fastconv::kernels::w16 {
namespace {
constexpr IsaConstants kIsa = renamed(kBaselineConstants, "w16");
#include "kernels/isa_names-inl.hpp"
#include "kernels/tile_kernel-inl.hpp"
#include "kernels/epilogue-inl.hpp"
#include "kernels/conv_kernel-inl.hpp"
#include "kernels/pool_kernel-inl.hpp"
#include "kernels/underflow_kernel-inl.hpp"
#include "kernels/winograd_kernel-inl.hpp"
#include "kernels/row_kernel-inl.hpp"
}  // namespace
const KernelTable& table() { return kTable; }
}  // namespace fastconv::kernels::w16

namespace fastconv::kernels::w32 {
namespace {
constexpr IsaConstants kIsa = renamed(kAvx2Constants, "w32");
#include "kernels/isa_names-inl.hpp"
#include "kernels/tile_kernel-inl.hpp"
#include "kernels/epilogue-inl.hpp"
#include "kernels/conv_kernel-inl.hpp"
#include "kernels/pool_kernel-inl.hpp"
#include "kernels/underflow_kernel-inl.hpp"
#include "kernels/winograd_kernel-inl.hpp"
#include "kernels/row_kernel-inl.hpp"
}  // namespace
const KernelTable& table() { return kTable; }
}  // namespace fastconv::kernels::w32

namespace fastconv::kernels::w64 {
namespace {
constexpr IsaConstants kIsa = renamed(kAvx512Constants, "w64");
#include "kernels/isa_names-inl.hpp"
#include "kernels/tile_kernel-inl.hpp"
#include "kernels/epilogue-inl.hpp"
#include "kernels/conv_kernel-inl.hpp"
#include "kernels/pool_kernel-inl.hpp"
#include "kernels/underflow_kernel-inl.hpp"
#include "kernels/winograd_kernel-inl.hpp"
#include "kernels/row_kernel-inl.hpp"
}  // namespace
const KernelTable& table() { return kTable; }
}  // namespace fastconv::kernels::w64
