"""fastconv.nn average pooling (plain and adaptive) against the oracle and PyTorch."""

import math

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa

from fastconv import _oracle, nn

FLOATS = [np.float32, np.float64, np.float16]

# (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override);
# an int applies to every axis, a pair is (rows, columns); padding <= k // 2
PARAMS = [
    (2, None, 0, False, True, None),
    (3, 1, 1, False, True, None),
    (3, 1, 1, False, False, None),
    (3, 2, 1, True, True, None),
    (3, 2, 1, True, False, None),
    (2, 2, 1, True, False, None),
    (4, 3, 2, True, True, None),
    (4, 3, 2, True, False, None),
    (5, 2, 2, False, False, None),
    (1, 1, 0, False, True, None),
    ((3, 2), (2, 1), (1, 0), True, True, None),
    ((2, 5), (1, 3), (0, 2), True, False, None),
    (3, 2, 1, False, True, 4),
    (3, 1, 1, True, False, -3),
]

ADAPTIVE_SIZES = [1, 2, 3, 5, 7, 11, 16, 23]


def _per_axis(v, naxes):
    return list(v) if isinstance(v, tuple) else [v] * naxes


def _pool(naxes):
    return nn.avg_pool1d if naxes == 1 else nn.avg_pool2d


def _call(naxes, x, params, **kw):
    k, s, p, ceil_mode, include_pad, divisor = params
    if naxes == 1:
        k, s, p = (v[-1] if isinstance(v, tuple) else v for v in (k, s, p))
        return nn.avg_pool1d(x, k, s, p, ceil_mode, include_pad, **kw)
    return nn.avg_pool2d(x, k, s, p, ceil_mode, include_pad, divisor, **kw)


def oracle_avg(x, naxes, params):
    """The oracle plane by plane over the leading axes (1-D parameters: the
    columns' entry of a pair, as `_call` passes them)."""
    k, s, p, ceil_mode, include_pad, divisor = params
    if naxes == 1:
        k, s, p = (v[-1] if isinstance(v, tuple) else v for v in (k, s, p))
        divisor = None
    k = _per_axis(k, naxes)
    s = k if s is None else _per_axis(s, naxes)
    p = _per_axis(p, naxes)
    lead = x.shape[: x.ndim - naxes]
    planes = [
        _oracle.avg_pool(x[b], k, s, p, ceil_mode, include_pad, divisor) for b in np.ndindex(*lead)
    ]
    return np.array(planes).reshape(lead + planes[0].shape)


def oracle_adaptive(x, naxes, size):
    lead = x.shape[: x.ndim - naxes]
    planes = [_oracle.adaptive_avg_pool(x[b], size) for b in np.ndindex(*lead)]
    return np.array(planes).reshape(lead + tuple(size))


def window_taps(naxes, params):
    k = params[0]
    if naxes == 1:
        return k[-1] if isinstance(k, tuple) else k
    return math.prod(_per_axis(k, 2))


def assert_within_bound(got, exact, scale, taps, dtype):
    """|got - exact| <= (taps + 1) * eps * (sum |x| over the window) / divisor."""
    eps = np.finfo(dtype).eps
    err = np.abs(got.astype(np.float64) - exact)
    bound = (taps + 1) * eps * scale
    assert np.all(err <= bound), float(np.max(err - bound))


def shapes(naxes):
    if naxes == 1:
        return [(2, 3, 17), (3, 9), (1, 1, 5)]
    return [(2, 3, 9, 10), (3, 8, 7), (1, 1, 5, 6)]


# -- the oracle ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("naxes", [1, 2])
def test_avg_pool_within_the_bound_of_the_oracle(rng, dtype, params, naxes):
    for shape in shapes(naxes):
        x = rng.standard_normal(shape).astype(dtype)
        got = _call(naxes, x, params)
        assert got.dtype == dtype
        exact = oracle_avg(x, naxes, params)
        assert got.shape == exact.shape
        # the same windows and divisors over |x| (and |divisor|)
        abs_params = params[:5] + (None if params[5] is None else abs(params[5]),)
        scale = oracle_avg(np.abs(x), naxes, abs_params)
        assert_within_bound(got, exact, scale, window_taps(naxes, params), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("naxes", [1, 2])
def test_adaptive_avg_pool_within_the_bound_of_the_oracle(rng, dtype, naxes):
    for shape in shapes(naxes):
        x = rng.standard_normal(shape).astype(dtype)
        spatial = shape[-naxes:]
        for out in ADAPTIVE_SIZES:
            size = [out] * naxes
            if naxes == 2:
                size[1] = ADAPTIVE_SIZES[(ADAPTIVE_SIZES.index(out) + 3) % len(ADAPTIVE_SIZES)]
            fn = nn.adaptive_avg_pool1d if naxes == 1 else nn.adaptive_avg_pool2d
            got = fn(x, size[0] if naxes == 1 else tuple(size))
            exact = oracle_adaptive(x, naxes, size)
            assert got.shape == exact.shape and got.dtype == dtype
            scale = oracle_adaptive(np.abs(x), naxes, size)
            taps = math.prod(-(-n // m) + 1 for n, m in zip(spatial, size))
            assert_within_bound(got, exact, scale, taps, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("naxes", [1, 2])
def test_avg_pool_bitwise_on_exact_data(rng, dtype, params, naxes):
    # Small integers: every sum is exact, so the result is the one
    # correctly rounded division -- the oracle's, rounded to the dtype (for
    # float32 through float64, which is innocuous for a quotient).
    for shape in shapes(naxes):
        x = rng.integers(-8, 9, shape).astype(dtype)
        np.testing.assert_array_equal(
            _call(naxes, x, params), oracle_avg(x, naxes, params).astype(dtype)
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adaptive_avg_pool_bitwise_on_exact_data(rng, dtype):
    # Windows of 1, 2, 4 or 8 taps per axis (8 -> 4, 2 or 1 outputs, 16 -> 8
    # ...): every division is by a power of two, exact.
    x = rng.integers(-8, 9, (2, 3, 8, 16)).astype(dtype)
    for size in [(4, 8), (2, 4), (1, 1), (8, 16), (1, 2), (8, 2)]:
        np.testing.assert_array_equal(
            nn.adaptive_avg_pool2d(x, size), oracle_adaptive(x, 2, list(size)).astype(dtype)
        )
    for size in [1, 2, 4, 8]:
        np.testing.assert_array_equal(
            nn.adaptive_avg_pool1d(x[0], size), oracle_adaptive(x[0], 1, [size]).astype(dtype)
        )


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("naxes", [1, 2])
def test_avg_pool_int64_rounds_toward_zero(rng, params, naxes):
    for shape in shapes(naxes):
        x = rng.integers(-1000, 1001, shape)
        got = _call(naxes, x, params)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, oracle_avg(x, naxes, params))


def test_unbatched_equals_batched(rng):
    x = rng.standard_normal((3, 9, 10))
    np.testing.assert_array_equal(nn.avg_pool2d(x, 3, 2, 1), nn.avg_pool2d(x[None], 3, 2, 1)[0])
    np.testing.assert_array_equal(nn.avg_pool1d(x[0], 3, 2, 1), nn.avg_pool1d(x[:1], 3, 2, 1)[0])
    np.testing.assert_array_equal(
        nn.adaptive_avg_pool2d(x, (4, 3)), nn.adaptive_avg_pool2d(x[None], (4, 3))[0]
    )
    np.testing.assert_array_equal(
        nn.adaptive_avg_pool1d(x[0], 4), nn.adaptive_avg_pool1d(x[:1], 4)[0]
    )


def test_any_layout(rng):
    base = rng.standard_normal((2, 9, 10, 3)).astype(np.float32)
    x = base.transpose(0, 3, 1, 2)  # channels-last view
    views = [x, x[:, :, ::-1], x[..., ::2], np.asfortranarray(x)]
    for v in views:
        c = np.ascontiguousarray(v)
        np.testing.assert_array_equal(nn.avg_pool2d(v, 3, 1, 1), nn.avg_pool2d(c, 3, 1, 1))
        np.testing.assert_array_equal(
            nn.adaptive_avg_pool2d(v, (2, 3)), nn.adaptive_avg_pool2d(c, (2, 3))
        )
        np.testing.assert_array_equal(nn.avg_pool1d(v[0], 3, 2), nn.avg_pool1d(c[0], 3, 2))


def test_plane_layouts_give_the_same_bits(rng):
    # the planes a stride apart (one multiplication per plane) or not (the
    # general offsets): the same sums as a contiguous copy's
    base = rng.standard_normal((4, 20, 5, 6)).astype(np.float32)
    views = [base[::2], base[:, ::3], base[:1, 3:], base.transpose(1, 0, 2, 3), base[..., ::-1, :]]
    for v in views:
        c = np.ascontiguousarray(v)
        for pool in (lambda a: nn.adaptive_avg_pool2d(a, 1), lambda a: nn.avg_pool2d(a, 3, 1, 1)):
            assert pool(v).tobytes() == pool(c).tobytes()


def test_output_size_none_keeps_the_input_size(rng):
    x = rng.standard_normal((2, 7, 9))
    assert nn.adaptive_avg_pool2d(x, (None, 4)).shape == (2, 7, 4)
    assert nn.adaptive_avg_pool2d(x, [3, None]).shape == (2, 3, 9)
    np.testing.assert_array_equal(nn.adaptive_avg_pool2d(x, (None, None)), x)


def test_empty_results():
    assert nn.avg_pool2d(np.zeros((0, 3, 5, 5)), 2).shape == (0, 3, 2, 2)
    assert nn.adaptive_avg_pool2d(np.zeros((2, 3, 5, 5)), 0).shape == (2, 3, 0, 0)
    assert nn.adaptive_avg_pool2d(np.zeros((2, 3, 5, 5)), (0, 2)).shape == (2, 3, 0, 2)
    assert nn.adaptive_avg_pool1d(np.zeros((3, 5)), 0).shape == (3, 0)


def test_nan_and_inf_propagate():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = np.nan
    x[0, 0, 3, 3] = np.inf
    got = nn.avg_pool2d(x, 2)[0, 0]
    assert np.isnan(got[0, 0]) and got[1, 1] == np.inf
    assert got[0, 1] == 0 and got[1, 0] == 0
    assert np.isnan(nn.adaptive_avg_pool2d(x, 1)[0, 0, 0, 0])


def test_out(rng):
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    out = np.empty((2, 3, 4, 4), np.float32)
    assert nn.avg_pool2d(x, 2, out=out) is out
    np.testing.assert_array_equal(out, nn.avg_pool2d(x, 2))
    out = np.empty((2, 3, 3, 3), np.float32)
    assert nn.adaptive_avg_pool2d(x, 3, out=out) is out
    np.testing.assert_array_equal(out, nn.adaptive_avg_pool2d(x, 3))
    h = x.astype(np.float16)
    out16 = np.empty((3, 8, 4), np.float16)
    assert nn.avg_pool1d(h[0], 2, out=out16) is out16
    np.testing.assert_array_equal(out16, nn.avg_pool1d(h[0], 2))
    out1 = np.empty((3, 8, 2), np.float32)
    assert nn.adaptive_avg_pool1d(x[0], 2, out=out1) is out1
    np.testing.assert_array_equal(out1, nn.adaptive_avg_pool1d(x[0], 2))


@pytest.mark.parametrize(
    "call",
    [
        lambda x, t: nn.avg_pool2d(x, 3, 1, 1, threads=t),
        lambda x, t: nn.avg_pool2d(x, (3, 2), 2, (1, 0), True, False, threads=t),
        lambda x, t: nn.avg_pool1d(x[0], 5, 2, 2, True, threads=t),
        lambda x, t: nn.adaptive_avg_pool2d(x, (7, 5), threads=t),
        lambda x, t: nn.adaptive_avg_pool2d(x.reshape(1, 1, 768, 768), (300, 200), threads=t),
        lambda x, t: nn.avg_pool2d(x.reshape(1, 768, 768), 3, 1, 1, threads=t),
        lambda x, t: nn.adaptive_avg_pool1d(x[0], 13, threads=t),
        lambda x, t: nn.adaptive_avg_pool1d(x.reshape(64 * 96, 96), 1, threads=t),
    ],
)
def test_threads_bitwise_equal(rng, call):
    x = rng.standard_normal((4, 16, 96, 96)).astype(np.float32)
    np.testing.assert_array_equal(call(x, 1), call(x, 2))


# -- global pools (one window holding the whole plane) ---------------------------

# Planes shorter than the 16 partial sums, a multiple of them, and with a
# tail; 1-D to 3-D.
GLOBAL_SHAPES = [(3, 5, 7), (2, 3, 4, 8), (2, 3, 14, 14), (2, 2, 3, 3, 5), (1, 2, 33)]


def _global_pools(x):
    """(label, fastconv's result, the oracle's) of the global pools of x:
    adaptive to 1, and plain ones whose window holds the plane."""
    naxes = x.ndim - 2
    lead, spatial = x.shape[:2], x.shape[2:]
    adaptive = (nn.adaptive_avg_pool1d, nn.adaptive_avg_pool2d, nn.adaptive_avg_pool3d)[naxes - 1]
    plain = (nn.avg_pool1d, nn.avg_pool2d, nn.avg_pool3d)[naxes - 1]
    cases = [
        ("adaptive", adaptive(x, 1), lambda p: _oracle.adaptive_avg_pool(p, [1] * naxes)),
        (
            "kernel = input",
            plain(x, spatial),
            lambda p: _oracle.avg_pool(p, spatial, spatial, [0] * naxes),
        ),
    ]
    # a kernel one larger with padding 1 (count_include_pad: divided by the
    # padded window), and a divisor_override
    big = [n + 1 for n in spatial]
    ones = [1] * naxes
    cases.append(
        (
            "padded, count_include_pad",
            plain(x, big, 2, 1),
            lambda p: _oracle.avg_pool(p, big, [2] * naxes, ones),
        )
    )
    if naxes > 1:
        cases.append(
            (
                "divisor_override",
                plain(x, spatial, divisor_override=-3),
                lambda p: _oracle.avg_pool(p, spatial, spatial, [0] * naxes, divisor_override=-3),
            )
        )
    for label, got, oracle in cases:
        want = np.array([oracle(x[b]) for b in np.ndindex(*lead)]).reshape(got.shape)
        yield label, got, want


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", GLOBAL_SHAPES)
def test_global_pool_matches_the_oracle_bitwise(rng, dtype, shape):
    # Random data of mixed magnitudes (sums that round): the documented
    # order of partial sums, bit for bit -- on the ISA's kernel (contiguous
    # planes) and on the general loop (a strided view).
    x = (rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)).astype(dtype)
    for view in (x, np.flip(x, -1), x.transpose(1, 0, *range(2, x.ndim))):
        for label, got, want in _global_pools(view):
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, want.astype(dtype), err_msg=label)


def test_global_pool_of_infinities_and_nans(rng):
    x = rng.standard_normal((4, 3, 40)).astype(np.float32)
    x[0, 0, 3] = np.inf  # -> inf
    x[1, 0, 3] = np.inf  # opposite infinities: NaN
    x[1, 0, 20] = -np.inf
    x[2, 1, 39] = np.nan  # a NaN in the tail
    got = nn.adaptive_avg_pool1d(x, 1)[..., 0]
    assert got[0, 0] == np.inf and np.isnan(got[1, 0]) and np.isnan(got[2, 1])
    for _, got, want in _global_pools(x):
        np.testing.assert_array_equal(got, want.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_global_pool_near_torch(rng, dtype):
    # torch sums in another order (a mean): within the oracle's bound.
    torch = _torch()
    F = torch.nn.functional
    x = rng.standard_normal((2, 5, 14, 14)).astype(dtype)
    exact = oracle_adaptive(x.astype(np.float64), 2, [1, 1])  # float64: near exact
    scale = oracle_adaptive(np.abs(x).astype(np.float64), 2, [1, 1])
    for want in (
        F.adaptive_avg_pool2d(torch.from_numpy(x), 1),
        F.avg_pool2d(torch.from_numpy(x), 14),
    ):
        assert_within_bound(want.numpy(), exact, scale, 196, dtype)
    for got in (nn.adaptive_avg_pool2d(x, 1), nn.avg_pool2d(x, 14)):
        assert_within_bound(got, exact, scale, 196, dtype)


# -- the vector row kernels -----------------------------------------------------

# Rows long enough for whole vectors of every ISA (16 float32 lanes) and a
# last vector overlapping the one before; strides 1, 2 and 3 (the three
# load classes), borders, ceil_mode, count_include_pad, divisor_override.
VECTOR_PARAMS = [
    (3, 1, 1, False, True, None),
    (3, 1, 1, False, False, None),
    ((2, 3), 2, (1, 1), True, False, None),
    ((3, 5), (1, 3), (0, 2), True, True, None),
    (2, 1, 0, False, True, -7),
]
VECTOR_SHAPES = {1: (2, 3, 71), 2: (2, 5, 53), 3: (1, 2, 3, 4, 37)}


def _vector_call(naxes, x, params, **kw):
    if naxes < 3:
        return _call(naxes, x, params, **kw)
    k, s, p, ceil_mode, include_pad, divisor = _as_3d(params)
    return nn.avg_pool3d(x, k, s, p, ceil_mode, include_pad, divisor, **kw)


def _as_3d(params):
    """2-D parameters for 3-D pooling: a pair gets depth 1 (pad 0) in front."""
    k, s, p, *rest = params
    k, s, p = ((d,) + v if isinstance(v, tuple) else v for d, v in zip((1, 1, 0), (k, s, p)))
    return (k, s, p, *rest)


def _vector_oracle(x, naxes, params):
    if naxes < 3:
        return oracle_avg(x, naxes, params)
    k, s, p, ceil_mode, include_pad, divisor = _as_3d(params)
    k, s, p = (list(v) if isinstance(v, tuple) else [v] * 3 for v in (k, s, p))
    planes = [_oracle.avg_pool(x[0, c], k, s, p, ceil_mode, include_pad, divisor) for c in range(2)]
    return np.array(planes)[None]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("params", VECTOR_PARAMS)
@pytest.mark.parametrize("naxes", [1, 2, 3])
def test_vector_rows_match_the_oracle(rng, dtype, params, naxes):
    shape = VECTOR_SHAPES[naxes]
    # exact data: the one correctly rounded division, bit for bit
    x = rng.integers(-8, 9, shape).astype(dtype)
    np.testing.assert_array_equal(
        _vector_call(naxes, x, params), _vector_oracle(x, naxes, params).astype(dtype)
    )
    # random data: within the documented bound
    x = rng.standard_normal(shape).astype(dtype)
    got = _vector_call(naxes, x, params)
    abs_params = params[:5] + (None if params[5] is None else abs(params[5]),)
    scale = _vector_oracle(np.abs(x), naxes, abs_params)
    taps = math.prod(_per_axis(params[0], 2)) if naxes > 1 else _per_axis(params[0], 2)[-1]
    assert_within_bound(got, _vector_oracle(x, naxes, params), scale, taps, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [(4, 16), (3, 24), (2, 8)])
def test_vector_rows_of_equal_adaptive_windows_match_the_oracle(rng, dtype, size):
    # (6, 48) -> 16 or more columns of equal windows: the row kernel, with
    # the three divisions (all by powers of two or exact on this data)
    x = rng.integers(-8, 9, (2, 3, 8, 48)).astype(dtype)
    want = oracle_adaptive(x, 2, list(size)).astype(dtype)
    np.testing.assert_array_equal(nn.adaptive_avg_pool2d(x, size), want)
    x = rng.standard_normal((2, 3, 8, 48)).astype(dtype)
    taps = math.prod(-(-n // m) + 1 for n, m in zip((8, 48), size))
    assert_within_bound(
        nn.adaptive_avg_pool2d(x, size),
        oracle_adaptive(x, 2, list(size)),
        oracle_adaptive(np.abs(x), 2, list(size)),
        taps,
        dtype,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("naxes", [1, 2, 3])
def test_vector_rows_equal_torch(rng, dtype, naxes):
    # torch sums each window in row-major order and divides once (an
    # adaptive window by its height, then width): bit for bit ours.
    torch = _torch()
    F = torch.nn.functional
    x = rng.standard_normal(VECTOR_SHAPES[naxes]).astype(dtype)
    xt = torch.from_numpy(x)
    for k, s, p, ceil_mode, include_pad, divisor in VECTOR_PARAMS:
        params = (k, s, p, ceil_mode, include_pad, divisor)
        if naxes == 1:
            k, s, p = (v[-1] if isinstance(v, tuple) else v for v in (k, s, p))
            want = F.avg_pool1d(xt, k, s, p, ceil_mode, include_pad)
        elif naxes == 2:
            want = F.avg_pool2d(xt, k, s, p, ceil_mode, include_pad, divisor)
        else:
            k, s, p = _as_3d(params)[:3]
            want = F.avg_pool3d(xt, k, s, p, ceil_mode, include_pad, divisor)
        np.testing.assert_array_equal(_vector_call(naxes, x, params), want.numpy())
    if naxes == 2:
        x = rng.standard_normal((2, 3, 8, 48)).astype(dtype)
        for size in [(4, 16), (3, 24), (8, 8)]:
            want = F.adaptive_avg_pool2d(torch.from_numpy(x), size).numpy()
            np.testing.assert_array_equal(nn.adaptive_avg_pool2d(x, size), want)


@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    # The row kernels and the thread split under each ISA, in a fresh
    # process (the choice is made once per process).
    run_tests_under_isa(
        __file__,
        isa,
        "vector_rows or threads_bitwise or exact_data or adaptive_avg_pool_equals or global",
    )


# -- bad input ----------------------------------------------------------------

X2 = np.zeros((1, 2, 6, 6))


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: nn.avg_pool2d(X2, 0), ValueError, "kernel_size"),
        (lambda: nn.avg_pool2d(X2, (2, 2, 2)), ValueError, "kernel_size"),
        (lambda: nn.avg_pool2d(X2, 2.5), TypeError, "kernel_size"),
        (lambda: nn.avg_pool2d(X2, 2**63), ValueError, "kernel_size"),
        (lambda: nn.avg_pool2d(X2, 2, 0), ValueError, "stride"),
        (lambda: nn.avg_pool2d(X2, 2, 2**70), ValueError, "stride"),
        (lambda: nn.avg_pool2d(X2, 2, 1, 2**63), ValueError, "padding"),
        (lambda: nn.avg_pool2d(X2, 2, 1, -1), ValueError, "padding"),
        (lambda: nn.avg_pool2d(X2, 3, 1, 2), ValueError, "padding"),
        (lambda: nn.avg_pool1d(X2[0], 2, 1, 2), ValueError, "padding"),
        (lambda: nn.avg_pool2d(X2, 7), ValueError, "input"),
        (lambda: nn.avg_pool2d(X2, 2, ceil_mode=1), TypeError, "ceil_mode"),
        (lambda: nn.avg_pool2d(X2, 2, count_include_pad="no"), TypeError, "count_include_pad"),
        (lambda: nn.avg_pool2d(X2, 2, divisor_override=0), ValueError, "divisor_override"),
        (lambda: nn.avg_pool2d(X2, 2, divisor_override=1.5), TypeError, "divisor_override"),
        (lambda: nn.avg_pool2d(X2, 2, divisor_override=True), TypeError, "divisor_override"),
        (lambda: nn.avg_pool2d(X2, 2, divisor_override=2**63), ValueError, "divisor_override"),
        (lambda: nn.avg_pool2d(X2.astype(np.int32), 2), TypeError, "input"),
        (lambda: nn.avg_pool2d(X2.astype(np.uint8), 2), TypeError, "input"),
        (lambda: nn.avg_pool2d(X2.astype(bool), 2), TypeError, "input"),
        (lambda: nn.avg_pool2d(X2.astype(np.complex128), 2), TypeError, "input"),
        (lambda: nn.avg_pool2d(X2.astype(object), 2), TypeError, "input"),
        (lambda: nn.avg_pool2d(np.array([["a"]]), 1), TypeError, "input"),
        (lambda: nn.avg_pool2d(X2[0, 0], 2), ValueError, "input"),
        (lambda: nn.avg_pool1d(X2, 2), ValueError, "input"),
        (lambda: nn.avg_pool2d(np.zeros((1, 0, 4, 4)), 2), ValueError, "input"),
        (lambda: nn.avg_pool2d(X2, 2, threads=0), ValueError, "threads"),
        (lambda: nn.avg_pool2d(X2, 2, threads=True), TypeError, "threads"),
        (lambda: nn.avg_pool2d(X2, 2, out=np.empty((1, 2, 3, 3), np.float32)), TypeError, "out"),
        (lambda: nn.avg_pool2d(X2, 2, out=np.empty((1, 2, 3, 4))), ValueError, "out"),
        (lambda: nn.avg_pool2d(X2, 2, out=[0.0]), TypeError, "out"),
        (lambda: nn.adaptive_avg_pool2d(X2.astype(np.int64), 2), TypeError, "input"),
        (lambda: nn.adaptive_avg_pool1d(X2[0].astype(np.int64), 2), TypeError, "input"),
        (lambda: nn.adaptive_avg_pool2d(X2, -1), ValueError, "output_size"),
        (lambda: nn.adaptive_avg_pool2d(X2, (2,)), ValueError, "output_size"),
        (lambda: nn.adaptive_avg_pool2d(X2, (2, 2, 2)), ValueError, "output_size"),
        (lambda: nn.adaptive_avg_pool2d(X2, 2.0), TypeError, "output_size"),
        (lambda: nn.adaptive_avg_pool2d(X2, 2**62 + 1), ValueError, "output_size"),
        (lambda: nn.adaptive_avg_pool2d(X2, (2**61, 2)), ValueError, "output_size"),
        (lambda: nn.adaptive_avg_pool1d(X2[0], None), TypeError, "output_size"),
        (lambda: nn.adaptive_avg_pool1d(X2[0], (2, 3)), ValueError, "output_size"),
        (lambda: nn.adaptive_avg_pool2d(np.zeros((2, 3, 0, 4)), 2), ValueError, "input"),
        (lambda: nn.adaptive_avg_pool2d(X2, 2, out=np.empty((1, 2, 3, 3))), ValueError, "out"),
    ],
)
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_out_overlapping_the_input_is_refused():
    x = np.zeros((1, 2, 4, 4))
    with pytest.raises(ValueError, match="out"):
        nn.avg_pool2d(x, 1, out=x)
    with pytest.raises(ValueError, match="out"):
        nn.adaptive_avg_pool2d(x, (4, 4), out=x)


# -- PyTorch ------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64])
@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("naxes", [1, 2])
def test_avg_pool_equals_torch(rng, dtype, params, naxes):
    # torch's CPU kernel also sums each window in row-major order and then
    # divides once: the results agree bit for bit.
    torch = _torch()
    F = torch.nn.functional
    k, s, p, ceil_mode, include_pad, divisor = params
    for shape in shapes(naxes):
        if np.dtype(dtype).kind == "i":
            x = rng.integers(-1000, 1001, shape)
        else:
            x = rng.standard_normal(shape).astype(dtype)
        if naxes == 1:
            k1, s1, p1 = (v[-1] if isinstance(v, tuple) else v for v in (k, s, p))
            want = F.avg_pool1d(torch.from_numpy(x), k1, s1, p1, ceil_mode, include_pad)
        else:
            want = F.avg_pool2d(torch.from_numpy(x), k, s, p, ceil_mode, include_pad, divisor)
        np.testing.assert_array_equal(_call(naxes, x, params), want.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("naxes", [1, 2])
def test_adaptive_avg_pool_equals_torch(rng, dtype, naxes):
    # torch sums each window in row-major order and divides by its height,
    # then by its width -- bit for bit ours -- except for a 1x1 output (and
    # a 1-D output of 1, pooled by torch as 1x1),
    # which it computes as a mean (another summation order): within the
    # oracle's bound there.
    torch = _torch()
    F = torch.nn.functional
    for shape in shapes(naxes):
        x = rng.standard_normal(shape).astype(dtype)
        xt = torch.from_numpy(x)
        for out in ADAPTIVE_SIZES:
            for size in [out] if naxes == 1 else [(out, 3), (2, out), (out, out), (None, out)]:
                if naxes == 1:
                    ours, want = nn.adaptive_avg_pool1d(x, out), F.adaptive_avg_pool1d(xt, out)
                else:
                    ours, want = nn.adaptive_avg_pool2d(x, size), F.adaptive_avg_pool2d(xt, size)
                want = want.numpy()
                assert ours.shape == want.shape
                if ours.shape[-naxes:] == (1,) * naxes:  # (1-D: torch pools 1x1 in 2-D)
                    exact = oracle_adaptive(x, naxes, [1] * naxes)
                    scale = oracle_adaptive(np.abs(x), naxes, [1] * naxes)
                    taps = math.prod(shape[-naxes:])
                    assert_within_bound(ours, exact, scale, taps, dtype)
                    assert_within_bound(want, exact, scale, taps, dtype)
                else:
                    np.testing.assert_array_equal(ours, want)


def test_torch_refuses_what_we_refuse():
    torch = _torch()
    F = torch.nn.functional
    for dtype in (np.int32, np.uint8, np.bool_):
        x = np.zeros((1, 2, 4, 4), dtype)
        with pytest.raises((RuntimeError, NotImplementedError)):
            F.avg_pool2d(torch.from_numpy(x), 2)
        with pytest.raises(TypeError, match="input"):
            nn.avg_pool2d(x, 2)
    x = np.zeros((1, 2, 4, 4), np.int64)
    with pytest.raises((RuntimeError, NotImplementedError)):
        F.adaptive_avg_pool2d(torch.from_numpy(x), 2)
    with pytest.raises(TypeError, match="input"):
        nn.adaptive_avg_pool2d(x, 2)
