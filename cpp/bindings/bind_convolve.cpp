#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
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

// in1, in2, out and fillvalue (a 0-d array) share one dtype, checked here;
// the Python layer has promoted and cast them.
void compute(bool flip, const py::array& in1, const py::array& in2, const py::array& out,
             const py::array& fillvalue, const ConvOptions& opt) {
  const py::dtype dt = in1.dtype();
  if (!in2.dtype().is(dt) || !out.dtype().is(dt) || !fillvalue.dtype().is(dt))
    throw py::type_error("in1, in2, out and fillvalue must share one dtype");
  bindings::dispatch_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    auto x = bindings::view_of<T>(in1, "in1", false);
    auto k = bindings::view_of<T>(in2, "in2", false);
    auto y = bindings::view_of<T>(out, "out", true);
    const T fill = *static_cast<const T*>(fillvalue.data());
    // Pure C++ from here on: no Python objects are touched.
    py::gil_scoped_release nogil;
    if (flip)
      fastconv::convolve<T>(x, k, y, opt, fill);
    else
      fastconv::correlate<T>(x, k, y, opt, fill);
    return 0;
  });
}

}  // namespace

void register_convolve(py::module_& m) {
  m.def(
      "output_shape",
      [](std::vector<index_t> in_shape, std::vector<index_t> k_shape, const std::string& mode,
         std::vector<index_t> axes, std::vector<index_t> stride, std::vector<index_t> dilation) {
        ConvOptions o = make_options(mode, "fill", std::move(axes), std::move(stride),
                                     std::move(dilation), "centre_low", {}, 0);
        return fastconv::output_shape(in_shape, k_shape, o);
      },
      py::arg("in_shape"), py::arg("kernel_shape"), py::arg("mode"), py::arg("axes"),
      py::arg("stride"), py::arg("dilation"));

  for (const bool flip : {true, false}) {
    m.def(
        flip ? "convolve" : "correlate",
        [flip](const py::array& in1, const py::array& in2, const py::array& out,
               const py::array& fillvalue, const std::string& mode, const std::string& boundary,
               std::vector<index_t> axes, std::vector<index_t> stride,
               std::vector<index_t> dilation, const std::string& anchor_rule,
               std::vector<index_t> anchor, int threads) {
          compute(flip, in1, in2, out, fillvalue,
                  make_options(mode, boundary, std::move(axes), std::move(stride),
                               std::move(dilation), anchor_rule, std::move(anchor), threads));
        },
        py::arg("in1"), py::arg("in2"), py::arg("out"), py::arg("fillvalue"), py::arg("mode"),
        py::arg("boundary"), py::arg("axes"), py::arg("stride"), py::arg("dilation"),
        py::arg("anchor_rule"), py::arg("anchor"), py::arg("threads"),
        flip ? "Direct N-D convolution into out (see fastconv/convolve.hpp)."
             : "Direct N-D correlation (conjugating in2) into out.");
  }
}
