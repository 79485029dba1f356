"""Fast-path coverage against an independent NumPy reference, for one ISA.

Run as a script (tests/test_kernels.py starts it once per available ISA
with FASTCONV_FORCE_ISA set, since the choice is made once per process).
Shapes cross column tiles, row blocks, vector tails and border pieces.
"""

import itertools
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import fastconv

PAD_MODE = {"wrap": "wrap", "symm": "symmetric", "mirror": "reflect", "nearest": "edge"}


def reference_correlate(x, k, mode, boundary, fill, stride, dilation):
    """Correlation (no conjugation) by padding with np.pad and summing
    dilated sliding windows; independent of fastconv's index arithmetic."""
    nd = x.ndim
    kes = [d * (n - 1) + 1 for d, n in zip(dilation, k.shape)]
    pads = [(ke - 1, ke - 1) for ke in kes]
    if boundary == "fill":
        xp = np.pad(x, pads, mode="constant", constant_values=fill)
    else:
        xp = np.pad(x, pads, mode=PAD_MODE[boundary])
    kd = np.zeros(kes, dtype=k.dtype)
    kd[tuple(slice(None, None, d) for d in dilation)] = k
    win = sliding_window_view(xp, kes)
    full = np.tensordot(win, kd, axes=(list(range(nd, 2 * nd)), list(range(nd))))
    starts = {
        "full": [0] * nd,
        "valid": [ke - 1 for ke in kes],
        "same": [(ke - 1) // 2 for ke in kes],
    }[mode]
    lens = {
        "full": [n + ke - 1 for n, ke in zip(x.shape, kes)],
        "valid": [n - ke + 1 for n, ke in zip(x.shape, kes)],
        "same": list(x.shape),
    }[mode]
    return full[tuple(slice(s, s + n, st) for s, n, st in zip(starts, lens, stride))]


def check(x, k, mode, boundary, stride, dilation, layout="c"):
    fill = 0.75
    xin = np.asfortranarray(x) if layout == "f" else x
    got = fastconv.correlate(
        xin, k, mode, boundary=boundary, fillvalue=fill, stride=stride, dilation=dilation
    )
    ref = reference_correlate(
        x.astype(np.float64), k.astype(np.float64), mode, boundary, fill, stride, dilation
    )
    assert got.shape == ref.shape, (got.shape, ref.shape)
    scale = reference_correlate(
        np.abs(x).astype(np.float64),
        np.abs(k).astype(np.float64),
        mode,
        boundary,
        abs(fill),
        stride,
        dilation,
    )
    bound = 4 * k.size * np.finfo(x.dtype).eps * scale + 1e-30
    err = np.abs(got - ref)
    assert np.all(err <= bound), (
        x.shape,
        k.shape,
        mode,
        boundary,
        stride,
        dilation,
        layout,
        float((err / bound).max()),
    )


TORCH_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def reference_layer(x, w, b, stride, padding, dilation, groups, padding_mode):
    """nn.conv2d by np.pad and an einsum over dilated sliding windows, per
    group; independent of fastconv's panels and channel blocks."""
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding], mode=TORCH_PAD[padding_mode])
    kh, kw = w.shape[2:]
    ke = [dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1]
    win = sliding_window_view(xp, ke, axis=(2, 3))[
        :, :, :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]
    ]
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    parts = [
        np.einsum("ncijpq,ocpq->noij", win[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og])
        for g in range(groups)
    ]
    return np.concatenate(parts, axis=1) + b[None, :, None, None]


def check_layer(
    rng,
    dtype,
    n,
    cin,
    hw,
    cout,
    k,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    groups=1,
    padding_mode="zeros",
):
    x = rng.standard_normal((n, cin) + hw).astype(dtype)
    w = rng.standard_normal((cout, cin // groups) + k).astype(dtype)
    b = rng.standard_normal(cout).astype(dtype)
    got = fastconv.nn.conv2d(x, w, b, stride, padding, dilation, groups, padding_mode=padding_mode)
    ref = reference_layer(
        x.astype(np.float64),
        w.astype(np.float64),
        b.astype(np.float64),
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
    )
    scale = reference_layer(
        np.abs(x).astype(np.float64),
        np.abs(w).astype(np.float64),
        np.abs(b).astype(np.float64),
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
    )
    # each output is one sum of (cin/groups)*kh*kw + 1 terms in T's arithmetic
    bound = 2 * (w[0].size + 1) * np.finfo(dtype).eps * scale + 1e-30
    assert got.shape == ref.shape, (got.shape, ref.shape)
    err = np.abs(got - ref)
    assert np.all(err <= bound), (
        dtype,
        x.shape,
        w.shape,
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
        float((err / bound).max()),
    )


def layer_cases(rng):
    """CNN layers: channel counts around every ISA's channel block (8, 16,
    32), widths around its pixel runs and vectors, strides and dilations
    (phases), depthwise (the narrow kernel), the padding modes; 1-D layers
    are 2-D ones with H = 1 in the core."""
    cases = 0
    for dtype in (np.float32, np.float64):
        for cout, width in itertools.product((1, 5, 8, 16, 17, 33, 64), (1, 7, 13, 25, 58)):
            check_layer(rng, dtype, 1, 3, (4, width), cout, (3, 3), padding=(1, 1))
            cases += 1
        for kw in [
            dict(stride=(2, 2), padding=(3, 3)),
            dict(stride=(1, 3), dilation=(2, 1)),
            dict(dilation=(2, 2), padding=(2, 2), padding_mode="reflect"),
            dict(padding=(1, 2), padding_mode="circular"),
            dict(padding=(2, 1), padding_mode="replicate"),
        ]:
            check_layer(rng, dtype, 2, 6, (11, 29), 34, (3, 4), **kw)
            check_layer(rng, dtype, 2, 6, (11, 29), 6, (3, 3), groups=6, **kw)  # depthwise
            check_layer(rng, dtype, 1, 4, (9, 40), 12, (2, 3), groups=4, **kw)  # x3 multiplier
            cases += 3
        check_layer(rng, dtype, 1, 300, (6, 7), 20, (3, 3), padding=(1, 1))  # taps in passes
        check_layer(rng, dtype, 1, 2, (1, 700), 40, (1, 5), padding=(0, 2))  # column blocks
        cases += 2
    return cases


def reference_transposed_layer(x, w, b, stride, padding, output_padding, dilation, groups):
    """nn.conv_transpose2d by zero insertion (x placed `stride` apart),
    the dilated kernel flipped, np.pad (output_padding extra zeros at the
    end) and an einsum over sliding windows per group, then `padding`
    cropped from both ends; independent of fastconv's phase split."""
    n, c, h, wd = x.shape
    og = w.shape[1]
    z = np.zeros((n, c, (h - 1) * stride[0] + 1, (wd - 1) * stride[1] + 1), x.dtype)
    z[:, :, :: stride[0], :: stride[1]] = x
    ke = [dilation[a] * (w.shape[2 + a] - 1) + 1 for a in range(2)]
    kd = np.zeros((c, og) + tuple(ke), w.dtype)
    kd[:, :, :: dilation[0], :: dilation[1]] = w
    zp = np.pad(
        z, [(0, 0), (0, 0)] + [(ke[a] - 1, ke[a] - 1 + output_padding[a]) for a in range(2)]
    )
    win = sliding_window_view(zp, ke, axis=(2, 3))
    flipped = kd[:, :, ::-1, ::-1]
    cg = c // groups
    full = np.concatenate(
        [
            np.einsum(
                "ncijpq,copq->noij", win[:, g * cg : (g + 1) * cg], flipped[g * cg : (g + 1) * cg]
            )
            for g in range(groups)
        ],
        axis=1,
    )
    full = full[
        :, :, padding[0] : full.shape[2] - padding[0], padding[1] : full.shape[3] - padding[1]
    ]
    return full + b[None, :, None, None]


def check_transposed_layer(
    rng,
    dtype,
    n,
    cin,
    hw,
    cout,
    k,
    stride,
    padding=(0, 0),
    output_padding=(0, 0),
    dilation=(1, 1),
    groups=1,
):
    x = rng.standard_normal((n, cin) + hw).astype(dtype)
    w = rng.standard_normal((cin, cout // groups) + k).astype(dtype)
    b = rng.standard_normal(cout).astype(dtype)
    got = fastconv.nn.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    args = (stride, padding, output_padding, dilation, groups)
    ref = reference_transposed_layer(
        x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), *args
    )
    scale = reference_transposed_layer(
        np.abs(x).astype(np.float64),
        np.abs(w).astype(np.float64),
        np.abs(b).astype(np.float64),
        *args,
    )
    # at most (cin/groups)*kh*kw + 1 terms per output
    bound = 2 * (cin // groups * k[0] * k[1] + 1) * np.finfo(dtype).eps * scale + 1e-30
    assert got.shape == ref.shape, (got.shape, ref.shape)
    err = np.abs(got - ref)
    assert np.all(err <= bound), (dtype, x.shape, w.shape, args, float((err / bound).max()))


def transposed_layer_cases(rng):
    """Transposed layers: channel counts around the channel blocks, phases
    of strides 2..4 (a kernel shorter than the stride, gcd(d, s) > 1),
    depthwise, wide rows."""
    cases = 0
    for dtype in (np.float32, np.float64):
        for cout, width in itertools.product((1, 8, 17, 33), (1, 9, 30)):
            check_transposed_layer(rng, dtype, 1, 5, (3, width), cout, (4, 4), (2, 2), (1, 1))
            cases += 1
        for kw in [
            dict(stride=(3, 2), dilation=(2, 1), output_padding=(1, 1)),
            dict(stride=(4, 4), dilation=(2, 2), padding=(1, 2), output_padding=(3, 1)),
            dict(stride=(2, 3), dilation=(3, 2), padding=(2, 1), output_padding=(2, 0)),
            dict(stride=(3, 3), output_padding=(2, 2)),
        ]:
            check_transposed_layer(rng, dtype, 2, 6, (5, 9), 20, (2, 3), **kw)
            check_transposed_layer(rng, dtype, 1, 6, (5, 9), 6, (2, 2), groups=6, **kw)
            check_transposed_layer(rng, dtype, 1, 4, (4, 7), 12, (1, 1), groups=2, **kw)
            cases += 3
        check_transposed_layer(rng, dtype, 1, 2, (1, 360), 19, (1, 4), (1, 2), (0, 1))  # wide
        check_transposed_layer(rng, dtype, 1, 3, (4, 4), 3, (16, 16), (8, 8), (4, 4))  # FCN-like
        cases += 2
    return cases


def position_cases(rng):
    """An output's bits do not depend on its place in the array: the
    'valid' correlation of a window of x equals, bit for bit, the same
    outputs inside the whole array's, for windows that move those outputs
    between vector bodies, vector tails, scalar tails and border pieces
    (fastconv.dask's bitwise promise rests on this). Windows start at a
    multiple of the stride, so that they hold the same outputs."""
    cases = 0
    for dtype in (np.float32, np.float64, np.complex64, np.complex128):
        for shape, kshape, stride, dilation in [
            ((70,), (4,), (1,), (1,)),
            ((133,), (7,), (1,), (2,)),
            ((90,), (5,), (2,), (1,)),
            ((9, 70), (2, 4), (1, 1), (1, 1)),
            ((10, 75), (3, 3), (1, 1), (1, 1)),
            ((12, 80), (5, 4), (1, 1), (1, 2)),
            ((11, 64), (1, 9), (2, 1), (1, 1)),
            ((9, 66), (3, 2), (1, 2), (2, 1)),
        ]:
            x = rng.standard_normal(shape).astype(dtype)
            k = rng.standard_normal(kshape).astype(dtype)
            if np.iscomplexobj(x):
                x = x + 1j * rng.standard_normal(shape).astype(dtype)
                k = k + 1j * rng.standard_normal(kshape).astype(dtype)
            kw = dict(method="direct", stride=stride, dilation=dilation)
            whole = fastconv.correlate(x, k, "valid", **kw)
            s = stride[-1]
            for start in range(0, min(3 * 16, whole.shape[-1]), s):
                for stop in (shape[-1], shape[-1] - s * (start % 5 + 1)):
                    part = fastconv.correlate(x[..., start:stop], k, "valid", **kw)
                    ref = whole[..., start // s : start // s + part.shape[-1]]
                    assert part.tobytes() == np.ascontiguousarray(ref).tobytes(), (
                        dtype,
                        shape,
                        kshape,
                        stride,
                        dilation,
                        start,
                        stop,
                    )
                    cases += 1
            if len(shape) == 2:
                for start in range(1, min(6, whole.shape[0])):
                    part = fastconv.correlate(x[start * stride[0] :], k, "valid", **kw)
                    ref = whole[start:]
                    assert part.tobytes() == np.ascontiguousarray(ref).tobytes(), (
                        dtype,
                        shape,
                        kshape,
                        stride,
                        dilation,
                        "row",
                        start,
                    )
                    cases += 1
    return cases


def main():
    rng = np.random.default_rng(7)
    cases = 0
    for dtype in (np.float32, np.float64):
        for shape, kshape in [
            ((67, 203), (5, 7)),
            ((50, 1100), (3, 3)),
            ((30, 40), (11, 2)),
            ((7, 5), (4, 4)),
            ((100, 37), (1, 9)),
        ]:
            x = rng.standard_normal(shape).astype(dtype)
            k = rng.standard_normal(kshape).astype(dtype)
            for mode, boundary in itertools.product(
                ("full", "same", "valid"), ("fill", "wrap", "symm", "mirror", "nearest")
            ):
                if mode == "valid" and (shape[0] < kshape[0] or shape[1] < kshape[1]):
                    continue
                check(x, k, mode, boundary, (1, 1), (1, 1))
                cases += 1
            for stride, dilation in [((1, 1), (2, 3)), ((2, 1), (1, 1)), ((1, 3), (1, 2))]:
                check(x, k, "same", "symm", stride, dilation)
                check(x, k, "full", "fill", stride, dilation)
                cases += 2
            check(x, k, "same", "wrap", (1, 1), (1, 1), layout="f")
            cases += 1
        # long 1-D signals: many column tiles, kernels of odd and even length
        for n, kn in [(5000, 64), (3001, 3), (2049, 130)]:
            x = rng.standard_normal(n).astype(dtype)
            k = rng.standard_normal(kn).astype(dtype)
            for boundary in ("fill", "mirror"):
                check(x, k, "same", boundary, (1,), (1,))
                check(x, k, "full", boundary, (1,), (2,))
                cases += 2
        # 3-D: outer taps accumulate whole planes
        x = rng.standard_normal((6, 40, 70)).astype(dtype)
        k = rng.standard_normal((3, 4, 5)).astype(dtype)
        for boundary in ("fill", "nearest"):
            check(x, k, "same", boundary, (1, 1, 1), (1, 1, 1))
            check(x, k, "full", boundary, (2, 1, 1), (1, 2, 1))
            cases += 2
    # transposed convolution: strided output views through the same kernels
    for dtype in (np.float32, np.float64):
        for stride, dilation in [(2, 1), (3, 2)]:
            x = rng.standard_normal((37, 45)).astype(dtype)
            k = rng.standard_normal((4, 3)).astype(dtype)
            got = fastconv.conv_transpose(x, k, stride=stride, dilation=dilation)
            z = np.zeros(((37 - 1) * stride + 1, (45 - 1) * stride + 1))
            z[::stride, ::stride] = x
            kd = np.zeros((dilation * 3 + 1, dilation * 2 + 1))
            kd[::dilation, ::dilation] = k
            ref = reference_correlate(z, kd[::-1, ::-1], "full", "fill", 0.0, (1, 1), (1, 1))
            scale = reference_correlate(
                np.abs(z), np.abs(kd[::-1, ::-1]), "full", "fill", 0.0, (1, 1), (1, 1)
            )
            assert got.shape == ref.shape
            # each output sums at most k.size products in dtype's arithmetic:
            # |error| <= k.size * u * sum|terms| (u = eps/2); 2x room. A
            # float64 case computed in float32 is ~1e8 times over.
            bound = k.size * np.finfo(dtype).eps * scale + 1e-300
            err = np.abs(got - ref)
            assert np.all(err <= bound), (dtype, stride, dilation, float((err / bound).max()))
            cases += 1
    cases += position_cases(rng)
    cases += layer_cases(rng)
    cases += transposed_layer_cases(rng)
    print(f"{fastconv.active_isa()}: {cases} cases ok")


if __name__ == "__main__":
    sys.exit(main())
