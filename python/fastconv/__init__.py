"""fastconv: fast CPU convolution and correlation on NumPy arrays.

scipy.signal-compatible functions (drop-in: same signatures, dtypes and
values), computed by a multithreaded C++ core with the GIL released.

>>> import fastconv
>>> fastconv.convolve([1, 2, 3], [0, 1, 0.5])
array([0. , 1. , 2.5, 4. , 1.5])
"""

import os as _os

# A good neighbour (issue 13): after a call, libgomp's idle threads spin
# GOMP_SPINCOUNT rounds (default 300000, ~10 ms) before they sleep, and
# the next threaded call of another library competes with them for the
# cores. 5000 rounds (~0.15 ms) still bridge back-to-back fastconv calls.
# libgomp reads the setting once, when it is loaded (with _core, unless
# something loaded it before); a user's own setting is kept.
_SPIN = "GOMP_SPINCOUNT"
if _SPIN in _os.environ or "OMP_WAIT_POLICY" in _os.environ:
    from ._core import __version__
else:
    _os.environ[_SPIN] = "5000"
    try:
        from ._core import __version__
    finally:
        del _os.environ[_SPIN]  # (not passed on to child processes)
from . import nn
from ._fft import fftconvolve, oaconvolve
from ._runtime import (
    active_isa,
    available_isas,
    get_denormal_guard,
    get_num_threads,
    set_denormal_guard,
    set_num_threads,
    show_config,
)
from ._signal import (
    choose_conv_method,
    convolve,
    convolve2d,
    convolve_separable,
    correlate,
    correlate2d,
)
from ._transpose import conv_transpose

__all__ = [
    "__version__",
    "convolve",
    "correlate",
    "convolve2d",
    "correlate2d",
    "fftconvolve",
    "oaconvolve",
    "convolve_separable",
    "choose_conv_method",
    "conv_transpose",
    "nn",
    "set_num_threads",
    "get_num_threads",
    "set_denormal_guard",
    "get_denormal_guard",
    "active_isa",
    "available_isas",
    "show_config",
]

# Choose the instruction set and read FASTCONV_DENORMAL_GUARD now, so that
# a refused value fails at import with its message rather than at the
# first call.
active_isa()
get_denormal_guard()
