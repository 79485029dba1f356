"""The 3-D layer objects of fastconv.nn (Conv3d, ConvTranspose3d): bitwise
the functional layers' results with the same arguments (any dtype, batch,
layout, out=, threads, activation and residual), their read-only copies of
the weights, attributes and torch's repr, pickling, calls from several
threads, errors naming the argument, and from_torch against torch."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from fastconv import nn

DTYPES = [(np.float32, np.float32), (np.float64, np.float64), (np.int32, np.float32)]

# (layer class, input shape, weight shape, options)
CASES = [
    (nn.Conv3d, (2, 4, 5, 4, 6), (6, 4, 3, 3, 3), dict(padding=1)),
    (nn.Conv3d, (1, 4, 6, 5, 5), (6, 2, 2, 3, 1), dict(stride=(2, 1, 2), groups=2)),
    (nn.Conv3d, (1, 2, 5, 4, 4), (3, 2, 3, 2, 2), dict(padding="same", padding_mode="reflect")),
    (nn.ConvTranspose3d, (2, 4, 3, 4, 5), (4, 6, 2, 2, 2), dict(stride=2)),  # one 1x1 layer
    (nn.ConvTranspose3d, (1, 4, 3, 3, 4), (4, 2, 3, 3, 2), dict(stride=2, padding=1, groups=2)),
    (
        nn.ConvTranspose3d,
        (1, 2, 3, 2, 3),
        (2, 3, 2, 2, 3),
        dict(stride=(3, 1, 2), output_padding=(1, 0, 1), dilation=(1, 2, 1)),
    ),
]
FUNCTIONAL = {nn.Conv3d: nn.conv3d, nn.ConvTranspose3d: nn.conv_transpose3d}


def random_data(rng, shape, dtype):
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-9, 10, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def assert_bitwise(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


@pytest.mark.parametrize("dtypes", DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_equals_functional(rng, case, dtypes):
    cls, in_shape, w_shape, options = case
    x = random_data(rng, in_shape, dtypes[0])
    w = random_data(rng, w_shape, dtypes[1])
    for b in (None, random_data(rng, cls(w, **options).out_channels, dtypes[1])):
        got = cls(w, b, **options)(x)
        assert_bitwise(got, FUNCTIONAL[cls](x, w, b, **options))
        assert got.dtype == np.result_type(*(a for a in (x, w, b) if a is not None))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_batch_layout_out_threads_activation(rng, case):
    cls, in_shape, w_shape, options = case
    x = random_data(rng, in_shape, np.float32)
    w = random_data(rng, w_shape, np.float32)
    layer = cls(w, None, **options, activation=("prelu", 0.25))
    f = FUNCTIONAL[cls]
    ref = f(x, w, None, **options, activation=("prelu", 0.25))
    assert_bitwise(layer(x, threads=1), ref)
    assert_bitwise(layer(x, threads=2), ref)
    assert_bitwise(layer(x[0]), ref[0])
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 4, 1)).transpose(0, 4, 1, 2, 3)
    assert_bitwise(layer(channels_last), ref)
    out = np.empty_like(ref)
    assert layer(x, out=out) is out
    assert_bitwise(out, ref)
    r = random_data(rng, ref.shape, np.float32)
    assert_bitwise(
        layer(x, residual=r), f(x, w, None, **options, activation=("prelu", 0.25), residual=r)
    )
    smaller = x[:, :, 1:, :, 1:]  # (the input's size may change between calls)
    assert_bitwise(layer(smaller), f(smaller, w, None, **options, activation=("prelu", 0.25)))


def test_weights_are_copied_and_read_only(rng):
    w = random_data(rng, (4, 3, 2, 2, 2), np.float64)
    b = random_data(rng, 3, np.float64)
    layer = nn.ConvTranspose3d(w, b, stride=2)
    x = random_data(rng, (1, 4, 2, 3, 2), np.float64)
    before = layer(x)
    w[:] = 0
    b[:] = 0
    assert_bitwise(layer(x), before)
    for a in (layer.weight, layer.bias):
        with pytest.raises(ValueError):
            a[...] = 1


def test_attributes_and_repr():
    conv = nn.Conv3d(
        np.zeros((6, 2, 3, 1, 3)), np.zeros(6), 2, (1, 0, 1), 1, 2, padding_mode="circular"
    )
    assert conv.in_channels == 4 and conv.out_channels == 6
    assert conv.kernel_size == (3, 1, 3) and conv.stride == (2, 2, 2)
    assert conv.padding == (1, 0, 1) and conv.groups == 2 and conv.padding_mode == "circular"
    assert repr(conv) == (
        "Conv3d(4, 6, kernel_size=(3, 1, 3), stride=(2, 2, 2), padding=(1, 0, 1), groups=2, "
        "padding_mode=circular, bias=True)"
    )
    up = nn.ConvTranspose3d(np.zeros((4, 3, 2, 2, 2)), None, 2, activation="relu")
    assert up.in_channels == 4 and up.out_channels == 3 and up.output_padding == (0, 0, 0)
    assert repr(up) == (
        "ConvTranspose3d(4, 3, kernel_size=(2, 2, 2), stride=(2, 2, 2), bias=False, "
        "activation='relu')"
    )


@pytest.mark.parametrize(
    "layer",
    [
        nn.Conv3d(np.arange(54.0).reshape(2, 1, 3, 3, 3), np.ones(2), padding="same", groups=2),
        nn.ConvTranspose3d(np.ones((2, 3, 2, 2, 2), np.float32), None, 2, activation="relu6"),
    ],
    ids=repr,
)
def test_pickle_round_trip(rng, layer):
    copy = pickle.loads(pickle.dumps(layer))
    assert type(copy) is type(layer) and repr(copy) == repr(layer)
    x = random_data(rng, (1, layer.in_channels, 3, 4, 5), np.float64)
    assert_bitwise(copy(x), layer(x))


def test_one_layer_called_from_several_threads(rng):
    w = random_data(rng, (8, 4, 2, 2, 2), np.float32)
    layer = nn.ConvTranspose3d(w, None, 2)
    inputs = [random_data(rng, (1, 8, 3, 4, 3), t) for t in (np.float32, np.float64) * 4]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(layer, inputs))
    for x, got in zip(inputs, results):
        assert_bitwise(got, nn.conv_transpose3d(x, w, None, 2))


K3, K2 = (2, 2, 3, 3, 3), (2, 2, 2, 2, 2)  # weight shapes


@pytest.mark.parametrize(
    "cls, shape, options, name",
    [
        (nn.Conv3d, (2, 2, 3, 3), {}, "weight"),
        (nn.Conv3d, K3, dict(bias=np.ones(3)), "bias"),
        (nn.Conv3d, K3, dict(stride=(1, 2)), "stride"),
        (nn.Conv3d, K3, dict(padding_mode="wrap"), "padding_mode"),
        (nn.ConvTranspose3d, K3, dict(bias=np.ones(3)), "bias"),
        (nn.ConvTranspose3d, K2, dict(output_padding=2), "output_padding"),
        (nn.ConvTranspose3d, (3, 2, 2, 2, 2), dict(groups=2), "groups"),
        (nn.ConvTranspose3d, K2, dict(activation="tanh"), "activation"),
    ],
    ids=str,
)
def test_bad_construction_names_the_argument(cls, shape, options, name):
    with pytest.raises(ValueError, match=name):
        cls(np.ones(shape), **options)


def test_bad_input_names_the_input():
    layer = nn.ConvTranspose3d(np.ones((2, 2, 2, 2, 2)), stride=2)
    with pytest.raises(ValueError, match="input"):
        layer(np.ones((1, 3, 2, 2, 2)))
    with pytest.raises(ValueError, match="input"):
        layer(np.ones((1, 2, 2, 2)))


@pytest.mark.parametrize(
    "kind, options",
    [
        ("Conv", dict(padding=1)),
        ("Conv", dict(stride=2, groups=2, padding_mode="replicate", padding=(1, 0, 1))),
        ("Conv", dict(dilation=(1, 2, 1), padding=(0, 2, 0), bias=False)),
        ("ConvTranspose", dict(stride=2, kernel_size=2)),
        ("ConvTranspose", dict(stride=2, padding=1, output_padding=1, groups=2)),
    ],
    ids=str,
)
def test_from_torch_matches_torch(kind, options):
    torch = pytest.importorskip("torch")
    torch.manual_seed(len(repr(options)))
    options = {"kernel_size": 3, **options}
    module = getattr(torch.nn, f"{kind}3d")(4, 6, **options)
    x = np.random.default_rng(3).standard_normal((2, 4, 5, 4, 6)).astype(np.float32)
    cls = getattr(nn, f"{kind}3d")
    layer = cls.from_torch(module)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    got = layer(x)
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert repr(layer).replace(", bias=True", "") == repr(module)
    with pytest.raises(TypeError, match="module"):
        cls.from_torch(torch.nn.Conv2d(3, 4, 3))
