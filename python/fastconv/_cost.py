"""The cost model behind method="auto": predicted seconds of the direct,
separable and FFT paths, so that auto runs the fastest.

The constants were measured with bench/calibrate.py on the 2-core AMD EPYC
development machine (AVX2+FMA), per thread; the baseline (SSE2) rates were
measured there with FASTCONV_FORCE_ISA=baseline. AVX-512 has not been
measured: its rates are the AVX2 ones scaled by 1.6 (twice the lanes, the
same memory), an estimate to be replaced by a measurement.
"""
from __future__ import annotations

# method="auto" (and the FFT path's choice of blocking) compares the paths
# as for this many threads, whatever a call runs on: the choice decides the
# result's rounding, and results never depend on the thread count (SPEC 2).
DECISION_THREADS = 1

# Direct path: multiply-adds per second on one thread for long 2-D kernels,
# by ISA and element kind (i8: integers, computed in int64), the kernel
# size at which the rate is half that (short kernels pay per-output
# overhead and more loads per tap), and the rate of 1-D kernels relative
# to 2-D ones.
_DIRECT_RATE = {
    "avx2": {"f4": 36e9, "f8": 18e9, "c8": 2.0e9, "c16": 2.4e9, "i8": 2.7e9},
    "baseline": {"f4": 15e9, "f8": 7.7e9, "c8": 1.5e9, "c16": 1.0e9, "i8": 2.7e9},
}
_DIRECT_RATE["avx512"] = {k: v * (1.6 if k[0] == "f" else 1.0)
                          for k, v in _DIRECT_RATE["avx2"].items()}
# (the highest rate of all, for quick "direct is surely faster" checks)
MAX_RATE = 2 * max(r for rates in _DIRECT_RATE.values() for r in rates.values())
_HALF_RATE_TAPS = {"f4": 12, "f8": 12, "c8": 2, "c16": 2, "i8": 2}
_ONE_D = 0.8
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
    rate = _DIRECT_RATE.get(isa, _DIRECT_RATE["baseline"])[kind]
    rate *= taps / (taps + _HALF_RATE_TAPS[kind]) * (_ONE_D if one_d else 1.0)
    return outputs * taps / rate / (1 + _DIRECT_THREAD_GAIN * (threads - 1))


def fft_seconds(nlogn, single_line, dtype, overlap_add, axes=1, threads=1):
    """Predicted time of an FFT convolution whose transforms (both inputs
    and the inverse) add up to `nlogn` = sum of N*log2(N); `single_line`:
    one long 1-D transform (no vectorisation across lines);
    `overlap_add`: cut into blocks and added back along `axes` axes;
    `threads` FFT workers."""
    kind = "f4" if dtype.itemsize <= 4 or dtype.kind == "c" and dtype.itemsize <= 8 else "f8"
    per = _FFT_PER_NLOGN[kind] * (2 if dtype.kind == "c" else 1)
    if single_line:
        per *= _SCALAR_1D
    if overlap_add:
        per *= _OVERLAP_ADD[kind][0 if axes == 1 else 1]
    speedup = 1 if single_line else 1 + _FFT_THREAD_GAIN * (threads - 1)
    return FFT_CALL + per * nlogn / speedup
