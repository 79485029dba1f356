"""The pure-Python oracle: the executable specification of fastconv.

Plain loops written straight from the definitions in SPEC section 1, with
no attempt at speed. The fast paths are tested against it, and object
arrays are computed by it.

For one convolved axis, input x of length n, kernel k of length K,
dilation d (dilated length ke = d*(K-1)+1) and stride s:

    full convolution   F[f] = sum_p  x~[f - p*d] * k[p],              0 <= f < n+ke-1
    full correlation   F[f] = sum_p  x~[f - (ke-1) + p*d] * conj(k[p])
    mode result        out[i] = F[start + i*s]

where x~ is x extended past its ends by the boundary rule, and start is
0 (full), ke-1 (valid), or the 'same' anchor's offset into F. Several axes
combine as nested sums over every tap.

Transposed convolution scatters instead: out[i*s + j*d - padding] +=
x[i] * k[j], over an output of length (n-1)*s - 2*padding + ke +
output_padding.

Max-pooling takes, per output position, the largest input among the taps
of its window that land inside the input (padding never wins), with the
first position on ties and a NaN over any number (the last NaN, as
torch); unpooling puts values back at their recorded flat positions.
"""
from __future__ import annotations

import itertools

import numpy as np

__all__ = ["convolve", "correlate", "conv_transpose", "output_length", "extend_index",
           "max_pool", "max_unpool"]


def extend_index(t, n, boundary):
    """Index into x[0..n) of the extended input x~ at position t, or None
    where the boundary rule is a constant fill."""
    if 0 <= t < n:
        return t
    if boundary in ("fill", "pad"):
        return None
    if boundary in ("wrap", "circular"):     # a b c d | a b c d
        while t < 0:
            t += n
        while t >= n:
            t -= n
        return t
    if boundary in ("symm", "symmetric"):    # d c b a | a b c d | d c b a
        while not 0 <= t < n:
            t = -t - 1 if t < 0 else 2 * n - 1 - t
        return t
    if boundary == "mirror":                  # d c b | a b c d | c b a
        if n == 1:
            return 0
        while not 0 <= t < n:
            t = -t if t < 0 else 2 * n - 2 - t
        return t
    if boundary == "nearest":                 # a a a | a b c d | d d d
        return 0 if t < 0 else n - 1
    raise ValueError(f"unknown boundary {boundary!r}")


def output_length(n, k, mode, stride=1, dilation=1):
    ke = dilation * (k - 1) + 1
    length = {"full": n + ke - 1, "same": n, "valid": n - ke + 1}[mode]
    if length <= 0:
        return 0
    return (length - 1) // stride + 1


def _same_start(ke, d, anchor, flip):
    """Offset of the 'same' output in the full result."""
    if anchor is None or anchor == "low":     # scipy convolve / correlate / convolve2d
        return (ke - 1) // 2
    if anchor in ("high", "matlab"):          # scipy correlate2d, MATLAB, ndimage
        return ke // 2
    # An explicit tap a sits over each output sample:
    #   convolution  out[i] = sum_p x~[i + a*d - p*d] k[p]  -> start a*d
    #   correlation  out[i] = sum_p x~[i - a*d + p*d] k[p]  -> start ke-1-a*d
    return anchor * d if flip else ke - 1 - anchor * d


def _per_axis(v, ndim):
    if isinstance(v, (tuple, list)):
        if len(v) != ndim:
            raise ValueError("one value per axis expected")
        return list(v)
    return [v] * ndim


def _filter(x, k, mode, flip, conj, boundary, fillvalue, stride, dilation, anchor):
    x = np.asarray(x)
    k = np.asarray(k)
    if x.ndim != k.ndim:
        raise ValueError("x and k must have the same number of dimensions")
    nd = x.ndim
    strides = _per_axis(stride, nd)
    dils = _per_axis(dilation, nd)
    anchors = anchor if isinstance(anchor, (tuple, list)) else [anchor] * nd
    kes = [d * (kn - 1) + 1 for d, kn in zip(dils, k.shape)]
    starts = []
    for a in range(nd):
        if mode == "full":
            starts.append(0)
        elif mode == "valid":
            starts.append(kes[a] - 1)
        else:
            starts.append(_same_start(kes[a], dils[a], anchors[a], flip))
    out_shape = tuple(output_length(n, kn, mode, s, d)
                      for n, kn, s, d in zip(x.shape, k.shape, strides, dils))
    dtype = np.result_type(x, k) if x.dtype.kind != "O" and k.dtype.kind != "O" else object
    out = np.empty(out_shape, dtype=dtype)
    for i in itertools.product(*(range(m) for m in out_shape)):
        total = 0
        for p in itertools.product(*(range(kn) for kn in k.shape)):
            pos = []
            for a in range(nd):
                f = starts[a] + i[a] * strides[a]          # index into the full result
                if flip:
                    pos.append(f - p[a] * dils[a])
                else:
                    pos.append(f - (kes[a] - 1) + p[a] * dils[a])
            idx = tuple(extend_index(t, n, boundary) for t, n in zip(pos, x.shape))
            if any(j is None for j in idx):
                if fillvalue == 0:
                    continue  # a zero fill is no term of the sum (SPEC 5)
                xv = fillvalue
            else:
                xv = x[idx]
            kv = k[p]
            if conj and isinstance(kv, (complex, np.complexfloating)):
                kv = kv.conjugate()
            total = total + xv * kv
        out[i] = total
    return out


def convolve(x, k, mode="full", *, boundary="fill", fillvalue=0, stride=1,
             dilation=1, anchor=None):
    """N-D convolution over every axis of x and k (equal ndim).

    anchor ('same' mode): None -- scipy's centre, start (ke-1)//2;
    "matlab" -- start ke//2; an int or per-axis tuple -- the kernel tap that
    sits over each output sample.
    """
    return _filter(x, k, mode, True, False, boundary, fillvalue, stride, dilation, anchor)


def correlate(x, k, mode="full", *, boundary="fill", fillvalue=0, stride=1,
              dilation=1, anchor=None, conjugate=True):
    """N-D correlation (conjugating complex k, as scipy.signal.correlate).

    anchor: as for convolve; "matlab" (alias "high") gives the start ke//2
    that scipy.signal.correlate2d uses.
    """
    return _filter(x, k, mode, False, conjugate, boundary, fillvalue, stride,
                   dilation, anchor)


def conv_transpose(x, k, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution over every axis of x and k (equal ndim):
    every input element scatters a copy of the kernel scaled by its value,
    the copies placed `stride` apart and summed where they overlap."""
    x = np.asarray(x)
    k = np.asarray(k)
    if x.ndim != k.ndim:
        raise ValueError("x and k must have the same number of dimensions")
    nd = x.ndim
    s, p = _per_axis(stride, nd), _per_axis(padding, nd)
    op, d = _per_axis(output_padding, nd), _per_axis(dilation, nd)
    shape = tuple(0 if n == 0 else (n - 1) * s[a] - 2 * p[a] + d[a] * (kn - 1) + 1 + op[a]
                  for a, (n, kn) in enumerate(zip(x.shape, k.shape)))
    dtype = np.result_type(x, k) if x.dtype.kind != "O" and k.dtype.kind != "O" else object
    out = np.zeros(shape, dtype=dtype)
    if dtype == object:
        out[...] = 0
    for i in itertools.product(*(range(n) for n in x.shape)):
        for j in itertools.product(*(range(kn) for kn in k.shape)):
            o = tuple(i[a] * s[a] + j[a] * d[a] - p[a] for a in range(nd))
            if all(0 <= o[a] < shape[a] for a in range(nd)):
                out[o] = out[o] + x[i] * k[j]
    return out


def _pooled_length(n, k, s, p, d, ceil_mode):
    """torch's documented length: floor (or ceil) of
    (n + 2p - d*(k-1) - 1) / s, plus 1; with ceil_mode the last window
    must start inside the input or the left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    count = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (count - 1) * s >= n + p:
        count -= 1
    return count


def max_pool(x, kernel_size, stride, padding, dilation, ceil_mode=False):
    """Max-pool one plane: x is 1-D or 2-D, the parameters one int per axis.
    Returns (values, indices) with indices flat in x's plane."""
    x = np.asarray(x)
    shape = x.shape
    lengths = [_pooled_length(n, k, s, p, d, ceil_mode)
               for n, k, s, p, d in zip(shape, kernel_size, stride, padding, dilation)]
    values = np.empty(lengths, dtype=x.dtype)
    indices = np.empty(lengths, dtype=np.int64)
    for o in itertools.product(*(range(n) for n in lengths)):
        best, best_at = None, None
        taps = [[o[a] * stride[a] - padding[a] + j * dilation[a] for j in range(kernel_size[a])]
                for a in range(x.ndim)]
        for pos in itertools.product(*taps):
            if not all(0 <= t < n for t, n in zip(pos, shape)):
                continue
            v = x[pos]
            if best is None or v > best or v != v:
                best, best_at = v, np.ravel_multi_index(pos, shape)
        if best is None:
            # No tap inside the input (a dilated window over the padding):
            # torch's answer, the lowest value at the first tap past the
            # left padding.
            first = [next(t for t in ts if t >= 0) for ts in taps]
            best = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
            best_at = sum(t * int(np.prod(shape[a + 1:])) for a, t in enumerate(first))
        values[o] = best
        indices[o] = best_at
    return values, indices


def max_unpool(x, indices, out_shape):
    """Unpool one plane: out.flat[indices[i]] = x[i] in row-major order of
    x, zeros elsewhere; an index outside the plane raises ValueError."""
    out = np.zeros(out_shape, dtype=np.asarray(x).dtype)
    for v, at in zip(np.asarray(x).ravel(), np.asarray(indices).ravel()):
        if not 0 <= at < out.size:
            raise ValueError(f"index {at} outside the output plane")
        out.flat[at] = v
    return out
