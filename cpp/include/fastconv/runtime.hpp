#pragma once
#include "fastconv/export.hpp"
#include <string>
#include <vector>

namespace fastconv {

// Threads used by compute calls that do not ask for a number themselves.
// Defaults to OpenMP's default (OMP_NUM_THREADS); set_num_threads(n < 1)
// throws std::invalid_argument.
FASTCONV_API void set_num_threads(int n);
FASTCONV_API int get_num_threads();

// The instruction set the kernels use ("avx512", "avx2" or "baseline"),
// and every level this build has and this CPU runs, best first.
FASTCONV_API std::string active_isa();
FASTCONV_API std::vector<std::string> available_isas();

// The path of the OpenMP runtime library loaded in this process (libgomp,
// libomp, ...); empty for a build without OpenMP or where it cannot be
// found (Windows, a statically linked runtime).
FASTCONV_API std::string openmp_runtime();

// Version, ISA, threads, compiler and OpenMP runtime, one per line.
FASTCONV_API std::string config_string();

}  // namespace fastconv
