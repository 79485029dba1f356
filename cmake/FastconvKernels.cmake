# One kernel body, compiled once per instruction set. ISA flags go on that
# ISA's kernel file only (never on the whole library, never -march=native),
# so the shipped binary runs on any CPU of the architecture and picks the
# best kernels at run time (cpp/src/runtime.cpp).
include(CheckCXXCompilerFlag)

# The optional instruction sets whose kernels to compile where the compiler
# has their flags (baseline always). .ci/fuzz compiles its CPU's best one
# only: the fuzzer runs the active ISA's kernels, and the sanitizer stage
# runs every ISA's.
set(FASTCONV_KERNEL_ISAS "avx2;avx512" CACHE STRING
    "Optional kernel instruction sets to compile: a subset of avx2;avx512")

# One ISA's kernels, in three files (kernel_unit.hpp) that a parallel
# build compiles side by side, all with the ISA's options (the rest of the
# arguments).
function(fastconv_add_isa_kernels target dir isa)
  foreach(part "" _wide_f32 _wide_f64)
    set(file "${dir}/kernel_${isa}${part}.cpp")
    target_sources(${target} PRIVATE "${file}")
    set_source_files_properties("${file}" PROPERTIES COMPILE_OPTIONS "${ARGN}")
  endforeach()
endfunction()

function(fastconv_add_kernels target)
  set(dir "${CMAKE_CURRENT_SOURCE_DIR}/src/kernels")
  # Contract a*b+c into FMA where the ISA has it, the same way in every
  # kernel of one ISA (the tile and row kernels then agree bit for bit).
  # GCC contracts only from -O2 on (its widening_mul pass), while the
  # kernels' explicit fma (detail::mul_add) fuses at any level: a Debug
  # build (-O0, or the sanitizers' -O1) compiles the kernel files at -O2,
  # so that an output's bits never depend on its position there either.
  set(common_flags "")
  if(NOT MSVC)
    set(common_flags "-ffp-contract=fast;$<$<CONFIG:Debug>:-O2>")
  endif()
  fastconv_add_isa_kernels(${target} "${dir}" baseline ${common_flags})

  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND NOT MSVC)
    check_cxx_compiler_flag("-mavx2 -mfma" FASTCONV_COMPILER_HAS_AVX2)
    check_cxx_compiler_flag("-mavx512f -mavx512vl -mavx512dq -mavx512bw" FASTCONV_COMPILER_HAS_AVX512)
    if(FASTCONV_COMPILER_HAS_AVX2 AND "avx2" IN_LIST FASTCONV_KERNEL_ISAS)
      fastconv_add_isa_kernels(${target} "${dir}" avx2 ${common_flags} -mavx2 -mfma)
      target_compile_definitions(${target} PRIVATE FASTCONV_HAVE_AVX2)
    endif()
    if(FASTCONV_COMPILER_HAS_AVX512 AND "avx512" IN_LIST FASTCONV_KERNEL_ISAS)
      fastconv_add_isa_kernels(${target} "${dir}" avx512 ${common_flags}
                               -mavx512f -mavx512vl -mavx512dq -mavx512bw -mfma)
      target_compile_definitions(${target} PRIVATE FASTCONV_HAVE_AVX512)
    endif()
  endif()
endfunction()
