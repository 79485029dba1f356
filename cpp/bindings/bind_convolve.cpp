#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fastconv/convolve.hpp"
#include "numpy_view.hpp"

namespace py = pybind11;
using namespace fastconv;

namespace {

AnchorRule parse_anchor_rule(const std::string& rule) {
  if (rule == "centre_low") return AnchorRule::centre_low;
  if (rule == "centre_high") return AnchorRule::centre_high;
  if (rule == "taps") return AnchorRule::taps;
  throw std::invalid_argument("anchor: unknown rule '" + rule + "'");
}

ConvOptions make_options(const std::string& mode, const std::string& boundary,
                         std::vector<index_t> axes, std::vector<index_t> stride,
                         std::vector<index_t> dilation, const std::string& anchor_rule,
                         std::vector<index_t> anchor, int threads) {
  ConvOptions o;
  o.mode = parse_mode(mode);
  o.boundary = parse_boundary(boundary);
  o.axes = std::move(axes);
  o.stride = std::move(stride);
  o.dilation = std::move(dilation);
  o.anchor_rule = parse_anchor_rule(anchor_rule);
  o.anchor = std::move(anchor);
  o.threads = threads;
  return o;
}

// Run a plan made by plan_filter. in1, in2, out and fillvalue (a 0-d array)
// share one dtype, checked here; the Python layer has promoted and cast them.
void execute_plan(const ConvPlan& plan, const py::array& in1, const py::array& in2,
                  const py::array& out, const py::array& fillvalue) {
  const py::dtype dt = in1.dtype();
  if (!in2.dtype().is(dt) || !out.dtype().is(dt) || !fillvalue.dtype().is(dt))
    throw py::type_error("in1, in2, out and fillvalue must share one dtype");
  bindings::dispatch_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    auto x = bindings::view_of<const T>(in1, "in1", false);
    auto k = bindings::view_of<const T>(in2, "in2", false);
    auto y = bindings::view_of<T>(out, "out", true);
    const T fill = *static_cast<const T*>(fillvalue.data());
    py::gil_scoped_release nogil;  // pure C++ from here on
    fastconv::execute<T>(plan, std::move(x), std::move(k), std::move(y), fill);
    return 0;
  });
}

// A new C-order array of `plan`'s result shape, rank 1 or 2 (its shape on
// the stack: no vectors to allocate, as py::array's constructor would).
py::array new_result(const py::dtype& dt, const ConvPlan& plan) {
  std::array<Py_intptr_t, 2> shape{};
  for (int a = 0; a < plan.rank; ++a) shape[a] = plan.axis[a].out_n;
  const auto& api = py::detail::npy_api::get();
  // (PyArray_NewFromDescr steals the reference to the descriptor)
  auto res = py::reinterpret_steal<py::array>(
      api.PyArray_NewFromDescr_(api.PyArray_Type_, dt.inc_ref().ptr(), plan.rank, shape.data(),
                                nullptr, nullptr, 0, nullptr));
  if (!res) throw py::error_already_set();
  return res;
}

// The mode named by `mode` when it is one of the three, without making a
// std::string of it (a tiny call's every allocation shows).
std::optional<Mode> plain_mode(py::handle mode) {
  if (!PyUnicode_CheckExact(mode.ptr())) return std::nullopt;
  for (const auto& [name, m] : {std::pair{"full", Mode::full}, std::pair{"same", Mode::same},
                                std::pair{"valid", Mode::valid}})
    if (PyUnicode_CompareWithASCIIString(mode.ptr(), name) == 0) return m;
  return std::nullopt;
}

// The common call -- two ndarrays (not subclasses) of one native dtype,
// default keywords -- with the least overhead: the arguments taken as
// handles and checked here (cheaper than in Python), no option vectors to
// convert, the result allocated here. Returns None when the call needs the
// general path (other types or dtypes, `two_d` and not 2-D, kernels of
// `max_taps` or more elements, unaligned data, empty inputs, scipy's
// 'valid' swap, bad mode...), which then also gives any error message.
py::object plain(py::handle in1_obj, py::handle in2_obj, bool flip, py::handle mode_obj,
                 bool centre_high, bool two_d, py::ssize_t max_taps) {
  const auto& api = py::detail::npy_api::get();
  if (Py_TYPE(in1_obj.ptr()) != api.PyArray_Type_ || Py_TYPE(in2_obj.ptr()) != api.PyArray_Type_)
    return py::none();
  const auto in1 = py::reinterpret_borrow<py::array>(in1_obj);
  const auto in2 = py::reinterpret_borrow<py::array>(in2_obj);
  const std::optional<Mode> mode = plain_mode(mode_obj);
  if (!mode || in2.size() >= max_taps) return py::none();
  const py::dtype dt = in1.dtype();
  if (!in2.dtype().is(dt) || in1.ndim() != in2.ndim() || in1.ndim() < (two_d ? 2 : 1) ||
      in1.ndim() > 2)
    return py::none();
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (!((kind == 'f' && (size == 4 || size == 8)) || (kind == 'c' && (size == 8 || size == 16))))
    return py::none();
  if (dt.byteorder() != '=' && dt.byteorder() != '|') return py::none();  // not native
  if (in1.size() == 0 || in2.size() == 0) return py::none();
  for (py::ssize_t a = 0; a < in1.ndim(); ++a)
    if (*mode == Mode::valid && in1.shape(a) < in2.shape(a)) return py::none();
  ConvOptions opt;
  opt.mode = *mode;
  opt.anchor_rule = centre_high ? AnchorRule::centre_high : AnchorRule::centre_low;
  return bindings::dispatch_dtype(dt, [&](auto tag) -> py::object {
    using T = decltype(tag);
    if (!bindings::viewable<T>(in1) || !bindings::viewable<T>(in2)) return py::none();
    auto x = bindings::view_of<const T>(in1, "in1", false);
    auto k = bindings::view_of<const T>(in2, "in2", false);
    const ConvPlan plan =
        flip ? plan_convolve(x.shape, k.shape, opt) : plan_correlate(x.shape, k.shape, opt);
    py::array out = new_result(dt, plan);
    auto y = bindings::view_of<T>(out, "out", true);
    // Release the GIL only where the work is worth the round trip.
    const bool release = y.size() * k.size() > 4096;
    {
      std::optional<py::gil_scoped_release> nogil;
      if (release) nogil.emplace();
      fastconv::execute<T>(plan, std::move(x), std::move(k), std::move(y));
    }
    return std::move(out);
  });
}

}  // namespace

void register_convolve(py::module_& m) {
  m.def(
      "plan_separable",
      [](std::vector<index_t> in_shape, index_t col_length, index_t row_length,
         const std::string& mode, const std::string& boundary, std::vector<index_t> stride,
         const std::string& anchor_rule, std::vector<index_t> anchor, int threads) {
        const ConvOptions o = make_options(mode, boundary, {}, std::move(stride), {}, anchor_rule,
                                           std::move(anchor), threads);
        return fastconv::plan_separable(in_shape, col_length, row_length, o);
      },
      py::arg("in_shape"), py::arg("col_length"), py::arg("row_length"), py::arg("mode"),
      py::arg("boundary"), py::arg("stride"), py::arg("anchor_rule"), py::arg("anchor"),
      py::arg("threads"), "Plan a separable convolution (see fastconv/convolve.hpp).");
  m.def(
      "convolve_separable",
      [](const ConvPlan& plan, const py::array& in1, const py::array& col, const py::array& row,
         const py::array& out, const py::array& fillvalue) {
        const py::dtype dt = in1.dtype();
        if (!col.dtype().is(dt) || !row.dtype().is(dt) || !out.dtype().is(dt) ||
            !fillvalue.dtype().is(dt))
          throw py::type_error("in1, col, row, out and fillvalue must share one dtype");
        bindings::dispatch_dtype(dt, [&](auto tag) {
          using T = decltype(tag);
          auto x = bindings::view_of<const T>(in1, "in1", false);
          auto c = bindings::view_of<const T>(col, "col", false);
          auto r = bindings::view_of<const T>(row, "row", false);
          auto y = bindings::view_of<T>(out, "out", true);
          const T fill = *static_cast<const T*>(fillvalue.data());
          py::gil_scoped_release nogil;  // pure C++ from here on
          fastconv::convolve_separable<T>(plan, std::move(x), std::move(c), std::move(r),
                                          std::move(y), fill);
          return 0;
        });
      },
      py::arg("plan"), py::arg("in1"), py::arg("col"), py::arg("row"), py::arg("out"),
      py::arg("fillvalue"), "Run a separable plan into out (see fastconv/convolve.hpp).");

  m.def("plain", &plain, py::arg("in1"), py::arg("in2"), py::arg("flip"), py::arg("mode"),
        py::arg("centre_high"), py::arg("two_d"), py::arg("max_taps"),
        "Fast path for two arrays of one native dtype with default options; None when the "
        "general path is needed.");

  py::class_<ConvPlan>(m, "ConvPlan",
                       "A planned convolution or correlation (fastconv/convolve.hpp).")
      .def_property_readonly("shape",
                             [](const ConvPlan& p) { return bindings::as_tuple(p.out_shape()); })
      .def_property_readonly("starts",
                             [](const ConvPlan& p) {
                               std::vector<index_t> starts(static_cast<size_t>(p.rank));
                               for (int a = 0; a < p.rank; ++a) starts[a] = p.axis[a].start;
                               return bindings::as_tuple(starts);
                             })
      .def_readonly("swapped", &ConvPlan::swapped);
  m.def(
      "plan_filter",
      [](bool flip, std::vector<index_t> in1_shape, std::vector<index_t> in2_shape,
         const std::string& mode, const std::string& boundary, std::vector<index_t> axes,
         std::vector<index_t> stride, std::vector<index_t> dilation, const std::string& anchor_rule,
         std::vector<index_t> anchor, int threads) {
        ConvOptions o = make_options(mode, boundary, std::move(axes), std::move(stride),
                                     std::move(dilation), anchor_rule, std::move(anchor), threads);
        o.swap_valid_inputs = o.allow_empty = true;  // scipy.signal's rules
        return flip ? plan_convolve(in1_shape, in2_shape, o)
                    : plan_correlate(in1_shape, in2_shape, o);
      },
      py::arg("flip"), py::arg("in1_shape"), py::arg("in2_shape"), py::arg("mode"),
      py::arg("boundary"), py::arg("axes"), py::arg("stride"), py::arg("dilation"),
      py::arg("anchor_rule"), py::arg("anchor"), py::arg("threads"),
      "Plan a convolution (flip) or correlation with scipy.signal's rules for 'valid' mode and "
      "empty inputs.");
  m.def("execute", &execute_plan, py::arg("plan"), py::arg("in1"), py::arg("in2"), py::arg("out"),
        py::arg("fillvalue"),
        "Run a plan into out; in1 and in2 in the caller's order (the plan swaps them itself).");
}
