#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/pybind11.h>

#include <array>
#include <complex>
#include <string>
#include <vector>

#include "fastconv/fft.hpp"
#include "numpy_view.hpp"

namespace py = pybind11;
using namespace fastconv;

namespace {

// Call f(T{}) for a float32 or float64 dtype (the FFT's element types).
template <class F>
auto dispatch_float(const py::dtype& dt, const char* name, F&& f) {
  if (dt.is(py::dtype::of<float>())) return f(float{});
  if (dt.is(py::dtype::of<double>())) return f(double{});
  throw py::type_error(std::string(name) + ": expected float32 or float64, got " +
                       std::string(py::str(dt)));
}

// A 1-D array's elements, contiguous.
template <class T>
std::vector<T> contiguous(const py::array& a, const char* name) {
  if (a.ndim() != 1) throw py::value_error(std::string(name) + ": expected a 1-D array");
  const View<const T> v = bindings::view_of<const T>(a, name, false);
  std::vector<T> out(static_cast<size_t>(v.shape[0]));
  for (index_t i = 0; i < v.shape[0]; ++i) out[i] = v.data[i * v.strides[0]];
  return out;
}

// run(in1, kernel, out) on their views, without the GIL, for one float dtype.
template <class Run>
void with_views(const py::array& in1, const py::array& kernel, const py::array& out, Run&& run) {
  const py::dtype dt = in1.dtype();
  if (!kernel.dtype().is(dt) || !out.dtype().is(dt))
    throw py::type_error("in1, kernel and out must share one dtype");
  dispatch_float(dt, "in1", [&](auto tag) {
    using T = decltype(tag);
    auto x = bindings::view_of<const T>(in1, "in1", false);
    auto k = bindings::view_of<const T>(kernel, "kernel", false);
    auto y = bindings::view_of<T>(out, "out", true);
    py::gil_scoped_release nogil;  // pure C++ from here on
    run(std::move(x), std::move(k), std::move(y));
    return 0;
  });
}

}  // namespace

void register_fft(py::module_& m) {
  m.def(
      "rfft",
      [](const py::array& x) {
        return dispatch_float(x.dtype(), "x", [&](auto tag) -> py::array {
          using T = decltype(tag);
          const std::vector<T> in = contiguous<T>(x, "x");
          const RealFft<T> fft(static_cast<index_t>(in.size()));
          py::array_t<std::complex<T>> out(static_cast<py::ssize_t>(in.size() / 2 + 1));
          std::vector<T> work(static_cast<size_t>(fft.work_size()));
          fft.forward(in.data(), out.mutable_data(), work.data());
          return out;
        });
      },
      py::arg("x"),
      "numpy.fft.rfft(x) by fastconv::RealFft (private: for the tests). len(x) must be even, "
      "half of it a product of 2, 3 and 5.");
  m.def(
      "irfft",
      [](const py::array& spectrum, index_t n) {
        const py::dtype dt = spectrum.dtype();
        const py::dtype real = dt.is(py::dtype::of<std::complex<float>>()) ? py::dtype::of<float>()
                               : dt.is(py::dtype::of<std::complex<double>>())
                                   ? py::dtype::of<double>()
                                   : dt;
        return dispatch_float(real, "spectrum", [&](auto tag) -> py::array {
          using T = decltype(tag);
          const std::vector<std::complex<T>> in = contiguous<std::complex<T>>(spectrum, "spectrum");
          if (n < 0 || static_cast<index_t>(in.size()) != n / 2 + 1)
            throw py::value_error("spectrum: expected n // 2 + 1 values");
          const RealFft<T> fft(n);
          py::array_t<T> out(static_cast<py::ssize_t>(n));
          std::vector<T> work(static_cast<size_t>(fft.work_size()));
          fft.inverse(in.data(), out.mutable_data(), work.data());
          return out;
        });
      },
      py::arg("spectrum"), py::arg("n"),
      "n * numpy.fft.irfft(spectrum, n) by fastconv::RealFft (private: for the tests; "
      "unnormalised).");
  m.def(
      "overlap_save",
      [](const py::array& in1, const py::array& kernel, index_t start, index_t step,
         const py::array& out, int threads) {
        with_views(in1, kernel, out, [&](auto x, auto k, auto y) {
          fastconv::convolve_overlap_save(std::move(x), std::move(k), start, step, std::move(y),
                                          threads);
        });
      },
      py::arg("in1"), py::arg("kernel"), py::arg("start"), py::arg("step"), py::arg("out"),
      py::arg("threads"),
      "out[..., i] = full[..., start + i * step], the full convolution of in1's rows (last "
      "axis) with the 1-D kernel, by overlap-save FFTs (see fastconv/fft.hpp).");
  m.def("overlap_save_block_size", &fastconv::overlap_save_block_size, py::arg("k"),
        py::arg("outputs"), py::arg("two_d"), py::arg("element_size"),
        "The transform size the overlap-save paths pick along an axis (fastconv/fft.hpp).");
  m.def(
      "overlap_save_2d",
      [](const py::array& in1, const py::array& kernel, std::array<index_t, 2> start,
         std::array<index_t, 2> step, const py::array& out, int threads) {
        with_views(in1, kernel, out, [&](auto x, auto k, auto y) {
          fastconv::convolve_overlap_save_2d(std::move(x), std::move(k), start, step, std::move(y),
                                             threads);
        });
      },
      py::arg("in1"), py::arg("kernel"), py::arg("start"), py::arg("step"), py::arg("out"),
      py::arg("threads"),
      "out[..., i, j] = full[..., start[0] + i * step[0], start[1] + j * step[1]], the full "
      "2-D convolution of in1's planes (last two axes) with the 2-D kernel, by overlap-save "
      "FFTs (see fastconv/fft.hpp).");
}
