"""FFT convolution with scipy.signal.fftconvolve's semantics.

No FFT of our own: scipy.fft when it is importable (it keeps float32 and
long double), numpy.fft otherwise; both are pocketfft.
"""
from __future__ import annotations

import numpy as np

from . import _args

_backend = None


def _fft_backend():
    """(module with rfftn/irfftn/fftn/ifftn, next_fast_len), chosen on first
    use so that importing fastconv does not import scipy."""
    global _backend
    if _backend is None:
        try:
            import scipy.fft as lib
            _backend = (lib, lib.next_fast_len)
        except ImportError:  # pragma: no cover - scipy is optional
            _backend = (np.fft, _next_fast_len)
    return _backend


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


__all__ = ["fftconvolve"]


def _centered(arr, newshape):
    start = [(cur - new) // 2 for cur, new in zip(arr.shape, newshape)]
    return arr[tuple(slice(s, s + n) for s, n in zip(start, newshape))]


def fftconvolve(in1, in2, mode="full", axes=None):
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

    Examples
    --------
    >>> import numpy as np, fastconv
    >>> np.allclose(fastconv.fftconvolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5]),
    ...             [0.0, 1.0, 2.5, 4.0, 1.5])
    True
    """
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
    axes = [a for a in axes if s1[a] != 1 and s2[a] != 1]
    _args.check_batch_shapes(s1, s2, axes)
    if _args.swap_needed(mode, s1, s2, axes):
        in1, in2 = in2, in1
        s1, s2 = s2, s1
    if not axes:
        return in1 * in2

    lib, next_fast_len = _fft_backend()
    complex_result = in1.dtype.kind == "c" or in2.dtype.kind == "c"
    if in1.dtype.kind in "biu":
        in1 = in1.astype(np.float64)
    if in2.dtype.kind in "biu":
        in2 = in2.astype(np.float64)
    shape = [max(s1[a], s2[a]) if a not in axes else s1[a] + s2[a] - 1
             for a in range(in1.ndim)]
    fshape = [next_fast_len(shape[a], not complex_result) for a in axes]
    if complex_result:
        sp = lib.fftn(in1, fshape, axes=axes) * lib.fftn(in2, fshape, axes=axes)
        ret = lib.ifftn(sp, fshape, axes=axes)
    else:
        sp = lib.rfftn(in1, fshape, axes=axes) * lib.rfftn(in2, fshape, axes=axes)
        ret = lib.irfftn(sp, fshape, axes=axes)
    ret = ret[tuple(slice(n) for n in shape)]
    if mode == "same":
        ret = _centered(ret, s1)
    elif mode == "valid":
        ret = _centered(ret, [ret.shape[a] if a not in axes else s1[a] - s2[a] + 1
                              for a in range(ret.ndim)])
    return ret.copy()
