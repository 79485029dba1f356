// The max-pooling kernel (kernels.hpp's MaxPoolRowTask: several output
// rows, the 3x3 stride-2 windows whose rows share their maxima among them)
// and the average-pooling kernels (AvgPoolRowTask, AvgPoolPlanesTask and
// the global pool's AvgPoolGlobalKernel),
// float and double, of every ISA this build has and
// this CPU runs, and every ISA's vector width compiled here
// (width_tables.hpp), on random tasks against the task's definition summed
// in the same order: the outputs must be the same bits (the kernels
// promise row-major sums from zero and the divisors in turn; the maxima
// the first largest tap or the last NaN, and its index), and no other
// output may change.
#include <fastconv/runtime.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/kernels.hpp"
#include "width_tables.hpp"

namespace {

using fastconv::index_t;
using fastconv::kernels::AvgPoolPlanesTask;
using fastconv::kernels::AvgPoolRowTask;
using fastconv::kernels::KernelTable;
using fastconv::kernels::MaxPoolRowTask;
using fastconv::kernels::table_named;

int failures = 0, checks = 0;

void expect(bool ok, const std::string& what) {
  ++checks;
  if (!ok && failures++ < 20) std::printf("FAIL: %s\n", what.c_str());
}

// out[o] by the task's definition.
template <class T>
T reference(const AvgPoolRowTask<T>& t, index_t o) {
  T sum = 0;
  for (index_t z = 0; z < t.depths; ++z)
    for (index_t r = 0; r < t.rows; ++r)
      for (index_t j = 0; j < t.kw; ++j)
        sum += t.x[o * t.stride + z * t.depth_step + r * t.row_step + j];
  for (index_t d : t.divisors) sum = sum / static_cast<T>(d);
  return sum;
}

// Random values of mixed magnitudes (sums that round), a few signed zeros
// and infinities.
template <class T>
T random_value(std::mt19937& g) {
  std::uniform_int_distribution<int> special(0, 9);
  std::normal_distribution<double> value(0.0, 1e3);
  const int s = special(g);
  return s == 0 ? T(-0.0) : s == 1 && special(g) == 0 ? -T(1) / T(0) : static_cast<T>(value(g));
}

// Divisors of a plain pooling (one) or an adaptive one (three).
void pick_divisors(index_t (&d)[3], index_t depths, index_t rows, index_t width, std::mt19937& g) {
  const bool adaptive = std::uniform_int_distribution<int>(0, 2)(g) == 0;
  d[0] = adaptive ? depths : depths * rows * width;
  d[1] = adaptive ? rows : 1;
  d[2] = adaptive ? width : 1;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
void check_row(const KernelTable& tb, std::mt19937& g) {
  std::uniform_int_distribution<index_t> small(1, 3), width(1, 5), count(1, 70);
  const index_t depths = small(g), rows = small(g), kw = width(g), stride = small(g);
  const index_t n = count(g), cols = (n - 1) * stride + kw + small(g) - 1;
  const index_t row_step = cols, depth_step = (rows + 1) * row_step;
  std::vector<T> x(static_cast<size_t>(depths * depth_step));
  for (T& v : x) v = random_value<T>(g);
  const T sentinel = T(12345);
  std::vector<T> out(static_cast<size_t>(n + 3), sentinel);
  AvgPoolRowTask<T> t;
  t.x = x.data();
  t.x_after = cols;
  t.depths = depths;
  t.depth_step = depth_step;
  t.rows = rows;
  t.row_step = row_step;
  t.kw = kw;
  t.stride = stride;
  t.count = n;
  pick_divisors(t.divisors, depths, rows, kw, g);
  t.out = out.data();
  fastconv::kernels::avg_pool_row_kernel<T>(tb)(t);
  const std::string what = std::string(tb.isa) + (sizeof(T) == 4 ? " f32" : " f64") +
                           " depths=" + std::to_string(depths) + " rows=" + std::to_string(rows) +
                           " kw=" + std::to_string(kw) + " stride=" + std::to_string(stride) +
                           " count=" + std::to_string(n);
  for (index_t o = 0; o < n; ++o) {
    const T want = reference(t, o), got = out[static_cast<size_t>(o)];
    expect(same_bits(want, got), what + " output " + std::to_string(o));
  }
  for (index_t o = n; o < n + 3; ++o)
    expect(out[static_cast<size_t>(o)] == sentinel, what + " wrote past count");
}

// Output (i, o) of a max-pooling task by its definition: the winner of the
// taps in row-major order, and its index.
template <class T>
std::pair<T, std::int64_t> reference(const MaxPoolRowTask<T>& t, index_t i, index_t o) {
  const T* p = t.x + i * t.x_row_step + o * t.stride;
  const std::int64_t at = t.at0 + i * t.at_row_step + o * t.stride;
  const index_t j0 = o < 0 ? 1 : 0;  // (a clipped first output's first column is no tap)
  T best = p[j0];
  std::int64_t best_at = at + j0;
  for (index_t z = 0; z < t.depths; ++z)
    for (index_t r = 0; r < t.rows; ++r)
      for (index_t j = j0; j < t.kw; ++j) {
        const T v = p[z * t.depth_step + r * t.row_step + j * t.dilation];
        if (v > best || v != v) {
          best = v;
          best_at = at + z * t.depth_at_step + r * t.row_at_step + j * t.dilation;
        }
      }
  return {best, best_at};
}

// Several output rows of a random task: half of them 3x3 windows, stride 2
// both ways (the shared-rows kernel), on values with ties, signed zeros,
// infinities and NaNs; with and without indices.
template <class T>
void check_max_rows(const KernelTable& tb, std::mt19937& g) {
  std::uniform_int_distribution<index_t> small(1, 3), count(1, 300), coin(0, 1);
  const bool stem = coin(g) == 1;
  const index_t depths = stem ? 1 : small(g), rows = stem ? 3 : small(g);
  const index_t kw = stem ? 3 : small(g), dilation = stem ? 1 : small(g);
  const index_t stride = stem ? 2 : small(g), row_stride = stem ? 2 : small(g);
  const index_t out_rows = std::uniform_int_distribution<index_t>(1, 9)(g), n = count(g);
  // (a clipped first output: its window a stride left of x, the first
  // column -- huge values here -- no tap)
  const bool clipped = dilation == 1 && kw >= 2 && coin(g) == 1;
  const index_t left = clipped ? stride : 0;
  const index_t cols = left + (n - 1) * stride + (kw - 1) * dilation + 1 + small(g) - 1;
  const index_t plane_rows = (out_rows - 1) * row_stride + rows;
  std::vector<T> x(static_cast<size_t>(depths * plane_rows * cols));
  // NaNs anywhere, none (the 3x3 stride-2 kernel's plain maxima), or one
  // (that kernel finds it and takes the NaN rule again)
  std::uniform_int_distribution<int> value(-3, 3), special(0, 19), nans(0, 2);
  const int nan_mode = nans(g);
  for (T& v : x) {
    const int s = special(g);
    v = s == 0                    ? T(-0.0)
        : s == 1                  ? T(1) / T(0)
        : s == 2 && nan_mode == 0 ? T(0) / T(0)
                                  : static_cast<T>(value(g));
  }
  if (nan_mode == 2)
    x[std::uniform_int_distribution<size_t>(0, x.size() - 1)(g)] =
        std::numeric_limits<T>::quiet_NaN();
  for (size_t r = 0; clipped && r < x.size(); r += static_cast<size_t>(cols)) x[r] = T(1e30);
  const index_t out_step = n + 3;  // out[i*out_step + 1 + o] for o in [-1, n)
  const T sentinel = T(12345);
  std::vector<T> out(static_cast<size_t>(out_rows * out_step), sentinel);
  std::vector<std::int64_t> idx(out.size(), -7);
  const bool with_indices = coin(g) == 1;
  MaxPoolRowTask<T> t;
  t.x = x.data() + left;
  t.x_after = cols - left;
  t.depths = depths;
  t.depth_step = plane_rows * cols;
  t.rows = rows;
  t.row_step = cols;
  t.kw = kw;
  t.dilation = dilation;
  t.stride = stride;
  t.count = n;
  t.out = out.data() + 1;
  t.idx = with_indices ? idx.data() + 1 : nullptr;
  t.at0 = 5;
  t.depth_at_step = t.depth_step;
  t.row_at_step = cols;
  t.out_rows = out_rows;
  t.x_row_step = row_stride * cols;
  t.out_row_step = out_step;
  t.idx_row_step = out_step;
  t.at_row_step = row_stride * cols;
  t.first_clipped = clipped;
  fastconv::kernels::max_pool_row_kernel<T>(tb)(t);
  const std::string what = std::string(tb.isa) + (sizeof(T) == 4 ? " f32" : " f64") +
                           " max depths=" + std::to_string(depths) +
                           " rows=" + std::to_string(rows) + " kw=" + std::to_string(kw) +
                           " stride=" + std::to_string(stride) +
                           " out_rows=" + std::to_string(out_rows) + " count=" + std::to_string(n) +
                           (with_indices ? " indices" : "") + (clipped ? " clipped" : "") +
                           " nan_mode=" + std::to_string(nan_mode);
  for (index_t i = 0; i < out_rows; ++i) {
    for (index_t o = -1; o + 1 < out_step; ++o) {
      const size_t at = static_cast<size_t>(i * out_step + 1 + o);
      const std::string where = " output " + std::to_string(i) + "," + std::to_string(o);
      if (o >= n || (o < 0 && !clipped)) {
        expect(out[at] == sentinel && idx[at] == -7, what + " wrote past count" + where);
        continue;
      }
      const auto [want, want_at] = reference(t, i, o);
      expect(same_bits(want, out[at]), what + where);
      expect(idx[at] == (with_indices ? want_at : -7), what + " index" + where);
    }
  }
}

// A window in each of `planes` separately allocated planes, its rows
// either following each other in memory (one long row for the kernel) or
// apart.
template <class T>
void check_planes(const KernelTable& tb, std::mt19937& g) {
  std::uniform_int_distribution<index_t> small(1, 3), width(1, 40), gap(0, 2);
  const int planes = static_cast<int>(std::uniform_int_distribution<index_t>(1, 40)(g));
  const index_t depths = small(g), rows = small(g), w = width(g);
  const index_t row_step = w + gap(g), depth_step = rows * row_step + gap(g);
  std::vector<std::vector<T>> x(static_cast<size_t>(planes));
  std::vector<const T*> first(x.size());
  std::vector<T> out(x.size(), T(12345));
  std::vector<T*> at(x.size());
  for (size_t q = 0; q < x.size(); ++q) {
    x[q].resize(static_cast<size_t>(depths * depth_step));
    for (T& v : x[q]) v = random_value<T>(g);
    first[q] = x[q].data();
    at[q] = &out[q];
  }
  AvgPoolPlanesTask<T> t;
  t.x = first.data();
  t.planes = planes;
  t.depths = depths;
  t.depth_step = depth_step;
  t.rows = rows;
  t.row_step = row_step;
  t.width = w;
  pick_divisors(t.divisors, depths, rows, w, g);
  t.out = at.data();
  fastconv::kernels::avg_pool_planes_kernel<T>(tb)(t);
  const std::string what = std::string(tb.isa) + (sizeof(T) == 4 ? " f32" : " f64") +
                           " planes=" + std::to_string(planes) +
                           " depths=" + std::to_string(depths) + " rows=" + std::to_string(rows) +
                           " width=" + std::to_string(w) + " row_step=" + std::to_string(row_step);
  for (size_t q = 0; q < x.size(); ++q) {
    T want = 0;
    for (index_t z = 0; z < depths; ++z)
      for (index_t r = 0; r < rows; ++r)
        for (index_t j = 0; j < w; ++j)
          want += x[q][static_cast<size_t>(z * depth_step + r * row_step + j)];
    for (index_t d : t.divisors) want = want / static_cast<T>(d);
    expect(same_bits(want, out[q]), what + " plane " + std::to_string(q));
  }
}

// A global pool's planes of n values (sums that round, signed zeros,
// infinities), 1 to 9 of them a step apart: each plane's sum in the
// documented order, partial sum by partial sum, and nothing else written.
template <class T>
void check_global(const KernelTable& tb, std::mt19937& g) {
  constexpr index_t kLanes = fastconv::kernels::kGlobalLanes;
  const index_t n = std::uniform_int_distribution<index_t>(1, 100)(g);
  const index_t planes = std::uniform_int_distribution<index_t>(1, 9)(g), step = n + 3;
  std::vector<T> x(static_cast<size_t>(planes * step));
  for (T& v : x) v = random_value<T>(g);
  const T sentinel = T(12345);
  std::vector<T> sums(static_cast<size_t>(planes + 1), sentinel);
  fastconv::kernels::avg_pool_global_kernel<T>(tb)(x.data(), n, planes, step, sums.data());
  const std::string what = std::string(tb.isa) + (sizeof(T) == 4 ? " f32" : " f64") +
                           " global n=" + std::to_string(n) + " planes=" + std::to_string(planes);
  const index_t whole = n - n % kLanes;
  for (index_t q = 0; q < planes; ++q) {
    const T* plane = x.data() + q * step;
    T partial[kLanes];
    for (index_t j = 0; j < kLanes; ++j) {
      partial[j] = T(0);
      for (index_t i = j; i < whole; i += kLanes) partial[j] += plane[i];
      const index_t last = j + n - kLanes;  // the tail value partial sum j takes, if any
      if (last >= whole) partial[j] += plane[last];
    }
    for (index_t w = kLanes / 2; w >= 1; w /= 2)
      for (index_t j = 0; j < w; ++j) partial[j] += partial[j + w];
    expect(same_bits(partial[0], sums[static_cast<size_t>(q)]),
           what + " plane " + std::to_string(q));
  }
  expect(sums[static_cast<size_t>(planes)] == sentinel, what + " wrote past the planes");
}

void check_table(const KernelTable& tb, std::mt19937& g) {
  for (int i = 0; i < 300; ++i) {
    check_global<float>(tb, g);
    check_global<double>(tb, g);
    check_row<float>(tb, g);
    check_row<double>(tb, g);
    check_planes<float>(tb, g);
    check_planes<double>(tb, g);
    check_max_rows<float>(tb, g);
    check_max_rows<double>(tb, g);
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
