"""Measure the constants of fastconv's cost model (python/fastconv/_cost.py).

    python bench/calibrate.py            # on one thread, as the model is

Prints, for the active ISA, the direct path's multiply-add rate per element
kind against kernel length, and fits the FFT path's two constants (seconds
per N*log2(N) transformed, seconds per point) by least squares over a grid
of FFT-path calls; then checks the model's predictions against the
measured times of both paths. The measurements live in the package
(fastconv/_calibrate.py), shared with `python -m fastconv calibrate`, which
runs a short version of them and stores the rates for method="auto".
"""

from __future__ import annotations

import os
import sys

import numpy as np

import fastconv
from fastconv import _calibrate, _cost
from fastconv._calibrate import best_time


def direct_rates(rng):
    print(f"direct path, isa {fastconv.active_isa()}, 1 thread: GMAC/s")
    for dtype in (np.float32, np.float64, np.complex64, np.complex128):
        cells = []
        for shape, k in [
            ((1024, 1024), (5, 5)),
            ((1024, 1024), (15, 15)),
            ((1024, 1024), (31, 31)),
            ((1_000_000,), (64,)),
            ((1_000_000,), (1024,)),
        ]:
            if np.dtype(dtype).kind == "c":
                shape = tuple(max(n // 8, 64) for n in shape)
            rate = _calibrate.direct_rate(rng, dtype, shape, k)
            cells.append(f"{'x'.join(map(str, k))}: {rate / 1e9:.1f}")
        print(f"  {np.dtype(dtype).name:10s}", ", ".join(cells))


def fit_fft(rng):
    print("FFT path, 1 thread: seconds = a * NlogN")
    grid = list(_calibrate.fft_grid(quick=False))
    for dtype in (np.float32, np.float64):
        fit = _calibrate.fit_fft(rng, dtype, grid)
        cells = []
        for label, ratios in zip(("1 axis", "2+ axes"), fit["overlap_add"]):
            cells.append(
                f"{label} x{np.median(ratios):.2f} (x{min(ratios):.2f}..x{max(ratios):.2f})"
            )
        print(
            f"  {np.dtype(dtype).name}: a = {fit['a']:.3g} s per NlogN, "
            f"single 1-D line x{fit['single_1d']:.2f}, overlap-add {', '.join(cells)}"
        )


def check(rng, threads):
    print(f"model ({_cost.DECISION_THREADS} thread) vs measurement, {threads} thread(s) (ms)")
    print("  case                 direct pred/meas    fft pred/meas    auto picks")
    for shape, k in [
        ((256, 256), (31, 31)),
        ((1024, 1024), (15, 15)),
        ((1024, 1024), (31, 31)),
        ((512, 512), (63, 63)),
        ((10_000,), (1023,)),
        ((1_000_000,), (128,)),
        ((1_000_000,), (255,)),
        ((1_000_000,), (1024,)),
        ((100_000,), (4096,)),
    ]:
        x = rng.random(shape).astype(np.float32)
        h = rng.random(k).astype(np.float32)
        td = best_time(
            lambda x=x, h=h: fastconv.convolve(x, h, "same", method="direct", threads=threads)
        )
        tf = best_time(
            lambda x=x, h=h: fastconv.convolve(x, h, "same", method="fft", threads=threads)
        )
        # (predictions as auto compares them: for _cost.DECISION_THREADS)
        pd = _cost.direct_seconds(
            x.size, h.size, x.dtype, fastconv.active_isa(), x.ndim == 1, _cost.DECISION_THREADS
        )
        pf = _cost.fft_path_seconds(
            x.shape, h.shape, list(range(x.ndim)), [1] * x.ndim, "fill", 0, x.dtype
        )
        print(
            f"  {str(shape) + ' ' + str(k):20s} {pd * 1e3:7.2f} / {td * 1e3:7.2f}   "
            f"{pf * 1e3:7.2f} / {tf * 1e3:7.2f}    {fastconv.choose_conv_method(x, h, 'same')}"
            f" (best {'fft' if tf < td else 'direct'})"
        )


def main():
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    rng = np.random.default_rng(0)
    what = sys.argv[1:] or ["direct", "fft", "check"]
    if "direct" in what:
        direct_rates(rng)
    if "fft" in what:
        fit_fft(rng)
    if "check" in what:
        check(rng, 1)
        check(rng, 2)


if __name__ == "__main__":
    main()
