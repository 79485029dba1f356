"""The FFT path of convolve / correlate (method="fft", or chosen by
"auto"): the direct path's result -- every mode, boundary, stride,
dilation and anchor -- computed with the transforms of `_fft`, and its
predicted time for the method choice."""

from __future__ import annotations

import math

import numpy as np

from . import _cost
from ._fft import _as_float, _fft_backend, _full_fft, _full_oa, _oa_blocks


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
    cheaper -- compared as for _cost.DECISION_THREADS, so that the plan,
    and so the result's rounding, never depends on the thread count."""
    threads = _cost.DECISION_THREADS
    _, next_fast_len = _fft_backend()
    real = dtype.kind != "c"
    plain = [None] * len(axes)
    options = [
        (
            _cost.fft_seconds(
                *_fft_work(s1, s2, axes, plain, dtype), dtype, False, threads=threads
            ),
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
        options.append((_cost.fft_seconds(*work, dtype, True, split, threads), blocked))
    seconds, plans = min(options, key=lambda o: o[0])
    return plans, seconds


def _extension(k_shape, axes, dilations, boundary, fill):
    """Samples the FFT path adds on each side of every convolved axis: none
    for a zero fill (the full convolution pads with zeros by itself), else
    the dilated kernel's reach, filled by the boundary rule."""
    if boundary == "fill" and fill == 0:
        return [0] * len(axes)
    return [d * (k_shape[a] - 1) for a, d in zip(axes, dilations)]


def fft_path_seconds(x_shape, k_shape, axes, dilations, boundary, fill, dtype):
    """Predicted time of filter_fft for these shapes (for method="auto"),
    as for _cost.DECISION_THREADS threads."""
    ext = _extension(k_shape, axes, dilations, boundary, fill)
    s1, s2 = list(x_shape), list(k_shape)
    for a, d, e in zip(axes, dilations, ext):
        s1[a] += 2 * e
        s2[a] = d * (k_shape[a] - 1) + 1
    return _fft_plan(s1, s2, axes, dtype)[1]


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
