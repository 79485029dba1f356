#pragma once
// Every ISA's register-block configuration compiled with the tests' default
// flags (width_table_w*.cpp), as tables named w16, w32 and w64 (16-byte
// vectors with the SSE2 blocks, 32-byte with AVX2's, 64-byte with
// AVX-512's): the compiler lowers wide vectors to the instructions it has,
// so the tests run the AVX-512 kernels' blocking logic on machines without
// AVX-512. Also the tables this build compiled for real, by name.
#include <string>

#include "kernels/kernels.hpp"

namespace fastconv::kernels {
namespace w16 {
const KernelTable& table();
}
namespace w32 {
const KernelTable& table();
}
namespace w64 {
const KernelTable& table();
}

// The compiled ISA tables by name (runtime.cpp has the same list), or
// nullptr for one this build lacks. FASTCONV_HAVE_AVX2/AVX512 come from
// the build (tests/cpp/CMakeLists.txt).
inline const KernelTable* table_named(const std::string& name) {
  if (name == "baseline") return &baseline::table();
#ifdef FASTCONV_HAVE_AVX2
  if (name == "avx2") return &avx2::table();
#endif
#ifdef FASTCONV_HAVE_AVX512
  if (name == "avx512") return &avx512::table();
#endif
  return nullptr;
}

}  // namespace fastconv::kernels
