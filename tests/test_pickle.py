"""Arrays that went through pickle (multiprocessing, dask.distributed)
carry an equal but distinct dtype object; every entry point accepts them."""

import pickle

import numpy as np

import fastconv
from fastconv import nn


def _roundtrip(*arrays):
    return pickle.loads(pickle.dumps(arrays, protocol=5))


def test_unpickled_arrays_are_accepted():
    x, k, c, w = _roundtrip(
        np.ones((10, 9), np.float32),
        np.ones((4, 3), np.float32),
        np.ones(3, np.float32),
        np.ones((2, 1, 3, 3), np.float32),
    )
    assert x.dtype is not np.dtype(np.float32)  # (what the test is about)
    ref = fastconv.convolve(np.ones((10, 9), np.float32), np.ones((4, 3), np.float32))
    for method in ("auto", "direct", "fft"):
        np.testing.assert_allclose(fastconv.convolve(x, k, method=method), ref, rtol=1e-5)
    assert fastconv.correlate2d(x, k, "same", "symm", stride=2).dtype == np.float32
    assert fastconv.convolve_separable(x, c, c).shape == (12, 11)
    assert fastconv.conv_transpose(x, k, 2).shape == (22, 19)
    assert nn.conv2d(x[None, None], w).shape == (1, 2, 8, 7)
