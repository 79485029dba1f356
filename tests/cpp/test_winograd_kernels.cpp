// The Winograd kernels (kernels.hpp's WinogradTask: F(2x2, 3x3) and F(4x4,
// 3x3), float and double) of every ISA this build has and this CPU runs,
// and every ISA's register blocking compiled here (width_tables.hpp), on
// tasks filled by hand as nn/winograd.hpp fills them, against the task's
// definition in long double (B^T d B, the products summed over the input
// channels, A^T M A + bias). The kernels round differently (float
// arithmetic through the transforms), so outputs must be within a few
// units of the dtype's roundoff of the magnitudes the definition sums;
// outputs outside the task's rows, columns and channels must keep the
// value they had, and `nonfinite` must say whether a NaN was met.
#include <fastconv/runtime.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"
#include "width_tables.hpp"

namespace {

using fastconv::index_t;
using fastconv::kernels::KernelTable;
using fastconv::kernels::table_named;
using fastconv::kernels::WinogradTask;

int failures = 0, checks = 0;

void expect(bool ok, const std::string& what) {
  ++checks;
  if (!ok && failures++ < 20) std::printf("FAIL: %s\n", what.c_str());
}

// y = M x M^T for Rows x Cols M and Cols x Cols x (long double).
template <int Rows, int Cols>
void sandwich(const double (&M)[Rows][Cols], const long double* x, long double* y, bool absolute) {
  long double tmp[Rows][Cols] = {};
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < Cols; ++j)
      for (int k = 0; k < Cols; ++k)
        tmp[r][j] += (absolute ? std::fabs(M[r][k]) : M[r][k]) * x[k * Cols + j];
  for (int r = 0; r < Rows; ++r)
    for (int s = 0; s < Rows; ++s) {
      long double v = 0;
      for (int k = 0; k < Cols; ++k) v += tmp[r][k] * (absolute ? std::fabs(M[s][k]) : M[s][k]);
      y[r * Rows + s] = v;
    }
}

template <class T, class F>
void check(const KernelTable& tb, int variant, std::mt19937& g, bool with_nan) {
  constexpr int m = F::m, A = F::alpha, E = A * A;
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  const index_t NB = tb.conv_channel_vecs * L;
  std::uniform_int_distribution<index_t> pick(1, 5);
  const index_t tile_rows = pick(g), tile_cols = pick(g) + 1, C = pick(g) * 3;
  const index_t cs = (C + L - 1) / L * L, cout = pick(g) * 7, blocks = (cout + NB - 1) / NB;
  const index_t pr = tile_rows * m + 2, pc = tile_cols * m + 2, tiles = tile_rows * tile_cols;
  std::normal_distribution<double> normal;
  std::vector<T> panel(static_cast<size_t>(pr * pc * cs), T(0));
  for (index_t r = 0; r < pr; ++r)
    for (index_t x = 0; x < pc; ++x)
      for (index_t c = 0; c < C; ++c) panel[(r * pc + x) * cs + c] = static_cast<T>(normal(g));
  if (with_nan) panel[(1 * pc + 2) * cs + C - 1] = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> U(static_cast<size_t>(E * blocks * cs * NB), T(0)), bias(blocks * NB, T(0));
  for (index_t e = 0; e < E; ++e)
    for (index_t c = 0; c < C; ++c)
      for (index_t o = 0; o < cout; ++o)
        U[((e * blocks + o / NB) * cs + c) * NB + o % NB] = static_cast<T>(normal(g));
  for (index_t o = 0; o < cout; ++o) bias[o] = static_cast<T>(normal(g));
  // The output: cut at `rows` x `cols` (the last tiles partly outside),
  // a margin of channels and columns around it that must stay untouched.
  const index_t rows = tile_rows * m - 1, cols = tile_cols * m - (m - 1);
  const index_t ch_step = (rows + 1) * (cols + 3), row_step = cols + 3;
  const T sentinel = T(12345);
  std::vector<T> out(static_cast<size_t>((cout + 1) * ch_step), sentinel);
  std::vector<T> V(static_cast<size_t>(E * tiles * cs)),
      M(static_cast<size_t>(E * tiles * blocks * NB));
  bool nonfinite = false;
  WinogradTask<T> t{panel.data(), 0,          cs,          pc * cs,     cs,
                    tile_rows,    tile_cols,  C,           U.data(),    cs * blocks * NB,
                    cs * NB,      0,          blocks * NB, bias.data(), V.data(),
                    M.data(),     out.data(), ch_step,     row_step,    1,
                    rows,         cols,       cout,        &nonfinite};
  const auto kernel = fastconv::kernels::winograd_kernel<T>(tb, variant);
  kernel(t);
  // In two stages, as a run with few tiles splits it: the input transform
  // of each channel vector on its own, then the products: the same bits.
  std::vector<T> staged_out(out.size(), sentinel), staged_V(V.size());
  bool staged_nonfinite = false;
  WinogradTask<T> staged = t;
  staged.V = staged_V.data();
  staged.out = staged_out.data();
  staged.nonfinite = &staged_nonfinite;
  staged.o1 = staged.o0;
  for (index_t c = 0; c < cs; c += L) {
    staged.in_c0 = c;
    staged.in_c1 = c + L;
    kernel(staged);
  }
  staged.panel = nullptr;
  staged.o1 = t.o1;
  kernel(staged);
  expect(staged_nonfinite == nonfinite &&
             std::memcmp(staged_out.data(), out.data(), out.size() * sizeof(T)) == 0,
         std::string(tb.isa) + ": the staged run gives the one-task run's bits");
  const std::string where = std::string(tb.isa) + (sizeof(T) == 4 ? " float" : " double") + " F" +
                            std::to_string(m) + (with_nan ? " nan" : "");
  expect(nonfinite == with_nan, where + ": nonfinite flag");
  if (with_nan) return;
  const long double u = std::numeric_limits<T>::epsilon() / 2;
  for (index_t ti = 0; ti < tiles; ++ti) {
    const index_t y0 = ti / tile_cols * m, x0 = ti % tile_cols * m;
    std::vector<long double> v(static_cast<size_t>(C * E)), va(v.size());
    for (index_t c = 0; c < C; ++c) {
      long double d[E], da[E];
      for (int i = 0; i < E; ++i) {
        d[i] = panel[((y0 + i / A) * pc + x0 + i % A) * cs + c];
        da[i] = std::fabs(d[i]);
      }
      sandwich<A, A>(F::BT, d, &v[c * E], false);
      sandwich<A, A>(F::BT, da, &va[c * E], true);
    }
    for (index_t o = 0; o < cout; ++o) {
      long double mm[E] = {}, ma[E] = {}, y[m * m], ya[m * m];
      for (int e = 0; e < E; ++e)
        for (index_t c = 0; c < C; ++c) {
          const long double w = U[((e * blocks + o / NB) * cs + c) * NB + o % NB];
          mm[e] += w * v[c * E + e];
          ma[e] += std::fabs(w) * va[c * E + e];
        }
      sandwich<m, A>(F::AT, mm, y, false);
      sandwich<m, A>(F::AT, ma, ya, true);
      for (int i = 0; i < m * m; ++i) {
        const index_t yy = y0 + i / m, xx = x0 + i % m;
        if (yy >= rows || xx >= cols) continue;
        const long double want = y[i] + bias[o], scale = ya[i] + std::fabs((long double)bias[o]);
        const T got = out[o * ch_step + yy * row_step + xx];
        expect(std::fabs(got - want) <= 8 * u * scale * (C + 8),
               where + ": output " + std::to_string(o) + "," + std::to_string(yy) + "," +
                   std::to_string(xx));
      }
    }
  }
  // Nothing stored outside the task's outputs.
  for (index_t o = 0; o <= cout; ++o)
    for (index_t yy = 0; yy <= rows; ++yy)
      for (index_t xx = 0; xx < cols + 3; ++xx)
        if (o == cout || yy == rows || xx >= cols)
          expect(out[o * ch_step + yy * row_step + xx] == sentinel, where + ": stored outside");
}

void check_table(const KernelTable& tb, std::mt19937& g) {
  for (int trial = 0; trial < 4; ++trial)
    for (bool nan : {false, true}) {
      check<float, fastconv::kernels::WinogradF2>(tb, 0, g, nan);
      check<float, fastconv::kernels::WinogradF4>(tb, 1, g, nan);
      check<double, fastconv::kernels::WinogradF2>(tb, 0, g, nan);
      check<double, fastconv::kernels::WinogradF4>(tb, 1, g, nan);
    }
}

}  // namespace

int main() {
  std::mt19937 g(2026);
  for (const std::string& isa : fastconv::available_isas())
    if (const KernelTable* tb = table_named(isa)) check_table(*tb, g);
  for (const KernelTable* tb : {&fastconv::kernels::w16::table(), &fastconv::kernels::w32::table(),
                                &fastconv::kernels::w64::table()})
    check_table(*tb, g);
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
