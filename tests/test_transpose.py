"""conv_transpose against the source material's example, zero insertion,
the adjoint identity, the oracle and PyTorch."""

import numpy as np
import pytest
from conftest import random_array

import fastconv
from fastconv import _oracle

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def test_worked_example_2x2_4x4_stride_3():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    k = np.arange(1.0, 17.0).reshape(4, 4)
    out = fastconv.conv_transpose(x, k, stride=3)
    assert out.shape == (7, 7)
    # row 0, column 3: the first pixel's kernel copy at (0, 3) plus the
    # second pixel's copy at (0, 0) (the copies are placed 3 apart)
    assert out[0, 3] == x[0, 0] * k[0, 3] + x[0, 1] * k[0, 0]
    # each corner 4x4 block holds one pixel's scaled copy, except where they overlap
    np.testing.assert_array_equal(out[:3, :3], x[0, 0] * k[:3, :3])
    np.testing.assert_array_equal(out[4:, 4:], x[1, 1] * k[1:, 1:])


def _zero_insert_reference(x, k, stride, padding, output_padding, dilation):
    """Insert stride-1 zeros between samples, full-convolve with the dilated
    kernel, then crop `padding` on both sides (output_padding extends the
    end with zeros)."""
    nd = x.ndim
    z = np.zeros(tuple((n - 1) * stride + 1 for n in x.shape), dtype=np.result_type(x, k))
    z[(slice(None, None, stride),) * nd] = x
    kd = np.zeros(tuple(dilation * (n - 1) + 1 for n in k.shape), dtype=k.dtype)
    kd[(slice(None, None, dilation),) * nd] = k
    full = fastconv.convolve(z, kd, "full", method="direct")
    full = np.pad(full, [(0, output_padding)] * nd)
    lens = [
        (n - 1) * stride - 2 * padding + dilation * (kn - 1) + 1 + output_padding
        for n, kn in zip(x.shape, k.shape)
    ]
    return full[tuple(slice(padding, padding + n) for n in lens)]


@pytest.mark.parametrize(
    "stride,padding,output_padding,dilation",
    [(1, 0, 0, 1), (2, 0, 0, 1), (3, 1, 2, 1), (2, 0, 1, 2), (3, 2, 0, 2), (4, 1, 3, 3)],
)
@pytest.mark.parametrize("shapes", [((7,), (3,)), ((5, 6), (3, 4)), ((4, 3), (2, 5))])
def test_equals_zero_insertion_then_full_convolution(
    rng, stride, padding, output_padding, dilation, shapes
):
    x = random_array(rng, shapes[0], np.float64)
    k = random_array(rng, shapes[1], np.float64)
    ours = fastconv.conv_transpose(x, k, stride, padding, output_padding, dilation)
    ref = _zero_insert_reference(x, k, stride, padding, output_padding, dilation)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (3, 2), (2, 3), ((2, 3), (1, 2))])
def test_adjoint_of_strided_valid_correlation(rng, dtype, stride, dilation):
    # <correlate(x, k, 'valid', s, d), y> == <x, conv_transpose(y, k, s, d)>
    x = random_array(rng, (19, 23), dtype)
    k = random_array(rng, (3, 4), dtype)
    cx = fastconv.correlate(x, k, "valid", stride=stride, dilation=dilation)
    y = random_array(rng, cx.shape, dtype)
    s = stride if isinstance(stride, tuple) else (stride, stride)
    d = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    # output_padding makes the transposed result exactly x's shape
    op = tuple(
        n - ((m - 1) * si + di * (kn - 1) + 1)
        for n, m, si, di, kn in zip(x.shape, cx.shape, s, d, k.shape)
    )
    ty = fastconv.conv_transpose(y, k, stride=s, dilation=d, output_padding=op)
    assert ty.shape == x.shape
    lhs = np.vdot(y, cx)
    rhs = np.vdot(ty, x)
    assert abs(lhs - rhs) <= 1e-10 * max(abs(lhs), 1.0)
    # and in 1-D
    x1, k1 = random_array(rng, 40, dtype), random_array(rng, 5, dtype)
    c1 = fastconv.correlate(x1, k1, "valid", stride=s[0], dilation=d[0])
    y1 = random_array(rng, c1.shape, dtype)
    t1 = fastconv.conv_transpose(
        y1,
        k1,
        stride=s[0],
        dilation=d[0],
        output_padding=40 - ((len(c1) - 1) * s[0] + d[0] * 4 + 1),
    )
    assert abs(np.vdot(y1, c1) - np.vdot(t1, x1)) <= 1e-10 * max(abs(np.vdot(y1, c1)), 1.0)


@pytest.mark.parametrize("dtype", DTYPES + [np.int16, np.uint8, np.longdouble])
@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(stride=2),
        dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1)),
        dict(stride=2, dilation=2, padding=1, output_padding=1),
    ],
)
def test_against_the_oracle(rng, dtype, params):
    x = random_array(rng, (5, 7), dtype)
    k = random_array(rng, (3, 2), dtype)
    ours = fastconv.conv_transpose(x, k, **params)
    ref = _oracle.conv_transpose(
        x.astype(object) if np.dtype(dtype).kind in "iu" else x,
        k.astype(object) if np.dtype(dtype).kind in "iu" else k,
        **params,
    )
    assert ours.dtype == np.result_type(x, k)
    if np.dtype(dtype).kind in "iu":
        bits = np.dtype(dtype).itemsize * 8
        assert [int(v) % 2**bits for v in ours.ravel()] == [int(v) % 2**bits for v in ref.ravel()]
    else:
        tol = 50 * np.finfo(dtype).eps * max(np.abs(ref).max(), 1)
        assert np.abs(ours - ref.astype(ours.dtype)).max() <= tol


def test_batch_axes_and_axes_argument(rng):
    x = random_array(rng, (3, 6, 4), np.float32)
    k = random_array(rng, (2, 3), np.float32)
    res = fastconv.conv_transpose(x, k, stride=2)  # the last two axes
    for b in range(3):
        np.testing.assert_allclose(res[b], _oracle.conv_transpose(x[b], k, 2), rtol=1e-5)
    res2 = fastconv.conv_transpose(x, k, stride=(2, 1), axes=(2, 0))  # kernel axis 0 -> axis 2
    assert res2.shape == (3 + 3 - 1, 6, (4 - 1) * 2 + 2)
    for b in range(6):
        ref = _oracle.conv_transpose(x[:, b, :].T, k, (2, 1))
        np.testing.assert_allclose(res2[:, b, :], ref.T, rtol=1e-5)
    one_d = fastconv.conv_transpose(x, k[0], stride=3)
    assert one_d.shape == (3, 6, (4 - 1) * 3 + 3)


def test_object_arrays_and_out(rng):
    from fractions import Fraction

    x = np.array([Fraction(1, 2), 3], dtype=object)
    k = np.array([Fraction(1, 3), 1, 2], dtype=object)
    res = fastconv.conv_transpose(x, k, stride=2)
    assert res.tolist() == _oracle.conv_transpose(x, k, 2).tolist()
    x = random_array(rng, (4, 4), np.float64)
    k = random_array(rng, (2, 2), np.float64)
    out = np.empty((8, 8))
    assert fastconv.conv_transpose(x, k, stride=2, out=out) is out
    np.testing.assert_array_equal(out, fastconv.conv_transpose(x, k, stride=2))


def test_threads_do_not_change_results(rng):
    x = random_array(rng, (300, 311), np.float32)
    k = random_array(rng, (4, 5), np.float32)
    a = fastconv.conv_transpose(x, k, stride=2, threads=1)
    b = fastconv.conv_transpose(x, k, stride=2, threads=2)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize(
    "stride,padding,output_padding,dilation",
    [(1, 0, 0, 1), (2, 1, 1, 1), (3, 0, 2, 2), (2, 2, 0, 3)],
)
def test_against_torch(rng, stride, padding, output_padding, dilation):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = random_array(rng, (9, 11), np.float64)
    k = random_array(rng, (3, 4), np.float64)
    ours = fastconv.conv_transpose(x, k, stride, padding, output_padding, dilation)
    theirs = F.conv_transpose2d(
        torch.from_numpy(x)[None, None],
        torch.from_numpy(k)[None, None],
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )[0, 0].numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    x1, k1 = random_array(rng, 30, np.float64), random_array(rng, 5, np.float64)
    ours1 = fastconv.conv_transpose(x1, k1, stride, padding, output_padding, dilation)
    theirs1 = F.conv_transpose1d(
        torch.from_numpy(x1)[None, None],
        torch.from_numpy(k1)[None, None],
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )[0, 0].numpy()
    np.testing.assert_allclose(ours1, theirs1, rtol=1e-12, atol=1e-12)


def test_empty_input_gives_empty_result():
    assert fastconv.conv_transpose(np.zeros(0), np.ones(3), stride=2).shape == (0,)
    assert fastconv.conv_transpose(np.zeros((0, 4)), np.ones(3), stride=2).shape == (0, 9)


def test_bad_arguments():
    x, k = np.ones((4, 4)), np.ones((2, 2))
    for kw, exc in [
        (dict(stride=0), ValueError),
        (dict(dilation=0), ValueError),
        (dict(padding=-1), ValueError),
        (dict(output_padding=-1), ValueError),
        (dict(stride=2, output_padding=2), ValueError),
        (dict(padding=10), ValueError),
        (dict(stride=1.5), TypeError),
        (dict(stride=(1, 2, 3)), ValueError),
        (dict(axes=(0,)), ValueError),
        (dict(threads=0), ValueError),
    ]:
        name = next(iter(kw))
        with pytest.raises(exc, match=name if name != "axes" else "axes"):
            fastconv.conv_transpose(x, k, **kw)
    with pytest.raises(ValueError, match="in1"):
        fastconv.conv_transpose(np.ones(4), k)
    with pytest.raises(ValueError, match="in2"):
        fastconv.conv_transpose(x, np.ones((0, 2)))
    with pytest.raises(TypeError, match="out"):
        fastconv.conv_transpose(x, k, out=np.empty((5, 5), np.float32))
    with pytest.raises(ValueError, match="out"):
        fastconv.conv_transpose(x, k, out=np.empty((4, 4)))
    with pytest.raises(ValueError, match="overflow"):
        fastconv.conv_transpose(x, k, stride=2**62)
