"""FFT convolution with the semantics of scipy.signal.fftconvolve and
scipy.signal.oaconvolve, and the transforms (whole-array and overlap-add)
that the FFT path of convolve/correlate (`_fft_path`) runs on.

No FFT of our own: scipy.fft when it is importable (it keeps float32 and
long double), numpy.fft otherwise; both are pocketfft.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _args, _core
from ._typing import Array, ArrayLike, Axes, Mode

_backend = None
# Whether scipy.fft gives the same bytes for any number of workers: true up
# to scipy 1.17; scipy 1.18's float32 N-D transforms round differently with
# workers > 1, and results must not depend on the thread count (docs/guarantees.md), so
# there the transforms run on one worker.
_workers_exact = False


def _fft_backend():
    """(module with rfftn/irfftn/fftn/ifftn, next_fast_len), chosen on first
    use so that importing fastconv does not import scipy."""
    global _backend, _workers_exact
    if _backend is None:
        try:
            import scipy
            import scipy.fft as lib

            _backend = (lib, lib.next_fast_len)
            major, minor = (int(v) for v in scipy.__version__.split(".")[:2])
            _workers_exact = (major, minor) <= (1, 17)
        except ImportError:  # pragma: no cover - scipy is optional
            _backend = (np.fft, _next_fast_len)
    return _backend


def _fft_options(lib, workers, **extra):
    """Keywords of the backend's transforms: numpy.fft takes none; scipy.fft
    the workers (where they do not change the result) and `extra`."""
    if lib is np.fft:
        return {}
    return {"workers": workers if _workers_exact else 1, **extra}


def _next_fast_len(n, real=True):
    """Smallest 2^a 3^b 5^c >= n (sizes pocketfft handles fastest)."""
    m = n
    while True:
        r = m
        for p in (2, 3, 5):
            while r % p == 0:
                r //= p
        if r == 1:
            return m
        m += 1


__all__ = ["fftconvolve", "oaconvolve"]


def _centered(arr, newshape):
    start = [(cur - new) // 2 for cur, new in zip(arr.shape, newshape)]
    return arr[tuple(slice(s, s + n) for s, n in zip(start, newshape))]


def fftconvolve(in1: ArrayLike, in2: ArrayLike, mode: Mode = "full", axes: Axes = None) -> Array:
    """Convolve two N-D arrays using the FFT (scipy.signal.fftconvolve).

    Parameters
    ----------
    in1, in2 : array_like
        Inputs of equal ndim.
    mode : {'full', 'valid', 'same'}
        Output size, as in `convolve`.
    axes : int or sequence of int, optional
        Axes to convolve over (default: all). Along the other axes the
        shapes must be equal or 1 (broadcast).

    Returns
    -------
    ndarray
        Accurate normwise, not per element: prefer ``convolve(...,
        method='direct')`` when small outputs next to large ones matter.

    Raises
    ------
    ValueError
        Inputs of different ndim or shapes that do not broadcast, an
        unknown `mode`, repeated or out-of-range `axes`, or 'valid' mode
        where neither input is at least as large as the other in every
        axis (as scipy).
    TypeError
        A non-numeric dtype, or non-integer `axes`.

    Notes
    -----
    Accuracy: normwise only, ``||err||_2 <= 10 * u * log2(L) * ||x||_2 * ||k||_2`` (``u``
    the unit roundoff, ``L`` the transform length): small outputs next to large ones lose
    relative accuracy, and Inf or NaN spread over the whole result. `convolve` with
    ``method='direct'`` is accurate per element. docs/guarantees.md lists each promise with
    the test that checks it.

    Examples
    --------
    >>> import numpy as np, fastconv
    >>> np.allclose(fastconv.fftconvolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5]),
    ...             [0.0, 1.0, 2.5, 4.0, 1.5])
    True
    """
    prepared = _prepare(in1, in2, mode, axes)
    if not isinstance(prepared, tuple):
        return prepared
    in1, in2, s1, s2, axes = prepared
    res = _full_fft(*_as_common_float(in1, in2), axes, _core.get_num_threads())
    return _apply_mode(res, s1, s2, mode, axes)


def _prepare(in1, in2, mode, axes):
    """scipy's checks and conventions shared by fftconvolve and oaconvolve:
    (in1, in2, shape1, shape2, transformed axes), in1 the larger in 'valid'
    mode -- or the finished result when nothing is left to transform."""
    in1 = _args.as_input(in1, "in1")
    in2 = _args.as_input(in2, "in2")
    if in1.ndim == in2.ndim == 0:
        return in1 * in2
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    _args.check_mode(mode, "acceptable mode flags are 'valid', 'same', or 'full'")
    if in1.size == 0 or in2.size == 0:
        return np.array([])
    s1, s2 = in1.shape, in2.shape
    given = axes is not None
    axes = _args.normalize_axes(axes, in1.ndim)
    if given and not axes:
        raise ValueError("when provided, axes cannot be empty")
    # Axes where either input has length 1 are broadcast, not transformed.
    axes = sorted(a for a in axes if s1[a] != 1 and s2[a] != 1)
    if not axes:
        _args.check_batch_shapes(s1, s2, axes)
    # the C++ plan's checks of the batch shapes and scipy's 'valid' swap
    elif _core.plan_filter(True, s1, s2, mode, "fill", axes, [1], [1], "centre_low", [], 0).swapped:
        in1, in2 = in2, in1
        s1, s2 = s2, s1
    if not axes:
        return _apply_mode(in1 * in2, s1, s2, mode, axes)
    return in1, in2, s1, s2, axes


def _as_float(a):
    """Integers and bool are transformed as float64 (scipy's rule)."""
    return a.astype(np.float64) if a.dtype.kind in "biu" else a


def _as_common_float(in1, in2):
    """Both inputs in the result's precision: a float32 input next to a
    float64 one is transformed in float64 too (scipy transforms it in
    float32, losing precision the float64 result seems to promise)."""
    in1, in2 = _as_float(in1), _as_float(in2)
    dtype = np.result_type(in1, in2)
    return in1.astype(dtype, copy=False), in2.astype(dtype, copy=False)


def _forward(a, fshape, axes, real, workers):
    """The N-D transform of `a` zero-padded to `fshape`: real-input (half
    spectrum) when `real`, else the full complex one -- decided by the
    caller for both inputs alike, so that the two spectra match. An array
    much shorter than fshape along the leading axes (a kernel padded to the
    image's size) is transformed one axis at a time, the last first, so
    that its all-zero lines are never transformed: about half the cost.
    Otherwise pocketfft's N-D transform, which is faster per line."""
    lib, _ = _fft_backend()
    opts = _fft_options(lib, workers)
    if len(axes) == 1 or all(2 * a.shape[ax] > n for ax, n in zip(axes[:-1], fshape[:-1])):
        return (lib.rfftn if real else lib.fftn)(a, fshape, axes=axes, **opts)
    spec = (lib.rfft if real else lib.fft)(a, fshape[-1], axis=axes[-1], **opts)
    for ax, n in zip(axes[:-1], fshape[:-1]):
        spec = lib.fft(spec, n, axis=ax, **opts)
    return spec


def _convolved_spectra(in1, in2, fshape, axes, real, workers):
    """The inverse transform of the product of both inputs' spectra."""
    lib, _ = _fft_backend()
    spec = _forward(in1, fshape, axes, real, workers)
    other = _forward(in2, fshape, axes, real, workers)
    if spec.shape == np.broadcast_shapes(spec.shape, other.shape) and spec.dtype == np.result_type(
        spec, other
    ):
        spec *= other  # in place: no second spectrum-sized allocation
    else:
        spec = spec * other
    opts = _fft_options(lib, workers, overwrite_x=True)
    return (lib.irfftn if real else lib.ifftn)(spec, fshape, axes=axes, **opts)


def _full_fft(in1, in2, axes, workers=None):
    """The full linear convolution over `axes` by one FFT of the whole
    (padded) arrays; the other axes broadcast."""
    _, next_fast_len = _fft_backend()
    real = in1.dtype.kind != "c" and in2.dtype.kind != "c"
    full = [in1.shape[a] + in2.shape[a] - 1 for a in axes]
    fshape = [next_fast_len(n, real) for n in full]
    ret = _convolved_spectra(in1, in2, fshape, axes, real, workers)
    index = [slice(None)] * ret.ndim
    for a, n in zip(axes, full):
        index[a] = slice(n)
    return ret[tuple(index)]


def _apply_mode(ret, s1, s2, mode, axes):
    """Crop the 'full' result to `mode` (a copy, never a view).

    Axes not in `axes` are broadcast axes: 'same' still crops them to
    in1's length (scipy does), 'valid' keeps them whole.
    """
    if mode == "same":
        ret = _centered(ret, s1)
    elif mode == "valid":
        ret = _centered(
            ret, [ret.shape[a] if a not in axes else s1[a] - s2[a] + 1 for a in range(ret.ndim)]
        )
    return ret.copy()


@functools.lru_cache(maxsize=256)
def _oa_blocks(n, k, next_fast_len, real):
    """Overlap-add blocking of one axis: a length-n input against a
    length-k kernel (n > k) -> (fft_len, step), or None when one plain FFT
    of the whole axis is as cheap.

    The input is cut into ceil(n/step) blocks of `step` samples; each is
    convolved with the kernel by FFTs of fft_len = step + k - 1 (so no
    wrap-around). The cost model is scipy's, (blocks) * N * (log2 N + 1)
    over fast lengths N, but searched exactly instead of solved in closed
    form, and with the fast lengths of the real or complex transform used.
    """
    overlap = k - 1
    # As scipy: no blocks unless the kernel is under half the input.
    if 2 * k >= n:
        return None
    # Blocks of at least `overlap` samples, so that a block's tail reaches
    # into the next block only (see _overlap_add).
    best, best_cost = None, float("inf")
    fft_len = next_fast_len(max(2 * overlap, 2), real)
    while True:
        step = fft_len - overlap
        nblocks = -(-n // step)
        cost = nblocks * fft_len * (math.log2(fft_len) + 1)
        if cost < best_cost:
            best, best_cost = (fft_len, step, nblocks), cost
        # A longer N' covers the n samples at least once, so costs at least
        # n * (log2 N' + 1): stop once that exceeds the best (this also
        # stops at the single block).
        if nblocks == 1 or n * (math.log2(fft_len) + 1) >= best_cost:
            break
        fft_len = next_fast_len(fft_len + 1, real)
    fft_len, step, nblocks = best
    return None if nblocks == 1 else (fft_len, step)


def _into_blocks(x, axes, plans, split):
    """Reshape x so that each convolved axis a becomes two: (blocks,
    samples per block). Where x is split along a (split[j] true for
    a = axes[j], and a plan) it is zero-padded to whole blocks; elsewhere
    it is a single block (a size-1 block axis, which broadcasts)."""
    pad = [(0, 0)] * x.ndim
    shape = []
    for a, n in enumerate(x.shape):
        if a not in axes:
            shape.append(n)
            continue
        plan = plans[axes.index(a)]
        if plan is not None and split[axes.index(a)]:
            step = plan[1]
            nblocks = -(-n // step)
            pad[a] = (0, nblocks * step - n)
            shape += [nblocks, step]
        else:
            shape += [1, n]
    if any(p != (0, 0) for p in pad):
        x = np.pad(x, pad)
    return x.reshape(shape)


def _overlap_add(r, axis, step, overlap, length):
    """Merge axis `axis` (blocks, `step` apart) and axis+1 (each block's
    result, step + overlap long) into one axis of `length` samples."""
    r = np.moveaxis(r, (axis, axis + 1), (-2, -1))
    nblocks = r.shape[-2]
    # One row per block, plus one for the last block's tail; a block's
    # tail (overlap <= step) is added to the start of the next row.
    out = np.empty(r.shape[:-2] + (nblocks + 1, step), r.dtype)
    out[..., :nblocks, :] = r[..., :step]
    out[..., nblocks, :] = 0
    out[..., 1:, :overlap] += r[..., step : step + overlap]
    out = out.reshape(out.shape[:-2] + ((nblocks + 1) * step,))[..., :length]
    return np.moveaxis(out, -1, axis)


def oaconvolve(in1: ArrayLike, in2: ArrayLike, mode: Mode = "full", axes: Axes = None) -> Array:
    """Convolve two N-D arrays by the overlap-add method
    (scipy.signal.oaconvolve).

    Along each convolved axis where one input is much longer than the
    other, the longer one is cut into blocks, every block is convolved
    with the shorter input by FFTs of a common short length, and the
    block results are added where they overlap. This is faster than
    `fftconvolve` when the inputs differ a lot in size; along axes where
    it would not help it does what `fftconvolve` does.

    Parameters
    ----------
    in1, in2 : array_like
        Inputs of equal ndim.
    mode : {'full', 'valid', 'same'}
        Output size, as in `convolve`. In 'valid' mode the inputs are
        swapped if in2 is the larger one along every convolved axis.
    axes : int or sequence of int, optional
        Axes to convolve over (default: all). Along the other axes the
        shapes must be equal or 1 (broadcast).

    Returns
    -------
    ndarray
        Floating point (integer inputs give float64), complex if either
        input is. Accurate normwise, not per element, like `fftconvolve`.

    Raises
    ------
    ValueError, TypeError
        For the arguments `fftconvolve` refuses.

    See Also
    --------
    fftconvolve : one FFT of the whole array.
    convolve : direct or FFT convolution, whichever is faster.

    Notes
    -----
    As in scipy: axes where either input has length 1 are not
    transformed but broadcast, so if every axis is such, the result is
    the product ``in1 * in2`` (integers stay integers); and 'same' crops
    the broadcast axes to in1's shape too.

    Accuracy: normwise only, ``||err||_2 <= 10 * u * log2(L) * ||x||_2 * ||k||_2`` (``u``
    the unit roundoff, ``L`` the transform length): small outputs next to large ones lose
    relative accuracy, and Inf or NaN spread over the whole result. `convolve` with
    ``method='direct'`` is accurate per element. docs/guarantees.md lists each promise with
    the test that checks it.

    Examples
    --------
    A long signal and a short filter: the same values as `fftconvolve`.

    >>> import numpy as np, fastconv
    >>> rng = np.random.default_rng(0)
    >>> sig = rng.standard_normal(10_000)
    >>> taps = np.hanning(31) / np.hanning(31).sum()
    >>> out = fastconv.oaconvolve(sig, taps, mode="same")
    >>> out.shape
    (10000,)
    >>> np.allclose(out, fastconv.fftconvolve(sig, taps, mode="same"))
    True

    Along axis 1 only: the one row of in2 broadcasts against every row
    of in1.

    >>> x = rng.standard_normal((3, 500))
    >>> h = np.array([[0.25, 0.5, 0.25]])
    >>> out = fastconv.oaconvolve(x, h, axes=1)
    >>> out.shape
    (3, 502)
    >>> all(np.allclose(out[i], np.convolve(x[i], h[0])) for i in range(3))
    True
    """
    if np.shape(in1) == np.shape(in2):  # no axis can be split: one FFT is best
        return fftconvolve(in1, in2, mode, axes)
    prepared = _prepare(in1, in2, mode, axes)
    if not isinstance(prepared, tuple):
        return prepared
    in1, in2, s1, s2, axes = prepared
    _, next_fast_len = _fft_backend()
    real = in1.dtype.kind != "c" and in2.dtype.kind != "c"
    # Per convolved axis: the blocking of the longer input, or None.
    plans = [_oa_blocks(max(s1[a], s2[a]), min(s1[a], s2[a]), next_fast_len, real) for a in axes]
    if all(p is None for p in plans):
        return fftconvolve(in1, in2, mode, axes)

    res = _full_oa(*_as_common_float(in1, in2), axes, plans, _core.get_num_threads())
    return _apply_mode(res, s1, s2, mode, axes)


def _full_oa(in1, in2, axes, plans, workers=None):
    """The full linear convolution over `axes` by overlap-add, with the
    blocking `plans` (per axis: (fft_len, step), or None for one FFT
    along that axis)."""
    _, next_fast_len = _fft_backend()
    real = in1.dtype.kind != "c" and in2.dtype.kind != "c"
    s1, s2 = in1.shape, in2.shape
    full = [s1[a] + s2[a] - 1 for a in axes]
    b1 = _into_blocks(in1, axes, plans, [s1[a] > s2[a] for a in axes])
    b2 = _into_blocks(in2, axes, plans, [s2[a] > s1[a] for a in axes])
    # The j-th convolved axis a became (blocks, samples) at (a+j, a+j+1).
    fft_axes = [a + j + 1 for j, a in enumerate(axes)]
    fshape = [next_fast_len(n, real) if p is None else p[0] for n, p in zip(full, plans)]
    # Both inputs are transformed once, all their blocks in one call; the
    # product broadcasts every block of one against the other.
    ret = _convolved_spectra(b1, b2, fshape, fft_axes, real, workers)
    # Last axis first, so the earlier axes' positions stay put.
    for j in reversed(range(len(axes))):
        a, plan = axes[j], plans[j]
        if plan is None:
            index = [slice(None)] * ret.ndim
            index[a + j], index[a + j + 1] = 0, slice(full[j])
            ret = ret[tuple(index)]
        else:
            step = plan[1]
            ret = _overlap_add(ret, a + j, step, min(s1[a], s2[a]) - 1, full[j])
    return ret
