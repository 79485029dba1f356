"""The one-call layers' plan cache (nn._PLANS): a conv1d/conv2d call with
plain arguments reuses the plan of an earlier call with the same shapes,
dtype and options. A reused plan gives the bits of a fresh one, and every
argument the cache does not key on is still checked on every call."""

import numpy as np
import pytest

from fastconv import _oracle, nn


@pytest.fixture(autouse=True)
def empty_cache():
    nn._PLANS.clear()
    yield
    nn._PLANS.clear()


def _layer(rng, dtype, x_shape=(2, 6, 9, 11), w_shape=(4, 3, 3, 3)):
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reused_plan_gives_the_fresh_bits(rng, dtype):
    x, w, b = _layer(rng, dtype)
    options = dict(stride=(2, 1), padding=1, dilation=1, groups=2, padding_mode="reflect")
    first = nn.conv2d(x, w, b, **options)
    assert len(nn._PLANS) == 1
    want = _oracle.conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64),
                          **options)  # fmt: skip
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(first, want, rtol=tol, atol=tol * np.abs(want).max())
    # new data of the same shapes: the cached plan, the same bits as a call
    # that cannot use it (out= is never cached)
    x2, w2, b2 = _layer(rng, dtype)
    again = nn.conv2d(x2, w2, b2, **options)
    assert len(nn._PLANS) == 1
    fresh = nn.conv2d(x2, w2, b2, **options, out=np.empty_like(again))
    assert again.dtype == fresh.dtype and again.shape == fresh.shape
    assert again.tobytes() == fresh.tobytes()
    # unbatched, threads, and inputs the core views in place or copies
    single = nn.conv2d(x2[1], w2, b2, **options, threads=2)
    assert single.shape == fresh.shape[1:] and np.array_equal(single, fresh[1])
    assert np.array_equal(nn.conv2d(x2[1], w2, b2, **options), fresh[1])
    strided = np.zeros((2, 6, 18, 11), dtype)[:, :, ::2]
    strided[...] = x2
    assert np.array_equal(nn.conv2d(strided, w2, b2, **options), fresh)
    misaligned = np.zeros(x2.nbytes + 1, np.uint8)[1:].view(dtype).reshape(x2.shape)
    misaligned[...] = x2
    assert not misaligned.flags.aligned
    assert np.array_equal(nn.conv2d(misaligned, w2, b2, **options), fresh)


def test_conv1d_and_without_bias(rng):
    x, w, _ = _layer(rng, np.float64, (3, 4, 20), (6, 4, 5))
    for _ in range(2):
        got = nn.conv1d(x, w, padding="same")
        np.testing.assert_allclose(got, _oracle.conv1d(x, w, padding="same"), rtol=1e-12)
    assert len(nn._PLANS) == 1


def test_checks_still_run_after_a_cached_call(rng):
    x, w, b = _layer(rng, np.float32)
    nn.conv2d(x, w, b, stride=1, groups=2)
    assert len(nn._PLANS) == 1
    with pytest.raises(TypeError, match="stride"):
        nn.conv2d(x, w, b, stride=True, groups=2)  # (True == 1, but not an int)
    with pytest.raises(TypeError, match="stride"):
        nn.conv2d(x, w, b, stride=(1, True), groups=2)
    with pytest.raises(ValueError, match="threads"):
        nn.conv2d(x, w, b, stride=1, groups=2, threads=0)
    with pytest.raises(ValueError, match="bias"):
        nn.conv2d(x, w, b[:-1], stride=1, groups=2)
    with pytest.raises(ValueError, match="input"):
        nn.conv2d(x[:, :5], w, b, stride=1, groups=2)
    # another dtype or byte order: its own checks and plan
    got = nn.conv2d(x.astype(">f4"), w, b, stride=1, groups=2)
    assert got.dtype == np.float32
    assert np.array_equal(got, nn.conv2d(x, w, b, stride=1, groups=2))


def test_each_option_its_own_plan(rng):
    x, w, b = _layer(rng, np.float64, w_shape=(4, 6, 3, 3))
    calls = [
        dict(),
        dict(stride=2),
        dict(stride=(1, 2)),
        dict(padding=1),
        dict(padding="same"),
        dict(dilation=2),
        dict(groups=2, weight=w[:, :3]),
        dict(padding=1, padding_mode="circular"),
        dict(algorithm="direct", padding=1),
    ]
    for _ in range(2):  # (the second time from the cache)
        for options in calls:
            options = dict(options)
            weight = options.pop("weight", w)
            got = nn.conv2d(x, weight, b, **options)
            want = nn.conv2d(x, weight, b, **options, out=np.empty_like(got))
            assert np.array_equal(got, want), options
    assert len(nn._PLANS) == len(calls)


def test_failed_calls_are_not_cached(rng):
    x, w, b = _layer(rng, np.float32)
    for _ in range(2):
        with pytest.raises(ValueError, match="padding"):
            nn.conv2d(x, w, b, padding=-1, groups=2)
    assert not nn._PLANS


def test_the_cache_is_bounded(rng):
    w = rng.standard_normal((2, 1, 1, 1)).astype(np.float32)
    for width in range(1, nn._PLANS_MAX + 10):
        nn.conv2d(np.ones((1, 1, 1, width), np.float32), w)
        assert len(nn._PLANS) <= nn._PLANS_MAX
