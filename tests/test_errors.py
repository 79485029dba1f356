"""Every bad input (docs/guarantees.md, "Limits and bad input") gets a
clear exception naming the argument: never a crash, a hang or a huge
allocation."""

import numpy as np
import pytest

import fastconv

X = np.arange(12.0).reshape(3, 4)
K = np.ones((2, 2))


@pytest.mark.parametrize("fn", ["convolve", "correlate", "convolve2d", "correlate2d"])
def test_unknown_mode(fn):
    with pytest.raises(ValueError, match="mode"):
        getattr(fastconv, fn)(X, K, "bogus")
    with pytest.raises(ValueError, match="mode"):
        getattr(fastconv, fn)(X, K, 1)


@pytest.mark.parametrize("fn", ["convolve", "correlate", "convolve2d", "correlate2d"])
def test_unknown_boundary(fn):
    with pytest.raises(ValueError, match="boundary"):
        getattr(fastconv, fn)(X, K, "same", boundary="bogus")
    with pytest.raises(ValueError, match="symm.*mirror"):
        getattr(fastconv, fn)(X, K, "same", boundary="reflect")


@pytest.mark.parametrize("name", ["stride", "dilation"])
@pytest.mark.parametrize(
    "value,exc",
    [
        (0, ValueError),
        (-1, ValueError),
        ((1, 0), ValueError),
        ((1, 2, 3), ValueError),
        (1.5, TypeError),
        ("2", TypeError),
        (True, TypeError),
    ],
)
def test_bad_stride_dilation(name, value, exc):
    with pytest.raises(exc, match=name):
        fastconv.convolve2d(X, K, **{name: value})


def test_unknown_method():
    with pytest.raises(ValueError, match="method"):
        fastconv.convolve(X, K, method="bogus")


def test_bad_anchor():
    with pytest.raises(ValueError, match="anchor"):
        fastconv.convolve2d(X, K, "same", anchor=2)  # outside the 2-tap kernel
    with pytest.raises(ValueError, match="anchor"):
        fastconv.convolve2d(X, K, "same", anchor=-1)
    with pytest.raises(ValueError, match="anchor"):
        fastconv.convolve2d(X, K, "same", anchor="left")
    with pytest.raises(ValueError, match="anchor"):
        fastconv.convolve2d(X, K, "full", anchor=0)  # only meaningful in 'same'
    with pytest.raises(TypeError, match="anchor"):
        fastconv.convolve2d(X, K, "same", anchor=0.5)


def test_non_numeric_dtypes():
    with pytest.raises(TypeError, match="in1"):
        fastconv.convolve(["a", "b"], [1, 2])
    with pytest.raises(TypeError, match="in2"):
        fastconv.convolve2d(X, np.array([["x"]]))
    with pytest.raises(TypeError, match="in1"):
        fastconv.correlate(np.array(["2020-01-01"], dtype="datetime64[D]"), [1])


def test_dimension_errors():
    with pytest.raises(ValueError):
        fastconv.convolve([1, 2], [[1]])
    with pytest.raises(ValueError, match="2-D"):
        fastconv.convolve2d([1, 2], [1])
    with pytest.raises(ValueError, match="2-D"):
        fastconv.correlate2d([[[1]]], [[[1]]])


def test_valid_needs_one_input_at_least_as_large():
    with pytest.raises(ValueError, match="valid"):
        fastconv.convolve(np.ones((2, 3)), np.ones((3, 2)), "valid")
    # with dilation in2 is always the kernel: the input must fit the dilated kernel
    with pytest.raises(ValueError, match="dilated kernel"):
        fastconv.correlate(np.ones(5), np.ones(3), "valid", dilation=3)
    with pytest.raises(ValueError, match="dilated kernel"):
        fastconv.correlate(np.ones(2), np.ones(5), "valid", stride=2)


def test_axes_errors():
    with pytest.raises(ValueError, match="axes"):
        fastconv.convolve(X, K, axes=[2])
    with pytest.raises(ValueError, match="unique"):
        fastconv.convolve(X, K, axes=[0, -2])
    with pytest.raises(ValueError, match="empty"):
        fastconv.convolve(X, K, axes=[])
    with pytest.raises(ValueError, match="axes"):
        fastconv.convolve(X, K, axes=[[0, 1]])
    with pytest.raises(ValueError, match="incompatible shapes"):
        fastconv.convolve(np.ones((3, 4)), np.ones((2, 2)), axes=[1])


def test_sizes_that_would_overflow():
    # A dilation so large that the output length cannot be represented:
    # refused before anything is allocated.
    with pytest.raises(ValueError, match="overflow"):
        fastconv.convolve(np.ones(3), np.ones(3), dilation=2**62)
    with pytest.raises(ValueError, match="overflow"):
        fastconv.correlate(np.ones((2, 2)), np.ones((2, 2)), dilation=(2**62, 2**62))


def test_out_errors():
    res_shape = (4, 5)
    with pytest.raises(TypeError, match="out"):
        fastconv.convolve2d(X, K, out=np.empty(res_shape, np.float32))
    with pytest.raises(TypeError, match="out"):
        fastconv.convolve2d(X, K, out=[[0.0] * 5] * 4)
    with pytest.raises(ValueError, match="out"):
        fastconv.convolve2d(X, K, out=np.empty((5, 4)))
    with pytest.raises(ValueError, match="out"):
        fastconv.convolve2d(X, K, out=np.empty((5, 8))[:, ::2][:4])
    ro = np.empty(res_shape)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        fastconv.convolve2d(X, K, out=ro)
    buf = np.zeros((4, 5))
    with pytest.raises(ValueError, match="overlap"):
        fastconv.convolve2d(buf[:3, :4], K, out=buf)


def test_threads_argument():
    with pytest.raises(ValueError, match="threads"):
        fastconv.convolve2d(X, K, threads=0)
    with pytest.raises(TypeError, match="threads"):
        fastconv.convolve2d(X, K, threads="2")
    with pytest.raises(ValueError):
        fastconv.set_num_threads(0)


def test_fillvalue_errors():
    with pytest.raises(ValueError, match="fillvalue"):
        fastconv.convolve2d([[1]], [[1, 2]], fillvalue=1j)
    with pytest.raises(ValueError, match="fillvalue"):
        fastconv.convolve2d([[1]], [[1, 2]], fillvalue=[1, 2])
    with pytest.raises(ValueError, match="fillvalue"):
        fastconv.convolve2d([[1]], [[1, 2]], fillvalue=[])
    with pytest.raises(ValueError, match="fillvalue"):
        fastconv.convolve2d([[1]], [[1, 2]], fillvalue=np.nan)  # int result
    with pytest.raises(TypeError, match="fillvalue"):
        fastconv.convolve2d([[1.0]], [[1, 2]], fillvalue="x")


def test_core_rejects_inconsistent_buffers():
    # The private core checks its own preconditions too (C++ API users).
    from fastconv import _core

    x = np.ones((3, 3))
    plan = _core.plan_filter(
        True, x.shape, x.shape, "full", "fill", [0, 1], [1, 1], [1, 1], "centre_low", [], 0
    )
    assert plan.shape == (5, 5)
    with pytest.raises(TypeError):
        _core.execute(plan, x, x.astype(np.float32), np.empty((5, 5)), np.array(0.0))
    with pytest.raises(ValueError, match="shape"):
        _core.execute(plan, x, x, np.empty((4, 4)), np.array(0.0))
    with pytest.raises(ValueError, match="not the plan's"):
        _core.execute(plan, np.ones((3, 4)), x, np.empty((5, 5)), np.array(0.0))
    with pytest.raises(ValueError, match="overlap"):
        big = np.zeros((5, 5))
        _core.execute(plan, big[:3, :3], x, big, np.array(0.0))
    separable = _core.plan_separable((3, 3), 3, 3, "full", "fill", [1, 1], "centre_low", [], 0)
    with pytest.raises(ValueError, match="not the plan's"):
        _core.convolve_separable(
            separable, x, np.ones(2), np.ones(3), np.empty((5, 5)), np.array(0.0)
        )
