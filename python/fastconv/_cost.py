"""The cost model behind method="auto": predicted seconds of the direct,
separable and FFT paths, so that auto runs the fastest.

The constants were measured with bench/calibrate.py on the 2-core AMD EPYC
development machine (AVX2+FMA), per thread; the baseline (SSE2) rates were
measured there with FASTCONV_FORCE_ISA=baseline. AVX-512 has not been
measured: its rates are the AVX2 ones scaled by 1.6 (twice the lanes, the
same memory), an estimate to be replaced by a measurement. Both paths scale
alike with threads, so the comparison is made per thread.
"""
from __future__ import annotations

import math

# Direct path: multiply-adds per second on one thread for long kernels, by
# ISA and element kind, and the kernel length at which the rate is half
# that (short kernels pay per-output overhead and more loads per tap).
_DIRECT_RATE = {
    "avx2": {"f4": 34e9, "f8": 18e9, "c8": 1.5e9, "c16": 1.0e9},
    "baseline": {"f4": 15e9, "f8": 7.7e9, "c8": 1.5e9, "c16": 1.0e9},
}
_DIRECT_RATE["avx512"] = {k: v * (1.6 if k[0] == "f" else 1.0)
                          for k, v in _DIRECT_RATE["avx2"].items()}
_HALF_RATE_TAPS = {"f4": 20, "f8": 20, "c8": 2, "c16": 2}

# FFT path: seconds per N*log2(N) of one transform of N real points (a
# complex transform costs twice), for transforms pocketfft vectorises
# across lines (multi-dimensional, or batched blocks); a single long 1-D
# transform runs scalar, _SCALAR_1D times slower. Plus seconds per point
# for the element-wise work (padding, spectrum product, overlap-add, crop).
_FFT_PER_NLOGN = {"f4": 0.19e-9, "f8": 0.30e-9}
_SCALAR_1D = 2.0
_FFT_PER_POINT = {"f4": 1.5e-9, "f8": 2.5e-9}


def _kind(dtype):
    if dtype.kind == "c":
        return "c8" if dtype.itemsize <= 8 else "c16"
    return "f4" if dtype.itemsize <= 4 else "f8"


def direct_seconds(outputs, taps, dtype, isa):
    """Predicted time of the direct path: `outputs` results of `taps`
    multiply-adds each."""
    kind = _kind(dtype)
    rate = _DIRECT_RATE.get(isa, _DIRECT_RATE["baseline"])[kind]
    rate *= taps / (taps + _HALF_RATE_TAPS[kind])
    return outputs * taps / rate


def fft_seconds(transform_points, nlogn, lines_1d, dtype):
    """Predicted time of an FFT convolution that transforms
    `transform_points` points in total (both inputs and the inverse) with
    `nlogn` = sum of N*log2(N) over them; `lines_1d` says whether they are
    single long 1-D transforms (no vectorisation across lines)."""
    kind = "f8" if dtype.itemsize > 4 and dtype.kind == "f" or dtype.itemsize > 8 else "f4"
    per = _FFT_PER_NLOGN[kind] * (2 if dtype.kind == "c" else 1)
    if lines_1d:
        per *= _SCALAR_1D
    return per * nlogn + _FFT_PER_POINT[kind] * transform_points


def nlogn(n):
    return n * math.log2(max(n, 2))
