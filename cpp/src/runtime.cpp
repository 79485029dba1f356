// Threads, instruction-set choice and build information.
#include "fastconv/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include "fastconv/version.hpp"
#include "kernels/kernels.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastconv {

namespace {
// 0 = never set: follow OpenMP's own setting (OMP_NUM_THREADS).
std::atomic<int> g_threads{0};
}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("n: number of threads must be >= 1, got " + std::to_string(n));
  g_threads.store(n);
#ifdef _OPENMP
  // Keep OpenMP's own setting in step, so that threadpoolctl and
  // omp_get_max_threads() report what we use.
  omp_set_num_threads(n);
#endif
}

int get_num_threads() {
#ifdef _OPENMP
  // omp_get_max_threads() reflects OMP_NUM_THREADS and the limit that
  // threadpoolctl sets (through omp_set_num_threads) while it is active.
  const int omp = omp_get_max_threads();
  const int set = g_threads.load();
  return set == 0 ? omp : std::min(set, omp);
#else
  return 1;
#endif
}

namespace kernels {

namespace {
const KernelTable* choose_table() {
  const char* forced = std::getenv("FASTCONV_FORCE_ISA");
  if (forced && *forced) {
    const std::string name(forced);
    if (name == "baseline") return &baseline::table();
    if (name == "avx2" || name == "avx512")
      throw std::runtime_error("FASTCONV_FORCE_ISA=" + name +
                               ": this build or this CPU does not support it");
    throw std::runtime_error("FASTCONV_FORCE_ISA=" + name +
                             ": unknown instruction set; expected baseline, avx2 or avx512");
  }
  return &baseline::table();
}
}  // namespace

const KernelTable& active_table() {
  // Chosen once per process; a forced ISA the CPU lacks throws every time.
  static const KernelTable* table = choose_table();
  return *table;
}

}  // namespace kernels

std::string active_isa() { return kernels::active_table().isa; }

std::vector<std::string> available_isas() { return {"baseline"}; }

std::string config_string() {
  std::string s;
  s += "fastconv " FASTCONV_VERSION_STRING "\n";
  s += "isa: " + active_isa() + " (available:";
  for (const auto& isa : available_isas()) s += " " + isa;
  s += ")\n";
  s += "threads: " + std::to_string(get_num_threads()) + "\n";
#ifdef FASTCONV_COMPILER
  s += "compiler: " FASTCONV_COMPILER "\n";
#endif
#ifdef _OPENMP
  s += "openmp: " + std::to_string(_OPENMP) + "\n";
#else
  s += "openmp: disabled (single-threaded build)\n";
#endif
  return s;
}

}  // namespace fastconv
