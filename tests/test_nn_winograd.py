"""Winograd's minimal filtering for 3x3 layers (algorithm="winograd", and
what "auto" takes): the normwise error bound of docs/conventions.md
against a long double reference, the choice "auto" makes, Inf and NaN as
direct convolution gives them, and the bitwise promises (threads, layout,
batch, layer objects). The CI wheel stage runs this file under every ISA
(FASTCONV_FORCE_ISA)."""

import numpy as np
import pytest

from fastconv import nn

rng = np.random.default_rng(20261206)

# docs/conventions.md: ||error||_2 <= NORM * u * || |W| * |X| ||_2 and
# max |error| <= MAX * u * max(|W| * |X|), per tile size (u: the unit
# roundoff of the dtype; |W| * |X| the layer of the absolute values).
BOUNDS = {"F4": (64, 256), "F2": (16, 64)}


def _data(shape_x, shape_w, dtype, wide_range):
    x = rng.standard_normal(shape_x)
    w = rng.standard_normal(shape_w)
    if wide_range:  # magnitudes over 8 decades in the input, 4 in the weights
        x *= 10.0 ** rng.uniform(-4, 4, x.shape)
        w *= 10.0 ** rng.uniform(-2, 2, w.shape)
    return x.astype(dtype), w.astype(dtype)


def _exact(x, w, **options):
    return nn.conv2d(
        x.astype(np.longdouble), w.astype(np.longdouble), algorithm="direct", **options
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("wide_range", [False, True])
@pytest.mark.parametrize(
    ("size", "tile"),
    [(20, "F4"), (9, "F4"), (6, "F2"), (3, "F2")],  # (F(4x4) from 8 outputs a side)
)
def test_error_within_the_documented_bound(dtype, wide_range, size, tile):
    x, w = _data((2, 24, size, size + 3), (16, 24, 3, 3), dtype, wide_range)
    b = rng.standard_normal(16).astype(dtype)
    got = nn.conv2d(x, w, b, padding=1, algorithm="winograd")
    exact = _exact(x, w, padding=1) + b.astype(np.longdouble)[:, None, None]
    magnitude = (
        nn.conv2d(np.abs(x).astype(np.longdouble), np.abs(w).astype(np.longdouble), padding=1)
        + np.abs(b).astype(np.longdouble)[:, None, None]
    )
    error = (got - exact).astype(np.float64)
    magnitude = magnitude.astype(np.float64)
    u = np.finfo(dtype).eps / 2
    norm_bound, max_bound = BOUNDS[tile]
    assert np.linalg.norm(error) <= norm_bound * u * np.linalg.norm(magnitude)
    assert np.abs(error).max() <= max_bound * u * magnitude.max()
    # and it is a different computation from direct convolution's
    direct = nn.conv2d(x, w, b, padding=1, algorithm="direct")
    assert not np.array_equal(got, direct)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_padding_modes_and_groups(padding_mode):
    x, w = _data((1, 16, 11, 13), (24, 8, 3, 3), np.float64, False)
    got = nn.conv2d(
        x, w, None, 1, (1, 2), groups=2, padding_mode=padding_mode, algorithm="winograd"
    )
    exact = _exact(x, w, padding=(1, 2), groups=2, padding_mode=padding_mode)
    assert got.shape == exact.shape
    np.testing.assert_allclose(got, exact.astype(np.float64), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("shape_x", "shape_w", "options", "winograd"),
    [
        ((1, 8, 10, 10), (8, 8, 3, 3), {"padding": 1}, True),
        ((1, 7, 10, 10), (8, 7, 3, 3), {"padding": 1}, False),  # few input channels
        ((1, 8, 10, 10), (7, 8, 3, 3), {"padding": 1}, False),  # few output channels
        ((1, 16, 10, 10), (16, 8, 3, 3), {"padding": 1, "groups": 2}, True),
        ((1, 16, 10, 10), (16, 16, 3, 3), {"stride": 2}, False),
        ((1, 16, 10, 10), (16, 16, 3, 3), {"dilation": 2}, False),
        ((1, 16, 10, 10), (16, 16, 5, 5), {}, False),
        ((1, 16, 10, 10), (16, 1, 3, 3), {"groups": 16}, False),  # depthwise
    ],
)
def test_auto_takes_winograd_where_it_pays(shape_x, shape_w, options, winograd):
    x, w = _data(shape_x, shape_w, np.float32, False)
    auto = nn.conv2d(x, w, **options)
    direct = nn.conv2d(x, w, algorithm="direct", **options)
    if winograd:
        assert np.array_equal(auto, nn.conv2d(x, w, algorithm="winograd", **options))
        assert not np.array_equal(auto, direct)
    else:
        assert np.array_equal(auto, direct)


def test_auto_is_direct_for_other_dtypes():
    x = rng.integers(-9, 9, (1, 16, 9, 9))
    w = rng.integers(-9, 9, (16, 16, 3, 3))
    assert np.array_equal(nn.conv2d(x, w, padding=1), _exact(x, w, padding=1).astype(np.int64))
    xc = (x + 1j * x[:, ::-1]).astype(np.complex128)
    assert np.array_equal(
        nn.conv2d(xc, w, padding=1), nn.conv2d(xc, w, padding=1, algorithm="direct")
    )


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_nonfinite_input_gives_the_direct_result(bad):
    x, w = _data((3, 16, 12, 12), (16, 16, 3, 3), np.float32, False)
    alone = nn.conv2d(x[2:], w, padding=1, algorithm="winograd")
    x[1, 5, 6, 7] = bad
    got = nn.conv2d(x, w, padding=1, algorithm="winograd")
    direct = nn.conv2d(x[1:2], w, padding=1, algorithm="direct")
    np.testing.assert_array_equal(got[1:2], direct)  # (NaN where direct has NaN)
    assert np.isfinite(got[0]).all() and np.array_equal(got[2:], alone)


def test_nonfinite_weight_or_overflow_gives_the_direct_result():
    x, w = _data((1, 16, 12, 12), (16, 16, 3, 3), np.float32, False)
    w[3, 2, 1, 1] = np.nan
    np.testing.assert_array_equal(
        nn.conv2d(x, w, padding=1, algorithm="winograd"),
        nn.conv2d(x, w, padding=1, algorithm="direct"),
    )
    # inputs near the largest float: the transforms overflow where the
    # direct sums do not
    x, w = _data((1, 16, 12, 12), (16, 16, 3, 3), np.float32, False)
    x[0, 0, 4:8, 4:8] = 1e37
    np.testing.assert_array_equal(
        nn.conv2d(x, w, padding=1, algorithm="winograd"),
        nn.conv2d(x, w, padding=1, algorithm="direct"),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bitwise_for_threads_layouts_batches_and_layer_objects(dtype):
    x, w = _data((3, 40, 17, 22), (48, 40, 3, 3), dtype, False)
    b = rng.standard_normal(48).astype(dtype)
    ref = nn.conv2d(x, w, b, padding=1, threads=1)
    assert np.array_equal(nn.conv2d(x, w, b, padding=1, threads=2), ref)
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert np.array_equal(nn.conv2d(channels_last, w, b, padding=1), ref)
    strided = np.zeros((3, 40, 34, 22), dtype)[:, :, ::2]
    strided[...] = x
    assert np.array_equal(nn.conv2d(strided, w, b, padding=1), ref)
    for n in range(3):
        assert np.array_equal(nn.conv2d(x[n], w, b, padding=1), ref[n])
    layer = nn.Conv2d(w, b, padding=1)
    assert np.array_equal(layer(x), ref)
    assert np.array_equal(layer(x, threads=2), ref)
    assert np.array_equal(layer(x[:1, :, :6, :7]), nn.conv2d(x[:1, :, :6, :7], w, b, padding=1))
    direct = nn.Conv2d(w, b, padding=1, algorithm="direct")
    assert np.array_equal(direct(x), nn.conv2d(x, w, b, padding=1, algorithm="direct"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect"])
def test_bitwise_for_threads_on_few_tiles(dtype, padding_mode):
    # One small image: the threads split the output channels and share the
    # input transforms, made first over pieces of the channels (the staged
    # run of nn/winograd.hpp); groups, an epilogue and a residual with it.
    x, w = _data((1, 42, 9, 10), (128, 21, 3, 3), dtype, False)
    b = rng.standard_normal(128).astype(dtype)
    slopes = rng.uniform(0, 0.5, 128)
    r = rng.standard_normal((1, 128, 9, 10)).astype(dtype)
    options = dict(padding=1, groups=2, padding_mode=padding_mode, algorithm="winograd")
    ref = nn.conv2d(x, w, b, **options, activation=("prelu", slopes), residual=r, threads=1)
    for threads in (2, 3, 4):
        got = nn.conv2d(
            x, w, b, **options, activation=("prelu", slopes), residual=r, threads=threads
        )
        assert np.array_equal(got, ref)
    layer = nn.Conv2d(w, b, **options, activation=("prelu", slopes))
    assert np.array_equal(layer(x, residual=r, threads=3), ref)
    direct = nn.conv2d(x, w, b, **{**options, "algorithm": "direct"})
    direct = direct + r
    direct = np.where(direct > 0, direct, direct * slopes[:, None, None].astype(dtype))
    np.testing.assert_allclose(
        ref,
        direct,
        rtol=1e-3 if dtype == np.float32 else 1e-10,
        atol=1e-3 if dtype == np.float32 else 1e-10,
    )


def test_layer_object_option():
    w = np.ones((8, 8, 3, 3), np.float32)
    layer = nn.Conv2d(w, algorithm="direct")
    assert layer.algorithm == "direct"
    assert "algorithm=direct" in repr(layer)
    assert "algorithm" not in repr(nn.Conv2d(w))
    import pickle

    again = pickle.loads(pickle.dumps(layer))
    assert again.algorithm == "direct"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: nn.conv2d(np.ones((1, 8, 9, 9)), np.ones((8, 8, 5, 5)), algorithm="winograd"),
            "3x3",
        ),
        (
            lambda: nn.conv2d(
                np.ones((1, 8, 9, 9)), np.ones((8, 8, 3, 3)), stride=2, algorithm="winograd"
            ),
            "stride 1",
        ),
        (lambda: nn.conv1d(np.ones((1, 8, 9)), np.ones((8, 8, 3)), algorithm="winograd"), "2-D"),
        (
            lambda: nn.conv2d(
                np.ones((1, 8, 9, 9), np.int64),
                np.ones((8, 8, 3, 3), np.int64),
                algorithm="winograd",
            ),
            "float",
        ),
        (
            lambda: nn.conv2d(np.ones((1, 8, 9, 9)), np.ones((8, 8, 3, 3)), algorithm="fast"),
            "'auto'",
        ),
        (lambda: nn.Conv2d(np.ones((8, 8, 3, 3)), dilation=2, algorithm="winograd"), "dilation 1"),
    ],
)
def test_bad_algorithm_is_a_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=f"algorithm.*{message}"):
        call()


def test_algorithm_must_be_a_string():
    with pytest.raises(TypeError, match="algorithm"):
        nn.conv2d(np.ones((1, 8, 9, 9)), np.ones((8, 8, 3, 3)), algorithm=1)


def test_matches_torch_when_installed():
    torch = pytest.importorskip("torch")
    x, w = _data((2, 32, 28, 28), (32, 32, 3, 3), np.float32, False)
    b = rng.standard_normal(32).astype(np.float32)
    ref = torch.nn.functional.conv2d(
        torch.from_numpy(x).double(),
        torch.from_numpy(w).double(),
        torch.from_numpy(b).double(),
        padding=1,
    ).numpy()
    got = nn.conv2d(x, w, b, padding=1)
    assert np.linalg.norm(got - ref) <= 1e-5 * np.linalg.norm(ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [(12, 11), (40, 37)])  # one task per image; several
def test_fused_epilogue_also_on_the_images_computed_directly(dtype, size):
    # The activation and residual are fused into the output transform; an
    # image whose tiles meet a NaN is computed directly, with them fused
    # there: per channel (prelu's slopes, in two groups) and per image, the
    # result is the plain layer's followed by the epilogue's formula.
    x, w = _data((3, 16, *size), (24, 8, 3, 3), dtype, False)
    x[1, 3, 5, 5] = np.nan
    b = rng.standard_normal(24).astype(dtype)
    residual = rng.standard_normal((3, 24, *size)).astype(dtype)
    slopes = rng.uniform(-0.5, 0.5, 24)
    options = dict(padding=1, groups=2)
    plain = nn.conv2d(x, w, b, **options) + residual
    assert np.isnan(plain[1]).any() and not np.isnan(plain[[0, 2]]).any()
    want = np.where(plain > 0, plain, plain * slopes.astype(dtype)[:, None, None])
    activation = ("prelu", slopes)
    got = nn.conv2d(x, w, b, **options, activation=activation, residual=residual)
    np.testing.assert_array_equal(got, want)
    layer = nn.Conv2d(w, b, **options, activation=activation)
    np.testing.assert_array_equal(layer(x, residual=residual, threads=2), want)
    # the residual may be the output itself
    out = residual.copy()
    nn.conv2d(x, w, b, **options, activation=activation, residual=out, out=out)
    np.testing.assert_array_equal(out, want)
    # and the same layer computed directly differs (the epilogue ran on Winograd's sums)
    direct = nn.conv2d(x, w, b, **options, algorithm="direct") + residual
    assert not np.array_equal(
        got[0], np.where(direct[0] > 0, direct[0], direct[0] * slopes[:, None, None].astype(dtype))
    )
