"""The figures of docs/guide/strided.rst: which input cells a 3x3 kernel
reads for two neighbouring outputs, at stride 2 and at dilation 2, with the
outputs computed by fastconv.nn.conv2d (and checked against those cells)."""

import numpy as np
from _cells import BOTH, INPUT, OTHER_TAP, RESULT, TAP, arrow, canvas, filled, grid

from fastconv import nn

X = np.random.default_rng(0).integers(0, 10, (7, 7)).astype(float)
ONES = np.ones((1, 1, 3, 3))  # out[i, j] is the sum of the cells it reads


def _taps(i, j, stride, dilation):
    """The (row, column) input cells that output (i, j) reads."""
    return [
        (i * stride + p * dilation, j * stride + q * dilation) for p in range(3) for q in range(3)
    ]


def _draw(stride, dilation):
    out = nn.conv2d(X[None, None], ONES, stride=stride, dilation=dilation)[0, 0]
    first, second = _taps(0, 0, stride, dilation), _taps(0, 1, stride, dilation)
    colours = filled(X.shape, INPUT)
    for cell in first:
        colours[cell] = TAP
    for cell in second:
        colours[cell] = BOTH if cell in first else OTHER_TAP
    out_colours = filled(out.shape, RESULT)
    out_colours[0, 0], out_colours[0, 1] = TAP, OTHER_TAP
    for value, cells in ((out[0, 0], first), (out[0, 1], second)):
        assert value == sum(X[cell] for cell in cells)

    size = (7 - dilation * 2 - 1) // stride + 1
    fig, ax = canvas(
        13, 8.4, f"nn.conv2d(x, ones((1, 1, 3, 3)), stride={stride}, dilation={dilation})"
    )
    grid(ax, X, 0, 0, colours, "x: 7 x 7")
    arrow(ax, 7.4, 9.6, 3.5, "sums")
    grid(ax, out, 10, 2, out_colours, f"out: {size} x {size}")
    fig.tight_layout()


def stride():
    """Stride 2: the windows of neighbouring outputs start 2 cells apart
    (and overlap in one column)."""
    _draw(stride=2, dilation=1)


def dilation():
    """Dilation 2: each output's taps are 2 cells apart, a 5x5 footprint;
    neighbouring outputs interleave."""
    _draw(stride=1, dilation=2)
