"""Fused epilogues of the CNN layers: out = activation(conv + bias + residual).

The fused result must equal the unfused sequence -- fastconv's layer, then
the residual added and the activation written in NumPy with torch's
formula, in the same dtype -- bitwise, except sigmoid and silu (the
kernels' exp: within EXP_ULPS of the exact value). Torch's own activation
functions check the formulas bitwise where torch is installed.
"""

import pickle

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa

import fastconv
from fastconv import nn

# docs/conventions.md: sigmoid and silu within this many ulp of torch's
# formula in the same dtype with a correctly rounded exp, on the same
# (unfused) sum, where the result is normal.
EXP_ULPS = 4

ACTIVATIONS = [
    "relu",
    "relu6",
    "sigmoid",
    "hardsigmoid",
    "hardswish",
    "silu",
    "leaky_relu",
    ("leaky_relu", 0.2),
    ("clamp", -0.5, 1.25),
    ("prelu", 0.25),
    ("prelu", "per-channel"),  # (slopes made per layer)
]
INEXACT = {"sigmoid", "silu"}


def name_of(activation):
    return activation if isinstance(activation, str) else activation[0]


def with_slopes(activation, cout, rng):
    if isinstance(activation, tuple) and activation[1:] == ("per-channel",):
        return ("prelu", rng.uniform(-0.5, 0.5, cout))
    return activation


def unfused(y, activation, residual=None, channel_axis=1):
    """The activation with torch's formula in NumPy, in y's dtype (sigmoid
    and silu with exp correctly rounded to y's dtype)."""
    t = y.dtype.type
    if residual is not None:
        y = y + residual.astype(y.dtype)
    name = name_of(activation)
    params = () if isinstance(activation, str) else activation[1:]

    def clamp(v, lo, hi):  # torch.clamp (np.maximum/minimum keep NaN)
        return np.minimum(np.maximum(v, t(lo)), t(hi))

    if name == "relu":
        return np.where(y < 0, t(0), y)
    if name == "relu6":
        return clamp(y, 0, 6)
    if name == "clamp":
        return clamp(y, *params)
    if name in ("leaky_relu", "prelu"):
        slope = params[0] if params else 0.01
        if np.ndim(slope) == 1:
            shape = [1] * y.ndim
            shape[channel_axis] = -1
            slope = np.asarray(slope).astype(y.dtype).reshape(shape)
        else:
            slope = t(slope)
        return np.where(y > 0, y, y * slope)
    if name == "hardsigmoid":
        return clamp(y + t(3), 0, 6) / t(6)
    if name == "hardswish":
        return y * clamp(y + t(3), 0, 6) / t(6)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-y.astype(np.float64)).astype(y.dtype)  # (overflows as in y's dtype)
        if name == "sigmoid":
            return t(1) / (t(1) + e)
        if name == "silu":
            return y / (t(1) + e)
    raise AssertionError(name)


def assert_matches(got, want, activation):
    """Bitwise (NaN equal to NaN), or within EXP_ULPS for sigmoid and silu."""
    if name_of(activation) not in INEXACT:
        assert got.dtype == want.dtype
        assert np.array_equal(got, want, equal_nan=True), np.max(np.abs(got - want))
        return
    ref = want
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    tiny = np.finfo(got.dtype).tiny
    inf = np.isinf(ref)
    assert np.array_equal(got[inf], ref[inf])
    ok &= ~inf
    err = np.abs(got[ok].astype(np.float64) - want[ok].astype(np.float64))
    ulp = np.spacing(np.abs(ref[ok])).astype(np.float64)
    # (results below the normal range: an absolute error of at most tiny)
    bound = np.where(np.abs(ref[ok]) < tiny, tiny, EXP_ULPS * ulp)
    assert np.all(err <= bound), np.max(err / ulp)


# Layers whose configurations reach every kernel kind: wide and half
# (dense), narrow and rows (depthwise), paired (depthwise transposed stride
# 2), phases that no tap reaches (transposed stride 3, kernel 2), partial
# vectors (odd widths), several passes of taps (many input channels).
# (kind, input shape, weight shape, options)
CASES = [
    ("conv2d", (2, 8, 9, 13), (20, 8, 3, 3), dict(padding=1)),
    ("conv2d", (1, 6, 11, 10), (6, 1, 3, 3), dict(padding=1, groups=6)),
    ("conv2d", (1, 3, 7, 21), (6, 3, 1, 1), dict(stride=(1, 2))),
    ("conv2d", (1, 160, 5, 6), (12, 160, 3, 3), dict(padding=(1, 0))),
    ("conv_transpose2d", (2, 6, 5, 7), (6, 10, 4, 4), dict(stride=2, padding=1)),
    ("conv_transpose2d", (1, 4, 6, 9), (4, 1, 3, 3), dict(stride=2, groups=4)),
    ("conv_transpose2d", (1, 3, 4, 5), (3, 5, 2, 2), dict(stride=3)),
    ("conv1d", (2, 5, 37), (9, 5, 3), dict(padding=2, dilation=2)),
    ("conv1d", (1, 4, 29), (4, 1, 5), dict(groups=4, stride=2)),
]

LAYERS = {
    "conv1d": (nn.conv1d, nn.Conv1d),
    "conv2d": (nn.conv2d, nn.Conv2d),
    "conv_transpose1d": (nn.conv_transpose1d, nn.ConvTranspose1d),
    "conv_transpose2d": (nn.conv_transpose2d, nn.ConvTranspose2d),
}


def make_case(rng, case, dtype, with_bias):
    kind, xshape, wshape, options = case
    x = rng.standard_normal(xshape).astype(dtype)
    w = rng.standard_normal(wshape).astype(dtype)
    groups = options.get("groups", 1)
    cout = wshape[1] * groups if "transpose" in kind else wshape[0]
    b = rng.standard_normal(cout).astype(dtype) if with_bias else None
    return kind, x, w, b, cout, options


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
@pytest.mark.parametrize("family", ["conv2d", "conv_transpose2d", "conv1d"])
def test_fused_equals_unfused(rng, family, activation, dtype):
    """Every activation on every kernel kind, with and without bias and
    residual, threads 1 and 2, functional and layer object."""
    for i, case in enumerate(c for c in CASES if c[0] == family):
        kind, x, w, b, cout, options = make_case(rng, case, dtype, with_bias=i % 2 == 0)
        act = with_slopes(activation, cout, rng)
        functional, Layer = LAYERS[kind]
        y = functional(x, w, b, **options)
        residual = rng.standard_normal(y.shape).astype(dtype)
        layer = Layer(w, b, **options, activation=act)
        for res in (None, residual):
            want = unfused(y, act, res)
            got = functional(x, w, b, **options, activation=act, residual=res, threads=1)
            assert_matches(got, want, act)
            for threads in (1, 2):
                again = layer(x, residual=res, threads=threads)
                assert np.array_equal(again, got, equal_nan=True)
        assert np.array_equal(layer(x), functional(x, w, b, **options, activation=act))


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
def test_torch_activations_bitwise(rng, activation):
    """torch's own activation on fastconv's unfused sum gives the fused
    result bitwise (sigmoid and silu: within EXP_ULPS of torch's too)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal((2, 16, 9, 11)) * 4).astype(dtype)
        w = rng.standard_normal((16, 16, 1, 1)).astype(dtype) / 4
        b = rng.standard_normal(16).astype(dtype)
        res = rng.standard_normal((2, 16, 9, 11)).astype(dtype)
        act = with_slopes(activation, 16, rng)
        got = nn.conv2d(x, w, b, activation=act, residual=res)
        s = torch.from_numpy(nn.conv2d(x, w, b) + res)
        name = name_of(act)
        params = () if isinstance(act, str) else act[1:]
        if name == "prelu":
            slope = np.broadcast_to(np.asarray(params[0], dtype=dtype), (16,)).copy()
            want = F.prelu(s, torch.from_numpy(slope))
        elif name == "leaky_relu":
            want = F.leaky_relu(s, *params)
        elif name == "clamp":
            want = F.hardtanh(s, *params)
        else:
            want = getattr(F, name)(s)
        assert_matches(got, unfused(s.numpy(), act), act)
        if name in INEXACT:
            assert np.allclose(got, want.numpy(), rtol=4 * np.finfo(dtype).eps, atol=0)
        else:
            assert np.array_equal(got, want.numpy())


def identity_layer(values, dtype, activation, kind="conv2d"):
    """The activation of `values` through a 1x1 layer of weight 1 and no
    bias (its sums are the inputs exactly)."""
    x = np.asarray(values, dtype=dtype).reshape(1, 1, 1, -1)
    if kind == "conv2d":
        return nn.conv2d(x, np.ones((1, 1, 1, 1), dtype), activation=activation)[0, 0, 0]
    return nn.conv_transpose2d(x, np.ones((1, 1, 1, 1), dtype), activation=activation)[0, 0, 0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_error_bound(dtype):
    """sigmoid and silu over their whole range (dense near 0, out to the
    overflow of exp): within EXP_ULPS of exact, Inf and NaN as torch."""
    edge = 110.0 if dtype == np.float32 else 760.0
    values = np.concatenate(
        [
            np.linspace(-edge, edge, 20001),
            np.linspace(-3, 3, 6001),
            [np.inf, -np.inf, np.nan, 0.0, -0.0],
        ]
    ).astype(dtype)
    for activation in ("sigmoid", "silu"):
        for kind in ("conv2d", "conv_transpose2d"):
            got = identity_layer(values, dtype, activation, kind)
            assert_matches(got, unfused(values, activation, channel_axis=0), activation)


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
def test_nan_and_inf_pass_as_torch(activation):
    """NaN stays NaN (torch.relu(nan) is nan: no max instruction dropping
    it), +-Inf as the formula gives; on whole vectors and the edge lanes."""
    values = [np.nan, np.inf, -np.inf, -0.0, 0.0, 3.0, -3.0, -1e30, 1e30] * 3 + [np.nan]
    act = with_slopes(activation, 1, np.random.default_rng(0))
    for dtype in (np.float32, np.float64):
        v = np.asarray(values, dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            want = unfused(v, act, channel_axis=0)
        assert_matches(identity_layer(v, dtype, act), want, act)
    if name_of(act) == "relu":
        assert np.isnan(identity_layer([np.nan] * 17, np.float32, "relu")).all()


@pytest.fixture
def denormal_guard_on():
    before = fastconv.get_denormal_guard()
    fastconv.set_denormal_guard(True)
    yield
    fastconv.set_denormal_guard(before)


def test_denormal_guard_path(rng, denormal_guard_on):
    """With the denormal guard on, inputs whose products would be subnormal
    run on the guard's scaled copies; the epilogue is then a pass over the
    scaled-back output, with the same result as unfused."""
    x = (rng.standard_normal((1, 8, 6, 7)) * 1e-30).astype(np.float32)
    w = (rng.standard_normal((16, 8, 3, 3)) * 1e-12).astype(np.float32)
    b = (rng.standard_normal(16) * 1e-41).astype(np.float32)
    y = nn.conv2d(x, w, b, padding=1)
    res = (rng.standard_normal(y.shape) * 1e-41).astype(np.float32)
    wt = w.transpose(1, 0, 2, 3).copy()  # (8 -> 16 channels, transposed)
    yt = nn.conv_transpose2d(x, wt, b, stride=2)
    rt = (rng.standard_normal(yt.shape) * 1e-41).astype(np.float32)
    for act in ("relu", ("prelu", rng.uniform(0, 1, 16)), "hardswish"):
        got = nn.conv2d(x, w, b, padding=1, activation=act, residual=res)
        assert_matches(got, unfused(y, act, res), act)
        got = nn.conv_transpose2d(x, wt, b, stride=2, activation=act, residual=rt)
        assert_matches(got, unfused(yt, act, rt), act)


def test_transposed_nonfinite_weights(rng):
    """Inf weights take the transposed layer's term-by-term path: the
    epilogue follows as a pass."""
    x = rng.standard_normal((1, 2, 4, 5))
    w = rng.standard_normal((2, 3, 3, 3))
    w[0, 1, 2, 2] = np.inf
    y = nn.conv_transpose2d(x, w, stride=2)
    res = rng.standard_normal(y.shape)
    with np.errstate(invalid="ignore"):
        want = unfused(y, "hardsigmoid", res)
    for layer_call in (
        lambda: nn.conv_transpose2d(x, w, stride=2, activation="hardsigmoid", residual=res),
        lambda: nn.ConvTranspose2d(w, stride=2, activation="hardsigmoid")(x, residual=res),
    ):
        assert_matches(layer_call(), want, "hardsigmoid")


def test_residual_layouts_and_in_place(rng):
    """Any residual layout (strided, broadcast, Fortran order, another
    dtype: cast to the compute dtype), unbatched, and the residual as
    `out` itself (an in-place add)."""
    x = rng.standard_normal((2, 4, 8, 9)).astype(np.float32)
    w = rng.standard_normal((8, 4, 3, 3)).astype(np.float32)
    layer = nn.Conv2d(w, padding=1, activation="relu6")
    y = layer.__class__(w, padding=1)(x)
    big = rng.standard_normal((2, 8, 16, 9)).astype(np.float32)
    for res in (
        big[:, :, ::2],
        np.asfortranarray(big[:, :, :8]),
        np.broadcast_to(big[:1, :1, :8], y.shape),
        big[:, :, :8].astype(np.float64),
    ):
        want = unfused(y, "relu6", res.astype(np.float32))
        assert np.array_equal(layer(x, residual=res), want)
        assert np.array_equal(nn.conv2d(x, w, padding=1, activation="relu6", residual=res), want)
    res = big[0, :, :8].copy()
    assert np.array_equal(layer(x[0], residual=res), unfused(y[:1], "relu6", res[None])[0])
    out = big[:, :, :8].copy()
    want = unfused(y, "relu6", out)
    assert layer(x, residual=out, out=out) is out
    assert np.array_equal(out, want)


def test_float16_and_other_dtypes():
    """float16 computes in float32 (the activation too), rounded at the
    end; integer and complex data take no epilogue (TypeError naming it)."""
    x = np.arange(2 * 3 * 5.0).reshape(1, 2, 3, 5) - 12
    w = np.ones((2, 2, 1, 1))
    got = nn.conv2d(x.astype(np.float16), w.astype(np.float16), activation="relu")
    y = nn.conv2d(x.astype(np.float32), w.astype(np.float32))
    assert got.dtype == np.float16
    assert np.array_equal(got, unfused(y, "relu").astype(np.float16))
    with pytest.raises(TypeError, match="activation"):
        nn.conv2d(x.astype(np.int64), w.astype(np.int64), activation="relu")
    with pytest.raises(TypeError, match="residual"):
        nn.conv2d(x.astype(np.complex64), w, residual=np.zeros((1, 2, 3, 5)))
    with pytest.raises(TypeError, match="activation"):
        nn.Conv2d(w.astype(np.int64), activation="relu")


@pytest.mark.parametrize(
    "activation, error",
    [
        ("gelu", ValueError),
        ("RELU", ValueError),
        (5, TypeError),
        (["relu"], TypeError),
        ((), TypeError),
        (("clamp", 1.0, 0.0), ValueError),
        (("clamp", np.nan, 1.0), ValueError),
        (("clamp", 0.0), ValueError),
        (("clamp", "a", 1.0), TypeError),
        (("leaky_relu",), ValueError),
        (("leaky_relu", True), TypeError),
        (("prelu", np.ones(3)), ValueError),
        (("prelu", np.ones((4, 1))), ValueError),
        (("prelu", np.ones(4, complex)), ValueError),
        (("relu", 1.0), ValueError),
        (("swish", 1.0), ValueError),
    ],
    ids=repr,
)
def test_bad_activation(activation, error):
    w = np.ones((4, 2, 3, 3))
    x = np.ones((1, 2, 5, 5))
    with pytest.raises(error, match="activation"):
        nn.Conv2d(w, activation=activation)
    with pytest.raises(error, match="activation"):
        nn.conv2d(x, w, activation=activation)
    with pytest.raises(error, match="activation"):
        nn.ConvTranspose2d(w.transpose(1, 0, 2, 3), activation=activation)


def test_bad_residual():
    w = np.ones((4, 2, 3, 3))
    x = np.ones((1, 2, 5, 5))
    layer = nn.Conv2d(w)
    for res in (np.ones((1, 4, 3, 4)), np.ones((4, 3, 3)), np.ones(3)):
        with pytest.raises(ValueError, match="residual"):
            layer(x, residual=res)
        with pytest.raises(ValueError, match="residual"):
            nn.conv2d(x, w, residual=res)
    with pytest.raises(TypeError, match="residual"):
        layer(x, residual=np.ones((1, 4, 3, 3), complex))
    with pytest.raises(TypeError, match="residual"):
        layer(x, residual=np.full((1, 4, 3, 3), None))


def test_repr_pickle_and_token(rng):
    pytest.importorskip("dask")
    from dask.base import tokenize

    w = rng.standard_normal((4, 2, 3, 3))
    slopes = rng.uniform(0, 1, 4)
    x = rng.standard_normal((1, 2, 6, 6))
    layers = [
        nn.Conv2d(w, activation="hardswish"),
        nn.Conv2d(w, activation=("clamp", -1.0, 2.0)),
        nn.Conv2d(w, activation=("prelu", slopes)),
        nn.ConvTranspose2d(w.transpose(1, 0, 2, 3), stride=2, activation="silu"),
    ]
    assert repr(layers[0]).endswith("bias=False, activation='hardswish')")
    assert "activation=('clamp', -1.0, 2.0)" in repr(layers[1])
    assert "activation=('prelu', <4 slopes>)" in repr(layers[2])
    assert "activation" not in repr(nn.Conv2d(w))
    slopes[:] = 0  # (the layer keeps its own copy)
    for layer in layers:
        back = pickle.loads(pickle.dumps(layer))
        assert repr(back) == repr(layer)
        assert np.array_equal(back(x), layer(x))
        assert tokenize(back) == tokenize(layer)
    tokens = {tokenize(layer) for layer in layers[:3]} | {tokenize(nn.Conv2d(w))}
    assert len(tokens) == 4


def test_fold_batch_norm_vs_torch(rng):
    """conv then batch norm (eval) equals the folded layer to rounding."""
    torch = pytest.importorskip("torch")
    for dtype in (np.float32, np.float64):
        conv = torch.nn.Conv2d(6, 8, 3, padding=1).to(
            torch.float64 if dtype == np.float64 else torch.float32
        )
        bn = torch.nn.BatchNorm2d(8).to(conv.weight.dtype)
        with torch.no_grad():
            bn.running_mean.copy_(torch.from_numpy(rng.standard_normal(8)))
            bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2, 8)))
            bn.weight.copy_(torch.from_numpy(rng.standard_normal(8)))
            bn.bias.copy_(torch.from_numpy(rng.standard_normal(8)))
        bn.eval()
        x = rng.standard_normal((2, 6, 10, 11)).astype(dtype)
        with torch.no_grad():
            want = torch.relu(bn(conv(torch.from_numpy(x)))).numpy()
        w, b = nn.fold_batch_norm(
            conv.weight.detach().numpy(),
            conv.bias.detach().numpy(),
            bn.running_mean.numpy(),
            bn.running_var.numpy(),
            bn.weight.detach().numpy(),
            bn.bias.detach().numpy(),
            eps=bn.eps,
        )
        assert w.dtype == dtype and b.dtype == dtype
        got = nn.Conv2d(w, b, padding=1, activation="relu")(x)
        eps = np.finfo(dtype).eps
        assert np.linalg.norm(got - want) <= 64 * eps * np.linalg.norm(want)


def test_fold_batch_norm_defaults_and_errors():
    w2 = np.full((2, 1, 1), 2.0, np.float32)
    w, b = nn.fold_batch_norm(w2, None, [0.0, 1.0], [1.0, 4.0], eps=0)
    assert w.dtype == np.float32 and np.array_equal(w[:, 0, 0], [2.0, 1.0])
    assert b.dtype == np.float32 and np.array_equal(b, [0.0, -0.5])
    w, b = nn.fold_batch_norm(w2, [1.0, 1.0], [0.0, 1.0], [1.0, 4.0], [2.0, 2.0], [0.5, 0.5], eps=0)
    assert np.array_equal(w[:, 0, 0], [4.0, 2.0]) and np.array_equal(b, [2.5, 0.5])
    with pytest.raises(ValueError, match="running_mean"):
        nn.fold_batch_norm(np.ones((2, 1, 1)), None, [0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="running_var"):
        nn.fold_batch_norm(np.ones((2, 1, 1)), None, [0.0, 0.0], [1.0, -1.0], eps=0.0)
    with pytest.raises(TypeError, match="eps"):
        nn.fold_batch_norm(np.ones((2, 1, 1)), None, [0.0, 0.0], [1.0, 1.0], eps="x")


@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    """This file's exactness tests again under each other compiled ISA
    (the choice is made once per process)."""
    run_tests_under_isa(
        __file__,
        isa,
        "fused_equals_unfused or exp_error or nan_and_inf or denormal_guard or nonfinite",
    )
