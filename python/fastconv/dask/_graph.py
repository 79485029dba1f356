"""The graph of a fastconv.dask call, built from the planner's AxisPlans.

Per output chunk: one small `getitem` task per input chunk it reads from
(only the part it reads: a neighbour's halo, not its whole chunk, so that
little data moves between workers), and one task that assembles the
window -- the parts, in order, with the boundary's repeats and the fill
at the true edges -- and runs the in-memory function on it. The kernel is
stored in the graph once. Output chunks are given to dask explicitly.
"""

from __future__ import annotations

import itertools
import operator

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from . import _plan


def _assemble(parts, shape_of_parts, per_axis, fill, dtype):
    """The window, in `dtype`, written once: the fill along each axis that
    has one, then every run of every part (the parts are an N-D grid of
    `shape_of_parts`, flattened in C order)."""
    if len(parts) == 1 and all(
        p.fill is None
        and len(p.runs) == 1
        and p.runs[0][1] == slice(0, p.length)
        and p.runs[0][2] == slice(0, p.length)
        for p in per_axis
    ):
        return np.asarray(parts[0]).astype(dtype, copy=False)  # (no halo: the block itself)
    window = np.empty(tuple(p.length for p in per_axis), dtype)
    for axis, p in enumerate(per_axis):
        if p.fill is not None:
            window[(slice(None),) * axis + (p.fill,)] = fill
    for combo in itertools.product(*(p.runs for p in per_axis)):
        part = parts[int(np.ravel_multi_index([r[0] for r in combo], shape_of_parts))]
        dst = [r[1] for r in combo]
        src = [r[2] for r in combo]
        if (
            max(
                sum(isinstance(i, np.ndarray) for i in dst),
                sum(isinstance(i, np.ndarray) for i in src),
            )
            > 1
        ):  # (outer, not zipped, indexing)
            dst = np.ix_(*(np.arange(window.shape[a])[i] for a, i in enumerate(dst)))
            src = np.ix_(*(np.arange(part.shape[a])[i] for a, i in enumerate(src)))
        window[tuple(dst)] = part[tuple(src)]
    return window


def _block_task(func, parts, shape_of_parts, per_axis, fill, dtype, kernels, block, out_shape):
    window = _assemble(parts, shape_of_parts, per_axis, fill, dtype)
    res = func(window, kernels, block)
    if res.shape != out_shape:  # (a planner bug, never the user's: say so loudly)
        raise AssertionError(
            f"fastconv.dask: block {block} has shape {res.shape}, expected {out_shape}"
        )
    return res


def build(name, x, plans, func, dtype, kernels, window_dtype, fill):
    """A dask array of chunks `[p.chunks for p in plans]` whose block b is
    ``func(window_b, kernels_b, b)``.

    plans: one `_plan.AxisPlan` per axis of `x` (and of the result).
    func: runs the in-memory function on a window; gets the kernels sliced
        for the block (batch axes) and the block index.
    kernels: NumPy arrays (or None), or objects that dask can tokenize
        (a layer object), stored in the graph once.
    window_dtype, fill: the window's dtype and the value of its fill samples.
    """
    token = tokenize(
        name,
        x,
        [
            (p.chunks, None if p.reads is None else [r.tobytes() for r in p.reads], p.kernel)
            for p in plans
        ],
        [k.tobytes() if isinstance(k, np.ndarray) else k for k in kernels],
        str(dtype),
        str(window_dtype),
        repr(fill),
        func,
    )
    out_name = f"{name}-{token}"
    part_name = f"{name}-halo-{token}"
    kernel_keys = []
    dsk = {}
    for i, k in enumerate(kernels):
        if k is None:
            kernel_keys.append(None)
        else:
            key = (f"{name}-kernel-{token}", i)
            dsk[key] = k
            kernel_keys.append(key)

    # Per axis and output chunk: which parts of which input chunks, and the runs.
    axis_pieces = []
    for a, p in enumerate(plans):
        if p.reads is None:
            axis_pieces.append(
                [
                    _plan.Pieces(((j, slice(None)),), ((0, slice(0, n), slice(0, n)),), None, n)
                    for j, n in enumerate(x.chunks[a])
                ]
            )
        else:
            axis_pieces.append([_plan.pieces(r, x.chunks[a]) for r in p.reads])

    for block in itertools.product(*(range(len(p.chunks)) for p in plans)):
        per_axis = [axis_pieces[a][j] for a, j in enumerate(block)]
        shape_of_parts = tuple(len(pc.parts) for pc in per_axis)
        keys = []
        for n, combo in enumerate(itertools.product(*(pc.parts for pc in per_axis))):
            src = (x.name,) + tuple(c for c, _ in combo)
            slices = tuple(s for _, s in combo)
            whole = all(
                s == slice(None) or (s.start == 0 and s.stop == x.chunks[a][c])
                for a, (c, s) in enumerate(combo)
            )
            if whole:
                keys.append(src)
            else:
                key = (part_name,) + block + (n,)
                dsk[key] = (operator.getitem, src, slices)
                keys.append(key)
        ksl = []
        for i, key in enumerate(kernel_keys):
            if key is None:
                ksl.append(None)
                continue
            index = tuple(
                slice(None) if p.kernel is None else p.kernel[j] for p, j in zip(plans, block)
            )
            sliced = (
                isinstance(kernels[i], np.ndarray)
                and kernels[i].ndim == len(plans)
                and any(p.kernel for p in plans)
            )
            ksl.append((operator.getitem, key, index) if sliced else key)
        out_shape = tuple(p.chunks[j] for p, j in zip(plans, block))
        dsk[(out_name,) + block] = (
            _block_task,
            func,
            keys,
            shape_of_parts,
            per_axis,
            fill,
            window_dtype,
            ksl,
            block,
            out_shape,
        )
    graph = HighLevelGraph.from_collections(out_name, dsk, dependencies=[x])
    return da.Array(
        graph,
        out_name,
        tuple(p.chunks for p in plans),
        dtype=dtype,
        meta=np.empty((0,) * len(plans), dtype),
    )
