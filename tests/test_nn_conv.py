"""fastconv.nn.conv1d / conv2d against the pure-Python oracle, hand-computed
values and PyTorch (torch.nn.functional.conv1d/conv2d, nn.Conv1d/nn.Conv2d).

Three kinds of comparison:

- exact data (small integers stored as floats; every partial sum is an
  exactly representable integer, so any summation order gives the same
  value): the result must equal the oracle / torch exactly (only the sign
  of a zero may differ);
- random data: |result - exact| <= 2 * terms * eps * sum|x||w| per output
  element (terms = Cin/groups * taps, + 1 for the bias; `exact` and the
  scale from the oracle in extended precision), the worst-case error bound
  of any summation order of `terms` rounded products;
- layouts and thread counts: bitwise equal to the contiguous, one-thread
  result.
"""

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import _oracle, nn

# torch's notice that it copies the input for 'same' with an even kernel
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

MODES = ["zeros", "reflect", "replicate", "circular"]
FLOATS = [np.float32, np.float64, np.complex64, np.complex128]


# --- helpers -------------------------------------------------------------------------------


def layer(nsp):
    """The function under test (looked up when called, so that this file
    collects before the layers exist)."""
    return getattr(nn, "conv1d" if nsp == 1 else "conv2d")


def oracle(nsp):
    return _oracle.conv1d if nsp == 1 else _oracle.conv2d


def random_data(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def random_layer(rng, in_shape, cout, groups, k, dtype):
    """Random input of `in_shape`, weight (cout, C/groups, *k) and bias."""
    return (
        random_data(rng, in_shape, dtype),
        random_data(rng, (cout, in_shape[1] // groups) + k, dtype),
        random_data(rng, (cout,), dtype),
    )


def exact_data(rng, shape, dtype, lo=-3, hi=3):
    """Small integers, as `dtype` (complex: integer real and imaginary parts)."""
    dtype = np.dtype(dtype)
    v = rng.integers(lo, hi, shape, endpoint=True)
    if dtype.kind == "c":
        v = v + 1j * rng.integers(lo, hi, shape, endpoint=True)
    if dtype.kind == "b":
        return v > 0
    return v.astype(dtype)


def assert_exact(got, want):
    """Equal values, dtype and shape (for exact data against an independent
    computation: the sign of a zero sum depends on the summation order, so
    -0.0 == 0.0 here; everything else must match exactly)."""
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.array_equal(got, want), (
        f"max difference {np.max(np.abs(got.astype(complex) - want.astype(complex)))}"
    )


def assert_bitwise(got, want):
    """The same bits (for the same computation in another layout or thread count)."""
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes(), (
        f"max difference {np.max(np.abs(got.astype(complex) - want.astype(complex)))}"
    )


def error_ratio(got, x, w, b, nsp, eps, **kw):
    """max |got - exact| / bound, bound = 2 * terms * eps * (|x| (*) |w| + |b|),
    `exact` and the scale from the oracle in long double."""
    x, w = np.asarray(x), np.asarray(w)
    cplx = any(np.iscomplexobj(a) for a in (x, w, b) if a is not None)
    wide = np.clongdouble if cplx else np.longdouble
    exact = oracle(nsp)(
        x.astype(wide), w.astype(wide), None if b is None else np.asarray(b).astype(wide), **kw
    )
    scale = oracle(nsp)(
        np.abs(x).astype(np.longdouble),
        np.abs(w).astype(np.longdouble),
        None if b is None else np.abs(np.asarray(b)).astype(np.longdouble),
        **kw,
    )
    assert got.shape == exact.shape, (got.shape, exact.shape)
    terms = w.shape[1] * int(np.prod(w.shape[2:])) + (b is not None)
    bound = 2 * terms * eps * scale.astype(np.float64) + 1e-300
    err = np.abs(got.astype(wide) - exact).astype(np.float64)
    return float(np.max(err / bound)) if err.size else 0.0


def assert_close_to_oracle(got, x, w, b, nsp, dtype, **kw):
    """The error bound in the result dtype's precision. For float64 it is
    ~2 * terms * 1.1e-16 relative to sum|x||w|: a result computed in float32
    (input rounding alone ~6e-8 relative) fails it by orders of magnitude,
    see test_float64_bound_rejects_float32_arithmetic."""
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    ratio = error_ratio(got, x, w, b, nsp, np.finfo(dtype).eps, **kw)
    assert ratio <= 1, f"error {ratio:.3g} x the bound"


def conv_args(padding, stride, dilation, groups, padding_mode):
    return dict(
        stride=stride, padding=padding, dilation=dilation, groups=groups, padding_mode=padding_mode
    )


def call(nsp, x, w, b, kw, **extra):
    kw = dict(kw)
    mode = kw.pop("padding_mode")
    return layer(nsp)(
        x,
        w,
        b,
        kw["stride"],
        kw["padding"],
        kw["dilation"],
        kw["groups"],
        padding_mode=mode,
        **extra,
    )


# --- the oracle itself ---------------------------------------------------------------------


@pytest.mark.parametrize("conv1d", [_oracle.conv1d, nn.conv1d], ids=["oracle", "fastconv"])
def test_hand_computed_1d(conv1d):
    x = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    w = np.array([[[1.0, 10.0]]])
    # out[i] = x[i] + 10 x[i+1]
    np.testing.assert_array_equal(conv1d(x, w), [[[21, 32, 43, 54]]])
    np.testing.assert_array_equal(conv1d(x, w, stride=2), [[[21, 43]]])
    np.testing.assert_array_equal(conv1d(x, w, dilation=3), [[[41, 52]]])
    # padding 1: 0 1 2 3 4 5 0, bias 100
    np.testing.assert_array_equal(
        conv1d(x, w, np.array([100.0]), padding=1), [[[110, 121, 132, 143, 154, 105]]]
    )
    # 'same' with an even kernel: total 1, left 0, right 1 (0 after the end)
    np.testing.assert_array_equal(conv1d(x, w, padding="same"), [[[21, 32, 43, 54, 5]]])
    # complex weights are not conjugated
    np.testing.assert_array_equal(conv1d(x, w * 1j), [[[21j, 32j, 43j, 54j]]])
    # unbatched
    np.testing.assert_array_equal(conv1d(x[0], w)[0], [21, 32, 43, 54])


@pytest.mark.parametrize(
    "mode,padded",
    [
        ("zeros", [0, 0, 1, 2, 3, 0, 0]),
        ("reflect", [3, 2, 1, 2, 3, 2, 1]),
        ("replicate", [1, 1, 1, 2, 3, 3, 3]),
        ("circular", [2, 3, 1, 2, 3, 1, 2]),
    ],
)
def test_oracle_padding_modes_by_hand(mode, padded):
    # a 1x1 identity kernel returns the padded input itself
    x = np.array([[[1, 2, 3]]])
    np.testing.assert_array_equal(
        _oracle.conv1d(x, np.ones((1, 1, 1), int), padding=2, padding_mode=mode)[0, 0], padded
    )
    x2 = np.arange(1, 7).reshape(1, 1, 2, 3)
    got = _oracle.conv2d(x2, np.ones((1, 1, 1, 1), int), padding=(1, 2), padding_mode=mode)
    if mode == "zeros":
        want = np.pad(x2[0, 0], [(1, 1), (2, 2)])
    else:
        want = np.pad(
            x2[0, 0],
            [(1, 1), (2, 2)],
            mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode],
        )
    np.testing.assert_array_equal(got[0, 0], want)


def test_oracle_groups_by_hand():
    # groups=2: output channels 0,1 see input channel 0; 2,3 see input channel 1
    x = np.array([[[1, 2], [10, 20]]])
    w = np.array([[[1]], [[2]], [[3]], [[4]]])
    np.testing.assert_array_equal(
        _oracle.conv1d(x, w, groups=2), [[[1, 2], [2, 4], [30, 60], [40, 80]]]
    )
    # groups=1, Cin 2: every output channel sums both inputs
    w1 = np.array([[[1], [1]], [[1], [-1]]])
    np.testing.assert_array_equal(_oracle.conv1d(x, w1), [[[11, 22], [-9, -18]]])


def test_layer_padding_rule():
    assert _oracle.layer_padding("same", (3, 4), 1, 1) == [(1, 1), (1, 2)]
    assert _oracle.layer_padding("same", (4,), 1, 3) == [(4, 5)]
    assert _oracle.layer_padding("valid", (5, 5)) == [(0, 0), (0, 0)]
    assert _oracle.layer_padding((1, 2), (3, 3)) == [(1, 1), (2, 2)]
    with pytest.raises(ValueError, match="strided"):
        _oracle.layer_padding("same", (3,), 2)


def torch_conv(x, w, b, nsp, stride, padding, dilation, groups, padding_mode, functional=None):
    """torch's answer: F.conv1d/conv2d for zero padding (unless
    functional=False), else nn.Conv1d/nn.Conv2d with padding_mode."""
    torch = pytest.importorskip("torch")
    tx, tw = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(w))
    tb = None if b is None else torch.from_numpy(np.ascontiguousarray(b))
    if functional is None:
        functional = padding_mode == "zeros"
    with torch.no_grad():
        if functional:
            f = torch.nn.functional.conv1d if nsp == 1 else torch.nn.functional.conv2d
            return f(tx, tw, tb, stride, padding, dilation, groups).numpy()
        cls = torch.nn.Conv1d if nsp == 1 else torch.nn.Conv2d
        cin = x.shape[-nsp - 1]
        mod = cls(
            cin,
            w.shape[0],
            w.shape[2:],
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=b is not None,
            padding_mode=padding_mode,
            dtype=tw.dtype,
        )
        mod.weight.copy_(tw)
        if b is not None:
            mod.bias.copy_(tb)
        return mod(tx).numpy()


ORACLE_TORCH_CASES = [
    # nsp, (Cin, Cout, groups), kernel, stride, padding, dilation
    (1, (3, 2, 1), (3,), 1, 1, 1),
    (1, (4, 6, 2), (4,), 2, 2, 1),
    (1, (3, 3, 3), (2,), 1, "same", 2),
    (1, (2, 6, 2), (3,), 3, "valid", 2),
    (2, (3, 2, 1), (3, 3), 1, 1, 1),
    (2, (4, 6, 2), (2, 3), (2, 1), (1, 2), (1, 2)),
    (2, (3, 3, 3), (2, 2), 1, "same", 1),
    (2, (2, 6, 2), (3, 2), 1, "same", (2, 1)),
    (2, (1, 3, 1), (1, 1), 2, (0, 1), 1),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ORACLE_TORCH_CASES)
def test_oracle_matches_torch(rng, case, mode):
    """The oracle is torch's definition: exact data, bitwise equal."""
    pytest.importorskip("torch")
    nsp, (cin, cout, groups), k, stride, padding, dilation = case
    x = exact_data(rng, (2, cin) + (6, 7)[:nsp], np.float64)
    w = exact_data(rng, (cout, cin // groups) + k, np.float64)
    b = exact_data(rng, (cout,), np.float64)
    want = torch_conv(x, w, b, nsp, stride, padding, dilation, groups, mode)
    got = oracle(nsp)(x, w, b, stride, padding, dilation, groups, mode)
    assert_exact(got, want)
    if mode == "zeros":
        assert_exact(
            oracle(nsp)(x[0], w, b, stride, padding, dilation, groups, mode),
            torch_conv(x[0], w, b, nsp, stride, padding, dilation, groups, mode),
        )


def test_oracle_complex_matches_torch(rng):
    pytest.importorskip("torch")
    x = exact_data(rng, (2, 4, 5, 6), np.complex128)
    w = exact_data(rng, (6, 2, 3, 2), np.complex128)
    b = exact_data(rng, (6,), np.complex128)
    args = ((2, 1), (1, 2), (1, 2), 2)
    assert_exact(_oracle.conv2d(x, w, b, *args), torch_conv(x, w, b, 2, *args, "zeros"))


def test_oracle_integer_wraparound():
    # int8: computed exactly in int64, then cast (wraps) to int8
    x = np.full((1, 2, 3), 100, np.int8)
    w = np.full((1, 2, 2), 100, np.int8)
    got = _oracle.conv1d(x, w)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, np.full((1, 1, 2), np.int64(40000).astype(np.int8)))
    # int64: products and sums wrap modulo 2**64
    x = np.full((1, 1, 2), 2**62, np.int64)
    w = np.full((1, 1, 2), 3, np.int64)
    np.testing.assert_array_equal(_oracle.conv1d(x, w), [[[(6 * 2**62 + 2**63) % 2**64 - 2**63]]])


def test_layer_hand_computed():
    """The layers on the oracle's hand-computed cases (see also
    test_hand_computed_1d)."""
    for mode, padded in [
        ("reflect", [3, 2, 1, 2, 3, 2, 1]),
        ("replicate", [1, 1, 1, 2, 3, 3, 3]),
        ("circular", [2, 3, 1, 2, 3, 1, 2]),
        ("zeros", [0, 0, 1, 2, 3, 0, 0]),
    ]:
        got = nn.conv1d(
            np.array([[[1.0, 2.0, 3.0]]]), np.ones((1, 1, 1)), padding=2, padding_mode=mode
        )
        np.testing.assert_array_equal(got[0, 0], padded)
    # 2-D: a 2x2 box sum over a 3x3 image, bias 0.5
    img = np.arange(9.0).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(
        nn.conv2d(img, np.ones((1, 1, 2, 2)), np.array([0.5])), [[[[8.5, 12.5], [20.5, 24.5]]]]
    )
    # groups=2: channels 0,1 from input channel 0, channels 2,3 from input 1
    xg = np.array([[[1.0, 2.0], [10.0, 20.0]]])
    wg = np.array([[[1.0]], [[2.0]], [[3.0]], [[4.0]]])
    np.testing.assert_array_equal(
        nn.conv1d(xg, wg, groups=2), [[[1, 2], [2, 4], [30, 60], [40, 80]]]
    )


def test_oracle_zero_padding_is_a_term():
    """As torch's definition (zero-pad, then convolve; torch's float64 path):
    an infinite weight over the zero padding gives 0 * inf = NaN."""
    x = np.ones((1, 1, 3))
    w = np.array([[[np.inf, 1.0]]])
    with np.errstate(invalid="ignore"):
        got = _oracle.conv1d(x, w, padding=1)
    np.testing.assert_array_equal(got, [[[np.nan, np.inf, np.inf, np.inf]]])
    torch = pytest.importorskip("torch")
    want = torch.nn.functional.conv1d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
    np.testing.assert_array_equal(got, want.numpy())


# --- every option combination, exact data ----------------------------------------------------

GROUPINGS = [(3, 2, 1), (4, 6, 2), (3, 3, 3), (2, 6, 2)]  # (Cin, Cout, groups): plain,
# grouped, depthwise, depthwise with channel multiplier 3
KERNELS = {1: [(3,), (4,)], 2: [(3, 3), (2, 4)]}
PADDINGS = {1: [0, 1, (2,), "same", "valid"], 2: [0, 1, (2, 1), "same", "valid"]}
SPATIAL = {1: (7,), 2: (5, 8)}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("grouping", GROUPINGS, ids=str)
@pytest.mark.parametrize("padding", [0, 1, "tuple", "same", "valid"])
@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (1, 2), (2, 2)])
@pytest.mark.parametrize("nsp,kernel", [(1, 0), (1, 1), (2, 0), (2, 1)])
def test_every_option_exact(rng, nsp, kernel, stride, dilation, padding, grouping, mode):
    """Small-integer data: float32, float64 and complex128 results exactly
    equal to the oracle, with and without bias, batched and unbatched."""
    k = KERNELS[nsp][kernel]
    if padding == "tuple":
        padding = PADDINGS[nsp][2]
    cin, cout, groups = grouping
    n = 2 if nsp == 1 else 1
    x = exact_data(rng, (n, cin) + SPATIAL[nsp], np.float64)
    w = exact_data(rng, (cout, cin // groups) + k, np.float64)
    b = exact_data(rng, (cout,), np.float64)
    kw = conv_args(padding, stride, dilation, groups, mode)
    try:
        want = oracle(nsp)(x, w, b, **kw)
    except ValueError as e:
        # "same" with stride 2 (the only refusal in this grid)
        assert "same" in str(e) and stride == 2
        with pytest.raises(ValueError, match="padding|stride"):
            call(nsp, x, w, b, kw)
        return
    want_nobias = oracle(nsp)(x, w, None, **kw)
    for dtype in (np.float64, np.float32, np.complex128):
        xd, wd, bd = x.astype(dtype), w.astype(dtype), b.astype(dtype)
        assert_exact(call(nsp, xd, wd, bd, kw), want.astype(dtype))
        assert_exact(call(nsp, xd, wd, None, kw), want_nobias.astype(dtype))
    assert_exact(call(nsp, x[0], w, b, kw), want[0])


# --- random data within the error bound ------------------------------------------------------

RANDOM_CASES = [
    # nsp, (Cin, Cout, groups), kernel, stride, padding, dilation, mode, spatial
    (1, (3, 5, 1), (3,), 1, 1, 1, "zeros", (11,)),
    (1, (4, 6, 2), (4,), 1, "same", 2, "reflect", (10,)),
    (1, (6, 6, 6), (5,), 3, 2, 1, "circular", (12,)),
    (1, (2, 4, 2), (2,), 1, (3,), 2, "replicate", (9,)),
    (2, (3, 7, 1), (3, 3), 1, 1, 1, "zeros", (6, 7)),
    (2, (4, 4, 2), (2, 3), (2, 1), (1, 0), (1, 2), "reflect", (7, 8)),
    (2, (3, 6, 3), (3, 3), 1, "same", 1, "replicate", (5, 9)),
    (2, (2, 2, 1), (4, 2), 1, "same", (1, 2), "circular", (6, 5)),
    (2, (8, 3, 1), (1, 1), 2, 0, 1, "zeros", (5, 6)),
    (2, (5, 5, 5), (3, 3), 2, (2, 1), 2, "zeros", (7, 7)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", RANDOM_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_random_data_within_error_bound(rng, dtype, case, with_bias):
    nsp, (cin, cout, groups), k, stride, padding, dilation, mode, spatial = case
    x, w, b = random_layer(rng, (2, cin) + spatial, cout, groups, k, dtype)
    b = b if with_bias else None
    kw = conv_args(padding, stride, dilation, groups, mode)
    got = call(nsp, x, w, b, kw)
    assert_close_to_oracle(got, x, w, b, nsp, dtype, **kw)


def test_float64_bound_rejects_float32_arithmetic(rng):
    """The float64 tolerance is tight enough that float32 arithmetic fails
    it (and the float32 result passes the float32 bound): the test above
    can tell float64 from float32 computation."""
    x = random_data(rng, (2, 4, 6, 7), np.float64)
    w = random_data(rng, (5, 4, 3, 3), np.float64)
    kw = dict(stride=1, padding=1, dilation=1, groups=1, padding_mode="zeros")
    in32 = _oracle.conv2d(x.astype(np.float32), w.astype(np.float32), None, 1, 1)
    assert (
        error_ratio(in32.astype(np.float64), x, w, None, 2, np.finfo(np.float64).eps, **kw) > 1000
    )
    assert (
        error_ratio(
            in32,
            x.astype(np.float32),
            w.astype(np.float32),
            None,
            2,
            np.finfo(np.float32).eps,
            **kw,
        )
        <= 1
    )


@pytest.mark.parametrize("nsp", [1, 2])
def test_unbatched_equals_batch_of_one(rng, nsp):
    x = random_data(rng, (4,) + (9, 8)[:nsp], np.float64)
    w = random_data(rng, (6, 2) + (3, 2)[:nsp], np.float64)
    b = random_data(rng, (6,), np.float64)
    kw = conv_args("same", 1, 1, 2, "reflect")
    got = call(nsp, x, w, b, kw)
    assert got.shape == (6,) + x.shape[1:]
    assert_bitwise(got, call(nsp, x[None], w, b, kw)[0])
    assert_close_to_oracle(got[None], x[None], w, b, nsp, np.float64, **kw)


def test_mixed_precision_is_computed_in_the_wider_type(rng):
    """float32 input with float64 weight: float64 result, float64 accuracy."""
    x = random_data(rng, (2, 3, 6, 7), np.float32)
    w = random_data(rng, (4, 3, 3, 3), np.float64)
    b = random_data(rng, (4,), np.float64)
    kw = conv_args(1, 1, 1, 1, "zeros")
    got = call(2, x, w, b, kw)
    assert_close_to_oracle(got, x, w, b, 2, np.float64, **kw)
    xc = random_data(rng, (2, 3, 6, 7), np.complex64)
    got = call(2, xc, w, None, kw)
    assert_close_to_oracle(got, xc, w, None, 2, np.complex128, **kw)
    # only the bias is float64: still a float64 computation
    w32 = w.astype(np.float32)
    got = call(2, x, w32, b, kw)
    assert_close_to_oracle(got, x, w32, b, 2, np.float64, **kw)
    # float32 weight, complex64 input, float64 bias: complex128
    got = call(2, xc, w32, b, kw)
    assert_close_to_oracle(got, xc, w32, b, 2, np.complex128, **kw)


# --- against torch ------------------------------------------------------------------------------

TORCH_CASES = [
    # nsp, (Cin, Cout, groups), kernel, stride, padding, dilation, spatial
    (1, (3, 5, 1), (3,), 1, 1, 1, (17,)),
    (1, (4, 8, 2), (4,), 1, "same", 2, (13,)),
    (1, (6, 12, 6), (5,), 2, 2, 1, (20,)),
    (1, (8, 8, 1), (1,), 3, "valid", 1, (16,)),
    (2, (3, 7, 1), (3, 3), 1, 1, 1, (9, 10)),
    (2, (4, 6, 2), (2, 3), (2, 1), (1, 0), (1, 2), (9, 11)),
    (2, (8, 8, 8), (3, 3), 1, "same", 1, (7, 13)),
    (2, (4, 8, 4), (4, 2), 1, "same", (1, 2), (8, 9)),
    (2, (16, 5, 1), (1, 1), 1, 0, 1, (6, 7)),
    (2, (3, 8, 1), (7, 7), 2, 3, 1, (15, 17)),
]


def torch_error_ratio(got, x, w, b, nsp, dtype, args, mode):
    """|got - torch| against the sum of both results' bounds
    (2 * 2 * terms * eps * scale, the scale from torch in float64)."""
    want = torch_conv(x, w, b, nsp, *args, mode)
    scale = torch_conv(
        np.abs(x).astype(np.float64),
        np.abs(w).astype(np.float64),
        None if b is None else np.abs(b).astype(np.float64),
        nsp,
        *args,
        mode,
    )
    terms = w.shape[1] * int(np.prod(w.shape[2:])) + (b is not None)
    assert got.shape == want.shape and got.dtype == want.dtype, (
        got.shape,
        want.shape,
        got.dtype,
        want.dtype,
    )
    bound = 4 * terms * np.finfo(dtype).eps * scale + 1e-300
    return float(np.max(np.abs(got.astype(np.complex128) - want) / bound))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("case", TORCH_CASES)
def test_matches_torch_functional(rng, dtype, case):
    pytest.importorskip("torch")
    nsp, (cin, cout, groups), k, stride, padding, dilation, spatial = case
    x, w, b = random_layer(rng, (3, cin) + spatial, cout, groups, k, dtype)
    args = (stride, padding, dilation, groups)
    got = call(nsp, x, w, b, conv_args(padding, stride, dilation, groups, "zeros"))
    assert torch_error_ratio(got, x, w, b, nsp, dtype, args, "zeros") <= 1
    # exact data: bitwise
    xe, we, be = (exact_data(rng, a.shape, dtype) for a in (x, w, b))
    got = call(nsp, xe, we, be, conv_args(padding, stride, dilation, groups, "zeros"))
    assert_exact(got, torch_conv(xe, we, be, nsp, *args, "zeros"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", TORCH_CASES[1::2] + TORCH_CASES[4:5])
def test_matches_torch_module_padding_modes(rng, dtype, mode, case):
    pytest.importorskip("torch")
    nsp, (cin, cout, groups), k, stride, padding, dilation, spatial = case
    x, w, b = random_layer(rng, (2, cin) + spatial, cout, groups, k, dtype)
    args = (stride, padding, dilation, groups)
    got = call(nsp, x, w, b, conv_args(padding, stride, dilation, groups, mode))
    want = torch_conv(x, w, b, nsp, *args, mode, functional=False)
    assert got.shape == want.shape
    assert torch_error_ratio(got, x, w, b, nsp, dtype, args, mode) <= 1
    # unbatched through the module as well
    got1 = call(nsp, x[1], w, b, conv_args(padding, stride, dilation, groups, mode))
    assert_bitwise(got1, got[1])


# --- shapes that exercise the SIMD tiles and the special paths ----------------------------------


@pytest.mark.parametrize("cin", [1, 3, 64])
@pytest.mark.parametrize("width", [1, 5, 13, 17, 31, 57])
@pytest.mark.parametrize("cout", [1, 3, 5, 7, 17, 33])
def test_tile_edges_exact_vs_torch(rng, cin, width, cout):
    """Exact data through every tile remainder: bitwise equal to torch
    (3x3 pad 1 and 1x1 in 2-D, k5 pad 2 in 1-D), float32 and float64."""
    pytest.importorskip("torch")
    for dtype in (np.float32, np.float64):
        x = exact_data(rng, (2, cin, 3, width), dtype)
        for k, p in (((3, 3), 1), ((1, 1), 0)):
            w = exact_data(rng, (cout, cin) + k, dtype)
            b = exact_data(rng, (cout,), dtype)
            got = nn.conv2d(x, w, b, padding=p)
            assert_exact(got, torch_conv(x, w, b, 2, 1, p, 1, 1, "zeros"))
        x1 = exact_data(rng, (2, cin, width), dtype)
        w1 = exact_data(rng, (cout, cin, 5), dtype)
        assert_exact(
            nn.conv1d(x1, w1, None, padding=2), torch_conv(x1, w1, None, 1, 1, 2, 1, 1, "zeros")
        )


@pytest.mark.parametrize("width", [1, 5, 13, 17, 31])
@pytest.mark.parametrize("cout", [1, 3, 5, 7, 17])
def test_tile_edges_exact_vs_oracle(rng, width, cout):
    """The same remainders without torch: Cin 1 and 3 against the oracle."""
    for cin in (1, 3):
        x = exact_data(rng, (1, cin, 3, width), np.float32)
        w = exact_data(rng, (cout, cin, 3, 3), np.float32)
        b = exact_data(rng, (cout,), np.float32)
        assert_exact(nn.conv2d(x, w, b, padding=1), _oracle.conv2d(x, w, b, 1, 1))


@pytest.mark.parametrize("width", [1, 5, 13, 17, 31, 57])
@pytest.mark.parametrize("channels,multiplier", [(1, 1), (3, 1), (5, 2), (17, 1), (33, 1), (8, 3)])
def test_depthwise_exact(rng, width, channels, multiplier):
    """Depthwise (and with a channel multiplier): bitwise equal to the
    oracle on exact data, 3x3 pad 1 and 5x5 stride 2 pad 2."""
    x = exact_data(rng, (1, channels, 4, width), np.float32)
    for k, s, p in ((3, 1, 1), (5, 2, 2)):
        w = exact_data(rng, (channels * multiplier, 1, k, k), np.float32)
        b = exact_data(rng, (channels * multiplier,), np.float32)
        got = nn.conv2d(x, w, b, stride=s, padding=p, groups=channels)
        assert_exact(got, _oracle.conv2d(x, w, b, s, p, 1, channels))
    x1 = exact_data(rng, (2, channels, width), np.float64)
    w1 = exact_data(rng, (channels * multiplier, 1, 3), np.float64)
    assert_exact(
        nn.conv1d(x1, w1, None, padding="same", groups=channels),
        _oracle.conv1d(x1, w1, None, 1, "same", 1, channels),
    )


@pytest.mark.parametrize("height", [1, 3, 4, 5, 9, 13])
@pytest.mark.parametrize("kh,kw", [(1, 3), (2, 2), (3, 3), (4, 1), (5, 5), (7, 3), (8, 2)])
def test_depthwise_rows_exact(rng, height, kh, kw):
    """Depthwise at row stride 1 (the kernel that shares input rows between
    output rows): every kernel height, heights across its row blocks,
    widths across vectors (partial last vectors included), column
    dilation, bias and padding modes, bitwise equal to the oracle."""
    for width, dtype in ((5, np.float32), (21, np.float32), (37, np.float64), (70, np.float32)):
        x = exact_data(rng, (1, 3, height, width), dtype)
        w = exact_data(rng, (6, 1, kh, kw), dtype)
        b = exact_data(rng, (6,), dtype)
        pads = (kh // 2, kw // 2)
        for dilation, mode in (((1, 1), "zeros"), ((1, 2), "replicate"), ((1, 1), "circular")):
            if mode != "zeros" and (pads[0] > height or pads[1] > width):
                continue
            got = nn.conv2d(x, w, b, padding=pads, dilation=dilation, groups=3, padding_mode=mode)
            want = _oracle.conv2d(x, w, b, 1, pads, dilation, 3, mode)
            assert_exact(got, want)


@pytest.mark.parametrize("threads", [1, 2])
def test_depthwise_tall_exact(rng, threads):
    """Images taller than one task's rows (the tasks of a thread reuse the
    zeroed panel edges of the ones before): bitwise equal to the oracle."""
    x = exact_data(rng, (2, 2, 270, 9), np.float32)
    w = exact_data(rng, (2, 1, 3, 3), np.float32)
    got = nn.conv2d(x, w, None, padding=(2, 1), groups=2, threads=threads)
    assert_exact(got, _oracle.conv2d(x, w, None, 1, (2, 1), 1, 2))


@pytest.mark.parametrize("stride", [2, 3, 4])
@pytest.mark.parametrize("mode", ["zeros", "reflect", "circular"])
def test_strided_panel_exact(rng, stride, mode):
    """Strided layers, whose panel copy splits each input row into its
    column phases (whole vectors of every phase at once where the input's
    column step is 1, the ends and other steps one by one): widths from
    under one vector to several, odd and even, depthwise and grouped,
    float32 and float64, the input contiguous, inside a larger array (an
    odd first column, gaps between rows and channels) and with a column
    step of 2, conv2d and conv1d: bitwise equal to the oracle on exact data."""
    for width, dtype in ((7, np.float32), (34, np.float64), (67, np.float32), (150, np.float64)):
        big = exact_data(rng, (2, 8, 7, 2 * width + 3), dtype)
        inputs = (
            np.ascontiguousarray(big[:1, :4, :5, :width]),
            big[1:, 1::2, 1:6, 3 : 3 + width],
            big[:1, :4, 2:, 1::2][..., :width],
        )
        # (kernel, groups, padding): depthwise 3x3, and a grouped kernel as
        # wide as the stride whose padding starts the row on another phase
        for k, groups, pad in (((3, 3), 4, 1), ((2, stride), 2, (0, 2))):
            w = exact_data(rng, (4, 4 // groups) + k, dtype)
            b = exact_data(rng, (4,), dtype)
            for x in inputs:
                got = nn.conv2d(x, w, b, stride, pad, groups=groups, padding_mode=mode)
                assert_exact(got, _oracle.conv2d(x, w, b, stride, pad, 1, groups, mode))
        x1, w1 = big[:, :, 0, 3 : 3 + width], exact_data(rng, (8, 1, 5), dtype)
        got = nn.conv1d(x1, w1, None, stride, 2, groups=8, padding_mode=mode)
        assert_exact(got, _oracle.conv1d(x1, w1, None, stride, 2, 1, 8, mode))


MEDIUM_CASES = [
    # input shape, Cout, kernel, stride, padding, dilation, groups
    ((2, 64, 20, 23), 32, (3, 3), 1, 1, 1, 1),
    ((1, 3, 45, 47), 16, (7, 7), 2, 3, 1, 1),  # the 3-channel first layer
    ((1, 32, 19, 21), 32, (3, 3), 1, 1, 1, 32),  # depthwise
    ((1, 16, 15, 18), 48, (3, 3), 1, "same", 1, 16),  # depthwise, multiplier 3
    ((1, 64, 9, 10), 24, (1, 1), 1, 0, 1, 1),  # 1x1
    ((2, 24, 13, 17), 40, (3, 3), 2, 1, 1, 4),  # grouped, strided
    ((1, 20, 16, 16), 20, (3, 3), 1, 2, 2, 1),  # dilated
    ((2, 16, 300), 24, (5,), 1, 2, 1, 1),  # conv1d
    ((2, 12, 101), 36, (4,), 2, 1, 3, 3),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", MEDIUM_CASES, ids=lambda c: str(c[0]) + f"->{c[1]}")
def test_medium_sizes_vs_torch(rng, dtype, case):
    check_medium_vs_torch(rng, dtype, case, "zeros")


def check_medium_vs_torch(rng, dtype, case, mode):
    pytest.importorskip("torch")
    shape, cout, k, stride, padding, dilation, groups = case
    nsp = len(k)
    x, w, b = random_layer(rng, shape, cout, groups, k, dtype)
    args = (stride, padding, dilation, groups)
    got = call(nsp, x, w, b, conv_args(padding, stride, dilation, groups, mode))
    assert torch_error_ratio(got, x, w, b, nsp, dtype, args, mode) <= 1


@pytest.mark.slow
@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    """The exact-data tile, depthwise and random-data tests again with each
    other compiled instruction set (the choice is made once per process)."""
    run_tests_under_isa(
        __file__,
        isa,
        "tile_edges_exact_vs_oracle or depthwise_exact or depthwise_rows_exact"
        " or depthwise_tall_exact or strided_panel_exact or random_data_within or hand_computed"
        " or medium_sizes_vs_torch or hypothesis or inf_and_nan or threads_give"
        " or edge_geometries or integer_and_bool or layouts_give",
    )


NONFINITE_CASES = [
    # nsp, input shape, weight shape, kwargs
    (2, (2, 4, 7, 9), (6, 4, 3, 3), dict(padding=1)),
    (2, (2, 4, 7, 19), (20, 4, 3, 3), dict(padding=(2, 1), dilation=(1, 2))),
    (2, (1, 8, 7, 19), (8, 1, 3, 3), dict(padding=1, groups=8)),
    (2, (1, 8, 7, 9), (16, 1, 3, 3), dict(padding="same", groups=8, padding_mode="reflect")),
    (2, (1, 16, 5, 9), (7, 16, 1, 1), dict(padding=1)),
    (2, (1, 3, 15, 17), (8, 3, 7, 7), dict(stride=2, padding=3)),
    (1, (2, 6, 29), (9, 6, 5), dict(padding=2)),
    (1, (2, 6, 29), (6, 1, 4), dict(padding="same", groups=6, padding_mode="circular")),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", NONFINITE_CASES)
def test_inf_and_nan_as_the_oracle(rng, dtype, case):
    """Infinities and NaNs in the input and the weight propagate as IEEE
    arithmetic says (0 * inf over the zero padding is NaN, as in torch's
    definition), the same on every path. Exact data otherwise, so the
    finite values match exactly too."""
    nsp, xs, ws, kw = case
    x = exact_data(rng, xs, dtype)
    w = exact_data(rng, ws, dtype)
    b = exact_data(rng, (ws[0],), dtype)
    xf, wf = x.reshape(-1), w.reshape(-1)
    xf[rng.choice(xf.size, 3, replace=False)] = [np.inf, -np.inf, np.nan]
    wf[0] = np.inf  # the corner tap: over the padding at the borders
    wf[rng.choice(np.arange(1, wf.size), 1)] = -np.inf
    with np.errstate(invalid="ignore"):  # inf - inf and 0 * inf: NaN, as intended
        want = oracle(nsp)(
            x,
            w,
            b,
            kw.get("stride", 1),
            kw.get("padding", 0),
            kw.get("dilation", 1),
            kw.get("groups", 1),
            kw.get("padding_mode", "zeros"),
        )
    for t in (1, 2):
        got = layer(nsp)(x, w, b, threads=t, **kw)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=True), np.argwhere(
            ~((got == want) | (np.isnan(got) & np.isnan(want)))
        )[:5]


MEDIUM_MODE_CASES = [
    # input shape, Cout, kernel, stride, padding, dilation, groups
    ((2, 32, 17, 21), 24, (3, 3), 1, 1, 1, 1),
    ((1, 24, 16, 19), 24, (3, 3), 1, "same", 2, 24),
    ((1, 3, 30, 31), 16, (7, 7), 2, 3, 1, 1),
    ((1, 16, 12, 13), 32, (4, 2), 1, "same", 1, 4),
    ((2, 16, 100), 20, (5,), 1, 2, 1, 1),
    ((2, 8, 64), 16, (3,), 2, 3, 2, 8),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("case", MEDIUM_MODE_CASES, ids=lambda c: str(c[0]) + f"->{c[1]}")
def test_medium_padding_modes_vs_torch(rng, dtype, mode, case):
    check_medium_vs_torch(rng, dtype, case, mode)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("case", MEDIUM_CASES[:6], ids=lambda c: str(c[0]) + f"->{c[1]}")
def test_medium_complex_vs_torch(rng, dtype, case):
    pytest.importorskip("torch")
    shape, cout, k, stride, padding, dilation, groups = case
    nsp = len(k)
    x, w, _ = random_layer(rng, shape, cout, groups, k, dtype)
    args = (stride, padding, dilation, groups)
    got = call(nsp, x, w, None, conv_args(padding, stride, dilation, groups, "zeros"))
    assert torch_error_ratio(got, x, w, None, nsp, dtype, args, "zeros") <= 1


@st.composite
def torch_problems(draw):
    """Larger shapes than the oracle can afford, for the SIMD tiles and
    their remainders."""
    nsp = draw(st.sampled_from([1, 2]))
    kind = draw(st.sampled_from(["general", "depthwise", "grouped", "pointwise"]))
    if kind == "depthwise":
        groups = cin = draw(st.integers(1, 40))
        cout = cin * draw(st.integers(1, 3))
    elif kind == "grouped":
        groups = draw(st.integers(2, 4))
        cin = groups * draw(st.integers(1, 8))
        cout = groups * draw(st.integers(1, 8))
    else:
        groups, cin, cout = 1, draw(st.integers(1, 48)), draw(st.integers(1, 48))
    k = tuple(1 if kind == "pointwise" else draw(st.integers(1, 5)) for _ in range(nsp))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nsp))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nsp))
    mode = draw(st.sampled_from(MODES))
    if draw(st.booleans()):
        stride = (1,) * nsp
        padding = "same"
    else:
        padding = tuple(draw(st.integers(0, 3)) for _ in range(nsp))
    pairs = _oracle.layer_padding(padding, k, stride, dilation)
    nmax = 300 if nsp == 1 else 40
    spatial = tuple(
        draw(st.integers(max(1, d * (kk - 1) + 1 - lo - hi, max(lo, hi) + 1), nmax))
        for (lo, hi), kk, d in zip(pairs, k, dilation)
    )
    return dict(
        nsp=nsp,
        shape=(draw(st.integers(1, 3)), cin) + spatial,
        wshape=(cout, cin // groups) + k,
        args=(stride, padding, dilation, groups),
        mode=mode,
        dtype=draw(st.sampled_from([np.float32, np.float64, np.complex64])),
        seed=draw(st.integers(0, 2**32 - 1)),
        threads=draw(st.sampled_from([1, 2, 3])),
    )


@settings(max_examples=60, deadline=None)
@given(torch_problems())
def test_hypothesis_against_torch(problem):
    pytest.importorskip("torch")
    rng = np.random.default_rng(problem["seed"])
    nsp, dtype, args, mode = problem["nsp"], problem["dtype"], problem["args"], problem["mode"]
    x = random_data(rng, problem["shape"], dtype)
    w = random_data(rng, problem["wshape"], dtype)
    b = random_data(rng, (w.shape[0],), dtype)
    kw = conv_args(args[1], args[0], args[2], args[3], mode)
    got = call(nsp, x, w, b, kw, threads=problem["threads"])
    assert torch_error_ratio(got, x, w, b, nsp, dtype, args, mode) <= 1
    assert_bitwise(call(nsp, x, w, b, kw, threads=1), got)


# --- layouts, threads, out= -------------------------------------------------------------------

LAYOUT_CASES = [
    # nsp, input shape, weight shape, kwargs
    (2, (2, 6, 9, 11), (8, 6, 3, 3), dict(padding=1)),
    (2, (2, 8, 9, 11), (8, 1, 3, 3), dict(padding=1, groups=8)),
    (2, (1, 6, 10, 12), (12, 3, 2, 3), dict(padding="same", groups=2, padding_mode="reflect")),
    (2, (2, 16, 7, 9), (5, 16, 1, 1), dict()),
    (2, (1, 3, 17, 19), (8, 3, 7, 7), dict(stride=2, padding=3)),
    (1, (2, 6, 29), (7, 6, 5), dict(padding=2, dilation=2, padding_mode="circular")),
]


def layouts(x):
    """Views of x's values in other memory layouts (name, array)."""
    out = []
    nhwc = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    out.append(("channels-last", np.moveaxis(nhwc, -1, 1)))
    out.append(("fortran", np.asfortranarray(x)))
    big = np.zeros(tuple(2 * n + 1 for n in x.shape), x.dtype)
    big[(slice(1, None, 2),) * x.ndim] = x
    out.append(("step-2 slices", big[(slice(1, None, 2),) * x.ndim]))
    flipped = np.ascontiguousarray(x[..., ::-1])[..., ::-1]
    out.append(("negative strides", flipped))
    ro = x.copy()
    ro.setflags(write=False)
    out.append(("read-only", ro))
    if x.ndim == 4:
        rev = np.ascontiguousarray(x[:, ::-1, ::-1])[:, ::-1, ::-1]
        out.append(("negative channel and row strides", rev))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("case", LAYOUT_CASES)
def test_layouts_give_the_same_bits(rng, dtype, case):
    nsp, xs, ws, kw = case
    x = random_data(rng, xs, dtype)
    w = random_data(rng, ws, dtype)
    b = random_data(rng, (ws[0],), dtype)
    f = layer(nsp)
    want = f(x, w, b, **kw)
    for _name, xv in layouts(x):
        np.testing.assert_array_equal(xv, x)
        assert_bitwise(f(xv, w, b, **kw), want)
    for _name, wv in layouts(w):
        assert_bitwise(f(x, wv, b, **kw), want)
    bb = np.zeros(2 * ws[0], dtype)
    bb[::2] = b
    assert_bitwise(f(x, w, bb[::2], **kw), want)
    assert_bitwise(f(x, w, b[::-1].copy()[::-1], **kw), want)
    # unbatched, channels-last
    x0 = np.moveaxis(np.ascontiguousarray(np.moveaxis(x[0], 0, -1)), -1, 0)
    assert_bitwise(f(x0, w, b, **kw), want[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "case",
    LAYOUT_CASES
    + [
        (2, (3, 32, 24, 26), (32, 32, 3, 3), dict(padding=1)),
        (2, (1, 64, 20, 20), (64, 1, 3, 3), dict(padding=1, groups=64)),
        (1, (4, 32, 500), (32, 32, 5), dict(padding=2)),
    ],
)
def test_threads_give_the_same_bits(rng, dtype, case):
    nsp, xs, ws, kw = case
    x = random_data(rng, xs, dtype)
    w = random_data(rng, ws, dtype)
    b = random_data(rng, (ws[0],), dtype)
    f = layer(nsp)
    one = f(x, w, b, threads=1, **kw)
    for t in (2, 3):
        assert_bitwise(f(x, w, b, threads=t, **kw), one)
    assert_bitwise(f(x, w, b, **kw), one)


def test_global_thread_setting_gives_the_same_bits(rng):
    x = random_data(rng, (2, 24, 19, 21), np.float32)
    w = random_data(rng, (40, 24, 3, 3), np.float32)
    one = nn.conv2d(x, w, padding=1, threads=1)
    old = fastconv.get_num_threads()
    try:
        for n in (1, 2, 3):
            fastconv.set_num_threads(n)
            assert_bitwise(nn.conv2d(x, w, padding=1), one)
    finally:
        fastconv.set_num_threads(old)


def test_concurrent_calls_from_python_threads(rng):
    """Calls running at once in several Python threads (the GIL released)
    each give the serial result."""
    from concurrent.futures import ThreadPoolExecutor

    problems = []
    for i in range(6):
        x = random_data(rng, (1, 16 + i, 23, 17), np.float64)
        w = random_data(rng, (8 + 3 * i, 16 + i, 3, 3), np.float64)
        problems.append((x, w, dict(padding=1, threads=1 + i % 2)))
    serial = [nn.conv2d(x, w, **kw) for x, w, kw in problems]
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(nn.conv2d, x, w, **kw) for x, w, kw in problems * 3]
        results = [f.result() for f in futures]
    for r, want in zip(results, serial * 3):
        assert_bitwise(r, want)


@pytest.mark.parametrize("nsp", [1, 2])
def test_out_argument(rng, nsp):
    x = random_data(rng, (2, 4) + (7, 8)[:nsp], np.float64)
    w = random_data(rng, (6, 2) + (3, 3)[:nsp], np.float64)
    b = random_data(rng, (6,), np.float64)
    f = layer(nsp)
    want = f(x, w, b, 2, 1, 1, 2)
    out = np.full(want.shape, np.nan)
    r = f(x, w, b, 2, 1, 1, 2, out=out)
    assert r is out
    assert_bitwise(out, want)
    # unbatched
    out1 = np.empty(want.shape[1:])
    assert f(x[0], w, b, 2, 1, 1, 2, out=out1) is out1
    assert_bitwise(out1, want[0])
    # the result dtype of a promotion: exact dtype required
    xi = exact_data(rng, x.shape, np.int16)
    wi = exact_data(rng, w.shape, np.int16)
    outi = np.empty(want.shape, np.int16)
    assert f(xi, wi, None, 2, 1, 1, 2, out=outi) is outi
    np.testing.assert_array_equal(outi, oracle(nsp)(xi, wi, None, 2, 1, 1, 2))
    with pytest.raises(TypeError, match="out"):
        f(x, w, b, 2, 1, 1, 2, out=np.empty(want.shape, np.float32))
    with pytest.raises(TypeError, match="out"):
        f(x, w, b, 2, 1, 1, 2, out=np.empty(want.shape, np.complex128))
    with pytest.raises(ValueError, match="out"):
        f(x, w, b, 2, 1, 1, 2, out=np.empty(want.shape[:-1] + (want.shape[-1] + 1,)))
    with pytest.raises(ValueError, match="out"):
        f(x, w, b, 2, 1, 1, 2, out=np.empty(want.shape[1:]))  # batched result needed
    # any dense layout (here every axis reversed; channels-last in
    # test_channels_last_out_gives_the_same_bits), but not one with gaps or
    # elements shared
    outt = np.empty(want.shape[::-1]).T
    assert f(x, w, b, 2, 1, 1, 2, out=outt) is outt
    assert_bitwise(outt, want)
    shared = np.lib.stride_tricks.as_strided(np.empty(want.size), want.shape, (0,) * want.ndim)
    with pytest.raises(ValueError, match="out: must be dense"):
        f(x, w, b, 2, 1, 1, 2, out=shared)
    with pytest.raises(ValueError, match="out"):
        f(x, w, b, 2, 1, 1, 2, out=np.empty(want.shape[:-1] + (2 * want.shape[-1],))[..., ::2])
    ro = np.empty(want.shape)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="out"):
        f(x, w, b, 2, 1, 1, 2, out=ro)
    # overlapping input, weight or bias
    for which in ("input", "weight", "bias"):
        src = {"input": x, "weight": w, "bias": b}[which]
        buf = np.zeros(src.size + want.size)
        view = buf[: src.size].reshape(src.shape)
        view[...] = src
        out_ov = buf[src.size - 1 : src.size - 1 + want.size].reshape(want.shape)
        args = {"input": (view, w, b), "weight": (x, view, b), "bias": (x, w, view)}[which]
        with pytest.raises(ValueError, match="out"):
            f(*args, 2, 1, 1, 2, out=out_ov)


# --- dtypes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype", [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint16, np.uint32]
)
@pytest.mark.parametrize("nsp", [1, 2])
def test_integer_and_bool_exact(rng, dtype, nsp):
    """Integers and bool: computed exactly in int64, cast (wrapping) to the
    result type; the data is large enough that int8/uint8 results wrap."""
    info = np.iinfo(dtype) if dtype != np.bool_ else None
    lo, hi = (0, 1) if info is None else (max(info.min, -100), min(info.max, 100))
    x = exact_data(rng, (2, 4) + (6, 7)[:nsp], dtype, lo, hi)
    w = exact_data(rng, (4, 2) + (3, 2)[:nsp], dtype, lo, hi)
    b = exact_data(rng, (4,), dtype, lo, hi)
    kw = conv_args(1, 1, 1, 2, "reflect")
    got = call(nsp, x, w, b, kw)
    want = oracle(nsp)(x, w, b, **kw)
    assert got.dtype == np.dtype(dtype)
    assert_exact(got, want)


def test_int64_wraps_around(rng):
    x = np.full((1, 1, 3, 3), 2**62, np.int64)
    w = np.full((1, 1, 2, 2), 3, np.int64)
    got = nn.conv2d(x, w)
    assert_exact(got, _oracle.conv2d(x, w))
    assert got[0, 0, 0, 0] == (12 * 2**62 + 2**63) % 2**64 - 2**63


# (input, weight, bias) dtypes whose result dtype numpy.result_type gives
PROMOTION_CASES = [
    (np.int8, np.float32, None),
    (np.float32, np.int64, np.float32),
    (np.uint8, np.int8, np.int8),
    (np.bool_, np.float64, None),
    (np.float16, np.float16, np.float16),
    (np.float16, np.int8, None),
    (np.int32, np.complex64, None),
    (np.float32, np.float64, None),
    (np.uint64, np.int8, None),
    (np.float16, np.float32, np.float16),
]


@pytest.mark.parametrize("xt,wt,bt", PROMOTION_CASES)
def test_mixed_dtype_promotion(rng, xt, wt, bt):
    """result_type(input, weight, bias), values equal to the oracle on exact data."""
    x = exact_data(rng, (2, 4, 6, 5), xt, 0 if xt in (np.uint8, np.uint64) else -3, 3)
    w = exact_data(rng, (2, 4, 3, 3), wt)
    b = None if bt is None else exact_data(rng, (2,), bt)
    want_dtype = np.result_type(*[a for a in (x, w, b) if a is not None])
    got = nn.conv2d(x, w, b, padding=1)
    assert got.dtype == want_dtype
    assert_exact(got, _oracle.conv2d(x, w, b, 1, 1))


def test_float16_is_computed_in_float32(rng):
    """float32 accumulation, then one rounding to float16:
    |got - exact| <= eps16/2 |exact| + 2 terms eps32 scale. Accumulating in
    float16 would err by ~eps16/2 * scale (scale = sum|x||w| is ~8x |exact|
    for these 144-term sums of random signs) and fail."""
    x = random_data(rng, (1, 16, 8, 9), np.float32).astype(np.float16)
    w = random_data(rng, (3, 16, 3, 3), np.float32).astype(np.float16)
    got = nn.conv2d(x, w, padding=1)
    assert got.dtype == np.float16
    exact = _oracle.conv2d(x.astype(np.longdouble), w.astype(np.longdouble), None, 1, 1)
    scale = _oracle.conv2d(
        np.abs(x).astype(np.longdouble), np.abs(w).astype(np.longdouble), None, 1, 1
    )
    bound = (
        np.finfo(np.float16).eps / 2 * np.abs(exact) + 2 * 144 * np.finfo(np.float32).eps * scale
    ).astype(np.float64)
    err = np.abs(got.astype(np.longdouble) - exact).astype(np.float64)
    assert np.all(err <= bound), np.max(err / bound)


EDGE_CASES = [
    # nsp, input shape, weight shape, kwargs
    (1, (1, 2, 2), (3, 2, 5), dict(padding="same")),  # input shorter than kernel
    (2, (1, 2, 2, 3), (3, 2, 4, 5), dict(padding="same", padding_mode="replicate")),
    (2, (1, 2, 3, 3), (3, 2, 3, 3), dict(padding=9)),  # mostly padding
    (2, (1, 2, 3, 3), (3, 2, 3, 3), dict(padding=9, padding_mode="replicate")),
    (2, (1, 2, 3, 3), (3, 2, 3, 3), dict(stride=7, padding=1)),  # stride past the input
    (2, (1, 1, 1, 1), (2, 1, 1, 1), dict(padding=1, padding_mode="circular")),
    (2, (1, 1, 1, 1), (2, 1, 3, 3), dict(padding=1)),
    (2, (2, 3, 5, 6), (4, 3, 5, 6), dict()),  # kernel = input: 1x1 out
    (2, (1, 2, 1, 9), (3, 2, 1, 3), dict(padding=(0, 1), padding_mode="reflect")),
    (2, (1, 2, 9, 1), (3, 2, 3, 1), dict(padding=(1, 0), padding_mode="reflect")),
    (1, (3, 1), (2, 3, 1), dict()),  # unbatched, L = 1
    (2, (1, 300, 2, 3), (1, 300, 1, 1), dict()),  # long reduction, Cout 1
]


@pytest.mark.parametrize("case", EDGE_CASES)
def test_edge_geometries(rng, case):
    nsp, xs, ws, kw = case
    x = exact_data(rng, xs, np.float64)
    w = exact_data(rng, ws, np.float64)
    b = exact_data(rng, (ws[0],), np.float64)
    args = (
        kw.get("stride", 1),
        kw.get("padding", 0),
        kw.get("dilation", 1),
        kw.get("groups", 1),
        kw.get("padding_mode", "zeros"),
    )
    want = oracle(nsp)(x, w, b, *args)
    for dtype in (np.float32, np.float64):
        assert_exact(
            layer(nsp)(x.astype(dtype), w.astype(dtype), b.astype(dtype), **kw), want.astype(dtype)
        )


@pytest.mark.parametrize("nsp", [1, 2])
def test_empty_batch(rng, nsp):
    """N = 0 gives an empty (0, Cout, ...) result, as torch."""
    x = np.zeros((0, 4) + (6, 7)[:nsp])
    w = random_data(rng, (5, 4) + (3, 3)[:nsp], np.float64)
    got = layer(nsp)(x, w, padding=1)
    assert got.shape == (0, 5) + (6, 7)[:nsp]
    assert got.dtype == np.float64


# --- hypothesis ----------------------------------------------------------------------------------


@st.composite
def layer_problems(draw):
    nsp = draw(st.sampled_from([1, 2]))
    groups = draw(st.integers(1, 3))
    cg = draw(st.integers(1, 3))
    per_group = draw(st.integers(1, 2))
    kmax = 4 if nsp == 1 else 3
    k = tuple(draw(st.integers(1, kmax)) for _ in range(nsp))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nsp))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nsp))
    mode = draw(st.sampled_from(MODES))
    pkind = draw(st.sampled_from(["int", "tuple", "valid", "same"]))
    if pkind == "same":
        stride = (1,) * nsp
        padding = "same"
    elif pkind == "valid":
        padding = "valid"
    elif pkind == "int":
        padding = draw(st.integers(0, 3))
    else:
        padding = tuple(draw(st.integers(0, 3)) for _ in range(nsp))
    pairs = _oracle.layer_padding(padding, k, stride, dilation)
    nmax = 10 if nsp == 1 else 7
    spatial = []
    for (lo, hi), kk, d in zip(pairs, k, dilation):
        need = max(1, d * (kk - 1) + 1 - lo - hi)
        if mode == "reflect":
            need = max(need, max(lo, hi) + 1)
        if mode == "circular":
            need = max(need, max(lo, hi))
        assume(need <= nmax)
        spatial.append(draw(st.integers(need, nmax)))
    batch = draw(st.sampled_from([None, 1, 2]))
    shape = ((groups * cg,) if batch is None else (batch, groups * cg)) + tuple(spatial)
    return dict(
        nsp=nsp,
        shape=shape,
        wshape=(groups * per_group, cg) + k,
        kw=conv_args(padding, stride, dilation, groups, mode),
        bias=draw(st.booleans()),
        dtype=draw(st.sampled_from([np.float32, np.float64, np.complex128])),
        layout=draw(st.sampled_from(range(6))),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


@settings(max_examples=60, deadline=None)
@given(layer_problems())
def test_hypothesis_against_the_oracle(problem):
    rng = np.random.default_rng(problem["seed"])
    nsp, dtype, kw = problem["nsp"], problem["dtype"], problem["kw"]
    x = random_data(rng, problem["shape"], dtype)
    w = random_data(rng, problem["wshape"], dtype)
    b = random_data(rng, (w.shape[0],), dtype) if problem["bias"] else None
    got = call(nsp, x, w, b, kw)
    xb = x if x.ndim == nsp + 2 else x[None]
    assert_close_to_oracle(got if x.ndim == nsp + 2 else got[None], xb, w, b, nsp, dtype, **kw)
    views = layouts(xb)
    name, xv = views[problem["layout"] % len(views)]
    if x.ndim != nsp + 2:
        xv = xv[0]
    assert_bitwise(call(nsp, xv, w, b, kw), got)


# --- bad input ----------------------------------------------------------------------------------


def _bad_cases():
    x2 = np.zeros((1, 4, 6, 6))
    w2 = np.zeros((6, 4, 3, 3))
    x1 = np.zeros((1, 4, 6))
    w1 = np.zeros((6, 4, 3))
    f2 = lambda *a, **k: nn.conv2d(*a, **k)  # noqa: E731
    f1 = lambda *a, **k: nn.conv1d(*a, **k)  # noqa: E731
    V, T = ValueError, TypeError
    return [
        # (id, exception, match, function, args, kwargs)
        ("channel mismatch", V, "weight|input", f2, (x2, np.zeros((6, 3, 3, 3))), {}),
        ("channel mismatch 1d", V, "weight|input", f1, (x1, np.zeros((6, 5, 3))), {}),
        ("groups channels", V, "weight|input", f2, (x2, w2), dict(groups=2)),
        (
            "groups not dividing Cin",
            V,
            "groups",
            f2,
            (np.zeros((1, 5, 6, 6)), np.zeros((6, 1, 3, 3))),
            dict(groups=3),
        ),
        (
            "groups not dividing Cout",
            V,
            "groups|weight",
            f2,
            (x2, np.zeros((5, 2, 3, 3))),
            dict(groups=2),
        ),
        ("groups 0", V, "groups", f2, (x2, w2), dict(groups=0)),
        ("groups float", T, "groups", f2, (x2, w2), dict(groups=1.5)),
        ("weight 3-d for conv2d", V, "weight", f2, (x2, np.zeros((6, 4, 3))), {}),
        ("weight 4-d for conv1d", V, "weight", f1, (x1, w2), {}),
        ("input 5-d", V, "input", f2, (np.zeros((1, 1, 4, 6, 6)), w2), {}),
        ("input 2-d for conv2d", V, "input", f2, (np.zeros((6, 6)), w2), {}),
        ("input 1-d for conv1d", V, "input", f1, (np.zeros(6), w1), {}),
        ("stride 0", V, "stride", f2, (x2, w2), dict(stride=0)),
        ("stride tuple 0", V, "stride", f2, (x2, w2), dict(stride=(1, 0))),
        ("stride negative 1d", V, "stride", f1, (x1, w1), dict(stride=-1)),
        ("stride wrong length", V, "stride", f2, (x2, w2), dict(stride=(1, 1, 1))),
        ("stride float", T, "stride", f2, (x2, w2), dict(stride=1.0)),
        ("dilation 0", V, "dilation", f2, (x2, w2), dict(dilation=0)),
        ("dilation tuple 0", V, "dilation", f1, (x1, w1), dict(dilation=(0,))),
        ("padding negative", V, "padding", f2, (x2, w2), dict(padding=-1)),
        ("padding tuple negative", V, "padding", f2, (x2, w2), dict(padding=(1, -1))),
        ("padding 1d negative", V, "padding", f1, (x1, w1), dict(padding=-2)),
        ("same with stride", V, "padding|stride", f2, (x2, w2), dict(padding="same", stride=2)),
        (
            "same with stride tuple",
            V,
            "padding|stride",
            f2,
            (x2, w2),
            dict(padding="same", stride=(1, 2)),
        ),
        ("same with stride 1d", V, "padding|stride", f1, (x1, w1), dict(padding="same", stride=3)),
        ("unknown padding string", V, "padding", f2, (x2, w2), dict(padding="full")),
        ("unknown padding string 1d", V, "padding", f1, (x1, w1), dict(padding="SAME")),
        (
            "unknown padding_mode",
            V,
            "padding_mode",
            f2,
            (x2, w2),
            dict(padding=1, padding_mode="symmetric"),
        ),
        (
            "padding_mode not a string",
            (V, T),
            "padding_mode",
            f1,
            (x1, w1),
            dict(padding=1, padding_mode=None),
        ),
        ("reflect too large", V, "padding", f2, (x2, w2), dict(padding=6, padding_mode="reflect")),
        (
            "reflect too large one axis",
            V,
            "padding",
            f2,
            (np.zeros((1, 4, 3, 9)), w2),
            dict(padding=(3, 1), padding_mode="reflect"),
        ),
        (
            "reflect too large 1d",
            V,
            "padding",
            f1,
            (x1, w1),
            dict(padding=6, padding_mode="reflect"),
        ),
        (
            "circular too large",
            V,
            "padding",
            f2,
            (x2, w2),
            dict(padding=7, padding_mode="circular"),
        ),
        (
            "circular too large 1d",
            V,
            "padding",
            f1,
            (x1, w1),
            dict(padding=7, padding_mode="circular"),
        ),
        (
            "kernel larger than input",
            V,
            "kernel|weight|input",
            f2,
            (np.zeros((1, 4, 2, 6)), w2),
            {},
        ),
        (
            "dilated kernel larger",
            V,
            "kernel|weight|input|dilation",
            f1,
            (x1, w1),
            dict(dilation=3),
        ),
        (
            "kernel larger than padded",
            V,
            "kernel|weight|input",
            f1,
            (np.zeros((1, 4, 1)), np.zeros((6, 4, 4))),
            dict(padding=1),
        ),
        ("bias wrong length", V, "bias", f2, (x2, w2, np.zeros(5)), {}),
        ("bias 2-d", V, "bias", f2, (x2, w2, np.zeros((6, 1))), {}),
        ("bias scalar", V, "bias", f1, (x1, w1, np.float64(1.0)), {}),
        ("object input", T, "input", f2, (x2.astype(object), w2), {}),
        ("object weight", T, "weight", f2, (x2, w2.astype(object)), {}),
        ("object bias", T, "bias", f2, (x2, w2, np.zeros(6, object)), {}),
        ("string input", T, "input", f1, (np.full((1, 4, 6), "a"), w1), {}),
        ("string weight", T, "weight", f1, (x1, np.full((6, 4, 3), "a")), {}),
        ("bytes weight", T, "weight", f2, (x2, np.zeros((6, 4, 3, 3), "S1")), {}),
        ("datetime input", T, "input", f1, (np.zeros((1, 4, 6), "datetime64[s]"), w1), {}),
        (
            "overflowing padding",
            V,
            "padding|overflow|size",
            f2,
            (np.zeros((1, 4, 1, 1)), np.zeros((6, 4, 1, 1))),
            dict(padding=2**62),
        ),
        (
            "overflowing result size",
            V,
            "padding|overflow|size",
            f2,
            (np.zeros((1, 4, 1, 1)), np.zeros((6, 4, 1, 1))),
            dict(padding=(2**31, 2**31)),
        ),
        (
            "overflowing dilation",
            V,
            "dilation|overflow|size|kernel",
            f1,
            (x1, w1),
            dict(dilation=2**62, padding=2**62),
        ),
        ("groups bool", T, "groups", f2, (x2, w2), dict(groups=True)),
        ("groups tuple", T, "groups", f2, (x2, w2), dict(groups=(1,))),
        ("padding bool", T, "padding", f2, (x2, w2), dict(padding=True)),
        ("padding float", T, "padding", f2, (x2, w2), dict(padding=1.5)),
        ("padding tuple with a string", T, "padding", f2, (x2, w2), dict(padding=(1, "a"))),
        ("padding wrong length", V, "padding", f2, (x2, w2), dict(padding=(1, 1, 1))),
        ("dilation string", T, "dilation", f2, (x2, w2), dict(dilation="2")),
        ("stride empty", V, "stride", f2, (x2, w2), dict(stride=())),
        ("string bias", T, "bias", f2, (x2, w2, np.array(["a"] * 6)), {}),
        ("out a list", T, "out", f1, (np.zeros((1, 4, 6)), w1), dict(out=[0.0] * 24)),
        ("threads 0", V, "threads", f2, (x2, w2), dict(threads=0)),
        ("threads negative", V, "threads", f2, (x2, w2), dict(threads=-1)),
        ("threads bool", T, "threads", f2, (x2, w2), dict(threads=True)),
        ("threads float", T, "threads", f1, (x1, w1), dict(threads=2.0)),
    ]


@pytest.mark.parametrize("case", _bad_cases(), ids=lambda c: c[0])
def test_bad_input_names_the_argument(case):
    name, exc, match, f, args, kwargs = case
    with pytest.raises(exc, match=match):
        f(*args, **kwargs)


@pytest.mark.parametrize(
    "mode,padding,n",
    [("reflect", 5, 5), ("reflect", 2, 2), ("circular", 6, 5), ("circular", (3, 1), 2)],
)
def test_padding_limits_match_torch(mode, padding, n):
    """The limits are torch's: reflect needs padding < size, circular <=
    size; one inside each limit works (and equals the oracle)."""
    x = np.arange(1.0, 1 + 2 * n * n).reshape(1, 2, n, n)
    w = np.ones((1, 2, 1, 1))
    with pytest.raises(ValueError, match="padding"):
        nn.conv2d(x, w, padding=padding, padding_mode=mode)
    inside = n - 1 if mode == "reflect" else n
    assert_exact(
        nn.conv2d(x, w, padding=inside, padding_mode=mode),
        _oracle.conv2d(x, w, None, 1, inside, 1, 1, mode),
    )
