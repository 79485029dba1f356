"""`fastconv.nn.conv2d` and `conv3d` over the batch and spatial chunks of a dask array.

>>> import numpy as np, dask.array as da
>>> from fastconv.dask import nn
>>> x = da.ones((2, 1, 4, 4), chunks=(1, 1, 2, 2))
>>> nn.conv2d(x, np.ones((1, 1, 3, 3)), padding=1, padding_mode="replicate").compute()[0, 0, 0]
array([9., 9., 9., 9.])
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import _args, _core, _oracle
from .. import nn as _nn
from . import _dask_input, _graph, _kernel, _no_out, _plan

__all__ = ["conv2d", "conv3d"]

# torch's padding modes as the boundary rules they are within torch's limits
# (reflect padding < n, circular <= n; the core checks them): docs/conventions.md
_BOUNDARY = {"zeros": "fill", "reflect": "mirror", "replicate": "nearest", "circular": "wrap"}


def _conv2d_task(threads, window, kernels, block):
    layer = kernels[0]  # an nn.Conv2d with padding 0: the window holds the padding
    return layer(window, threads=threads)


def _conv3d_task(strides, dilations, groups, threads, window, kernels, block):
    weight, bias = kernels  # (padding 0: the window holds the padding)
    return _nn.conv3d(
        window, weight, bias, strides, 0, dilations, groups, algorithm="direct", threads=threads
    )


def conv2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    *,
    padding_mode="zeros",
    out=None,
    threads=1,
):
    """`fastconv.nn.conv2d` (torch.nn.functional.conv2d) of a dask array of
    shape (N, C, H, W) or (C, H, W) with a NumPy weight (and bias), lazily.

    The batch axis N and the spatial axes H, W keep their chunks (chunks
    smaller than the kernel's reach included; spatial output chunks follow
    the input's, aligned to the stride); the channels are read whole by
    every task (C gathered from all its chunks) and the output channels are
    one chunk. Each task pads its window by `padding_mode` at the image's
    true edges only and runs the in-memory layer on it with padding 0, so
    the value is bitwise that of ``fastconv.nn.conv2d(input.compute(),
    ..., algorithm="direct")``: every chunk is computed directly (Winograd's
    tiles, which "auto" may take in memory, would fall differently in
    each chunk). ``threads=1`` per task by default; `out` is not
    supported.

    Parameters
    ----------
    input : dask.array.Array or array_like
        Shape (N, C, H, W) or (C, H, W); the channel axis is read whole by every task.
    weight, bias : numpy.ndarray or array_like
        In memory, as for `fastconv.nn.conv2d`.
    stride, padding, dilation, groups, padding_mode
        As in `fastconv.nn.conv2d`.
    out : None
        Not supported.
    threads : int or None
        Threads per task (default 1); None: `fastconv.get_num_threads()`.

    Returns
    -------
    dask.array.Array
        Lazy, with the value of ``fastconv.nn.conv2d(input.compute(), ...,
        algorithm="direct")``.

    Raises
    ------
    TypeError
        A dask array as the weight or bias, an `out`, or what the in-memory
        layer refuses by type.
    ValueError
        Unknown chunk sizes, and what the in-memory layer refuses, when the
        graph is built.

    Notes
    -----
    Accuracy: the in-memory function's result (`fastconv.nn.conv2d`, its bounds) for any
    chunking and on a distributed cluster, bitwise for the direct path on every instruction
    set: each output's bits do not depend on its position in the array or on the block that
    computes it. docs/guarantees.md lists each promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from fastconv import nn as memory_nn
    >>> from fastconv.dask import nn
    >>> x = np.random.default_rng(0).standard_normal((2, 3, 9, 9))
    >>> w = np.ones((4, 3, 3, 3))
    >>> lazy = nn.conv2d(da.from_array(x, chunks=(1, 3, 4, 4)), w, stride=2, padding="valid")
    >>> np.array_equal(lazy.compute(), memory_nn.conv2d(x, w, stride=2, algorithm="direct"))
    True
    """
    return _conv(
        input, weight, bias, stride, padding, dilation, groups, padding_mode, out, threads, 2
    )


def conv3d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    *,
    padding_mode="zeros",
    out=None,
    threads=1,
):
    """`fastconv.nn.conv3d` (torch.nn.functional.conv3d) of a dask array of
    shape (N, C, D, H, W) or (C, D, H, W) with a NumPy weight (and bias),
    lazily: a volume larger than memory.

    As `conv2d` with a depth axis: N, D, H and W keep their chunks, the
    channels are read whole, and the value is bitwise that of
    ``fastconv.nn.conv3d(input.compute(), ..., algorithm="direct")`` for
    any chunking. ``threads=1`` per task by default; `out` is not
    supported.

    Parameters
    ----------
    input : dask.array.Array or array_like
        Shape (N, C, D, H, W) or (C, D, H, W); the channel axis is read
        whole by every task.
    weight, bias, stride, padding, dilation, groups, padding_mode, out, threads
        As in `conv2d`, for `fastconv.nn.conv3d`.

    Returns
    -------
    dask.array.Array
        Lazy, with the value of ``fastconv.nn.conv3d(input.compute(), ...,
        algorithm="direct")``.

    Raises
    ------
    TypeError, ValueError
        As `conv2d`.

    Notes
    -----
    Accuracy: as `conv2d`'s (the in-memory `fastconv.nn.conv3d`'s result for any chunking).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from fastconv import nn as memory_nn
    >>> from fastconv.dask import nn
    >>> x = np.random.default_rng(0).standard_normal((1, 2, 9, 8, 7))
    >>> w = np.ones((3, 2, 3, 3, 3))
    >>> lazy = nn.conv3d(da.from_array(x, chunks=(1, 2, 4, 4, 4)), w, padding=1)
    >>> np.array_equal(lazy.compute(), memory_nn.conv3d(x, w, padding=1, algorithm="direct"))
    True
    """
    return _conv(
        input, weight, bias, stride, padding, dilation, groups, padding_mode, out, threads, 3
    )


def _conv(
    input, weight, bias, stride, padding, dilation, groups, padding_mode, out, threads, naxes
):
    name = f"conv{naxes}d"
    x = _dask_input(input, "input")
    w = _kernel(weight, "weight")
    b = None if bias is None else _kernel(bias, "bias")
    _no_out(out)
    if x.dtype.kind == "O":
        raise TypeError(f"input: {name} needs numbers, got dtype object")
    spatial = "D, H, W" if naxes == 3 else "H, W"
    if x.ndim not in (naxes + 1, naxes + 2):
        raise ValueError(
            f"input: {name} expects shape (N, C, {spatial}) or (C, {spatial}), got {x.shape}"
        )
    w, b = _nn._weight_arrays(w, b, naxes, name, "Cout, C/groups")
    _nn._check_conv_bias(w, b)
    batched = x.ndim == naxes + 2
    if not batched:
        x = x[None]
    # (the in-memory layer's parsing; "same" with a stride is refused below)
    strides, dilations, pads, same, groups, padding_mode, _ = _nn._conv_options(
        stride, padding, dilation, groups, padding_mode, "direct", naxes
    )
    nthreads = _args.threads_arg(threads)
    # (left, right) per spatial axis by torch's rule; the core checks the
    # rest (padding mode name and limits, sizes) on the whole shape, as the
    # in-memory layer does
    pairs = _oracle.layer_padding(padding, w.shape[2:], strides, dilations)
    if naxes == 2:
        shape = _core.plan_conv_layer(
            x.shape,
            w.shape,
            strides,
            dilations,
            [p for p, _ in pairs],
            [q for _, q in pairs],
            False,
            groups,
            padding_mode,
            "direct",
        ).shape
    else:
        shape = _core.conv3d_output_shape(
            x.shape, w.shape, strides, dilations, pads, same, groups, padding_mode
        )
    result_dtype = np.result_type(*(a for a in (x.dtype, w, b) if a is not None))
    _args.check_result_size(shape, result_dtype)
    boundary = _BOUNDARY[padding_mode]

    plans = [_plan.batch_axis(x.chunks[0], x.shape[0], 1), _plan.whole_axis(x.shape[1], shape[1])]
    for a in range(2, naxes + 2):
        j = a - 2
        plans.append(
            _plan.correlation_axis(
                x.chunks[a],
                x.shape[a],
                w.shape[a],
                strides[j],
                dilations[j],
                -pairs[j][0],
                shape[a],
                boundary,
            )
        )
    if naxes == 2:
        # One layer object, packed once per process that holds it: it is one
        # key of the graph (a "kernel" of _graph.build), which every task names
        # as a dependency. The threaded and synchronous schedulers hand every
        # task this very object; a distributed worker deserializes a key once
        # (unpickling packs: Conv2d.__reduce__) and gives its tasks the same
        # object. (tests/test_dask.py counts the packings, threaded and on a
        # cluster.) Only dask's "processes" scheduler, which pickles a task's
        # dependencies with every task, packs once per task.
        kernels = (_nn.Conv2d(w, b, strides, 0, dilations, groups, algorithm="direct"),)
        task = partial(_conv2d_task, nthreads)
    else:  # (the weight and bias as keys: the 3-D layer packs per call)
        kernels = (w, b)
        task = partial(_conv3d_task, strides, dilations, groups, nthreads)
    res = _graph.build(
        name, x, plans, task, result_dtype, kernels, result_dtype, np.zeros((), result_dtype)
    )
    return res if batched else res[0]
