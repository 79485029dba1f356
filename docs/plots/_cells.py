"""Drawing helpers of the figures of docs/plots: arrays drawn as grids of
unit cells holding their values, row 0 at the top (the plot directive puts
this folder on sys.path, so the generator modules import it)."""

import matplotlib.pyplot as plt
import numpy as np

EDGE = "#555555"
INPUT, TAP, OTHER_TAP, BOTH, RESULT = "#cfe2f3", "#f9cb9c", "#b4a7d6", "#d5a6bd", "#b6d7a8"


def canvas(width, height, title, scale=0.42):
    """A figure whose axes span `width` x `height` cell units, y downward."""
    fig, ax = plt.subplots(figsize=(scale * width, scale * height + 0.5))
    ax.set_xlim(-0.2, width + 0.2)
    ax.set_ylim(height + 0.2, -0.2)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    return fig, ax


def grid(ax, values, left, top, colours=None, label=None, fontsize=8):
    """2-D `values` as cells, the top-left corner at (left, top); `colours`
    an array of face colours of the same shape (default white), `label` a
    caption under the grid. A NaN value is an empty cell."""
    values = np.atleast_2d(values)
    for (r, c), value in np.ndenumerate(values):
        colour = "white" if colours is None else colours[r][c]
        ax.add_patch(plt.Rectangle((left + c, top + r), 1, 1, fc=colour, ec=EDGE, lw=0.8))
        if not np.isnan(value):
            ax.text(
                left + c + 0.5,
                top + r + 0.5,
                f"{value:g}",
                ha="center",
                va="center",
                fontsize=fontsize,
            )
    if label:
        rows, columns = values.shape
        ax.text(left + columns / 2, top + rows + 0.35, label, ha="center", va="top", fontsize=9)


def caption(ax, x, y, text, fontsize=12):
    """`text` centred at (x, y): an operator between grids."""
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def arrow(ax, x0, x1, y, text=""):
    """A left-to-right arrow from x0 to x1 at height y, `text` above it."""
    ax.annotate("", xy=(x1, y), xytext=(x0, y), arrowprops={"arrowstyle": "->", "color": EDGE})
    if text:
        ax.text((x0 + x1) / 2, y - 0.3, text, ha="center", va="bottom", fontsize=9)


def outline(ax, left, top, rows, columns):
    """A red frame around the cells of a window whose top-left cell is
    (left, top) in data units."""
    ax.add_patch(plt.Rectangle((left, top), columns, rows, fill=False, ec="#cc4125", lw=2.5))


def filled(shape, colour):
    """An array of `shape` face colours, all `colour` (to paint some over)."""
    return np.full(shape, colour, dtype=object)
