"""The one planner of fastconv.dask: which input samples each output chunk
reads, per axis.

Every operation is described per output axis by an `AxisPlan`: its output
chunks and, for each chunk, the input positions it reads in order (an
int64 array indexing the input axis, -1 for a sample of the constant
fill). The boundary rule is applied here, once, at the array's true edges
(positions past an edge are mapped by `fastconv._oracle.extend_index`, the
Python statement of the rule the C++ core applies); positions between
chunks simply index the neighbouring chunks. The graph builder
(`_graph.py`) gathers those samples into one window per output chunk, and
the in-memory function computes the chunk from its window alone.

Nothing here imports dask: it is plain arithmetic on shapes and chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import _oracle


@dataclass(frozen=True)
class AxisPlan:
    """One axis of the result.

    chunks: the output chunk sizes (given to dask explicitly).
    reads: None for an axis whose output chunk b is input chunk b (a batch
        axis); else, per output chunk, the input positions its window holds
        (-1: the fill).
    kernel: per output chunk, the slice of the kernel's axis it uses (batch
        axes of a kernel that is not broadcast), or None (the whole axis).
    """

    chunks: tuple[int, ...]
    reads: tuple[np.ndarray, ...] | None = None
    kernel: tuple[slice, ...] | None = None


def batch_axis(in_chunks, n, kernel_n):
    """A batch axis of a signal function: the input's chunks, with the
    kernel sliced alike when it is not broadcast; an input of extent 1
    broadcast against a longer kernel axis gives one chunk."""
    if n == 1 and kernel_n > 1:
        return AxisPlan((kernel_n,), (np.zeros(1, np.int64),))
    kernel = None
    if kernel_n > 1:
        bounds = np.cumsum((0,) + tuple(in_chunks))
        kernel = tuple(slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]))
    return AxisPlan(tuple(in_chunks), None, kernel)


def whole_axis(n, out_len):
    """One output chunk of `out_len` that reads the whole input axis (the
    in-memory function then sees the axis as it is)."""
    return AxisPlan((int(out_len),), (np.arange(n, dtype=np.int64),))


def _extend(positions, n, boundary):
    """Input index of each position of the extended input (-1: the fill)."""
    idx = np.asarray(positions, dtype=np.int64).copy()
    outside = (idx < 0) | (idx >= n)
    if outside.any():
        idx[outside] = [
            -1 if (i := _oracle.extend_index(int(t), n, boundary)) is None else i
            for t in idx[outside]
        ]
    return idx


def _split(bounds, out_len):
    """Output chunk sizes from the first output of every input chunk
    (monotonic, clipped to [0, out_len]); empty chunks are dropped."""
    edges = [0] + [min(max(int(b), 0), out_len) for b in bounds] + [out_len]
    sizes = tuple(b - a for a, b in zip(edges[:-1], edges[1:]) if b > a)
    return sizes or (out_len,)


def _starts(chunks):
    return np.cumsum((0,) + tuple(chunks))[:-1]


def correlation_axis(in_chunks, n, taps, stride, dilation, origin, out_len, boundary):
    """A convolved axis of out[i] = sum_p x~[i*stride + p*dilation + origin] * k[p]
    (the core's form of every mode and anchor; convolution flips k).

    Output i goes with the input chunk holding sample origin + i*stride + ke//2
    of its window (for 'same' that is sample i: the output chunks are the
    input's), so the output chunks follow the input's and no output is in
    two chunks;
    chunk [i0, i1) reads x~[origin + i0*stride, origin + (i1-1)*stride + ke),
    however many input chunks (or periods of the boundary rule) that spans.
    """
    ke = dilation * (taps - 1) + 1
    centre = origin + ke // 2
    bounds = [-((centre - b) // stride) for b in _starts(in_chunks)[1:]]  # ceil((b - centre) / s)
    chunks = _split(bounds, out_len)
    reads = []
    for i0, m in zip(_starts(chunks), chunks):
        lo = origin + int(i0) * stride
        reads.append(_extend(np.arange(lo, lo + (m - 1) * stride + ke), n, boundary))
    return AxisPlan(chunks, tuple(reads))


def transpose_axis(in_chunks, n, taps, stride, dilation, padding, out_len):
    """A transposed axis, out[i*stride + j*dilation - padding] += x[i] * k[j].

    Output o goes with the input chunk of i = (o + padding - (ke-1)//2) // stride;
    chunk [o0, o1) reads the inputs that reach it, x[i] for
    ceil((o0 + padding - ke + 1) / stride) <= i <= (o1 - 1 + padding) // stride
    (clipped to the input; possibly none, when the stride leaves gaps).
    """
    ke = dilation * (taps - 1) + 1
    shift = (ke - 1) // 2 - padding
    chunks = _split([int(b) * stride + shift for b in _starts(in_chunks)[1:]], out_len)
    reads = []
    for o0, m in zip(_starts(chunks), chunks):
        lo = max(0, -((ke - 1 - int(o0) - padding) // stride))
        hi = min(n, (int(o0) + m - 1 + padding) // stride + 1)
        reads.append(np.arange(lo, max(hi, lo), dtype=np.int64))
    return AxisPlan(chunks, tuple(reads))


def transpose_crop(read, o0, m, stride, padding):
    """Where output chunk [o0, o0+m) lies in the transposed convolution of
    its window x[read[0]:...] computed with padding 0: [c0, c0 + m)."""
    first = int(read[0]) if read.size else 0
    return o0 - first * stride + padding


@dataclass(frozen=True)
class Pieces:
    """How one output chunk's window along one axis is gathered.

    parts: (input chunk index, slice within that chunk): only the part of
        each chunk that the window reads (neighbours contribute their halo,
        not their whole chunk).
    runs: (part number, window positions, positions within the part), each
        a slice (a step of 1 or -1: the boundary's reflections) or an index
        array (a repeated edge); together they write every sample once.
    fill: the window positions of the constant fill, or None.
    length: the window's length.
    """

    parts: tuple[tuple[int, slice], ...]
    runs: tuple[tuple, ...]
    fill: np.ndarray | None
    length: int


def _as_slice(v):
    """A slice for an arithmetic run of step 1 or -1, else the array."""
    if v.size == 1:
        return slice(int(v[0]), int(v[0]) + 1)
    step = int(v[1] - v[0])
    if step in (1, -1) and np.all(np.diff(v) == step):
        stop = int(v[-1]) + step
        return slice(int(v[0]), stop if stop >= 0 else None, step)
    return v


def pieces(read: np.ndarray, in_chunks: Sequence[int]) -> Pieces:
    """Split the positions a window reads into runs over slices of the
    input chunks they fall in."""
    starts = _starts(in_chunks)
    mask = read >= 0
    fill = np.flatnonzero(~mask) if not mask.all() else None
    pos = np.flatnonzero(mask)
    real = read[mask]
    if real.size == 0:  # only fill (or nothing): one sample of chunk 0 to hold the dtype
        return Pieces(((0, slice(0, 1)),), (), fill, int(read.size))
    which = np.searchsorted(starts, real, side="right") - 1
    parts, runs = [], []
    # consecutive positions from one chunk with one step form a run
    local = real - starts[which]
    cut = (
        np.flatnonzero(
            (np.diff(which) != 0)
            | (np.diff(pos) != 1)
            | (np.diff(np.diff(local, prepend=local[0] - 1)) != 0)
        )
        + 1
    )
    bounds = np.concatenate(([0], cut, [real.size]))
    part_of = {}
    for c in np.unique(which):
        inside = local[which == c]
        a, b = int(inside.min()), int(inside.max()) + 1
        part_of[int(c)] = (len(parts), a)
        parts.append((int(c), slice(a, b)))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi <= lo:
            continue
        number, a = part_of[int(which[lo])]
        runs.append((number, _as_slice(pos[lo:hi]), _as_slice(local[lo:hi] - a)))
    return Pieces(tuple(parts), tuple(runs), fill, int(read.size))
