"""The C++ real FFT (fastconv::RealFft, through the private bindings
_core.rfft/irfft) against numpy.fft, and the 1-D and 2-D overlap-save
paths of method="fft" (_core.overlap_save, _core.overlap_save_2d) against
the oracle, np.convolve and scipy.signal.convolve2d:
normwise bounds, float32 and float64, batches of rows, non-power-of-two
lengths, and the same bits for any thread count."""

import math

import numpy as np
import pytest
from conftest import random_array, run_script_under_isa
from test_fft_path import assert_normwise

import fastconv
from fastconv import _core, _fft_path, _oracle

# Even sizes whose half is a product of 2, 3 and 5: one pass of each radix,
# mixed radices, and larger ones.
SIZES = [2, 4, 6, 8, 10, 12, 30, 64, 96, 250, 486, 1000, 2048, 6750, 31250]


def _normwise(got, ref, dtype, n):
    """||got - ref|| / (eps log2(n) ||ref||): the transform's error in
    units of its bound (numpy's own error is of the same order)."""
    eps = np.finfo(dtype).eps
    return np.linalg.norm(got - ref) / (eps * math.log2(n) * np.linalg.norm(ref))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", SIZES)
def test_rfft_matches_numpy(n, dtype):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(dtype)
    spectrum = _core.rfft(x)
    assert spectrum.shape == (n // 2 + 1,)
    assert spectrum.dtype == np.result_type(dtype, np.complex64)
    assert _normwise(spectrum, np.fft.rfft(x.astype(np.float64)), dtype, n) <= 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", SIZES)
def test_irfft_matches_numpy(n, dtype):
    rng = np.random.default_rng(n + 1)
    cdtype = np.result_type(dtype, np.complex64)
    spectrum = (rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)).astype(
        cdtype
    )
    got = _core.irfft(spectrum, n)
    assert got.dtype == dtype
    ref = n * np.fft.irfft(spectrum.astype(np.complex128), n)  # (unnormalised)
    assert _normwise(got, ref, dtype, n) <= 2


def test_transform_rejects_bad_arguments():
    for n in (0, 1, 7, 14, 22):  # odd, or half of it with a factor 7 or 11
        with pytest.raises(ValueError, match="size"):
            _core.rfft(np.zeros(n))
    with pytest.raises(ValueError, match="spectrum"):
        _core.irfft(np.zeros(5, complex), 12)
    with pytest.raises(TypeError, match="x"):
        _core.rfft(np.zeros(8, np.int64))
    with pytest.raises(ValueError, match="1-D"):
        _core.rfft(np.zeros((2, 4)))


# --- the overlap-save path ---


def _full_rows(x, h, axis):
    """The full convolution of every line of x along `axis` with the 1-D h,
    in long double (np.convolve: the oracle is too slow for these sizes)."""
    h = h.astype(np.longdouble)
    return np.apply_along_axis(lambda row: np.convolve(row, h), axis, x.astype(np.longdouble))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n, k", [(3001, 57), (1000, 1000), (5, 700), (10007, 1024)])
def test_overlap_save_matches_np_convolve(n, k, mode):
    rng = np.random.default_rng(n + k)
    x, h = rng.standard_normal(n), rng.standard_normal(k)
    got = fastconv.convolve(x, h, mode, method="fft")
    exact = np.convolve(x.astype(np.longdouble), h.astype(np.longdouble), mode)
    if mode == "same":  # (scipy's: in1's length, centred; numpy's: the longer one's)
        full = np.convolve(x.astype(np.longdouble), h.astype(np.longdouble))
        exact = full[(k - 1) // 2 :][:n]
    assert got.shape == exact.shape
    assert_normwise(got, exact, x, h, np.float64)


@pytest.mark.parametrize(
    "extra",
    [
        {"stride": 3},
        {"dilation": 2},
        {"boundary": "symm"},
        {"boundary": "fill", "fillvalue": 1.5},
        {"anchor": 2},
    ],
)
@pytest.mark.parametrize("kind", ["convolve", "correlate"])
def test_overlap_save_keywords_against_oracle(kind, extra):
    x, h = (
        random_array(np.random.default_rng(1), (300,), np.float64),
        random_array(np.random.default_rng(2), (23,), np.float64),
    )
    got = getattr(fastconv, kind)(x, h, "same", method="fft", **extra)
    exact = getattr(_oracle, kind)(x, h, "same", **extra)
    assert got.shape == exact.shape
    assert_normwise(got, exact, x, h, np.float64)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_overlap_save_batches_of_rows(axis):
    # 3-D data, the kernel along one axis: every line is its own row.
    x = random_array(np.random.default_rng(3), (4, 5, 600), np.float64)
    x = np.moveaxis(x, -1, axis)
    shape = [1, 1, 1]
    shape[axis] = 129
    h = random_array(np.random.default_rng(4), tuple(shape), np.float64)
    got = fastconv.convolve(x, h, "full", method="fft")
    exact = _full_rows(x, h.ravel(), axis)
    assert_normwise(got, exact, x, h, np.float64)
    assert _fft_path._overlap_save_applies(x, h, (axis % 3,))


def test_overlap_save_float32():
    rng = np.random.default_rng(5)
    x, h = rng.standard_normal((3, 4000)).astype(np.float32), rng.standard_normal(300)
    h = h.astype(np.float32)[None, :]
    got = fastconv.convolve(x, h, "valid", method="fft")
    assert got.dtype == np.float32
    exact = _full_rows(x, h.ravel(), 1)[:, 299:4000]  # (the valid window)
    assert_normwise(got, exact, x, h, np.float32)


@pytest.mark.parametrize(
    "x_shape, k_shape",
    [((3, 20000), (1, 700)), ((2, 300, 280), (1, 40, 33))],  # the 1-D and the 2-D path
)
def test_overlap_save_same_bits_for_any_thread_count(x_shape, k_shape):
    x, h = (
        random_array(np.random.default_rng(6), x_shape, np.float64),
        random_array(np.random.default_rng(7), k_shape, np.float64),
    )
    one = fastconv.convolve(x, h, "same", method="fft", threads=1)
    for threads in (2, 3):
        assert np.array_equal(one, fastconv.convolve(x, h, "same", method="fft", threads=threads))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_overlap_save_binding_window(dtype):
    # start before the full convolution and a window past its end: zeros there.
    x, h = (
        random_array(np.random.default_rng(8), (2, 50), dtype),
        random_array(np.random.default_rng(9), (9,), dtype),
    )
    out = np.full((2, 30), np.nan, dtype)
    _core.overlap_save(x, h, -7, 2, out, 0)
    full = np.stack([np.convolve(r.astype(np.float64), h.astype(np.float64)) for r in x])
    padded = np.pad(full, ((0, 0), (7, 10)))
    ref = padded[:, ::2][:, :30]
    assert np.abs(out - ref).max() <= 50 * np.finfo(dtype).eps * np.abs(full).max()
    with pytest.raises(ValueError, match="step"):
        _core.overlap_save(x, h, 0, 0, out, 0)
    with pytest.raises(ValueError, match="batch shape"):
        _core.overlap_save(x, h, 0, 1, np.zeros((3, 30), dtype), 0)
    with pytest.raises(TypeError, match="dtype"):
        _core.overlap_save(x, h.astype(np.complex128), 0, 1, out, 0)


# --- the 2-D overlap-save path ---


def _full_planes(x, h):
    """The full 2-D convolution of every plane (last two axes) of x with the
    2-D h, in float64 by scipy.signal.convolve2d (exact enough next to the
    float32 bound; for float64 the oracle checks the keywords below)."""
    signal = pytest.importorskip("scipy.signal")
    planes = x.reshape((-1,) + x.shape[-2:]).astype(np.float64)
    full = [signal.convolve2d(p, h.astype(np.float64)) for p in planes]
    return np.stack(full).reshape(x.shape[:-2] + full[0].shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n, k", [((61, 53), (9, 13)), ((150, 97), (31, 5)), ((7, 300), (3, 129))])
def test_overlap_save_2d_matches_convolve2d(n, k, mode, dtype):
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(n[0] + k[1])
    x, h = rng.standard_normal(n).astype(dtype), rng.standard_normal(k).astype(dtype)
    assert _fft_path._overlap_save_applies(x, h, (0, 1))
    got = fastconv.convolve(x, h, mode, method="fft")
    assert got.dtype == dtype
    ref = signal.convolve2d(x.astype(np.float64), h.astype(np.float64), mode)
    assert got.shape == ref.shape
    assert_normwise(got, ref, x, h, dtype)


@pytest.mark.parametrize(
    "extra",
    [
        {"stride": (2, 3)},
        {"dilation": (2, 1)},
        {"boundary": "symm"},
        {"boundary": "fill", "fillvalue": 1.5},
        {"anchor": (1, 3)},
    ],
)
@pytest.mark.parametrize("kind", ["convolve", "correlate"])
def test_overlap_save_2d_keywords_against_oracle(kind, extra):
    x, h = (
        random_array(np.random.default_rng(10), (23, 19), np.float64),
        random_array(np.random.default_rng(11), (5, 7), np.float64),
    )
    got = getattr(fastconv, kind)(x, h, "same", method="fft", **extra)
    exact = getattr(_oracle, kind)(x, h, "same", **extra)
    assert got.shape == exact.shape
    assert_normwise(got, exact, x, h, np.float64)


@pytest.mark.parametrize("axes", [(1, 2), (0, 2), (0, 1)])
def test_overlap_save_2d_batches_of_planes(axes):
    # 3-D data, the kernel over two of its axes: every plane is its own.
    x = random_array(np.random.default_rng(12), (40, 3, 37), np.float32)
    x = np.moveaxis(x, 1, [a for a in range(3) if a not in axes][0])
    shape = [1, 1, 1]
    shape[axes[0]], shape[axes[1]] = 11, 6
    h = random_array(np.random.default_rng(13), tuple(shape), np.float32)
    assert _fft_path._overlap_save_applies(x, h, axes)
    got = fastconv.convolve(x, h, "full", method="fft")
    other = [a for a in range(3) if a not in axes][0]
    planes = np.moveaxis(x, other, 0)
    exact = np.moveaxis(_full_planes(planes, h.reshape(11, 6)), 0, other)
    assert_normwise(got, exact, x, h, np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_overlap_save_2d_binding_window(dtype):
    # starts before the full convolution, windows past its end: zeros there.
    x, h = (
        random_array(np.random.default_rng(16), (2, 20, 31), dtype),
        random_array(np.random.default_rng(17), (5, 4), dtype),
    )
    out = np.full((2, 12, 20), np.nan, dtype)
    _core.overlap_save_2d(x, h, (-3, 2), (2, 2), out, 0)
    full = _full_planes(x, h)
    ref = np.pad(full, ((0, 0), (3, 10), (0, 10)))[:, ::2, 2::2][:, :12, :20]
    assert np.abs(out - ref).max() <= 50 * np.finfo(dtype).eps * np.abs(full).max()
    with pytest.raises(ValueError, match="step"):
        _core.overlap_save_2d(x, h, (0, 0), (1, 0), out, 0)
    with pytest.raises(ValueError, match="batch shape"):
        _core.overlap_save_2d(x, h, (0, 0), (1, 1), np.zeros((3, 12, 20), dtype), 0)
    with pytest.raises(ValueError, match="2-D"):
        _core.overlap_save_2d(x, h[0], (0, 0), (1, 1), out, 0)
    with pytest.raises(TypeError, match="dtype"):
        _core.overlap_save_2d(x, h.astype(np.complex128), (0, 0), (1, 1), out, 0)


def test_other_cases_keep_the_numpy_path():
    # three axes, complex data, a kernel per line: not the C++ paths
    real = np.zeros((4, 4, 4))
    assert not _fft_path._overlap_save_applies(real, real, (0, 1, 2))
    assert not _fft_path._overlap_save_applies(real.astype(complex), real[:1, :1], (1, 2))
    assert not _fft_path._overlap_save_applies(real, real[:, :1], (1, 2))
    assert not _fft_path._overlap_save_applies(real, real[:, :1], (2,))


# The transforms and both overlap-save paths on sizes whose passes have
# strides and tails of every vector-width class (docs/fft.md: every ISA
# gives the same bits). Run as a script under FASTCONV_FORCE_ISA.
_SAME_BITS_SCRIPT = """
import hashlib, numpy as np, fastconv
from fastconv import _core
h = hashlib.sha256()
rng = np.random.default_rng(29)
for dtype in (np.float32, np.float64):
    for n in (2, 6, 10, 30, 60, 64, 250, 486, 2048, 6750):
        x = rng.standard_normal(n).astype(dtype)
        s = _core.rfft(x)
        h.update(s.tobytes())
        h.update(_core.irfft(s, n).tobytes())
    rows = (((2, 3000), (1, 200)), ((2, 777), (1, 45)))  # (a (1, k) kernel: the 1-D path)
    for shape, kshape in rows + (((300, 260), (35, 29)), ((70, 90), (9, 13))):
        x = rng.standard_normal(shape).astype(dtype)
        k = rng.standard_normal(kshape).astype(dtype)
        h.update(fastconv.convolve(x, k, method="fft").tobytes())
print(fastconv.active_isa(), h.hexdigest())
"""


def test_same_bits_on_every_isa():
    """The FFT path's results are bitwise the same on every ISA this CPU
    runs (each lane runs the same scalar operations, with no FMA)."""
    digests = {}
    for isa in fastconv.available_isas():
        ran, digest = run_script_under_isa(_SAME_BITS_SCRIPT, isa).split()
        assert ran == isa
        digests[isa] = digest
    assert "baseline" in digests
    assert len(set(digests.values())) == 1, digests


@pytest.mark.parametrize("element_size", [4, 8])
@pytest.mark.parametrize("k", [3, 31, 64, 65, 100, 128, 129, 200, 255, 256, 1000])
def test_overlap_save_blocks_yield_at_least_a_kernel_of_outputs(k, element_size):
    """Every block (1-D, and each axis of a 2-D one) yields at least as many
    outputs as the kernel has taps, or covers every output at once: a 2-D
    block capped near the kernel's size once left 2 outputs per axis of a
    255-tap kernel (a 1024x1024 image then took 15 s, not 17 ms)."""
    for two_d in (False, True):
        for outputs in (1, 100, 4096):
            n = _core.overlap_save_block_size(k, outputs, two_d, element_size)
            whole = n >= outputs + k - 1
            assert whole or n - k + 1 >= k, (n, outputs)
