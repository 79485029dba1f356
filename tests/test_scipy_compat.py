"""The scipy-named functions against scipy.signal itself: values, dtypes,
the 'same' crop of each function, input swapping and errors."""

import itertools

import numpy as np
import pytest
from conftest import random_array

import fastconv

signal = pytest.importorskip("scipy.signal")

DTYPES = [
    np.bool_,
    np.int8,
    np.uint8,
    np.int32,
    np.int64,
    np.float32,
    np.float64,
    np.complex64,
    np.complex128,
]


def _same(ours, theirs, dtype, scale=None, taps=1):
    """Equal dtype and shape; integers exactly, floating point within the
    bound of two independently ordered sums. Each side's error is at most
    ~ (taps + 2) * u * scale (u = eps/2, scale = the same sum of |terms|,
    Higham 3.1; the +2 covers complex products), so |ours - theirs| <=
    (taps + 2) * eps * scale; the factor 2 on top is room. A float64 case
    computed in float32, or a float32 one in float16, is 10**4+ times over."""
    assert ours.dtype == theirs.dtype
    assert ours.shape == theirs.shape
    dtype = np.dtype(dtype)
    if dtype.kind in "biu":
        np.testing.assert_array_equal(ours, theirs)
        return
    bound = 2 * (taps + 2) * np.finfo(dtype).eps * scale + 1e-300
    err = np.abs(ours.astype(np.complex128) - theirs.astype(np.complex128))
    assert np.all(err <= bound), float((err / bound).max())


def _abs_scale(name, x, h, *args, **kw):
    """scipy's result on |x|, |h| (and |fillvalue|) in float64: the sum of
    |terms| of every output."""
    return np.abs(
        getattr(signal, name)(
            np.abs(x).astype(np.float64), np.abs(h).astype(np.float64), *args, **kw
        )
    )


@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize(
    "shapes",
    [((6, 7), (3, 3)), ((5, 8), (2, 4)), ((2, 3), (4, 6)), ((4, 4), (4, 4)), ((1, 9), (1, 21))],
)
def test_2d_against_scipy(rng, name, mode, boundary, shapes):
    for dtype in (np.int16, np.float32, np.complex128):
        x = random_array(rng, shapes[0], dtype)
        h = random_array(rng, shapes[1], dtype)
        fill = 2 if np.dtype(dtype).kind != "c" else 1 - 1j
        ours = getattr(fastconv, name)(x, h, mode, boundary, fill)
        theirs = getattr(signal, name)(x, h, mode, boundary, fill)
        _same(ours, theirs, dtype, _abs_scale(name, x, h, mode, boundary, abs(fill)), h.size)


@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize(
    "shapes",
    [
        ((9,), (4,)),
        ((3,), (8,)),
        ((5, 6), (2, 3)),
        ((2, 3), (4, 5)),
        ((3, 4, 5), (2, 2, 3)),
        ((4, 3, 2), (5, 4, 3)),
    ],
)
def test_nd_against_scipy(rng, name, mode, shapes):
    for dtype in DTYPES:
        x = random_array(rng, shapes[0], dtype)
        h = random_array(rng, shapes[1], dtype)
        try:
            theirs = getattr(signal, name)(x, h, mode, method="direct")
        except ValueError:
            # scipy's N-D direct path lacks bool; we compute it.
            assert np.dtype(dtype) == np.bool_
            continue
        ours = getattr(fastconv, name)(x, h, mode, method="direct")
        if np.dtype(dtype).kind in "fc":
            scale = _abs_scale(name, x, h, mode, method="direct")
            _same(ours, theirs, dtype, scale, min(x.size, h.size))
        else:
            _same(ours, theirs, dtype)


@pytest.mark.parametrize(
    "t1,t2",
    list(
        itertools.product(
            [np.uint8, np.int16, np.uint64, np.float16, np.float32, np.complex64], repeat=2
        )
    ),
)
def test_result_dtype_matches_scipy(t1, t2):
    x = np.arange(1, 7).reshape(2, 3).astype(t1)
    h = np.array([[1, 2], [3, 1]]).astype(t2)
    ours = fastconv.convolve(x, h)
    theirs = signal.convolve(x, h, method="fft")  # scipy's direct lacks float16
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.astype(np.complex128), theirs.astype(np.complex128), rtol=1e-3)


def test_same_crops_differ_as_in_scipy():
    a = np.arange(1.0, 8.0)
    k = np.array([1.0, 10.0, 100.0, 1000.0])
    for fn in ("convolve", "correlate"):
        np.testing.assert_array_equal(
            getattr(fastconv, fn)(a, k, "same"), getattr(signal, fn)(a, k, "same")
        )
    for fn in ("convolve2d", "correlate2d"):
        np.testing.assert_array_equal(
            getattr(fastconv, fn)(a[None], k[None], "same"),
            getattr(signal, fn)(a[None], k[None], "same"),
        )
    # correlate2d's crop is one sample later than correlate's for even kernels
    assert (
        fastconv.correlate2d(a[None], k[None], "same")[0, 0] == fastconv.correlate(a, k, "same")[1]
    )


@pytest.mark.parametrize("name", ["convolve", "correlate", "convolve2d", "correlate2d"])
def test_valid_swap_complex_matches_scipy(rng, name):
    small = random_array(rng, (2, 3), np.complex128)
    big = random_array(rng, (4, 5), np.complex128)
    ours = getattr(fastconv, name)(small, big, "valid")
    kw = {"method": "direct"} if name in ("convolve", "correlate") else {}
    theirs = getattr(signal, name)(small, big, "valid", **kw)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
def test_fillvalue_rules_match_scipy():
    for fv in (1.7, -3):
        np.testing.assert_array_equal(
            fastconv.convolve2d([[1]], [[1, 2]], fillvalue=fv),
            signal.convolve2d([[1]], [[1, 2]], fillvalue=fv),
        )
    for bad in (1j, [1, 2], []):
        with pytest.raises(ValueError):
            signal.convolve2d([[1]], [[1, 2]], fillvalue=bad)
        with pytest.raises(ValueError):
            fastconv.convolve2d([[1]], [[1, 2]], fillvalue=bad)


def test_nan_inf_propagate_as_ieee():
    x = np.array([[1.0, np.nan, 2.0, 3.0, np.inf, 1.0]])
    h = np.array([[1.0, -1.0]])
    np.testing.assert_array_equal(fastconv.convolve2d(x, h), signal.convolve2d(x, h))


def test_empty_like_scipy():
    for shapes, mode in [
        (((0, 3), (2, 2)), "full"),
        (((2, 2), (0, 3)), "same"),
        (((0, 3), (2, 2)), "same"),
    ]:
        a, b = np.zeros(shapes[0]), np.ones(shapes[1])
        np.testing.assert_array_equal(
            fastconv.convolve2d(a, b, mode), signal.convolve2d(a, b, mode)
        )
    a, b = np.zeros((2, 3)), np.ones((0, 2))
    np.testing.assert_array_equal(
        fastconv.correlate(a, b, "valid"), signal.correlate(a, b, "valid", method="direct")
    )
