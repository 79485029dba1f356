"""Transposed layers whose kernel equals their stride (U-Net's 2x2 stride 2,
conv_transpose3d 2x2x2 stride 2): every output takes exactly one tap, and
the layer runs as one 1x1 layer with Cout x taps output channels, each
stored to its output phase (nn/transposed.hpp). Exact data against the
oracle (bitwise: every partial sum exact), random data against torch;
threads, batch, layouts and layer objects bitwise; every epilogue fused
as unfused; the other ISAs."""

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa
from test_nn_epilogue import ACTIVATIONS, assert_matches, unfused, with_slopes

from fastconv import _oracle, nn


def exact_data(rng, shape, dtype):
    return rng.integers(-3, 3, shape, endpoint=True).astype(dtype)


def assert_bitwise(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes()


# (input shape, weight shape, options): kernel == stride on every axis, with
# output_padding, groups, many channels (the wide kernels), few (the phase
# runs instead), many input channels (taps in several passes), odd sizes;
# and the cases beside it: padding that crops, dilation, kernel 1.
CASES_2D = [
    ((2, 6, 5, 7), (6, 4, 2, 2), dict(stride=2)),
    ((1, 5, 3, 4), (5, 3, 2, 3), dict(stride=(2, 3), output_padding=(1, 2))),
    ((2, 6, 4, 5), (6, 8, 2, 2), dict(stride=2, groups=3)),
    ((1, 3, 4, 6), (3, 40, 2, 2), dict(stride=2, output_padding=1)),
    ((1, 2, 3, 3), (2, 1, 2, 2), dict(stride=2)),
    ((1, 300, 2, 3), (300, 16, 2, 2), dict(stride=2)),
    ((1, 4, 5, 5), (4, 12, 2, 2), dict(stride=2, padding=1)),
    ((1, 4, 5, 3), (4, 12, 1, 2), dict(stride=(1, 2), dilation=(3, 1))),
    ((1, 4, 3, 3), (4, 20, 1, 1), dict()),
]
# Rows of at least a vector (16 float32 lanes at most) with 2-wide columns:
# the pointwise kernel over each input row, column phases interleaved
# (nn/transposed.hpp run_phases_pointwise): widths of a vector plus a
# part, exactly one, many; groups, three row phases, output_padding, many
# input channels.
CASES_WIDE = [
    ((2, 6, 3, 37), (6, 4, 2, 2), dict(stride=2)),
    ((1, 5, 2, 16), (5, 3, 2, 2), dict(stride=2, output_padding=1)),
    ((1, 6, 3, 20), (6, 5, 2, 2), dict(stride=2, groups=3)),
    ((1, 4, 2, 19), (4, 7, 3, 2), dict(stride=(3, 2), output_padding=(2, 1))),
    ((1, 300, 1, 17), (300, 4, 2, 2), dict(stride=2)),
    ((1, 3, 2, 100), (3, 9, 2, 2), dict(stride=2)),
]
CASES_2D += CASES_WIDE
CASES_1D = [
    ((2, 5, 9), (5, 7, 3), dict(stride=3, output_padding=1)),
    ((1, 6, 4), (6, 10, 2), dict(stride=2, groups=2)),
]
CASES_3D = [
    ((2, 4, 3, 4, 5), (4, 6, 2, 2, 2), dict(stride=2)),
    ((1, 6, 2, 3, 3), (6, 4, 2, 2, 1), dict(stride=(2, 2, 1), output_padding=(1, 1, 0), groups=2)),
    ((1, 3, 3, 2, 4), (3, 20, 3, 1, 2), dict(stride=(3, 1, 2), output_padding=(2, 0, 1))),
    ((1, 4, 3, 3, 3), (4, 5, 2, 2, 2), dict(stride=2, padding=(0, 1, 0))),
    ((1, 4, 3, 3, 3), (4, 5, 1, 2, 2), dict(stride=(1, 2, 2), dilation=(3, 1, 1))),
    ((1, 2, 2, 2, 3), (2, 1, 2, 2, 2), dict(stride=2)),
]
FUNCTIONAL = {1: nn.conv_transpose1d, 2: nn.conv_transpose2d, 3: nn.conv_transpose3d}
ORACLE = {
    1: _oracle.conv_transpose1d,
    2: _oracle.conv_transpose2d,
    3: _oracle.conv_transpose3d,
}
LAYER = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d}
ALL_CASES = CASES_1D + CASES_2D + CASES_3D


def cout_of(wshape, options):
    return wshape[1] * options.get("groups", 1)


def oracle(x, w, b, options):
    o = dict(options)
    return ORACLE[x.ndim - 2](
        x,
        w,
        b,
        o.pop("stride", 1),
        o.pop("padding", 0),
        o.pop("output_padding", 0),
        o.pop("groups", 1),
        o.pop("dilation", 1),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_exact(rng, case, dtype):
    """Bitwise the oracle's values, with and without bias, and the layer
    object's (bitwise the functional call)."""
    xshape, wshape, options = case
    x, w = exact_data(rng, xshape, dtype), exact_data(rng, wshape, dtype)
    b = exact_data(rng, (cout_of(wshape, options),), dtype)
    for bias in (b, None):
        got = FUNCTIONAL[x.ndim - 2](x, w, bias, **options)
        want = oracle(x, w, bias, options).astype(dtype)
        assert got.dtype == want.dtype and np.array_equal(got, want)
        if x.ndim - 2 in LAYER:
            assert_bitwise(LAYER[x.ndim - 2](w, bias, **options)(x), got)


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_matches_torch(rng, case):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    xshape, wshape, options = case
    x = rng.standard_normal(xshape)
    w = rng.standard_normal(wshape)
    b = rng.standard_normal(cout_of(wshape, options))
    torch_fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[x.ndim - 2]
    want = torch_fn(torch.tensor(x), torch.tensor(w), torch.tensor(b), **options).numpy()
    got = FUNCTIONAL[x.ndim - 2](x, w, b, **options)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * wshape[0])
    got32 = FUNCTIONAL[x.ndim - 2](x.astype(np.float32), w.astype(np.float32), b, **options)
    np.testing.assert_allclose(got32, want, rtol=1e-5, atol=1e-5 * wshape[0])


@pytest.mark.parametrize("case", [CASES_2D[3], CASES_WIDE[0], CASES_WIDE[3], CASES_3D[0]], ids=str)
def test_threads_batch_layouts_bitwise(rng, case):
    """One fixed order of sums: any thread count, batch item alone, input
    and weights of any strides (channels last: the wide kernels instead of
    the pointwise one), out=, the same bits."""
    xshape, wshape, options = case
    nd = len(xshape) - 2
    xshape = (3,) + xshape[1:]
    x = rng.standard_normal(xshape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    b = rng.standard_normal(cout_of(wshape, options)).astype(np.float32)
    f = FUNCTIONAL[nd]
    ref = f(x, w, b, **options, threads=1)
    for threads in (2, 3):
        assert_bitwise(f(x, w, b, **options, threads=threads), ref)
    for n in range(x.shape[0]):
        assert_bitwise(f(x[n : n + 1], w, b, **options), ref[n : n + 1])
        assert_bitwise(f(x[n], w, b, **options), ref[n])
    axes = (0,) + tuple(range(2, nd + 2)) + (1,)
    channels_last = np.ascontiguousarray(x.transpose(axes)).transpose(np.argsort(axes))
    assert_bitwise(f(channels_last, w, b, **options), ref)
    reversed_w = np.ascontiguousarray(w[..., ::-1])[..., ::-1]
    assert_bitwise(f(x, reversed_w, b, **options), ref)
    out = np.full_like(ref, np.nan)
    assert f(x, w, b, **options, out=out) is out
    assert_bitwise(out, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
def test_fused_equals_unfused(rng, activation, dtype):
    """Every activation with and without residual, fused into the stores of
    the phases and into the bias-only border of output_padding."""
    for xshape, wshape, options in (
        CASES_2D[1],
        CASES_2D[3],
        CASES_WIDE[1],
        CASES_WIDE[2],
        CASES_3D[1],
        CASES_3D[2],
    ):
        nd = len(xshape) - 2
        x = rng.standard_normal(xshape).astype(dtype)
        w = rng.standard_normal(wshape).astype(dtype)
        cout = cout_of(wshape, options)
        b = rng.standard_normal(cout).astype(dtype)
        act = with_slopes(activation, cout, rng)
        y = FUNCTIONAL[nd](x, w, b, **options)
        residual = rng.standard_normal(y.shape).astype(dtype)
        for res in (None, residual):
            got = FUNCTIONAL[nd](x, w, b, **options, activation=act, residual=res)
            assert_matches(got, unfused(y, act, res), act)
            if nd in LAYER:
                layer = LAYER[nd](w, b, **options, activation=act)
                for threads in (1, 2):
                    again = layer(x, residual=res, threads=threads)
                    assert np.array_equal(again, got, equal_nan=True)


@pytest.mark.parametrize("case", [CASES_2D[0], CASES_WIDE[0], CASES_3D[0]], ids=str)
def test_nonfinite_weights(rng, case):
    """Inf and NaN weights: each output's one product, as the oracle."""
    xshape, wshape, options = case
    nd = len(xshape) - 2
    x = exact_data(rng, xshape, np.float64)
    w = exact_data(rng, wshape, np.float64)
    w[0, 1].flat[0] = np.inf
    w[1, 0].flat[-1] = np.nan
    b = exact_data(rng, (cout_of(wshape, options),), np.float64)
    with np.errstate(invalid="ignore"):
        want = oracle(x, w, b, options)
    got = FUNCTIONAL[nd](x, w, b, **options)
    assert np.array_equal(got, want, equal_nan=True)


@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    run_tests_under_isa(__file__, isa, "exact or bitwise or (fused and float32)")
