"""Conv layers of few taps (at most 32: a stem's 3 input channels x 3x3)
take the planes kernel (docs/dispatch.md): one output channel per block of
the packed weights, blocks of channels x vectors of a row's pixels read
from the panel, whole vectors stored in the planes; rows under a vector
take the narrow kernel. Each output is bias + its taps in order, the wide
kernel's sums: the same bits as the wide path (a layer of more taps, the
extra ones zero and last), against the oracle on exact data, with every
epilogue, for any thread count, per ISA."""

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa
from test_nn_epilogue import ACTIVATIONS, with_slopes

from fastconv import _oracle, nn

# (C, Cout, H, W, k, stride, padding, dilation): the stem (3x3 stride 2
# pad 1), rows of exactly a vector, of a vector and a bit, under a vector
# (narrow), stride 1, 1-channel 5x5, a dilated one, a 1-row image, and
# output channels around the blocks.
SHAPES = [
    (3, 16, 34, 46, 3, 2, 1, 1),
    (3, 16, 18, 32, 3, 2, 1, 1),
    (3, 24, 9, 35, 3, 2, 1, 1),
    (3, 16, 7, 9, 3, 2, 1, 1),
    (3, 8, 11, 21, 3, 1, 1, 1),
    (1, 32, 13, 40, 5, 1, 2, 1),
    (2, 17, 15, 37, 3, 2, 2, 2),
    (3, 16, 1, 70, (1, 3), 2, 0, 1),
    (3, 40, 12, 50, 3, 3, 1, 1),
]


def _wide_path(x, weight):
    """The layer with more input channels of zero weights, after the real
    ones: over 32 taps (the wide kernel), each output's sum the same but
    for +0 products at its end (exact: no sum here is -0)."""
    taps = weight.shape[2] * weight.shape[3]
    extra = max(1, -(-33 // taps) - weight.shape[1])
    xz = np.concatenate([x, np.ones(x.shape[:1] + (extra,) + x.shape[2:], x.dtype)], axis=1)
    wz = np.concatenate(
        [weight, np.zeros((weight.shape[0], extra) + weight.shape[2:], weight.dtype)], axis=1
    )
    return xz, wz


def _options(shape):
    k, stride, padding, dilation = shape[4:]
    return dict(stride=stride, padding=padding, dilation=dilation)


def _weight_shape(shape):
    c, cout, k = shape[0], shape[1], shape[4]
    return (cout, c) + (k if isinstance(k, tuple) else (k, k))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_same_bits_as_the_wide_path_and_the_oracle(rng, shape, dtype):
    c, cout, h, w = shape[:4]
    kw = _options(shape)
    x = rng.integers(-8, 9, (2, c, h, w)).astype(dtype)
    weight = rng.integers(-8, 9, _weight_shape(shape)).astype(dtype)
    bias = rng.integers(-8, 9, cout).astype(dtype)
    got = nn.conv2d(x, weight, bias, **kw)
    # small integers: every sum is exact, in any order
    assert np.array_equal(got, _oracle.conv2d(x, weight, bias, **kw).astype(dtype))
    # random data: the wide path's bits, for any thread count, an image alone
    x = rng.standard_normal(x.shape).astype(dtype)
    weight = rng.standard_normal(weight.shape).astype(dtype)
    one = nn.conv2d(x, weight, bias, threads=1, **kw)
    assert one.tobytes() == nn.conv2d(*_wide_path(x, weight), bias, **kw).tobytes()
    assert one.tobytes() == nn.conv2d(x, weight, bias, threads=2, **kw).tobytes()
    assert one[1:].tobytes() == nn.conv2d(x[1:], weight, bias, **kw).tobytes()
    layer = nn.Conv2d(weight, bias, **kw)
    assert layer(x).tobytes() == one.tobytes()
    assert layer(x, threads=2).tobytes() == one.tobytes()
    assert (
        layer(x[:, :, : h - h // 2]).tobytes()
        == nn.conv2d(x[:, :, : h - h // 2], weight, bias, **kw).tobytes()
    )
    ref = _oracle.conv2d(x, weight, bias, **kw)
    np.testing.assert_allclose(one, ref, rtol=0, atol=1e-5 * c * 25 * np.abs(ref).max())


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_same_bits_as_the_wide_path(rng, mode):
    x = rng.standard_normal((1, 3, 20, 37)).astype(np.float32)
    weight = rng.standard_normal((16, 3, 3, 3)).astype(np.float32)
    kw = dict(stride=2, padding=1, padding_mode=mode)
    got = nn.conv2d(x, weight, **kw)
    assert got.tobytes() == nn.conv2d(*_wide_path(x, weight), **kw).tobytes()
    ref = _oracle.conv2d(x, weight, **kw)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5 * np.abs(ref).max())


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fused_epilogue_same_bits_as_the_wide_path(rng, activation):
    shapes = [(2, 3, 30, 41), (16, 3, 3, 3), (16,), (2, 16, 15, 21)]
    x, weight, bias, residual = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    act = with_slopes(activation, 16, rng)
    for res in (None, residual, residual.transpose(0, 1, 3, 2).copy().transpose(0, 1, 3, 2)):
        kw = dict(stride=2, padding=1, activation=act, residual=res)
        got = nn.conv2d(x, weight, bias, **kw)
        assert got.tobytes() == nn.conv2d(*_wide_path(x, weight), bias, **kw).tobytes()
        layer = nn.Conv2d(weight, bias, stride=2, padding=1, activation=act)
        assert layer(x, residual=res, threads=2).tobytes() == got.tobytes()
        # (unfused: the activation after the plain layer)
        if res is None and activation in ("relu", "relu6"):
            plain = nn.conv2d(x, weight, bias, stride=2, padding=1)
            want = np.maximum(plain, 0) if activation == "relu" else np.clip(plain, 0, 6)
            assert got.tobytes() == want.tobytes()


def test_channels_last_arrays(rng):
    """Input and out in channels-last layouts (out's columns apart: the
    wide kernel, which stores a pixel's channels side by side, and a layer
    object packed for the planes kernel packs for that call): the
    contiguous call's bits."""
    x = rng.standard_normal((1, 3, 24, 40)).astype(np.float32)
    weight = rng.standard_normal((16, 3, 3, 3)).astype(np.float32)
    bias = rng.standard_normal(16).astype(np.float32)
    want = nn.conv2d(x, weight, bias, stride=2, padding=1)
    x_last = x.transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)
    layer = nn.Conv2d(weight, bias, stride=2, padding=1)
    for xin in (x, x_last):
        assert nn.conv2d(xin, weight, bias, stride=2, padding=1).tobytes() == want.tobytes()
        assert layer(xin).tobytes() == want.tobytes()
        for threads in (1, 2):
            out = np.empty((1, 12, 20, 16), np.float32).transpose(0, 3, 1, 2)
            nn.conv2d(xin, weight, bias, stride=2, padding=1, out=out, threads=threads)
            assert out.tobytes() == want.tobytes()
            out = np.empty((1, 12, 20, 16), np.float32).transpose(0, 3, 1, 2)
            layer(xin, out=out, threads=threads)
            assert out.tobytes() == want.tobytes()


def test_nan_and_inf_stay_in_their_outputs():
    x = np.ones((1, 3, 9, 20), np.float32)
    x[0, 1, 4, 6] = np.nan
    x[0, 2, 8, 19] = np.inf
    weight = np.ones((16, 3, 3, 3), np.float32)
    got = nn.conv2d(x, weight, stride=2, padding=1)
    assert np.isnan(got[0, :, 2, 3]).all()  # (input row 4, column 6: output 2, 3 only)
    assert np.isposinf(got[0, :, 4, 9]).all()  # (the last row and column)
    assert np.isfinite(got).sum() == got.size - 16 * 2


@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    """This file again under each other compiled ISA."""
    run_tests_under_isa(__file__, isa, "same_bits or channels_last or nan")
