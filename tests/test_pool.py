"""fastconv.nn max-pooling and max-unpooling against the oracle and PyTorch."""

import itertools

import numpy as np
import pytest
from conftest import isa_params, random_array, run_tests_under_isa
from hypothesis import given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import _oracle, nn

POOL_DTYPES = [
    np.float32,
    np.float64,
    np.float16,
    np.int8,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.bool_,
]

# (kernel, stride, padding, dilation, ceil_mode) per axis; padding <= k // 2
PARAMS = [
    (2, 2, 0, 1, False),
    (2, 2, 1, 1, False),
    (3, 2, 1, 1, False),
    (3, 1, 0, 1, False),
    (3, 2, 1, 2, False),
    (2, 2, 0, 1, True),
    (3, 2, 0, 1, True),
    (3, 3, 1, 2, True),
    (1, 1, 0, 1, False),
    (4, 3, 2, 1, True),
    (2, 1, 1, 3, False),
]


def oracle_pool(x, naxes, k, s, p, d, ceil_mode):
    """The oracle plane by plane over the leading axes."""
    lead = x.shape[: x.ndim - naxes]
    vals, idxs = [], []
    for b in np.ndindex(*lead):
        v, i = _oracle.max_pool(x[b], [k] * naxes, [s] * naxes, [p] * naxes, [d] * naxes, ceil_mode)
        vals.append(v)
        idxs.append(i)
    shape = lead + vals[0].shape
    return np.array(vals).reshape(shape), np.array(idxs).reshape(shape)


def with_ties_and_nans(rng, shape, dtype):
    """Data with many ties, and NaNs / infinities for float types."""
    x = random_array(rng, shape, dtype)
    if np.dtype(dtype).kind == "f":
        x = rng.integers(-3, 4, shape).astype(dtype)
        flat = x.reshape(-1)
        spots = rng.choice(flat.size, size=max(1, flat.size // 10), replace=False)
        flat[spots[0::3]] = np.nan
        flat[spots[1::3]] = np.inf
        flat[spots[2::3]] = -np.inf
    return x


@pytest.mark.parametrize("dtype", POOL_DTYPES)
@pytest.mark.parametrize("params", PARAMS)
def test_max_pool2d_matches_oracle(rng, dtype, params):
    k, s, p, d, ceil_mode = params
    x = with_ties_and_nans(rng, (2, 3, 9, 8), dtype)
    values, indices = nn.max_pool2d(x, k, s, p, d, ceil_mode, return_indices=True)
    want_v, want_i = oracle_pool(x, 2, k, s, p, d, ceil_mode)
    assert values.dtype == np.dtype(dtype) and indices.dtype == np.int64
    np.testing.assert_array_equal(values, want_v)
    np.testing.assert_array_equal(indices, want_i)
    np.testing.assert_array_equal(nn.max_pool2d(x, k, s, p, d, ceil_mode), want_v)


@pytest.mark.parametrize("dtype", POOL_DTYPES)
@pytest.mark.parametrize("params", PARAMS)
def test_max_pool1d_matches_oracle(rng, dtype, params):
    k, s, p, d, ceil_mode = params
    x = with_ties_and_nans(rng, (3, 2, 23), dtype)
    values, indices = nn.max_pool1d(x, k, s, p, d, ceil_mode, return_indices=True)
    want_v, want_i = oracle_pool(x, 1, k, s, p, d, ceil_mode)
    np.testing.assert_array_equal(values, want_v)
    np.testing.assert_array_equal(indices, want_i)


def test_unbatched_and_per_axis_parameters(rng):
    x = with_ties_and_nans(rng, (3, 11, 10), np.float64)
    values, indices = nn.max_pool2d(
        x, (3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1), return_indices=True
    )
    for c in range(3):
        v, i = _oracle.max_pool(x[c], [3, 2], [1, 2], [1, 0], [2, 1])
        np.testing.assert_array_equal(values[c], v)
        np.testing.assert_array_equal(indices[c], i)


@pytest.mark.parametrize("layout", ["transposed", "reversed", "sliced"])
def test_any_memory_layout(rng, layout):
    base = with_ties_and_nans(rng, (2, 4, 24, 26), np.float32)
    x = {
        "transposed": base.transpose(1, 0, 3, 2),
        "reversed": base[..., ::-1],
        "sliced": base[:, ::2, 1::2, ::3],
    }[layout]
    values, indices = nn.max_pool2d(x, 2, return_indices=True)
    want_v, want_i = oracle_pool(np.ascontiguousarray(x), 2, 2, 2, 0, 1, False)
    np.testing.assert_array_equal(values, want_v)
    np.testing.assert_array_equal(indices, want_i)


def test_vector_path_agrees_with_general_path(rng):
    # Contiguous rows go through the SIMD row kernel, a reversed view
    # through the general loop: same values and positions.
    x = with_ties_and_nans(rng, (2, 3, 40, 70), np.float32)
    for dtype in (np.float32, np.float64):
        xd = x.astype(dtype)
        for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 1, 1)]:
            fast = nn.max_pool2d(xd, k, s, p, return_indices=True)
            rev = np.ascontiguousarray(xd[..., ::-1])[..., ::-1]  # same values, negative stride
            slow = nn.max_pool2d(rev, k, s, p, return_indices=True)
            np.testing.assert_array_equal(fast[0], slow[0])
            np.testing.assert_array_equal(fast[1], slow[1])
        want = oracle_pool(xd[:1, :1], 2, 2, 2, 0, 1, False)
        np.testing.assert_array_equal(nn.max_pool2d(xd, 2, return_indices=True)[1][:1, :1], want[1])


# (kernel, stride, padding, dilation, ceil_mode): the row kernel's stride
# classes (1, 2 and any), dilated windows, ceil_mode's clipped last window
VECTOR_PARAMS = [
    (3, 2, 1, 1, False),  # the stem pool of ResNet and MTCNN
    (3, 2, 1, 1, True),
    (2, 2, 0, 1, False),
    (3, 1, 1, 1, False),
    (5, 1, 2, 2, False),
    (1, 2, 0, 1, False),
    (4, 3, 2, 1, True),
    (3, 5, 0, 3, True),
]


def vector_row_width(s, d, k):
    """Room for two whole vectors of 16 outputs (float32 on AVX-512) and a
    part of one: the kernel's overlapping last vector."""
    return 37 * s + d * (k - 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("params", VECTOR_PARAMS)
def test_vector_kernel_matches_oracle(rng, dtype, params):
    k, s, p, d, ceil_mode = params
    for naxes, shape in [(2, (1, 2, 6, vector_row_width(s, d, k))), (1, (2, 1, 40 * s))]:
        x = with_ties_and_nans(rng, shape, dtype)
        pool = nn.max_pool2d if naxes == 2 else nn.max_pool1d
        values, indices = pool(x, k, s, p, d, ceil_mode, return_indices=True)
        want_v, want_i = oracle_pool(x, naxes, k, s, p, d, ceil_mode)
        np.testing.assert_array_equal(values, want_v)
        np.testing.assert_array_equal(indices, want_i)
        # without indices: the same values (NaN where the oracle has NaN)
        np.testing.assert_array_equal(pool(x, k, s, p, d, ceil_mode), want_v)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_kernel_nan_index_and_signed_zero_ties(dtype):
    # torch's rule lane by lane: the last NaN of a window is the answer and
    # its index; of equal maxima the first is kept (-0.0 before 0.0 stays).
    x = np.zeros((1, 1, 3, 80), dtype)
    x[0, 0, 0, ::2] = -0.0
    x[0, 0, 1, 5] = np.nan
    x[0, 0, 2, 4] = np.nan
    values, indices = nn.max_pool2d(x, 3, 2, 1, return_indices=True)
    want_v, want_i = oracle_pool(x, 2, 3, 2, 1, 1, False)
    np.testing.assert_array_equal(indices, want_i)
    np.testing.assert_array_equal(np.signbit(values), np.signbit(want_v))
    np.testing.assert_array_equal(values, want_v)
    assert indices[0, 0, 1, 2] == 2 * 80 + 4  # the later NaN of the window


# (rows, columns) of inputs for the 3x3 stride-2 kernel (the rows below the
# first share a row of maxima): runs of inside rows longer than a task's
# eight, odd and even sizes, rows narrower than a vector (the general
# path), and more than one chunk of 16 vectors along a row.
STRIDE2_SHAPES = [(21, 39), (20, 38), (7, 33), (5, 9), (3, 530)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", STRIDE2_SHAPES)
@pytest.mark.parametrize("padding, ceil_mode", [(1, False), (0, False), (0, True), (1, True)])
def test_vector_kernel_3x3_stride2_matches_oracle(rng, dtype, shape, padding, ceil_mode):
    x = with_ties_and_nans(rng, (1, 2) + shape, dtype)
    x[0, 1] = rng.standard_normal(shape)  # (a plane of distinct values: every winner differs)
    values, indices = nn.max_pool2d(x, 3, 2, padding, 1, ceil_mode, return_indices=True)
    want_v, want_i = oracle_pool(x, 2, 3, 2, padding, 1, ceil_mode)
    np.testing.assert_array_equal(values, want_v)
    np.testing.assert_array_equal(indices, want_i)
    np.testing.assert_array_equal(nn.max_pool2d(x, 3, 2, padding, 1, ceil_mode), want_v)


@settings(max_examples=25, deadline=None)
@given(
    naxes=st.sampled_from([1, 2]),
    dtype=st.sampled_from([np.float32, np.float64, np.int16]),
    k=st.integers(1, 4),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    pad_half=st.booleans(),
    ceil_mode=st.booleans(),
    rows=st.integers(1, 5),
    extra=st.integers(0, 60),
    with_indices=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_max_pool_hypothesis_matches_oracle(
    naxes, dtype, k, s, d, pad_half, ceil_mode, rows, extra, with_indices, seed
):
    rng = np.random.default_rng(seed)
    p = k // 2 if pad_half else 0
    width = d * (k - 1) + 1 + extra
    shape = (1, 2, max(rows, d * (k - 1) + 1), width) if naxes == 2 else (2, 1, width)
    x = with_ties_and_nans(rng, shape, dtype)
    pool = nn.max_pool2d if naxes == 2 else nn.max_pool1d
    want_v, want_i = oracle_pool(x, naxes, k, s, p, d, ceil_mode)
    got = pool(x, k, s, p, d, ceil_mode, return_indices=with_indices)
    if with_indices:
        np.testing.assert_array_equal(got[1], want_i)
        got = got[0]
    np.testing.assert_array_equal(got, want_v)


@pytest.mark.slow
@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    """The kernel tests of this file again with each other compiled
    instruction set."""
    run_tests_under_isa(__file__, isa, "vector or hypothesis or threads_give")


def test_threads_give_identical_bytes(rng):
    x = rng.standard_normal((4, 16, 64, 64)).astype(np.float32)
    a = nn.max_pool2d(x, 3, 2, 1, return_indices=True, threads=1)
    for t in (2, 3):
        b = nn.max_pool2d(x, 3, 2, 1, return_indices=True, threads=t)
        assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    u1 = nn.max_unpool2d(a[0], a[1], 3, 2, 1, output_size=(64, 64), threads=1)
    u2 = nn.max_unpool2d(a[0], a[1], 3, 2, 1, output_size=(64, 64), threads=2)
    assert u1.tobytes() == u2.tobytes()


def test_empty_batch():
    values, indices = nn.max_pool2d(np.zeros((0, 3, 4, 4), np.float32), 2, return_indices=True)
    assert values.shape == indices.shape == (0, 3, 2, 2)
    assert nn.max_unpool2d(values, indices, 2).shape == (0, 3, 4, 4)


@pytest.mark.parametrize(
    "dtype", [np.float32, np.float64, np.int16, np.uint8, np.float16, np.bool_]
)
@pytest.mark.parametrize("naxes", [1, 2])
def test_max_unpool_matches_oracle(rng, dtype, naxes):
    shape = (2, 3, 7, 9)[4 - naxes - 2 :]
    x = with_ties_and_nans(rng, shape, dtype)
    pool = nn.max_pool2d if naxes == 2 else nn.max_pool1d
    unpool = nn.max_unpool2d if naxes == 2 else nn.max_unpool1d
    for k, s, p, size in [(2, 2, 0, None), (3, 2, 1, None), (2, 2, 0, "input"), (3, 3, 1, "max")]:
        values, indices = pool(x, k, s, p, return_indices=True)
        default = tuple((n - 1) * s - 2 * p + k for n in values.shape[-naxes:])
        # output_size may be the input's size, or anything within stride of the default
        size = {None: None, "input": shape[-naxes:], "max": tuple(n + s - 1 for n in default)}[size]
        out_plane = size or default
        want = []
        try:
            for b in np.ndindex(*shape[:-naxes]):
                want.append(_oracle.max_unpool(values[b], indices[b], out_plane))
        except ValueError:
            # indices of the input plane need not fit a smaller output plane
            with pytest.raises(ValueError, match="outside the output plane"):
                unpool(values, indices, k, s, p, output_size=size)
            continue
        got = unpool(values, indices, k, s, p, output_size=size)
        assert got.shape == shape[:-naxes] + tuple(out_plane) and got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got.reshape((-1,) + tuple(out_plane)), np.array(want))


def test_unpool_puts_maxima_back_where_they_were(rng):
    x = rng.permutation(16 * 16).reshape(1, 1, 16, 16).astype(np.float64)
    values, indices = nn.max_pool2d(x, 2, return_indices=True)
    restored = nn.max_unpool2d(values, indices, 2)
    kept = restored != 0
    np.testing.assert_array_equal(restored[kept], x[kept])
    assert kept.sum() == values.size
    # and each 2x2 block keeps exactly its maximum
    blocks = x.reshape(8, 2, 8, 2).max(axis=(1, 3))
    np.testing.assert_array_equal(restored.reshape(8, 2, 8, 2).max(axis=(1, 3)), blocks)


def test_unpool_duplicate_indices_keep_the_last():
    values = np.array([[[1.0, 2.0, 3.0]]])
    indices = np.array([[[4, 4, 0]]])
    np.testing.assert_array_equal(
        nn.max_unpool1d(values, indices, 2), [[[3.0, 0.0, 0.0, 0.0, 2.0, 0.0]]]
    )


def test_upsampling_by_unpooling_and_convolution(rng):
    # The README's example: pool with indices, unpool, fill by convolution.
    img = rng.random((32, 32))
    values, indices = nn.max_pool2d(img[None], 2, return_indices=True)
    sparse = nn.max_unpool2d(values, indices, 2)[0]
    filled = fastconv.convolve2d(sparse, np.ones((2, 2)), mode="same")
    assert filled.shape == img.shape
    # every 2x2 block holds exactly one nonzero, so the box filter spreads
    # it: each output is the sum of the nonzeros its window covers
    want = _oracle.convolve(sparse, np.ones((2, 2)), "same")
    np.testing.assert_allclose(filled, want, rtol=0, atol=1e-15)


# -- errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(kernel_size=0), "kernel_size"),
        (dict(kernel_size=2, stride=0), "stride"),
        (dict(kernel_size=2, padding=-1), "padding"),
        (dict(kernel_size=2, padding=2), "padding"),
        (dict(kernel_size=2, dilation=0), "dilation"),
        (dict(kernel_size=(2, 2, 2)), "kernel_size"),
        (dict(kernel_size=9), "too small"),
        (dict(kernel_size=3, dilation=4), "too small"),
    ],
)
def test_max_pool_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.max_pool2d(np.zeros((1, 1, 8, 8)), **kwargs)


def test_max_pool_bad_inputs():
    with pytest.raises(ValueError, match="input"):
        nn.max_pool2d(np.zeros((8, 8)), 2)
    with pytest.raises(ValueError, match="input"):
        nn.max_pool1d(np.zeros((1, 1, 1, 8)), 2)
    with pytest.raises(ValueError, match="non-empty"):
        nn.max_pool2d(np.zeros((1, 0, 8, 8)), 2)
    with pytest.raises(TypeError, match="real numbers"):
        nn.max_pool2d(np.zeros((1, 4, 4), np.complex64), 2)
    with pytest.raises(TypeError, match="input"):
        nn.max_pool1d(np.array([["a", "b"]]), 1)
    with pytest.raises(TypeError, match="kernel_size"):
        nn.max_pool1d(np.zeros((1, 4)), 2.5)
    with pytest.raises(TypeError, match="ceil_mode"):
        nn.max_pool1d(np.zeros((1, 4)), 2, ceil_mode="yes")
    with pytest.raises(ValueError, match="threads"):
        nn.max_pool1d(np.zeros((1, 4)), 2, threads=0)


def test_max_unpool_bad_inputs():
    values, indices = nn.max_pool2d(np.arange(16.0).reshape(1, 4, 4), 2, return_indices=True)
    with pytest.raises(ValueError, match="outside the output plane"):
        nn.max_unpool2d(values, indices + 3, 2)
    with pytest.raises(ValueError, match="outside the output plane"):
        nn.max_unpool2d(values, indices - 100, 2)
    with pytest.raises(ValueError, match="outside the output plane"):
        nn.max_unpool2d(values, indices, 2, stride=1)  # a 3x3 plane
    with pytest.raises(ValueError, match="indices"):
        nn.max_unpool2d(values, indices[..., :1], 2)
    with pytest.raises(TypeError, match="indices"):
        nn.max_unpool2d(values, indices.astype(float), 2)
    with pytest.raises(
        ValueError, match=r"output_size: the pooled axis H \(axis 1 of the output\)"
    ):
        nn.max_unpool2d(values, indices, 2, output_size=(6, 4))
    # a whole shape given: still named by the spatial axis, not "dimension 0"
    whole = (*values.shape[:-2], 4, 6)
    with pytest.raises(ValueError, match=r"pooled axis W \(axis 2 of the output\) must be between"):
        nn.max_unpool2d(values, indices, 2, output_size=whole)
    with pytest.raises(ValueError, match="output_size"):
        nn.max_unpool2d(values, indices, 2, output_size=(4, 4, 4))
    with pytest.raises(TypeError, match="output_size"):
        nn.max_unpool2d(values, indices, 2, output_size=4)


# -- PyTorch ------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("params", PARAMS)
def test_max_pool_equals_torch(rng, dtype, params):
    torch = _torch()
    F = torch.nn.functional
    k, s, p, d, ceil_mode = params
    for naxes, shape in [(1, (2, 3, 17)), (2, (2, 3, 9, 10)), (2, (3, 9, 10))]:
        x = with_ties_and_nans(rng, shape, dtype)
        ours = (nn.max_pool1d if naxes == 1 else nn.max_pool2d)(
            x, k, s, p, d, ceil_mode, return_indices=True
        )
        theirs = (F.max_pool1d if naxes == 1 else F.max_pool2d)(
            torch.from_numpy(x), k, s, p, d, ceil_mode, return_indices=True
        )
        np.testing.assert_array_equal(ours[0], theirs[0].numpy())
        np.testing.assert_array_equal(ours[1], theirs[1].numpy())


@pytest.mark.parametrize("naxes", [1, 2])
def test_max_unpool_equals_torch(rng, naxes):
    torch = _torch()
    F = torch.nn.functional
    shape = (2, 3, 11) if naxes == 1 else (2, 3, 12, 11)
    x = rng.standard_normal(shape)
    pool = F.max_pool1d if naxes == 1 else F.max_pool2d
    unpool_t = F.max_unpool1d if naxes == 1 else F.max_unpool2d
    unpool = nn.max_unpool1d if naxes == 1 else nn.max_unpool2d
    compared = 0
    for k, s, p in itertools.product([2, 3], [1, 2, 3], [0, 1]):
        v, i = pool(torch.from_numpy(x), k, s, p, return_indices=True)
        default = [(m - 1) * s - 2 * p + k for m in v.shape[-naxes:]]
        for size in (None, tuple(n + s - 1 for n in default), shape[-naxes:]):
            if size is not None and any(abs(a - b) >= s for a, b in zip(size, default)):
                continue
            try:
                want = unpool_t(v, i, k, s, p, output_size=size).numpy()
            except RuntimeError:  # an index outside a smaller plane
                with pytest.raises(ValueError, match="outside the output plane"):
                    unpool(v.numpy(), i.numpy(), k, s, p, output_size=size)
                continue
            got = unpool(v.numpy(), i.numpy(), k, s, p, output_size=size)
            np.testing.assert_array_equal(got, want)
            compared += 1
    assert compared >= 12


def test_window_with_no_tap_inside_the_input():
    # k=2, padding 1, dilation 3 on 2 samples: the only window's taps are
    # at -1 (padding) and 2 (past the end). torch gives -inf at the first
    # tap past the left padding, index 2 -- outside the plane.
    x = np.array([[[1.0, 2.0]]])
    values, indices = nn.max_pool1d(x, 2, stride=1, padding=1, dilation=3, return_indices=True)
    want_v, want_i = _oracle.max_pool(x[0, 0], [2], [1], [1], [3])
    np.testing.assert_array_equal(values[0, 0], want_v)
    np.testing.assert_array_equal(indices[0, 0], want_i)
    assert values[0, 0, 0] == -np.inf and indices[0, 0, 0] == 2
    ints = nn.max_pool1d(x.astype(np.int32), 2, 1, 1, 3)
    assert ints[0, 0, 0] == np.iinfo(np.int32).min
    torch = pytest.importorskip("torch")  # (a skip, reported: not a silent pass)
    tv, ti = torch.nn.functional.max_pool1d(torch.from_numpy(x), 2, 1, 1, 3, return_indices=True)
    np.testing.assert_array_equal(values, tv.numpy())
    np.testing.assert_array_equal(indices, ti.numpy())
