"""The figures of docs/guide/modes.rst, drawn at build time (matplotlib's
plot directive) from what fastconv computes: each row of cells is an
array, placed under the input samples its outputs are centred on."""

import matplotlib.pyplot as plt
import numpy as np

import fastconv

X = np.arange(1, 7)  # the input of every figure: 1 2 3 4 5 6
INPUT, PADDING, KEPT, DROPPED = "#cfe2f3", "#eeeeee", "#b6d7a8", "#ffffff"


def _row(ax, y, first, values, label, colours):
    """One array as a row of unit cells, the first centred at x = first."""
    for i, (value, colour) in enumerate(zip(values, colours)):
        ax.add_patch(plt.Rectangle((first + i - 0.5, y - 0.4), 1, 0.8, fc=colour, ec="#555555"))
        ax.text(first + i, y, f"{value:g}", ha="center", va="center", fontsize=9)
    ax.text(-6.4, y, label, ha="left", va="center", fontsize=9)


def _axes(rows, title):
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * rows + 0.6))
    ax.set_xlim(-6.5, len(X) + 3)
    ax.set_ylim(-rows + 0.4, 0.6)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    return fig, ax


def modes():
    """full, same and valid of a 3-tap kernel: the same sums, cropped."""
    k = np.ones(3)
    full = fastconv.convolve(X, k, "full")
    fig, ax = _axes(4, "convolve(x, [1, 1, 1], mode): output f centred on input f - 1")
    _row(ax, 0, 0, X, "in1 (n = 6)", [INPUT] * len(X))
    for y, mode in ((-1, "full"), (-2, "same"), (-3, "valid")):
        out = fastconv.convolve(X, k, mode)
        start = {"full": 0, "same": (len(k) - 1) // 2, "valid": len(k) - 1}[mode]
        kept = [KEPT if start <= f < start + len(out) else DROPPED for f in range(len(full))]
        assert np.array_equal(full[start : start + len(out)], out)
        _row(ax, y, -1, full, f"{mode} ({len(out)})", kept)
    fig.tight_layout()


def boundaries():
    """The input extended by each boundary rule, three samples each side:
    full convolutions with a unit impulse at either end of the kernel."""
    reach = 3
    left_impulse = np.eye(reach + 1)[reach]  # full output f is x~[f - reach]
    right_impulse = np.eye(reach + 1)[0]  # full output f is x~[f]
    rules = ["fill", "wrap", "symm", "mirror", "nearest"]
    fig, ax = _axes(len(rules), "boundary=...: in1 extended past its edges (fillvalue=0)")
    for y, rule in zip(range(0, -len(rules), -1), rules):
        left = fastconv.convolve(X, left_impulse, "full", boundary=rule)[:reach]
        right = fastconv.convolve(X, right_impulse, "full", boundary=rule)[len(X) :]
        extended = np.concatenate([left, X, right])
        colours = [PADDING] * reach + [INPUT] * len(X) + [PADDING] * reach
        _row(ax, y, -reach, extended, rule, colours)
    fig.tight_layout()


def anchors():
    """An even kernel: 'same' keeps n of the n + 3 full outputs, starting
    at (ke-1)//2 (scipy) or ke//2 (anchor='matlab')."""
    k = np.ones(4)
    full = fastconv.convolve(X, k, "full")
    fig, ax = _axes(4, "convolve(x, [1, 1, 1, 1]): output f centred on input f - 1.5")
    _row(ax, 0, 0, X, "in1", [INPUT] * len(X))
    _row(ax, -1, -1.5, full, "full", [DROPPED] * len(full))
    for y, anchor, start in ((-2, None, 1), (-3, "matlab", 2)):
        out = fastconv.convolve(X, k, "same", anchor=anchor)
        assert np.array_equal(full[start : start + len(X)], out)
        _row(ax, y, start - 1.5, out, f"same, anchor={anchor}", [KEPT] * len(out))
    fig.tight_layout()
