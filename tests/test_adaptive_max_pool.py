"""fastconv.nn adaptive max-pooling (1-D to 3-D) against the oracle and PyTorch."""

import numpy as np
import pytest
from conftest import isa_params, run_tests_under_isa
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pool import with_ties_and_nans

from fastconv import _oracle, nn

POOLS = {1: nn.adaptive_max_pool1d, 2: nn.adaptive_max_pool2d, 3: nn.adaptive_max_pool3d}

# (input shape, output_size): equal windows (a plain pooling, the row
# kernel's case when a row has a vector's worth of outputs), unequal
# overlapping ones, more outputs than inputs, a global pool
CASES = [
    ((2, 3, 23), (5,)),
    ((2, 1, 64), (32,)),
    ((1, 2, 7), (11,)),
    ((2, 9, 10), (1,)),
    ((2, 3, 9, 10), (4, 3)),
    ((1, 2, 6, 80), (3, 40)),
    ((1, 2, 5, 7), (7, 2)),
    ((2, 4, 5, 6), (1, 1)),
    ((1, 2, 5, 6, 7), (2, 3, 4)),
    ((1, 1, 4, 4, 64), (2, 2, 32)),
    ((2, 3, 5, 3, 4), (1, 1, 1)),
]


def oracle_adaptive_max(x, size):
    naxes = len(size)
    lead = x.shape[: x.ndim - naxes]
    vals, idxs = [], []
    for b in np.ndindex(*lead):
        v, i = _oracle.adaptive_max_pool(x[b], size)
        vals.append(v)
        idxs.append(i)
    shape = lead + tuple(size)
    return np.array(vals).reshape(shape), np.array(idxs).reshape(shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("case", CASES)
def test_matches_oracle(rng, dtype, case):
    shape, size = case
    x = with_ties_and_nans(rng, shape, dtype)
    pool = POOLS[len(size)]
    values, indices = pool(x, size, return_indices=True)
    want_v, want_i = oracle_adaptive_max(x, size)
    assert values.dtype == np.dtype(dtype) and indices.dtype == np.int64
    np.testing.assert_array_equal(values, want_v)
    np.testing.assert_array_equal(indices, want_i)
    np.testing.assert_array_equal(pool(x, size), want_v)


@settings(max_examples=20, deadline=None)
@given(
    naxes=st.sampled_from([1, 2, 3]),
    extents=st.lists(st.integers(1, 9), min_size=3, max_size=3),
    sizes=st.lists(st.integers(0, 10), min_size=3, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_hypothesis_matches_oracle(naxes, extents, sizes, seed):
    rng = np.random.default_rng(seed)
    x = with_ties_and_nans(rng, (2,) + tuple(extents[:naxes]), np.float32)
    size = tuple(sizes[:naxes])
    values, indices = POOLS[naxes](x, size, return_indices=True)
    want_v, want_i = oracle_adaptive_max(x, size)
    np.testing.assert_array_equal(values, want_v)
    np.testing.assert_array_equal(indices, want_i)


def test_none_keeps_the_input_size_and_unbatched(rng):
    x = with_ties_and_nans(rng, (3, 5, 6, 7), np.float64)
    got = nn.adaptive_max_pool3d(x, (None, 2, None), return_indices=True)
    want = oracle_adaptive_max(x, (5, 2, 7))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    got2 = nn.adaptive_max_pool2d(x[0], (None, 3))
    np.testing.assert_array_equal(got2, oracle_adaptive_max(x[0], (6, 3))[0])
    assert nn.adaptive_max_pool1d(x[0, 0], 0).shape == (6, 0)


def test_threads_give_identical_bytes(rng):
    x = rng.standard_normal((3, 16, 33, 30)).astype(np.float32)
    a = nn.adaptive_max_pool2d(x, (7, 9), return_indices=True, threads=1)
    b = nn.adaptive_max_pool2d(x, (7, 9), return_indices=True, threads=2)
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: nn.adaptive_max_pool2d(np.zeros((1, 4, 4), np.int32), 2), TypeError, "input"),
        (lambda: nn.adaptive_max_pool1d(np.zeros((1, 4), bool), 2), TypeError, "input"),
        (lambda: nn.adaptive_max_pool1d(np.zeros((1, 4)), -1), ValueError, "output_size"),
        (lambda: nn.adaptive_max_pool2d(np.zeros((1, 4, 4)), (2,)), ValueError, "output_size"),
        (lambda: nn.adaptive_max_pool3d(np.zeros((1, 4, 4, 4)), (2, 2)), ValueError, "output_size"),
        (lambda: nn.adaptive_max_pool1d(np.zeros((1, 4)), 2.5), TypeError, "output_size"),
        (lambda: nn.adaptive_max_pool2d(np.zeros((1, 0, 4)), 2), ValueError, "input"),
        (lambda: nn.adaptive_max_pool2d(np.zeros((4, 4)), 2), ValueError, "input"),
        (lambda: nn.adaptive_max_pool1d(np.zeros((1, 4)), 2, "yes"), TypeError, "return_indices"),
        (lambda: nn.adaptive_max_pool1d(np.zeros((1, 4)), 2, threads=0), ValueError, "threads"),
        (lambda: nn.adaptive_max_pool1d(np.zeros((1, 4)), 2**63), ValueError, "output_size"),
    ],
)
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_equals_torch(rng, dtype, case):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    shape, size = case
    x = with_ties_and_nans(rng, shape, dtype)
    theirs = getattr(F, f"adaptive_max_pool{len(size)}d")(
        torch.from_numpy(x), size, return_indices=True
    )
    ours = POOLS[len(size)](x, size, return_indices=True)
    np.testing.assert_array_equal(ours[0], theirs[0].numpy())
    np.testing.assert_array_equal(ours[1], theirs[1].numpy())


@pytest.mark.slow
@pytest.mark.parametrize("isa", isa_params())
def test_other_isas(isa):
    """This file's oracle tests again with each other compiled instruction set."""
    run_tests_under_isa(__file__, isa, "matches_oracle or threads_give")
