"""The figure of docs/guide/pooling.rst: 2x2 max-pooling of a 4x4 input
with its indices, and max_unpool2d putting each maximum back, drawn from
what fastconv.nn computes."""

import numpy as np
from _cells import RESULT, arrow, canvas, filled, grid, outline

from fastconv import nn

X = np.array([[1.0, 6, 2, 0], [5, 3, 7, 4], [8, 2, 0, 9], [4, 1, 3, 6]])
WINDOWS = np.array([["#cfe2f3", "#fff2cc"], ["#d9ead3", "#f4cccc"]])  # one colour per window


def unpooling():
    """Input, maxima, indices and the unpooled array, each window in its colour."""
    values, indices = nn.max_pool2d(X[None], 2, return_indices=True)
    values, indices = values[0], indices[0]
    unpooled = nn.max_unpool2d(values[None], indices[None], 2)[0]
    assert np.array_equal(unpooled.flat[indices.ravel()], values.ravel())
    input_colours = WINDOWS.repeat(2, axis=0).repeat(2, axis=1)
    unpooled_colours = np.where(unpooled == 0, "white", input_colours)

    fig, ax = canvas(
        21.5,
        6,
        "max_pool2d(x, 2, return_indices=True), then max_unpool2d(values, indices, 2)",
        0.34,
    )
    grid(ax, X, 0, 0.5, input_colours, "x (4 x 4)")
    for index in indices.ravel():
        outline(ax, index % 4, 0.5 + index // 4, 1, 1)
    arrow(ax, 4.3, 6.2, 2.5, "max")
    grid(ax, values, 6.5, 1.5, WINDOWS, "values")
    grid(ax, indices, 9.5, 1.5, filled(indices.shape, RESULT), "indices")
    ax.text(10.5, 4.9, "(row * 4 + column)", ha="center", va="top", fontsize=8)
    arrow(ax, 12, 16.6, 2.5, "max_unpool2d")
    grid(ax, unpooled, 17, 0.5, unpooled_colours, "unpooled (4 x 4)")
    fig.tight_layout()
