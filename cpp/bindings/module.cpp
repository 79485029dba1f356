#include <pybind11/pybind11.h>

#include <atomic>

#include <pthread.h>

#include "fastconv/runtime.hpp"
#include "fastconv/version.hpp"
#include "numpy_view.hpp"

namespace py = pybind11;

void register_convolve(py::module_& m);
void register_runtime(py::module_& m);
void register_transpose(py::module_& m);
void register_pool(py::module_& m);
void register_nn(py::module_& m);
void register_fft(py::module_& m);

namespace {

// Python runs signal handlers (Ctrl-C's KeyboardInterrupt) on the main
// thread only: calls made there check for them between tasks.
std::atomic<unsigned long> g_main_thread{0};

// The core's interrupt check (called on the calling thread, GIL released):
// take the GIL briefly and run pending signal handlers; an exception they
// raise stays set on this thread and ends the call (see the translator).
bool python_signal_pending() {
  if (PyThread_get_thread_ident() != g_main_thread.load()) return false;
  const PyGILState_STATE gil = PyGILState_Ensure();
  const bool pending = PyErr_CheckSignals() != 0;
  PyGILState_Release(gil);
  return pending;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastconv's C++ core (private; use the fastconv package)";
  m.attr("__version__") = FASTCONV_VERSION_STRING;
  m.attr("element_dtypes") = fastconv::bindings::element_dtypes();
  register_runtime(m);
  register_convolve(m);
  register_transpose(m);
  register_pool(m);
  register_nn(m);
  register_fft(m);

  g_main_thread =
      py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
  // In a forked child, the thread that forked is the main thread.
  pthread_atfork(nullptr, nullptr, [] { g_main_thread = PyThread_get_thread_ident(); });
  fastconv::set_interrupt_check(&python_signal_pending);
  // An interrupted call raises what the signal handler raised
  // (KeyboardInterrupt for Ctrl-C); its output is never returned.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const fastconv::interrupted&) {
      if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });
}
