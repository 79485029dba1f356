#pragma once
// The engine: splits an N-D correlation into independent row tasks and
// runs them on OpenMP threads. Every output row (and column tile) is
// computed by exactly one thread, in a fixed order, so results are
// bitwise identical for any number of threads.
#include <algorithm>
#include <vector>

#include "boundary.hpp"
#include "kernels/kernels.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastconv::detail {

// One axis of a planned problem. Batch axes come first, convolved axes
// last (the planner permutes the views so).
struct AxisPlan {
  bool convolved;
  index_t out_n;     // output extent
  index_t in_n;      // input extent (1 = broadcast, for batch axes)
  index_t taps;      // kernel extent (1 = broadcast, for batch axes)
  index_t stride;    // convolved axes only
  index_t dilation;  // convolved axes only
  index_t origin;    // input index of output 0, tap 0 (convolved axes)
  index_t in_step;   // element strides of the three arrays
  index_t k_step;
  index_t out_step;
};

// Output columns per task: the accumulator row stays in L1 while the taps
// stream over it.
constexpr index_t kColumnTile = 2048;

template <class T>
void run_rows(const std::vector<AxisPlan>& axes, const T* in, const T* kernel,
              T* out, Boundary boundary, T fill, int threads) {
  const int rank = static_cast<int>(axes.size());
  const AxisPlan& last = axes[rank - 1];
  index_t rows = 1;
  for (int a = 0; a < rank - 1; ++a) rows *= axes[a].out_n;
  const index_t tiles = (last.out_n + kColumnTile - 1) / kColumnTile;
  const index_t tasks = rows * tiles;
  if (tasks == 0) return;

  // Taps over the convolved axes before the last one: each tuple of them
  // contributes one row correlation to an output row.
  std::vector<int> outer;
  index_t row_taps = 1;
  for (int a = 0; a < rank - 1; ++a)
    if (axes[a].convolved) { outer.push_back(a); row_taps *= axes[a].taps; }

  const auto kernel_fn = kernels::row_kernel<T>(kernels::active_table());

#ifdef _OPENMP
#pragma omp parallel num_threads(threads) if (threads > 1)
#endif
  {
    std::vector<T> acc(static_cast<size_t>(std::min(kColumnTile, last.out_n)));
    std::vector<index_t> idx(rank, 0);
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
    for (index_t task = 0; task < tasks; ++task) {
      const index_t row = task / tiles;
      const index_t j0 = (task % tiles) * kColumnTile;
      const index_t j1 = std::min(j0 + kColumnTile, last.out_n);
      // Output multi-index of this row; base offsets along batch axes.
      index_t rem = row, in_base = 0, k_base = 0, out_base = 0;
      for (int a = rank - 2; a >= 0; --a) {
        idx[a] = rem % axes[a].out_n;
        rem /= axes[a].out_n;
        out_base += idx[a] * axes[a].out_step;
        if (!axes[a].convolved) {
          if (axes[a].in_n != 1) in_base += idx[a] * axes[a].in_step;
          if (axes[a].taps != 1) k_base += idx[a] * axes[a].k_step;
        }
      }
      std::fill(acc.begin(), acc.begin() + (j1 - j0), T(0));
      for (index_t tap = 0; tap < row_taps; ++tap) {
        // Decode the outer tap tuple; find the input row (or the fill).
        index_t trem = tap, in_off = in_base, k_off = k_base;
        bool fill_row = false;
        for (int o = static_cast<int>(outer.size()) - 1; o >= 0; --o) {
          const AxisPlan& ax = axes[outer[o]];
          const index_t p = trem % ax.taps;
          trem /= ax.taps;
          k_off += p * ax.k_step;
          index_t i = idx[outer[o]] * ax.stride + p * ax.dilation + ax.origin;
          if (i < 0 || i >= ax.in_n) {
            if (boundary == Boundary::fill) { fill_row = true; continue; }
            i = map_index(i, ax.in_n, boundary);
          }
          in_off += i * ax.in_step;
        }
        kernels::RowTask<T> t{in + (fill_row ? 0 : in_off), last.in_n, last.in_step,
                              kernel + k_off, last.taps, last.stride, last.dilation,
                              last.origin, boundary, fill, fill_row,
                              acc.data(), j0, j1};
        kernel_fn(t);
      }
      T* o = out + out_base + j0 * last.out_step;
      for (index_t j = 0; j < j1 - j0; ++j) o[j * last.out_step] = acc[j];
    }
  }
}

}  // namespace fastconv::detail
