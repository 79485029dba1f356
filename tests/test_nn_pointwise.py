"""1x1 layers with stride 1 and no padding on contiguous planes take the
pointwise kernel (cpp/src/nn/pointwise.hpp): the input read in place,
blocks of output channels x vectors of pixels. Each output is bias + its
products in ascending channel order, as on the panel path that every other
layout takes, so the two give the same bits; both against the oracle on
exact data, every epilogue, any thread count, per ISA."""

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa
from test_nn_epilogue import ACTIVATIONS, with_slopes

from fastconv import _oracle, nn

# (C, Cout, H, W, groups): channel counts around the blocks (4 x 6 vectors
# on AVX-512, 2 x 4 below), planes of one vector, of a vector and a bit
# (the last vector overlaps), of many task chunks, and a 1-D signal.
SHAPES = [
    (16, 32, 12, 20, 1),
    (3, 5, 4, 4, 1),
    (12, 9, 7, 9, 1),
    (8, 12, 1, 17, 2),
    (5, 7, 33, 65, 1),
    (64, 6, 3, 70, 1),
]


def _panel_path(x):
    """x laid out with its columns apart (the pointwise path needs them
    adjacent): the same values, read through the panel path."""
    wide = np.zeros(x.shape[:-1] + (2 * x.shape[-1],), x.dtype)
    wide[..., ::2] = x
    return wide[..., ::2]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_same_bits_as_the_panel_path_and_the_oracle(rng, shape, dtype):
    c, cout, h, w, groups = shape
    x = rng.integers(-8, 9, (2, c, h, w)).astype(dtype)
    weight = rng.integers(-8, 9, (cout, c // groups, 1, 1)).astype(dtype)
    bias = rng.integers(-8, 9, cout).astype(dtype)
    got = nn.conv2d(x, weight, bias, groups=groups)
    assert got.tobytes() == nn.conv2d(_panel_path(x), weight, bias, groups=groups).tobytes()
    # small integers: every sum is exact, in any order
    ref = _oracle.conv2d(x, weight, bias, groups=groups)
    assert np.array_equal(got, ref.astype(dtype))
    # random data: the same bits for any thread count and an image alone
    x = rng.standard_normal(x.shape).astype(dtype)
    weight = rng.standard_normal(weight.shape).astype(dtype)
    one = nn.conv2d(x, weight, bias, groups=groups, threads=1)
    assert one.tobytes() == nn.conv2d(x, weight, bias, groups=groups, threads=2).tobytes()
    assert one.tobytes() == nn.conv2d(_panel_path(x), weight, bias, groups=groups).tobytes()
    assert one[1:].tobytes() == nn.conv2d(x[1:], weight, bias, groups=groups).tobytes()
    layer = nn.Conv2d(weight, bias, groups=groups)
    assert layer(x).tobytes() == one.tobytes()
    ref = _oracle.conv2d(x, weight, bias, groups=groups)
    np.testing.assert_allclose(one, ref, rtol=0, atol=1e-5 * c * np.abs(ref).max())


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fused_epilogue_same_bits_as_the_panel_path(rng, activation):
    x = rng.standard_normal((1, 12, 9, 11)).astype(np.float32)
    weight = rng.standard_normal((10, 12, 1, 1)).astype(np.float32)
    bias = rng.standard_normal(10).astype(np.float32)
    residual = rng.standard_normal((1, 10, 9, 11)).astype(np.float32)
    act = with_slopes(activation, 10, rng)
    for res in (None, residual):
        got = nn.conv2d(x, weight, bias, activation=act, residual=res)
        ref = nn.conv2d(_panel_path(x), weight, bias, activation=act, residual=res)
        assert got.tobytes() == ref.tobytes()
    # the residual in another layout (copied to out's by the call)
    other = residual.transpose(0, 1, 3, 2).copy().transpose(0, 1, 3, 2)
    got = nn.conv2d(x, weight, bias, activation=act, residual=other)
    assert got.tobytes() == nn.conv2d(x, weight, bias, activation=act, residual=residual).tobytes()


def test_conv1d_and_weights_in_any_layout(rng):
    x = rng.standard_normal((3, 6, 40))
    weight = rng.standard_normal((7, 6, 1))
    got = nn.conv1d(x, weight)
    assert got.tobytes() == nn.conv1d(_panel_path(x), weight).tobytes()
    strided = np.asfortranarray(weight)  # (copied into rows by the run)
    assert nn.conv1d(x, strided).tobytes() == got.tobytes()
    np.testing.assert_allclose(got, _oracle.conv1d(x, weight), rtol=1e-12)


def test_nan_and_inf_stay_in_their_outputs():
    x = np.ones((1, 4, 5, 8), np.float32)
    x[0, 1, 2, 3] = np.nan
    x[0, 2, 4, 7] = np.inf
    weight = np.ones((3, 4, 1, 1), np.float32)
    got = nn.conv2d(x, weight)
    bad = np.zeros((5, 8), bool)
    bad[2, 3] = bad[4, 7] = True
    assert np.isnan(got[0, :, 2, 3]).all()
    assert np.isposinf(got[0, :, 4, 7]).all()
    assert (got[0][:, ~bad] == 4).all()


@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    """This file again under each other compiled ISA."""
    run_tests_under_isa(__file__, isa, "same_bits or conv1d or nan")
