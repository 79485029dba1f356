# One kernel body, compiled once per instruction set. ISA flags go on that
# ISA's kernel file only (never on the whole library, never -march=native),
# so the shipped binary runs on any CPU of the architecture and picks the
# best kernels at run time (cpp/src/runtime.cpp).
include(CheckCXXCompilerFlag)

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
  target_sources(${target} PRIVATE "${dir}/kernel_baseline.cpp")
  set_source_files_properties("${dir}/kernel_baseline.cpp" PROPERTIES COMPILE_OPTIONS "${common_flags}")

  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND NOT MSVC)
    check_cxx_compiler_flag("-mavx2 -mfma" FASTCONV_COMPILER_HAS_AVX2)
    check_cxx_compiler_flag("-mavx512f -mavx512vl -mavx512dq -mavx512bw" FASTCONV_COMPILER_HAS_AVX512)
    if(FASTCONV_COMPILER_HAS_AVX2)
      target_sources(${target} PRIVATE "${dir}/kernel_avx2.cpp")
      set_source_files_properties("${dir}/kernel_avx2.cpp" PROPERTIES
        COMPILE_OPTIONS "${common_flags};-mavx2;-mfma")
      target_compile_definitions(${target} PRIVATE FASTCONV_HAVE_AVX2)
    endif()
    if(FASTCONV_COMPILER_HAS_AVX512)
      target_sources(${target} PRIVATE "${dir}/kernel_avx512.cpp")
      set_source_files_properties("${dir}/kernel_avx512.cpp" PROPERTIES
        COMPILE_OPTIONS "${common_flags};-mavx512f;-mavx512vl;-mavx512dq;-mavx512bw;-mfma")
      target_compile_definitions(${target} PRIVATE FASTCONV_HAVE_AVX512)
    endif()
  endif()
endfunction()
