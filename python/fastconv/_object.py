"""Object arrays (Python ints, Fractions, Decimals...): every function's
exact, slow path. scipy computes them with Python arithmetic too; fastconv
runs its pure-Python oracle (`_oracle`) on them, plane by plane over the
batch axes, after the same argument checks and plan as the native path."""

from __future__ import annotations

import numpy as np

from . import _oracle

# The oracle's name of each 'same' anchor rule of the C++ plan.
_ORACLE_ANCHOR = {"centre_low": None, "centre_high": "matlab"}


def _oracle_anchor(rule, taps):
    return tuple(taps) if rule == "taps" else _ORACLE_ANCHOR[rule]


def _in_place(planes, bshape, inner, order):
    """The planes ({batch index: result plane}) as one object array of
    shape bshape + inner, its axes moved back from batch-first `order`."""
    res = np.empty(tuple(bshape) + tuple(inner), dtype=object)
    for b, plane in planes.items():
        res[b] = plane
    return np.moveaxis(res, list(range(res.ndim)), order)


def convolution(flip, in1, in2, mode, axes, boundary, fillvalue, strides, dilations, rule, taps):
    """convolve (flip) or correlate over `axes`, batch axes broadcast."""
    nd = in1.ndim
    batch = [a for a in range(nd) if a not in axes]
    order = batch + list(axes)
    x = np.moveaxis(in1, order, list(range(nd)))
    k = np.moveaxis(in2, order, list(range(nd)))
    nb = len(batch)
    bshape = np.broadcast_shapes(x.shape[:nb], k.shape[:nb])
    x = np.broadcast_to(x, bshape + x.shape[nb:])
    k = np.broadcast_to(k, bshape + k.shape[nb:])
    fn = _oracle.convolve if flip else _oracle.correlate
    kw = dict(
        boundary=boundary,
        fillvalue=fillvalue,
        stride=tuple(strides),
        dilation=tuple(dilations),
        anchor=_oracle_anchor(rule, taps),
    )
    planes = {b: fn(x[b], k[b], mode, **kw) for b in np.ndindex(*bshape)}
    inner = next(iter(planes.values())).shape if planes else ()
    return _in_place(planes, bshape, inner, order)


def separable(in1, col, row, mode, boundary, fillvalue, strides, rule, taps):
    """convolve_separable: the convolution with the kernel col * row^T."""
    return _oracle.convolve(
        in1,
        np.outer(col, row),
        mode,
        boundary=boundary,
        fillvalue=fillvalue,
        stride=tuple(strides),
        anchor=_oracle_anchor(rule, taps),
    )


def conv_transpose(in1, in2, axes, strides, paddings, out_paddings, dilations, shape):
    """conv_transpose over `axes`, into a result of `shape`."""
    nd = in1.ndim
    batch = [a for a in range(nd) if a not in axes]
    order = batch + list(axes)
    x = np.moveaxis(in1, order, list(range(nd)))
    bshape = x.shape[: len(batch)]
    planes = {
        b: _oracle.conv_transpose(x[b], in2, strides, paddings, out_paddings, dilations)
        for b in np.ndindex(*bshape)
    }
    return _in_place(planes, bshape, [shape[a] for a in axes], order)
