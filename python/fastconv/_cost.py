"""The cost model behind method="auto" and the router that uses it:
predicted seconds of the direct, separable and FFT paths, and the one rule
that picks the fastest allowed path (`separable_choice`, `fft_pays`) for
the four scipy functions, fastconv.dask and `choose_conv_method`.

The built-in rates were measured with bench/calibrate.py, per thread: AVX2
and baseline (FASTCONV_FORCE_ISA=baseline) on the 2-core AMD EPYC (AVX2+FMA)
development machine; AVX-512 on a 2-core AMD EPYC Zen 4 VM (the FFT
constants are the first machine's). The FFT's speed differs between
machines, not only between ISAs (an Intel AVX-512 machine measured
a = 1.33e-10 s per N log2 N for float32, direct float32 43-76 GMAC/s), so a
user can measure the machine at hand: ``python -m fastconv calibrate``
stores this machine's rates (see `calibration_path`), and `rates` returns
them in place of the built-in ones.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import warnings
from functools import cache
from typing import Any

import numpy as np

from . import _args, _core
from ._fft import _fft_backend, _oa_blocks

# method="auto" (and the FFT path's choice of blocking) compares the paths
# as for this many threads, whatever a call runs on: the choice decides the
# result's rounding, and results never depend on the thread count (docs/guarantees.md).
DECISION_THREADS = 1

# Direct path: multiply-adds per second on one thread for long 2-D kernels,
# by ISA and element kind (i8: integers, computed in int64), the kernel
# size at which the rate is half that (short kernels pay per-output
# overhead and more loads per tap), and the rate of 1-D kernels relative
# to 2-D ones (per ISA: 0.62-0.65 measured on the Zen 4 VM for float32 and
# float64, 64 to 1024 taps).
_DIRECT_RATE = {
    # AMD EPYC Zen 4 (2 cores, AVX-512): float32 55 GMAC/s (31x31 kernel;
    # the Intel machine of issue 11: 43-76), float64 28, complex 4.1 / 2.4,
    # int32 5.7 (the same VM measured AVX2 float32 40 and int32 4.6).
    "avx512": {"f4": 55e9, "f8": 28e9, "c8": 4.1e9, "c16": 2.4e9, "i8": 5.7e9},
    "avx2": {"f4": 36e9, "f8": 18e9, "c8": 2.0e9, "c16": 2.4e9, "i8": 2.7e9},
    "baseline": {"f4": 15e9, "f8": 7.7e9, "c8": 1.5e9, "c16": 1.0e9, "i8": 2.7e9},
}
# (the highest rate of all, for quick "direct is surely faster" checks)
MAX_RATE = 2 * max(r for rates in _DIRECT_RATE.values() for r in rates.values())
_HALF_RATE_TAPS = {"f4": 12, "f8": 12, "c8": 2, "c16": 2, "i8": 2}
_ONE_D = {"avx512": 0.63, "avx2": 0.8, "baseline": 0.8}
# Each thread past the first adds this fraction of one thread's speed
# (outputs split evenly, bounded by memory and the VM's cores).
_DIRECT_THREAD_GAIN = 0.85


# FFT path: seconds per N*log2(N) of one transform of N real points (a
# complex transform costs twice), for transforms pocketfft vectorises
# across lines (multi-dimensional, or batched blocks), the element-wise work
# (padding, spectrum product, crop) folded in; a single long 1-D transform
# runs scalar, _SCALAR_1D times slower; overlap-add's blocking and adding
# back cost more per N*log2(N): _OVERLAP_ADD[kind][0] along one axis,
# [1] along several (more reshaping per point).
_FFT_PER_NLOGN = {"f4": 0.24e-9, "f8": 0.36e-9}
_SCALAR_1D = 2.3
_OVERLAP_ADD = {"f4": (1.4, 2.7), "f8": (1.8, 2.2)}
# The C++ overlap-save paths (filter_fft on one or two axes of real
# float32/float64 data with one kernel for every line or plane, see
# overlap_save_applies): seconds per N*log2(N) of a block's forward and
# inverse transforms (N: the block's points), its products and copies
# folded in, one thread, as a fraction of the FFT rate in force (so a
# calibration's FFT rate scales it too). Measured as CPU time (the machine
# was loaded by other jobs) on the 2-core AMD EPYC Zen 4 VM: float32
# 1.6e-10 s (within 6% on the 4096^2 x 63^2, 1024^2 x 31^2, 10^6 x 1024
# and 10^7 x 8191 rows), float64 2.6e-10 s (within 20%).
_OVERLAP_SAVE_SHARE = {"f4": 1.6e-10 / _FFT_PER_NLOGN["f4"], "f8": 2.6e-10 / _FFT_PER_NLOGN["f8"]}
# pocketfft's workers split the lines of a transform: each worker past the
# first adds this fraction (a single long line does not split at all).
_FFT_THREAD_GAIN = 0.5
# The Python around the transforms: padding, planning, a few numpy calls.
FFT_CALL = 0.3e-3
# The FFT over several axes takes up to 2x longer in some processes than
# in others (its large temporaries are fresh memory on every call, and
# page faults are slow and contend between threads on the VMs measured):
# auto prefers it to the per-element-accurate direct path only when it is
# predicted this much faster.
MULTI_AXIS_FFT_MARGIN = 1.3


# --- the rates in force: a stored calibration, else the built-in table ---

# The calibration file's layout version; bump it when the keys change.
CALIBRATION_FORMAT = 1
DIRECT_KINDS = ("f4", "f8", "c8", "c16", "i8")
FFT_KINDS = ("f4", "f8")
# Plausible bounds: a value outside is a broken file, not a machine.
_DIRECT_BOUNDS = (1e6, 1e14)
_FFT_BOUNDS = (1e-14, 1e-6)
_ONE_D_BOUNDS = (0.05, 4.0)


class Rates:
    """The rates auto uses for one ISA: `direct[kind]` multiply-adds per
    second (2-D kernels), `one_d` the rate of 1-D kernels relative to that,
    `fft[kind]` seconds per N*log2(N), and `source`, either "built-in" or
    the calibration file they come from."""

    __slots__ = ("direct", "one_d", "fft", "source")

    def __init__(self, direct: dict[str, float], one_d: float, fft: dict[str, float], source: str):
        self.direct, self.one_d, self.fft, self.source = direct, one_d, fft, source


def calibration_path() -> pathlib.Path:
    """Where ``python -m fastconv calibrate`` stores this machine's rates and
    auto looks for them: ``$FASTCONV_CALIBRATION`` if set, else
    ``fastconv/calibration.json`` in the user cache directory
    (``$XDG_CACHE_HOME``, default ``~/.cache``)."""
    env = os.environ.get("FASTCONV_CALIBRATION")
    if env:
        return pathlib.Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(cache) / "fastconv" / "calibration.json"


def _checked_rate(name: str, value: Any, bounds: tuple[float, float]) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not bounds[0] <= value <= bounds[1]
    ):
        raise ValueError(f"{name}: {value!r} is not a plausible rate")
    return float(value)


def _checked_table(
    table: Any, kinds: tuple[str, ...], bounds: tuple[float, float]
) -> dict[str, float]:
    if not isinstance(table, dict) or set(table) != set(kinds):
        raise ValueError(f"expected the keys {', '.join(kinds)}")
    return {kind: _checked_rate(kind, value, bounds) for kind, value in table.items()}


def parse_calibration(data: Any) -> dict[str, Rates]:
    """The per-ISA rates of a calibration file's decoded JSON `data`;
    ValueError naming the problem if it is malformed or was made by another
    fastconv version (whose kernels may run at other rates)."""
    if not isinstance(data, dict) or data.get("format") != CALIBRATION_FORMAT:
        raise ValueError(f"not a fastconv calibration of format {CALIBRATION_FORMAT}")
    if data.get("fastconv") != _core.__version__:
        raise ValueError(f"made by fastconv {data.get('fastconv')}, this is {_core.__version__}")
    isas = data.get("isas")
    if not isinstance(isas, dict):
        raise ValueError("expected an 'isas' table")
    result = {}
    for isa, entry in isas.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{isa}: expected a table")
        try:
            result[isa] = Rates(
                _checked_table(entry.get("direct"), DIRECT_KINDS, _DIRECT_BOUNDS),
                _checked_rate("one_d", entry.get("one_d"), _ONE_D_BOUNDS),
                _checked_table(entry.get("fft"), FFT_KINDS, _FFT_BOUNDS),
                "",
            )
        except ValueError as err:
            raise ValueError(f"{isa}: {err}") from None
    return result


# Why the calibration at a path is not used (for show_config), by path.
_ignored: dict[str, str] = {}


@cache
def _stored(path: str) -> dict[str, Rates]:
    """The calibration at `path`, read once per process; {} if there is
    none, and a warning if it cannot be used (auto then keeps the built-in
    rates rather than fail every call)."""
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        result = parse_calibration(json.loads(text))
    except (OSError, ValueError) as err:  # (json.JSONDecodeError is a ValueError)
        _ignored[path] = str(err)
        warnings.warn(
            f"fastconv: ignoring the calibration {path}: {err}; method='auto' uses "
            "the built-in rates (run `python -m fastconv calibrate` to renew it)",
            RuntimeWarning,
            stacklevel=2,
        )
        return {}
    for rates in result.values():
        rates.source = path
    return result


def forget_stored() -> None:
    """Read the calibration file again at the next use (after writing it)."""
    _stored.cache_clear()
    _ignored.clear()


def rates_in_force(isa: str | None = None) -> str:
    """One line saying which rates auto uses for `isa` (default: the
    active one) and why, for show_config()."""
    isa = isa or _core.active_isa()
    path = str(calibration_path())
    if rates(isa).source == path:
        return f"calibrated for {isa} ({path})"
    if path in _ignored:
        return f"built-in table ({path} ignored: {_ignored[path]})"
    if _stored(path):
        return f"built-in table ({path} has no {isa} entry)"
    return f"built-in table (no calibration at {path})"


def builtin_rates(isa: str) -> Rates:
    """The built-in table's rates for `isa`."""
    known = isa if isa in _DIRECT_RATE else "baseline"
    return Rates(_DIRECT_RATE[known], _ONE_D[known], _FFT_PER_NLOGN, "built-in")


def rates(isa: str | None = None) -> Rates:
    """The rates auto uses for `isa` (default: the active one): this
    machine's calibration if stored for that ISA and fastconv version, the
    built-in table otherwise."""
    isa = isa or _core.active_isa()
    stored = _stored(str(calibration_path())).get(isa)
    return stored if stored is not None else builtin_rates(isa)


def _kind(dtype):
    if dtype.kind in "biu":
        return "i8"
    if dtype.kind == "c":
        return "c8" if dtype.itemsize <= 8 else "c16"
    return "f4" if dtype.itemsize <= 4 else "f8"


def direct_seconds(outputs, taps, dtype, isa, one_d=False, threads=1):
    """Predicted time of the direct path: `outputs` results of `taps`
    multiply-adds each (`one_d`: along one axis) on `threads` threads."""
    kind = _kind(dtype)
    in_force = rates(isa)
    rate = in_force.direct[kind]
    rate *= taps / (taps + _HALF_RATE_TAPS[kind]) * (in_force.one_d if one_d else 1.0)
    return outputs * taps / rate / (1 + _DIRECT_THREAD_GAIN * (threads - 1))


def fft_seconds(nlogn, single_line, dtype, overlap_add, axes=1, threads=1):
    """Predicted time of an FFT convolution whose transforms (both inputs
    and the inverse) add up to `nlogn` = sum of N*log2(N); `single_line`:
    one long 1-D transform (no vectorisation across lines);
    `overlap_add`: cut into blocks and added back along `axes` axes;
    `threads` FFT workers."""
    kind = "f4" if dtype.itemsize <= 4 or dtype.kind == "c" and dtype.itemsize <= 8 else "f8"
    per = rates().fft[kind] * (2 if dtype.kind == "c" else 1)
    if single_line:
        per *= _SCALAR_1D
    if overlap_add:
        per *= _OVERLAP_ADD[kind][0 if axes == 1 else 1]
    speedup = 1 if single_line else 1 + _FFT_THREAD_GAIN * (threads - 1)
    return FFT_CALL + per * nlogn / speedup


# --- the FFT path's predicted time (which also picks its blocking plan) ---


def _fft_work(s1, s2, axes, plans, dtype):
    """(sum of N*log2(N) over the transforms, single long 1-D transform?)
    of the full convolution of shapes s1 and s2 with the blocking `plans`
    (both inputs' transforms and the inverse)."""
    _, next_fast_len = _fft_backend()
    real = dtype.kind != "c"
    batch = math.prod(max(s1[a], s2[a]) for a in range(len(s1)) if a not in axes)
    big = small = 1  # points of the blocked input's and the other one's transforms
    fft_size = 1
    for a, plan in zip(axes, plans):
        if plan is None:
            n = next_fast_len(s1[a] + s2[a] - 1, real)
            big, small = big * n, small * n
        else:
            n = plan[0]
            big *= -(-max(s1[a], s2[a]) // plan[1]) * n
            small *= n
        fft_size *= n
    points = batch * (2 * big + small)
    single_line = batch == 1 and len(axes) == 1 and plans[0] is None
    return points * math.log2(max(fft_size, 2)), single_line


_MIN_BLOCK = 256


def _fft_plan(s1, s2, axes, dtype):
    """How to compute the full convolution of arrays of shapes s1 and s2
    over `axes`: (plans, predicted seconds), plans as for _full_oa (all
    None: one FFT of the whole arrays), whichever the cost model says is
    cheaper -- compared as for DECISION_THREADS, so that the plan,
    and so the result's rounding, never depends on the thread count."""
    threads = DECISION_THREADS
    _, next_fast_len = _fft_backend()
    real = dtype.kind != "c"
    plain = [None] * len(axes)
    options = [
        (
            fft_seconds(*_fft_work(s1, s2, axes, plain, dtype), dtype, False, threads=threads),
            plain,
        )
    ]
    blocked = [_oa_blocks(max(s1[a], s2[a]), min(s1[a], s2[a]), next_fast_len, real) for a in axes]
    # (blocks under _MIN_BLOCK points cost more in per-block overhead than
    # they save in log N)
    if any(p is not None for p in blocked) and all(
        p is None or p[0] >= _MIN_BLOCK for p in blocked
    ):
        work = _fft_work(s1, s2, axes, blocked, dtype)
        split = sum(p is not None for p in blocked)
        options.append((fft_seconds(*work, dtype, True, split, threads), blocked))
    seconds, plans = min(options, key=lambda o: o[0])
    return plans, seconds


def _extension(k_shape, axes, dilations, boundary, fill):
    """Samples the FFT path adds on each side of every convolved axis: none
    for a zero fill (the full convolution pads with zeros by itself), else
    the dilated kernel's reach, filled by the boundary rule."""
    if boundary == "fill" and fill == 0:
        return [0] * len(axes)
    return [d * (k_shape[a] - 1) for a, d in zip(axes, dilations)]


def overlap_save_applies(dtype, k_shape, axes):
    """Whether filter_fft takes the C++ overlap-save path: one or two axes,
    real float32/float64 data (input and kernel of this one dtype), and one
    kernel for every line (plane)."""
    return (
        len(axes) in (1, 2)
        and np.dtype(dtype) in (np.float32, np.float64)
        and math.prod(k_shape) == math.prod(k_shape[a] for a in axes)
    )


def overlap_save_seconds(x_shape, k_shape, axes, dtype):
    """Predicted time of the C++ overlap-save path for an input of x_shape
    and a kernel of k_shape over `axes` (x_shape[a] outputs along each: the
    'same' window), with the blocks the C++ code picks, on one thread."""
    two_d = len(axes) == 2
    itemsize = np.dtype(dtype).itemsize
    lines = math.prod(n for a, n in enumerate(x_shape) if a not in axes)
    blocks = points = 1
    for a in axes:
        k, outputs = k_shape[a], max(x_shape[a], 1)
        n = _core.overlap_save_block_size(k, outputs, two_d, itemsize)
        blocks *= -(-outputs // (n - k + 1))
        points *= n
    kind = "f4" if itemsize <= 4 else "f8"
    per = _OVERLAP_SAVE_SHARE[kind] * rates().fft[kind]
    return FFT_CALL + per * lines * blocks * 2 * points * math.log2(max(points, 2))


def fft_path_seconds(x_shape, k_shape, axes, dilations, boundary, fill, dtype):
    """Predicted time of filter_fft for these shapes (for method="auto"),
    as for DECISION_THREADS threads."""
    ext = _extension(k_shape, axes, dilations, boundary, fill)
    s1, s2 = list(x_shape), list(k_shape)
    for a, d, e in zip(axes, dilations, ext):
        s1[a] += 2 * e
        s2[a] = d * (k_shape[a] - 1) + 1
    if overlap_save_applies(dtype, s2, axes):
        return overlap_save_seconds(x_shape, s2, axes, dtype)
    return _fft_plan(s1, s2, axes, dtype)[1]


# --- the method router ---
# The one rule of method="auto" for the four scipy functions, fastconv.dask
# and choose_conv_method: the separable path for rank-one 2-D kernels when
# it is the cheapest, then the FFT when it is predicted faster and allowed,
# else the direct path.

# method="auto" takes the separable path for rank-one 2-D kernels from this
# many taps on (below it the direct kernels are as fast).
SEPARABLE_MIN_TAPS = 25
# (larger kernels are not checked: the check's temporaries would be
# kernel-sized, and such kernels belong to the FFT)
_RANK_ONE_MAX_TAPS = 2**22
# ... and for problems large enough (image size x kernel size) that the
# separable path saves more than the rank-one check costs (~20 us).
_SEPARABLE_MIN_WORK = 2**22

# method="auto" considers the FFT only from this many kernel taps on (the
# cost model never prefers it below; this spares small calls its cost).
FFT_MIN_TAPS = 32


def rank_one_factors(kernel):
    """(col, row) with kernel == outer(col, row) to within rounding, or None.

    The rule: take the largest tap k[i, j] as pivot, col = k[:, j] and
    row = k[i, :] / k[i, j]; accept only if every tap of outer(col, row)
    is within 4 units in the last place of the largest tap. A kernel that
    is merely nearly rank one (any larger residual) keeps the direct path,
    so the result stays within the direct path's per-element accuracy
    (about taps * eps * sum |x| |k|: the two passes add only len(col) +
    len(row) roundings).
    """
    if (
        kernel.ndim != 2
        or kernel.dtype.kind not in "fc"
        or kernel.dtype == np.float16
        or min(kernel.shape) < 2
        or not SEPARABLE_MIN_TAPS <= kernel.size <= _RANK_ONE_MAX_TAPS
    ):
        return None
    mag = np.abs(kernel)
    if not np.isfinite(mag).all():
        return None
    i, j = np.unravel_index(np.argmax(mag), kernel.shape)
    if mag[i, j] == 0:
        return None
    col = kernel[:, j].copy()
    row = kernel[i, :] / kernel[i, j]
    if np.abs(np.outer(col, row) - kernel).max() > 4 * np.finfo(kernel.dtype).eps * mag[i, j]:
        return None
    return col, row


def fft_beats_separable(in1, in2, boundary="fill", fillvalue=0):
    """Whether the FFT path is predicted faster than the separable one for
    a rank-one 2-D kernel in2 (and allowed: finite inputs)."""
    dtype = _args.compute_dtype(np.result_type(in1, in2))
    fill = _args.fill_scalar(fillvalue, dtype)
    separable = direct_seconds(
        in1.size, sum(in2.shape), dtype, _core.active_isa(), True, DECISION_THREADS
    )
    fft = fft_path_seconds(
        in1.shape, in2.shape, [0, 1], [1, 1], _args.check_boundary(boundary), fill, dtype
    )
    return bool(fft * MULTI_AXIS_FFT_MARGIN < separable and _all_finite(in1) and _all_finite(in2))


def separable_factors(conv, in1, in2, mode, dilation, anchor):
    """(col, row, anchor) for `convolve_separable` when the kernel is rank one
    and the call allows it (2-D, no dilation, no scipy input swap, enough
    work), else None. Reads only in1's shape and dtype, so that
    fastconv.dask takes the same route for a dask array."""
    if (
        in1.ndim != 2
        or in2.ndim != 2
        or dilation != 1
        or in1.dtype.kind not in "fc"
        or in1.size * in2.size < _SEPARABLE_MIN_WORK
        or (mode == "valid" and (in1.shape[0] < in2.shape[0] or in1.shape[1] < in2.shape[1]))
    ):
        return None
    factors = rank_one_factors(in2)
    if factors is None:
        return None
    col, row = factors
    if not conv.flip:
        # correlation = convolution with the flipped, conjugated kernel; a
        # tap a over each sample becomes tap k-1-a of the flipped kernel
        col, row = np.conj(col[::-1]), np.conj(row[::-1])
        if anchor is None:
            # correlate2d's 'same' crop (ke//2) is the "matlab" one
            anchor = "matlab" if conv.same_anchor == "centre_high" and mode == "same" else None
        elif not isinstance(anchor, str):
            taps = anchor if isinstance(anchor, (tuple, list)) else (anchor, anchor)
            anchor = tuple(k - 1 - a for k, a in zip(in2.shape, taps))
    return col, row, anchor


def separable_choice(conv, in1, in2, mode, boundary, fillvalue, dilation, anchor, consider_fft):
    """The first step of the method choice (the one rule for the four
    functions and `choose_conv_method`): the (col, row, anchor) plan of
    the separable path when `separable_factors` allows it, else None;
    with `consider_fft`, also None when the FFT path is predicted faster
    (and allowed: finite inputs)."""
    if not (isinstance(in1, np.ndarray) and isinstance(in2, np.ndarray)):
        return None
    plan = separable_factors(conv, in1, in2, mode, dilation, anchor)
    if plan is None or consider_fft and fft_beats_separable(in1, in2, boundary, fillvalue):
        return None
    return plan


def _max_abs(a):
    """max |a| of an integer array as a Python int (np.abs overflows on the
    most negative value: INT64_MIN stays negative)."""
    return max(-int(a.min()), int(a.max()))


def _all_finite(a):
    """Whether `a` holds no NaN or Inf, from its sum: a NaN or Inf makes the
    sum non-finite. (So can an overflowing sum of finite values: then the
    answer is a safe "no", at the price of the direct path.)"""
    return bool(np.isfinite(np.add.reduce(a, axis=None)))


def fft_pays(plan):
    """method="auto", second step (`plan`: the call's _signal._FilterPlan):
    whether the FFT path is predicted faster than the direct one -- and
    allowed: never for bool (scipy's rule), for inputs holding NaN or Inf
    (an FFT spreads one over the whole result), for long double (the FFT
    would lose its precision), or for integers whose exact result could
    exceed 2**52 (scipy's rule: max|x| * max|k| * min(sizes)). The thread
    count is no input: the choice, and so the result, never depends on it
    (docs/guarantees.md)."""
    if plan.is_object or plan.empty or plan.result_dtype.kind == "b":
        return False
    x, k, shape, axes = plan.x, plan.k, plan.shape, plan.axes
    dilations, boundary, fill = plan.dilations, plan.boundary, plan.fill
    taps = math.prod(k.shape[a] for a in axes)
    # (an FFT costs tens of operations per output: short kernels never pay;
    # nor does any call the direct path finishes within the FFT path's
    # fixed cost even at the highest rate)
    if (
        taps < FFT_MIN_TAPS
        or x.dtype.kind not in "fciu"
        or x.size == 0
        or x.dtype in (np.longdouble, np.clongdouble)
        or math.prod(shape) * taps < FFT_CALL * MAX_RATE
    ):
        return False
    one_d = sum(k.shape[a] > 1 for a in axes) == 1
    direct = direct_seconds(
        math.prod(shape), taps, x.dtype, _core.active_isa(), one_d, DECISION_THREADS
    )
    if direct < FFT_CALL:  # faster than the FFT path's fixed cost alone
        return False
    fft_dtype = np.dtype(np.float64) if x.dtype.kind in "iu" else x.dtype
    fft = fft_path_seconds(x.shape, k.shape, axes, dilations, boundary, fill, fft_dtype)
    # (the C++ path has no array-sized temporaries: no margin for them)
    in_cxx = overlap_save_applies(fft_dtype, k.shape, axes)
    margin = 1.0 if one_d or in_cxx else MULTI_AXIS_FFT_MARGIN
    if fft * margin >= direct:
        return False
    if x.dtype.kind in "iu":
        bound = _max_abs(x) * _max_abs(k) * min(x.size, k.size)
        return bound <= 2**52 - 1
    return _all_finite(x) and _all_finite(k)
