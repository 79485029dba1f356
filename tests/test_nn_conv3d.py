"""fastconv.nn.conv3d / conv_transpose3d against the pure-Python oracle
(exact data: small integers, every partial sum exact, so any summation
order gives the oracle's value) and PyTorch (torch.nn.functional.conv3d /
conv_transpose3d and nn.Conv3d for the padding modes, random data within a
forward-error bound); layouts, thread counts and batching bitwise."""

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa
from hypothesis import given, settings
from hypothesis import strategies as st

from fastconv import _oracle, nn

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

MODES = ["zeros", "reflect", "replicate", "circular"]


def exact_data(rng, shape, dtype):
    v = rng.integers(-3, 3, shape, endpoint=True)
    if np.dtype(dtype).kind == "c":
        v = v + 1j * rng.integers(-3, 3, shape, endpoint=True)
    return v.astype(dtype)


def assert_exact(got, want):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.array_equal(got, want), np.max(np.abs(got - want))


def assert_bitwise(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes()


def assert_within_bound(got, want, x, w, b, scale_of, eps):
    """|got - want| <= 2 * terms * eps * (|x| (*) |w| + |b|) per output,
    the scale computed by `scale_of` on the absolute values."""
    scale = scale_of(np.abs(x), np.abs(w), None if b is None else np.abs(b))
    terms = w.shape[1] * int(np.prod(w.shape[2:])) + 1
    assert np.all(np.abs(got - want) <= 2 * terms * eps * scale + 1e-300)


# --- the oracle ----------------------------------------------------------------------------


def test_oracle_matches_torch(rng):
    """The oracle's 3-D layers from the definition agree with torch on
    exact data (so the oracle checks what torch computes)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, w, b = exact_data(rng, (2, 4, 4, 5, 3), float), exact_data(rng, (4, 2, 2, 3, 2), float), None
    got = _oracle.conv3d(x, w, b, (2, 1, 1), (1, 0, 2), (1, 2, 1), 2)
    want = F.conv3d(torch.tensor(x), torch.tensor(w), None, (2, 1, 1), (1, 0, 2), (1, 2, 1), 2)
    np.testing.assert_array_equal(got, want.numpy())
    wt = exact_data(rng, (4, 3, 3, 2, 2), float)
    got = _oracle.conv_transpose3d(x, wt, None, (2, 1, 3), (1, 0, 0), (1, 0, 2), 2, (1, 2, 1))
    want = F.conv_transpose3d(
        torch.tensor(x), torch.tensor(wt), None, (2, 1, 3), (1, 0, 0), (1, 0, 2), 2, (1, 2, 1)
    )
    np.testing.assert_array_equal(got, want.numpy())


# --- conv3d --------------------------------------------------------------------------------

# (input shape, weight shape, options): every option, depth and planes alike
CONV_CASES = [
    ((2, 3, 4, 5, 4), (4, 3, 3, 3, 3), dict()),
    ((1, 2, 5, 4, 6), (3, 2, 3, 2, 3), dict(padding=1)),
    ((2, 4, 6, 5, 5), (6, 2, 3, 3, 1), dict(stride=(2, 1, 3), padding=(1, 2, 0), groups=2)),
    ((1, 2, 7, 4, 6), (2, 2, 3, 2, 2), dict(dilation=(2, 1, 2), padding=(2, 1, 1))),
    ((1, 4, 5, 4, 4), (4, 1, 2, 3, 3), dict(padding="same", groups=4)),
    ((1, 2, 4, 4, 4), (4, 2, 2, 2, 2), dict(padding="valid", stride=2)),
    ((1, 2, 3, 3, 3), (2, 2, 1, 1, 1), dict(padding=(2, 0, 1), stride=(2, 1, 1))),
    ((1, 2, 5, 3, 4), (3, 2, 2, 2, 2), dict(padding="same", dilation=(2, 1, 1))),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.int64])
def test_conv3d_exact(rng, case, mode, dtype):
    in_shape, w_shape, kw = case
    x, w, b = (exact_data(rng, s, dtype) for s in (in_shape, w_shape, (w_shape[0],)))
    got = nn.conv3d(x, w, b, padding_mode=mode, algorithm="direct", **kw)
    assert_exact(got, _oracle.conv3d(x, w, b, padding_mode=mode, **kw))


@pytest.mark.parametrize("case", CONV_CASES[:5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv3d_matches_torch(rng, case, dtype):
    torch = pytest.importorskip("torch")
    in_shape, w_shape, kw = case
    x = rng.standard_normal(in_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    got = nn.conv3d(x, w, b, **kw)
    args = {k: v for k, v in kw.items() if k != "groups"}
    want = torch.nn.functional.conv3d(
        torch.tensor(x), torch.tensor(w), torch.tensor(b), groups=kw.get("groups", 1), **args
    ).numpy()
    assert got.dtype == dtype

    def scale(ax, aw, ab):
        return torch.nn.functional.conv3d(
            torch.tensor(ax, dtype=torch.float64),
            torch.tensor(aw, dtype=torch.float64),
            torch.tensor(ab, dtype=torch.float64),
            groups=kw.get("groups", 1),
            **args,
        ).numpy()

    # (both within the bound of the exact value: twice the bound apart)
    assert_within_bound(got, want, x, w, b, scale, 2 * np.finfo(dtype).eps)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv3d_padding_modes_match_torch_module(rng, mode):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 4, 5, 6, 7))
    m = torch.nn.Conv3d(4, 6, (3, 2, 3), padding=(2, 1, 1), groups=2, padding_mode=mode).double()
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    got = nn.conv3d(x, w, b, padding=(2, 1, 1), groups=2, padding_mode=mode)
    np.testing.assert_allclose(got, m(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)


def test_conv3d_winograd_planes_within_tolerance(rng):
    """ "auto" runs 3x3 planes with enough channels on Winograd: accurate
    normwise against torch."""
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((1, 8, 6, 10, 10)).astype(np.float32)
    w = rng.standard_normal((8, 8, 3, 3, 3)).astype(np.float32)
    got = nn.conv3d(x, w, padding=1)
    want = torch.nn.functional.conv3d(torch.tensor(x), torch.tensor(w), padding=1).numpy()
    assert np.linalg.norm(got - want) <= 1e-5 * np.linalg.norm(want)


def test_conv3d_unbatched_out_threads_layouts(rng):
    x = rng.standard_normal((2, 4, 5, 6, 7)).astype(np.float32)
    w = rng.standard_normal((8, 4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    ref = nn.conv3d(x, w, b, padding=1, threads=1)
    assert_bitwise(nn.conv3d(x, w, b, padding=1, threads=2), ref)
    assert_bitwise(nn.conv3d(x[1], w, b, padding=1), ref[1])  # unbatched, alone
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 4, 1)).transpose(0, 4, 1, 2, 3)
    assert_bitwise(nn.conv3d(channels_last, w, b, padding=1), ref)
    assert_bitwise(nn.conv3d(x[:, :, ::-1].copy()[:, :, ::-1], w, b, padding=1), ref)
    out = np.empty_like(ref)
    assert nn.conv3d(x, w, b, padding=1, out=out) is out
    assert_bitwise(out, ref)


def test_conv3d_activation_and_residual(rng):
    x = rng.standard_normal((1, 3, 4, 5, 5))
    w = rng.standard_normal((4, 3, 2, 3, 3))
    r = rng.standard_normal((1, 4, 3, 3, 3))
    plain = nn.conv3d(x, w)
    np.testing.assert_array_equal(
        nn.conv3d(x, w, activation="relu", residual=r), np.maximum(plain + r, 0)
    )
    slopes = np.array([0.5, -1.0, 2.0, 0.25])
    want = plain + r
    want = np.where(want > 0, want, want * slopes[:, None, None, None])
    got = nn.conv3d(x, w, activation=("prelu", slopes), residual=r)
    np.testing.assert_array_equal(got, want)


# --- conv_transpose3d ----------------------------------------------------------------------

TRANSPOSE_CASES = [
    ((2, 3, 3, 4, 2), (3, 2, 2, 2, 2), dict(stride=2)),
    ((1, 4, 3, 3, 4), (4, 3, 3, 2, 3), dict(stride=(3, 2, 1), padding=(1, 0, 1), groups=2)),
    ((1, 2, 4, 3, 3), (2, 2, 3, 2, 2), dict(stride=2, padding=1, output_padding=1, dilation=2)),
    ((1, 2, 3, 2, 3), (2, 1, 2, 2, 1), dict(stride=(4, 1, 2), output_padding=(3, 0, 1))),
    (
        (1, 2, 5, 2, 2),
        (2, 2, 3, 1, 2),
        dict(stride=(3, 1, 1), dilation=(2, 1, 1), padding=(2, 0, 0)),
    ),
    ((1, 4, 2, 3, 3), (4, 1, 3, 3, 3), dict(padding=1, groups=4)),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.int64])
def test_conv_transpose3d_exact(rng, case, dtype):
    in_shape, w_shape, kw = case
    cout = w_shape[1] * kw.get("groups", 1)
    x, w, b = (exact_data(rng, s, dtype) for s in (in_shape, w_shape, (cout,)))
    assert_exact(nn.conv_transpose3d(x, w, b, **kw), _oracle.conv_transpose3d(x, w, b, **kw))


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose3d_matches_torch(rng, case):
    torch = pytest.importorskip("torch")
    in_shape, w_shape, kw = case
    cout = w_shape[1] * kw.get("groups", 1)
    x, w, b = (rng.standard_normal(s) for s in (in_shape, w_shape, (cout,)))
    want = torch.nn.functional.conv_transpose3d(
        torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw
    ).numpy()
    np.testing.assert_allclose(nn.conv_transpose3d(x, w, b, **kw), want, rtol=1e-12, atol=1e-12)


def test_conv_transpose3d_unbatched_out_threads_layouts(rng):
    x = rng.standard_normal((2, 6, 3, 4, 5)).astype(np.float32)
    w = rng.standard_normal((6, 4, 2, 2, 2)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    ref = nn.conv_transpose3d(x, w, b, stride=2, threads=1)
    assert_bitwise(nn.conv_transpose3d(x, w, b, stride=2, threads=2), ref)
    assert_bitwise(nn.conv_transpose3d(x[0], w, b, stride=2), ref[0])
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 4, 1)).transpose(0, 4, 1, 2, 3)
    assert_bitwise(nn.conv_transpose3d(channels_last, w, b, stride=2), ref)
    out = np.empty_like(ref)
    assert nn.conv_transpose3d(x, w, b, stride=2, out=out) is out
    assert_bitwise(out, ref)
    r = rng.standard_normal(ref.shape).astype(np.float32)
    np.testing.assert_array_equal(
        nn.conv_transpose3d(x, w, b, stride=2, activation="relu6", residual=r),
        np.clip(ref + r, 0, 6),
    )


def test_conv_transpose3d_unreached_outputs_are_the_bias(rng):
    """Stride 3 past a kernel of 2: a third of the depth slices take no
    term, only the bias (even with an infinite weight: no zero meets it)."""
    x = rng.standard_normal((1, 2, 3, 2, 2))
    w = rng.standard_normal((2, 2, 2, 1, 1))
    w[0, 0, 0, 0, 0] = np.inf
    b = np.array([1.5, -2.0])
    got = nn.conv_transpose3d(x, w, b, stride=(3, 1, 1))
    np.testing.assert_array_equal(
        got[0, :, 2::3], np.broadcast_to(b[:, None, None, None], (2, 2, 2, 2))
    )


# --- both ----------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(
    st.integers(1, 3),  # depth kernel
    st.integers(1, 3),  # depth stride
    st.integers(1, 2),  # depth dilation
    st.integers(0, 2),  # depth padding
    st.integers(2, 6),  # depth
    st.sampled_from([1, 2]),  # groups
    st.sampled_from(MODES),
)
def test_hypothesis_against_the_oracle(kd, sd, dd, pd, depth, groups, mode):
    rng = np.random.default_rng(kd * 1000 + sd * 100 + dd * 10 + pd)
    if (dd * (kd - 1) + 1 > depth + 2 * pd) or (mode == "reflect" and pd >= depth):
        return
    x = exact_data(rng, (1, 2, depth, 3, 3), np.float64)
    w = exact_data(rng, (2, 2 // groups, kd, 2, 2), np.float64)
    kw = dict(stride=(sd, 1, 1), padding=(pd, 1, 0), dilation=(dd, 1, 1), groups=groups)
    assert_exact(
        nn.conv3d(x, w, padding_mode=mode, **kw), _oracle.conv3d(x, w, padding_mode=mode, **kw)
    )
    op = sd - 1 if sd > 1 else 0
    if (depth - 1) * sd - 2 * pd + dd * (kd - 1) + op < 0:
        return  # (no transposed output)
    assert_exact(
        nn.conv_transpose3d(x, w, output_padding=(op, 0, 0), **kw),
        _oracle.conv_transpose3d(x, w, output_padding=(op, 0, 0), **kw),
    )


def _bad_cases():
    x, w = np.zeros((1, 2, 4, 4, 4)), np.zeros((3, 2, 2, 2, 2))
    V, T = ValueError, TypeError
    c3, t3 = nn.conv3d, nn.conv_transpose3d
    return [
        ("4-d input", V, "input", c3, (np.zeros((1, 2, 4, 4, 4, 1)), w), {}),
        ("4-d weight", V, "weight", c3, (x, np.zeros((3, 2, 2, 2))), {}),
        ("channels", V, "weight|channel", c3, (x, np.zeros((3, 3, 2, 2, 2))), {}),
        ("groups", V, "groups", c3, (x, w), dict(groups=2)),
        ("stride 0", V, "stride", c3, (x, w), dict(stride=(0, 1, 1))),
        ("two strides", V, "stride", c3, (x, w), dict(stride=(1, 1))),
        ("dilation", V, "dilation", c3, (x, w), dict(dilation=-1)),
        ("padding", V, "padding", c3, (x, w), dict(padding="full")),
        ("same strided", V, "same|stride|padding", c3, (x, w), dict(padding="same", stride=2)),
        ("kernel", V, "kernel|input|weight", c3, (x, np.zeros((3, 2, 6, 2, 2))), {}),
        ("reflect", V, "padding", c3, (x, w), dict(padding=(4, 0, 0), padding_mode="reflect")),
        ("circular", V, "padding", c3, (x, w), dict(padding=(5, 0, 0), padding_mode="circular")),
        ("mode", V, "padding_mode", c3, (x, w), dict(padding_mode="wrap")),
        ("bias", V, "bias", c3, (x, w, np.zeros(2)), {}),
        ("out", V, "out", c3, (x, w), dict(out=np.zeros((1, 3, 3, 3, 2)))),
        ("residual", V, "residual", c3, (x, w), dict(residual=np.zeros((1, 3, 3, 3, 2)))),
        ("threads", V, "threads", c3, (x, w), dict(threads=0)),
        ("object", T, "input", c3, (x.astype(object), w), {}),
        ("T weight rows", V, "weight", t3, (x, w), {}),
        ("T output_padding", V, "output_padding", t3, (x, w[:2]), dict(output_padding=1)),
        ("T stride", V, "stride", t3, (x, w[:2]), dict(stride=(1, 0, 1))),
        ("T groups", V, "groups", t3, (x, w[:2]), dict(groups=3)),
        ("T padding", V, "padding", t3, (x, w[:2]), dict(padding=(9, 0, 0))),
        ("T bias", V, "bias", t3, (x, w[:2], np.zeros(3)), {}),
    ]


@pytest.mark.parametrize("case", _bad_cases(), ids=lambda c: c[0])
def test_bad_input_names_the_argument(case):
    name, exc, match, f, args, kwargs = case
    with pytest.raises(exc, match=match):
        f(*args, **kwargs)


@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    """The exact-data tests again with each other compiled instruction set."""
    run_tests_under_isa(__file__, isa, "exact and float32 or unbatched")
