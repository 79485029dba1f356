"""The pure-Python oracle: the executable specification of fastconv.

Plain loops written straight from the definitions in docs/conventions.md,
with no attempt at speed. The fast paths are tested against it, and object
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

Average pooling divides the sum of a window's taps inside the input by
divisor_override, or by the window's size clipped to the padded extent
(count_include_pad) or to the input; adaptive average pooling to `out`
outputs averages [floor(i*n/out), ceil((i+1)*n/out)) along each axis;
adaptive max-pooling takes those windows' maxima as max-pooling does.
A global average pool (one window holding the whole plane) sums in the
documented order of partial sums, in the input's float type (float32 for
float16), exactly as fastconv does (`global_sum`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = [
    "convolve",
    "correlate",
    "conv_transpose",
    "output_length",
    "extend_index",
    "max_pool",
    "max_unpool",
    "avg_pool",
    "adaptive_avg_pool",
    "adaptive_max_pool",
    "GLOBAL_LANES",
    "global_sum",
]


def extend_index(t, n, boundary):
    """Index into x[0..n) of the extended input x~ at position t, or None
    where the boundary rule is a constant fill."""
    if 0 <= t < n:
        return t
    if boundary in ("fill", "pad"):
        return None
    if boundary in ("wrap", "circular"):  # a b c d | a b c d
        while t < 0:
            t += n
        while t >= n:
            t -= n
        return t
    if boundary in ("symm", "symmetric"):  # d c b a | a b c d | d c b a
        while not 0 <= t < n:
            t = -t - 1 if t < 0 else 2 * n - 1 - t
        return t
    if boundary == "mirror":  # d c b | a b c d | c b a
        if n == 1:
            return 0
        while not 0 <= t < n:
            t = -t if t < 0 else 2 * n - 2 - t
        return t
    if boundary == "nearest":  # a a a | a b c d | d d d
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
    if anchor is None:  # scipy convolve / correlate / convolve2d
        return (ke - 1) // 2
    if anchor == "matlab":  # scipy correlate2d, MATLAB, ndimage
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
    out_shape = tuple(
        output_length(n, kn, mode, s, d) for n, kn, s, d in zip(x.shape, k.shape, strides, dils)
    )
    dtype = np.result_type(x, k) if x.dtype.kind != "O" and k.dtype.kind != "O" else object
    out = np.empty(out_shape, dtype=dtype)
    for i in itertools.product(*(range(m) for m in out_shape)):
        total = 0
        for p in itertools.product(*(range(kn) for kn in k.shape)):
            pos = []
            for a in range(nd):
                f = starts[a] + i[a] * strides[a]  # index into the full result
                if flip:
                    pos.append(f - p[a] * dils[a])
                else:
                    pos.append(f - (kes[a] - 1) + p[a] * dils[a])
            idx = tuple(extend_index(t, n, boundary) for t, n in zip(pos, x.shape))
            if any(j is None for j in idx):
                if fillvalue == 0:
                    continue  # a zero fill is no term of the sum (docs/conventions.md)
                xv = fillvalue
            else:
                xv = x[idx]
            kv = k[p]
            if conj and isinstance(kv, (complex, np.complexfloating)):
                kv = kv.conjugate()
            total = total + xv * kv
        out[i] = total
    return out


def convolve(x, k, mode="full", *, boundary="fill", fillvalue=0, stride=1, dilation=1, anchor=None):
    """N-D convolution over every axis of x and k (equal ndim).

    anchor ('same' mode): None -- scipy's centre, start (ke-1)//2;
    "matlab" -- start ke//2; an int or per-axis tuple -- the kernel tap that
    sits over each output sample.
    """
    return _filter(x, k, mode, True, False, boundary, fillvalue, stride, dilation, anchor)


def correlate(
    x,
    k,
    mode="full",
    *,
    boundary="fill",
    fillvalue=0,
    stride=1,
    dilation=1,
    anchor=None,
    conjugate=True,
):
    """N-D correlation (conjugating complex k, as scipy.signal.correlate).

    anchor: as for convolve; "matlab" gives the start ke//2
    that scipy.signal.correlate2d uses.
    """
    return _filter(x, k, mode, False, conjugate, boundary, fillvalue, stride, dilation, anchor)


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
    shape = tuple(
        0 if n == 0 else (n - 1) * s[a] - 2 * p[a] + d[a] * (kn - 1) + 1 + op[a]
        for a, (n, kn) in enumerate(zip(x.shape, k.shape))
    )
    dtype = np.result_type(x, k) if x.dtype.kind != "O" and k.dtype.kind != "O" else object
    out = np.zeros(shape, dtype=dtype)
    if np.dtype(dtype).kind == "O":
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


def _window_max(x, positions):
    """The maximum of x over `positions` (index tuples inside x) visited in
    order, and its flat index: a larger value or a NaN wins (so the first
    of equal maxima stays, and the last NaN wins, as torch); (None, None)
    for no positions."""
    best, best_at = None, None
    for pos in positions:
        v = x[pos]
        if best is None or v > best or v != v:
            best, best_at = v, np.ravel_multi_index(pos, x.shape)
    return best, best_at


def max_pool(x, kernel_size, stride, padding, dilation, ceil_mode=False):
    """Max-pool one plane: x is 1-D to 3-D, the parameters one int per axis.
    Returns (values, indices) with indices flat in x's plane."""
    x = np.asarray(x)
    shape = x.shape
    lengths = [
        _pooled_length(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(shape, kernel_size, stride, padding, dilation)
    ]
    values = np.empty(lengths, dtype=x.dtype)
    indices = np.empty(lengths, dtype=np.int64)
    for o in itertools.product(*(range(n) for n in lengths)):
        taps = [
            [o[a] * stride[a] - padding[a] + j * dilation[a] for j in range(kernel_size[a])]
            for a in range(x.ndim)
        ]
        inside = (
            pos for pos in itertools.product(*taps) if all(0 <= t < n for t, n in zip(pos, shape))
        )
        best, best_at = _window_max(x, inside)
        if best is None:
            # No tap inside the input (a dilated window over the padding):
            # torch's answer, the lowest value at the first tap past the
            # left padding.
            first = [next(t for t in ts if t >= 0) for ts in taps]
            best = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
            best_at = sum(t * int(np.prod(shape[a + 1 :])) for a, t in enumerate(first))
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


def _mean(x, taps, divisor):
    """The sum of x over `taps` (index tuples) divided by `divisor`: for
    floats the correctly rounded float64 sum (math.fsum) divided in float64;
    for integers the exact sum divided rounding toward zero (as torch)."""
    values = [x[t] for t in taps]
    if x.dtype.kind == "f":
        return math.fsum(float(v) for v in values) / divisor
    total = sum(int(v) for v in values)
    quotient = abs(total) // abs(divisor)
    return quotient if (total < 0) == (divisor < 0) else -quotient


GLOBAL_LANES = 16


def global_sum(values, dtype):
    """The sum of a global pool's window (docs/conventions.md, "Average
    pooling"): `values` in row-major order, added in `dtype` arithmetic in
    GLOBAL_LANES partial sums from zero -- value i to partial sum
    i % GLOBAL_LANES, but the last len % GLOBAL_LANES values to the last
    partial sums (value i to i + GLOBAL_LANES - len) -- then partial sums j
    and j + w added for j < w, w = GLOBAL_LANES / 2, ..., 1."""
    t = np.dtype(dtype).type
    n = len(values)
    whole = n - n % GLOBAL_LANES
    partial = [t(0)] * GLOBAL_LANES
    with np.errstate(all="ignore"):  # inf - inf is a NaN, as in fastconv
        for i, v in enumerate(values):
            lane = i % GLOBAL_LANES if i < whole else i + GLOBAL_LANES - n
            partial[lane] = t(partial[lane] + t(v))
        w = GLOBAL_LANES // 2
        while w >= 1:
            partial = [t(partial[j] + partial[j + w]) for j in range(w)]
            w //= 2
    return partial[0]


def _global_mean(x, divisor):
    """A global pool's average of float plane x: global_sum in x's type
    (float32 for float16), divided once in that type."""
    dtype = np.float32 if x.dtype == np.float16 else x.dtype
    with np.errstate(all="ignore"):
        return float(global_sum(x.ravel(), dtype) / np.dtype(dtype).type(divisor))


def avg_pool(
    x, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Average-pool one plane: x is 1-D to 3-D, the parameters one int per
    axis. float64 results for float input (a global pool's, one window
    holding the whole plane: `_global_mean`'s value in x's type), int64 for
    integers."""
    x = np.asarray(x)
    shape = x.shape
    lengths = [
        _pooled_length(n, k, s, p, 1, ceil_mode)
        for n, k, s, p in zip(shape, kernel_size, stride, padding)
    ]
    out = np.empty(lengths, dtype=np.float64 if x.dtype.kind == "f" else np.int64)
    for o in itertools.product(*(range(n) for n in lengths)):
        ranges, padded = [], 1
        for a in range(x.ndim):
            first = o[a] * stride[a] - padding[a]
            last = min(first + kernel_size[a], shape[a] + padding[a])
            padded *= last - first
            ranges.append(range(max(first, 0), min(last, shape[a])))
        taps = list(itertools.product(*ranges))
        if not taps:
            out[o] = 0
            continue
        if divisor_override is not None:
            divisor = divisor_override
        elif count_include_pad:
            divisor = padded
        else:
            divisor = len(taps)
        if x.dtype.kind == "f" and len(taps) == x.size and out.size == 1:
            out[o] = _global_mean(x, divisor)  # a global pool
        else:
            out[o] = _mean(x, taps, divisor)
    return out


def _adaptive_taps(o, shape, output_size):
    """The taps of adaptive output o, row-major: per axis (length n, m
    outputs) [floor(o*n/m), ceil((o+1)*n/m))."""
    ranges = [
        range(o[a] * n // m, -(-(o[a] + 1) * n // m))
        for a, (n, m) in enumerate(zip(shape, output_size))
    ]
    return list(itertools.product(*ranges))


def adaptive_avg_pool(x, output_size):
    """Adaptive average pooling of one plane (x 1-D to 3-D, output_size one
    int per axis): output i averages [floor(i*n/out), ceil((i+1)*n/out));
    to one output per axis, a global pool (`_global_mean`)."""
    x = np.asarray(x)
    out = np.empty(output_size, dtype=np.float64 if x.dtype.kind == "f" else np.int64)
    if x.dtype.kind == "f" and all(m == 1 for m in output_size):
        out[...] = _global_mean(x, x.size)  # a global pool
        return out
    for o in itertools.product(*(range(n) for n in output_size)):
        taps = _adaptive_taps(o, x.shape, output_size)
        out[o] = _mean(x, taps, len(taps))
    return out


def adaptive_max_pool(x, output_size):
    """Adaptive max-pooling of one plane (x 1-D to 3-D, output_size one int
    per axis): output i takes the maximum over [floor(i*n/out),
    ceil((i+1)*n/out)) per axis with max_pool's rules. Returns (values,
    indices) with indices flat in x's plane."""
    x = np.asarray(x)
    values = np.empty(output_size, dtype=x.dtype)
    indices = np.empty(output_size, dtype=np.int64)
    for o in itertools.product(*(range(n) for n in output_size)):
        values[o], indices[o] = _window_max(x, _adaptive_taps(o, x.shape, output_size))
    return values, indices


# --- CNN layers (fastconv.nn.conv1d / conv2d), torch.nn.functional semantics ---------------

__all__ += ["layer_padding", "torch_pad_index", "conv_layer", "conv1d", "conv2d"]

LAYER_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def layer_padding(padding, kernel_shape, stride=1, dilation=1):
    """torch's `padding` argument -> one (left, right) pair per spatial axis.

    An int or a tuple (one int per axis) pads both sides equally; "valid"
    is no padding; "same" pads a total of dilation*(k-1) per axis with
    left = total // 2 and the extra element on the right, and is refused
    (ValueError) with any stride > 1, as torch refuses it.
    """
    nd = len(kernel_shape)
    dils = _per_axis(dilation, nd)
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * nd
        if padding == "same":
            if any(s != 1 for s in _per_axis(stride, nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
            pairs = []
            for d, k in zip(dils, kernel_shape):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            return pairs
        raise ValueError(f"padding: unknown padding string {padding!r}")
    return [(p, p) for p in _per_axis(padding, nd)]


def torch_pad_index(t, n, mode):
    """Index into x[0..n) of position t of the input padded by F.pad(mode),
    or None for a zero. Written from the definitions:

        zeros      0 0 | a b c d | 0 0
        reflect    c b | a b c d | c b     (the edge not repeated)
        replicate  a a | a b c d | d d
        circular   c d | a b c d | a b     (periodic)

    torch reflects only once (reflect padding < n) and wraps at most once
    (circular padding <= n); those limits are checked by `conv_layer`.
    """
    if 0 <= t < n:
        return t
    if mode == "zeros":
        return None
    if mode == "reflect":
        return -t if t < 0 else 2 * (n - 1) - t
    if mode == "replicate":
        return 0 if t < 0 else n - 1
    if mode == "circular":
        return t % n
    raise ValueError(f"padding_mode: unknown padding mode {mode!r}")


def _layer_arithmetic(operands):
    """The layers' arithmetic rules: (result dtype, the zero of the
    working type, value(a, idx) -> the element in the working type,
    finish(total) -> the value stored). Result numpy.result_type of the
    operands (object if any is object, computed as Python objects);
    integers and bool as exact Python ints wrapped to int64 at the end,
    float16 in float32, the rest in the result dtype."""
    if any(a.dtype.kind == "O" for a in operands):
        result, work = np.dtype(object), None
    else:
        result = np.result_type(*operands)
        work = (
            "int"
            if result.kind in "biu"
            else np.dtype(np.float32)
            if result == np.float16
            else result
        )

    def value(a, idx):
        v = a[idx]
        if work == "int":
            return int(v)
        return v if work is None else work.type(v)

    def finish(v):
        if work == "int":
            v = (v + 2**63) % 2**64 - 2**63  # int64 wrap-around
            return np.array(v, np.int64).astype(result)[()]
        return v

    return result, (0 if work in ("int", None) else work.type(0)), value, finish


def conv_layer(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """torch.nn.Conv1d/Conv2d (any number of spatial axes) from the definition.

    x: (N, Cin, *spatial); w: (Cout, Cin/groups, *kernel); bias: (Cout,) or
    None; stride, dilation: an int or one per spatial axis; padding: one
    (left, right) pair per spatial axis (see `layer_padding` for torch's
    int / tuple / "valid" / "same" forms), or an int / tuple of ints for
    symmetric padding. With g = co // (Cout/groups) the group of output
    channel co and Cg = Cin/groups,

        out[n, co, i...] = bias[co] + sum_{c < Cg} sum_{p...}
                           xpad[n, g*Cg + c, i*s + p*d ...] * w[co, c, p...]

    a cross-correlation with no conjugation of complex weights (as torch),
    where xpad is x padded by `padding_mode`. With "zeros" the padded
    positions are terms 0 * w of the sum, as in torch's definition (F.pad
    then convolve): an infinite or NaN weight over the padding gives NaN.
    The result has numpy.result_type(x, w, bias) (object if any operand is
    object).

    Accumulation: in the result dtype (the inputs are cast to it, so pass
    longdouble arrays for an extended-precision reference), except
    integers and bool, summed exactly as Python ints, wrapped to int64
    and cast to the result dtype (the library's integer rule), and
    float16, accumulated in float32 and rounded once at the end. The terms
    are added in the order c, then taps in row-major order, then the bias.
    """
    x = np.asarray(x)
    w = np.asarray(w)
    b = None if bias is None else np.asarray(bias)
    operands = [x, w] + ([] if b is None else [b])
    nsp = w.ndim - 2
    if nsp < 1 or x.ndim != nsp + 2:
        raise ValueError(
            f"weight: expected (Cout, Cin/groups, k...) matching input of shape "
            f"{x.shape}, got {w.shape}"
        )
    nbatch, cin = x.shape[:2]
    cout, cg = w.shape[:2]
    ksize = w.shape[2:]
    spatial = x.shape[2:]
    if groups < 1 or cin % groups or cout % groups:
        raise ValueError(f"groups: {groups} must divide Cin={cin} and Cout={cout}")
    if cg * groups != cin:
        raise ValueError(f"weight: expected {cin // groups} input channels per group, got {cg}")
    if b is not None and b.shape != (cout,):
        raise ValueError(f"bias: expected shape ({cout},), got {b.shape}")
    strides = _per_axis(stride, nsp)
    dils = _per_axis(dilation, nsp)
    if isinstance(padding, (tuple, list)) and padding and isinstance(padding[0], (tuple, list)):
        pads = [tuple(p) for p in padding]
    else:
        pads = [(p, p) for p in _per_axis(padding, nsp)]
    if padding_mode not in LAYER_PADDING_MODES:
        raise ValueError(f"padding_mode: unknown padding mode {padding_mode!r}")
    for (lo, hi), n in zip(pads, spatial):
        if padding_mode == "reflect" and max(lo, hi) >= n:
            raise ValueError(f"padding ({lo}, {hi}) must be < the input size {n} for reflect")
        if padding_mode == "circular" and max(lo, hi) > n:
            raise ValueError(f"padding ({lo}, {hi}) must be <= the input size {n} for circular")
    out_spatial = []
    for n, (lo, hi), k, s, d in zip(spatial, pads, ksize, strides, dils):
        span = n + lo + hi - (d * (k - 1) + 1)
        if span < 0:
            raise ValueError("kernel size can't be greater than the padded input size")
        out_spatial.append(span // s + 1)

    result, zero, value, finish = _layer_arithmetic(operands)
    out = np.empty((nbatch, cout) + tuple(out_spatial), dtype=result)
    per_group = cout // groups
    for nb in range(nbatch):
        for co in range(cout):
            g = co // per_group
            for i in itertools.product(*(range(m) for m in out_spatial)):
                total = None
                for c in range(cg):
                    for p in itertools.product(*(range(k) for k in ksize)):
                        idx = tuple(
                            torch_pad_index(
                                i[a] * strides[a] + p[a] * dils[a] - pads[a][0],
                                spatial[a],
                                padding_mode,
                            )
                            for a in range(nsp)
                        )
                        if any(j is None for j in idx):  # zero padding
                            xv = zero
                        else:
                            xv = value(x, (nb, g * cg + c) + idx)
                        term = xv * value(w, (co, c) + p)
                        total = term if total is None else total + term
                if total is None:  # no input channels
                    total = zero
                if b is not None:
                    total = total + value(b, (co,))
                out[(nb, co) + i] = finish(total)
    return out


def _layer(x, w, bias, stride, padding, dilation, groups, padding_mode, nsp):
    x = np.asarray(x)
    w = np.asarray(w)
    unbatched = x.ndim == nsp + 1
    if unbatched:
        x = x[None]
    pads = layer_padding(padding, w.shape[2:], stride, dilation)
    out = conv_layer(x, w, bias, stride, pads, dilation, groups, padding_mode)
    return out[0] if unbatched else out


def conv1d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """torch.nn.functional.conv1d / nn.Conv1d: (N, C, L) or (C, L); padding
    an int, a 1-tuple, "valid" or "same"."""
    return _layer(x, w, bias, stride, padding, dilation, groups, padding_mode, 1)


def conv2d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """torch.nn.functional.conv2d / nn.Conv2d: (N, C, H, W) or (C, H, W);
    padding an int, a 2-tuple, "valid" or "same"."""
    return _layer(x, w, bias, stride, padding, dilation, groups, padding_mode, 2)


# --- transposed CNN layers (fastconv.nn.conv_transpose1d / 2d), torch semantics -----------

__all__ += [
    "conv_transpose_layer_shape",
    "conv_transpose_layer",
    "conv_transpose1d",
    "conv_transpose2d",
]


def conv_transpose_layer_shape(
    in_shape, w_shape, stride=1, padding=0, output_padding=0, dilation=1, groups=1
):
    """The output shape (N, Cout, *spatial) of a transposed layer with
    input (N, C, *spatial) and weight (C, Cout/groups, *kernel), and the
    checks torch makes: groups divides C, weight has C rows, stride and
    dilation >= 1, padding and output_padding >= 0, output_padding <
    max(stride, dilation) per axis, every output size >= 1.
    ValueError naming the argument otherwise."""
    nsp = len(w_shape) - 2
    if nsp < 1 or len(in_shape) != nsp + 2:
        raise ValueError(
            f"weight: expected (C, Cout/groups, k...) matching input of shape "
            f"{tuple(in_shape)}, got {tuple(w_shape)}"
        )
    nbatch, cin = in_shape[:2]
    if groups < 1 or cin % groups:
        raise ValueError(f"groups: {groups} must divide C={cin}")
    if w_shape[0] != cin:
        raise ValueError(f"weight: expected {cin} rows (one per input channel), got {w_shape[0]}")
    s, p = _per_axis(stride, nsp), _per_axis(padding, nsp)
    op, d = _per_axis(output_padding, nsp), _per_axis(dilation, nsp)
    for name, vals, low in (
        ("stride", s, 1),
        ("dilation", d, 1),
        ("padding", p, 0),
        ("output_padding", op, 0),
    ):
        if any(v < low for v in vals):
            raise ValueError(f"{name}: must be >= {low}, got {vals}")
    for a in range(nsp):
        if op[a] >= max(s[a], d[a]):
            raise ValueError(
                f"output_padding: {op[a]} must be smaller than stride {s[a]} or dilation {d[a]}"
            )
    spatial = []
    for a, (n, k) in enumerate(zip(in_shape[2:], w_shape[2:])):
        m = (n - 1) * s[a] - 2 * p[a] + d[a] * (k - 1) + op[a] + 1
        if m < 1:
            raise ValueError(f"padding: the output size {m} is not positive")
        spatial.append(m)
    return (nbatch, w_shape[1] * groups) + tuple(spatial)


def conv_transpose_layer(
    x, w, bias=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1
):
    """torch.nn.ConvTranspose1d/2d (any number of spatial axes), written
    from the scatter definition.

    x: (N, C, *spatial); w: (C, Cout/groups, *kernel); bias: (Cout,) or
    None; stride, padding, output_padding, dilation: an int or one per
    spatial axis. With Cg = C/groups, Og = Cout/groups, every input element
    scatters its weights into the output::

        out[n, g*Og + o, i*s + j*d - padding ...] += x[n, g*Cg + c, i ...] * w[g*Cg + c, o, j ...]

    for every group g, c < Cg, o < Og, input position i and tap j whose
    target lies inside the output (of size (n-1)*s - 2*padding + d*(k-1)
    + output_padding + 1 per axis), then bias[co] is added to every output.
    Complex weights are not conjugated. Positions that no term reaches are
    the bias alone (0 without bias): no zero padding takes part, so an
    infinite weight never meets a padded zero.

    Arithmetic as `conv_layer`: in the result dtype numpy.result_type(x,
    w, bias), except integers and bool (exact Python ints wrapped to
    int64, cast to the result dtype) and float16 (float32, one rounding at
    the end). The terms of an output are added in scatter order: c, then
    input positions in row-major order, then taps, then the bias.
    """
    x = np.asarray(x)
    w = np.asarray(w)
    b = None if bias is None else np.asarray(bias)
    operands = [x, w] + ([] if b is None else [b])
    shape = conv_transpose_layer_shape(
        x.shape, w.shape, stride, padding, output_padding, dilation, groups
    )
    nsp = w.ndim - 2
    cout = shape[1]
    if b is not None and b.shape != (cout,):
        raise ValueError(f"bias: expected shape ({cout},), got {b.shape}")
    s, p, d = _per_axis(stride, nsp), _per_axis(padding, nsp), _per_axis(dilation, nsp)
    nbatch, cin = x.shape[:2]
    cg, og = cin // groups, w.shape[1]
    spatial, ksize, out_spatial = x.shape[2:], w.shape[2:], shape[2:]

    result, zero, value, finish = _layer_arithmetic(operands)
    totals = {}  # output index -> running sum (absent: no term yet)
    for nb in range(nbatch):
        for g in range(groups):
            for c in range(cg):
                ci = g * cg + c
                for i in itertools.product(*(range(n) for n in spatial)):
                    xv = value(x, (nb, ci) + i)
                    for j in itertools.product(*(range(k) for k in ksize)):
                        pos = tuple(i[a] * s[a] + j[a] * d[a] - p[a] for a in range(nsp))
                        if not all(0 <= pos[a] < out_spatial[a] for a in range(nsp)):
                            continue
                        for o in range(og):
                            key = (nb, g * og + o) + pos
                            term = xv * value(w, (ci, o) + j)
                            totals[key] = term if key not in totals else totals[key] + term
    out = np.empty(shape, dtype=result)
    for key in itertools.product(*(range(m) for m in shape)):
        total = totals.get(key, zero)
        if b is not None:
            total = total + value(b, (key[1],))
        out[key] = finish(total)
    return out


def _transposed(x, w, bias, stride, padding, output_padding, groups, dilation, nsp):
    x = np.asarray(x)
    unbatched = x.ndim == nsp + 1
    out = conv_transpose_layer(
        x[None] if unbatched else x, w, bias, stride, padding, output_padding, dilation, groups
    )
    return out[0] if unbatched else out


def conv_transpose1d(x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """torch.nn.functional.conv_transpose1d (torch's argument order):
    (N, C, L) or (C, L), weight (C, Cout/groups, k)."""
    return _transposed(x, w, bias, stride, padding, output_padding, groups, dilation, 1)


def conv_transpose2d(x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """torch.nn.functional.conv_transpose2d (torch's argument order):
    (N, C, H, W) or (C, H, W), weight (C, Cout/groups, kh, kw)."""
    return _transposed(x, w, bias, stride, padding, output_padding, groups, dilation, 2)


# --- 3-D layers (fastconv.nn.conv3d / conv_transpose3d): the same definitions, three axes ---

__all__ += ["conv3d", "conv_transpose3d"]


def conv3d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """torch.nn.functional.conv3d / nn.Conv3d: (N, C, D, H, W) or
    (C, D, H, W); padding an int, a 3-tuple, "valid" or "same"."""
    return _layer(x, w, bias, stride, padding, dilation, groups, padding_mode, 3)


def conv_transpose3d(x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """torch.nn.functional.conv_transpose3d (torch's argument order):
    (N, C, D, H, W) or (C, D, H, W), weight (C, Cout/groups, kd, kh, kw)."""
    return _transposed(x, w, bias, stride, padding, output_padding, groups, dilation, 3)
