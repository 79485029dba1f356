#pragma once
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fastconv/export.hpp"

namespace fastconv {

// Threads used by compute calls that do not ask for a number themselves.
// Defaults to OpenMP's default (OMP_NUM_THREADS); set_num_threads(n < 1)
// throws std::invalid_argument. Every count -- set here, asked for per
// call, or from OMP_NUM_THREADS -- is capped at max_threads(); in a child
// process forked from this one, calls run on one thread (libgomp's thread
// pool does not survive fork: the child would wait for threads it does
// not have).
FASTCONV_API void set_num_threads(int n);
FASTCONV_API int get_num_threads();

// The most threads a call ever runs on: 4x the CPUs this process may run
// on, and at most 256 (more only cost memory and scheduling).
FASTCONV_API int max_threads();

// The threads a call asking for `requested` (0 = the global setting) runs
// on, by the rules above. Calls also never start more threads than they
// have tasks.
FASTCONV_API int resolve_num_threads(int requested);

// Interrupting long calls. Compute calls work in tasks; between tasks the
// calling thread asks `check` (at most every few tens of milliseconds)
// whether to stop. When it says yes, the call stops within a task or so
// and throws fastconv::interrupted; the output then holds partial data.
// `check` runs on the thread that made the call, never on a worker;
// nullptr (the default) never stops. The Python module installs a check
// that runs Python's signal handlers (Ctrl-C -> KeyboardInterrupt).
using InterruptCheck = bool (*)();
FASTCONV_API void set_interrupt_check(InterruptCheck check);

struct FASTCONV_API interrupted : std::runtime_error {
  interrupted() : std::runtime_error("fastconv: call interrupted") {}
};

// The instruction set the kernels use ("avx512", "avx2" or "baseline"),
// and every level this build has and this CPU runs, best first.
FASTCONV_API std::string active_isa();
FASTCONV_API std::vector<std::string> available_isas();

// The path of the OpenMP runtime library loaded in this process (libgomp,
// libomp, ...); empty for a build without OpenMP or where it cannot be
// found (Windows, a statically linked runtime).
FASTCONV_API std::string openmp_runtime();

// The active ISA's peak multiply-add rate, measured: `iterations` rounds
// of its FMA probe (independent chains of vector multiply-adds in the
// ISA's kernel file) on `threads` threads at once (<= 0: the global
// setting). Returns {floating-point operations, seconds}; bench/ divides
// the two to give its "% of the measured FMA peak".
FASTCONV_API std::pair<double, double> measure_fma_peak(long iterations, int threads);

// Subnormal (denormal) numbers: many CPUs take a microcode assist on every
// instruction that reads or makes one, up to hundreds of times slower.
// With the guard on, a call whose products would be subnormal runs on
// operands scaled by exact powers of two and scales its output back once,
// correctly rounded (the direct path's error bound with IEEE gradual
// underflow's term; see docs/guarantees.md); it costs a copy of the input
// and a pass over the output on such calls only. On by default where the
// CPU is known to slow down (Intel x86-64), off elsewhere (the AMD Zen
// cores measured run subnormals at full speed, where the guard would only
// cost); FASTCONV_DENORMAL_GUARD=1 or 0 in the environment decides
// instead, and set_denormal_guard at run time.
FASTCONV_API bool denormal_guard();
FASTCONV_API void set_denormal_guard(bool on);

// Version, ISA, threads, compiler and OpenMP runtime, one per line.
FASTCONV_API std::string config_string();

namespace detail {
// The installed check's answer (false without one).
bool interrupt_requested();
}  // namespace detail

}  // namespace fastconv
