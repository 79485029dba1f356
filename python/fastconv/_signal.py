"""scipy.signal-compatible convolution and correlation.

Each function has its scipy namesake's positional signature, defaults,
result dtype, values and error types; fastconv's extras are keyword-only.
The work is done by the C++ core (fastconv._core) with the GIL released;
this module only validates, promotes dtypes and allocates.
"""

from __future__ import annotations

import time
import warnings
from typing import Literal, NamedTuple, overload

import numpy as np

from . import _args, _core, _cost, _fft_path, _object
from ._typing import (
    Anchor,
    Array,
    ArrayLike,
    Axes,
    Boundary,
    IntOrTuple,
    Method,
    Mode,
    Scalar,
    Threads,
)

__all__ = [
    "convolve",
    "correlate",
    "convolve2d",
    "correlate2d",
    "convolve_separable",
    "choose_conv_method",
]

_METHODS = ("auto", "direct", "fft")


# The fast path: every fastconv keyword at its default goes straight to one
# C++ entry (about a microsecond per call), which takes two ndarrays (not
# subclasses) with a str mode; kernels of _SEPARABLE_MIN_TAPS or more
# elements take the general path, which first checks whether they are rank
# one. The checks here are identity tests against the default objects -- a
# cheap pre-filter: any other spelling of a default, or anything the C++
# side declines (other types or dtypes, empty inputs, scipy's 'valid' swap,
# bad modes...), takes the general path. (The argument types are checked in
# C++: there they cost less.)
_ONE, _ZERO, _FILL, _AUTO, _DIRECT = 1, 0, "fill", "auto", "direct"

# (the router's threshold, bound here for the fast path's guard)
_SEPARABLE_MIN_TAPS = _cost.SEPARABLE_MIN_TAPS


class Convention(NamedTuple):
    """What sets one of scipy's four functions apart from the others (the
    one table of them; the code asks these fields, never the name)."""

    name: str  # the public function
    flip: bool  # convolution (the kernel reversed), else correlation
    two_d: bool  # convolve2d / correlate2d: 2-D only, no method or axes
    same_anchor: str  # the default tap over each 'same' output: the core's rule name
    conjugate_unswap: bool  # undoing scipy's 'valid' input swap conjugates


CONVENTIONS = {
    c.name: c
    for c in (
        Convention(
            "convolve", flip=True, two_d=False, same_anchor="centre_low", conjugate_unswap=False
        ),
        Convention(
            "correlate", flip=False, two_d=False, same_anchor="centre_low", conjugate_unswap=True
        ),
        Convention(
            "convolve2d", flip=True, two_d=True, same_anchor="centre_low", conjugate_unswap=False
        ),
        # (correlate2d crops 'same' at ke // 2: the high centre, MATLAB's anchor)
        Convention(
            "correlate2d", flip=False, two_d=True, same_anchor="centre_high", conjugate_unswap=False
        ),
    )
}
_CONVOLVE, _CORRELATE, _CONVOLVE2D, _CORRELATE2D = CONVENTIONS.values()


def _separable_route(
    conv,
    in1,
    in2,
    mode,
    boundary,
    fillvalue,
    stride,
    dilation,
    anchor,
    out,
    threads,
    consider_fft=False,
):
    """The result by convolve_separable when `_separable_choice` takes it,
    else None."""
    plan = _cost.separable_choice(
        conv, in1, in2, mode, boundary, fillvalue, dilation, anchor, consider_fft
    )
    if plan is None:
        return None
    col, row, anchor = plan
    return convolve_separable(
        in1,
        col,
        row,
        mode,
        boundary=boundary,
        fillvalue=fillvalue,
        stride=stride,
        anchor=anchor,
        out=out,
        threads=threads,
    )


def _undo_swap(res, axes, conjugate):
    """scipy computes a swapped 'valid' correlation as correlate(in2, in1)
    and flips it back over the convolved axes; `correlate` also conjugates,
    `correlate2d` does not."""
    res = res[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(res.ndim))]
    return np.conjugate(res) if conjugate else res


class _FilterPlan:
    """What `_filter` and `choose_conv_method` both need of a call, checked
    once: normalised arguments, scipy's input swap, and -- unless the call
    is one of the trivial ones (object dtype, empty input) -- the compute
    dtype, the inputs converted to it and the result shape."""

    def __init__(
        self, conv, in1, in2, mode, axes, stride, dilation, boundary, fillvalue, anchor, threads
    ):
        self.boundary = _args.check_boundary(boundary)
        self.axes = axes = _args.normalize_axes(axes, in1.ndim)
        self.strides = _args.per_axis(stride, "stride", len(axes), minimum=1)
        self.dilations = _args.per_axis(dilation, "dilation", len(axes), minimum=1)
        self.rule, self.taps = _args.anchor_rule(anchor, len(axes), mode, conv.same_anchor)
        # The C++ plan: the remaining checks, scipy's input swap in 'valid'
        # mode, the result shape and where each axis's output starts.
        self.core = _core.plan_filter(
            conv.flip,
            in1.shape,
            in2.shape,
            mode,
            self.boundary,
            axes,
            self.strides,
            self.dilations,
            self.rule,
            self.taps,
            threads,
        )
        self.shape = self.core.shape
        self.swapped = self.core.swapped
        self.orig = (in1, in2)
        self.in1, self.in2 = (in2, in1) if self.swapped else (in1, in2)
        self.is_object = _args.is_object(in1, in2)
        self.empty = not self.is_object and (in1.size == 0 or in2.size == 0)
        if self.is_object or self.empty:
            return
        self.result_dtype = np.result_type(in1, in2)
        self.cdtype = _args.compute_dtype(self.result_dtype)
        _args.check_result_size(self.shape, self.result_dtype, self.cdtype)
        self.x = _args.to_compute(self.in1, self.cdtype)  # (in the plan's order)
        self.k = _args.to_compute(self.in2, self.cdtype)
        self.fill = _args.fill_scalar(fillvalue, self.result_dtype).astype(self.cdtype)


def _filter(
    conv,
    in1,
    in2,
    mode,
    axes,
    stride,
    dilation,
    boundary,
    fillvalue,
    anchor,
    out,
    threads,
    method="direct",
):
    """The path shared by the four functions (`conv`: which one, a
    `Convention`): the direct core, or the FFT (method 'fft', or 'auto'
    when the cost model prefers it)."""
    nthreads = _args.threads_arg(threads)
    plan = _FilterPlan(
        conv, in1, in2, mode, axes, stride, dilation, boundary, fillvalue, anchor, nthreads
    )
    flip, axes, orig, swapped = conv.flip, plan.axes, plan.orig, plan.swapped
    in1, in2 = plan.in1, plan.in2

    if plan.is_object:
        res = _object.convolution(
            flip,
            in1,
            in2,
            mode,
            axes,
            plan.boundary,
            fillvalue,
            plan.strides,
            plan.dilations,
            plan.rule,
            plan.taps,
        )
        if swapped and not flip:
            res = _undo_swap(res, axes, conjugate=conv.conjugate_unswap)
        return _args.deliver(res, out, orig)

    if plan.empty:
        result_dtype = np.result_type(in1, in2)
        _args.fill_scalar(fillvalue, result_dtype)  # (a bad fillvalue is refused here too)
        if not conv.two_d and (
            mode == "full"
            or in1.ndim == 1
            and mode == "valid"
            or mode == "same"
            and in2.size == 0
            and in1.size != 0
        ):
            raise ValueError(f"in1 and in2 cannot be empty in {mode!r} mode")
        return _args.empty_result(plan.shape, result_dtype, out, orig)

    shape, result_dtype, cdtype = plan.shape, plan.result_dtype, plan.cdtype
    if out is not None:
        _args.check_out(out, shape, result_dtype, orig)
    unswap = swapped and not flip
    # (a swapped correlation is flipped back after the core, so not in `out`)
    target = _args.compute_target(None if unswap else out, shape, result_dtype, cdtype)
    if method == "fft" or method == "auto" and _cost.fft_pays(plan):
        res = _fft_path.filter_fft(
            flip,
            plan.x,
            plan.k,
            axes,
            plan.strides,
            plan.dilations,
            plan.boundary,
            plan.fill,
            plan.core.starts,
            shape,
            _core.resolve_num_threads(nthreads),
        )
        if method == "fft" and res.size and not np.isfinite(res.flat[0]):
            warnings.warn(
                "Use of fft convolution on input with NAN or inf results in NAN "
                "or inf output. Consider using method='direct' instead.",
                category=RuntimeWarning,
                stacklevel=4,
            )
        np.copyto(target, res, casting="unsafe")
    else:
        x, k = (plan.k, plan.x) if swapped else (plan.x, plan.k)  # (the plan swaps them back)
        _core.execute(plan.core, x, k, target, plan.fill)
    if unswap:
        target = _undo_swap(target, axes, conjugate=conv.conjugate_unswap and cdtype.kind == "c")
    return _args.finish(target, result_dtype, out)


def _n_dim_call(
    conv, in1, in2, mode, method, axes, stride, dilation, boundary, fillvalue, anchor, out, threads
):
    in1 = _args.as_input(in1, "in1")
    in2 = _args.as_input(in2, "in2")
    if in1.ndim == in2.ndim == 0:
        res = in1 * in2.conj() if not conv.flip and in2.dtype.kind == "c" else in1 * in2
        return res if out is None else _args.deliver(np.asarray(res), out, (in1, in2))
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    _args.check_mode(mode)
    if method not in _METHODS:
        raise ValueError("Acceptable method flags are 'auto', 'direct', or 'fft'.")
    # method="auto": the separable path for rank-one 2-D kernels when it is
    # the cheapest, else whichever of direct and FFT the cost model prefers.
    if method == "auto" and axes is None:
        res = _separable_route(
            conv,
            in1,
            in2,
            mode,
            boundary,
            fillvalue,
            stride,
            dilation,
            anchor,
            out,
            threads,
            consider_fft=True,
        )
        if res is not None:
            return res
    return _filter(
        conv,
        in1,
        in2,
        mode,
        axes,
        stride,
        dilation,
        boundary,
        fillvalue,
        anchor,
        out,
        threads,
        method,
    )


def convolve(
    in1: ArrayLike,
    in2: ArrayLike,
    mode: Mode = "full",
    method: Method = "auto",
    *,
    axes: Axes = None,
    stride: IntOrTuple = 1,
    dilation: IntOrTuple = 1,
    boundary: Boundary = "fill",
    fillvalue: Scalar = 0,
    anchor: Anchor = None,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """Convolve two N-dimensional arrays (scipy.signal.convolve).

    Parameters
    ----------
    in1, in2 : array_like
        Input and kernel, of equal ndim.
    mode : {'full', 'valid', 'same'}
        'full': every partial overlap (n + ke - 1 per axis); 'same': the size
        of `in1`, centred on 'full' as scipy does; 'valid': complete overlaps
        only (n - ke + 1). In 'valid' mode without stride or dilation, the
        inputs are swapped when `in2` is the larger, as scipy does.
    method : {'auto', 'direct', 'fft'}
        'direct' sums the products (accurate per element); 'fft' computes
        the same result with FFTs (accurate normwise only: small outputs
        next to large ones lose relative accuracy); 'auto' takes whichever
        of direct, separable (rank-one 2-D kernels) and FFT the cost model
        predicts fastest, never the FFT for inputs holding NaN or Inf, long
        double, or integers whose result could exceed 2**52. Every keyword
        works with every method.
    axes : int or tuple of int, optional
        Axes to convolve over (default: all); along the others the shapes
        must be equal or 1 (broadcast).
    stride, dilation : int or tuple of int
        Keep every `stride`-th output (starting at the first); spread the
        kernel taps `dilation` apart (ke = dilation*(k-1) + 1).
    boundary : {'fill', 'wrap', 'symm', 'mirror', 'nearest'}
        How `in1` is extended past its edges (aliases 'pad', 'circular',
        'symmetric').
    fillvalue : scalar
        The constant outside `in1` for ``boundary='fill'`` (default 0).
    anchor : None, 'matlab', int or tuple of int
        'same' mode only: which kernel tap sits over each output sample.
        'matlab' gives MATLAB conv/conv2 and scipy.ndimage results for even
        kernel sizes.
    out : ndarray, optional
        C-contiguous array of the result's shape and dtype to write into.
    threads : int, optional
        Threads to use (default: `get_num_threads()`).

    Returns
    -------
    ndarray
        dtype ``numpy.result_type(in1, in2)``, as scipy.

    Raises
    ------
    ValueError
        Inputs of different ndim or shapes that do not broadcast, an
        unknown `mode`, `method` or `boundary`, an empty input, a `stride`,
        `dilation` or `threads` below 1, an `anchor` outside the kernel or
        without 'same' mode, an `out` of another shape or dtype: the
        message names the argument.
    TypeError
        A non-numeric dtype, or a non-integer `stride`, `dilation`, `axes`,
        `anchor` or `threads`.

    Notes
    -----
    Accuracy: with the direct method every output is within ``2 * taps * eps * sum(|x| *
    |k|)`` of the exact sum over its window (``eps`` the dtype's machine epsilon), for every
    mode, boundary, stride, dilation, anchor and memory layout; the FFT method is accurate
    normwise only, ``||err||_2 <= 10 * u * log2(L) * ||x||_2 * ||k||_2`` (``u`` the unit
    roundoff, ``L`` the transform length), so small outputs next to large ones lose relative
    accuracy. Integers are exact, with NumPy's wrap-around in the result type. The result is
    bitwise the same for any thread count. docs/guarantees.md lists each promise with the
    test that checks it.

    Examples
    --------
    >>> import fastconv
    >>> fastconv.convolve([1, 2, 3], [0, 1, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    if (
        axes is None
        and anchor is None
        and out is None
        and threads is None
        and stride is _ONE
        and dilation is _ONE
        and fillvalue is _ZERO
        and boundary is _FILL
        and (method is _AUTO or method is _DIRECT)
    ):
        res = _core.plain(in1, in2, True, mode, False, False, _SEPARABLE_MIN_TAPS)
        if res is not None:
            return res
    return _n_dim_call(
        _CONVOLVE,
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
    in1: ArrayLike,
    in2: ArrayLike,
    mode: Mode = "full",
    method: Method = "auto",
    *,
    axes: Axes = None,
    stride: IntOrTuple = 1,
    dilation: IntOrTuple = 1,
    boundary: Boundary = "fill",
    fillvalue: Scalar = 0,
    anchor: Anchor = None,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """Cross-correlate two N-dimensional arrays (scipy.signal.correlate).

    ``z[k] = sum_l in1[l + k] * conj(in2[l])`` (with the offsets of `mode`);
    In 'valid' mode with `in2` the larger, scipy's swap is undone by
    reversing and conjugating.

    Parameters
    ----------
    in1, in2, mode, method, axes, stride, dilation, boundary, fillvalue, anchor, out, threads
        As in `convolve`.

    Returns
    -------
    ndarray
        dtype ``numpy.result_type(in1, in2)``, as scipy.

    Raises
    ------
    ValueError, TypeError
        For the arguments `convolve` refuses.

    Notes
    -----
    Accuracy: as `convolve`'s (the same sums, the kernel not flipped).

    Examples
    --------
    >>> import fastconv
    >>> fastconv.correlate([1, 2, 3], [4, 5], mode="same")
    array([ 5, 14, 23])
    """
    if (
        axes is None
        and anchor is None
        and out is None
        and threads is None
        and stride is _ONE
        and dilation is _ONE
        and fillvalue is _ZERO
        and boundary is _FILL
        and (method is _AUTO or method is _DIRECT)
    ):
        res = _core.plain(in1, in2, False, mode, False, False, _SEPARABLE_MIN_TAPS)
        if res is not None:
            return res
    return _n_dim_call(
        _CORRELATE,
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


def _two_d_call(conv, in1, in2, mode, boundary, fillvalue, stride, dilation, anchor, out, threads):
    in1 = _args.as_input(in1, "in1")
    in2 = _args.as_input(in2, "in2")
    if not in1.ndim == in2.ndim == 2:
        raise ValueError(f"{conv.name} inputs must both be 2-D arrays")
    _args.check_mode(mode)
    res = _separable_route(
        conv, in1, in2, mode, boundary, fillvalue, stride, dilation, anchor, out, threads
    )
    if res is not None:
        return res
    return _filter(
        conv, in1, in2, mode, None, stride, dilation, boundary, fillvalue, anchor, out, threads
    )


def convolve2d(
    in1: ArrayLike,
    in2: ArrayLike,
    mode: Mode = "full",
    boundary: Boundary = "fill",
    fillvalue: Scalar = 0,
    *,
    stride: IntOrTuple = 1,
    dilation: IntOrTuple = 1,
    anchor: Anchor = None,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """Convolve two 2-D arrays (scipy.signal.convolve2d).

    Parameters
    ----------
    in1, in2 : array_like
        2-D input and kernel.
    mode, boundary, fillvalue, stride, dilation, anchor, out, threads
        As in `convolve` (here `boundary` and `fillvalue` are positional, as
        in scipy).

    Returns
    -------
    ndarray
        2-D, dtype ``numpy.result_type(in1, in2)``, as scipy.

    Raises
    ------
    ValueError
        If `in1` or `in2` is not 2-D, and for the arguments `convolve`
        refuses.
    TypeError
        For the arguments `convolve` refuses.

    Notes
    -----
    Accuracy: computed directly, every output is within ``2 * taps * eps * sum(|x| * |k|)``
    of the exact sum over its window (``eps`` the dtype's machine epsilon), for every mode,
    boundary, stride, dilation, anchor and memory layout; integers are exact, with NumPy's
    wrap-around in the result type. The result is bitwise the same for any thread count.
    docs/guarantees.md lists each promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np, fastconv
    >>> fastconv.convolve2d(np.ones((2, 2)), [[1, 2], [3, 4]])
    array([[ 1.,  3.,  2.],
           [ 4., 10.,  6.],
           [ 3.,  7.,  4.]])
    """
    if (
        anchor is None
        and out is None
        and threads is None
        and stride is _ONE
        and dilation is _ONE
        and fillvalue is _ZERO
        and boundary is _FILL
    ):
        res = _core.plain(in1, in2, True, mode, False, True, _SEPARABLE_MIN_TAPS)
        if res is not None:
            return res
    return _two_d_call(
        _CONVOLVE2D, in1, in2, mode, boundary, fillvalue, stride, dilation, anchor, out, threads
    )


def correlate2d(
    in1: ArrayLike,
    in2: ArrayLike,
    mode: Mode = "full",
    boundary: Boundary = "fill",
    fillvalue: Scalar = 0,
    *,
    stride: IntOrTuple = 1,
    dilation: IntOrTuple = 1,
    anchor: Anchor = None,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """Cross-correlate two 2-D arrays (scipy.signal.correlate2d).

    Note scipy's 'same' crop for even kernels differs from `correlate` by
    one sample (the output starts at ke//2 of the full result, not
    (ke-1)//2); fastconv keeps each function's convention.

    Parameters
    ----------
    in1, in2, mode, boundary, fillvalue, stride, dilation, anchor, out, threads
        As in `convolve2d`; the kernel is conjugated.

    Returns
    -------
    ndarray
        2-D, dtype ``numpy.result_type(in1, in2)``, as scipy.

    Raises
    ------
    ValueError, TypeError
        For the arguments `convolve2d` refuses.

    Notes
    -----
    Accuracy: as `convolve2d`'s (the same sums, the kernel not flipped).

    Examples
    --------
    >>> import numpy as np, fastconv
    >>> fastconv.correlate2d(np.ones((2, 2)), [[1, 2], [3, 4]])
    array([[ 4.,  7.,  3.],
           [ 6., 10.,  4.],
           [ 2.,  3.,  1.]])
    """
    if (
        anchor is None
        and out is None
        and threads is None
        and stride is _ONE
        and dilation is _ONE
        and fillvalue is _ZERO
        and boundary is _FILL
    ):
        res = _core.plain(in1, in2, False, mode, True, True, _SEPARABLE_MIN_TAPS)
        if res is not None:
            return res
    return _two_d_call(
        _CORRELATE2D, in1, in2, mode, boundary, fillvalue, stride, dilation, anchor, out, threads
    )


def convolve_separable(
    in1: ArrayLike,
    col: ArrayLike,
    row: ArrayLike,
    mode: Mode = "full",
    *,
    boundary: Boundary = "fill",
    fillvalue: Scalar = 0,
    stride: IntOrTuple = 1,
    anchor: Anchor = None,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """Convolve the columns of a 2-D array with `col`, then its rows with `row`.

    MATLAB's ``conv2(u, v, A)``: equal to
    ``convolve2d(in1, numpy.outer(col, row), mode, boundary, fillvalue)``
    with the same 'same' crop, in O(len(col) + len(row)) work per output
    instead of O(len(col) * len(row)).

    Parameters
    ----------
    in1 : array_like
        2-D input.
    col, row : array_like
        1-D kernels for the columns (axis 0) and the rows (axis 1).
    mode, boundary, fillvalue, stride, out, threads
        As in `convolve2d`. In 'valid' mode the inputs are never swapped: an
        image smaller than the kernel gives an empty result, as in MATLAB.
    anchor : None, 'matlab', int or (int, int)
        'same' mode: scipy's crop by default; 'matlab' gives MATLAB's
        ``conv2(u, v, A, 'same')``.

    Returns
    -------
    ndarray
        2-D, dtype ``numpy.result_type(in1, col, row)``.

    Raises
    ------
    ValueError
        If `in1` is not 2-D or `col` or `row` not 1-D, and for the
        arguments `convolve2d` refuses.
    TypeError
        For the arguments `convolve2d` refuses.

    Notes
    -----
    Accuracy: the direct bound with ``len(col) + len(row)`` roundings per output (4 more
    when the kernel is factorised), ``2 * (len(col) + len(row) + 4) * eps * sum(|x| * |k|)``
    over the window. The result is bitwise the same for any thread count. docs/guarantees.md
    lists each promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np, fastconv
    >>> x = np.arange(12.0).reshape(3, 4)
    >>> a = fastconv.convolve_separable(x, [1.0, 2.0], [1.0, 0.0, -1.0])
    >>> np.allclose(a, fastconv.convolve2d(x, np.outer([1.0, 2.0], [1.0, 0.0, -1.0])))
    True
    """
    in1 = _args.as_input(in1, "in1")
    col = _args.as_input(col, "col")
    row = _args.as_input(row, "row")
    boundary, strides, nthreads, rule, taps = _separable_args(
        in1, col, row, mode, boundary, stride, anchor, threads
    )

    if _args.is_object(in1, col, row):
        res = _object.separable(in1, col, row, mode, boundary, fillvalue, strides, rule, taps)
        return _args.deliver(res, out, (in1, col, row))
    result_dtype = np.result_type(in1, col, row)
    fill = _args.fill_scalar(fillvalue, result_dtype)
    plan = _core.plan_separable(
        in1.shape, col.size, row.size, mode, boundary, strides, rule, taps, nthreads
    )
    shape = plan.shape
    cdtype = _args.compute_dtype(result_dtype)
    _args.check_result_size(shape, result_dtype, cdtype)
    if out is not None:
        _args.check_out(out, shape, result_dtype, (in1, col, row))
    x, c, r = (_args.to_compute(a, cdtype) for a in (in1, col, row))
    target = _args.compute_target(out, shape, result_dtype, cdtype)
    _core.convolve_separable(plan, x, c, r, target, fill.astype(cdtype))
    return _args.finish(target, result_dtype, out)


def _separable_args(in1, col, row, mode, boundary, stride, anchor, threads):
    """convolve_separable's argument checks -> (boundary, strides, threads,
    anchor rule, anchor taps). Reads only ndim (fastconv.dask asks it too)."""
    if in1.ndim != 2:
        raise ValueError(f"in1: must be a 2-D array, got {in1.ndim} dimensions")
    if col.ndim != 1 or row.ndim != 1:
        raise ValueError("col and row: must be 1-D arrays")
    _args.check_mode(mode)
    boundary = _args.check_boundary(boundary)
    strides = _args.per_axis(stride, "stride", 2, minimum=1)
    nthreads = _args.threads_arg(threads)
    rule, taps = _args.anchor_rule(anchor, 2, mode, "centre_low")
    return boundary, strides, nthreads, rule, taps


@overload
def choose_conv_method(
    in1: ArrayLike, in2: ArrayLike, mode: Mode = ..., measure: Literal[False] = ...
) -> Literal["direct", "fft"]: ...
@overload
def choose_conv_method(
    in1: ArrayLike, in2: ArrayLike, mode: Mode = ..., *, measure: Literal[True]
) -> tuple[Literal["direct", "fft"], dict[str, float]]: ...
@overload
def choose_conv_method(
    in1: ArrayLike, in2: ArrayLike, mode: Mode, measure: Literal[True]
) -> tuple[Literal["direct", "fft"], dict[str, float]]: ...


def choose_conv_method(
    in1: ArrayLike, in2: ArrayLike, mode: Mode = "full", measure: bool = False
) -> Literal["direct", "fft"] | tuple[Literal["direct", "fft"], dict[str, float]]:
    """The method `convolve` and `correlate` take with method='auto'.

    As scipy.signal.choose_conv_method: 'fft' when fastconv's cost model
    predicts the FFT path faster and it is allowed (finite inputs; no long
    double; for integers, a result that cannot exceed 2**52), else
    'direct' (which includes the separable path for rank-one 2-D kernels).

    Parameters
    ----------
    in1, in2 : array_like
        Input and kernel, as for `convolve`.
    mode : {'full', 'valid', 'same'}
        As for `convolve`.
    measure : bool
        Time both methods (best of three calls each) instead of predicting.

    Returns
    -------
    str or (str, dict)
        'direct' or 'fft'; with ``measure=True``, ``(faster, {'fft':
        seconds, 'direct': seconds})``, as scipy.

    Raises
    ------
    ValueError, TypeError
        For the arguments `convolve` refuses.

    Notes
    -----
    Accuracy depends on the method: 'direct' is accurate per element, 'fft' normwise only
    (docs/guarantees.md). The choice never takes the FFT for inputs holding NaN or Inf, for
    long double, or for integers whose result could exceed 2**52, and it does not depend on
    the thread count.

    Examples
    --------
    >>> import numpy as np, fastconv
    >>> fastconv.choose_conv_method(np.ones(1000), np.ones(5))
    'direct'
    >>> fastconv.choose_conv_method(np.ones(100_000), np.ones(5000))
    'fft'
    """
    in1 = _args.as_input(in1, "in1")
    in2 = _args.as_input(in2, "in2")
    if measure:
        times = {}
        for method in ("fft", "direct"):
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                convolve(in1, in2, mode=mode, method=method)
                runs.append(time.perf_counter() - t0)
            times[method] = min(runs)
        return ("fft" if times["fft"] < times["direct"] else "direct"), times
    _args.check_mode(mode)
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    if in1.ndim == 0:
        return "direct"
    # the two steps of method="auto" in `convolve`, on the same code
    if (
        _cost.separable_choice(_CONVOLVE, in1, in2, mode, "fill", 0, 1, None, consider_fft=True)
        is not None
    ):
        return "direct"  # (the separable path is a direct method)
    plan = _FilterPlan(_CONVOLVE, in1, in2, mode, None, 1, 1, "fill", 0, None, 0)
    return "fft" if _cost.fft_pays(plan) else "direct"
