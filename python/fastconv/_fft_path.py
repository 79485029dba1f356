"""The FFT path of convolve / correlate (method="fft", or chosen by
"auto"): the direct path's result -- every mode, boundary, stride,
dilation and anchor -- computed with the transforms of `_fft`, and its
predicted time for the method choice."""

from __future__ import annotations

import numpy as np

from . import _core
from ._cost import _extension, _fft_plan, overlap_save_applies
from ._fft import _as_float, _full_fft, _full_oa

# np.pad's names for fastconv's boundary rules
_NP_PAD = {"wrap": "wrap", "symm": "symmetric", "mirror": "reflect", "nearest": "edge"}


def filter_fft(flip, x, k, axes, strides, dilations, boundary, fill, starts, shape, threads):
    """What the direct path computes (same mode, boundary, stride, dilation
    and anchor), computed with FFTs: the input extended by the boundary
    rule, its full convolution with the dilated kernel (flipped and
    conjugated for a correlation), then the mode's window -- from
    `starts[a]`, the C++ plan's first output in the full result along axis
    a -- and every stride-th sample. Accurate normwise, not per element.
    Returns an array of `shape` in x's dtype (integers are rounded: exact up
    to 2**52)."""
    if not flip:
        k = k[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(k.ndim))]
        if k.dtype.kind == "c":
            k = np.conj(k)
    for a, d in zip(axes, dilations):
        if d > 1 and k.shape[a] > 1:
            spread = np.zeros(k.shape[:a] + (d * (k.shape[a] - 1) + 1,) + k.shape[a + 1 :], k.dtype)
            spread[(slice(None),) * a + (slice(None, None, d),)] = k
            k = spread
    integer = x.dtype.kind in "biu"
    xf, kf = (_as_float(x), _as_float(k)) if integer else (x, k)
    ext = _extension(k.shape, axes, [1] * len(axes), boundary, fill)
    if any(ext):
        pad = [(0, 0)] * x.ndim
        for a, e in zip(axes, ext):
            pad[a] = (e, e)
        if boundary == "fill":
            xf = np.pad(xf, pad, mode="constant", constant_values=fill)
        else:
            xf = np.pad(xf, pad, mode=_NP_PAD[boundary])
    # The window of the full convolution the mode keeps, per axis.
    window = []
    for j, a in enumerate(axes):
        start = ext[j] + starts[a]
        window.append((start, start + (shape[a] - 1) * strides[j] + 1))
    if _overlap_save_applies(xf, kf, axes):
        res = _overlap_save(xf, kf, axes, [w[0] for w in window], strides, shape, threads)
        return np.round(res) if integer else res
    plans, _ = _fft_plan(xf.shape, kf.shape, axes, np.result_type(xf, kf))
    if all(p is None for p in plans):
        full = _full_fft(xf, kf, axes, threads)
    else:
        full = _full_oa(xf, kf, axes, plans, threads)
    index = [slice(None)] * x.ndim
    for j, a in enumerate(axes):
        index[a] = slice(window[j][0], window[j][1], strides[j])
    res = full[tuple(index)]
    if integer:
        res = np.round(res)
    return res


def _overlap_save_applies(x, k, axes):
    """Whether the C++ overlap-save path takes this call (the cost model's
    rule, for x and k of one dtype)."""
    return x.dtype == k.dtype and overlap_save_applies(x.dtype, k.shape, axes)


def _overlap_save(x, k, axes, starts, steps, shape, threads):
    """full[starts + i * steps] for the output indices i of `shape` along
    `axes`, where full is the full convolution of x along `axes` with the
    kernel k (C++, `_core.overlap_save` / `overlap_save_2d`: no array-sized
    temporaries but the result)."""
    last = list(range(x.ndim - len(axes), x.ndim))
    lines = np.moveaxis(x, axes, last)
    out = np.empty(lines.shape[: -len(axes)] + tuple(shape[a] for a in axes), x.dtype)
    taps = k.reshape([k.shape[a] for a in axes])
    if len(axes) == 1:
        _core.overlap_save(lines, taps, starts[0], steps[0], out, threads)
    else:
        _core.overlap_save_2d(lines, taps, tuple(starts), tuple(steps), out, threads)
    return np.moveaxis(out, last, axes)
