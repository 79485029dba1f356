"""fastconv on dask arrays: images and signals larger than one machine's memory.

`convolve`, `correlate`, `convolve2d`, `correlate2d`, `convolve_separable`,
`conv_transpose`, `nn.conv2d` and `nn.conv3d` take a dask array (and a NumPy kernel)
with the in-memory signature and return a lazy dask array whose computed
value equals the in-memory function's -- bitwise for the direct path --
for every mode, boundary, stride, dilation, anchor and chunking. Runs on
any dask scheduler, distributed included. Needs ``pip install
"fastconv[dask]"``; ``import fastconv`` never imports dask.

How it works
------------
One planner (`fastconv.dask._plan`) maps every output chunk to the input
samples it reads: the chunk's window, with its halo taken from as many
neighbouring chunks as the kernel reaches and the boundary rule applied
at the array's true edges only (dask's own ``boundary=`` is not used, so
its names never meet fastconv's). Each task gathers its window and runs
the in-memory function on it in 'valid' mode, with the GIL released:

- Output chunks are explicit and follow the input's chunks (output i goes
  with the input chunk holding its window's centre), aligned to the
  stride: every output sample is computed by exactly one task, in the same
  way as in memory, hence the same bits.
- The input is never rechunked: chunks smaller than the kernel's reach
  (size 1 included) simply contribute to several windows, and a kernel
  larger than the whole axis repeats the boundary rule as in memory.
  Batch axes keep their chunks.
- ``threads=1`` by default: dask's workers supply the parallelism (one
  task per core); pass ``threads=None`` for fastconv's global setting or
  an int to use more threads per task.

Methods: ``method="auto"`` takes the path the in-memory rule takes from
the shapes alone -- separable for a rank-one 2-D kernel where in memory it
would, else direct -- and never the FFT (the in-memory rule would first
have to scan the whole array for NaN and Inf). ``"direct"`` is the direct
path. ``"fft"`` runs the FFT path on each chunk's window: equal to the
in-memory result to the FFT's normwise accuracy (see docs/conventions.md),
not bitwise.

Exceptions to the bitwise rule, both by rounding only: the separable path
with ``boundary="fill"`` and a non-zero ``fillvalue`` (in memory the
filled columns become ``fillvalue * sum(col)``, one product; a window
holds the fill samples themselves). And one case that changes the plan:
with a zero fill and a kernel holding Inf or NaN, the outside is no term
of the sum (docs/conventions.md), which a padded window cannot express;
then every task gets the whole extent of the convolved axes (batch axes
stay chunked), exactly as in memory. So does scipy's 'valid' swap (a
kernel larger than the array in every axis: the result is the kernel's
size).

Examples
--------
>>> import numpy as np, dask.array as da
>>> import fastconv, fastconv.dask
>>> x = np.arange(20.0).reshape(4, 5)
>>> k = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> lazy = fastconv.dask.convolve2d(da.from_array(x, chunks=2), k, "same", "symm")
>>> lazy.chunks
((2, 2), (2, 2, 1))
>>> np.array_equal(lazy.compute(), fastconv.convolve2d(x, k, "same", "symm"))
True
"""

from __future__ import annotations

from functools import partial

import numpy as np

try:
    import dask.array as da
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError(
        'fastconv.dask needs dask: pip install "fastconv[dask]" (or "dask[array]")'
    ) from e

from .. import _args, _core, _cost, _signal, _transpose
from . import _graph, _plan

__all__ = [
    "convolve",
    "correlate",
    "convolve2d",
    "correlate2d",
    "convolve_separable",
    "conv_transpose",
    "nn",
]


# -- arguments ---------------------------------------------------------------


def _dask_input(a, name):
    """A dask array (NumPy input is wrapped as one chunk), numeric dtype."""
    x = a if isinstance(a, da.Array) else da.asarray(a)
    _args.as_input(np.empty(0, x.dtype), name)  # (TypeError for non-numeric dtypes)
    if any(np.isnan(c) for cs in x.chunks for c in cs):
        raise ValueError(f"{name}: unknown chunk sizes (call compute_chunk_sizes() first)")
    return x


def _kernel(a, name):
    """The kernel: a NumPy array (a dask array is refused: every task needs all of it)."""
    if isinstance(a, da.Array):
        raise TypeError(
            f"{name}: the kernel must be a NumPy array (every task needs all of "
            f"it), got a dask array; pass {name}.compute()"
        )
    return _args.as_input(a, name)


def _no_out(out):
    if out is not None:
        raise TypeError(
            "out: not supported by fastconv.dask (the result is a lazy dask "
            "array; write it with dask.array.store or to_zarr)"
        )


def _eager(x, func, name):
    """Calls with nothing to chunk (a 0-d input, or an empty input or
    result): the in-memory function decides the result and the errors (on
    a broadcast zero of x's shape: no data is read, nothing allocated);
    0-d inputs are computed lazily."""
    probe = np.asarray(func(np.broadcast_to(np.zeros((), x.dtype), x.shape)))
    if x.ndim == 0:
        return x.map_blocks(func, dtype=probe.dtype, chunks=(), name=f"{name}-{x.name}")
    if probe.size != 0:  # (never: the callers send empty results only)
        raise AssertionError("fastconv.dask: a non-empty result taken for an empty one")
    return da.from_array(probe, chunks=-1)


def _finite(a):
    return bool(np.isfinite(a).all()) if a.dtype.kind in "fc" else True


# -- the tasks (module-level partials: dask tokenizes their arguments) --------


def _filter_task(
    conv,
    mode,
    axes,
    strides,
    dilations,
    boundary,
    fillvalue,
    anchor,
    method,
    threads,
    window,
    kernels,
    block,
):
    return _signal._filter(
        conv,
        window,
        kernels[0],
        mode,
        axes,
        strides,
        dilations,
        boundary,
        fillvalue,
        anchor,
        None,
        threads,
        method,
    )


def _separable_task(mode, strides, boundary, fillvalue, anchor, threads, window, kernels, block):
    return _signal.convolve_separable(
        window,
        kernels[0],
        kernels[1],
        mode,
        boundary=boundary,
        fillvalue=fillvalue,
        stride=strides,
        anchor=anchor,
        threads=threads,
    )


def _transpose_task(axes, strides, dilations, crops, threads, window, kernels, block):
    """The chunk's outputs from the transposed convolution of its window
    (padding 0), cropped; outputs no input reaches are zeros."""
    shape = [window.shape[a] for a in range(window.ndim)]
    full_shape = list(shape)
    for j, a in enumerate(axes):
        full_shape[a] = (
            0
            if shape[a] == 0
            else (shape[a] - 1) * strides[j] + dilations[j] * (kernels[0].shape[j] - 1) + 1
        )
    dtype = np.result_type(window, kernels[0])
    if 0 in full_shape:
        res = np.zeros(full_shape, dtype)
    else:
        res = _transpose.conv_transpose(
            window, kernels[0], strides, 0, 0, dilations, axes=axes, threads=threads
        )
    out_shape = [crops[a][block[a]][1] if a in axes else res.shape[a] for a in range(res.ndim)]
    out = np.zeros(out_shape, dtype)
    src, dst = [], []
    for a in range(res.ndim):
        if a not in axes:
            src.append(slice(None))
            dst.append(slice(None))
            continue
        c0, m = crops[a][block[a]]
        lo, hi = max(c0, 0), min(c0 + m, res.shape[a])
        src.append(slice(lo, max(hi, lo)))
        dst.append(slice(lo - c0, lo - c0 + max(hi - lo, 0)))
    out[tuple(dst)] = res[tuple(src)]
    return out


# -- the signal functions ---------------------------------------------------------


def _signal_call(
    kind, in1, in2, mode, method, axes, stride, dilation, boundary, fillvalue, anchor, out, threads
):
    x = _dask_input(in1, "in1")
    k = _kernel(in2, "in2")
    _no_out(out)
    conv = _signal.CONVENTIONS[kind]
    two_d = conv.two_d
    if two_d and not x.ndim == k.ndim == 2:
        raise ValueError(f"{kind} inputs must both be 2-D arrays")
    if x.ndim != k.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    _args.check_mode(mode)
    if method not in _signal._METHODS:
        raise ValueError("Acceptable method flags are 'auto', 'direct', or 'fft'.")
    boundary = _args.check_boundary(boundary)
    nthreads = _args.threads_arg(threads)
    flip = conv.flip
    if x.ndim == 0 or x.size == 0 or k.size == 0:
        kw = dict(stride=stride, dilation=dilation, anchor=anchor, threads=nthreads or None)
        if two_d:
            public = partial(
                getattr(_signal, kind),
                in2=k,
                mode=mode,
                boundary=boundary,
                fillvalue=fillvalue,
                **kw,
            )
        else:
            public = partial(
                getattr(_signal, kind),
                in2=k,
                mode=mode,
                method=method,
                axes=axes,
                boundary=boundary,
                fillvalue=fillvalue,
                **kw,
            )
        return _eager(x, public, kind)

    axes_list = _args.normalize_axes(axes, x.ndim)
    strides = _args.per_axis(stride, "stride", len(axes_list), minimum=1)
    dilations = _args.per_axis(dilation, "dilation", len(axes_list), minimum=1)
    rule, taps = _args.anchor_rule(anchor, len(axes_list), mode, conv.same_anchor)
    result_dtype = np.result_type(x.dtype, k.dtype)
    fill = _args.fill_scalar(fillvalue, result_dtype)
    # the in-memory call's plan: its checks, scipy's swap, shape and starts
    core_plan = _core.plan_filter(
        flip, x.shape, k.shape, mode, boundary, axes_list, strides, dilations, rule, taps, nthreads
    )
    swapped, shape = core_plan.swapped, core_plan.shape
    _args.check_result_size(shape, result_dtype)

    separable = None
    if method == "auto" and (two_d or axes is None):
        separable = _cost.separable_factors(conv, x, k, mode, dilation, anchor)
    zero_fill_skip = boundary == "fill" and fill == 0 and not _finite(k)
    whole = swapped or zero_fill_skip

    plans = []
    for a in range(x.ndim):
        if a not in axes_list:
            plans.append(_plan.batch_axis(x.chunks[a], x.shape[a], k.shape[a]))
            continue
        j = axes_list.index(a)
        if whole:
            plans.append(_plan.whole_axis(x.shape[a], shape[a]))
            continue
        ke = dilations[j] * (k.shape[a] - 1) + 1
        start = core_plan.starts[a]
        plans.append(
            _plan.correlation_axis(
                x.chunks[a],
                x.shape[a],
                k.shape[a],
                strides[j],
                dilations[j],
                start - (ke - 1),
                shape[a],
                boundary,
            )
        )
    if whole:  # the in-memory call on whole convolved axes
        func = partial(
            _filter_task,
            conv,
            mode,
            axes,
            stride,
            dilation,
            boundary,
            fillvalue,
            anchor,
            "direct" if method == "auto" else method,
            nthreads,
        )
        kernels = (k,)
    elif separable is not None:
        col, row, _ = separable
        func = partial(_separable_task, "valid", strides, "fill", 0, None, nthreads)
        kernels = (col, row)
    else:
        func = partial(
            _filter_task,
            conv,
            "valid",
            axes_list,
            strides,
            dilations,
            "fill",
            0,
            None,
            "direct" if method == "auto" else method,
            nthreads,
        )
        kernels = (k,)
    return _graph.build(kind, x, plans, func, result_dtype, kernels, result_dtype, fill)


def convolve(
    in1,
    in2,
    mode="full",
    method="auto",
    *,
    axes=None,
    stride=1,
    dilation=1,
    boundary="fill",
    fillvalue=0,
    anchor=None,
    out=None,
    threads=1,
):
    """`fastconv.convolve` of a dask array with a NumPy kernel, lazily.

    Parameters are those of `fastconv.convolve` (scipy.signal.convolve's
    semantics): every mode, boundary (applied at the array's true edges
    only), stride, dilation, anchor and axes; the batch axes (those not in
    `axes`) keep their chunks. Differences: `in1` is a dask array (NumPy
    input becomes one chunk), `in2` must be a NumPy array (TypeError for a
    dask kernel), `out` is not supported (TypeError), ``threads=1`` per
    task by default (dask's workers supply the parallelism), and
    ``method="auto"`` means direct (or separable, by the in-memory rule),
    never the FFT -- see the module docstring.

    Parameters
    ----------
    in1 : dask.array.Array or array_like
        The input (NumPy input becomes one chunk); chunk sizes must be known.
    in2 : numpy.ndarray or array_like
        The kernel, in memory (every task needs all of it).
    mode, method, axes, stride, dilation, boundary, fillvalue, anchor
        As in `fastconv.convolve`; ``method="auto"`` never takes the FFT.
    out : None
        Not supported (a lazy result has no buffer to write into).
    threads : int or None
        Threads per task (default 1); None: `fastconv.get_num_threads()`.

    Returns
    -------
    dask.array.Array
        Lazy; explicit output chunks that follow the input's (output i goes
        with the input chunk holding its window's centre). Its value equals
        ``fastconv.convolve(in1.compute(), in2, ...)``, bitwise for the
        direct path. The input is never rechunked: a chunk smaller than the
        kernel's reach is read by several windows.

    Raises
    ------
    TypeError
        A dask array as the kernel, an `out`, or what the in-memory
        function refuses by type.
    ValueError
        Unknown chunk sizes (``compute_chunk_sizes()`` first), and what
        the in-memory function refuses, when the graph is built.

    Notes
    -----
    Accuracy: the in-memory function's result (`fastconv.convolve`, its bounds) for any
    chunking and on a distributed cluster, bitwise for the direct path on every instruction
    set: each output's bits do not depend on its position in the array or on the block that
    computes it. docs/guarantees.md lists each promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastconv.dask
    >>> x = da.arange(10.0, chunks=3)
    >>> fastconv.dask.convolve(x, np.array([1.0, 1.0, 1.0]), "same", boundary="wrap").compute()
    array([10.,  3.,  6.,  9., 12., 15., 18., 21., 24., 17.])
    """
    return _signal_call(
        "convolve",
        in1,
        in2,
        mode,
        method,
        axes,
        stride,
        dilation,
        boundary,
        fillvalue,
        anchor,
        out,
        threads,
    )


def correlate(
    in1,
    in2,
    mode="full",
    method="auto",
    *,
    axes=None,
    stride=1,
    dilation=1,
    boundary="fill",
    fillvalue=0,
    anchor=None,
    out=None,
    threads=1,
):
    """`fastconv.correlate` of a dask array with a NumPy kernel, lazily
    (scipy.signal.correlate's semantics, conjugating a complex kernel);
    the keywords and differences are those of `fastconv.dask.convolve`.

    Parameters
    ----------
    in1, in2, mode, method, axes, stride, dilation, boundary, fillvalue, anchor, out, threads
        As in `fastconv.dask.convolve`.

    Returns
    -------
    dask.array.Array
        Lazy, with the value of `fastconv.correlate` on the computed input.

    Raises
    ------
    TypeError, ValueError
        As `fastconv.dask.convolve`.

    Notes
    -----
    Accuracy: as `convolve`'s (the in-memory `fastconv.correlate`'s result for any chunking).

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastconv.dask
    >>> fastconv.dask.correlate(da.from_array([1, 2, 3], chunks=1), np.array([4, 5]),
    ...                         "same").compute()
    array([ 5, 14, 23])
    """
    return _signal_call(
        "correlate",
        in1,
        in2,
        mode,
        method,
        axes,
        stride,
        dilation,
        boundary,
        fillvalue,
        anchor,
        out,
        threads,
    )


def convolve2d(
    in1,
    in2,
    mode="full",
    boundary="fill",
    fillvalue=0,
    *,
    stride=1,
    dilation=1,
    anchor=None,
    out=None,
    threads=1,
):
    """`fastconv.convolve2d` of a 2-D dask array with a 2-D NumPy kernel,
    lazily; see `fastconv.dask.convolve` for the differences (a rank-one
    kernel takes the separable path where in memory it would).

    Parameters
    ----------
    in1, in2, mode, boundary, fillvalue, stride, dilation, anchor, out, threads
        As in `fastconv.dask.convolve` (2-D input and kernel).

    Returns
    -------
    dask.array.Array
        Lazy, with the value of `fastconv.convolve2d` on the computed input.

    Raises
    ------
    TypeError, ValueError
        As `fastconv.dask.convolve`.

    Notes
    -----
    Accuracy: as `convolve`'s (the in-memory `fastconv.convolve2d`'s result for any chunking).

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastconv.dask
    >>> x = da.ones((4, 4), chunks=2)
    >>> fastconv.dask.convolve2d(x, np.ones((3, 3)), "same", "symm").compute()[0]
    array([9., 9., 9., 9.])
    """
    return _signal_call(
        "convolve2d",
        in1,
        in2,
        mode,
        "auto",
        None,
        stride,
        dilation,
        boundary,
        fillvalue,
        anchor,
        out,
        threads,
    )


def correlate2d(
    in1,
    in2,
    mode="full",
    boundary="fill",
    fillvalue=0,
    *,
    stride=1,
    dilation=1,
    anchor=None,
    out=None,
    threads=1,
):
    """`fastconv.correlate2d` of a 2-D dask array with a 2-D NumPy kernel,
    lazily, keeping scipy's 'same' crop for even kernels (one sample later
    than `correlate`'s); see `fastconv.dask.convolve` for the differences.

    Parameters
    ----------
    in1, in2, mode, boundary, fillvalue, stride, dilation, anchor, out, threads
        As in `fastconv.dask.convolve` (2-D input and kernel).

    Returns
    -------
    dask.array.Array
        Lazy, with the value of `fastconv.correlate2d` on the computed input.

    Raises
    ------
    TypeError, ValueError
        As `fastconv.dask.convolve`.

    Notes
    -----
    Accuracy: as `convolve`'s (the in-memory `fastconv.correlate2d`'s result for any chunking).

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastconv.dask
    >>> x = da.from_array(np.eye(3), chunks=1)
    >>> fastconv.dask.correlate2d(x, np.array([[1.0, 2.0], [3.0, 4.0]]), "same").compute()
    array([[5., 3., 0.],
           [2., 5., 3.],
           [0., 2., 1.]])
    """
    return _signal_call(
        "correlate2d",
        in1,
        in2,
        mode,
        "auto",
        None,
        stride,
        dilation,
        boundary,
        fillvalue,
        anchor,
        out,
        threads,
    )


def convolve_separable(
    in1,
    col,
    row,
    mode="full",
    *,
    boundary="fill",
    fillvalue=0,
    stride=1,
    anchor=None,
    out=None,
    threads=1,
):
    """`fastconv.convolve_separable` (MATLAB's conv2(u, v, A)) of a 2-D
    dask array with NumPy `col` and `row`, lazily; see
    `fastconv.dask.convolve` for the differences. Bitwise equal to the
    in-memory result except with a non-zero fill, where the filled border
    differs by rounding (the module docstring says why).

    Parameters
    ----------
    in1 : dask.array.Array or array_like
        2-D input.
    col, row : numpy.ndarray or array_like
        1-D kernels for the columns and rows, in memory.
    mode, boundary, fillvalue, stride, anchor, out, threads
        As in `fastconv.dask.convolve`.

    Returns
    -------
    dask.array.Array
        Lazy, with the value of `fastconv.convolve_separable` on the computed input.

    Raises
    ------
    TypeError, ValueError
        As `fastconv.dask.convolve`.

    Notes
    -----
    Accuracy: the in-memory function's result (`fastconv.convolve_separable`, its bounds)
    for any chunking and on a distributed cluster, bitwise for the direct path on every
    instruction set: each output's bits do not depend on its position in the array or on the
    block that computes it. docs/guarantees.md lists each promise with the test that checks
    it.

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastconv.dask
    >>> x = da.ones((3, 4), chunks=2)
    >>> fastconv.dask.convolve_separable(x, np.ones(2), np.ones(3), "valid").compute()
    array([[6., 6.],
           [6., 6.]])
    """
    x = _dask_input(in1, "in1")
    c = _kernel(col, "col")
    r = _kernel(row, "row")
    _no_out(out)
    boundary, strides, nthreads, rule, taps = _signal._separable_args(
        x, c, r, mode, boundary, stride, anchor, threads
    )
    result_dtype = np.result_type(x.dtype, c.dtype, r.dtype)
    fill = _args.fill_scalar(fillvalue, result_dtype)
    # the in-memory call's plan: its checks, shape and starts
    core_plan = _core.plan_separable(
        x.shape, c.size, r.size, mode, boundary, strides, rule, taps, nthreads
    )
    shape = core_plan.shape
    in_memory = partial(_separable_task, mode, strides, boundary, fillvalue, anchor, nthreads)
    if x.size == 0 or 0 in shape:
        return _eager(
            x,
            partial(
                _signal.convolve_separable,
                col=c,
                row=r,
                mode=mode,
                boundary=boundary,
                fillvalue=fillvalue,
                stride=stride,
                anchor=anchor,
            ),
            "convolve_separable",
        )
    whole = boundary == "fill" and fill == 0 and not (_finite(c) and _finite(r))
    plans = []
    for a, k in enumerate((c, r)):
        if whole:
            plans.append(_plan.whole_axis(x.shape[a], shape[a]))
            continue
        start = core_plan.starts[a]
        plans.append(
            _plan.correlation_axis(
                x.chunks[a],
                x.shape[a],
                k.size,
                strides[a],
                1,
                start - (k.size - 1),
                shape[a],
                boundary,
            )
        )
    func = (
        in_memory
        if whole
        else partial(_separable_task, "valid", strides, "fill", 0, None, nthreads)
    )
    return _graph.build(
        "convolve_separable", x, plans, func, result_dtype, (c, r), result_dtype, fill
    )


def conv_transpose(
    in1, in2, stride=1, padding=0, output_padding=0, dilation=1, *, axes=None, out=None, threads=1
):
    """`fastconv.conv_transpose` of a dask array with a NumPy kernel, lazily.

    Every input element scatters a copy of the kernel (``out[i*s + j*d -
    padding] += in1[i] * in2[j]``); the leading axes of `in1` are batch
    axes and keep their chunks. Each output chunk is computed from the
    inputs that reach it, as a transposed convolution of that window with
    padding 0, cropped to the chunk: the outputs within the kernel's reach
    of a chunk edge are computed by both neighbouring tasks and kept by
    one (the in-memory core has no entry for an asymmetric crop). Values
    are bitwise those of the in-memory function.

    Parameters
    ----------
    in1 : dask.array.Array or array_like
        The input; its leading axes (beyond the kernel's ndim) are batch axes.
    in2 : numpy.ndarray or array_like
        The kernel, in memory.
    stride, padding, output_padding, dilation, axes
        As in `fastconv.conv_transpose`.
    out, threads
        As in `fastconv.dask.convolve`.

    Returns
    -------
    dask.array.Array
        Lazy, with the value of `fastconv.conv_transpose` on the computed input.

    Raises
    ------
    TypeError, ValueError
        As `fastconv.dask.convolve`.

    Notes
    -----
    Accuracy: the in-memory function's result (`fastconv.conv_transpose`, its bounds) for
    any chunking and on a distributed cluster, bitwise for the direct path on every
    instruction set: each output's bits do not depend on its position in the array or on the
    block that computes it. docs/guarantees.md lists each promise with the test that checks
    it.

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastconv.dask
    >>> y = fastconv.dask.conv_transpose(da.from_array([1.0, 2.0], chunks=1),
    ...                                  np.array([1.0, 1.0, 1.0]), stride=2)
    >>> y.compute()
    array([1., 1., 3., 2., 2.])
    """
    x = _dask_input(in1, "in1")
    k = _kernel(in2, "in2")
    _no_out(out)
    nthreads = _args.threads_arg(threads)
    in_memory = partial(
        _transpose.conv_transpose,
        in2=k,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        axes=axes,
        threads=nthreads,
    )
    axes_list, strides, dilations, paddings, out_paddings = _transpose._check_args(
        x, k, axes, stride, padding, output_padding, dilation
    )
    if x.size == 0 or k.size == 0:
        return _eager(x, in_memory, "conv_transpose")  # (the in-memory errors and shapes)
    shape = _core.plan_conv_transpose(
        x.shape, k.shape, axes_list, strides, paddings, out_paddings, dilations, 0
    ).shape
    result_dtype = np.result_type(x.dtype, k.dtype)
    _args.check_result_size(shape, result_dtype)
    plans, crops = [], {}
    for a in range(x.ndim):
        if a not in axes_list:
            plans.append(_plan.batch_axis(x.chunks[a], x.shape[a], 1))
            continue
        j = axes_list.index(a)
        p = _plan.transpose_axis(
            x.chunks[a], x.shape[a], k.shape[j], strides[j], dilations[j], paddings[j], shape[a]
        )
        starts = np.cumsum((0,) + p.chunks)[:-1]
        crops[a] = [
            (_plan.transpose_crop(r, int(o0), m, strides[j], paddings[j]), m)
            for r, o0, m in zip(p.reads, starts, p.chunks)
        ]
        plans.append(p)
    func = partial(_transpose_task, axes_list, strides, dilations, crops, nthreads)
    return _graph.build(
        "conv_transpose",
        x,
        plans,
        func,
        result_dtype,
        (k,),
        result_dtype,
        np.zeros((), result_dtype),
    )


from . import nn  # noqa: E402  (after the helpers it uses)
