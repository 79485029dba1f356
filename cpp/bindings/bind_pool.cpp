#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "fastconv/pool.hpp"
#include "numpy_view.hpp"

namespace py = pybind11;
using namespace fastconv;

namespace {

PoolOptions make_options(std::vector<index_t> kernel_size, std::vector<index_t> stride,
                         std::vector<index_t> padding, std::vector<index_t> dilation,
                         bool ceil_mode, int threads) {
  PoolOptions o;
  o.kernel_size = std::move(kernel_size);
  o.stride = std::move(stride);
  o.padding = std::move(padding);
  o.dilation = std::move(dilation);
  o.ceil_mode = ceil_mode;
  o.threads = threads;
  return o;
}

}  // namespace

void register_pool(py::module_& m) {
  py::class_<MaxPoolPlan>(m, "MaxPoolPlan", "A planned max-pooling (fastconv/pool.hpp).")
      .def_property_readonly(
          "shape", [](const MaxPoolPlan& p) { return bindings::as_tuple(p.out_shape()); });
  m.def(
      "plan_max_pool",
      [](std::vector<index_t> in_shape, std::vector<index_t> kernel_size,
         std::vector<index_t> stride, std::vector<index_t> padding, std::vector<index_t> dilation,
         bool ceil_mode, int threads) {
        return fastconv::plan_max_pool(
            in_shape, make_options(std::move(kernel_size), std::move(stride), std::move(padding),
                                   std::move(dilation), ceil_mode, threads));
      },
      py::arg("in_shape"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"),
      py::arg("dilation"), py::arg("ceil_mode"), py::arg("threads"));
  m.def("plan_adaptive_max_pool", &fastconv::plan_adaptive_max_pool, py::arg("in_shape"),
        py::arg("output_size"), py::arg("threads"));
  m.def(
      "max_pool",
      [](const MaxPoolPlan& plan, const py::array& input, const py::array& out,
         const py::object& indices) {
        const py::dtype dt = input.dtype();
        if (!out.dtype().is(dt)) throw py::type_error("input and out must share one dtype");
        View<std::int64_t> idx;  // data == nullptr: no indices wanted
        if (!indices.is_none()) {
          const auto ix = indices.cast<py::array>();
          if (!ix.dtype().is(py::dtype::of<std::int64_t>()))
            throw py::type_error("indices: must be int64");
          idx = bindings::view_of<std::int64_t>(ix, "indices", true);
        }
        bindings::dispatch_real(dt, [&](auto tag) {
          using T = decltype(tag);
          auto x = bindings::view_of<const T>(input, "input", false);
          auto y = bindings::view_of<T>(out, "out", true);
          py::gil_scoped_release nogil;  // pure C++ from here on
          fastconv::max_pool<T>(plan, std::move(x), std::move(y), std::move(idx));
        });
      },
      py::arg("plan"), py::arg("input"), py::arg("out"), py::arg("indices"),
      "Run a planned max-pooling into out (and indices), see fastconv/pool.hpp.");
  m.def(
      "max_unpool_shape",
      [](std::vector<index_t> in_shape, std::vector<index_t> kernel_size,
         std::vector<index_t> stride, std::vector<index_t> padding,
         std::vector<index_t> output_size) {
        return fastconv::max_unpool_shape(
            in_shape, make_options(kernel_size, stride, padding, {}, false, 0), output_size);
      },
      py::arg("in_shape"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"),
      py::arg("output_size"));
  m.def(
      "max_unpool",
      [](const py::array& input, const py::array& indices, const py::array& out, int pooled_axes,
         int threads) {
        const py::dtype dt = input.dtype();
        if (!out.dtype().is(dt)) throw py::type_error("input and out must share one dtype");
        if (!indices.dtype().is(py::dtype::of<std::int64_t>()))
          throw py::type_error("indices: must be int64");
        auto ix = bindings::view_of<const std::int64_t>(indices, "indices", false);
        bindings::dispatch_real(dt, [&](auto tag) {
          using T = decltype(tag);
          auto x = bindings::view_of<const T>(input, "input", false);
          auto y = bindings::view_of<T>(out, "out", true);
          py::gil_scoped_release nogil;
          fastconv::max_unpool<T>(std::move(x), std::move(ix), std::move(y), pooled_axes, threads);
        });
      },
      py::arg("input"), py::arg("indices"), py::arg("out"), py::arg("pooled_axes"),
      py::arg("threads"), "Max-unpooling into out, see fastconv/pool.hpp.");

  py::class_<AvgPoolPlan>(m, "AvgPoolPlan",
                          "A planned (plain or adaptive) average pooling (fastconv/pool.hpp).")
      .def_property_readonly(
          "shape", [](const AvgPoolPlan& p) { return bindings::as_tuple(p.out_shape()); });
  m.def(
      "plan_avg_pool",
      [](std::vector<index_t> in_shape, std::vector<index_t> kernel_size,
         std::vector<index_t> stride, std::vector<index_t> padding, bool ceil_mode,
         bool count_include_pad, index_t divisor_override, int threads) {
        AvgPoolOptions o;
        static_cast<PoolOptions&>(o) = make_options(std::move(kernel_size), std::move(stride),
                                                    std::move(padding), {}, ceil_mode, threads);
        o.count_include_pad = count_include_pad;
        o.divisor_override = divisor_override;
        return fastconv::plan_avg_pool(in_shape, o);
      },
      py::arg("in_shape"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"),
      py::arg("ceil_mode"), py::arg("count_include_pad"), py::arg("divisor_override"),
      py::arg("threads"));
  m.def("plan_adaptive_avg_pool", &fastconv::plan_adaptive_avg_pool, py::arg("in_shape"),
        py::arg("output_size"), py::arg("threads"));
  m.def(
      "avg_pool",
      [](const AvgPoolPlan& plan, const py::array& input, const py::array& out) {
        const py::dtype dt = input.dtype();
        if (!out.dtype().is(dt)) throw py::type_error("input and out must share one dtype");
        bindings::dispatch_real(dt, [&](auto tag) {
          using T = decltype(tag);
          if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, std::int64_t>) {
            auto x = bindings::view_of<const T>(input, "input", false);
            auto y = bindings::view_of<T>(out, "out", true);
            py::gil_scoped_release nogil;  // pure C++ from here on
            fastconv::avg_pool<T>(plan, std::move(x), std::move(y));
          } else {
            throw py::type_error("input: average pooling needs floats or int64, got " +
                                 std::string(py::str(dt)));
          }
        });
      },
      py::arg("plan"), py::arg("input"), py::arg("out"),
      "Run a planned average pooling into out, see fastconv/pool.hpp.");
}
