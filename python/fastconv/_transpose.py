"""Transposed convolution ("deconvolution")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _args, _core, _object
from ._typing import Array, ArrayLike, IntOrTuple, Threads

__all__ = ["conv_transpose"]


def conv_transpose(
    in1: ArrayLike,
    in2: ArrayLike,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    *,
    axes: Sequence[int] | None = None,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """Transposed convolution of 1-D or 2-D (or N-D) signals.

    Every input element scatters a copy of the kernel scaled by its value,
    the copies placed `stride` apart and summed where they overlap::

        out[i*s + j*d - padding] += in1[i] * in2[j]

    per transposed axis. The kernel's ndim decides how many axes are
    transposed (by default the last ones of `in1`; the leading axes are
    batch axes). Equal to inserting ``stride - 1`` zeros between input
    samples and taking the full convolution, and the exact adjoint of
    ``correlate(x, in2, "valid", stride=stride, dilation=dilation)``; the
    kernel is not conjugated. Computed as a gather per output phase (no
    zero-inserted copy), SIMD and threaded.

    Parameters
    ----------
    in1 : array_like
        Input, ``ndim >= in2.ndim``.
    in2 : array_like
        Kernel.
    stride, padding, output_padding, dilation : int or tuple of int
        One value, or one per kernel axis. The output length per axis is
        ``(n - 1)*stride - 2*padding + dilation*(k - 1) + 1 + output_padding``;
        `output_padding` must be smaller than `stride` or `dilation` (as in
        torch).
    axes : tuple of int, optional
        The axes of `in1` that kernel axes 0, 1, ... pair with.
    out : ndarray, optional
        C-contiguous array of the result's shape and dtype to write into.
    threads : int, optional
        Threads to use (default: `get_num_threads()`).

    Returns
    -------
    ndarray
        dtype ``numpy.result_type(in1, in2)``.

    Raises
    ------
    ValueError
        A kernel of more dimensions than `in1`, or empty; a `stride` or
        `dilation` below 1, a negative `padding`, an `output_padding` not
        smaller than `stride` or `dilation`, a padding that leaves no
        output, `axes` of the wrong length or repeated, an `out` of another
        shape or dtype: the message names the argument.
    TypeError
        A non-numeric dtype, or non-integer options.

    Notes
    -----
    Accuracy: the scatter definition summed directly, every output within ``2 * taps * eps *
    sum(|x| * |k|)`` over the terms it receives. The result is bitwise the same for any
    thread count. docs/guarantees.md lists each promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np, fastconv
    >>> fastconv.conv_transpose([1.0, 2.0], [1.0, 1.0, 1.0], stride=2)
    array([1., 1., 3., 2., 2.])
    >>> fastconv.conv_transpose(np.ones((2, 2)), np.ones((4, 4)), stride=3).shape
    (7, 7)
    """
    in1 = _args.as_input(in1, "in1")
    in2 = _args.as_input(in2, "in2")
    axes, strides, dilations, paddings, out_paddings = _check_args(
        in1, in2, axes, stride, padding, output_padding, dilation
    )
    nthreads = _args.threads_arg(threads)
    if in2.size == 0:
        raise ValueError("in2: empty kernel")
    plan = _core.plan_conv_transpose(
        in1.shape, in2.shape, axes, strides, paddings, out_paddings, dilations, nthreads
    )
    shape = plan.shape

    if _args.is_object(in1, in2):
        res = _object.conv_transpose(
            in1, in2, axes, strides, paddings, out_paddings, dilations, shape
        )
        return _args.deliver(res, out, (in1, in2))

    result_dtype = np.result_type(in1, in2)
    cdtype = _args.compute_dtype(result_dtype)
    _args.check_result_size(shape, result_dtype, cdtype)
    if out is not None:
        _args.check_out(out, shape, result_dtype, (in1, in2))
    x = _args.to_compute(in1, cdtype)
    k = _args.to_compute(in2, cdtype)
    target = _args.compute_target(out, shape, result_dtype, cdtype)
    _core.conv_transpose(plan, x, k, target)
    return _args.finish(target, result_dtype, out)


def _check_args(in1, in2, axes, stride, padding, output_padding, dilation):
    """conv_transpose's argument checks -> (axes, strides, dilations,
    paddings, output paddings), one per kernel axis. Reads only ndim
    (fastconv.dask asks it too)."""
    if in2.ndim < 1:
        raise ValueError("in2: the kernel needs at least one dimension")
    if in1.ndim < in2.ndim:
        raise ValueError(f"in1: has {in1.ndim} dimensions, fewer than the kernel's {in2.ndim}")
    naxes = in2.ndim
    if axes is None:
        axes = list(range(in1.ndim - naxes, in1.ndim))
    else:
        axes = _args.normalize_axes(axes, in1.ndim)
        if len(axes) != naxes:
            raise ValueError(f"axes: expected {naxes} axes (one per kernel axis), got {len(axes)}")
    return (
        axes,
        _args.per_axis(stride, "stride", naxes, minimum=1),
        _args.per_axis(dilation, "dilation", naxes, minimum=1),
        _args.per_axis(padding, "padding", naxes, minimum=0),
        _args.per_axis(output_padding, "output_padding", naxes, minimum=0),
    )
