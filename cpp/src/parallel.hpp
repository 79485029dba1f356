#pragma once
// Running independent tasks on an OpenMP team, or as a plain loop.
#include "fastconv/view.hpp"

namespace fastconv::detail {

// The tasks one thread runs: all of them, or -- inside our own OpenMP
// team -- its static share (an `omp for` that every thread of the team
// reaches). Never an orphaned `omp for` outside a team, which would bind
// to whatever team the caller is in.
class TaskLoop {
 public:
  TaskLoop(index_t tasks, bool in_team) : tasks_(tasks), in_team_(in_team) {}
  template <class F>
  void operator()(F&& run) const {
    if (in_team_) {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
      for (index_t task = 0; task < tasks_; ++task) run(task);
    } else {
      for (index_t task = 0; task < tasks_; ++task) run(task);
    }
  }

 private:
  index_t tasks_;
  bool in_team_;
};

// per_thread(TaskLoop) once per thread (set up its scratch, then run its
// tasks). One thread skips the OpenMP region: it costs a runtime call.
template <class PerThread>
void parallel_tasks(index_t tasks, int threads, PerThread per_thread) {
  if (threads <= 1) {
    per_thread(TaskLoop(tasks, false));
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
  per_thread(TaskLoop(tasks, true));
}

}  // namespace fastconv::detail
