"""The figures of docs/guide/transposed.rst: the tutorial's transposed
convolution of a 2x2 input with a 4x4 kernel at stride 3, drawn from what
fastconv.nn.conv_transpose2d computes: as four scaled copies of the kernel
summed 3 apart, and as a convolution of the zero-inserted input."""

import numpy as np
from _cells import INPUT, RESULT, TAP, canvas, caption, filled, grid, outline

from fastconv import nn

X = np.array([[1.0, 2.0], [3.0, 4.0]])
W = np.array(
    [[1.0, 2.0, 1.0, 0.0], [0.0, 1.0, 2.0, 1.0], [1.0, 0.0, 1.0, 2.0], [2.0, 1.0, 0.0, 1.0]]
)
STRIDE = 3
OUT = nn.conv_transpose2d(X[None, None], W[None, None], stride=STRIDE)[0, 0]  # 7 x 7
SIZE = OUT.shape[0]
PALE = "#f3f3f3"


def scatter():
    """x[i, j] * w placed at (3i, 3j) for each of the four input pixels;
    their sum is conv_transpose2d's output."""
    title = "conv_transpose2d(x, w, stride=3):\neach x[i, j] scales w, placed at (3i, 3j)"
    fig, ax = canvas(25, 25.5, title, 0.28)
    grid(ax, X, 5, 1, filled(X.shape, INPUT), "x", fontsize=8)
    grid(ax, W, 10, 0, filled(W.shape, TAP), "w", fontsize=8)
    total = np.zeros_like(OUT)
    for (i, j), value in np.ndenumerate(X):
        copy = np.full_like(OUT, np.nan)
        copy[STRIDE * i : STRIDE * i + 4, STRIDE * j : STRIDE * j + 4] = value * W
        total += np.nan_to_num(copy)
        colours = np.where(np.isnan(copy), "white", TAP)
        left, top = 8.5 * j, 6.5 + 9.5 * i
        grid(ax, copy, left, top, colours, f"x[{i}, {j}] * w = {value:g} * w", fontsize=8)
    assert np.array_equal(total, OUT)
    for left, top in ((7.75, 10), (7.75, 19.5), (3.5, 15.2), (12, 15.2)):
        caption(ax, left, top, "+")
    caption(ax, 16.75, 15.2, "=")
    grid(ax, OUT, 17.5, 11.7, filled(OUT.shape, RESULT), "out: 7 x 7", fontsize=8)
    fig.tight_layout()


def zero_insertion():
    """The same output as stride - 1 zeros inserted between the input's
    pixels, padded by k - 1, and correlated with the flipped kernel (what
    nn.conv2d computes): the window of one output is outlined."""
    k = W.shape[0]
    inserted = np.zeros((STRIDE * (X.shape[0] - 1) + 1,) * 2)
    inserted[::STRIDE, ::STRIDE] = X
    padded = np.pad(inserted, k - 1)
    flipped = W[::-1, ::-1]
    assert np.array_equal(nn.conv2d(padded[None, None], flipped[None, None])[0, 0], OUT)

    colours = filled(padded.shape, PALE)
    colours[k - 1 : -(k - 1), k - 1 : -(k - 1)] = "white"
    colours[k - 1 : -(k - 1) : STRIDE, k - 1 : -(k - 1) : STRIDE] = INPUT
    row, column = 2, 3  # the output whose window is drawn
    window = padded[row : row + k, column : column + k]
    assert (window * flipped).sum() == OUT[row, column]
    out_colours = filled(OUT.shape, RESULT)
    out_colours[row, column] = TAP

    title = "zeros inserted (white), padded by k - 1 (grey),\ncorrelated with the flipped w"
    fig, ax = canvas(23.8, 11.5, title, 0.29)
    grid(ax, padded, 0, 0, colours, "x, 2 zeros between pixels, padded by 3", fontsize=8)
    outline(ax, column, row, k, k)
    grid(ax, flipped, 11, 3, filled(flipped.shape, TAP), "w flipped", fontsize=8)
    caption(ax, 15.75, 5, "=")
    grid(ax, OUT, 16.5, 1.5, out_colours, "out: 7 x 7", fontsize=8)
    fig.tight_layout()
