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
    starts = {"full": [0] * nd, "valid": [ke - 1 for ke in kes],
              "same": [(ke - 1) // 2 for ke in kes]}[mode]
    lens = {"full": [n + ke - 1 for n, ke in zip(x.shape, kes)],
            "valid": [n - ke + 1 for n, ke in zip(x.shape, kes)], "same": list(x.shape)}[mode]
    return full[tuple(slice(s, s + n, st) for s, n, st in zip(starts, lens, stride))]


def check(x, k, mode, boundary, stride, dilation, layout="c"):
    fill = 0.75
    xin = np.asfortranarray(x) if layout == "f" else x
    got = fastconv.correlate(xin, k, mode, boundary=boundary, fillvalue=fill, stride=stride,
                             dilation=dilation)
    ref = reference_correlate(x.astype(np.float64), k.astype(np.float64), mode, boundary, fill,
                              stride, dilation)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    scale = reference_correlate(np.abs(x).astype(np.float64), np.abs(k).astype(np.float64),
                                mode, boundary, abs(fill), stride, dilation)
    bound = 4 * k.size * np.finfo(x.dtype).eps * scale + 1e-30
    err = np.abs(got - ref)
    assert np.all(err <= bound), (x.shape, k.shape, mode, boundary, stride, dilation, layout,
                                  float((err / bound).max()))


def main():
    rng = np.random.default_rng(7)
    cases = 0
    for dtype in (np.float32, np.float64):
        for shape, kshape in [((67, 203), (5, 7)), ((50, 1100), (3, 3)), ((30, 40), (11, 2)),
                              ((7, 5), (4, 4)), ((100, 37), (1, 9))]:
            x = rng.standard_normal(shape).astype(dtype)
            k = rng.standard_normal(kshape).astype(dtype)
            for mode, boundary in itertools.product(("full", "same", "valid"),
                                                    ("fill", "wrap", "symm", "mirror", "nearest")):
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
            assert got.shape == ref.shape
            assert np.abs(got - ref).max() <= 1e-4 * np.abs(ref).max(), (dtype, stride, dilation)
            cases += 1
    print(f"{fastconv.active_isa()}: {cases} cases ok")


if __name__ == "__main__":
    sys.exit(main())
