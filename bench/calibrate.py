"""Measure the constants of fastconv's cost model (python/fastconv/_cost.py).

    python bench/calibrate.py            # on one thread, as the model is

Prints, for the active ISA, the direct path's multiply-add rate per element
kind against kernel length, and fits the FFT path's two constants (seconds
per N*log2(N) transformed, seconds per point) by least squares over a grid
of FFT-path calls; then checks the model's predictions against the
measured times of both paths.
"""
from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

import fastconv
from fastconv import _cost, _fft


def best_time(fn, runs=3):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def direct_rates(rng):
    print(f"direct path, isa {fastconv.active_isa()}, 1 thread: GMAC/s")
    for dtype in (np.float32, np.float64, np.complex64, np.complex128):
        cells = []
        for shape, k in [((1024, 1024), (5, 5)), ((1024, 1024), (15, 15)),
                         ((1024, 1024), (31, 31)), ((1_000_000,), (64,)),
                         ((1_000_000,), (1024,))]:
            if np.dtype(dtype).kind == "c":
                shape = tuple(max(n // 8, 64) for n in shape)
            x = rng.random(shape).astype(dtype)
            h = rng.random(k).astype(dtype)
            t = best_time(lambda: fastconv.convolve(x, h, "same", method="direct", threads=1))
            cells.append(f"{'x'.join(map(str, k))}: {x.size * h.size / t / 1e9:.1f}")
        print(f"  {np.dtype(dtype).name:10s}", ", ".join(cells))


def fft_grid():
    for n in (256, 512, 1024, 2048):
        for k in (9, 31, 63):
            yield (n, n), (k, k)
    for n in (10_000, 100_000, 1_000_000):
        for k in (64, 512, 4096):
            yield (n,), (k,)
    for n in (100_000, 1_000_000):  # batched rows
        yield (8, n // 8), (1, 255)


def fit_fft(rng):
    """Time the full convolution by one FFT and by overlap-add on a grid,
    and take seconds = a * NlogN, with a's median over the grid, for one
    FFT of the whole arrays, a single long 1-D transform, and overlap-add
    (the element-wise work grows like the points, so it is folded in)."""
    print("FFT path, 1 thread: seconds = a * NlogN")
    for dtype in (np.float32, np.float64):
        dt = np.dtype(dtype)
        plain_rows, plain_t, oa_rows, oa_t = [], [], [], []
        for shape, k in fft_grid():
            x = rng.random(shape).astype(dtype)
            h = rng.random(k).astype(dtype)
            axes = [a for a in range(x.ndim) if k[a] > 1]
            _, next_fast_len = _fft._fft_backend()
            blocked = [_fft._oa_blocks(shape[a], k[a], next_fast_len, True) for a in axes]
            plain = [None] * len(axes)
            nlogn, single = _fft._fft_work(shape, k, axes, plain, dt)
            plain_rows.append((0 if single else nlogn, nlogn if single else 0))
            plain_t.append(best_time(lambda: _fft._full_fft(x, h, axes, 1)))
            if any(p is not None for p in blocked):
                nlogn, _ = _fft._fft_work(shape, k, axes, blocked, dt)
                oa_rows.append((nlogn, len(axes)))
                oa_t.append(best_time(lambda: _fft._full_oa(x, h, axes, blocked, 1)))
        rows, t = np.array(plain_rows), np.array(plain_t)
        multi, single = rows[:, 0] > 0, rows[:, 1] > 0
        a = np.median(t[multi] / rows[multi, 0])
        s_1d = np.median(t[single] / rows[single, 1]) / a
        rows, t = np.array(oa_rows), np.array(oa_t)
        cells = []
        for label, pick in (("1 axis", rows[:, 1] == 1), ("2+ axes", rows[:, 1] > 1)):
            ratio = t[pick] / rows[pick, 0] / a
            cells.append(f"{label} x{np.median(ratio):.2f} (x{ratio.min():.2f}..x{ratio.max():.2f})")
        print(f"  {dt.name}: a = {a:.3g} s per NlogN, single 1-D line x{s_1d:.2f}, "
              f"overlap-add {', '.join(cells)}")


def check(rng, threads):
    print(f"model ({_cost.DECISION_THREADS} thread) vs measurement, {threads} thread(s) (ms)")
    print("  case                 direct pred/meas    fft pred/meas    auto picks")
    for shape, k in [((256, 256), (31, 31)), ((1024, 1024), (15, 15)),
                     ((1024, 1024), (31, 31)), ((512, 512), (63, 63)), ((10_000,), (1023,)),
                     ((1_000_000,), (128,)), ((1_000_000,), (255,)),
                     ((1_000_000,), (1024,)), ((100_000,), (4096,))]:
        x = rng.random(shape).astype(np.float32)
        h = rng.random(k).astype(np.float32)
        td = best_time(lambda: fastconv.convolve(x, h, "same", method="direct",
                                                 threads=threads))
        tf = best_time(lambda: fastconv.convolve(x, h, "same", method="fft", threads=threads))
        # (predictions as auto compares them: for _cost.DECISION_THREADS)
        pd = _cost.direct_seconds(x.size, h.size, x.dtype, fastconv.active_isa(), x.ndim == 1,
                                  _cost.DECISION_THREADS)
        pf = _fft.fft_path_seconds(x.shape, h.shape, list(range(x.ndim)), [1] * x.ndim,
                                   "fill", 0, x.dtype)
        print(f"  {str(shape) + ' ' + str(k):20s} {pd * 1e3:7.2f} / {td * 1e3:7.2f}   "
              f"{pf * 1e3:7.2f} / {tf * 1e3:7.2f}    {fastconv.choose_conv_method(x, h, 'same')}"
              f" (best {'fft' if tf < td else 'direct'})")


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
