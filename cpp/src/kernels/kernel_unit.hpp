// Not a header: the body of the kernel files kernel_<isa>.cpp,
// kernel_<isa>_wide_f32.cpp and kernel_<isa>_wide_f64.cpp, one ISA's
// kernels compiled with that ISA's flags (cmake/FastconvKernels.cmake).
// Each file defines, before including this:
//   FASTCONV_KERNEL_ISA        the ISA's namespace (baseline, avx2, avx512)
//   FASTCONV_KERNEL_CONSTANTS  its IsaConstants (isa_constants.hpp)
// and which part it compiles (one or more):
//   FASTCONV_KERNEL_PART_TABLE     every kernel but the layers' wide ones,
//                                  and the ISA's table, assembled here
//   FASTCONV_KERNEL_PART_WIDE_F32  the wide and half-width layer kernels
//   FASTCONV_KERNEL_PART_WIDE_F64  of float, of double
// Three files per ISA so that a parallel build keeps its cores busy: one
// file of every kernel took minutes under the sanitizers, the other core
// idle, and the wide kernels (a block of every pixel count,
// conv_kernel-inl.hpp) take about half of the AVX-512 kernels' time.
//
// Everything here lives in this ISA's namespace (an anonymous one inside
// it for the bodies), so that no inline function compiled with these
// flags can be merged by the linker into another ISA's path; the parts'
// add_* functions, which the table's file calls, are plain functions.
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

namespace fastconv::kernels::FASTCONV_KERNEL_ISA {

// The wide parts' kernels into the table. (noexcept: the table's static
// then needs no exception cleanup, whose personality-routine reference
// would be a weak symbol outside the ISA's namespace.)
void add_wide_f32(KernelTable& t) noexcept;
void add_wide_f64(KernelTable& t) noexcept;

namespace {
constexpr IsaConstants kIsa = FASTCONV_KERNEL_CONSTANTS;
#include "kernels/isa_names-inl.hpp"
#include "kernels/tile_kernel-inl.hpp"
#include "kernels/epilogue-inl.hpp"
#include "kernels/conv_kernel-inl.hpp"
}  // namespace

#ifdef FASTCONV_KERNEL_PART_TABLE
namespace {
#include "kernels/depthwise_kernel-inl.hpp"
#include "kernels/pointwise_nhwc_kernel-inl.hpp"
#include "kernels/pool_kernel-inl.hpp"
#include "kernels/underflow_kernel-inl.hpp"
#include "kernels/winograd_kernel-inl.hpp"
#include "kernels/fft_kernel-inl.hpp"
#include "kernels/row_kernel-inl.hpp"

template <class... T>
constexpr RowKernels row_kernels(TypeList<T...>) {
  return RowKernels{&row_correlate<T>...};
}

template <class... T>
constexpr MaxPoolRowKernels max_pool_row_kernels(TypeList<T...>) {
  return MaxPoolRowKernels{&max_pool_row<T>...};
}

KernelTable assemble_table() noexcept {
  KernelTable t{};
  t.isa = kIsaName;
  t.fma_probe = &fma_probe;
  t.tile_f32 = &tile_correlate<float>;
  t.tile_f64 = &tile_correlate<double>;
  t.row = row_kernels(ElementTypes{});
  t.max_pool_row = max_pool_row_kernels(PoolTypes{});
  t.avg_pool_row_f32 = &avg_pool_row<float>;
  t.avg_pool_row_f64 = &avg_pool_row<double>;
  t.avg_pool_planes_f32 = &avg_pool_planes<float>;
  t.avg_pool_planes_f64 = &avg_pool_planes<double>;
  t.avg_pool_global_f32 = &avg_pool_global<float>;
  t.avg_pool_global_f64 = &avg_pool_global<double>;
  t.vec_bytes = kVecBytes;
  t.conv_channel_vecs = kConvChannelVecs;
  t.conv_pixels = kConvPixels;
  add_wide_f32(t);  // conv_wide_f32, conv_half_f32
  add_wide_f64(t);
  t.conv_narrow_f32 = &conv_narrow<float>;
  t.conv_rows_f32 = &conv_rows<float>;
  t.conv_paired_f32 = &conv_paired<float>;
  t.conv_narrow_f64 = &conv_narrow<double>;
  t.conv_rows_f64 = &conv_rows<double>;
  t.conv_paired_f64 = &conv_paired<double>;
  t.conv_pointwise_f32 = &conv_pointwise<float>;
  t.conv_pointwise_f64 = &conv_pointwise<double>;
  t.deinterleave_f32 = &deinterleave<float>;
  t.deinterleave_f64 = &deinterleave<double>;
  t.planes_to_rows_f32 = &planes_to_rows<float>;
  t.planes_to_rows_f64 = &planes_to_rows<double>;
  t.depthwise_f32 = &depthwise_channels_last<float>;
  t.depthwise_f64 = &depthwise_channels_last<double>;
  t.pointwise_nhwc_f32 = &pointwise_nhwc<float>;
  t.pointwise_nhwc_f64 = &pointwise_nhwc<double>;
  t.underflow_f32 = {&scale_up_row<float>, &scale_down_row<float>, &bit_range_row<float>};
  t.underflow_f64 = {&scale_up_row<double>, &scale_down_row<double>, &bit_range_row<double>};
  t.winograd_f32[0] = &winograd_tiles<float, WinogradF2>;
  t.winograd_f32[1] = &winograd_tiles<float, WinogradF4>;
  t.winograd_f64[0] = &winograd_tiles<double, WinogradF2>;
  t.winograd_f64[1] = &winograd_tiles<double, WinogradF4>;
  t.winograd_weights[0] = &winograd_weights<WinogradF2>;
  t.winograd_weights[1] = &winograd_weights<WinogradF4>;
  t.epilogue_f32 = &epilogue_row<float>;
  t.epilogue_f64 = &epilogue_row<double>;
  t.fft_f32 = fft_kernel_table<float>();
  t.fft_f64 = fft_kernel_table<double>();
  return t;
}
}  // namespace

// (assembled on first use: runtime.cpp's choice of table)
const KernelTable& table() {
  static const KernelTable kTable = assemble_table();
  return kTable;
}
#endif

#ifdef FASTCONV_KERNEL_PART_WIDE_F32
void add_wide_f32(KernelTable& t) noexcept {
  t.conv_wide_f32 = &conv_wide<float, kConvChannelVecs>;
  t.conv_half_f32 = &conv_wide<float, 1>;
}
#endif

#ifdef FASTCONV_KERNEL_PART_WIDE_F64
void add_wide_f64(KernelTable& t) noexcept {
  t.conv_wide_f64 = &conv_wide<double, kConvChannelVecs>;
  t.conv_half_f64 = &conv_wide<double, 1>;
}
#endif

}  // namespace fastconv::kernels::FASTCONV_KERNEL_ISA
