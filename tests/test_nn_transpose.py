"""fastconv.nn.conv_transpose1d / conv_transpose2d against the scatter
oracle (_oracle.conv_transpose_layer), hand-computed values and PyTorch
(torch.nn.functional.conv_transpose1d/2d, nn.ConvTranspose1d/2d).

The comparisons of tests/test_nn_conv.py (whose helpers are reused):

- exact data (small integers): equal to the oracle / torch exactly (the
  sign of a zero aside);
- random data: |result - exact| <= 2 * terms * eps * scale per output
  element, terms = C/groups * taps (+ 1 for the bias) -- the most terms
  any output of a transposed layer sums -- and `exact` and `scale` (the
  layer of |x| and |w|) from the oracle in extended precision;
- layouts and thread counts: bitwise equal to the contiguous, one-thread
  result;

plus the adjoint identity <conv2d(x, w), y> == <x, conv_transpose2d(y, w)>.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_nn_conv import (
    PROMOTION_CASES,
    assert_bitwise,
    assert_exact,
    exact_data,
    layouts,
    random_data,
)

import fastconv
from fastconv import _oracle, nn

FLOATS = [np.float32, np.float64, np.complex64, np.complex128]


# --- helpers -------------------------------------------------------------------------------


def layer(nsp):
    return nn.conv_transpose1d if nsp == 1 else nn.conv_transpose2d


def oracle(nsp):
    return _oracle.conv_transpose1d if nsp == 1 else _oracle.conv_transpose2d


def targs(stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return dict(
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )


def call(nsp, x, w, b, kw, **extra):
    """The layer with torch's positional argument order."""
    return layer(nsp)(
        x,
        w,
        b,
        kw["stride"],
        kw["padding"],
        kw["output_padding"],
        kw["groups"],
        kw["dilation"],
        **extra,
    )


def call_oracle(nsp, x, w, b, kw):
    return oracle(nsp)(
        x, w, b, kw["stride"], kw["padding"], kw["output_padding"], kw["groups"], kw["dilation"]
    )


def random_tlayer(rng, in_shape, cout, groups, k, dtype):
    """Random input of `in_shape`, weight (C, cout/groups, *k) and bias (cout,)."""
    return (
        random_data(rng, in_shape, dtype),
        random_data(rng, (in_shape[1], cout // groups) + k, dtype),
        random_data(rng, (cout,), dtype),
    )


def terms_of(w, groups, b):
    """The most terms one output sums: C/groups * taps, + 1 for a bias."""
    return w.shape[0] // groups * int(np.prod(w.shape[2:])) + (b is not None)


def error_ratio(got, x, w, b, nsp, eps, kw):
    """max |got - exact| / (2 * terms * eps * scale), from the oracle in long double."""
    x, w = np.asarray(x), np.asarray(w)
    cplx = any(np.iscomplexobj(a) for a in (x, w, b) if a is not None)
    wide = np.clongdouble if cplx else np.longdouble
    exact = call_oracle(
        nsp, x.astype(wide), w.astype(wide), None if b is None else np.asarray(b).astype(wide), kw
    )
    scale = call_oracle(
        nsp,
        np.abs(x).astype(np.longdouble),
        np.abs(w).astype(np.longdouble),
        None if b is None else np.abs(np.asarray(b)).astype(np.longdouble),
        kw,
    )
    assert got.shape == exact.shape, (got.shape, exact.shape)
    bound = 2 * terms_of(w, kw["groups"], b) * eps * scale.astype(np.float64) + 1e-300
    err = np.abs(got.astype(wide) - exact).astype(np.float64)
    return float(np.max(err / bound)) if err.size else 0.0


def assert_close_to_oracle(got, x, w, b, nsp, dtype, kw):
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    ratio = error_ratio(got, x, w, b, nsp, np.finfo(dtype).eps, kw)
    assert ratio <= 1, f"error {ratio:.3g} x the bound"


def torch_ct(x, w, b, nsp, kw):
    """torch.nn.functional.conv_transpose1d/2d."""
    torch = pytest.importorskip("torch")
    f = torch.nn.functional.conv_transpose1d if nsp == 1 else torch.nn.functional.conv_transpose2d
    with torch.no_grad():
        return f(
            torch.from_numpy(np.ascontiguousarray(x)),
            torch.from_numpy(np.ascontiguousarray(w)),
            None if b is None else torch.from_numpy(np.ascontiguousarray(b)),
            kw["stride"],
            kw["padding"],
            kw["output_padding"],
            kw["groups"],
            kw["dilation"],
        ).numpy()


def torch_error_ratio(got, x, w, b, nsp, dtype, kw):
    """|got - torch| against the sum of both results' bounds (the scale
    from torch in float64)."""
    want = torch_ct(x, w, b, nsp, kw)
    scale = torch_ct(
        np.abs(x).astype(np.float64),
        np.abs(w).astype(np.float64),
        None if b is None else np.abs(b).astype(np.float64),
        nsp,
        kw,
    )
    assert got.shape == want.shape and got.dtype == want.dtype, (
        got.shape,
        want.shape,
        got.dtype,
        want.dtype,
    )
    bound = 4 * terms_of(w, kw["groups"], b) * np.finfo(dtype).eps * scale + 1e-300
    return float(np.max(np.abs(got.astype(np.complex128) - want) / bound))


def per_axis(v, nsp):
    return list(v) if isinstance(v, (tuple, list)) else [v] * nsp


def output_size(n, k, s, p, op, d):
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


# --- the oracle itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "ct1d", [_oracle.conv_transpose1d, nn.conv_transpose1d], ids=["oracle", "fastconv"]
)
def test_hand_computed_1d(ct1d):
    x = np.array([[[1.0, 2.0]]])
    w = np.array([[[1.0, 10.0, 100.0]]])
    # stride 2: 1 10 100 . .  +  . . 2 20 200
    np.testing.assert_array_equal(ct1d(x, w, stride=2), [[[1, 10, 102, 20, 200]]])
    # padding 1 crops one element from each end
    np.testing.assert_array_equal(ct1d(x, w, stride=2, padding=1), [[[10, 102, 20]]])
    # output_padding 1 adds one (unreached: the bias) at the end
    np.testing.assert_array_equal(
        ct1d(x, w, np.array([0.5]), 2, 0, 1), [[[1.5, 10.5, 102.5, 20.5, 200.5, 0.5]]]
    )
    # stride 1: plain full convolution 1 12 120 200
    np.testing.assert_array_equal(ct1d(x, w), [[[1, 12, 120, 200]]])
    # dilation 2, stride 1: taps at 0, 2, 4 -> interleaved
    np.testing.assert_array_equal(ct1d(x, w, dilation=2), [[[1, 2, 10, 20, 100, 200]]])
    # kernel shorter than the stride: phases no tap reaches are the bias
    np.testing.assert_array_equal(
        ct1d(x, np.array([[[3.0]]]), np.array([5.0]), stride=3), [[[8, 5, 5, 11]]]
    )
    # complex weights are not conjugated
    np.testing.assert_array_equal(ct1d(x, w * 1j, stride=2), [[[1j, 10j, 102j, 20j, 200j]]])
    # unbatched
    np.testing.assert_array_equal(ct1d(x[0], w, stride=2), [[1, 10, 102, 20, 200]])


@pytest.mark.parametrize("ct", [_oracle.conv_transpose_layer, None], ids=["oracle", "fastconv"])
def test_hand_computed_groups_and_2d(ct):
    if ct is None:

        def ct(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
            f = nn.conv_transpose1d if x.ndim == 3 else nn.conv_transpose2d
            return f(x, w, b, stride, padding, output_padding, groups, dilation)

    # groups=2, C=2, Cout/groups=2: outputs 0,1 from input 0, outputs 2,3 from input 1
    x = np.array([[[1.0, 2.0], [10.0, 20.0]]])
    w = np.array([[[1.0], [2.0]], [[3.0], [4.0]]])
    np.testing.assert_array_equal(ct(x, w, groups=2), [[[1, 2], [2, 4], [30, 60], [40, 80]]])
    # groups=1: every output channel sums both inputs
    np.testing.assert_array_equal(ct(x, w), [[[31, 62], [42, 84]]])
    # 2-D: a 2x2 block of ones at stride 2 repeats every pixel (nearest upsampling)
    img = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(
        ct(img, np.ones((1, 1, 2, 2)), None, 2)[0, 0],
        [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]],
    )
    # stride (1, 2), 1x2 kernel [1, 10]: rows kept, columns interleaved
    np.testing.assert_array_equal(
        ct(img, np.array([[[[1.0, 10.0]]]]), None, (1, 2))[0, 0], [[1, 10, 2, 20], [3, 30, 4, 40]]
    )
    # 3x3 ones at stride 1, padding 1: each output sums the 3x3 input window ('same')
    got = ct(img, np.ones((1, 1, 3, 3)), None, 1, 1)
    np.testing.assert_array_equal(got[0, 0], [[10, 10], [10, 10]])


def test_oracle_shape_rule():
    shape = _oracle.conv_transpose_layer_shape
    assert shape((2, 4, 5), (4, 3, 3), 2, 1, 1, 1, 1) == (2, 3, 10)
    assert shape((1, 6, 5, 7), (6, 2, 3, 4), (2, 3), (1, 0), (1, 2), (1, 2), 3) == (
        1,
        6,
        4 * 2 - 2 + 2 + 1 + 1,
        6 * 3 + 2 * 3 + 2 + 1,
    )
    with pytest.raises(ValueError, match="output_padding"):
        shape((1, 1, 3), (1, 1, 3), 2, 0, 2, 1, 1)
    assert shape((1, 1, 3), (1, 1, 3), 1, 0, 1, 2, 1) == (1, 1, 8)  # < dilation is enough
    with pytest.raises(ValueError, match="padding"):
        shape((1, 1, 1), (1, 1, 2), 1, 1, 0, 1, 1)  # size 0
    with pytest.raises(ValueError, match="groups"):
        shape((1, 4, 3), (4, 1, 3), 1, 0, 0, 1, 3)
    with pytest.raises(ValueError, match="weight"):
        shape((1, 4, 3), (5, 1, 3), 1, 0, 0, 1, 1)


ORACLE_TORCH_CASES = [
    # nsp, (C, Cout, groups), kernel, stride, padding, output_padding, dilation
    (1, (3, 2, 1), (3,), 1, 1, 0, 1),
    (1, (4, 6, 2), (4,), 2, 1, 1, 1),
    (1, (3, 3, 3), (2,), 3, 0, 2, 2),
    (1, (2, 6, 2), (3,), 2, 2, 0, 3),
    (1, (2, 2, 1), (1,), 4, 0, 3, 1),
    (1, (2, 4, 2), (2,), 4, 1, 1, 2),
    (2, (3, 2, 1), (3, 3), 1, 1, 0, 1),
    (2, (4, 6, 2), (2, 3), (2, 1), (1, 2), (1, 0), (1, 2)),
    (2, (3, 3, 3), (2, 2), 2, 0, 1, 1),
    (2, (2, 6, 2), (3, 2), (3, 2), (2, 1), (1, 1), (2, 3)),
    (2, (1, 3, 1), (1, 1), 2, 0, (1, 0), 1),
    (2, (2, 2, 2), (2, 2), 4, (1, 0), 3, 2),
]


@pytest.mark.parametrize("case", ORACLE_TORCH_CASES)
def test_oracle_matches_torch(rng, case):
    """The oracle is torch's definition: exact data, bitwise equal,
    batched and unbatched, with and without bias."""
    pytest.importorskip("torch")
    nsp, (cin, cout, groups), k, stride, padding, op, dilation = case
    kw = targs(stride, padding, op, groups, dilation)
    x = exact_data(rng, (2, cin) + (4, 5)[:nsp], np.float64)
    w = exact_data(rng, (cin, cout // groups) + k, np.float64)
    b = exact_data(rng, (cout,), np.float64)
    assert_exact(call_oracle(nsp, x, w, b, kw), torch_ct(x, w, b, nsp, kw))
    assert_exact(call_oracle(nsp, x, w, None, kw), torch_ct(x, w, None, nsp, kw))
    assert_exact(call_oracle(nsp, x[0], w, b, kw), torch_ct(x[0], w, b, nsp, kw))


def test_oracle_complex_matches_torch(rng):
    pytest.importorskip("torch")
    x = exact_data(rng, (2, 4, 3, 4), np.complex128)
    w = exact_data(rng, (4, 3, 3, 2), np.complex128)
    b = exact_data(rng, (6,), np.complex128)
    kw = targs((2, 3), (1, 0), (1, 2), 2, (1, 2))
    assert_exact(call_oracle(2, x, w, b, kw), torch_ct(x, w, b, 2, kw))


def test_oracle_integer_wraparound():
    x = np.full((1, 1, 2), 100, np.int8)
    w = np.full((1, 1, 2), 100, np.int8)
    got = _oracle.conv_transpose1d(x, w)
    assert got.dtype == np.int8
    # 10000, 20000, 10000 wrapped to int8
    np.testing.assert_array_equal(got, np.array([[[10000, 20000, 10000]]]).astype(np.int8))
    x = np.full((1, 1, 2), 2**62, np.int64)
    w = np.full((1, 1, 2), 3, np.int64)
    np.testing.assert_array_equal(
        _oracle.conv_transpose1d(x, w)[0, 0, 1], (6 * 2**62 + 2**63) % 2**64 - 2**63
    )


def test_oracle_float16_accumulates_in_float32():
    # 2048 + 1 + 1: float16 (spacing 2 at 2048) would give 2048 twice rounded,
    # float32 gives 2050 exactly
    x = np.array([[[2048.0], [1.0], [1.0]]], np.float16)
    w = np.ones((3, 1, 1), np.float16)
    got = _oracle.conv_transpose1d(x, w)
    assert got.dtype == np.float16 and got[0, 0, 0] == 2050


def test_oracle_is_no_zero_insertion():
    """An infinite weight never meets a zero: positions a tap does not reach
    are the bias, not 0 * inf (torch agrees)."""
    x = np.ones((1, 1, 2))
    w = np.array([[[np.inf, 1.0]]])
    got = _oracle.conv_transpose1d(x, w, stride=3)
    np.testing.assert_array_equal(got, [[[np.inf, 1, 0, np.inf, 1]]])
    assert_exact(got, torch_ct(x, w, None, 1, targs(3)))


# --- every option combination, exact data ----------------------------------------------------

GROUPINGS = [(3, 2, 1), (4, 6, 2), (3, 3, 3), (2, 6, 2)]  # (C, Cout, groups): plain, grouped,
# depthwise, depthwise with multiplier 3
KERNELS = {1: [(3,), (2,)], 2: [(3, 3), (1, 2)]}
SPATIAL = {1: (5,), 2: (3, 4)}
# (stride, dilation): gcd(s, d) > 1 with d=2 s=4 and d=2 s=2; d=3 s=2; kernels shorter than
# the stride (phases no tap reaches) with s=3 and s=4
STRIDE_DILATION = [(1, 1), (2, 1), (1, 2), (2, 2), (3, 1), (4, 2), (2, 3)]


@pytest.mark.parametrize("grouping", GROUPINGS, ids=str)
@pytest.mark.parametrize("padding", [0, 1, "tuple"])
@pytest.mark.parametrize("op", ["none", "max"])
@pytest.mark.parametrize("stride,dilation", STRIDE_DILATION)
@pytest.mark.parametrize("nsp,kernel", [(1, 0), (1, 1), (2, 0), (2, 1)])
def test_every_option_exact(rng, nsp, kernel, stride, dilation, op, padding, grouping):
    """Small-integer data: float32, float64 and complex128 results exactly
    equal to the oracle, with and without bias, batched and unbatched;
    geometries the oracle refuses (output size < 1) are refused too."""
    k = KERNELS[nsp][kernel]
    if padding == "tuple":
        padding = (2,) if nsp == 1 else (2, 1)
    output_padding = 0 if op == "none" else max(stride, dilation) - 1
    if nsp == 2 and op == "max":
        output_padding = (output_padding, 0)
    cin, cout, groups = grouping
    kw = targs(stride, padding, output_padding, groups, dilation)
    n = 2 if nsp == 1 else 1
    x = exact_data(rng, (n, cin) + SPATIAL[nsp], np.float64)
    w = exact_data(rng, (cin, cout // groups) + k, np.float64)
    b = exact_data(rng, (cout,), np.float64)
    try:
        want = call_oracle(nsp, x, w, b, kw)
    except ValueError as e:
        assert "padding" in str(e)
        with pytest.raises(ValueError, match="padding|output"):
            call(nsp, x, w, b, kw)
        return
    want_nobias = call_oracle(nsp, x, w, None, kw)
    for dtype in (np.float64, np.float32, np.complex128):
        xd, wd, bd = x.astype(dtype), w.astype(dtype), b.astype(dtype)
        assert_exact(call(nsp, xd, wd, bd, kw), want.astype(dtype))
        assert_exact(call(nsp, xd, wd, None, kw), want_nobias.astype(dtype))
    assert_exact(call(nsp, x[0], w, b, kw), want[0])


@pytest.mark.parametrize("nsp", [1, 2])
@pytest.mark.parametrize(
    "k,stride,dilation", [(1, 2, 1), (2, 3, 1), (2, 4, 2), (1, 3, 2), (3, 4, 2), (2, 6, 3)]
)
def test_unreached_phases_are_the_bias(rng, nsp, k, stride, dilation):
    """Output positions o with (o + padding) mod gcd-pattern no tap reaches
    (k*d < stride or gcd(d, s) > 1) hold the bias exactly; the others the
    oracle's sums."""
    x = exact_data(rng, (2, 3) + (5, 4)[:nsp], np.float64)
    w = exact_data(rng, (3, 4) + (k,) * nsp, np.float64)
    b = np.array([0.25, -1.5, 7.0, 3.0])
    kw = targs(stride, 1, stride - 1, 1, dilation)
    got = call(nsp, x, w, b, kw)
    assert_exact(got, call_oracle(nsp, x, w, b, kw))
    reached = {(i * stride + j * dilation - 1) for i in range(5) for j in range(k)}
    last = got.shape[-1]
    unreached = [o for o in range(last) if o not in reached]
    assert unreached
    for o in unreached:
        np.testing.assert_array_equal(
            got[..., o], np.broadcast_to(b.reshape((1, 4) + (1,) * (nsp - 1)), got[..., o].shape)
        )


# --- random data within the error bound ------------------------------------------------------

RANDOM_CASES = [
    # nsp, (C, Cout, groups), kernel, stride, padding, output_padding, dilation, spatial
    (1, (3, 5, 1), (3,), 1, 1, 0, 1, (9,)),
    (1, (4, 6, 2), (4,), 2, 1, 1, 1, (7,)),
    (1, (6, 6, 6), (5,), 3, 2, 2, 1, (6,)),
    (1, (2, 4, 2), (2,), 4, 0, 1, 2, (5,)),
    (1, (3, 2, 1), (3,), 2, 0, 2, 3, (6,)),
    (2, (3, 7, 1), (3, 3), 1, 1, 0, 1, (4, 5)),
    (2, (4, 4, 2), (2, 3), (2, 1), (1, 0), (1, 0), (1, 2), (4, 5)),
    (2, (3, 6, 3), (4, 4), 2, 1, 0, 1, (3, 4)),
    (2, (2, 2, 1), (2, 2), (4, 3), 0, (1, 2), (2, 1), (3, 3)),
    (2, (8, 3, 1), (1, 1), 2, 0, 1, 1, (3, 4)),
    (2, (5, 5, 5), (3, 3), 2, (2, 1), 1, (3, 2), (3, 3)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", RANDOM_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_random_data_within_error_bound(rng, dtype, case, with_bias):
    nsp, (cin, cout, groups), k, stride, padding, op, dilation, spatial = case
    x, w, b = random_tlayer(rng, (2, cin) + spatial, cout, groups, k, dtype)
    b = b if with_bias else None
    kw = targs(stride, padding, op, groups, dilation)
    assert_close_to_oracle(call(nsp, x, w, b, kw), x, w, b, nsp, dtype, kw)


def test_float64_bound_rejects_float32_arithmetic(rng):
    """The float64 bound is tight enough that float32 arithmetic fails it
    (and passes the float32 bound)."""
    x = random_data(rng, (2, 4, 4, 5), np.float64)
    w = random_data(rng, (4, 3, 3, 3), np.float64)
    kw = targs(2, 1, 1, 1, 1)
    in32 = call_oracle(2, x.astype(np.float32), w.astype(np.float32), None, kw)
    assert error_ratio(in32.astype(np.float64), x, w, None, 2, np.finfo(np.float64).eps, kw) > 1000
    assert (
        error_ratio(
            in32, x.astype(np.float32), w.astype(np.float32), None, 2, np.finfo(np.float32).eps, kw
        )
        <= 1
    )
    # and the library's float64 result passes the float64 bound
    assert_close_to_oracle(call(2, x, w, None, kw), x, w, None, 2, np.float64, kw)


def test_mixed_precision_is_computed_in_the_wider_type(rng):
    x = random_data(rng, (2, 3, 4, 5), np.float32)
    w = random_data(rng, (3, 4, 3, 3), np.float64)
    b = random_data(rng, (4,), np.float64)
    kw = targs(2, 1, 0, 1, 1)
    assert_close_to_oracle(call(2, x, w, b, kw), x, w, b, 2, np.float64, kw)
    w32 = w.astype(np.float32)
    assert_close_to_oracle(call(2, x, w32, b, kw), x, w32, b, 2, np.float64, kw)
    xc = random_data(rng, (2, 3, 4, 5), np.complex64)
    assert_close_to_oracle(call(2, xc, w32, b, kw), xc, w32, b, 2, np.complex128, kw)


@pytest.mark.parametrize("nsp", [1, 2])
def test_unbatched_equals_batch_of_one(rng, nsp):
    x = random_data(rng, (4,) + (6, 5)[:nsp], np.float64)
    w = random_data(rng, (4, 3) + (3, 2)[:nsp], np.float64)
    b = random_data(rng, (6,), np.float64)
    kw = targs(2, 1, 1, 2, 1)
    got = call(nsp, x, w, b, kw)
    assert got.ndim == nsp + 1 and got.shape[0] == 6
    assert_bitwise(got, call(nsp, x[None], w, b, kw)[0])


# --- against torch ------------------------------------------------------------------------------

TORCH_CASES = [
    # nsp, (C, Cout, groups), kernel, stride, padding, output_padding, dilation, spatial
    (1, (3, 5, 1), (3,), 1, 1, 0, 1, (17,)),
    (1, (4, 8, 2), (4,), 2, 1, 1, 1, (13,)),
    (1, (6, 12, 6), (5,), 3, 2, 2, 1, (20,)),
    (1, (8, 8, 1), (2,), 4, 0, 1, 2, (16,)),
    (1, (5, 3, 1), (3,), 2, 1, 2, 3, (11,)),
    (2, (3, 7, 1), (3, 3), 1, 1, 0, 1, (9, 10)),
    (2, (4, 6, 2), (2, 3), (2, 1), (1, 0), (1, 0), (1, 2), (9, 11)),
    (2, (8, 8, 8), (4, 4), 2, 1, 0, 1, (7, 13)),
    (2, (4, 8, 4), (4, 2), (4, 2), (2, 1), (3, 1), (2, 1), (8, 9)),
    (2, (16, 5, 1), (1, 1), 2, 0, 1, 1, (6, 7)),
    (2, (3, 8, 1), (7, 7), 2, 3, 1, 1, (15, 17)),
    (2, (6, 4, 2), (3, 3), 2, 2, (1, 0), (3, 2), (8, 7)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("case", TORCH_CASES)
def test_matches_torch_functional(rng, dtype, case):
    pytest.importorskip("torch")
    nsp, (cin, cout, groups), k, stride, padding, op, dilation, spatial = case
    kw = targs(stride, padding, op, groups, dilation)
    x, w, b = random_tlayer(rng, (3, cin) + spatial, cout, groups, k, dtype)
    assert torch_error_ratio(call(nsp, x, w, b, kw), x, w, b, nsp, dtype, kw) <= 1
    xe, we, be = (exact_data(rng, a.shape, dtype) for a in (x, w, b))
    assert_exact(call(nsp, xe, we, be, kw), torch_ct(xe, we, be, nsp, kw))
    assert_exact(call(nsp, xe[1], we, None, kw), torch_ct(xe[1], we, None, nsp, kw))


def torch_output_padding(in_spatial, output_size, k, stride, padding, dilation):
    """torch's ConvTranspose*d._output_padding, recomputed: output_size
    must lie in [min, min + stride) with min the size at output_padding 0;
    the output_padding is the difference."""
    ops = []
    for a, (n, want) in enumerate(zip(in_spatial, output_size)):
        least = (n - 1) * stride[a] - 2 * padding[a] + dilation[a] * (k[a] - 1) + 1
        assert least <= want < least + stride[a], (want, least)
        ops.append(want - least)
    return tuple(ops)


MODULE_CASES = [
    # nsp, (C, Cout, groups), kernel, stride, padding, dilation, spatial, output_size
    (1, (3, 4, 1), (3,), (2,), (1,), (1,), (7,), (14,)),
    (1, (4, 4, 4), (4,), (3,), (1,), (1,), (6,), (19,)),
    (2, (4, 6, 2), (4, 4), (2, 2), (1, 1), (1, 1), (5, 6), (11, 12)),
    (2, (3, 5, 1), (3, 3), (3, 2), (1, 0), (1, 2), (4, 5), (12, 13)),
    (2, (2, 2, 1), (2, 2), (4, 4), (0, 1), (2, 1), (3, 3), (13, 11)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("case", MODULE_CASES)
def test_matches_torch_module_with_output_size(rng, dtype, case):
    """nn.ConvTranspose1d/2d, forward(x, output_size=...) mapped to our
    output_padding (and without output_size: output_padding 0)."""
    torch = pytest.importorskip("torch")
    nsp, (cin, cout, groups), k, stride, padding, dilation, spatial, osize = case
    x, w, b = random_tlayer(rng, (2, cin) + spatial, cout, groups, k, dtype)
    cls = torch.nn.ConvTranspose1d if nsp == 1 else torch.nn.ConvTranspose2d
    mod = cls(
        cin,
        cout,
        k,
        stride=stride,
        padding=padding,
        groups=groups,
        bias=True,
        dilation=dilation,
        dtype=torch.from_numpy(w).dtype,
    )
    with torch.no_grad():
        mod.weight.copy_(torch.from_numpy(w))
        mod.bias.copy_(torch.from_numpy(b))
        want = mod(torch.from_numpy(x), output_size=list(osize)).numpy()
        want0 = mod(torch.from_numpy(x)).numpy()
    op = torch_output_padding(spatial, osize, k, stride, padding, dilation)
    got = layer(nsp)(x, w, b, stride, padding, op, groups, dilation)
    assert got.shape == want.shape == (2, cout) + osize
    kw = targs(stride, padding, op, groups, dilation)
    # the module's forward is the functional with our output_padding: the same bits
    assert_bitwise(want, torch_ct(x, w, b, nsp, kw))
    assert torch_error_ratio(got, x, w, b, nsp, dtype, kw) <= 1
    got0 = layer(nsp)(x, w, b, stride, padding, 0, groups, dilation)
    assert_bitwise(want0, torch_ct(x, w, b, nsp, targs(stride, padding, 0, groups, dilation)))
    assert (
        torch_error_ratio(got0, x, w, b, nsp, dtype, targs(stride, padding, 0, groups, dilation))
        <= 1
    )


MEDIUM_CASES = [
    # input shape, Cout, kernel, stride, padding, output_padding, dilation, groups
    ((2, 64, 16, 16), 32, (4, 4), 2, 1, 0, 1, 1),  # DCGAN-style upsampling
    ((1, 21, 16, 16), 21, (64, 64), 32, 16, 0, 1, 1),  # FCN-32s upsampling
    ((1, 21, 16, 16), 21, (4, 4), 2, 1, 0, 1, 21),  # depthwise (bilinear-style)
    ((1, 16, 9, 11), 48, (3, 3), 2, 1, 1, 1, 16),  # depthwise, multiplier 3
    ((2, 24, 10, 12), 37, (3, 3), 2, 1, 1, 1, 1),  # Cout 37: channel-block tails
    ((1, 12, 8, 9), 19, (5, 3), (2, 3), (2, 1), (1, 2), (1, 2), 1),
    ((1, 20, 12, 12), 20, (3, 3), 1, 2, 1, 2, 4),  # dilated, grouped
    ((1, 8, 3, 300), 13, (2, 3), (1, 2), 0, (0, 1), 1, 1),  # > 512 output columns
    ((1, 4, 2, 140), 5, (3, 8), (2, 4), 1, (1, 3), (1, 2), 1),  # wide: 4*139 + 15 columns
    ((2, 16, 300), 24, (5,), 2, 2, 1, 1, 1),  # conv_transpose1d
    ((2, 12, 101), 36, (4,), 3, 1, 2, 3, 3),
    ((1, 33, 200), 17, (8,), 4, 2, 0, 1, 1),  # 1-D, wide (> 512 outputs)
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", MEDIUM_CASES, ids=lambda c: str(c[0]) + f"->{c[1]}")
def test_medium_sizes_vs_torch(rng, dtype, case):
    pytest.importorskip("torch")
    shape, cout, k, stride, padding, op, dilation, groups = case
    nsp = len(k)
    x, w, b = random_tlayer(rng, shape, cout, groups, k, dtype)
    kw = targs(stride, padding, op, groups, dilation)
    got = call(nsp, x, w, b, kw)
    assert torch_error_ratio(got, x, w, b, nsp, dtype, kw) <= 1


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize(
    "case",
    MEDIUM_CASES[:1] + MEDIUM_CASES[2:6] + MEDIUM_CASES[9:11],
    ids=lambda c: str(c[0]) + f"->{c[1]}",
)
def test_medium_complex_vs_torch(rng, dtype, case):
    pytest.importorskip("torch")
    shape, cout, k, stride, padding, op, dilation, groups = case
    nsp = len(k)
    x, w, _ = random_tlayer(rng, shape, cout, groups, k, dtype)
    kw = targs(stride, padding, op, groups, dilation)
    assert torch_error_ratio(call(nsp, x, w, None, kw), x, w, None, nsp, dtype, kw) <= 1


@pytest.mark.parametrize("cin", [1, 3, 40])
@pytest.mark.parametrize("width", [1, 5, 13, 31])
@pytest.mark.parametrize("cout", [1, 5, 7, 17, 33])
def test_tile_edges_exact_vs_torch(rng, cin, width, cout):
    """Exact data through the tiles' remainders, k4 s2 p1 and k3 s1 p1 in
    2-D, k5 s3 in 1-D: bitwise equal to torch, float32 and float64."""
    pytest.importorskip("torch")
    for dtype in (np.float32, np.float64):
        x = exact_data(rng, (2, cin, 3, width), dtype)
        for k, s, p in (((4, 4), 2, 1), ((3, 3), 1, 1)):
            w = exact_data(rng, (cin, cout) + k, dtype)
            b = exact_data(rng, (cout,), dtype)
            kw = targs(s, p)
            assert_exact(call(2, x, w, b, kw), torch_ct(x, w, b, 2, kw))
        x1 = exact_data(rng, (2, cin, width), dtype)
        w1 = exact_data(rng, (cin, cout, 5), dtype)
        kw = targs(3, 1, 2)
        assert_exact(call(1, x1, w1, None, kw), torch_ct(x1, w1, None, 1, kw))


@pytest.mark.parametrize("width", [1, 6, 17])
@pytest.mark.parametrize("channels,multiplier", [(1, 1), (3, 1), (5, 2), (17, 1), (8, 3)])
def test_depthwise_exact_vs_oracle(rng, width, channels, multiplier):
    x = exact_data(rng, (1, channels, 3, width), np.float32)
    for k, s, p, op in ((4, 2, 1, 0), (3, 2, 1, 1), (1, 3, 0, 2)):
        w = exact_data(rng, (channels, multiplier, k, k), np.float32)
        b = exact_data(rng, (channels * multiplier,), np.float32)
        kw = targs(s, p, op, channels)
        assert_exact(call(2, x, w, b, kw), call_oracle(2, x, w, b, kw))


# --- adjointness ---------------------------------------------------------------------------

ADJOINT_CASES = [
    # nsp, x shape, conv weight shape (Cout, C/groups, k...), stride, padding, dilation, groups
    (1, (2, 3, 11), (4, 3, 3), 2, 1, 1, 1),
    (1, (1, 4, 13), (6, 2, 4), 3, 2, 2, 2),
    (1, (2, 5, 10), (5, 1, 2), 4, 0, 3, 5),
    (2, (2, 3, 9, 10), (5, 3, 3, 3), 1, 1, 1, 1),
    (2, (1, 4, 11, 10), (6, 2, 4, 4), 2, 1, 1, 2),
    (2, (1, 6, 12, 13), (6, 1, 3, 3), (2, 3), (1, 0), (2, 1), 6),
    (2, (2, 4, 13, 9), (8, 4, 2, 3), (4, 2), (0, 2), (2, 3), 1),
    (2, (1, 6, 8, 17), (9, 2, 5, 1), (3, 4), 2, 1, 3),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ADJOINT_CASES)
def test_adjoint_of_conv(rng, dtype, case):
    """<conv(x, w), y> == <x, conv_transpose(y, w)> (the same weight array,
    the same stride, padding, dilation, groups and the output_padding
    that recovers x's size), to rounding."""
    nsp, xs, ws, stride, padding, dilation, groups = case
    x = random_data(rng, xs, dtype)
    w = random_data(rng, ws, dtype)
    conv = nn.conv1d if nsp == 1 else nn.conv2d
    y = conv(x, w, None, stride, padding, dilation, groups)
    y = random_data(rng, y.shape, dtype)
    s, p, d = per_axis(stride, nsp), per_axis(padding, nsp), per_axis(dilation, nsp)
    op = tuple((n + 2 * p[a] - d[a] * (ws[2 + a] - 1) - 1) % s[a] for a, n in enumerate(xs[2:]))
    xt = layer(nsp)(y, w, None, stride, padding, op, groups, dilation)
    assert xt.shape == x.shape
    lhs = np.vdot(
        conv(x, w, None, stride, padding, dilation, groups).astype(np.float64), y.astype(np.float64)
    )
    rhs = np.vdot(x.astype(np.float64), xt.astype(np.float64))
    scale = np.vdot(
        conv(
            np.abs(x).astype(np.float64),
            np.abs(w).astype(np.float64),
            None,
            stride,
            padding,
            dilation,
            groups,
        ),
        np.abs(y).astype(np.float64),
    )
    terms = int(np.prod(ws[1:])) + x.size + y.size
    assert abs(lhs - rhs) <= 4 * terms * np.finfo(dtype).eps * scale, (lhs, rhs, scale)
    # and the conv transpose's adjoint: the oracle's sums agree in exact data
    xe, we = exact_data(rng, xs, np.float64), exact_data(rng, ws, np.float64)
    ye = exact_data(rng, y.shape, np.float64)
    assert np.vdot(conv(xe, we, None, stride, padding, dilation, groups), ye) == np.vdot(
        xe, layer(nsp)(ye, we, None, stride, padding, op, groups, dilation)
    )


# --- layouts, threads, out= -------------------------------------------------------------------

LAYOUT_CASES = [
    # nsp, input shape, weight shape, kwargs
    (2, (2, 6, 7, 9), (6, 4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    (2, (2, 8, 7, 9), (8, 1, 4, 4), dict(stride=2, padding=1, groups=8)),
    (2, (1, 6, 8, 10), (6, 3, 2, 3), dict(stride=(3, 2), dilation=(2, 1), groups=2)),
    (2, (2, 16, 5, 7), (16, 5, 1, 1), dict(stride=2)),
    (2, (1, 3, 9, 11), (3, 8, 7, 7), dict(stride=2, padding=3, output_padding=1)),
    (1, (2, 6, 23), (6, 7, 5), dict(stride=3, padding=2, dilation=2, output_padding=1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("case", LAYOUT_CASES)
def test_layouts_give_the_same_bits(rng, dtype, case):
    nsp, xs, ws, kw = case
    cout = ws[1] * kw.get("groups", 1)
    x = random_data(rng, xs, dtype)
    w = random_data(rng, ws, dtype)
    b = random_data(rng, (cout,), dtype)
    f = layer(nsp)
    want = f(x, w, b, **kw)
    for _name, xv in layouts(x):
        np.testing.assert_array_equal(xv, x)
        assert_bitwise(f(xv, w, b, **kw), want)
    for _name, wv in layouts(w):
        assert_bitwise(f(x, wv, b, **kw), want)
    bb = np.zeros(2 * cout, dtype)
    bb[::2] = b
    assert_bitwise(f(x, w, bb[::2], **kw), want)
    x0 = np.moveaxis(np.ascontiguousarray(np.moveaxis(x[0], 0, -1)), -1, 0)
    assert_bitwise(f(x0, w, b, **kw), want[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "case",
    LAYOUT_CASES
    + [
        (2, (3, 32, 12, 13), (32, 32, 4, 4), dict(stride=2, padding=1)),
        (2, (1, 64, 10, 10), (64, 1, 4, 4), dict(stride=2, padding=1, groups=64)),
        (2, (1, 21, 8, 8), (21, 21, 16, 16), dict(stride=8, padding=4)),
        (1, (4, 32, 250), (32, 32, 5), dict(stride=2, padding=2, output_padding=1)),
    ],
)
def test_threads_give_the_same_bits(rng, dtype, case):
    nsp, xs, ws, kw = case
    x = random_data(rng, xs, dtype)
    w = random_data(rng, ws, dtype)
    b = random_data(rng, (ws[1] * kw.get("groups", 1),), dtype)
    f = layer(nsp)
    one = f(x, w, b, threads=1, **kw)
    for t in (2, 3, 7):
        assert_bitwise(f(x, w, b, threads=t, **kw), one)
    assert_bitwise(f(x, w, b, **kw), one)


def test_global_thread_setting_gives_the_same_bits(rng):
    x = random_data(rng, (2, 24, 9, 11), np.float32)
    w = random_data(rng, (24, 40, 4, 4), np.float32)
    one = nn.conv_transpose2d(x, w, stride=2, padding=1, threads=1)
    old = fastconv.get_num_threads()
    try:
        for n in (1, 2, 3):
            fastconv.set_num_threads(n)
            assert_bitwise(nn.conv_transpose2d(x, w, stride=2, padding=1), one)
    finally:
        fastconv.set_num_threads(old)


@pytest.mark.parametrize("nsp", [1, 2])
def test_out_argument(rng, nsp):
    x = random_data(rng, (2, 4) + (5, 6)[:nsp], np.float64)
    w = random_data(rng, (4, 3) + (3, 3)[:nsp], np.float64)
    b = random_data(rng, (6,), np.float64)
    f = layer(nsp)
    args = (2, 1, 1, 2)  # stride, padding, output_padding, groups
    want = f(x, w, b, *args)
    out = np.full(want.shape, np.nan)
    assert f(x, w, b, *args, out=out) is out
    assert_bitwise(out, want)
    out1 = np.empty(want.shape[1:])
    assert f(x[0], w, b, *args, out=out1) is out1
    assert_bitwise(out1, want[0])
    # a result dtype computed in another one (int16 in int64): exact dtype required
    xi = exact_data(rng, x.shape, np.int16)
    wi = exact_data(rng, w.shape, np.int16)
    outi = np.empty(want.shape, np.int16)
    assert f(xi, wi, None, *args, out=outi) is outi
    np.testing.assert_array_equal(outi, oracle(nsp)(xi, wi, None, *args))
    with pytest.raises(TypeError, match="out"):
        f(x, w, b, *args, out=np.empty(want.shape, np.float32))
    with pytest.raises(ValueError, match="out"):
        f(x, w, b, *args, out=np.empty(want.shape[:-1] + (want.shape[-1] - 1,)))
    with pytest.raises(ValueError, match="out"):
        f(x, w, b, *args, out=np.empty(want.shape[1:]))
    outt = np.empty(want.shape[::-1]).T  # any dense layout
    assert f(x, w, b, *args, out=outt) is outt
    assert_bitwise(outt, want)
    with pytest.raises(ValueError, match="out: must be dense"):
        f(x, w, b, *args, out=np.empty(want.shape[:-1] + (2 * want.shape[-1],))[..., ::2])
    ro = np.empty(want.shape)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="out"):
        f(x, w, b, *args, out=ro)
    with pytest.raises(TypeError, match="out"):
        f(x, w, b, *args, out=want.tolist())
    for which in ("input", "weight", "bias"):
        src = {"input": x, "weight": w, "bias": b}[which]
        buf = np.zeros(src.size + want.size)
        view = buf[: src.size].reshape(src.shape)
        view[...] = src
        out_ov = buf[src.size - 1 : src.size - 1 + want.size].reshape(want.shape)
        a = {"input": (view, w, b), "weight": (x, view, b), "bias": (x, w, view)}[which]
        with pytest.raises(ValueError, match="out"):
            f(*a, *args, out=out_ov)


# --- dtypes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype",
    [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint16, np.uint32, np.uint64],
)
@pytest.mark.parametrize("nsp", [1, 2])
def test_integer_and_bool_exact(rng, dtype, nsp):
    """Integers and bool: exactly in int64, cast (wrapping) to the result
    dtype, as conv1d/conv2d; data large enough that int8/uint8 wrap."""
    info = np.iinfo(dtype) if dtype != np.bool_ else None
    lo, hi = (0, 1) if info is None else (max(info.min, -100), min(info.max, 100))
    x = exact_data(rng, (2, 4) + (4, 5)[:nsp], dtype, lo, hi)
    w = exact_data(rng, (4, 2) + (3, 2)[:nsp], dtype, lo, hi)
    b = exact_data(rng, (4,), dtype, lo, hi)
    kw = targs(2, 1, 1, 2, 1)
    got = call(nsp, x, w, b, kw)
    assert got.dtype == np.dtype(dtype)
    assert_exact(got, call_oracle(nsp, x, w, b, kw))


def test_int64_wraps_around():
    x = np.full((1, 1, 2, 2), 2**62, np.int64)
    w = np.full((1, 1, 2, 2), 3, np.int64)
    got = nn.conv_transpose2d(x, w)
    assert_exact(got, _oracle.conv_transpose2d(x, w))
    assert got[0, 0, 1, 1] == (12 * 2**62 + 2**63) % 2**64 - 2**63


@pytest.mark.parametrize("xt,wt,bt", PROMOTION_CASES + [(np.bool_, np.bool_, None)])
def test_mixed_dtype_promotion(rng, xt, wt, bt):
    x = exact_data(rng, (2, 4, 4, 3), xt, 0 if xt in (np.uint8, np.uint64) else -3, 3)
    w = exact_data(rng, (4, 2, 3, 3), wt)
    b = None if bt is None else exact_data(rng, (2,), bt)
    want_dtype = np.result_type(*[a for a in (x, w, b) if a is not None])
    got = nn.conv_transpose2d(x, w, b, 2, 1, 1)
    assert got.dtype == want_dtype
    assert_exact(got, _oracle.conv_transpose2d(x, w, b, 2, 1, 1))


def test_float16_is_computed_in_float32(rng):
    """float32 accumulation, one rounding to float16 (bound as in
    test_nn_conv.py's float16 test); a float16 accumulation of these
    144-term sums fails it."""
    x = random_data(rng, (1, 16, 5, 6), np.float32).astype(np.float16)
    w = random_data(rng, (16, 3, 3, 3), np.float32).astype(np.float16)
    got = nn.conv_transpose2d(x, w, padding=1)
    assert got.dtype == np.float16
    exact = _oracle.conv_transpose2d(x.astype(np.longdouble), w.astype(np.longdouble), None, 1, 1)
    scale = _oracle.conv_transpose2d(
        np.abs(x).astype(np.longdouble), np.abs(w).astype(np.longdouble), None, 1, 1
    )
    bound = (
        np.finfo(np.float16).eps / 2 * np.abs(exact) + 2 * 144 * np.finfo(np.float32).eps * scale
    ).astype(np.float64)
    err = np.abs(got.astype(np.longdouble) - exact).astype(np.float64)
    assert np.all(err <= bound), np.max(err / bound)
    assert_exact(got, _oracle.conv_transpose2d(x, w, None, 1, 1))


NONFINITE_CASES = [
    # nsp, input shape, weight shape, kwargs
    (2, (2, 4, 5, 6), (4, 3, 3, 3), dict(padding=1)),
    (2, (1, 4, 5, 6), (4, 5, 4, 4), dict(stride=2, padding=1)),
    (2, (1, 6, 4, 5), (6, 1, 2, 2), dict(stride=3, groups=6, output_padding=2)),
    (2, (1, 4, 4, 5), (4, 3, 3, 2), dict(stride=(2, 4), dilation=(3, 2), output_padding=1)),
    (2, (1, 16, 3, 5), (16, 7, 1, 1), dict(stride=2, padding=1)),
    (1, (2, 6, 9), (6, 3, 5), dict(stride=2, padding=2, output_padding=1)),
    (1, (2, 6, 9), (6, 1, 2), dict(stride=4, dilation=2, groups=6, output_padding=3)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", NONFINITE_CASES)
def test_inf_and_nan_as_the_oracle(rng, dtype, case):
    """Infinities and NaNs propagate as the scatter definition says: only
    real terms x * w take part (no 0 * inf from padding or inserted
    zeros); exact data otherwise."""
    nsp, xs, ws, kw = case
    x = exact_data(rng, xs, dtype)
    w = exact_data(rng, ws, dtype)
    b = exact_data(rng, (ws[1] * kw.get("groups", 1),), dtype)
    xf, wf = x.reshape(-1), w.reshape(-1)
    xf[rng.choice(xf.size, 3, replace=False)] = [np.inf, -np.inf, np.nan]
    wf[0] = np.inf
    wf[rng.choice(np.arange(1, wf.size), 1)] = -np.inf
    kw = targs(**kw)
    with np.errstate(invalid="ignore"):
        want = call_oracle(nsp, x, w, b, kw)
    for t in (1, 2):
        got = call(nsp, x, w, b, kw, threads=t)
        assert got.dtype == want.dtype and got.shape == want.shape
        bad = ~((got == want) | (np.isnan(got) & np.isnan(want)))
        assert not bad.any(), (np.argwhere(bad)[:5], got[bad][:5], want[bad][:5])


@pytest.mark.parametrize("nsp", [1, 2])
def test_infinite_weight_meets_no_padding(nsp):
    """The smallest case of the rule above, against torch: stride 1, an
    infinite first tap; the last output is reached by the finite taps only
    (1-D: [inf, inf, 1]; a NaN there means a 0 * inf over padding)."""
    x = np.ones((1, 1) + (2,) * nsp)
    w = np.ones((1, 1) + (2,) * nsp)
    w.reshape(-1)[0] = np.inf
    want = torch_ct(x, w, None, nsp, targs())
    assert not np.isnan(want).any()
    assert_exact(call_oracle(nsp, x, w, None, targs()), want)
    got = call(nsp, x, w, None, targs())
    assert np.array_equal(got, want), got


def test_large_stride_output_is_the_bias_between_copies():
    """stride 10**6 (a million phases, two reached): exact values, and
    quickly (no loop over phases that hold the bias alone)."""
    x = np.array([[[2.0, -3.0], [1.0, 5.0]]])
    w = np.array([[[1.0, 10.0]], [[100.0, 1000.0]]])
    s = 10**6
    got = nn.conv_transpose1d(x, w, np.array([0.5]), stride=s, output_padding=s - 1)
    assert got.shape == (1, 1, 2 * s + 1)  # (2-1)*s + (2-1) + (s-1) + 1
    want = np.full(got.shape, 0.5)
    want[0, 0, [0, 1, s, s + 1]] = [0.5 + 2 + 100, 0.5 + 20 + 1000, 0.5 - 3 + 500, 0.5 - 30 + 5000]
    assert_exact(got, want)


@pytest.mark.parametrize("nsp", [1, 2])
def test_empty_batch(rng, nsp):
    x = np.zeros((0, 4) + (3, 4)[:nsp])
    w = random_data(rng, (4, 5) + (3, 3)[:nsp], np.float64)
    got = layer(nsp)(x, w, None, 2, 1, 1)
    assert got.shape == (0, 5) + tuple(output_size(n, 3, 2, 1, 1, 1) for n in (3, 4)[:nsp])
    assert got.dtype == np.float64


EDGE_CASES = [
    # input shape, weight shape, kwargs
    ((1, 2, 10), (2, 3, 3), dict(stride=2, padding=5)),  # padding past the kernel
    ((1, 2, 1), (2, 3, 5), dict(padding=2)),  # one input, one output
    ((1, 2, 3, 3), (2, 2, 5, 1), dict(stride=(1, 7), padding=(3, 0), output_padding=(0, 6))),
    ((1, 8, 4, 4), (8, 1, 3, 3), dict(groups=4)),  # Cout/groups = 1, C/g = 2
    ((1, 8, 4, 4), (8, 1, 3, 3), dict(groups=8, stride=5, dilation=7, output_padding=6)),
    ((2, 3, 6), (3, 2, 7), dict(stride=3, dilation=4, padding=9, output_padding=3)),
    ((1, 1, 2, 2), (1, 1, 9, 9), dict(padding=4)),  # kernel >> input
    ((1, 3, 4, 5), (3, 2, 2, 2), dict(stride=2, dilation=4, padding=3, output_padding=3)),
    ((3, 1), (3, 2, 1), dict(stride=4, output_padding=3)),  # unbatched, L = 1
    ((1, 300, 2, 2), (300, 1, 2, 2), dict(stride=2)),  # long reduction, Cout 1
]


@pytest.mark.parametrize("case", EDGE_CASES)
def test_edge_geometries(rng, case):
    xs, ws, kw = case
    nsp = len(ws) - 2
    kw = targs(**kw)
    x = exact_data(rng, xs, np.float64)
    w = exact_data(rng, ws, np.float64)
    b = exact_data(rng, (ws[1] * kw["groups"],), np.float64)
    want = call_oracle(nsp, x, w, b, kw)
    for dtype in (np.float32, np.float64):
        assert_exact(
            call(nsp, x.astype(dtype), w.astype(dtype), b.astype(dtype), kw), want.astype(dtype)
        )
    assert_exact(want, torch_ct(x, w, b, nsp, kw))


def test_non_native_byte_order(rng):
    x = exact_data(rng, (1, 2, 4, 4), np.float64)
    w = exact_data(rng, (2, 3, 3, 3), np.float64)
    got = nn.conv_transpose2d(x.astype(">f8"), w.astype(">f4"), stride=2)
    assert got.dtype == np.float64
    assert_exact(got, _oracle.conv_transpose2d(x, w, None, 2))


def test_concurrent_calls_from_python_threads(rng):
    from concurrent.futures import ThreadPoolExecutor

    problems = []
    for i in range(6):
        x = random_data(rng, (1, 8 + i, 9, 7), np.float64)
        w = random_data(rng, (8 + i, 4 + 3 * i, 4, 4), np.float64)
        problems.append((x, w, dict(stride=2, padding=1, threads=1 + i % 2)))
    serial = [nn.conv_transpose2d(x, w, **kw) for x, w, kw in problems]
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(nn.conv_transpose2d, x, w, **kw) for x, w, kw in problems * 2]
        results = [f.result() for f in futures]
    for r, want in zip(results, serial * 2):
        assert_bitwise(r, want)


@pytest.mark.slow
@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    """The exact-data and random-data tests again with each other
    compiled instruction set (chosen once per process; the option grid, the
    medium sizes and the hypothesis tests are left to the active ISA to
    keep the file under a minute: tests/kernel_check.py covers phases,
    channel-block tails and wide rows per ISA)."""
    run_tests_under_isa(
        __file__,
        isa,
        "hand_computed or unreached or random_data_within or depthwise or inf_and_nan"
        " or integer_and_bool or threads_give or layouts_give",
    )


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_forced_isa_runs_or_is_skipped(isa):
    """Every ISA name: a quick check under FASTCONV_FORCE_ISA, skipped
    with a reason when this CPU (or build) lacks it."""
    if isa not in fastconv.available_isas():
        pytest.skip(f"{isa} not available on this CPU/build")
    code = (
        "import numpy as np, fastconv; from fastconv import nn, _oracle\n"
        "r = np.random.default_rng(3)\n"
        "x = r.integers(-3, 4, (2, 5, 4, 6)).astype(np.float32)\n"
        "w = r.integers(-3, 4, (5, 19, 4, 4)).astype(np.float32)\n"
        "b = r.integers(-3, 4, 19).astype(np.float32)\n"
        "got = nn.conv_transpose2d(x, w, b, 2, 1, 1)\n"
        "assert np.array_equal(got, _oracle.conv_transpose2d(x, w, b, 2, 1, 1))\n"
        "print(fastconv.active_isa())\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "FASTCONV_FORCE_ISA": isa},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == isa


# --- hypothesis ----------------------------------------------------------------------------------


@st.composite
def transposed_problems(draw):
    nsp = draw(st.sampled_from([1, 2]))
    groups = draw(st.integers(1, 3))
    cg = draw(st.integers(1, 2))
    og = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 4 if nsp == 1 else 3)) for _ in range(nsp))
    stride = tuple(draw(st.integers(1, 4)) for _ in range(nsp))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nsp))
    op = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    padding = tuple(draw(st.integers(0, 3)) for _ in range(nsp))
    spatial = tuple(draw(st.integers(1, 6 if nsp == 1 else 4)) for _ in range(nsp))
    sizes = [
        output_size(n, kk, s, p, o, d)
        for n, kk, s, p, o, d in zip(spatial, k, stride, padding, op, dilation)
    ]
    assume(all(m >= 1 for m in sizes))
    if draw(st.booleans()):  # int forms where the axes agree
        stride, padding = (
            stride if len(set(stride)) > 1 else stride[0],
            padding if len(set(padding)) > 1 else padding[0],
        )
    batch = draw(st.sampled_from([None, 1, 2]))
    shape = ((groups * cg,) if batch is None else (batch, groups * cg)) + spatial
    return dict(
        nsp=nsp,
        shape=shape,
        wshape=(groups * cg, og) + k,
        kw=targs(stride, padding, op, groups, dilation),
        bias=draw(st.booleans()),
        dtype=draw(st.sampled_from([np.float32, np.float64, np.complex64, np.complex128])),
        layout=draw(st.integers(0, 5)),
        threads=draw(st.sampled_from([1, 2, 3])),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


@settings(max_examples=50, deadline=None)
@given(transposed_problems())
def test_hypothesis_against_the_oracle(problem):
    rng = np.random.default_rng(problem["seed"])
    nsp, dtype, kw = problem["nsp"], problem["dtype"], problem["kw"]
    x = random_data(rng, problem["shape"], dtype)
    w = random_data(rng, problem["wshape"], dtype)
    b = random_data(rng, (w.shape[1] * kw["groups"],), dtype) if problem["bias"] else None
    got = call(nsp, x, w, b, kw)
    batched = x.ndim == nsp + 2
    xb = x if batched else x[None]
    assert_close_to_oracle(got if batched else got[None], xb, w, b, nsp, dtype, kw)
    views = layouts(xb)
    name, xv = views[problem["layout"] % len(views)]
    assert_bitwise(call(nsp, xv if batched else xv[0], w, b, kw, threads=problem["threads"]), got)


@st.composite
def torch_problems(draw):
    """Larger shapes than the oracle affords (tiles and their remainders)."""
    nsp = draw(st.sampled_from([1, 2]))
    kind = draw(st.sampled_from(["general", "depthwise", "grouped"]))
    if kind == "depthwise":
        groups = cin = draw(st.integers(1, 40))
        cout = cin * draw(st.integers(1, 2))
    elif kind == "grouped":
        groups = draw(st.integers(2, 4))
        cin, cout = groups * draw(st.integers(1, 8)), groups * draw(st.integers(1, 8))
    else:
        groups, cin, cout = 1, draw(st.integers(1, 40)), draw(st.integers(1, 40))
    k = tuple(draw(st.integers(1, 6)) for _ in range(nsp))
    stride = tuple(draw(st.integers(1, 4)) for _ in range(nsp))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nsp))
    op = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    padding = tuple(draw(st.integers(0, 3)) for _ in range(nsp))
    spatial = tuple(draw(st.integers(1, 120 if nsp == 1 else 20)) for _ in range(nsp))
    assume(
        all(
            output_size(n, kk, s, p, o, d) >= 1
            for n, kk, s, p, o, d in zip(spatial, k, stride, padding, op, dilation)
        )
    )
    return dict(
        nsp=nsp,
        shape=(draw(st.integers(1, 2)), cin) + spatial,
        wshape=(cin, cout // groups) + k,
        kw=targs(stride, padding, op, groups, dilation),
        dtype=draw(st.sampled_from([np.float32, np.float64, np.complex64])),
        seed=draw(st.integers(0, 2**32 - 1)),
        threads=draw(st.sampled_from([1, 2, 3])),
    )


@settings(max_examples=40, deadline=None)
@given(torch_problems())
def test_hypothesis_against_torch(problem):
    pytest.importorskip("torch")
    rng = np.random.default_rng(problem["seed"])
    nsp, dtype, kw = problem["nsp"], problem["dtype"], problem["kw"]
    x = random_data(rng, problem["shape"], dtype)
    w = random_data(rng, problem["wshape"], dtype)
    b = random_data(rng, (w.shape[1] * kw["groups"],), dtype)
    got = call(nsp, x, w, b, kw, threads=problem["threads"])
    assert torch_error_ratio(got, x, w, b, nsp, dtype, kw) <= 1
    assert_bitwise(call(nsp, x, w, b, kw, threads=1), got)


# --- bad input ----------------------------------------------------------------------------------


def _bad_cases():
    x2 = np.zeros((1, 4, 5, 5))
    w2 = np.zeros((4, 3, 3, 3))
    x1 = np.zeros((1, 4, 5))
    w1 = np.zeros((4, 3, 3))
    f2, f1 = nn.conv_transpose2d, nn.conv_transpose1d
    V, T = ValueError, TypeError
    tiny2, tinyw2 = np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 1, 1))
    return [
        # (id, exception, match, function, args, kwargs, torch raises too)
        (
            "output_padding = stride",
            V,
            "output_padding",
            f2,
            (x2, w2),
            dict(stride=2, output_padding=2),
            True,
        ),
        (
            "output_padding >= stride and dilation",
            V,
            "output_padding",
            f2,
            (x2, w2),
            dict(stride=2, dilation=2, output_padding=(0, 2)),
            True,
        ),
        (
            "output_padding with stride 1",
            V,
            "output_padding",
            f1,
            (x1, w1),
            dict(output_padding=1),
            True,
        ),
        (
            "output_padding negative",
            V,
            "output_padding",
            f1,
            (x1, w1),
            dict(stride=2, output_padding=-1),
            True,
        ),
        (
            "output_padding wrong length",
            V,
            "output_padding",
            f2,
            (x2, w2),
            dict(stride=2, output_padding=(1, 1, 1)),
            True,
        ),
        (
            "output_padding float",
            T,
            "output_padding",
            f2,
            (x2, w2),
            dict(stride=2, output_padding=1.0),
            True,
        ),
        (
            "output_padding bool",
            T,
            "output_padding",
            f2,
            (x2, w2),
            dict(stride=2, output_padding=True),
            False,
        ),
        (
            "groups not dividing C",
            V,
            "groups",
            f2,
            (x2, np.zeros((4, 1, 3, 3))),
            dict(groups=3),
            True,
        ),
        ("groups 0", V, "groups", f2, (x2, w2), dict(groups=0), True),
        ("groups float", T, "groups", f2, (x2, w2), dict(groups=1.5), True),
        ("groups tuple", T, "groups", f1, (x1, w1), dict(groups=(1,)), True),
        ("weight rows != C", V, "weight|input", f2, (x2, np.zeros((5, 3, 3, 3))), {}, True),
        ("weight rows != C 1d", V, "weight|input", f1, (x1, np.zeros((2, 3, 3))), {}, True),
        (
            "weight rows != C with groups",
            V,
            "weight|input|groups",
            f2,
            (x2, np.zeros((2, 3, 3, 3))),
            dict(groups=2),
            True,
        ),
        ("weight 3-d for 2d", V, "weight", f2, (x2, w1), {}, True),
        ("weight 4-d for 1d", V, "weight", f1, (x1, w2), {}, True),
        ("weight 2-d", V, "weight", f1, (x1, np.zeros((4, 3))), {}, True),
        ("input 5-d", V, "input", f2, (np.zeros((1, 1, 4, 5, 5)), w2), {}, True),
        ("input 1-d for 1d", V, "input", f1, (np.zeros(5), w1), {}, True),
        ("bias wrong length", V, "bias", f2, (x2, w2, np.zeros(4)), {}, True),
        (
            "bias wrong length groups",
            V,
            "bias",
            f2,
            (x2, np.zeros((4, 3, 3, 3)), np.zeros(3)),
            dict(groups=2),
            True,
        ),
        ("bias 2-d", V, "bias", f1, (x1, w1, np.zeros((3, 1))), {}, True),
        ("bias scalar", V, "bias", f1, (x1, w1, np.float64(1.0)), {}, True),
        ("padding negative", V, "padding", f2, (x2, w2), dict(padding=-1), True),
        ("padding tuple negative", V, "padding", f2, (x2, w2), dict(padding=(1, -1)), True),
        (
            "padding output empty",
            V,
            "padding|size|output",
            f2,
            (np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 2, 2))),
            dict(padding=1),
            True,
        ),
        (
            "padding output negative",
            V,
            "padding|size|output",
            f1,
            (np.zeros((1, 1, 2)), np.zeros((1, 1, 3))),
            dict(padding=3),
            True,
        ),
        (
            "padding output empty one axis",
            V,
            "padding|size|output",
            f2,
            (x2, w2),
            dict(padding=(0, 5)),
            True,
        ),
        ("padding string", (V, T), "padding", f2, (x2, w2), dict(padding="same"), True),
        ("padding float", T, "padding", f1, (x1, w1), dict(padding=0.5), True),
        ("stride 0", V, "stride", f2, (x2, w2), dict(stride=0), True),
        ("stride tuple 0", V, "stride", f2, (x2, w2), dict(stride=(1, 0)), True),
        ("stride negative 1d", V, "stride", f1, (x1, w1), dict(stride=-2), True),
        ("stride wrong length", V, "stride", f2, (x2, w2), dict(stride=(1, 2, 3)), True),
        ("stride float", T, "stride", f1, (x1, w1), dict(stride=2.0), True),
        ("dilation 0", V, "dilation", f2, (x2, w2), dict(dilation=0), True),
        ("dilation negative", V, "dilation", f1, (x1, w1), dict(dilation=-1), True),
        ("dilation string", T, "dilation", f2, (x2, w2), dict(dilation="2"), True),
        ("huge stride", V, "stride|size|overflow", f2, (tiny2, tinyw2), dict(stride=2**40), False),
        (
            "huge stride 1d",
            V,
            "stride|size|overflow",
            f1,
            (np.zeros((1, 1, 3)), np.zeros((1, 1, 1))),
            dict(stride=2**62),
            False,
        ),
        (
            "stride past int64",
            V,
            "stride|size|overflow",
            f1,
            (np.zeros((1, 1, 3)), np.zeros((1, 1, 1))),
            dict(stride=2**64),
            False,
        ),
        (
            "huge stride tuple",
            V,
            "stride|size|overflow",
            f2,
            (tiny2, tinyw2),
            dict(stride=(2**31, 2**31)),
            False,
        ),
        (
            "huge dilation",
            V,
            "dilation|size|overflow",
            f2,
            (tiny2, np.zeros((1, 1, 3, 3))),
            dict(dilation=2**61),
            False,
        ),
        (
            "huge output_padding",
            V,
            "output_padding|stride|size|overflow",
            f1,
            (np.zeros((1, 1, 3)), np.zeros((1, 1, 1))),
            dict(stride=2**62, output_padding=2**62 - 1),
            False,
        ),
        (
            "huge padding",
            V,
            "padding|size|overflow",
            f2,
            (tiny2, tinyw2),
            dict(padding=2**62),
            False,
        ),
        ("object input", T, "input", f2, (x2.astype(object), w2), {}, False),
        ("object weight", T, "weight", f1, (x1, w1.astype(object)), {}, False),
        ("string weight", T, "weight", f1, (x1, np.full((4, 3, 3), "a")), {}, False),
        ("string bias", T, "bias", f1, (x1, w1, np.array(["a"] * 3)), {}, False),
        ("datetime input", T, "input", f1, (np.zeros((1, 4, 5), "datetime64[s]"), w1), {}, False),
        ("threads 0", V, "threads", f2, (x2, w2), dict(threads=0), False),
        ("threads float", T, "threads", f1, (x1, w1), dict(threads=2.0), False),
        ("out a list", T, "out", f1, (x1, w1), dict(out=[0.0] * 21), False),
        ("input no channels", V, "input", f1, (np.zeros((1, 0, 5)), np.zeros((0, 3, 3))), {}, True),
        ("input no length", V, "input", f1, (np.zeros((1, 4, 0)), w1), {}, True),
        ("input no rows", V, "input", f2, (np.zeros((1, 4, 0, 5)), w2), {}, True),
        ("kernel size 0", V, "weight|kernel", f2, (x2, np.zeros((4, 3, 3, 0))), {}, True),
    ]


@pytest.mark.parametrize("case", _bad_cases(), ids=lambda c: c[0])
def test_bad_input_names_the_argument(case):
    name, exc, match, f, args, kwargs, _ = case
    with pytest.raises(exc, match=match):
        f(*args, **kwargs)


@pytest.mark.parametrize("case", [c for c in _bad_cases() if c[6]], ids=lambda c: c[0])
def test_bad_input_torch_refuses_too(case):
    """Where we refuse for a reason of the layer's definition, torch
    refuses the same call."""
    torch = pytest.importorskip("torch")
    name, exc, match, f, args, kwargs, _ = case
    tf = (
        torch.nn.functional.conv_transpose1d
        if f is nn.conv_transpose1d
        else torch.nn.functional.conv_transpose2d
    )
    targs_ = [torch.from_numpy(np.asarray(a, dtype=np.float64)) for a in args]
    with pytest.raises((RuntimeError, ValueError, TypeError)):
        tf(*targs_, **kwargs)


@pytest.mark.parametrize(
    "nsp,stride,dilation,op",
    [(1, 1, 2, 1), (2, (1, 3), (3, 1), (2, 2)), (1, 3, 5, 4), (2, 2, 1, 1)],
)
def test_output_padding_limit_is_max_of_stride_and_dilation(rng, nsp, stride, dilation, op):
    """output_padding up to max(stride, dilation) - 1 works (as torch, and
    equals the oracle); one more is refused."""
    x = exact_data(rng, (1, 2) + (3, 3)[:nsp], np.float64)
    w = exact_data(rng, (2, 2) + (2, 2)[:nsp], np.float64)
    kw = targs(stride, 0, op, 1, dilation)
    got = call(nsp, x, w, None, kw)
    assert_exact(got, call_oracle(nsp, x, w, None, kw))
    if pytest.importorskip("torch"):
        assert_exact(got, torch_ct(x, w, None, nsp, kw))
    bigger = tuple(o + 1 for o in per_axis(op, nsp))
    with pytest.raises(ValueError, match="output_padding"):
        call(nsp, x, w, None, targs(stride, 0, bigger, 1, dilation))


def test_smallest_output_size_one(rng):
    """The padding that leaves exactly one output element is accepted."""
    x = exact_data(rng, (1, 2, 1, 1), np.float64)
    w = exact_data(rng, (2, 3, 3, 3), np.float64)
    got = nn.conv_transpose2d(x, w, padding=1)
    assert got.shape == (1, 3, 1, 1)
    assert_exact(got, _oracle.conv_transpose2d(x, w, None, 1, 1))
