"""The FFT path of convolve/correlate (method="fft" and "auto"): the same
results as the direct path for every keyword, the normwise accuracy bound,
and the choices of method="auto" and choose_conv_method."""

import math

import numpy as np
import pytest
from conftest import random_array

import fastconv
from fastconv import _cost, _signal

BOUNDARIES = ["fill", "wrap", "symm", "mirror", "nearest"]

# The FFT path's normwise bound, stated in docs/conventions.md:
#   ||fft - exact||_2 <= C * u * log2(L) * ||x||_2 * ||k||_2
# with u the unit roundoff of the dtype and L the largest transform length.
C = 10


def assert_normwise(got, exact, x, k, dtype):
    u = np.finfo(dtype).eps / 2
    length = max(n + m - 1 for n, m in zip(x.shape, k.shape))
    bound = C * u * math.log2(max(length, 2)) * np.linalg.norm(x) * np.linalg.norm(k)
    err = np.linalg.norm((got.astype(np.clongdouble) - exact).ravel())
    assert err <= bound, (err, bound)
    return err / bound


@pytest.mark.parametrize("kind", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"stride": (2, 3)},
        {"dilation": (2, 1)},
        {"fillvalue": 2.5},
        {"stride": 2, "dilation": 3},
    ],
)
def test_fft_equals_direct_2d(rng, kind, mode, boundary, extra):
    x = rng.standard_normal((37, 41))
    k = rng.standard_normal((6, 5))
    f = getattr(fastconv, kind)
    direct = f(x, k, mode, method="direct", boundary=boundary, **extra)
    fft = f(x, k, mode, method="fft", boundary=boundary, **extra)
    assert fft.shape == direct.shape and fft.dtype == direct.dtype
    exact = f(
        x.astype(np.longdouble),
        k.astype(np.longdouble),
        mode,
        method="direct",
        boundary=boundary,
        **extra,
    )
    assert_normwise(fft, exact, x, k, np.float64)


@pytest.mark.parametrize("kind", ["convolve", "correlate"])
@pytest.mark.parametrize("anchor", ["matlab", (0, 0), (5, 4), (2, 1)])
def test_fft_anchors(rng, kind, anchor):
    x = rng.standard_normal((30, 33))
    k = rng.standard_normal((6, 5))
    f = getattr(fastconv, kind)
    direct = f(x, k, "same", method="direct", anchor=anchor, boundary="symm")
    fft = f(x, k, "same", method="fft", anchor=anchor, boundary="symm")
    np.testing.assert_allclose(fft, direct, rtol=0, atol=1e-12 * np.abs(direct).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_fft_dtypes_and_axes(rng, dtype):
    # 1-D filtering along axis 1 of a batch, kernel broadcast over the batch
    x = random_array(rng, (4, 3000), dtype)
    k = random_array(rng, (1, 200), dtype)
    for kind in ("convolve", "correlate"):
        f = getattr(fastconv, kind)
        fft = f(x, k, "same", method="fft", axes=1, boundary="wrap")
        direct = f(x, k, "same", method="direct", axes=1, boundary="wrap")
        assert fft.dtype == np.dtype(dtype)  # float32 stays float32
        wide = np.clongdouble if np.dtype(dtype).kind == "c" else np.longdouble
        exact = f(x.astype(wide), k.astype(wide), "same", method="direct", axes=1, boundary="wrap")
        assert_normwise(fft, exact, x, k, dtype)
        assert np.abs(fft - direct).max() > 0 or dtype in (np.float64,)  # not the same path


def test_fft_writes_into_out(rng):
    x = rng.standard_normal(5000).astype(np.float32)
    k = rng.standard_normal(300).astype(np.float32)
    out = np.empty(5000, np.float32)
    res = fastconv.convolve(x, k, "same", method="fft", out=out)
    assert res is out
    np.testing.assert_allclose(out, fastconv.convolve(x, k, "same", method="direct"), atol=1e-3)


def test_fft_integers_are_rounded_exactly(rng):
    x = rng.integers(-1000, 1000, 20000)
    k = rng.integers(-1000, 1000, 500)
    fft = fastconv.convolve(x, k, method="fft")
    assert fft.dtype == np.int64
    np.testing.assert_array_equal(fft, fastconv.convolve(x, k, method="direct"))


def test_fft_path_same_bytes_for_any_thread_count(rng):
    # (three axes: one or two take the C++ overlap-save path instead)
    x = rng.standard_normal((30, 40, 20)).astype(np.float32)
    k = rng.standard_normal((10, 10, 5)).astype(np.float32)
    a = fastconv.convolve(x, k, "same", method="fft", threads=1)
    b = fastconv.convolve(x, k, "same", method="fft", threads=2)
    assert a.tobytes() == b.tobytes()


def test_fft_workers_only_where_they_keep_the_bytes(rng, monkeypatch):
    # scipy 1.18's float32 N-D transforms round differently with workers > 1
    # (and the same bytes for any thread count are promised): the transforms
    # get the thread count as workers only where scipy keeps the bytes.
    scipy_fft = pytest.importorskip("scipy.fft")
    from fastconv import _fft

    assert _fft._fft_backend()[0] is scipy_fft
    seen = []
    real_rfftn = scipy_fft.rfftn

    def spy(*args, **kwargs):
        seen.append(kwargs.get("workers"))
        return real_rfftn(*args, **kwargs)

    monkeypatch.setattr(scipy_fft, "rfftn", spy)
    # (three axes: one or two take the C++ overlap-save path instead)
    x = rng.standard_normal((30, 40, 20)).astype(np.float32)
    k = rng.standard_normal((10, 10, 5)).astype(np.float32)
    for exact, workers in ((False, {1}), (True, {2})):
        monkeypatch.setattr(_fft, "_workers_exact", exact)
        seen.clear()
        fastconv.convolve(x, k, "same", method="fft", threads=2)
        assert set(seen) == workers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kshape", [((200_000,), (2000,)), ((300, 300), (41, 41))])
def test_accuracy_bound(rng, dtype, shape, kshape):
    """The stated normwise bound holds, on plain and on badly scaled data
    (values spread over 12 orders of magnitude)."""
    for scaled in (False, True):
        x = rng.standard_normal(shape)
        if scaled:
            x *= 10.0 ** rng.integers(-6, 6, shape)
        x = x.astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        fft = fastconv.convolve(x, k, method="fft")
        # the exact answer from scipy's direct sum (independent of fastconv)
        # in a wider type: its error is ~1e-8 (float32 -> float64) or
        # ~1e-3 (float64 -> long double) of the bound
        signal = pytest.importorskip("scipy.signal")
        wide = np.float64 if dtype == np.float32 else np.longdouble
        exact = signal.convolve(x.astype(wide), k.astype(wide), method="direct")
        assert_normwise(fft, exact, x, k, dtype)


# -- method="auto" ------------------------------------------------------------


def big_1d(rng, dtype=np.float64):
    return rng.standard_normal(200_000).astype(dtype), rng.standard_normal(3000).astype(dtype)


def test_auto_takes_the_fft_for_long_kernels(rng):
    x, k = big_1d(rng)
    assert fastconv.choose_conv_method(x, k) == "fft"
    auto = fastconv.convolve(x, k, "same")
    fft = fastconv.convolve(x, k, "same", method="fft")
    assert auto.tobytes() == fft.tobytes()
    assert auto.tobytes() != fastconv.convolve(x, k, "same", method="direct").tobytes()


def test_auto_keeps_direct_for_short_kernels(rng):
    x = rng.standard_normal(200_000)
    k = rng.standard_normal(15)
    assert fastconv.choose_conv_method(x, k) == "direct"
    assert fastconv.convolve(x, k).tobytes() == fastconv.convolve(x, k, method="direct").tobytes()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["in1", "in2"])
def test_auto_never_takes_the_fft_with_nan_or_inf(rng, bad, where):
    x, k = big_1d(rng)
    (x if where == "in1" else k)[7] = bad
    assert fastconv.choose_conv_method(x, k) == "direct"
    auto = fastconv.convolve(x, k, "same")
    direct = fastconv.convolve(x, k, "same", method="direct")
    np.testing.assert_array_equal(auto, direct)
    # the FFT spreads it over its whole transform (block), far past the
    # kernel's reach that the direct result confines it to
    with pytest.warns(RuntimeWarning, match="NAN or inf"):
        spread = fastconv.convolve(x, k, "same", method="fft")
    if where == "in1":
        assert (~np.isfinite(spread)).sum() > 2 * (~np.isfinite(direct)).sum()


def test_auto_integers_within_2_52_take_the_fft_exactly(rng):
    x = rng.integers(-100, 100, 200_000)
    k = rng.integers(-100, 100, 3000)
    assert fastconv.choose_conv_method(x, k) == "fft"
    np.testing.assert_array_equal(fastconv.convolve(x, k), fastconv.convolve(x, k, method="direct"))


def test_auto_integers_beyond_2_52_stay_direct(rng):
    x = rng.integers(2**40, 2**41, 200_000)
    k = rng.integers(2**20, 2**21, 3000)
    assert fastconv.choose_conv_method(x, k) == "direct"
    np.testing.assert_array_equal(
        fastconv.convolve(x, k, "same"), fastconv.convolve(x, k, "same", method="direct")
    )


def test_auto_long_double_stays_direct(rng):
    x, k = big_1d(rng, np.longdouble)
    assert fastconv.choose_conv_method(x, k) == "direct"


def test_auto_rank_one_kernel_follows_the_cost_model(rng, monkeypatch):
    # The rule, not one machine's crossover: a rank-one kernel takes the
    # separable path unless the model predicts the FFT faster (and the
    # inputs are finite). Where the crossover lies depends on the machine's
    # rates, so the model's FFT estimate is set here to either side of it.

    x = rng.standard_normal((512, 512))
    k = np.outer(np.hanning(65)[1:-1], np.hanning(65)[1:-1])
    monkeypatch.setattr(_cost, "fft_path_seconds", lambda *a, **kw: 0.0)
    assert _cost.fft_beats_separable(x, k)
    assert fastconv.choose_conv_method(x, k) == "fft"
    bad = x.copy()
    bad[3, 3] = np.nan
    assert not _cost.fft_beats_separable(bad, k)
    assert fastconv.choose_conv_method(bad, k) == "direct"
    monkeypatch.setattr(_cost, "fft_path_seconds", lambda *a, **kw: np.inf)
    assert not _cost.fft_beats_separable(x, k)
    assert fastconv.choose_conv_method(x, k) == "direct"


def test_choose_conv_method_measure(rng):
    x, k = big_1d(rng)
    method, times = fastconv.choose_conv_method(x[:20000], k[:500], measure=True)
    assert method in ("fft", "direct") and set(times) == {"fft", "direct"}
    assert method == min(times, key=times.get)


class _Ran(Exception):
    """Raised by the patched paths: which one convolve took."""


def _method_convolve_takes(monkeypatch, x, k, mode):
    """'fft' or 'direct' (separable included): the path convolve(x, k,
    mode) runs, stopped at its start."""
    from fastconv import _core, _fft_path

    def ran(method):
        def stop(*args, **kwargs):
            raise _Ran(method)

        return stop

    real_plain = _core.plain

    def plain(*args):
        # (the fast path's C++ entry declines, with None, what it does not take)
        if real_plain(*args) is not None:
            raise _Ran("direct")

    with monkeypatch.context() as m:
        m.setattr(_fft_path, "filter_fft", ran("fft"))
        m.setattr(_core, "execute", ran("direct"))
        m.setattr(_core, "plain", plain)
        m.setattr(_signal, "convolve_separable", ran("direct"))
        try:
            fastconv.convolve(x, k, mode)
        except _Ran as took:
            return took.args[0]
    return "direct"  # (no kernel call: trivial inputs)


def _choice_grid(rng):
    # the problems where the two rules used to disagree: a uint8 image with
    # a rank-one float kernel (the separable path needs a float image) ...
    for n, kn in [(300, 40), (300, 127), (512, 64), (700, 90), (1024, 40), (1024, 127)]:
        img = rng.integers(0, 256, (n, n), dtype=np.uint8)
        g = np.exp(-(np.linspace(-2, 2, kn) ** 2))
        yield img, np.outer(g, g), "same"
        yield img.astype(np.float32), np.outer(g, g).astype(np.float32), "same"
    # ... bool (scipy's rule: direct), and a spread of dtypes, sizes and modes
    b = np.ones(100_000, bool)
    yield b, b[:5000], "full"
    for shape, kshape in [
        ((200_000,), (3000,)),
        ((200_000,), (20,)),
        ((50_000,), (600,)),
        ((300, 300), (30, 30)),
        ((600, 500), (9, 9)),
        ((256, 256), (64, 3)),
    ]:
        for dtype in (np.float64, np.float32, np.complex128, np.int32):
            x, k = random_array(rng, shape, dtype), random_array(rng, kshape, dtype)
            for mode in ("full", "same", "valid"):
                yield x, k, mode
    big, small = rng.standard_normal((40, 40)), rng.standard_normal((300, 300))
    yield big, small, "valid"  # scipy's input swap


def test_choose_conv_method_is_the_method_convolve_takes(rng, monkeypatch):
    """One rule: choose_conv_method answers the path convolve(method='auto')
    runs, for every problem of a grid that reaches both answers."""
    seen = set()
    for x, k, mode in _choice_grid(rng):
        took = _method_convolve_takes(monkeypatch, x, k, mode)
        assert fastconv.choose_conv_method(x, k, mode) == took, (
            x.shape,
            x.dtype,
            k.shape,
            k.dtype,
            mode,
        )
        seen.add(took)
    assert seen == {"direct", "fft"}


def test_choose_conv_method_bool_and_errors():
    b = np.ones(100_000, bool)
    assert fastconv.choose_conv_method(b, b[:5000]) == "direct"
    with pytest.raises(ValueError, match="mode"):
        fastconv.choose_conv_method(np.ones(10), np.ones(3), mode="bogus")
    with pytest.raises(ValueError, match="dimensionality"):
        fastconv.choose_conv_method(np.ones(10), np.ones((3, 3)))


def test_fft_path_on_the_numpy_backend(rng, monkeypatch):
    # Without scipy the transforms come from numpy.fft (no workers): the
    # same results, small kernels transformed axis by axis included.
    from fastconv import _fft

    monkeypatch.setattr(_fft, "_backend", (np.fft, _fft._next_fast_len))
    x = rng.standard_normal((120, 130))
    for k in (rng.standard_normal((7, 9)), rng.standard_normal((70, 90))):
        for boundary in ("fill", "mirror"):
            fft = fastconv.convolve(x, k, "same", method="fft", boundary=boundary)
            exact = fastconv.convolve(
                x.astype(np.longdouble),
                k.astype(np.longdouble),
                "same",
                method="direct",
                boundary=boundary,
            )
            assert_normwise(fft, exact, x, k, np.float64)
    s = rng.standard_normal(50_000)
    h = rng.standard_normal(900)  # long enough for overlap-add
    fft = fastconv.correlate(s, h, "valid", method="fft")
    exact = fastconv.correlate(
        s.astype(np.longdouble), h.astype(np.longdouble), "valid", method="direct"
    )
    assert_normwise(fft, exact, s, h, np.float64)
