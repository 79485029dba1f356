"""fastconv.nn 3-D pooling (max_pool3d, max_unpool3d, avg_pool3d,
adaptive_avg_pool3d) against the oracle and PyTorch."""

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa
from hypothesis import given, settings
from hypothesis import strategies as st
from test_avg_pool import assert_within_bound
from test_pool import oracle_pool, with_ties_and_nans

from fastconv import _oracle, nn

# (kernel, stride, padding, dilation, ceil_mode), one int for every axis
MAX_PARAMS = [
    (2, 2, 0, 1, False),
    (3, 2, 1, 1, False),
    (3, 1, 1, 1, True),
    (3, 2, 1, 2, True),
    (2, 3, 1, 1, True),
]

# (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_PARAMS = [
    (2, None, 0, False, True, None),
    (3, 1, 1, False, True, None),
    (3, 2, 1, True, False, None),
    ((2, 3, 1), (1, 2, 1), (1, 1, 0), True, True, None),
    (3, 2, 1, False, True, 5),
]


def wide(shape, s):
    """shape with a last axis long enough for the row kernel's vectors."""
    return shape[:-1] + (37 * s + 4,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8])
@pytest.mark.parametrize("params", MAX_PARAMS)
def test_max_pool3d_matches_oracle(rng, dtype, params):
    k, s, p, d, ceil_mode = params
    for shape in [(2, 2, 5, 6, 7), (1, 1, 5, 4, 40), wide((1, 1, 5, 4, 0), s), (2, 5, 6, 7)]:
        x = with_ties_and_nans(rng, shape, dtype)
        values, indices = nn.max_pool3d(x, k, s, p, d, ceil_mode, return_indices=True)
        want_v, want_i = oracle_pool(x, 3, k, s, p, d, ceil_mode)
        assert values.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(values, want_v)
        np.testing.assert_array_equal(indices, want_i)
        np.testing.assert_array_equal(nn.max_pool3d(x, k, s, p, d, ceil_mode), want_v)


@settings(max_examples=15, deadline=None)
@given(
    k=st.lists(st.integers(1, 3), min_size=3, max_size=3),
    s=st.lists(st.integers(1, 3), min_size=3, max_size=3),
    d=st.integers(1, 2),
    ceil_mode=st.booleans(),
    extra=st.lists(st.integers(0, 4), min_size=2, max_size=2),
    width=st.integers(0, 40),
    seed=st.integers(0, 2**16),
)
def test_max_pool3d_hypothesis(k, s, d, ceil_mode, extra, width, seed):
    rng = np.random.default_rng(seed)
    shape = (2, d * (k[0] - 1) + 1 + extra[0], d * (k[1] - 1) + 1 + extra[1])
    shape += (d * (k[2] - 1) + 1 + width,)
    x = with_ties_and_nans(rng, shape, np.float32)
    p = [kk // 2 for kk in k]
    values, indices = nn.max_pool3d(x, k, s, p, d, ceil_mode, return_indices=True)
    for c in range(2):
        want_v, want_i = _oracle.max_pool(x[c], k, s, p, [d] * 3, ceil_mode)
        np.testing.assert_array_equal(values[c], want_v)
        np.testing.assert_array_equal(indices[c], want_i)


def test_max_unpool3d_matches_oracle(rng):
    # (the indices point into the input's plane: unpooled into a plane at
    # least as large, with rows as long, or as many elements)
    x = with_ties_and_nans(rng, (2, 3, 6, 8, 10), np.float32)
    for k, s, p, size in [(2, 2, 0, None), (3, 2, 1, (6, 8, 10)), (2, 2, 0, (7, 9, 11))]:
        values, indices = nn.max_pool3d(x, k, s, p, return_indices=True)
        got = nn.max_unpool3d(values, indices, k, s, p, output_size=size)
        plane = size or tuple((n - 1) * s - 2 * p + k for n in values.shape[-3:])
        assert got.shape == x.shape[:2] + plane
        for b in np.ndindex(2, 3):
            want = _oracle.max_unpool(values[b], indices[b], plane)
            np.testing.assert_array_equal(got[b], want)
    with pytest.raises(ValueError, match="outside the output plane of size 4x4x4"):
        nn.max_unpool3d(values[..., :2, :2, :2], indices[..., :2, :2, :2] + 100, 2)
    with pytest.raises(ValueError, match=r"pooled axis D \(axis 2 of the output\)"):
        nn.max_unpool3d(values, indices, 2, output_size=(20, 7, 9))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("params", AVG_PARAMS)
def test_avg_pool3d_within_the_bound_of_the_oracle(rng, dtype, params):
    k, s, p, ceil_mode, include_pad, divisor = params
    x = rng.standard_normal((2, 5, 6, 40)).astype(dtype)
    per_axis = [lambda v: list(v) if isinstance(v, tuple) else [v] * 3][0]
    ks, pk = per_axis(k), per_axis(p)
    ss = ks if s is None else per_axis(s)
    got = nn.avg_pool3d(x, k, s, p, ceil_mode, include_pad, divisor)
    for c in range(2):
        want = _oracle.avg_pool(x[c], ks, ss, pk, ceil_mode, include_pad, divisor)
        scale = _oracle.avg_pool(np.abs(x[c]), ks, ss, pk, ceil_mode, include_pad, divisor)
        assert_within_bound(got[c], want, np.abs(scale), int(np.prod(ks)), dtype)


def test_adaptive_avg_pool3d_within_the_bound_of_the_oracle(rng):
    x = rng.standard_normal((2, 5, 6, 7))
    for size in [(1, 1, 1), (2, 3, 4), (5, 6, 7), (3, 4, 11)]:
        got = nn.adaptive_avg_pool3d(x, size)
        for c in range(2):
            want = _oracle.adaptive_avg_pool(x[c], size)
            scale = _oracle.adaptive_avg_pool(np.abs(x[c]), size)
            assert_within_bound(got[c], want, scale, 5 * 6 * 7, np.float64)
    got = nn.adaptive_avg_pool3d(x, (None, 2, None))
    assert got.shape == (2, 5, 2, 7)


def test_threads_give_identical_bytes(rng):
    x = rng.standard_normal((2, 8, 12, 13, 40)).astype(np.float32)
    for call in (
        lambda t: nn.max_pool3d(x, 3, 2, 1, return_indices=True, threads=t)[1],
        lambda t: nn.avg_pool3d(x, 3, 2, 1, threads=t),
        lambda t: nn.adaptive_avg_pool3d(x, (5, 6, 7), threads=t),
    ):
        assert call(1).tobytes() == call(2).tobytes()


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: nn.max_pool3d(np.zeros((1, 4, 4)), 2), ValueError, "input"),
        (lambda: nn.max_pool3d(np.zeros((1, 4, 4, 4)), (2, 2)), ValueError, "kernel_size"),
        (lambda: nn.max_pool3d(np.zeros((1, 4, 4, 4)), 2, padding=2), ValueError, "padding"),
        (lambda: nn.max_pool3d(np.zeros((1, 4, 4, 4)), 5), ValueError, "too small"),
        (lambda: nn.avg_pool3d(np.zeros((1, 4, 4, 4), np.int32), 2), TypeError, "input"),
        (
            lambda: nn.avg_pool3d(np.zeros((1, 4, 4, 4)), 2, divisor_override=0),
            ValueError,
            "divisor",
        ),
        (lambda: nn.adaptive_avg_pool3d(np.zeros((1, 4, 4, 4)), (2, 2)), ValueError, "output_size"),
        (
            lambda: nn.max_unpool3d(np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 2), np.int64), 2),
            ValueError,
            "indices",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("params", MAX_PARAMS)
def test_max_pool3d_equals_torch(rng, dtype, params):
    torch = _torch()
    k, s, p, d, ceil_mode = params
    for shape in [(2, 2, 5, 6, 7), wide((1, 1, 4, 5, 0), s), (2, 5, 6, 7)]:
        x = with_ties_and_nans(rng, shape, dtype)
        ours = nn.max_pool3d(x, k, s, p, d, ceil_mode, return_indices=True)
        theirs = torch.nn.functional.max_pool3d(
            torch.from_numpy(x), k, s, p, d, ceil_mode, return_indices=True
        )
        np.testing.assert_array_equal(ours[0], theirs[0].numpy())
        np.testing.assert_array_equal(ours[1], theirs[1].numpy())
        if x.dtype.kind != "f":
            continue  # torch unpools floats only
        try:
            want = torch.nn.functional.max_unpool3d(theirs[0], theirs[1], k, s, p, shape[-3:])
        except (RuntimeError, ValueError):  # the input size not within stride of the default
            with pytest.raises(ValueError, match="output_size"):
                nn.max_unpool3d(ours[0], ours[1], k, s, p, output_size=shape[-3:])
            continue
        got = nn.max_unpool3d(ours[0], ours[1], k, s, p, output_size=shape[-3:])
        np.testing.assert_array_equal(got, want.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("params", AVG_PARAMS)
def test_avg_pool3d_equals_torch(rng, dtype, params):
    torch = _torch()
    k, s, p, ceil_mode, include_pad, divisor = params
    x = rng.standard_normal((2, 3, 5, 6, 21)).astype(dtype)
    ours = nn.avg_pool3d(x, k, s, p, ceil_mode, include_pad, divisor)
    theirs = torch.nn.functional.avg_pool3d(
        torch.from_numpy(x), k, s, p, ceil_mode, include_pad, divisor
    )
    np.testing.assert_array_equal(ours, theirs.numpy())


def test_adaptive_avg_pool3d_equals_torch(rng):
    torch = _torch()
    x = rng.standard_normal((2, 3, 5, 6, 7)).astype(np.float32)
    for size in [(2, 3, 4), (5, 6, 7), (3, 4, 11), (2, 2, 2)]:
        ours = nn.adaptive_avg_pool3d(x, size)
        theirs = torch.nn.functional.adaptive_avg_pool3d(torch.from_numpy(x), size)
        np.testing.assert_array_equal(ours, theirs.numpy())


@pytest.mark.slow
@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    """This file's oracle tests again with each other compiled instruction set."""
    run_tests_under_isa(__file__, isa, "matches_oracle or hypothesis or threads_give")
