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

template <class T>
void run_engine(const AxisPlan* axes, int rank, const T* in, const T* kernel, T* out,
                Boundary boundary, T fill, int threads) {
  const AxisPlan& col = axes[rank - 1];
  // A 2-D plane when the last two axes are both convolved; else 1-D rows.
  const bool plane = rank >= 2 && axes[rank - 2].convolved;
  const AxisPlan row_1d{true, 1, 1, 1, 1, 1, 0, 0, 0, 0};
  const AxisPlan& row = plane ? axes[rank - 2] : row_1d;
  const int n_outer = plane ? rank - 2 : rank - 1;

  index_t outer_count = 1;
  int outer_conv[64];  // convolved axes before the plane
  int n_outer_conv = 0;
  index_t outer_taps = 1;
  for (int a = 0; a < n_outer; ++a) {
    outer_count *= axes[a].out_n;
    if (axes[a].convolved) { outer_conv[n_outer_conv++] = a; outer_taps *= axes[a].taps; }
  }
  const index_t block_rows = plane ? kTaskRows : 1;
  const index_t row_blocks = (row.out_n + block_rows - 1) / block_rows;
  const index_t tiles = (col.out_n + kColumnTile - 1) / kColumnTile;
  const index_t tasks = outer_count * row_blocks * tiles;
  if (tasks == 0) return;

  const kernels::KernelTable& table = kernels::active_table();
  const auto row_fn = kernels::row_kernel<T>(table);
  const auto tile_fn = kernels::tile_kernel<T>(table);
  // (plain variables, not structured bindings: the lambdas below capture
  // them, which Clang accepts only from version 16, C++20)
  const std::pair<index_t, index_t> row_in = interior(row), col_in = interior(col);
  const index_t ilo = row_in.first, ihi = row_in.second;
  const index_t jlo = col_in.first, jhi = col_in.second;
  // Input extent one task of the tile path reads, for its patch buffer.
  const index_t patch_rows = (std::min(block_rows, row.out_n) - 1) * row.stride +
                             (row.taps - 1) * row.dilation + 1;
  const index_t patch_cols = (std::min(kColumnTile, col.out_n) - 1) + (col.taps - 1) * col.dilation + 1;
  // The tile kernel needs column stride 1; borders and non-unit input
  // column steps go through a small boundary-extended patch, within reason
  // (a huge dilation makes the patch size overflow: no tiles then).
  index_t patch_size;
  const bool small_patch = !__builtin_mul_overflow(patch_rows, patch_cols, &patch_size) &&
                           patch_size <= (index_t(1) << 22);
  // The patches hold the fill; the row kernel skips a zero fill. With an
  // Inf or NaN tap, a zero-filled patch would give NaN where the outside
  // is no term of the sum (SPEC 5): such kernels take the row path.
  const bool zero_fill = boundary == Boundary::fill && fill == T(0);
  const bool tile_ok = tile_fn != nullptr && col.stride == 1 && small_patch &&
                       !(zero_fill && !all_finite(kernel, kernel_size(axes, rank)));

  // One input plane per output (no outer convolved axes) and contiguous
  // output rows: the tile kernel writes each output once, straight into
  // `out`. Otherwise outputs accumulate in a per-task buffer.
  const bool direct_out = tile_ok && outer_taps == 1 && col.out_step == 1;

  parallel_tasks(tasks, threads, [&](const TaskLoop& for_each_task) {
    // Per-thread scratch, allocated when first needed.
    const index_t acc_cols = std::min(kColumnTile, col.out_n);
    SmallBuffer<T, 256> acc_buf(direct_out ? 0 : static_cast<size_t>(block_rows * acc_cols));
    SmallBuffer<T, 256> patch;
    SmallBuffer<index_t, 128> col_map;
    SmallBuffer<index_t, 16> idx(static_cast<size_t>(std::max(n_outer, 1)));
    for_each_task([&](index_t task) {
      const index_t j0 = (task % tiles) * kColumnTile;
      const index_t j1 = std::min(j0 + kColumnTile, col.out_n);
      const index_t i0 = ((task / tiles) % row_blocks) * block_rows;
      const index_t i1 = std::min(i0 + block_rows, row.out_n);
      // Multi-index of the outer axes; base offsets along batch axes.
      index_t rem = task / tiles / row_blocks, in_base = 0, k_base = 0, out_base = 0;
      for (int a = n_outer - 1; a >= 0; --a) {
        idx[a] = rem % axes[a].out_n;
        rem /= axes[a].out_n;
        out_base += idx[a] * axes[a].out_step;
        if (!axes[a].convolved) {
          if (axes[a].in_n != 1) in_base += idx[a] * axes[a].in_step;
          if (axes[a].taps != 1) k_base += idx[a] * axes[a].k_step;
        }
      }
      // The accumulator block: rows [i0, i1) x columns [j0, j1).
      T* const acc = direct_out ? out + out_base + i0 * row.out_step + j0 : acc_buf.data();
      const index_t acc_stride = direct_out ? row.out_step : j1 - j0;
      if (!direct_out) std::fill(acc, acc + (i1 - i0) * acc_stride, T(0));

      for (index_t tap = 0; tap < outer_taps; ++tap) {
        // The input plane for this tuple of outer taps (or the fill).
        index_t trem = tap, in_off = in_base, k_off = k_base;
        bool fill_plane = false;
        for (int o = n_outer_conv - 1; o >= 0; --o) {
          const AxisPlan& ax = axes[outer_conv[o]];
          const index_t p = trem % ax.taps;
          trem /= ax.taps;
          k_off += p * ax.k_step;
          index_t i = idx[outer_conv[o]] * ax.stride + p * ax.dilation + ax.origin;
          if (i < 0 || i >= ax.in_n) {
            if (boundary == Boundary::fill) { fill_plane = true; continue; }
            i = map_index(i, ax.in_n, boundary);
          }
          in_off += i * ax.in_step;
        }
        const T* xplane = in + (fill_plane ? 0 : in_off);
        const T* kplane = kernel + k_off;

        if (tile_ok) {
          // Output rectangle [r0, r1) x [c0, c1) of this task through the
          // tile kernel: straight from the input where every tap is inside
          // it, else from a patch holding exactly the extended input it reads.
          auto tile = [&](index_t r0, index_t r1, index_t c0, index_t c1) {
            if (r0 >= r1 || c0 >= c1) return;
            kernels::TileTask<T> t{nullptr, 0, kplane, row.taps, col.taps,
                                   0, row.stride, row.dilation, 0, col.dilation,
                                   r1 - r0, c1 - c0,
                                   acc + (r0 - i0) * acc_stride + (c0 - j0), acc_stride,
                                   /*accumulate=*/!direct_out};
            const index_t first_row = r0 * row.stride + row.origin;
            const index_t first_col = c0 + col.origin;
            const bool inside = !fill_plane && col.in_step == 1 && r0 >= ilo && r1 <= ihi &&
                                c0 >= jlo && c1 <= jhi;
            if (inside) {
              t.x = xplane;
              t.x_stride = row.in_step;
              t.row0 = first_row;
              t.col0 = first_col;
            } else {
              const index_t pr = (r1 - r0 - 1) * row.stride + (row.taps - 1) * row.dilation + 1;
              const index_t pc = (c1 - c0 - 1) + (col.taps - 1) * col.dilation + 1;
              patch.resize(static_cast<size_t>(pr * pc));
              col_map.resize(static_cast<size_t>(pc));
              for (index_t c = 0; c < pc; ++c) {
                const index_t ci = first_col + c;
                col_map[c] = (ci >= 0 && ci < col.in_n) ? ci
                             : boundary == Boundary::fill ? -1 : map_index(ci, col.in_n, boundary);
              }
              for (index_t r = 0; r < pr; ++r) {
                T* prow = patch.data() + r * pc;
                index_t ri = first_row + r;
                bool fill_row = fill_plane;
                if (!fill_row && (ri < 0 || ri >= row.in_n)) {
                  if (boundary == Boundary::fill) fill_row = true;
                  else ri = map_index(ri, row.in_n, boundary);
                }
                if (fill_row) { std::fill(prow, prow + pc, fill); continue; }
                const T* xr = xplane + ri * row.in_step;
                for (index_t c = 0; c < pc; ++c)
                  prow[c] = col_map[c] < 0 ? fill : xr[col_map[c] * col.in_step];
              }
              t.x = patch.data();
              t.x_stride = pc;
            }
            tile_fn(t);
          };
          if (col.in_step != 1 || fill_plane) {
            // Rows are not contiguous: the whole task goes through patches.
            tile(i0, i1, j0, j1);
          } else {
            // Border pieces are widened to whole vectors (and the top one
            // to whole row blocks) so that no piece is left to scalar code;
            // they just read a little more through their patch.
            const index_t ti0 = std::min(i0 + round_up(std::max(ilo - i0, index_t(0)), kRowGranule),
                                         std::max(std::min(i1, ihi), i0));
            const index_t ti1 = std::max(std::min(i1, ihi), ti0);
            const index_t tj0 = std::min(j0 + round_up(std::max(jlo - j0, index_t(0)), kColGranule),
                                         std::max(std::min(j1, jhi), j0));
            const index_t tj1 = std::max(tj0 + (std::min(j1, jhi) - tj0) / kColGranule * kColGranule, tj0);
            tile(ti0, ti1, tj0, tj1);  // interior
            tile(i0, ti0, j0, j1);     // top
            tile(ti1, i1, j0, j1);     // bottom
            tile(ti0, ti1, j0, tj0);   // left
            tile(ti0, ti1, tj1, j1);   // right
          }
          continue;
        }

        // Element types without a tile kernel, and strided columns: one
        // kernel row at a time, with the boundary rule.
        for (index_t i = i0; i < i1; ++i) {
          T* arow = acc + (i - i0) * acc_stride;
          for (index_t p = 0; p < row.taps; ++p) {
            bool fill_row = fill_plane;
            const T* xrow = xplane;
            if (plane && !fill_plane) {
              index_t r = i * row.stride + p * row.dilation + row.origin;
              if (r < 0 || r >= row.in_n) {
                if (boundary == Boundary::fill) fill_row = true;
                else r = map_index(r, row.in_n, boundary);
              }
              if (!fill_row) xrow += r * row.in_step;
            }
            kernels::RowTask<T> rt{xrow, col.in_n, col.in_step, kplane + p * col.taps,
                                   col.taps, col.stride, col.dilation, col.origin,
                                   boundary, fill, fill_row, arow, j0, j1};
            row_fn(rt);
          }
        }
      }

      if (!direct_out) {
        for (index_t i = i0; i < i1; ++i) {
          T* o = out + out_base + i * row.out_step + j0 * col.out_step;
          const T* a = acc + (i - i0) * acc_stride;
          if (col.out_step == 1) std::copy(a, a + acc_stride, o);
          else for (index_t j = 0; j < acc_stride; ++j) o[j * col.out_step] = a[j];
        }
      }
    });
  });
}

}  // namespace fastconv::detail
