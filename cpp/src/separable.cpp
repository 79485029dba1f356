// Separable convolution as two passes of the direct engine: the columns
// with `col` (a kc x 1 kernel), then the rows of that intermediate with
// `row` (a 1 x kr kernel), strip by strip. The boundary rule carries over:
// extending the input along the rows and then filtering the columns equals
// filtering and then extending, and a constant fill v becomes v * sum(col).
#include <algorithm>
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

#include "execute.hpp"
#include "fastconv/convolve.hpp"

namespace fastconv {

namespace {

// Options of one pass: the given axis keeps its stride and anchor, the
// other axis (kernel extent 1) gets the defaults.
ConvOptions pass_options(const ConvOptions& o, int axis) {
  ConvOptions p;
  p.mode = o.mode;
  p.boundary = o.boundary;
  p.threads = o.threads;
  p.anchor_rule = o.anchor_rule;
  auto pick = [axis](const std::vector<index_t>& v, index_t other) -> std::vector<index_t> {
    if (v.empty()) return {};
    const index_t mine = v.size() == 1 ? v[0] : v[axis];
    return axis == 0 ? std::vector<index_t>{mine, other} : std::vector<index_t>{other, mine};
  };
  if (!o.axes.empty()) throw std::invalid_argument("axes: not used by convolve_separable");
  if (!o.dilation.empty())
    for (index_t d : o.dilation)
      if (d != 1) throw std::invalid_argument("dilation: not supported by convolve_separable");
  for (const auto* v : {&o.stride, &o.anchor})
    if (v->size() > 2)
      throw std::invalid_argument("stride/anchor: expected one value or one per axis (2)");
  p.stride = pick(o.stride, 1);
  p.anchor = pick(o.anchor, 0);
  return p;
}

}  // namespace

ConvPlan plan_separable(const std::vector<index_t>& in_shape, index_t col_length,
                        index_t row_length, const ConvOptions& options) {
  if (in_shape.size() != 2) throw std::invalid_argument("in1: must be 2-D");
  if (col_length < 0 || row_length < 0) throw std::invalid_argument("col/row: negative length");
  ConvPlan plan;
  plan.flip_kernel = true;
  plan.boundary = options.boundary;
  plan.threads = options.threads;
  plan.rank = 2;
  const index_t k[2] = {col_length, row_length};
  for (int a = 0; a < 2; ++a) {
    const ConvOptions p = pass_options(options, a);
    const index_t n = in_shape[a];
    // Empty inputs, and 'valid' with an input smaller than the kernel,
    // give an empty result along that axis.
    if (n == 0 || k[a] == 0 || (options.mode == Mode::valid && n < k[a])) {
      plan.axis[a] = {true, n, k[a], 0, 1, 1, 0};
      continue;
    }
    // This axis alone: a 1-D problem with its options.
    ConvOptions one = p;
    if (!p.stride.empty()) one.stride = {p.stride[a]};
    if (!p.anchor.empty()) one.anchor = {p.anchor[a]};
    plan.axis[a] = plan_convolve({n}, {k[a]}, one).axis[0];
  }
  detail::checked_mul(plan.axis[0].out_n, plan.axis[1].out_n, "output");
  return plan;
}

std::vector<index_t> separable_output_shape(const std::vector<index_t>& in_shape,
                                            index_t col_length, index_t row_length,
                                            const ConvOptions& options) {
  return plan_separable(in_shape, col_length, row_length, options).out_shape();
}

// The filter on checked views (the guarded call's operands).
template <class T>
void separable_strips(const ConvPlan& plan, const View<const T>& in, const View<const T>& col,
                      const View<const T>& row, const View<T>& out, T fillvalue, int threads) {
  const auto shape = plan.out_shape();
  // Row strips of the output, each computed start to finish: the columns
  // of the input rows the strip needs into a small intermediate (kept in
  // cache), then the rows of that intermediate into `out`. Strips are
  // independent, fixed in size, and split between threads.
  const index_t kc = col.shape[0], kr = row.shape[0];
  const index_t s0 = plan.axis[0].stride, s1 = plan.axis[1].stride;
  const index_t origin0 = plan.axis[0].start - (kc - 1);
  const index_t origin1 = plan.axis[1].start - (kr - 1);
  const View<const T> kcol(col.data, {kc, 1}, {col.strides[0], 0});
  const View<const T> krow(row.data, {1, kr}, {0, row.strides[0]});
  // Outside the input, the filled columns have become fillvalue * sum(col);
  // a zero fill stays zero (no term of the sum, even with an Inf in col).
  // (madd: int64 wraps as promised, where a plain += or * would overflow)
  T col_sum = T(0);
  for (index_t p = 0; p < kc; ++p) detail::madd(col_sum, col.data[p * col.strides[0]], T(1));
  T mid_fill = T(0);
  if (fillvalue != T(0)) detail::madd(mid_fill, fillvalue, col_sum);

  const index_t width = in.shape[1];
  constexpr index_t kStripRows = 32;
  const index_t strips = (shape[0] + kStripRows - 1) / kStripRows;
  detail::parallel_tasks(strips, threads, [&](const detail::TaskLoop& for_each_strip) {
    std::vector<T> mid(static_cast<size_t>(std::min(kStripRows, shape[0]) * width));
    for_each_strip([&](index_t strip) {
      const index_t r0 = strip * kStripRows, rows = std::min(kStripRows, shape[0] - r0);
      const View<T> mid_view = make_view(mid.data(), {rows, width});
      const detail::AxisParams p1[2] = {{true, s0, 1, origin0 + r0 * s0}, {true, 1, 1, 0}};
      detail::execute_unguarded<T>(in, kcol, mid_view, p1, /*flip_kernel=*/true,
                                   /*conj_kernel=*/false, plan.boundary, fillvalue, 1);
      const View<T> out_rows(out.data + r0 * out.strides[0], {rows, shape[1]}, out.strides);
      const detail::AxisParams p2[2] = {{true, 1, 1, 0}, {true, s1, 1, origin1}};
      detail::execute_unguarded<T>(mid_view, krow, out_rows, p2, /*flip_kernel=*/true,
                                   /*conj_kernel=*/false, plan.boundary, mid_fill, 1);
    });
  });
}

template <class T>
void convolve_separable(const ConvPlan& plan, View<const T> in, View<const T> col,
                        View<const T> row, View<T> out, T fillvalue) {
  detail::check_view(in, "in1");
  detail::check_view(col, "col");
  detail::check_view(row, "row");
  detail::check_view(out, "out");
  if (col.ndim() != 1 || row.ndim() != 1) throw std::invalid_argument("col/row: must be 1-D");
  if (plan.rank != 2 || in.shape != std::vector<index_t>{plan.axis[0].in_n, plan.axis[1].in_n} ||
      col.shape[0] != plan.axis[0].kernel_n || row.shape[0] != plan.axis[1].kernel_n)
    throw std::invalid_argument("in1/col/row: shapes are not the plan's");
  const auto shape = plan.out_shape();
  if (out.shape != shape)
    throw std::invalid_argument("out: has shape " + detail::shape_str(out.shape) +
                                ", the result has shape " + detail::shape_str(shape));
  if (detail::may_overlap(out, in) || detail::may_overlap(out, col) ||
      detail::may_overlap(out, row))
    throw std::invalid_argument("out: must not overlap in1, col or row");
  if (out.size() == 0) return;
  const int threads =
      detail::resolve_threads(plan.threads, out.size(), col.shape[0] + row.shape[0]);
  // (products in x col x row, guarded as one)
  detail::guard_underflow(
      in, col, row, View<const T>(), fillvalue, col.shape[0] * row.shape[0], out, threads,
      [&](const View<const T>& x, const View<const T>& c, const View<const T>& r,
          const View<const T>&, T fill) { separable_strips(plan, x, c, r, out, fill, threads); });
}

template <class T>
void convolve_separable(View<const T> in, View<const T> col, View<const T> row, View<T> out,
                        const ConvOptions& options, T fillvalue) {
  if (col.ndim() != 1 || row.ndim() != 1) throw std::invalid_argument("col/row: must be 1-D");
  convolve_separable<T>(plan_separable(in.shape, col.shape[0], row.shape[0], options), in, col, row,
                        out, fillvalue);
}

#define FASTCONV_INSTANTIATE(T)                                                             \
  template void convolve_separable<T>(View<const T>, View<const T>, View<const T>, View<T>, \
                                      const ConvOptions&, T);                               \
  template void convolve_separable<T>(const ConvPlan&, View<const T>, View<const T>,        \
                                      View<const T>, View<T>, T);
FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_INSTANTIATE)
#undef FASTCONV_INSTANTIATE

}  // namespace fastconv
