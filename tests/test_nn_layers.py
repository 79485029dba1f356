"""The layer objects of fastconv.nn (Conv1d, Conv2d, ConvTranspose1d,
ConvTranspose2d): bitwise the functional layers' results with the same
arguments, their copies of the weights, attributes, pickling, calls from
several threads, errors naming the argument, and from_torch against torch.
"""

import multiprocessing
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from fastconv import _core, nn

MODES = ["zeros", "reflect", "replicate", "circular"]
# (input dtype, weight dtype): the native ones, and promotions
DTYPES = [
    (np.float32, np.float32),
    (np.float64, np.float64),
    (np.float32, np.float64),
    (np.int64, np.int64),
    (np.int32, np.float32),
    (np.complex128, np.float64),
    (np.float64, np.complex64),
]

# (layer class, input shape, weight shape, options)
CASES = [
    (nn.Conv1d, (2, 4, 17), (6, 4, 3), {}),
    (nn.Conv1d, (2, 4, 17), (6, 2, 4), dict(stride=2, padding=1, groups=2)),
    (nn.Conv1d, (1, 3, 20), (3, 1, 4), dict(padding="same", dilation=2, groups=3)),  # depthwise
    (nn.Conv1d, (2, 4, 9), (2, 4, 5), dict(padding="valid", stride=3)),
    (nn.Conv2d, (2, 4, 9, 11), (6, 4, 3, 3), dict(padding=1)),
    (nn.Conv2d, (2, 4, 9, 11), (6, 2, 2, 3), dict(stride=(1, 2), padding=(2, 0), groups=2)),
    (nn.Conv2d, (1, 4, 10, 8), (4, 1, 3, 2), dict(padding="same", dilation=(2, 1), groups=4)),
    (nn.Conv2d, (3, 2, 7, 12), (5, 2, 3, 4), dict(padding="valid", stride=2, dilation=(1, 2))),
    (nn.ConvTranspose1d, (2, 4, 9), (4, 3, 3), {}),
    (
        nn.ConvTranspose1d,
        (2, 4, 9),
        (4, 2, 4),
        dict(stride=2, padding=1, output_padding=1, groups=2),
    ),
    (
        nn.ConvTranspose1d,
        (1, 3, 7),
        (3, 1, 3),
        dict(stride=3, dilation=2, groups=3, output_padding=1),
    ),
    (nn.ConvTranspose2d, (2, 4, 5, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    (nn.ConvTranspose2d, (2, 4, 5, 6), (4, 1, 4, 4), dict(stride=(2, 1), padding=(1, 0), groups=2)),
    (
        nn.ConvTranspose2d,
        (1, 2, 4, 5),
        (2, 2, 2, 3),
        dict(stride=3, output_padding=(2, 1), dilation=(1, 2)),
    ),
]


def random_data(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return rng.integers(-9, 10, shape).astype(dtype)
    a = rng.standard_normal(shape)
    if dtype.kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def functional(cls):
    return {
        nn.Conv1d: nn.conv1d,
        nn.Conv2d: nn.conv2d,
        nn.ConvTranspose1d: nn.conv_transpose1d,
        nn.ConvTranspose2d: nn.conv_transpose2d,
    }[cls]


def conv_class(naxes):
    return nn.Conv1d if naxes == 1 else nn.Conv2d


def assert_bitwise(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def check_layer(cls, x, w, b, options, **call):
    """The layer object's result is bitwise the functional layer's."""
    layer = cls(w, b, **options)
    expected = functional(cls)(x, w, b, **options, **call)
    got = layer(x, **call)
    assert_bitwise(got, expected)
    return layer, got


# --- bitwise the functional layers -----------------------------------------------------------


@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("dtypes", DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_equals_functional(rng, case, dtypes, with_bias):
    cls, in_shape, w_shape, options = case
    x = random_data(rng, in_shape, dtypes[0])
    w = random_data(rng, w_shape, dtypes[1])
    b = random_data(rng, cls(w, **options).out_channels, dtypes[1]) if with_bias else None
    _, got = check_layer(cls, x, w, b, options)
    assert got.dtype == np.result_type(*(a for a in (x, w, b) if a is not None))


@pytest.mark.parametrize("padding_mode", MODES)
@pytest.mark.parametrize("naxes", [1, 2])
def test_padding_modes_equal_functional(rng, naxes, padding_mode):
    spatial = (13,) if naxes == 1 else (9, 10)
    x = random_data(rng, (2, 4) + spatial, np.float64)
    w = random_data(rng, (4, 2) + (3,) * naxes, np.float64)
    b = random_data(rng, 4, np.float64)
    for options in (dict(padding=2), dict(padding="same", dilation=2), dict(stride=2, padding=1)):
        check_layer(conv_class(naxes), x, w, b, dict(options, groups=2, padding_mode=padding_mode))


def test_unbatched_and_any_layout(rng):
    w = random_data(rng, (5, 3, 3, 3), np.float32)
    b = random_data(rng, 5, np.float32)
    layer = nn.Conv2d(w, b, stride=2, padding=1)
    nhwc = random_data(rng, (2, 12, 14, 3), np.float32)
    inputs = [
        nhwc.transpose(0, 3, 1, 2),  # channels-last
        random_data(rng, (2, 3, 24, 14), np.float32)[:, :, ::2],  # strided
        random_data(rng, (3, 12, 14), np.float32),  # unbatched
        np.asfortranarray(random_data(rng, (3, 12, 14), np.float32)),
    ]
    for x in inputs:
        got = layer(x)
        assert_bitwise(got, nn.conv2d(x, w, b, stride=2, padding=1))
        assert got.ndim == x.ndim
    t = nn.ConvTranspose1d(random_data(rng, (3, 2, 4), np.float64), stride=2)
    x = random_data(rng, (3, 9), np.float64)
    assert_bitwise(t(x), nn.conv_transpose1d(x, t.weight, None, stride=2))
    assert t(x).shape == (2, 20)


def test_inputs_the_one_call_path_leaves_to_the_general_one(rng):
    # A batch in the weights' dtype takes one core call; unaligned,
    # byte-swapped or read-only-view inputs and other dtypes the general
    # path: the same results either way.
    w = random_data(rng, (4, 3, 3, 3), np.float64)
    layer = nn.Conv2d(w, None, padding=1)
    x = random_data(rng, (2, 3, 7, 9), np.float64)
    raw = np.zeros(x.nbytes + 1, np.uint8)
    unaligned = raw[1:].view(np.float64).reshape(x.shape)
    unaligned[...] = x
    assert not unaligned.flags.aligned
    want = nn.conv2d(x, w, None, padding=1)
    for variant in (x, unaligned, x.astype(">f8"), x[:, :, ::-1][:, :, ::-1]):
        got = layer(variant)
        assert got.dtype == np.float64 and got.flags.writeable
        assert_bitwise(got, want)
    single = x.astype(np.float32)
    assert_bitwise(layer(single), nn.conv2d(single, w, None, padding=1))


def test_input_size_and_batch_change_between_calls(rng):
    w = random_data(rng, (4, 2, 3, 3), np.float64)
    conv = nn.Conv2d(w, None, padding="same", padding_mode="reflect")
    wt = random_data(rng, (4, 2, 3, 3), np.float64)
    up = nn.ConvTranspose2d(wt, None, stride=2, padding=1, output_padding=1)
    for shape in [(1, 2, 5, 5), (3, 2, 16, 9), (2, 2, 4, 30), (1, 2, 5, 5)]:
        x = random_data(rng, shape, np.float64)
        got = conv(x)
        assert_bitwise(got, nn.conv2d(x, w, None, padding="same", padding_mode="reflect"))
        assert got.shape == (shape[0], 4) + shape[2:]
        upped = up(got)
        assert_bitwise(upped, nn.conv_transpose2d(got, wt, None, 2, 1, 1))
        assert upped.shape == (shape[0], 2, 2 * shape[2], 2 * shape[3])


@pytest.mark.parametrize("threads", [1, 2])
def test_out_and_threads(rng, threads):
    x = random_data(rng, (2, 4, 11, 9), np.float32)
    w = random_data(rng, (6, 4, 3, 3), np.float32)
    layer = nn.Conv2d(w, padding=1)
    expected = nn.conv2d(x, w, padding=1, threads=threads)
    out = np.full((2, 6, 11, 9), np.nan, np.float32)
    assert layer(x, out=out, threads=threads) is out
    assert_bitwise(out, expected)
    # out of a result dtype the core does not compute in (int32 via int64)
    xi = rng.integers(-5, 5, (4, 9), dtype=np.int32)
    wi = rng.integers(-5, 5, (2, 4, 2), dtype=np.int32)
    outi = np.zeros((2, 8), np.int32)
    nn.Conv1d(wi)(xi, out=outi, threads=threads)
    assert_bitwise(outi, nn.conv1d(xi, wi))
    assert outi.any()
    with pytest.raises(ValueError, match="out"):
        layer(x, out=np.empty((2, 6, 11, 8), np.float32))
    with pytest.raises(TypeError, match="out"):
        layer(x, out=np.empty((2, 6, 11, 9), np.float64))
    with pytest.raises(ValueError, match="threads"):
        layer(x, threads=0)


# --- the layer's own copies, attributes, repr ---------------------------------------------


def test_weights_are_copied_and_read_only(rng):
    w = random_data(rng, (3, 2, 3), np.float64)
    b = random_data(rng, 3, np.float64)
    x = random_data(rng, (2, 2, 10), np.float64)
    layer = nn.Conv1d(w, b, padding=1)
    expected = nn.conv1d(x, w, b, padding=1)
    w[...] = 0
    b[...] = 7
    assert_bitwise(layer(x), expected)
    assert not layer.weight.flags.writeable and not layer.bias.flags.writeable
    with pytest.raises(ValueError):
        layer.weight[0, 0, 0] = 1.0
    for name in ("weight", "bias", "stride", "padding", "groups", "padding_mode"):
        with pytest.raises(AttributeError):
            setattr(layer, name, getattr(layer, name))
    # a list is copied too
    listed = nn.Conv1d([[[1.0, 2.0]]])
    assert listed.weight.tolist() == [[[1.0, 2.0]]]


def test_attributes_and_repr():
    conv = nn.Conv2d(np.zeros((9, 2, 3, 5)), np.zeros(9), 2, (1, 2), 1, 3, padding_mode="circular")
    assert conv.in_channels == 6 and conv.out_channels == 9
    assert conv.kernel_size == (3, 5) and conv.stride == (2, 2)
    assert conv.padding == (1, 2) and conv.dilation == (1, 1)
    assert conv.groups == 3 and conv.padding_mode == "circular"
    assert conv.weight.shape == (9, 2, 3, 5) and conv.bias.shape == (9,)
    assert repr(conv) == (
        "Conv2d(6, 9, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), groups=3, "
        "padding_mode=circular, bias=True)"
    )
    same = nn.Conv1d(np.zeros((4, 4, 3)), padding="same", dilation=2)
    assert same.padding == "same"
    assert repr(same) == (
        "Conv1d(4, 4, kernel_size=(3,), stride=(1,), padding=same, dilation=(2,), bias=False)"
    )
    up = nn.ConvTranspose2d(np.zeros((6, 2, 4, 4)), None, 2, 1, (1, 0), 3)
    assert up.in_channels == 6 and up.out_channels == 6 and up.bias is None
    assert up.output_padding == (1, 0) and up.padding == (1, 1)
    assert repr(up) == (
        "ConvTranspose2d(6, 6, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), "
        "output_padding=(1, 0), groups=3, bias=False)"
    )


# --- pickling, processes, threads ---------------------------------------------------------


@pytest.mark.parametrize(
    "layer",
    [
        nn.Conv1d(
            np.arange(12.0).reshape(2, 2, 3), np.ones(2), padding="same", padding_mode="reflect"
        ),
        nn.Conv2d(np.arange(36, dtype=np.float32).reshape(4, 1, 3, 3), None, 2, 1, groups=2),
        nn.ConvTranspose1d(np.arange(12.0).reshape(2, 2, 3), np.ones(2), 2, 1, 1),
        nn.ConvTranspose2d(np.ones((2, 3, 2, 2), np.complex128), None, (2, 1), dilation=2),
    ],
    ids=repr,
)
def test_pickle_round_trip_rebuilds(rng, layer, monkeypatch):
    built = []
    for name in ("ConvLayer", "ConvTransposeLayer"):
        real = getattr(_core, name)
        monkeypatch.setattr(_core, name, lambda *a, real=real: built.append(a) or real(*a))
    copy = pickle.loads(pickle.dumps(layer))
    assert len(built) == 1  # unpickling packed once (for the weights' dtype)
    assert type(copy) is type(layer) and repr(copy) == repr(layer)
    assert_bitwise(copy.weight, layer.weight)
    assert (copy.bias is None) == (layer.bias is None)
    x = random_data(rng, (2, layer.in_channels) + (8,) * layer._naxes, np.float64)
    assert_bitwise(copy(x), layer(x))


def test_spawned_process_runs_a_pickled_layer(rng):
    layer = nn.Conv2d(random_data(rng, (3, 2, 3, 3), np.float32), np.ones(3, np.float32), padding=1)
    inputs = [random_data(rng, (1, 2, n, n + 1), np.float32) for n in (4, 7)]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        results = pool.map(layer, inputs)  # the layer itself is pickled
    for x, got in zip(inputs, results):
        assert_bitwise(got, nn.conv2d(x, layer.weight, layer.bias, padding=1))


def test_one_layer_called_from_several_threads(rng, monkeypatch):
    built = []
    real = _core.ConvLayer
    monkeypatch.setattr(_core, "ConvLayer", lambda *a: built.append(a) or real(*a))
    w = random_data(rng, (8, 4, 3, 3), np.float64)
    b = random_data(rng, 8, np.float64)
    layer = nn.Conv2d(w, b, padding=1, padding_mode="replicate")
    # float64 and complex128 inputs: the complex core layer is made once,
    # by whichever thread gets there first
    inputs = [
        random_data(rng, (1 + i % 3, 4, 6 + i, 20 - i), np.float64 if i % 2 else np.complex128)
        for i in range(16)
    ]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda x: layer(x, threads=2), inputs))
    for x, got in zip(inputs, results):
        assert_bitwise(got, nn.conv2d(x, w, b, padding=1, padding_mode="replicate"))
    assert len(built) == 2  # float64 at construction, complex128 once


# --- errors name the argument -------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, name",
    [
        (lambda: nn.Conv2d(np.ones((2, 1, 3))), ValueError, "weight"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3), object)), TypeError, "weight"),
        (lambda: nn.Conv2d(np.array([["a"]])), TypeError, "weight"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), np.ones(3)), ValueError, "bias"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), np.ones(2, object)), TypeError, "bias"),
        (lambda: nn.Conv2d(np.ones((3, 1, 3, 3)), groups=2), ValueError, "groups"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), groups=0), ValueError, "groups"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), groups=(1,)), TypeError, "groups"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), stride=0), ValueError, "stride"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), stride=1.5), TypeError, "stride"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), padding="full"), ValueError, "padding"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), padding=-1), ValueError, "padding"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), padding=(1, 2, 3)), ValueError, "padding"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), dilation=0), ValueError, "dilation"),
        (lambda: nn.Conv2d(np.ones((2, 1, 3, 3)), stride=2, padding="same"), ValueError, "same"),
        (lambda: nn.Conv1d(np.ones((2, 1, 3)), padding_mode="bogus"), ValueError, "padding_mode"),
        (lambda: nn.Conv1d(np.ones((2, 1, 3)), padding_mode=0), TypeError, "padding_mode"),
        (
            lambda: nn.ConvTranspose1d(np.ones((2, 1, 3)), stride=2, output_padding=2),
            ValueError,
            "output_padding",
        ),
        (lambda: nn.ConvTranspose2d(np.ones((3, 1, 3, 3)), groups=2), ValueError, "groups"),
        (lambda: nn.ConvTranspose2d(np.ones((2, 1, 3, 3)), np.ones(3)), ValueError, "bias"),
        (lambda: nn.ConvTranspose1d(np.ones((2, 1, 3, 3))), ValueError, "weight"),
    ],
)
def test_bad_construction_names_the_argument(make, error, name):
    with pytest.raises(error, match=name):
        make()


@pytest.mark.parametrize("cls", [nn.Conv2d, nn.ConvTranspose2d])
def test_bad_input_names_the_input(cls):
    layer = cls(np.ones((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="input.*channels"):
        layer(np.ones((1, 3, 8, 8)))
    with pytest.raises(ValueError, match="input"):
        layer(np.ones((8, 8)))
    with pytest.raises(ValueError, match="input"):
        layer(np.ones((1, 1, 2, 8, 8)))
    with pytest.raises(TypeError, match="input"):
        layer(np.ones((2, 8, 8), object))
    with pytest.raises(TypeError, match="input"):
        layer(np.full((2, 8, 8), "a"))
    assert layer(np.ones((2, 8, 8))).shape[0] == 2  # (the layer itself works)


def test_input_smaller_than_the_kernel():
    with pytest.raises(ValueError, match="larger than the padded input"):
        nn.Conv2d(np.ones((2, 2, 5, 5)))(np.ones((1, 2, 3, 8)))
    with pytest.raises(ValueError, match="padding must be smaller than the input"):
        nn.Conv1d(np.ones((2, 2, 3)), padding=4, padding_mode="reflect")(np.ones((1, 2, 4)))


# --- from_torch -------------------------------------------------------------------------------


TORCH_CONV_OPTIONS = [
    dict(),
    dict(stride=2, padding=1, bias=False),
    dict(padding="same", dilation=2, padding_mode="reflect"),
    dict(padding="valid", groups=2, padding_mode="circular"),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), padding_mode="replicate"),
    dict(groups=4, padding=1),  # depthwise
]
TORCH_TRANSPOSE_OPTIONS = [
    dict(),
    dict(stride=2, padding=1, output_padding=1, bias=False),
    dict(stride=(3, 2), dilation=(1, 2), groups=2),
    dict(groups=4, stride=2, padding=(1, 0)),
]


def _torch_case(torch, kind, naxes, options):
    """A random torch module of `kind` with the options (tuples cut to
    `naxes` values), and a random float32 input for it."""
    options = {k: (v[:naxes] if isinstance(v, tuple) else v) for k, v in options.items()}
    torch.manual_seed(len(repr(options)) + naxes)
    module = getattr(torch.nn, f"{kind}{naxes}d")(4, 8, 3, **options)
    x = np.random.default_rng(naxes).standard_normal((2, 4) + (11,) * naxes).astype(np.float32)
    return module, x


@pytest.mark.parametrize("naxes", [1, 2])
@pytest.mark.parametrize(
    "kind, options",
    [("Conv", o) for o in TORCH_CONV_OPTIONS]
    + [("ConvTranspose", o) for o in TORCH_TRANSPOSE_OPTIONS],
    ids=str,
)
def test_from_torch_matches_torch(kind, options, naxes):
    torch = pytest.importorskip("torch")
    module, x = _torch_case(torch, kind, naxes, options)
    cls = getattr(nn, f"{kind}{naxes}d")
    layer = cls.from_torch(module)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    got = layer(x)
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    # and bitwise our functional layer with the module's arguments
    weight = module.weight.detach().numpy()
    bias = None if module.bias is None else module.bias.detach().numpy()
    if kind == "Conv":
        names = ("stride", "padding", "dilation", "groups", "padding_mode")
    else:
        names = ("stride", "padding", "output_padding", "groups", "dilation")
    call = {name: getattr(module, name) for name in names}
    assert_bitwise(got, functional(cls)(x, weight, bias, **call))
    assert repr(layer).replace(", bias=True", "") == repr(module)
    assert layer.in_channels == module.in_channels and layer.kernel_size == module.kernel_size
    # a copy: the module's later training does not change the layer
    with torch.no_grad():
        module.weight.zero_()
    assert_bitwise(layer(x), got)


def test_from_torch_refuses_other_modules():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="module"):
        nn.Conv2d.from_torch(torch.nn.Linear(3, 4))
    with pytest.raises(TypeError, match="module"):
        nn.Conv2d.from_torch(torch.nn.Conv1d(3, 4, 3))
    with pytest.raises(TypeError, match="module"):
        nn.ConvTranspose2d.from_torch(torch.nn.Conv2d(3, 4, 3))
    with pytest.raises(TypeError, match="module"):
        nn.Conv2d.from_torch(object())
    module = torch.nn.ConvTranspose2d(2, 2, 3)
    module.padding_mode = "reflect"  # (torch refuses it at construction)
    with pytest.raises(ValueError, match="module.*zeros"):
        nn.ConvTranspose2d.from_torch(module)


def channels_last_empty(shape, dtype):
    """An array of `shape` (N, C, spatial...) whose memory is channels-last
    (N, spatial..., C), filled with NaN so that an unwritten output shows."""
    perm = (0,) + tuple(range(2, len(shape))) + (1,)
    base = np.full(tuple(shape[a] for a in perm), np.nan, dtype)
    return base.transpose(np.argsort(perm))


# (function, weight shape, options): each store path of the kernels (1x1
# pointwise, Winograd, direct dense, depthwise at stride 1 and 2, the
# few-channel stem, transposed as a 1x1 per phase and by phases, grouped)
CHANNELS_LAST_CASES = [
    (nn.conv2d, (32, 16, 1, 1), {}),
    (nn.conv2d, (20, 12, 3, 3), dict(padding=1)),
    (nn.conv2d, (20, 12, 3, 3), dict(padding=1, algorithm="direct", activation="relu")),
    (nn.conv2d, (24, 1, 3, 3), dict(padding=1, groups=24)),
    (nn.conv2d, (24, 1, 5, 5), dict(padding=2, stride=2, groups=24)),
    (nn.conv2d, (16, 3, 3, 3), dict(padding=1, stride=2, activation="hardswish")),
    (nn.conv_transpose2d, (24, 24, 2, 2), dict(stride=2)),
    (nn.conv_transpose2d, (16, 8, 4, 4), dict(stride=2, padding=1)),
    (nn.conv_transpose2d, (8, 1, 4, 4), dict(stride=2, padding=1, groups=8)),
    (nn.conv1d, (40, 6, 5), dict(padding=2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CHANNELS_LAST_CASES, ids=str)
def test_channels_last_out_gives_the_same_bits(rng, case, dtype):
    # A network can keep its activations channels-last: `out=` takes a
    # channels-last view and gets the C-contiguous result's bits, from
    # planar and channels-last input, with a residual too, for the
    # functional call and the layer object, on 1 and 2 threads.
    f, w_shape, options = case
    naxes = len(w_shape) - 2
    transposed = f is nn.conv_transpose2d
    cin = w_shape[0] if transposed else w_shape[1] * options.get("groups", 1)
    for spatial in [(19, 40), (7, 6)]:
        x = random_data(rng, (2, cin) + spatial[:naxes], dtype)
        w = random_data(rng, w_shape, dtype)
        b = random_data(
            rng, w_shape[1] * options.get("groups", 1) if transposed else w_shape[0], dtype
        )
        want = f(x, w, b, **options)
        residual = random_data(rng, want.shape, dtype)
        want_res = f(x, w, b, residual=residual, **options)
        layer_cls = {
            nn.conv2d: nn.Conv2d,
            nn.conv1d: nn.Conv1d,
            nn.conv_transpose2d: nn.ConvTranspose2d,
        }[f]
        layer = layer_cls(w, b, **options)
        x_last = channels_last_empty(x.shape, dtype)
        x_last[...] = x
        for threads in (1, 2):
            for xin in (x, x_last):  # (channels-last in and out: a network's layers)
                out = channels_last_empty(want.shape, dtype)
                assert f(xin, w, b, out=out, threads=threads, **options) is out
                assert_bitwise(out, want)
                out = channels_last_empty(want.shape, dtype)
                assert layer(xin, out=out, residual=residual, threads=threads) is out
                assert_bitwise(out, want_res)


def channels_last_layer_case(rng, case, cout, dtype):
    """A (weight shape, options) case's options (a prelu's slopes drawn),
    functional call and layer class, bias, and weights (also with an Inf)."""
    w_shape, options = case[0], dict(case[1])
    if options.get("activation") == "prelu":  # (a slope per channel)
        options["activation"] = ("prelu", rng.uniform(-0.5, 0.5, cout))
    f, layer_cls = (nn.conv1d, nn.Conv1d) if len(w_shape) == 3 else (nn.conv2d, nn.Conv2d)
    w = random_data(rng, w_shape, dtype)
    b = random_data(rng, cout, dtype)
    w_inf = w.copy()
    w_inf.flat[0] = np.inf
    return options, f, layer_cls, b, (w, w_inf)


def assert_channels_last_gives_the_planar_bits(rng, f, layer_cls, x, x_last, weight, b, options):
    """The functional call and the layer object (with a residual) on the
    channels-last `x_last`, into a channels-last `out`, on 1 and 2
    threads: the bits of the planar call on `x`."""
    want = f(x, weight, b, **options)
    residual = random_data(rng, want.shape, x.dtype)
    want_res = f(x, weight, b, residual=residual, **options)
    layer = layer_cls(weight, b, **options)
    for threads in (1, 2):
        out = channels_last_empty(want.shape, x.dtype)
        f(x_last, weight, b, out=out, threads=threads, **options)
        assert_bitwise(out, want)
        out = channels_last_empty(want.shape, x.dtype)
        layer(x_last, out=out, residual=residual, threads=threads)
        assert_bitwise(out, want_res)


# 1x1 layers on channels-last arrays take their own kernel (a matrix
# product, output channels along the vector lanes): channel counts around
# one to four vectors, with and without bias, the fused activations, 1-D
# and 2-D. (weight shape, options)
POINTWISE_CHANNELS_LAST = [
    ((32, 16, 1, 1), {}),
    ((96, 12, 1, 1), dict(activation="hardswish")),
    ((24, 96, 1, 1), dict(activation="relu")),
    ((17, 5, 1, 1), dict(activation="prelu")),
    ((3, 40, 1, 1), dict(activation="sigmoid")),
    ((1, 1, 1, 1), {}),
    ((56, 9, 1), dict(activation="relu6")),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", POINTWISE_CHANNELS_LAST, ids=str)
def test_pointwise_channels_last_gives_the_planar_bits(rng, case, dtype):
    # The planar result's bits (the pointwise and wide kernels' sums), with
    # and without bias, with the rows one after another, apart
    # (the first columns of a wider array), or the pixels apart (every
    # other column: the general path), and with an Inf weight.
    w_shape = case[0]
    cout, cin = w_shape[:2]
    options, f, layer_cls, b, (w, w_inf) = channels_last_layer_case(rng, case, cout, dtype)
    for spatial in [(13, 29), (2, 3), (1, 1)]:
        x = random_data(rng, (2, cin) + spatial[: len(w_shape) - 2], dtype)
        wide = channels_last_empty(x.shape[:-1] + (2 * x.shape[-1],), dtype)
        n = x.shape[-1]
        for x_last in (channels_last_empty(x.shape, dtype), wide[..., :n], wide[..., ::2]):
            x_last[...] = x
            for weight, bias in ((w, b), (w_inf, None)):
                assert_channels_last_gives_the_planar_bits(
                    rng, f, layer_cls, x, x_last, weight, bias, options
                )


# Depthwise layers on channels-last arrays take their own kernel (vectors
# of channels over the input in place): every kernel size, stride,
# dilation and padding mode, channel counts around a vector, 1-D and 2-D.
# (weight shape, options)
DEPTHWISE_CHANNELS_LAST = [
    ((24, 1, 3, 3), dict(padding=1)),
    ((16, 1, 3, 3), dict(padding=1, stride=2, padding_mode="reflect")),
    ((33, 1, 5, 5), dict(padding=2, padding_mode="circular", activation="relu6")),
    ((7, 1, 3, 5), dict(padding=(2, 3), dilation=(1, 2), padding_mode="replicate")),
    ((48, 1, 7, 7), dict(padding=3, stride=(2, 3), activation="hardswish")),
    ((40, 1, 2, 4), dict(padding=(0, 1), stride=3, dilation=2, activation="prelu")),
    ((1, 1, 3, 3), dict(stride=2)),
    ((20, 1, 5), dict(padding=2, stride=2)),
    # (the sliding blocks: 3, 5 and 7 columns at column stride 1 and 2)
    ((20, 1, 7, 7), dict(padding=3)),
    ((16, 1, 5, 5), dict(padding=2, stride=2, activation="relu")),
    ((9, 1, 7, 7), dict(padding=3, stride=2)),
]


def channels_last_at(x, offset):
    """A channels-last copy of x (N, C, H, W) whose data starts `offset`
    elements after a 64-byte boundary."""
    n, c, h, w = x.shape
    buf = np.empty(x.size + 64, x.dtype)
    first = (-buf.ctypes.data % 64) // x.itemsize + offset
    last = buf[first : first + x.size].reshape(n, h, w, c).transpose(0, 3, 1, 2)
    last[...] = x
    return last


# Planar depthwise layers with at least a vector of channels and columns
# take the channels-last kernel too, over transposed rows (a few per
# thread, reused across output rows). Three channels at a time are always
# the planar kernels' (narrower than a vector of any ISA): the same bits.
# (weight shape, options, input height and width)
DEPTHWISE_PLANAR = [
    ((24, 1, 3, 3), dict(padding=1), (13, 70)),
    ((32, 1, 3, 3), dict(padding=1, stride=2, activation="hardswish"), (20, 67)),
    ((18, 1, 5, 5), dict(padding=2, padding_mode="reflect", activation="prelu"), (9, 40)),
    ((48, 1, 3, 5), dict(padding=(2, 3), dilation=(2, 1), padding_mode="circular"), (11, 33)),
    ((17, 1, 7, 7), dict(padding=3, stride=(1, 2), padding_mode="replicate"), (12, 48)),
    ((20, 1, 4, 2), dict(stride=(3, 1), activation="relu6"), (16, 40)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", DEPTHWISE_PLANAR, ids=str)
def test_depthwise_planar_gives_the_narrow_kernels_bits(rng, case, dtype):
    w_shape, options, spatial = case
    channels = w_shape[0]
    options, f, layer_cls, b, (w, w_inf) = channels_last_layer_case(
        rng, (w_shape, dict(options, groups=channels)), channels, dtype
    )
    x = random_data(rng, (2, channels) + spatial, dtype)
    residual = random_data(rng, f(x, w, b, **options).shape, dtype)
    for weight in (w, w_inf):
        # the same channels three at a time (their prelu slopes and residual)
        parts = []
        for c in range(0, channels, 3):
            part = dict(options, groups=len(range(c, min(c + 3, channels))))
            if isinstance(options.get("activation"), tuple):
                part["activation"] = ("prelu", options["activation"][1][c : c + 3])
            parts.append(
                f(
                    x[:, c : c + 3],
                    weight[c : c + 3],
                    b[c : c + 3],
                    residual=residual[:, c : c + 3],
                    **part,
                )
            )
        want = np.concatenate(parts, axis=1)
        layer = layer_cls(weight, b, **options)
        for threads in (1, 2):
            assert_bitwise(f(x, weight, b, residual=residual, threads=threads, **options), want)
            assert_bitwise(layer(x, residual=residual, threads=threads), want)
        # channels-last, read in place from a 64-byte boundary, else through
        # aligned copies of its rows (NumPy's 16-byte alignment)
        for offset in (0, 1):
            x_last = channels_last_at(x, offset)
            out = channels_last_empty(want.shape, dtype)
            assert_bitwise(layer(x_last, out=out, residual=residual), want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", DEPTHWISE_CHANNELS_LAST, ids=str)
def test_depthwise_channels_last_gives_the_planar_bits(rng, case, dtype):
    # The planar result's bits (the narrow and rows kernels' sums), for
    # the functional call and the layer object with a residual, on 1 and 2
    # threads, and with an Inf weight (NaN where it meets the padding).
    w_shape = case[0]
    channels = w_shape[0]
    case = (w_shape, dict(case[1], groups=channels))
    options, f, layer_cls, b, (w, w_inf) = channels_last_layer_case(rng, case, channels, dtype)
    for spatial in [(13, 29), (4, 8), (3, 83)]:  # (83: whole blocks of 16 at stride 2)
        x = random_data(rng, (2, channels) + spatial[: len(w_shape) - 2], dtype)
        x_last = channels_last_empty(x.shape, dtype)
        x_last[...] = x
        for weight in (w, w_inf):
            assert_channels_last_gives_the_planar_bits(
                rng, f, layer_cls, x, x_last, weight, b, options
            )
