#pragma once
// The engine: splits an N-D correlation into independent tasks (blocks of
// output rows x column tiles) and runs them on OpenMP threads. For float
// and double, each task's interior -- where every tap lands inside the
// input -- goes straight to the ISA's register-blocked tile kernel, and its
// borders go to the same kernel on small boundary-extended patches; other
// element types (and strided columns) use the row kernel. Every output is
// computed by exactly one thread, and the task layout does not depend on
// the number of threads, so results are bitwise identical for any number
// of threads.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "boundary.hpp"
#include "kernels/kernels.hpp"
#include "parallel.hpp"
#include "scalar.hpp"
#include "small_buffer.hpp"

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

// Task shape: output rows per block and columns per tile. The rows are a
// multiple of every ISA's kRowBlock (2, 3, 4); the input a task reads stays
// in L2.
constexpr index_t kTaskRows = 24;
constexpr index_t kColumnTile = 1024;
// Border pieces are rounded to the widest vector of any ISA (AVX-512
// float: 16 lanes) and to a multiple of every row block (12), so that the
// interior splits into whole register blocks.
constexpr index_t kColGranule = 16;
constexpr index_t kRowGranule = 12;

inline index_t round_up(index_t v, index_t m) { return (v + m - 1) / m * m; }

// Outputs [lo, hi) of a convolved axis whose taps all land inside the input.
inline std::pair<index_t, index_t> interior(const AxisPlan& a) {
  const index_t first = a.origin;
  const index_t last = a.origin + (a.taps - 1) * a.dilation;
  index_t lo = first >= 0 ? 0 : (-first + a.stride - 1) / a.stride;
  index_t hi = a.in_n - 1 - last >= 0 ? (a.in_n - 1 - last) / a.stride + 1 : 0;
  lo = std::min(lo, a.out_n);
  hi = std::max(std::min(hi, a.out_n), lo);
  return {lo, hi};
}

// Elements of the packed kernel (the taps of every axis).
inline index_t kernel_size(const AxisPlan* axes, int rank) {
  index_t n = 1;
  for (int a = 0; a < rank; ++a) n *= axes[a].taps;
  return n;
}

// How one call splits into tasks, and which path runs them: set up once
// per call (plan_tasks, then plan_paths), read by every task.
struct EnginePlan {
  const AxisPlan* axes;
  int rank;
  // A 2-D plane when the last two axes are both convolved; else 1-D rows,
  // `row` then standing for one output row of one tap.
  bool plane;
  AxisPlan row, col;
  // The outer axes [0, n_outer), before the plane; the convolved ones
  // among them, and the number of their tap tuples.
  int n_outer;
  int outer_conv[64];
  int n_outer_conv;
  index_t outer_taps;
  // Tasks: outer multi-index x blocks of output rows x column tiles.
  index_t block_rows, row_blocks, tiles, tasks;
  // Outputs [ilo, ihi) x [jlo, jhi) of the plane whose taps all land
  // inside the input.
  index_t ilo, ihi, jlo, jhi;
  bool tile_ok;     // the tile kernel runs (else the row kernel)
  bool direct_out;  // the tile kernel writes into `out` (else an accumulator block)
};

// The arrays and rules of one call, with the kernels of the active ISA.
template <class T>
struct EngineArgs {
  const T* in;
  const T* kernel;
  T* out;
  Boundary boundary;
  T fill;
  kernels::RowKernel<T> row_fn;
  kernels::TileKernel<T> tile_fn;
};

// The task layout: outer axes, task counts. No tasks: nothing to run.
inline EnginePlan plan_tasks(const AxisPlan* axes, int rank) {
  EnginePlan p;
  p.axes = axes;
  p.rank = rank;
  p.plane = rank >= 2 && axes[rank - 2].convolved;
  p.row = p.plane ? axes[rank - 2] : AxisPlan{true, 1, 1, 1, 1, 1, 0, 0, 0, 0};
  p.col = axes[rank - 1];
  p.n_outer = p.plane ? rank - 2 : rank - 1;

  index_t outer_count = 1;
  p.n_outer_conv = 0;
  p.outer_taps = 1;
  for (int a = 0; a < p.n_outer; ++a) {
    outer_count *= axes[a].out_n;
    if (axes[a].convolved) {
      p.outer_conv[p.n_outer_conv++] = a;
      p.outer_taps *= axes[a].taps;
    }
  }
  p.block_rows = p.plane ? kTaskRows : 1;
  p.row_blocks = (p.row.out_n + p.block_rows - 1) / p.block_rows;
  p.tiles = (p.col.out_n + kColumnTile - 1) / kColumnTile;
  p.tasks = outer_count * p.row_blocks * p.tiles;
  // (set by plan_paths, once the kernels are known)
  p.ilo = p.ihi = p.jlo = p.jhi = 0;
  p.tile_ok = p.direct_out = false;
  return p;
}

// The interior ranges, and the path: the tile or the row kernel, writing
// straight into `out` or through an accumulator block.
template <class T>
void plan_paths(EnginePlan& p, const EngineArgs<T>& a) {
  const AxisPlan& row = p.row;
  const AxisPlan& col = p.col;
  const std::pair<index_t, index_t> row_in = interior(row), col_in = interior(col);
  p.ilo = row_in.first;
  p.ihi = row_in.second;
  p.jlo = col_in.first;
  p.jhi = col_in.second;
  // Input extent one task of the tile path reads, for its patch buffer.
  const index_t patch_rows =
      (std::min(p.block_rows, row.out_n) - 1) * row.stride + (row.taps - 1) * row.dilation + 1;
  const index_t patch_cols =
      (std::min(kColumnTile, col.out_n) - 1) + (col.taps - 1) * col.dilation + 1;
  // The tile kernel needs column stride 1; borders and non-unit input
  // column steps go through a small boundary-extended patch, within reason
  // (a huge dilation makes the patch size overflow: no tiles then).
  index_t patch_size;
  const bool small_patch = !__builtin_mul_overflow(patch_rows, patch_cols, &patch_size) &&
                           patch_size <= (index_t(1) << 22);
  // The patches hold the fill; the row kernel skips a zero fill. With an
  // Inf or NaN tap, a zero-filled patch would give NaN where the outside
  // is no term of the sum (docs/conventions.md): such kernels take the row path.
  const bool zero_fill = a.boundary == Boundary::fill && a.fill == T(0);
  p.tile_ok = a.tile_fn != nullptr && col.stride == 1 && small_patch &&
              !(zero_fill && !all_finite(a.kernel, kernel_size(p.axes, p.rank)));
  // One input plane per output (no outer convolved axes) and contiguous
  // output rows: the tile kernel writes each output once, straight into
  // `out`. Otherwise outputs accumulate in a per-task buffer.
  p.direct_out = p.tile_ok && p.outer_taps == 1 && col.out_step == 1;
}

// One thread's scratch, allocated when first needed.
template <class T>
struct TaskScratch {
  SmallBuffer<T, 256> acc;            // the accumulator block (unless direct_out)
  SmallBuffer<T, 256> patch;          // the extended input of one rectangle
  SmallBuffer<index_t, 128> col_map;  // the patch's input columns (-1: the fill)
  SmallBuffer<index_t, 16> idx;       // multi-index of the outer axes
  explicit TaskScratch(const EnginePlan& p)
      : acc(p.direct_out ? 0
                         : static_cast<size_t>(p.block_rows * std::min(kColumnTile, p.col.out_n))),
        idx(static_cast<size_t>(std::max(p.n_outer, 1))) {}
};

// Where one task is: output rows [i0, i1) x columns [j0, j1) of the plane,
// and the offsets of its outer multi-index in the three arrays.
struct TaskBases {
  index_t j0, j1, i0, i1;
  index_t out_base, in_base, k_base;
};

// Decodes a task index into its bases, and its outer multi-index into idx.
inline TaskBases locate_task(const EnginePlan& p, index_t task, index_t* idx) {
  TaskBases t;
  t.j0 = (task % p.tiles) * kColumnTile;
  t.j1 = std::min(t.j0 + kColumnTile, p.col.out_n);
  t.i0 = ((task / p.tiles) % p.row_blocks) * p.block_rows;
  t.i1 = std::min(t.i0 + p.block_rows, p.row.out_n);
  // Multi-index of the outer axes; base offsets along batch axes.
  index_t rem = task / p.tiles / p.row_blocks;
  t.in_base = 0;
  t.k_base = 0;
  t.out_base = 0;
  for (int a = p.n_outer - 1; a >= 0; --a) {
    const AxisPlan& ax = p.axes[a];
    idx[a] = rem % ax.out_n;
    rem /= ax.out_n;
    t.out_base += idx[a] * ax.out_step;
    if (!ax.convolved) {
      if (ax.in_n != 1) t.in_base += idx[a] * ax.in_step;
      if (ax.taps != 1) t.k_base += idx[a] * ax.k_step;
    }
  }
  return t;
}

// A task's accumulator block: output (r, c) at data + (r - i0) * stride + (c - j0).
template <class T>
struct AccBlock {
  T* data;
  index_t stride;
  index_t i0, j0;
  T* at(index_t r, index_t c) const { return data + (r - i0) * stride + (c - j0); }
};

// Straight into `out` (direct_out), else the zeroed per-thread buffer.
template <class T>
AccBlock<T> accumulator_block(const EnginePlan& p, T* out, const TaskBases& t, TaskScratch<T>& s) {
  AccBlock<T> acc;
  acc.data = p.direct_out ? out + t.out_base + t.i0 * p.row.out_step + t.j0 : s.acc.data();
  acc.stride = p.direct_out ? p.row.out_step : t.j1 - t.j0;
  acc.i0 = t.i0;
  acc.j0 = t.j0;
  if (!p.direct_out) std::fill(acc.data, acc.data + (t.i1 - t.i0) * acc.stride, T(0));
  return acc;
}

// The input and kernel planes of one tuple of outer taps; fill: a tap
// lands outside the input along an outer axis (fill boundary), so every
// input of the plane is the fill.
template <class T>
struct InputPlane {
  const T* x;
  const T* k;
  bool fill;
};

template <class T>
InputPlane<T> outer_tap_plane(const EnginePlan& p, const EngineArgs<T>& a, const TaskBases& t,
                              const index_t* idx, index_t tap) {
  index_t trem = tap, in_off = t.in_base, k_off = t.k_base;
  bool fill_plane = false;
  for (int o = p.n_outer_conv - 1; o >= 0; --o) {
    const AxisPlan& ax = p.axes[p.outer_conv[o]];
    const index_t q = trem % ax.taps;
    trem /= ax.taps;
    k_off += q * ax.k_step;
    index_t i = idx[p.outer_conv[o]] * ax.stride + q * ax.dilation + ax.origin;
    if (i < 0 || i >= ax.in_n) {
      if (a.boundary == Boundary::fill) {
        fill_plane = true;
        continue;
      }
      i = map_index(i, ax.in_n, a.boundary);
    }
    in_off += i * ax.in_step;
  }
  return {a.in + (fill_plane ? 0 : in_off), a.kernel + k_off, fill_plane};
}

// Copies the extended input rows [row0, row0 + rows) x columns
// [col0, col0 + cols) of a plane into the patch, rows of `cols` elements:
// the fill, or the boundary rule, outside the input.
template <class T>
const T* extend_into_patch(const EnginePlan& p, const EngineArgs<T>& a, const InputPlane<T>& x,
                           index_t row0, index_t rows, index_t col0, index_t cols,
                           TaskScratch<T>& s) {
  const AxisPlan& row = p.row;
  const AxisPlan& col = p.col;
  s.patch.resize(static_cast<size_t>(rows * cols));
  s.col_map.resize(static_cast<size_t>(cols));
  for (index_t c = 0; c < cols; ++c) {
    const index_t ci = col0 + c;
    s.col_map[c] = (ci >= 0 && ci < col.in_n)     ? ci
                   : a.boundary == Boundary::fill ? -1
                                                  : map_index(ci, col.in_n, a.boundary);
  }
  for (index_t r = 0; r < rows; ++r) {
    T* prow = s.patch.data() + r * cols;
    index_t ri = row0 + r;
    bool fill_row = x.fill;
    if (!fill_row && (ri < 0 || ri >= row.in_n)) {
      if (a.boundary == Boundary::fill)
        fill_row = true;
      else
        ri = map_index(ri, row.in_n, a.boundary);
    }
    if (fill_row) {
      std::fill(prow, prow + cols, a.fill);
      continue;
    }
    const T* xr = x.x + ri * row.in_step;
    for (index_t c = 0; c < cols; ++c)
      prow[c] = s.col_map[c] < 0 ? a.fill : xr[s.col_map[c] * col.in_step];
  }
  return s.patch.data();
}

// Output rectangle [r0, r1) x [c0, c1) of a task through the tile kernel:
// straight from the input where every tap is inside it, else from a patch
// holding exactly the extended input it reads.
template <class T>
void tile_rectangle(const EnginePlan& p, const EngineArgs<T>& a, const InputPlane<T>& x,
                    const AccBlock<T>& acc, TaskScratch<T>& s, index_t r0, index_t r1, index_t c0,
                    index_t c1) {
  if (r0 >= r1 || c0 >= c1) return;
  const AxisPlan& row = p.row;
  const AxisPlan& col = p.col;
  kernels::TileTask<T> t{nullptr,
                         0,
                         x.k,
                         row.taps,
                         col.taps,
                         0,
                         row.stride,
                         row.dilation,
                         0,
                         col.dilation,
                         r1 - r0,
                         c1 - c0,
                         acc.at(r0, c0),
                         acc.stride,
                         /*accumulate=*/!p.direct_out};
  const index_t first_row = r0 * row.stride + row.origin;
  const index_t first_col = c0 + col.origin;
  const bool inside =
      !x.fill && col.in_step == 1 && r0 >= p.ilo && r1 <= p.ihi && c0 >= p.jlo && c1 <= p.jhi;
  if (inside) {
    t.x = x.x;
    t.x_stride = row.in_step;
    t.row0 = first_row;
    t.col0 = first_col;
  } else {
    const index_t pr = (r1 - r0 - 1) * row.stride + (row.taps - 1) * row.dilation + 1;
    const index_t pc = (c1 - c0 - 1) + (col.taps - 1) * col.dilation + 1;
    t.x = extend_into_patch(p, a, x, first_row, pr, first_col, pc, s);
    t.x_stride = pc;
  }
  a.tile_fn(t);
}

// A task's outputs [i0, i1) x [j0, j1), for one input plane, through the
// tile kernel: the interior straight from the input, the borders
// through patches.
template <class T>
void tile_task(const EnginePlan& p, const EngineArgs<T>& a, const InputPlane<T>& x,
               const TaskBases& t, const AccBlock<T>& acc, TaskScratch<T>& s) {
  const index_t i0 = t.i0, i1 = t.i1, j0 = t.j0, j1 = t.j1;
  if (p.col.in_step != 1 || x.fill) {
    // Rows are not contiguous: the whole task goes through patches.
    tile_rectangle(p, a, x, acc, s, i0, i1, j0, j1);
    return;
  }
  // Border pieces are widened to whole vectors (and the top one to whole
  // row blocks) so that no piece is left to scalar code; they just read a
  // little more through their patch.
  const index_t ti0 = std::min(i0 + round_up(std::max(p.ilo - i0, index_t(0)), kRowGranule),
                               std::max(std::min(i1, p.ihi), i0));
  const index_t ti1 = std::max(std::min(i1, p.ihi), ti0);
  const index_t tj0 = std::min(j0 + round_up(std::max(p.jlo - j0, index_t(0)), kColGranule),
                               std::max(std::min(j1, p.jhi), j0));
  const index_t tj1 = std::max(tj0 + (std::min(j1, p.jhi) - tj0) / kColGranule * kColGranule, tj0);
  tile_rectangle(p, a, x, acc, s, ti0, ti1, tj0, tj1);  // interior
  tile_rectangle(p, a, x, acc, s, i0, ti0, j0, j1);     // top
  tile_rectangle(p, a, x, acc, s, ti1, i1, j0, j1);     // bottom
  tile_rectangle(p, a, x, acc, s, ti0, ti1, j0, tj0);   // left
  tile_rectangle(p, a, x, acc, s, ti0, ti1, tj1, j1);   // right
}

// Element types without a tile kernel, and strided columns: a task's
// outputs for one input plane, one kernel row at a time, with the
// boundary rule.
template <class T>
void row_task(const EnginePlan& p, const EngineArgs<T>& a, const InputPlane<T>& x,
              const TaskBases& t, const AccBlock<T>& acc) {
  const AxisPlan& row = p.row;
  const AxisPlan& col = p.col;
  for (index_t i = t.i0; i < t.i1; ++i) {
    T* arow = acc.at(i, t.j0);
    for (index_t q = 0; q < row.taps; ++q) {
      bool fill_row = x.fill;
      const T* xrow = x.x;
      if (p.plane && !x.fill) {
        index_t r = i * row.stride + q * row.dilation + row.origin;
        if (r < 0 || r >= row.in_n) {
          if (a.boundary == Boundary::fill)
            fill_row = true;
          else
            r = map_index(r, row.in_n, a.boundary);
        }
        if (!fill_row) xrow += r * row.in_step;
      }
      kernels::RowTask<T> rt{xrow,       col.in_n,   col.in_step,  x.k + q * col.taps,
                             col.taps,   col.stride, col.dilation, col.origin,
                             a.boundary, a.fill,     fill_row,     arow,
                             t.j0,       t.j1};
      a.row_fn(rt);
    }
  }
}

// The accumulated outputs of a task into `out`, any column step.
template <class T>
void copy_out(const EnginePlan& p, T* out, const TaskBases& t, const AccBlock<T>& acc) {
  for (index_t i = t.i0; i < t.i1; ++i) {
    T* o = out + t.out_base + i * p.row.out_step + t.j0 * p.col.out_step;
    const T* ac = acc.at(i, t.j0);
    if (p.col.out_step == 1)
      std::copy(ac, ac + acc.stride, o);
    else
      for (index_t j = 0; j < acc.stride; ++j) o[j * p.col.out_step] = ac[j];
  }
}

// One task: every tuple of outer taps, each through the tile or the row
// kernel, into the accumulator block.
template <class T>
void run_task(const EnginePlan& p, const EngineArgs<T>& a, TaskScratch<T>& s, index_t task) {
  const TaskBases t = locate_task(p, task, s.idx.data());
  const AccBlock<T> acc = accumulator_block(p, a.out, t, s);
  for (index_t tap = 0; tap < p.outer_taps; ++tap) {
    const InputPlane<T> x = outer_tap_plane(p, a, t, s.idx.data(), tap);
    if (p.tile_ok)
      tile_task(p, a, x, t, acc, s);
    else
      row_task(p, a, x, t, acc);
  }
  if (!p.direct_out) copy_out(p, a.out, t, acc);
}

template <class T>
void run_engine(const AxisPlan* axes, int rank, const T* in, const T* kernel, T* out,
                Boundary boundary, T fill, int threads) {
  EnginePlan plan = plan_tasks(axes, rank);
  if (plan.tasks == 0) return;
  const kernels::KernelTable& table = kernels::active_table();
  const EngineArgs<T> args{in,
                           kernel,
                           out,
                           boundary,
                           fill,
                           kernels::row_kernel<T>(table),
                           kernels::tile_kernel<T>(table)};
  plan_paths(plan, args);
  // (plain variables, not structured bindings, for what the lambdas below
  // capture: Clang accepts capturing a structured binding only from
  // version 16, C++20)
  parallel_tasks(plan.tasks, threads, [&](const TaskLoop& for_each_task) {
    TaskScratch<T> scratch(plan);
    for_each_task([&](index_t task) { run_task(plan, args, scratch, task); });
  });
}

}  // namespace fastconv::detail
