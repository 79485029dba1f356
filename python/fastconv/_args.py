"""Argument checking and dtype promotion shared by the public functions.

Everything here runs with the GIL held, before the C++ call; it never
computes results itself.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from . import _core

MODES = ("full", "same", "valid")
BOUNDARIES = {
    "fill": "fill",
    "pad": "fill",
    "wrap": "wrap",
    "circular": "wrap",
    "symm": "symm",
    "symmetric": "symm",
    "mirror": "mirror",
    "nearest": "nearest",
}

# Element types the C++ core computes in, natively: its one list
# (cpp/include/fastconv/element_types.hpp), as NumPy kind and size.
_NATIVE = {np.dtype(f"{kind}{size}") for kind, size in _core.element_dtypes}


def check_mode(mode, message="Acceptable mode flags are 'valid', 'same', or 'full'."):
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(message)
    return mode


def check_boundary(boundary):
    if boundary == "reflect":
        raise ValueError(
            "boundary='reflect' is ambiguous (libraries disagree on it): use "
            "'symm' (d c b a | a b c d, the edge repeated) or 'mirror' "
            "(d c b | a b c d, no edge repeat)"
        )
    try:
        return BOUNDARIES[boundary]
    except (KeyError, TypeError):
        raise ValueError(
            f"boundary: acceptable boundary flags are 'fill' (or 'pad'), 'wrap' "
            f"(or 'circular'), 'symm' (or 'symmetric'), 'mirror' and 'nearest', "
            f"not {boundary!r}"
        ) from None


def as_input(x, name):
    """np.asarray, refusing non-numeric dtypes with a TypeError."""
    a = np.asarray(x)
    if a.dtype.kind not in "biufcO":
        raise TypeError(f"{name}: expected numeric data, got dtype {a.dtype}")
    return a


def is_object(*arrays):
    return any(a.dtype.kind == "O" for a in arrays)


def compute_dtype(result_dtype):
    """The dtype the C++ core computes in for a given result dtype.

    Integers and bool are computed in int64 with wrapping arithmetic, which
    gives the same bits as scipy's integer arithmetic after the cast back to
    the result type; float16 is computed in float32.
    """
    if result_dtype.kind in "biu":
        return np.dtype(np.int64)
    if result_dtype == np.float16:
        return np.dtype(np.float32)
    if result_dtype in _NATIVE:
        # numpy's own instance: the bindings compare dtypes by identity, and
        # an unpickled array (multiprocessing, dask.distributed) carries an
        # equal but distinct dtype object
        return np.dtype(result_dtype.type)
    raise TypeError(f"unsupported dtype {result_dtype}")


def to_compute(a, dtype):
    """Cast to the compute dtype (native byte order), keeping the layout if
    the C++ core can read it as it is (any strides, aligned elements)."""
    if a.dtype.kind == "u" and dtype == np.int64 and a.dtype.itemsize == 8:
        a = a.view(np.int64) if a.dtype.isnative else a.astype(np.int64)
    else:
        a = a.astype(dtype, copy=False)
    if a.dtype is not dtype:  # equal, but another instance (see compute_dtype)
        a = a.view(dtype)
    return viewable(a)


def viewable(a):
    """`a` itself if the C++ core can view it (aligned elements, strides a
    multiple of the item size), else an aligned C-order copy."""
    if a.flags.aligned:
        itemsize = a.itemsize
        for s in a.strides:  # (a loop: this runs for every array of every call)
            if s % itemsize:
                break
        else:
            return a
    return a.copy(order="C")  # fresh memory is aligned (ascontiguousarray may not copy)


def check_result_size(shape, *dtypes):
    """ValueError when an array of `shape` would not fit in memory's address
    range for one of `dtypes` -- before anything is allocated or copied."""
    size = math.prod(int(n) for n in shape) * max(np.dtype(d).itemsize for d in dtypes)
    if size > np.iinfo(np.intp).max:
        raise ValueError(
            f"in1/in2: the result of shape {tuple(shape)} overflows the "
            f"address range ({size} bytes)"
        )


def per_axis(value, name, naxes, minimum=None):
    """An int, or a tuple with one int per convolved axis -> one int per axis."""
    if type(value) is int:  # the common case, without the general path's cost
        if minimum is not None and value < minimum:
            raise ValueError(f"{name}: must be >= {minimum}, got {value!r}")
        return [value] * naxes
    items = value if isinstance(value, (tuple, list)) else (value,)
    out = []
    for v in items:
        if isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{name}: expected an int or a tuple of ints, got {value!r}")
        try:
            out.append(operator.index(v))
        except TypeError:
            raise TypeError(f"{name}: expected an int or a tuple of ints, got {value!r}") from None
    if len(out) not in (1, naxes):
        raise ValueError(
            f"{name}: expected one value or {naxes} (one per convolved axis), got {len(out)}"
        )
    if minimum is not None and any(v < minimum for v in out):
        raise ValueError(f"{name}: must be >= {minimum}, got {value!r}")
    return out * naxes if len(out) == 1 else out


def normalize_axes(axes, ndim):
    """scipy.fft's rules for `axes` -> a list of distinct non-negative ints."""
    if axes is None:
        return list(range(ndim))
    try:
        items = [operator.index(axes)]
    except TypeError:
        try:
            items = [operator.index(a) for a in axes]
        except TypeError:
            raise ValueError("axes must be a scalar or iterable of integers") from None
    if not items:
        raise ValueError("when provided, axes cannot be empty")
    items = [a + ndim if a < 0 else a for a in items]
    if any(a < 0 or a >= ndim for a in items):
        raise ValueError("axes exceeds dimensionality of input")
    if len(set(items)) != len(items):
        raise ValueError("all axes must be unique")
    return items


def check_batch_shapes(s1, s2, axes):
    for a in range(len(s1)):
        if a not in axes and not (s1[a] == s2[a] or s1[a] == 1 or s2[a] == 1):
            raise ValueError(f"incompatible shapes for in1 and in2: {s1} and {s2}")


def fill_scalar(fillvalue, result_dtype):
    """scipy.signal.convolve2d's rules for `fillvalue`, as a 0-d array of the
    result dtype."""
    fv = np.asarray(fillvalue)
    if fv.size != 1:
        if fv.size == 0:
            raise ValueError("`fillvalue` cannot be empty.")
        raise ValueError("`fillvalue` must be scalar or an array with one element.")
    if fv.dtype.kind not in "biufc":
        raise TypeError(f"fillvalue: expected a number, got dtype {fv.dtype}")
    fv = fv.reshape(())
    if result_dtype.kind != "c" and fv.dtype.kind == "c":
        raise ValueError("could not cast `fillvalue` directly to the output type")
    if result_dtype.kind in "biu":
        # A value the integer result cannot hold would wrap silently (scipy
        # refuses most of them); a fraction is dropped, as scipy does.
        value = fv.item()
        lo, hi = (
            (0, 1)
            if result_dtype.kind == "b"
            else (np.iinfo(result_dtype).min, np.iinfo(result_dtype).max)
        )
        if not (math.isfinite(value) and lo <= math.trunc(value) <= hi):
            raise ValueError(
                f"fillvalue: {value!r} does not fit the result dtype "
                f"{result_dtype} (range {lo} to {hi}); could not cast "
                f"`fillvalue` directly to the output type"
            )
    with np.errstate(invalid="ignore", over="ignore"):
        return fv.astype(result_dtype)


def positive_int(value, name):
    """A thread count: a positive int (bool, str and float are a TypeError).
    Counts beyond a C int are passed as the largest one: the core caps every
    count at what the machine can use (fastconv.max_threads in C++)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a positive int, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name}: expected a positive int, got {value!r}") from None
    if n < 1:
        raise ValueError(f"{name}: must be >= 1, got {n}")
    return min(n, 2**31 - 1)


def threads_arg(threads):
    """`threads=`: None (0 for the core: the global setting) or a positive int."""
    return 0 if threads is None else positive_int(threads, "threads")


def dense(a):
    """Whether `a` covers its memory once with no gaps, in some order of
    its axes (a C-contiguous array, or a transposed view of one such as a
    channels-last view of an NHWC array)."""
    steps = sorted((stride, n) for stride, n in zip(a.strides, a.shape) if n > 1)
    expected = a.itemsize
    for stride, n in steps:
        if stride != expected:
            return False
        expected *= n
    return True


def check_out(out, shape, dtype, inputs, any_order=False):
    """Validate a user-provided `out` array (exact shape and dtype,
    C-contiguous -- or, with `any_order`, dense in any axis order --,
    writable, no overlap with an input)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out: expected a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"out: dtype must be {dtype}, got {out.dtype}")
    if out.shape != tuple(shape):
        raise ValueError(f"out: shape must be {tuple(shape)}, got {out.shape}")
    if any_order and not dense(out):
        raise ValueError(
            "out: must be dense (C-contiguous, or a transposed view of a C-contiguous "
            "array such as a channels-last view)"
        )
    if not any_order and not out.flags.c_contiguous:
        raise ValueError("out: must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    for a in inputs:
        if isinstance(a, np.ndarray) and np.shares_memory(out, a):
            raise ValueError("out: must not overlap an input")
    return out


def anchor_rule(anchor, naxes, mode, default):
    """`anchor` -> (rule, taps) for the C++ core: None -> `default`
    ('centre_low' or 'centre_high'), 'matlab' -> 'centre_high', an int or a
    tuple -> explicit taps (their range is checked by the core)."""
    if anchor is None:
        return default, []
    if isinstance(anchor, str):
        if anchor != "matlab":
            raise ValueError(
                f"anchor: expected None, 'matlab', an int or a tuple of ints, not {anchor!r}"
            )
        rule, taps = "centre_high", []
    else:
        rule, taps = "taps", per_axis(anchor, "anchor", naxes, minimum=0)
    if mode != "same":
        raise ValueError(f"anchor: only used in 'same' mode, not {mode!r}")
    return rule, taps


def compute_target(out, shape, result_dtype, compute_dtype):
    """Where the core writes: `out` itself when it has the compute dtype,
    else a new array (cast by `finish`)."""
    if out is not None and compute_dtype == result_dtype:
        return out
    return np.empty(shape, compute_dtype)


def finish(res, result_dtype, out):
    """Cast the core's result to the result dtype (uint64 results were
    computed in int64: same bits) and deliver it in `out` if given."""
    if res is out:
        return out
    if res.dtype != result_dtype:
        res = res.view(np.uint64) if result_dtype == np.uint64 else res.astype(result_dtype)
    if out is not None:
        np.copyto(out, res, casting="unsafe")
        return out
    return np.ascontiguousarray(res)


def deliver(res, out, inputs):
    """An already computed result (object arrays), into `out` if given."""
    if out is None:
        return res
    check_out(out, res.shape, res.dtype, inputs)
    out[...] = res
    return out


def empty_result(shape, dtype, out, inputs):
    shape = tuple(max(int(s), 0) for s in shape)
    if out is not None:
        check_out(out, shape, dtype, inputs)
        out[...] = 0
        return out
    return np.zeros(shape, dtype)
