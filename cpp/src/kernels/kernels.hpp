#pragma once
// The kernel interface: one strided 1-D correlation of a row segment,
// accumulated into a dense buffer. The engine (engine.hpp) reduces every
// N-D problem to such row tasks; each ISA provides a table of them.
#include <complex>
#include <cstdint>

#include "fastconv/options.hpp"

namespace fastconv::kernels {

// acc[j - j0] += sum_q x~[j*stride + q*dilation + origin] * k[q]
// for j in [j0, j1), where x~ is the row x[0..n) (element stride
// x_stride) extended by `boundary`, or the constant `fill` everywhere when
// fill_row is set (a row that lies wholly in the fill region).
template <class T>
struct RowTask {
  const T* x;
  index_t n;
  index_t x_stride;
  const T* k;
  index_t taps;
  index_t stride;
  index_t dilation;
  index_t origin;
  Boundary boundary;
  T fill;
  bool fill_row;
  T* acc;
  index_t j0;
  index_t j1;
};

template <class T>
using RowKernel = void (*)(const RowTask<T>&);

struct KernelTable {
  const char* isa;
  RowKernel<float> f32;
  RowKernel<double> f64;
  RowKernel<long double> f80;
  RowKernel<std::complex<float>> c64;
  RowKernel<std::complex<double>> c128;
  RowKernel<std::complex<long double>> c160;
  RowKernel<std::int64_t> i64;
};

namespace baseline { const KernelTable& table(); }

// The table of the ISA chosen at start-up (see runtime.cpp).
const KernelTable& active_table();

template <class T> RowKernel<T> row_kernel(const KernelTable& t);
template <> inline RowKernel<float> row_kernel(const KernelTable& t) { return t.f32; }
template <> inline RowKernel<double> row_kernel(const KernelTable& t) { return t.f64; }
template <> inline RowKernel<long double> row_kernel(const KernelTable& t) { return t.f80; }
template <> inline RowKernel<std::complex<float>> row_kernel(const KernelTable& t) { return t.c64; }
template <> inline RowKernel<std::complex<double>> row_kernel(const KernelTable& t) { return t.c128; }
template <> inline RowKernel<std::complex<long double>> row_kernel(const KernelTable& t) { return t.c160; }
template <> inline RowKernel<std::int64_t> row_kernel(const KernelTable& t) { return t.i64; }

}  // namespace fastconv::kernels
