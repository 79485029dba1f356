#pragma once
// Running independent tasks on an OpenMP team, or as a plain loop, with
// interruption: between tasks the calling thread asks the installed
// interrupt check (fastconv/runtime.hpp) whether to stop, and every thread
// stops taking tasks once it said yes; parallel_tasks then throws
// fastconv::interrupted.
#include <algorithm>
#include <atomic>
#include <chrono>

#include "fastconv/runtime.hpp"
#include "fastconv/view.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastconv::detail {

// Set on every thread while it runs tasks: a parallel_tasks call nested in
// a task runs its tasks but leaves the interrupt checks to the outer one.
inline thread_local bool t_running_tasks = false;

// The calling thread asks the interrupt check at most this often (it may
// take the GIL), and looks at the clock every kPollTasks tasks.
constexpr std::chrono::milliseconds kPollInterval{20};
constexpr index_t kPollTasks = 4;

// The tasks [begin, end) one thread runs -- all of them, or its static
// share of a team's -- stopping early when the call is interrupted.
class TaskLoop {
 public:
  TaskLoop(index_t begin, index_t end, std::atomic<bool>* stop, bool polls)
      : begin_(begin), end_(end), stop_(stop), polls_(polls) {}
  template <class F>
  void operator()(F&& run) const {
    // (no clock read when no poll can come: a tiny call notices one)
    const bool may_poll = polls_ && end_ - begin_ >= kPollTasks;
    auto last_poll =
        may_poll ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    for (index_t task = begin_; task < end_; ++task) {
      if (stop_->load(std::memory_order_relaxed)) return;
      run(task);
      if (may_poll && (task - begin_) % kPollTasks == kPollTasks - 1) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_poll >= kPollInterval) {
          last_poll = now;
          if (interrupt_requested()) stop_->store(true);
        }
      }
    }
  }

 private:
  index_t begin_, end_;
  std::atomic<bool>* stop_;
  bool polls_;
};

// Marks the current thread as running tasks for its lifetime.
class RunningTasks {
 public:
  RunningTasks() : outer_(t_running_tasks) { t_running_tasks = true; }
  ~RunningTasks() { t_running_tasks = outer_; }
  RunningTasks(const RunningTasks&) = delete;
  RunningTasks& operator=(const RunningTasks&) = delete;

 private:
  bool outer_;
};

// per_thread(TaskLoop) once per thread (set up its scratch, then run its
// tasks; no barrier after them). The team has at most `threads` threads
// and never more than there are tasks; one thread skips the OpenMP region
// (it costs a runtime call). Throws fastconv::interrupted if the call was
// interrupted.
template <class PerThread>
void parallel_tasks(index_t tasks, int threads, PerThread per_thread) {
  std::atomic<bool> stop{false};
  // Only the outermost call checks, on the thread that made it.
  const bool outermost = !t_running_tasks;
#ifdef _OPENMP
  const int team =
      static_cast<int>(std::min<index_t>(std::max(threads, 1), std::max<index_t>(tasks, 1)));
#else
  const int team = 1;
  (void)threads;
#endif
  if (team <= 1) {
    RunningTasks running;
    per_thread(TaskLoop(0, tasks, &stop, outermost));
  } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(team)
    {
      RunningTasks running;
      // Contiguous shares, as schedule(static) gives them.
      const index_t t = omp_get_thread_num(), n = omp_get_num_threads();
      const index_t share = tasks / n, extra = tasks % n;
      const index_t begin = t * share + std::min(t, extra);
      per_thread(TaskLoop(begin, begin + share + (t < extra), &stop, outermost && t == 0));
    }
#endif
  }
  if (stop.load()) throw interrupted();
}

}  // namespace fastconv::detail
