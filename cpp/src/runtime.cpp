// Threads, instruction-set choice and build information.
#include "fastconv/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <pthread.h>

#include "fastconv/version.hpp"
#include "kernels/kernels.hpp"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__linux__) || defined(__FreeBSD__)
#include <link.h>
#define FASTCONV_HAVE_DL_ITERATE_PHDR 1
#elif defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

namespace fastconv {

namespace {
// 0 = never set: follow OpenMP's own setting (OMP_NUM_THREADS).
std::atomic<int> g_threads{0};

// Set in a child process after fork(): libgomp's pool of the parent is
// gone there, and entering a parallel region would wait for it forever.
std::atomic<bool> g_forked_child{false};
void mark_forked_child() { g_forked_child.store(true); }
// Registered once, when the library is loaded (before any fork can matter).
const bool g_atfork_registered = pthread_atfork(nullptr, nullptr, &mark_forked_child) == 0;

std::atomic<InterruptCheck> g_interrupt_check{nullptr};
}  // namespace

int max_threads() {
  static const int limit = [] {
#ifdef _OPENMP
    const int cpus = omp_get_num_procs();  // the CPUs this process may run on
#else
    const int cpus = static_cast<int>(std::thread::hardware_concurrency());
#endif
    return std::clamp(4 * std::max(cpus, 1), 1, 256);
  }();
  return limit;
}

void set_num_threads(int n) {
  if (n < 1)
    throw std::invalid_argument("n: number of threads must be >= 1, got " + std::to_string(n));
  n = std::min(n, max_threads());
  g_threads.store(n);
#ifdef _OPENMP
  // Keep OpenMP's own setting in step, so that threadpoolctl and
  // omp_get_max_threads() report what we use.
  omp_set_num_threads(n);
#endif
}

int get_num_threads() {
  (void)g_atfork_registered;
  if (g_forked_child.load(std::memory_order_relaxed)) return 1;
#ifdef _OPENMP
  // omp_get_max_threads() reflects OMP_NUM_THREADS and the limit that
  // threadpoolctl sets (through omp_set_num_threads) while it is active.
  const int omp = omp_get_max_threads();
  const int set = g_threads.load();
  return std::min(set == 0 ? omp : std::min(set, omp), max_threads());
#else
  return 1;
#endif
}

int resolve_num_threads(int requested) {
  if (requested <= 0 || g_forked_child.load(std::memory_order_relaxed)) return get_num_threads();
  return std::min(requested, max_threads());
}

void set_interrupt_check(InterruptCheck check) { g_interrupt_check.store(check); }

bool detail::interrupt_requested() {
  const InterruptCheck check = g_interrupt_check.load(std::memory_order_relaxed);
  return check != nullptr && check();
}

namespace kernels {

namespace {

struct Isa {
  const char* name;
  const KernelTable* (*table)();
  bool (*cpu_has)();
};

#if defined(__x86_64__) || defined(_M_X64)
// CPUID says what the core implements; XGETBV says whether the OS saves the
// wide registers on a context switch. Both are needed.
bool cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
  // (GCC declares the result unsigned, Clang int)
  if (static_cast<unsigned>(__get_cpuid_max(leaf & 0x80000000u, nullptr)) < leaf) return false;
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
  return true;
}
unsigned long long xcr0() {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}
bool os_saves_ymm() {
  unsigned r[4];
  if (!cpuid(1, 0, r)) return false;
  const bool osxsave = r[2] & (1u << 27), avx = r[2] & (1u << 28);
  return osxsave && avx && (xcr0() & 0x6) == 0x6;  // SSE and AVX state
}
bool cpu_has_avx2() {
  unsigned r1[4], r7[4];
  if (!os_saves_ymm() || !cpuid(1, 0, r1) || !cpuid(7, 0, r7)) return false;
  const bool fma = r1[2] & (1u << 12), avx2 = r7[1] & (1u << 5);
  return fma && avx2;
}
bool cpu_has_avx512() {
  unsigned r7[4];
  if (!cpu_has_avx2() || !cpuid(7, 0, r7)) return false;
  const unsigned need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);  // F DQ BW VL
  return (r7[1] & need) == need && (xcr0() & 0xE6) == 0xE6;                 // opmask + zmm state
}
#endif

bool always() { return true; }
const KernelTable* baseline_table() { return &baseline::table(); }
#ifdef FASTCONV_HAVE_AVX2
const KernelTable* avx2_table() { return &avx2::table(); }
#endif
#ifdef FASTCONV_HAVE_AVX512
const KernelTable* avx512_table() { return &avx512::table(); }
#endif

// Best first; only what this build compiled.
const Isa kIsas[] = {
#ifdef FASTCONV_HAVE_AVX512
    {"avx512", avx512_table, cpu_has_avx512},
#endif
#ifdef FASTCONV_HAVE_AVX2
    {"avx2", avx2_table, cpu_has_avx2},
#endif
    {"baseline", baseline_table, always},
};

const KernelTable* choose_table() {
  const char* forced = std::getenv("FASTCONV_FORCE_ISA");
  if (forced && *forced) {
    const std::string name(forced);
    for (const Isa& isa : kIsas)
      if (name == isa.name) {
        if (!isa.cpu_has())
          throw std::runtime_error("FASTCONV_FORCE_ISA=" + name + ": this CPU does not support it");
        return isa.table();
      }
    if (name == "avx2" || name == "avx512")
      throw std::runtime_error("FASTCONV_FORCE_ISA=" + name + ": this build does not include it");
    throw std::runtime_error("FASTCONV_FORCE_ISA=" + name +
                             ": unknown instruction set; expected baseline, avx2 or avx512");
  }
  for (const Isa& isa : kIsas)
    if (isa.cpu_has()) return isa.table();
  return &baseline::table();
}

}  // namespace

const KernelTable& active_table() {
  // Chosen once per process; a refused FASTCONV_FORCE_ISA throws every time.
  static const KernelTable* table = choose_table();
  return *table;
}

}  // namespace kernels

std::pair<double, double> measure_fma_peak(long iterations, int threads) {
  const kernels::FmaProbe probe = kernels::active_table().fma_probe;
  threads = resolve_num_threads(threads);
  double flops = 0;
  const auto t0 = std::chrono::steady_clock::now();
  if (threads == 1) {
    flops = probe(iterations);  // (no OpenMP region: safe in a forked child)
  } else {
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) reduction(+ : flops) schedule(static, 1)
#endif
    for (int i = 0; i < threads; ++i) flops += probe(iterations);
  }
  const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
  return {flops, dt.count()};
}

std::string active_isa() { return kernels::active_table().isa; }

std::vector<std::string> available_isas() {
  std::vector<std::string> names;
  for (const auto& isa : kernels::kIsas)
    if (isa.cpu_has()) names.push_back(isa.name);
  return names;
}

namespace {
// Whether a loaded library's path names an OpenMP runtime: GNU libgomp
// (auditwheel renames it libgomp-<hash>.so), LLVM libomp, Intel libiomp5.
// (Unused in a build without OpenMP.)
[[maybe_unused]] bool is_openmp_library(const char* path) {
  if (path == nullptr) return false;
  std::string name(path);
  const auto slash = name.find_last_of("/\\");
  if (slash != std::string::npos) name = name.substr(slash + 1);
  for (const char* stem : {"libgomp", "libomp", "libiomp5", "vcomp"})
    if (name.rfind(stem, 0) == 0) return true;
  return false;
}
}  // namespace

std::string openmp_runtime() {
  std::string found;
#if defined(_OPENMP) && defined(FASTCONV_HAVE_DL_ITERATE_PHDR)
  // The runtime the dynamic linker actually loaded (the build's OpenMP
  // version says nothing about which library, or which copy, is in use).
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) -> int {
        if (!is_openmp_library(info->dlpi_name)) return 0;
        *static_cast<std::string*>(data) = info->dlpi_name;
        return 1;
      },
      &found);
#elif defined(_OPENMP) && defined(__APPLE__)
  for (uint32_t i = 0; i < _dyld_image_count() && found.empty(); ++i)
    if (is_openmp_library(_dyld_get_image_name(i))) found = _dyld_get_image_name(i);
#endif
  return found;
}

namespace {
// -1 until first asked: then the environment's choice, or the CPU's.
std::atomic<int> g_denormal_guard{-1};

bool cpu_slows_on_subnormals() {
#if defined(__x86_64__) || defined(_M_X64)
  unsigned r[4];
  if (!kernels::cpuid(0, 0, r)) return false;
  char vendor[13];
  std::memcpy(vendor, &r[1], 4);  // EBX, EDX, ECX spell it
  std::memcpy(vendor + 4, &r[3], 4);
  std::memcpy(vendor + 8, &r[2], 4);
  vendor[12] = 0;
  return std::string(vendor) == "GenuineIntel";
#else
  return false;
#endif
}
}  // namespace

bool denormal_guard() {
  int on = g_denormal_guard.load(std::memory_order_relaxed);
  if (on < 0) {
    const char* env = std::getenv("FASTCONV_DENORMAL_GUARD");
    const std::string value = env ? env : "";
    if (value == "1")
      on = 1;
    else if (value == "0")
      on = 0;
    else if (value.empty())
      on = cpu_slows_on_subnormals() ? 1 : 0;
    else
      throw std::runtime_error("FASTCONV_DENORMAL_GUARD=" + value + ": expected 1 or 0");
    g_denormal_guard.store(on, std::memory_order_relaxed);
  }
  return on != 0;
}

void set_denormal_guard(bool on) { g_denormal_guard.store(on ? 1 : 0); }

std::string config_string() {
  std::string s;
  s += "fastconv " FASTCONV_VERSION_STRING "\n";
  s += "isa: " + active_isa() + " (available:";
  for (const auto& isa : available_isas()) s += " " + isa;
  s += ")\n";
  s += "threads: " + std::to_string(get_num_threads()) + "\n";
  s += std::string("denormal guard: ") + (denormal_guard() ? "on" : "off") + "\n";
#ifdef FASTCONV_COMPILER
  s += "compiler: " FASTCONV_COMPILER "\n";
#endif
#ifdef _OPENMP
  const std::string omp = openmp_runtime();
  s += "openmp: " + (omp.empty() ? std::string("runtime library not found") : omp) +
       " (built for OpenMP " + std::to_string(_OPENMP) + ")\n";
#else
  s += "openmp: disabled (single-threaded build)\n";
#endif
  return s;
}

}  // namespace fastconv
