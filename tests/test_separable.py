"""convolve_separable: MATLAB's conv2(u, v, A), checked against convolve2d
with the outer-product kernel, the oracle and MATLAB's crop rules."""

import numpy as np
import pytest
from conftest import BOUNDARIES, random_array

import fastconv
from fastconv import _oracle


@pytest.mark.parametrize(
    "dtype", [np.float32, np.float64, np.complex64, np.complex128, np.longdouble]
)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("stride", [1, (2, 3)])
def test_equals_convolve2d_with_the_outer_product(rng, dtype, mode, boundary, stride):
    x = random_array(rng, (23, 41), dtype)
    col = random_array(rng, 5, dtype)
    row = random_array(rng, 4, dtype)
    ours = fastconv.convolve_separable(
        x, col, row, mode, boundary=boundary, fillvalue=0.5, stride=stride
    )
    ref = fastconv.convolve2d(x, np.outer(col, row), mode, boundary, 0.5, stride=stride)
    assert ours.dtype == ref.dtype and ours.shape == ref.shape
    eps = np.finfo(dtype).eps
    scale = fastconv.convolve2d(
        np.abs(x), np.outer(np.abs(col), np.abs(row)), mode, boundary, 0.5, stride=stride
    )
    assert np.all(np.abs(ours - ref) <= 40 * eps * (scale + 1))


@pytest.mark.parametrize("anchor", ["matlab", (0, 0), (4, 1), 2])
def test_same_anchors(rng, anchor):
    x = random_array(rng, (9, 10), np.float64)
    col, row = random_array(rng, 6, np.float64), random_array(rng, 4, np.float64)
    ours = fastconv.convolve_separable(x, col, row, "same", anchor=anchor, boundary="symm")
    ref = _oracle.convolve(
        x,
        np.outer(col, row),
        "same",
        boundary="symm",
        anchor=anchor if not isinstance(anchor, tuple) else anchor,
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


def test_matlab_crop_for_even_kernels(rng):
    # MATLAB conv2(u, v, A, 'same') keeps the central part starting at
    # ke//2 of the full result; scipy's crop starts one sample earlier.
    x = random_array(rng, (7, 8), np.float64)
    col, row = np.array([1.0, 2.0]), np.array([1.0, -1.0, 3.0, 0.5])
    full = fastconv.convolve_separable(x, col, row, "full")
    matlab = fastconv.convolve_separable(x, col, row, "same", anchor="matlab")
    np.testing.assert_allclose(matlab, full[1:8, 2:10], rtol=1e-12)
    scipy_crop = fastconv.convolve_separable(x, col, row, "same")
    np.testing.assert_allclose(scipy_crop, full[0:7, 1:9], rtol=1e-12)


def test_valid_never_swaps():
    x = np.ones((3, 10))
    res = fastconv.convolve_separable(x, np.ones(5), np.ones(3), "valid")
    assert res.shape == (0, 8)
    assert fastconv.convolve_separable(np.ones((0, 4)), [1.0], [1.0]).shape == (0, 4)


def test_integer_and_object_inputs(rng):
    x = random_array(rng, (6, 7), np.int16)
    col, row = np.array([1, -2, 3], np.int16), np.array([2, 1], np.int16)
    res = fastconv.convolve_separable(x, col, row, "same", boundary="wrap")
    np.testing.assert_array_equal(
        res, fastconv.convolve2d(x, np.outer(col, row), "same", boundary="wrap")
    )
    assert res.dtype == np.int16
    from fractions import Fraction

    xo = np.array([[Fraction(1, 3), 1], [2, 3]], dtype=object)
    reso = fastconv.convolve_separable(
        xo, np.array([1, Fraction(1, 2)], dtype=object), np.array([3], dtype=object)
    )
    assert reso.tolist() == _oracle.convolve(xo, np.outer([1, Fraction(1, 2)], [3])).tolist()


def test_threads_and_out(rng):
    x = random_array(rng, (400, 300), np.float32)
    col, row = random_array(rng, 15, np.float32), random_array(rng, 15, np.float32)
    a = fastconv.convolve_separable(x, col, row, "same", threads=1)
    b = fastconv.convolve_separable(x, col, row, "same", threads=2)
    assert a.tobytes() == b.tobytes()
    out = np.empty_like(a)
    assert fastconv.convolve_separable(x, col, row, "same", out=out) is out
    np.testing.assert_array_equal(out, a)


def test_bad_arguments():
    x = np.ones((4, 4))
    with pytest.raises(ValueError, match="in1"):
        fastconv.convolve_separable(np.ones(4), [1.0], [1.0])
    with pytest.raises(ValueError, match="col and row"):
        fastconv.convolve_separable(x, np.ones((2, 2)), [1.0])
    with pytest.raises(ValueError, match="mode"):
        fastconv.convolve_separable(x, [1.0], [1.0], "bogus")
    with pytest.raises(ValueError, match="stride"):
        fastconv.convolve_separable(x, [1.0], [1.0], stride=0)
    with pytest.raises(ValueError, match="anchor"):
        fastconv.convolve_separable(x, [1.0, 2.0], [1.0], "same", anchor=(2, 0))
    with pytest.raises(ValueError, match="anchor"):
        fastconv.convolve_separable(x, [1.0], [1.0], "full", anchor=0)
    with pytest.raises(ValueError, match="boundary"):
        fastconv.convolve_separable(x, [1.0], [1.0], boundary="reflect")
    with pytest.raises(TypeError, match="out"):
        fastconv.convolve_separable(x, [1.0], [1.0], out=np.empty((4, 4), np.float32))


# ---- method="auto": rank-one 2-D kernels take the separable path ----


def _gaussian(n, sigma, dtype=np.float64):
    g = np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / sigma) ** 2).astype(dtype)
    return g / g.sum()


@pytest.mark.parametrize("fn", ["convolve", "correlate", "convolve2d", "correlate2d"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_auto_takes_the_separable_path_for_rank_one_kernels(rng, fn, dtype):
    from fastconv import _cost

    x = random_array(rng, (400, 380), dtype)  # large enough for auto to check the rank
    a, b = random_array(rng, 7, dtype), random_array(rng, 6, dtype)
    k = np.outer(a, b)
    col, row = _cost.rank_one_factors(k)
    assert np.abs(np.outer(col, row) - k).max() <= 4 * np.finfo(dtype).eps * np.abs(k).max()
    for mode in ("full", "same", "valid"):
        for boundary in ("fill", "symm"):
            res = getattr(fastconv, fn)(x, k, mode, boundary=boundary)
            # per-element accuracy of this (separable-path) result itself,
            # against scipy's direct 2-D sum: the full result cropped by
            # fn's own 'same' rule. Both sides err by at most ~(taps + 4) *
            # u * sum|terms| (the factorisation adds ~4u, Higham 3.1), so
            # 2 * (taps + 4) * eps * sum|terms| with 2x room; a float64
            # path computing in float32 fails by 10**6.
            signal = pytest.importorskip("scipy.signal")
            ref_fn = signal.convolve2d if fn.startswith("convolve") else signal.correlate2d
            exact = ref_fn(x, k, "full", boundary)
            scale = np.abs(ref_fn(np.abs(x), np.abs(k), "full", boundary))
            if mode == "valid":
                start = [m - 1 for m in k.shape]
                size = [n - m + 1 for n, m in zip(x.shape, k.shape)]
            elif mode == "same":
                high = fn == "correlate2d"
                start = [m // 2 if high else (m - 1) // 2 for m in k.shape]
                size = list(x.shape)
            else:
                start, size = [0, 0], list(exact.shape)
            crop = tuple(slice(s0, s0 + n) for s0, n in zip(start, size))
            bound = 2 * (k.size + 4) * np.finfo(dtype).eps * scale[crop] + 1e-300
            assert res.shape == tuple(size)
            assert np.all(np.abs(res - exact[crop]) <= bound), (fn, mode, boundary)
            # and it is the separable path: the same bits as convolve_separable
            if fn.startswith("correlate"):
                sep_col, sep_row = np.conj(col[::-1]), np.conj(row[::-1])
                sep_anchor = "matlab" if (fn == "correlate2d" and mode == "same") else None
            else:
                sep_col, sep_row, sep_anchor = col, row, None
            sep = fastconv.convolve_separable(
                x, sep_col, sep_row, mode, boundary=boundary, anchor=sep_anchor
            )
            assert res.tobytes() == sep.tobytes()


def test_nearly_rank_one_kernels_keep_the_direct_path(rng):
    from fastconv import _cost

    x = random_array(rng, (250, 250), np.float64)  # large enough to check the rank
    g = _gaussian(9, 2.0)
    k = np.outer(g, g)
    k_near = k.copy()
    k_near[3, 4] += 1e-9 * np.abs(k).max()  # far above rounding, far below visibility
    assert _cost.rank_one_factors(k) is not None
    assert _cost.rank_one_factors(k_near) is None
    direct = fastconv.convolve(x, k_near, "same", method="direct")
    auto = fastconv.convolve2d(x, k_near, "same")
    assert auto.tobytes() == fastconv.convolve2d(x, k_near, "same", threads=1).tobytes()
    np.testing.assert_array_equal(auto, direct)
    # small kernels, integer kernels and NaN stay direct too
    assert _cost.rank_one_factors(np.ones((3, 3))) is None
    assert _cost.rank_one_factors(np.ones((5, 5), np.int64)) is None
    k_nan = k.copy()
    k_nan[0, 0] = np.nan
    assert _cost.rank_one_factors(k_nan) is None


def test_separable_path_keeps_scipy_semantics(rng):
    signal = pytest.importorskip("scipy.signal")
    x = random_array(rng, (300, 290), np.float64)  # large enough for the separable path
    g = _gaussian(7, 1.5)
    k = np.outer(g, g[::-1] + 0.1)
    for fn in ("convolve2d", "correlate2d"):
        for mode in ("full", "same", "valid"):
            for boundary in ("fill", "wrap", "symm"):
                ours = getattr(fastconv, fn)(x, k, mode, boundary, 0.5)
                theirs = getattr(signal, fn)(x, k, mode, boundary, 0.5)
                np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    # scipy's 'valid' swap still goes the direct way
    small = random_array(rng, (5, 6), np.float64)
    theirs = signal.convolve2d(small, x, "valid")
    np.testing.assert_allclose(
        fastconv.convolve2d(small, x, "valid"),
        theirs,
        rtol=1e-12,
        atol=1e-12 * np.abs(theirs).max(),
    )
