"""Measuring the rates of the cost model behind method="auto" (one home for
``python -m fastconv calibrate`` and bench/calibrate.py), and storing them
where `_cost.rates` finds them."""

from __future__ import annotations

import json
import math
import os
import pathlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import _core, _cost, _fft
from ._signal import convolve

Shape = tuple[int, ...]

# The direct path's rate per element kind, measured with a long 2-D kernel
# (31x31, where the rate is close to the table's "long kernel" one); the
# slower kinds on a smaller image, to keep the whole run short.
_DIRECT_CASES = {
    "f4": (np.float32, (512, 512)),
    "f8": (np.float64, (512, 512)),
    "c8": (np.complex64, (160, 160)),
    "c16": (np.complex128, (160, 160)),
    "i8": (np.int32, (192, 192)),
}
_DIRECT_KERNEL = (31, 31)
# The 1-D rate relative to the 2-D one, from float32 (the ratio is alike
# for float64 on the machines measured).
_ONE_D_CASE = ((1_000_000,), (255,))


def run_times(fn: Callable[[], Any], runs: int) -> list[float]:
    """Seconds of each of `runs` calls of fn(), after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def best_time(fn: Callable[[], Any], runs: int = 3) -> float:
    """The shortest of `runs` timings of fn() after one warm-up call."""
    return min(run_times(fn, runs))


def _random(rng: np.random.Generator, shape: Shape, dtype: Any) -> np.ndarray:
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 8, shape).astype(dtype)
    return rng.random(shape).astype(dtype)


def direct_rate(rng: np.random.Generator, dtype: Any, shape: Shape, kernel: Shape) -> float:
    """Measured multiply-adds per second of the direct path on one thread
    for a 'same' convolution of `shape` with `kernel`."""
    x, h = _random(rng, shape, dtype), _random(rng, kernel, dtype)
    t = best_time(lambda: convolve(x, h, "same", method="direct", threads=1))
    return x.size * h.size / t


def _long_kernel_rate(measured: float, taps: int, kind: str) -> float:
    # the short-kernel discount taps / (taps + half) of the model taken out
    return measured * (taps + _cost._HALF_RATE_TAPS[kind]) / taps


def measure_direct(rng: np.random.Generator) -> tuple[dict[str, float], float]:
    """The direct rates per element kind in the form of the cost model's
    table (long 2-D kernels), and the 1-D rate relative to the 2-D one."""
    taps = math.prod(_DIRECT_KERNEL)
    rates = {
        kind: _long_kernel_rate(direct_rate(rng, dtype, shape, _DIRECT_KERNEL), taps, kind)
        for kind, (dtype, shape) in _DIRECT_CASES.items()
    }
    shape, kernel = _ONE_D_CASE
    one_d = _long_kernel_rate(direct_rate(rng, np.float32, shape, kernel), kernel[0], "f4")
    return rates, one_d / rates["f4"]


def fft_grid(quick: bool) -> Iterator[tuple[Shape, Shape]]:
    """(image, kernel) shapes to fit the FFT constants on: the 2-D ones
    when `quick` (enough for the per-N*log2(N) constant, whose fit is
    noisy per point: next_fast_len's sizes differ in speed), else also
    long 1-D and batched rows."""
    for n in (256, 512, 1024, 2048):
        for k in (9, 31, 63):
            yield (n, n), (k, k)
    if quick:
        return
    for n in (10_000, 100_000, 1_000_000):
        for k in (64, 512, 4096):
            yield (n,), (k,)
    for n in (100_000, 1_000_000):  # batched rows
        yield (8, n // 8), (1, 255)


def fit_fft(
    rng: np.random.Generator, dtype: Any, grid: list[tuple[Shape, Shape]]
) -> dict[str, Any]:
    """Time the full convolution by one FFT and by overlap-add on `grid` on
    one worker, and fit seconds = a * NlogN: `a` is the median over the
    multi-line transforms, `single_1d` the median ratio of single long 1-D
    lines to it (None if the grid has none), `overlap_add` the ratios of
    overlap-add along one and along several axes (lists, maybe empty). The
    element-wise work grows like the points, so it is folded in."""
    dt = np.dtype(dtype)
    plain_rows, plain_t, oa_rows, oa_t = [], [], [], []
    _, next_fast_len = _fft._fft_backend()
    for shape, k in grid:
        x, h = _random(rng, shape, dtype), _random(rng, k, dtype)
        axes = [a for a in range(x.ndim) if k[a] > 1]
        nlogn, single = _cost._fft_work(shape, k, axes, [None] * len(axes), dt)
        plain_rows.append((0 if single else nlogn, nlogn if single else 0))
        plain_t.append(best_time(lambda x=x, h=h, axes=axes: _fft._full_fft(x, h, axes, 1)))
        blocked = [_fft._oa_blocks(shape[a], k[a], next_fast_len, True) for a in axes]
        if any(p is not None for p in blocked):
            nlogn, _ = _cost._fft_work(shape, k, axes, blocked, dt)
            oa_rows.append((nlogn, len(axes)))
            oa_t.append(best_time(lambda x=x, h=h, a=axes, b=blocked: _fft._full_oa(x, h, a, b, 1)))
    rows, t = np.array(plain_rows), np.array(plain_t)
    multi, single = rows[:, 0] > 0, rows[:, 1] > 0
    a = float(np.median(t[multi] / rows[multi, 0]))
    single_1d = float(np.median(t[single] / rows[single, 1]) / a) if single.any() else None
    ratios = [t_ / r[0] / a for r, t_ in zip(oa_rows, oa_t)]
    return {
        "a": a,
        "single_1d": single_1d,
        "overlap_add": (
            [q for q, r in zip(ratios, oa_rows) if r[1] == 1],
            [q for q, r in zip(ratios, oa_rows) if r[1] > 1],
        ),
    }


def measure(seed: int = 0) -> dict[str, Any]:
    """This machine's rates for the active ISA, on one thread (as the
    model's are): {"direct": {kind: MAC/s}, "one_d": 1-D rate / 2-D rate,
    "fft": {kind: s per NlogN}}; takes a few seconds."""
    rng = np.random.default_rng(seed)
    grid = list(fft_grid(quick=True))
    direct, one_d = measure_direct(rng)
    return {
        "direct": direct,
        "one_d": one_d,
        "fft": {
            "f4": fit_fft(rng, np.float32, grid)["a"],
            "f8": fit_fft(rng, np.float64, grid)["a"],
        },
    }


def _stored_isas(path: pathlib.Path) -> dict[str, Any]:
    """The per-ISA entries of a usable calibration at `path` (kept when
    another ISA is calibrated), else {}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        _cost.parse_calibration(data)
    except (OSError, ValueError):
        return {}
    return dict(data["isas"])


def calibrate(path: os.PathLike | None = None) -> tuple[pathlib.Path, dict[str, Any]]:
    """Measure the active ISA's rates and store them at `path` (default
    `_cost.calibration_path()`), next to the other ISAs' entries of the
    same fastconv version (calibrate each under FASTCONV_FORCE_ISA);
    returns (path, the active ISA's entry)."""
    path = pathlib.Path(path) if path is not None else _cost.calibration_path()
    isa = _core.active_isa()
    entry = measure()
    isas = _stored_isas(path)
    isas[isa] = entry
    data = {"format": _cost.CALIBRATION_FORMAT, "fastconv": _core.__version__, "isas": isas}
    _cost.parse_calibration(data)  # never store what auto would refuse
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole then renamed, so that a process reading it meanwhile
    # never sees half a file.
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    _cost.forget_stored()
    return path, entry
