"""oaconvolve (and the mode handling it shares with fftconvolve) against
the oracle, numpy.convolve and scipy.signal.

FFT results are accurate normwise, not per element: against the exact
result (the oracle in extended precision) each output slice must satisfy

    ||result - exact||_2 <= C * eps * log2(L) * ||x||_2 * ||k||_1

(L the number of output samples). A misplaced block or a dropped overlap
gives errors of the size of the result itself, far above this bound.
"""

import itertools
import math
import re

import numpy as np
import pytest
from conftest import MODES, random_array

import fastconv._fft as fft_module
from fastconv import _oracle
from fastconv._fft import _oa_blocks, fftconvolve, oaconvolve

C = 8
FFT_DTYPES = [np.float32, np.float64, np.complex64, np.complex128, np.int32]


def _result_dtype(dtype):
    """scipy's rule for equal input dtypes: integers become float64,
    float and complex types are kept."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float64) if dtype.kind in "biu" else dtype


def _eps(dtype):
    return np.finfo(_result_dtype(dtype)).eps


def _check_against_oracle(res, x, k, mode, axes=None):
    """res against the oracle, one broadcast batch slice at a time.

    Batch axes (those not convolved) broadcast; in 'same' mode scipy crops
    them to in1's length, which these tests avoid by giving in1 the full
    batch shape there.
    """
    x, k = np.asarray(x), np.asarray(k)
    nd = x.ndim
    axes = list(range(nd)) if axes is None else sorted(a % nd for a in np.atleast_1d(axes).tolist())
    batch = [a for a in range(nd) if a not in axes]
    if (
        mode == "valid"
        and all(k.shape[a] >= x.shape[a] for a in axes)
        and not all(x.shape[a] >= k.shape[a] for a in axes)
    ):
        x, k = k, x  # scipy's swap: the larger input first in 'valid' mode
    if mode == "full" and k.size > x.size:
        x, k = k, x  # convolution commutes; the oracle loops over k's taps
    bshape = [max(x.shape[a], k.shape[a]) for a in batch]
    if mode == "same":
        assert [x.shape[a] for a in batch] == bshape, "test setup: in1 needs the full batch"
    xb = np.moveaxis(
        np.broadcast_to(
            x, [bshape[batch.index(a)] if a in batch else x.shape[a] for a in range(nd)]
        ),
        batch,
        range(len(batch)),
    )
    kb = np.moveaxis(
        np.broadcast_to(
            k, [bshape[batch.index(a)] if a in batch else k.shape[a] for a in range(nd)]
        ),
        batch,
        range(len(batch)),
    )
    rb = np.moveaxis(res, batch, range(len(batch)))
    wide = np.clongdouble if np.iscomplexobj(x) or np.iscomplexobj(k) else np.longdouble
    assert rb.shape[: len(batch)] == tuple(bshape)
    for i in itertools.product(*(range(n) for n in bshape)):
        exact = _oracle.convolve(xb[i].astype(wide), kb[i].astype(wide), mode)
        assert rb[i].shape == exact.shape
        err = np.linalg.norm((rb[i].astype(wide) - exact).astype(np.complex128))
        size = max(exact.size, 2)
        bound = (
            C
            * _eps(res.dtype)
            * math.log2(size)
            * np.linalg.norm(xb[i].astype(np.complex128))
            * np.abs(kb[i].astype(np.complex128)).sum()
        )
        assert err <= bound, f"batch {i}: error {err} > bound {bound}"


# -- the block plan ---------------------------------------------------------


def _cost(n, overlap, fft_len):
    return -(-n // (fft_len - overlap)) * fft_len * (math.log2(fft_len) + 1)


@pytest.mark.parametrize("real", [True, False])
@pytest.mark.parametrize(
    "n,k", [(200, 9), (120, 5), (24, 3), (10**5, 2), (10**5, 512), (1000, 100), (1000, 499)]
)
def test_block_plan_is_cheapest_fast_length(n, k, real):
    next_fast_len = fft_module._fft_backend()[1]
    plan = _oa_blocks(n, k, next_fast_len, real)
    overlap = k - 1
    # Every fast length from the smallest allowed block up to one block of
    # the whole axis (checked exhaustively: the plan prunes its search).
    candidates, m = [], next_fast_len(2 * overlap, real)
    while True:
        candidates.append(m)
        if m >= n + overlap:
            break
        m = next_fast_len(m + 1, real)
    best = min(candidates, key=lambda m: _cost(n, overlap, m))
    if plan is None:
        assert 2 * k >= n or best >= n + overlap
    else:
        fft_len, step = plan
        assert next_fast_len(fft_len, real) == fft_len
        assert step == fft_len - overlap >= overlap
        assert -(-n // step) > 1
        assert _cost(n, overlap, fft_len) == _cost(n, overlap, best)


@pytest.mark.parametrize(
    "n,k",
    [
        (200, 9),
        (120, 5),
        (24, 3),
        (24, 4),
        (20, 4),
        (35, 5),
        (12, 3),
        (60, 7),
        (30, 4),
        (25, 3),
        (14, 3),
        (50, 6),
    ],
)
def test_oracle_sizes_use_several_blocks(n, k):
    # The oracle tests below only exercise overlap-add if these split.
    next_fast_len = fft_module._fft_backend()[1]
    for real in (True, False):
        fft_len, step = _oa_blocks(n, k, next_fast_len, real)
        assert -(-n // step) >= 2


def test_no_blocks_when_kernel_is_half_the_input_or_more():
    next_fast_len = fft_module._fft_backend()[1]
    for n, k in [(10, 5), (9, 5), (40, 35), (7, 7)]:
        assert _oa_blocks(n, k, next_fast_len, True) is None


# -- against the oracle (no scipy needed) -----------------------------------


@pytest.mark.parametrize("dtype", FFT_DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "n,k", [(200, 9), (120, 5), (9, 200), (37, 37), (50, 30), (24, 3), (1, 6), (6, 1)]
)
def test_1d_against_oracle(rng, dtype, mode, n, k):
    x = random_array(rng, n, dtype)
    h = random_array(rng, k, dtype)
    res = oaconvolve(x, h, mode)
    # With a length 1 there is no transform, only a product (no cast).
    assert res.dtype == (np.dtype(dtype) if 1 in (n, k) else _result_dtype(dtype))
    _check_against_oracle(res, x, h, mode)


@pytest.mark.parametrize("dtype", FFT_DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "shape,kshape",
    [
        ((24, 20), (3, 4)),  # blocks on both axes
        ((6, 35), (4, 5)),  # blocks on axis 1 only
        ((5, 6), (24, 20)),  # in2 split
        ((5, 24), (20, 3)),
    ],
)  # in1 split on 1, in2 on 0
def test_2d_against_oracle(rng, dtype, mode, shape, kshape):
    x = random_array(rng, shape, dtype)
    h = random_array(rng, kshape, dtype)
    if mode == "valid" and shape == (5, 24):
        with pytest.raises(ValueError, match="one must be at least as large"):
            oaconvolve(x, h, mode)
        return
    res = oaconvolve(x, h, mode)
    assert res.dtype == _result_dtype(dtype)
    _check_against_oracle(res, x, h, mode)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
@pytest.mark.parametrize("mode", MODES)
def test_3d_against_oracle(rng, dtype, mode):
    # Blocks along axes 0 and 2, one plain FFT along axis 1.
    x = random_array(rng, (12, 3, 24), dtype)
    h = random_array(rng, (3, 3, 4), dtype)
    res = oaconvolve(x, h, mode)
    assert res.dtype == np.dtype(dtype)
    _check_against_oracle(res, x, h, mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "shape,kshape,axes",
    [
        ((3, 60, 2), (1, 7, 2), 1),  # batch axis 0 broadcast in in2
        ((3, 60, 2), (1, 7, 2), -2),
        ((3, 60, 2), (3, 7, 1), [1]),  # batch axis 2 broadcast in in2
        ((30, 2, 25), (4, 1, 3), (0, 2)),  # two convolved axes around a batch axis
        ((30, 2, 25), (4, 2, 3), (2, 0)),
        ((2, 3, 24), (2, 14, 3), (1, 2)),  # in1 split along 2, in2 along 1
    ],
)
def test_axes_with_batch_against_oracle(rng, mode, shape, kshape, axes):
    x = random_array(rng, shape, np.complex64)
    h = random_array(rng, kshape, np.complex64)
    if mode == "valid" and shape == (2, 3, 24):
        with pytest.raises(ValueError, match="one must be at least as large"):
            oaconvolve(x, h, mode, axes=axes)
        return
    res = oaconvolve(x, h, mode, axes=axes)
    assert res.dtype == np.complex64
    _check_against_oracle(res, x, h, mode, axes)


@pytest.mark.parametrize("mode", ["full", "valid"])
def test_batch_broadcast_in_in1_against_oracle(rng, mode):
    x = random_array(rng, (1, 50, 3), np.float64)
    h = random_array(rng, (4, 6, 3), np.float64)
    res = oaconvolve(x, h, mode, axes=1)
    assert res.shape[0] == 4 and res.shape[2] == 3
    _check_against_oracle(res, x, h, mode, axes=1)


@pytest.mark.parametrize("fn", [oaconvolve, fftconvolve])
@pytest.mark.parametrize("mode", ["full", "same"])
def test_no_transformed_axis_still_applies_mode(fn, mode):
    # (1, 3) with (3, 1): every axis has a length 1, so the result is the
    # broadcast product, and 'same' crops it to in1's shape.
    x = np.array([[1.0, 2.0, 3.0]])
    h = np.array([[2.0], [-1.0], [0.5]])
    res = fn(x, h, mode)
    np.testing.assert_array_equal(res, _oracle.convolve(x, h, mode))


def test_integer_product_when_no_axis_is_transformed():
    # Without an FFT there is no cast to float: the product keeps int.
    x = np.array([[1, 2, 3]])
    h = np.array([[2], [-1]])
    res = oaconvolve(x, h)
    assert res.dtype == np.result_type(x, h)
    np.testing.assert_array_equal(res, _oracle.convolve(x, h))


def test_long_signal_against_numpy_convolve(rng):
    x = rng.standard_normal(20000)
    h = rng.standard_normal(101)
    for mode in MODES:
        res = oaconvolve(x, h, mode)
        ref = np.convolve(x, h, mode)
        assert (
            np.linalg.norm(res - ref)
            <= C * np.finfo(float).eps * math.log2(res.size) * np.linalg.norm(x) * np.abs(h).sum()
        )


def test_strided_inputs(rng):
    base = rng.standard_normal((80, 60))
    x = base[::-2, 1::3]  # negative and non-unit strides
    h = np.asfortranarray(rng.standard_normal((3, 4)))
    res = oaconvolve(x, h, "same")
    assert res.flags.c_contiguous
    _check_against_oracle(res, x, h, "same")


def test_float32_and_complex64_stay_single(rng):
    x32 = random_array(rng, 300, np.float32)
    h32 = random_array(rng, 7, np.float32)
    assert oaconvolve(x32, h32).dtype == np.float32
    assert oaconvolve(x32.astype(np.complex64), h32).dtype == np.complex64
    assert oaconvolve(x32, h32.astype(np.float64)).dtype == np.float64


@pytest.mark.parametrize("fn", [fftconvolve, oaconvolve])
@pytest.mark.parametrize(
    "shape, kshape", [((40,), (5,)), ((1000,), (40,)), ((60, 70), (5, 3)), ((120, 40), (9, 4))]
)
def test_real_with_complex_input(rng, fn, shape, kshape):
    # One real and one complex input: both get the complex transform (a
    # half spectrum times a full one would not match), in either order.
    x = random_array(rng, shape, np.float64)
    k = random_array(rng, kshape, np.complex128)
    for a, b in ((x, k), (k, x)):
        res = fn(a, b)
        assert res.dtype == np.complex128
        _check_against_oracle(res, a, b, "full")


@pytest.mark.parametrize("fn", [fftconvolve, oaconvolve])
def test_mixed_precision_transforms_in_the_wider_one(rng, fn):
    # float32 with float64 gives float64, and float64 accuracy: the float32
    # input is not transformed in single precision.
    x = random_array(rng, 2000, np.float32)
    k = random_array(rng, 60, np.float64)
    res = fn(x, k)
    assert res.dtype == np.float64
    _check_against_oracle(res, x, k, "full")


def test_numpy_fft_backend(rng, monkeypatch):
    # Without scipy the FFTs come from numpy.fft, the lengths from our own
    # next_fast_len.
    monkeypatch.setattr(fft_module, "_backend", (np.fft, fft_module._next_fast_len))
    for dtype in (np.float64, np.complex128):
        x = random_array(rng, (40, 3), dtype)
        h = random_array(rng, (5, 3), dtype)
        _check_against_oracle(oaconvolve(x, h, "same", axes=0), x, h, "same", axes=0)


def test_scalars_multiply():
    res = oaconvolve(np.float32(3), np.float32(-2))
    assert res == np.float32(3) * np.float32(-2)
    assert np.result_type(res) == np.float32


@pytest.mark.parametrize(
    "a,b", [([], []), ([5, 6], []), ([], [7]), (np.zeros((0, 3)), np.ones((2, 2)))]
)
def test_empty_inputs_give_empty_float64(a, b):
    a, b = np.asarray(a), np.asarray(b)
    res = oaconvolve(a, b)
    assert res.shape == (0,) and res.dtype == np.float64


# -- errors -------------------------------------------------------------------

ERRORS = [
    (([1.0], 2.0), {}, ValueError, "same dimensionality"),
    (([3.0], [[2.0]]), {}, ValueError, "same dimensionality"),
    ((np.ones(10), np.ones(3)), {"mode": "chips"}, ValueError, "acceptable mode flags"),
    ((np.ones(10), np.ones(3)), {"mode": None}, ValueError, "acceptable mode flags"),
    ((np.ones(10), np.ones(3)), {"axes": []}, ValueError, "axes cannot be empty"),
    ((np.ones(10), np.ones(3)), {"axes": [1]}, ValueError, "exceeds dimensionality"),
    ((np.ones(10), np.ones(3)), {"axes": [-2]}, ValueError, "exceeds dimensionality"),
    ((np.ones((10, 2)), np.ones((3, 2))), {"axes": [0, -2]}, ValueError, "must be unique"),
    ((np.ones(10), np.ones(3)), {"axes": [0.0]}, ValueError, "scalar or iterable of integers"),
    (
        (np.zeros([5, 6, 2, 1]), np.zeros([5, 6, 3, 1])),
        {"axes": [0, 1]},
        ValueError,
        "incompatible shapes",
    ),
    (
        (np.ones((40, 3)), np.ones((3, 40))),
        {"mode": "valid"},
        ValueError,
        "one must be at least as large",
    ),
]


@pytest.mark.parametrize("args,kwargs,exc,match", ERRORS)
def test_errors(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        oaconvolve(*args, **kwargs)


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="in2"):
        oaconvolve(np.ones(10), np.array(["a", "b"]))


# -- against scipy.signal.oaconvolve -------------------------------------------


def _input_eps(*dtypes):
    """eps of the least precise transform: scipy.fft computes integers in
    float64 and float16 in float32; each input is transformed in its own
    precision, whatever the result dtype."""

    def one(dtype):
        dtype = np.dtype(dtype)
        if dtype.kind in "biu":
            return np.finfo(np.float64).eps
        return np.finfo(np.float32 if dtype == np.float16 else dtype).eps

    return max(one(t) for t in dtypes)


def _assert_close_to_scipy(ours, theirs, eps):
    assert ours.dtype == theirs.dtype
    assert ours.shape == theirs.shape
    if ours.dtype.kind in "biu" or ours.size == 0:
        np.testing.assert_array_equal(ours, theirs)
        return
    scale = float(np.abs(theirs).max())
    np.testing.assert_allclose(
        ours, theirs, rtol=10 * eps, atol=10 * eps * math.log2(max(ours.size, 2)) * scale
    )


SCIPY_CASES = [
    ((300,), (9,), None),
    ((9,), (300,), None),
    ((64,), (64,), None),
    ((40, 30), (5, 3), None),
    ((5, 30), (40, 3), None),
    ((3, 60, 2), (1, 7, 2), 1),
    ((1, 60, 2), (3, 7, 1), 1),  # 'same' crops the batch axes to in1's
    ((30, 2, 25), (4, 1, 3), (0, 2)),
    ((1, 40), (6, 1), None),  # nothing to transform: the product
    ((1, 40), (6, 3), None),  # axis 0 broadcast
    ((12, 3, 24), (3, 3, 4), [-1, 0, 1]),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,kshape,axes", SCIPY_CASES)
def test_against_scipy(rng, mode, shape, kshape, axes):
    signal = pytest.importorskip("scipy.signal")
    for dtype in (np.float64, np.complex64, np.int16):
        x = random_array(rng, shape, dtype)
        h = random_array(rng, kshape, dtype)
        try:
            theirs = signal.oaconvolve(x, h, mode, axes)
        except ValueError as e:
            with pytest.raises(ValueError, match=re.escape(str(e))):
                oaconvolve(x, h, mode, axes)
            continue
        _assert_close_to_scipy(oaconvolve(x, h, mode, axes), theirs, _input_eps(dtype))


DTYPES = [
    np.bool_,
    np.int8,
    np.uint8,
    np.int64,
    np.float16,
    np.float32,
    np.float64,
    np.longdouble,
    np.complex64,
    np.complex128,
    np.clongdouble,
]


@pytest.mark.parametrize("t1", DTYPES)
def test_result_dtype_matches_scipy(rng, t1):
    signal = pytest.importorskip("scipy.signal")
    for t2 in DTYPES:
        x = random_array(rng, 120, t1)
        h = random_array(rng, 5, t2)
        _assert_close_to_scipy(oaconvolve(x, h), signal.oaconvolve(x, h), _input_eps(t1, t2))


@pytest.mark.parametrize(
    "a,b",
    [
        ([], []),
        ([5, 6], []),
        ([], [7]),
        (np.zeros((0, 3)), np.ones((2, 2))),
        (4967, 3920),
        ([4967], [3920]),
    ],
)
def test_edge_inputs_match_scipy(a, b):
    signal = pytest.importorskip("scipy.signal")
    ours, theirs = oaconvolve(a, b), signal.oaconvolve(a, b)
    assert np.result_type(ours) == np.result_type(theirs)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("args,kwargs,exc,match", ERRORS)
def test_errors_match_scipy(args, kwargs, exc, match):
    signal = pytest.importorskip("scipy.signal")
    with pytest.raises(exc, match=match):
        signal.oaconvolve(*args, **kwargs)
