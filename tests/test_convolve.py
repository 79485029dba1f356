"""The C++ core (through the public functions) against the oracle."""

import itertools

import numpy as np
import pytest
from conftest import BOUNDARIES, FLOAT_DTYPES, MODES, assert_matches_oracle, random_array
from hypothesis import given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import _core, _oracle


def _call(fn, x, k, mode, **kw):
    return getattr(fastconv, fn)(x, k, mode, **kw)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("op", ["convolve", "correlate"])
@pytest.mark.parametrize("n,k", [(1, 1), (9, 4), (8, 3), (3, 7), (16, 5)])
def test_1d_modes_boundaries(rng, dtype, mode, boundary, op, n, k):
    x = random_array(rng, n, dtype)
    h = random_array(rng, k, dtype)
    if mode == "valid" and n < k:
        x, h = h, x  # scipy swaps; covered in test_valid_swap
    res = _call(op, x, h, mode, boundary=boundary, fillvalue=0.5)
    assert res.dtype == np.dtype(dtype)
    assert_matches_oracle(res, x, h, op, dtype, mode=mode, boundary=boundary, fillvalue=0.5)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("fn", ["convolve2d", "correlate2d"])
@pytest.mark.parametrize(
    "shape,kshape", [((5, 6), (3, 3)), ((4, 7), (2, 4)), ((2, 3), (5, 4)), ((1, 1), (1, 1))]
)
def test_2d_modes_boundaries(rng, dtype, mode, boundary, fn, shape, kshape):
    x = random_array(rng, shape, dtype)
    h = random_array(rng, kshape, dtype)
    if mode == "valid" and not all(a >= b for a, b in zip(shape, kshape)):
        x, h = h, x
    res = _call(fn, x, h, mode, boundary=boundary, fillvalue=-1.5)
    op = "convolve" if fn == "convolve2d" else "correlate"
    anchor = "matlab" if fn == "correlate2d" else None
    assert_matches_oracle(
        res, x, h, op, dtype, mode=mode, boundary=boundary, fillvalue=-1.5, anchor=anchor
    )


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stride,dilation", [(2, 1), (1, 2), (3, 2), ((2, 1), (1, 3))])
@pytest.mark.parametrize("boundary", ["fill", "symm", "mirror"])
@pytest.mark.parametrize("op", ["convolve", "correlate"])
def test_2d_stride_dilation(rng, dtype, mode, stride, dilation, boundary, op):
    x = random_array(rng, (11, 10), dtype)
    h = random_array(rng, (3, 2), dtype)
    res = _call(op, x, h, mode, stride=stride, dilation=dilation, boundary=boundary)
    assert_matches_oracle(
        res, x, h, op, dtype, mode=mode, stride=stride, dilation=dilation, boundary=boundary
    )


@pytest.mark.parametrize("op", ["convolve", "correlate", "convolve2d", "correlate2d"])
@pytest.mark.parametrize("anchor", ["matlab", 0, 1, 3, (0, 2)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_same_anchor(rng, op, anchor, dilation):
    x = random_array(rng, (7, 9), np.float64)
    h = random_array(rng, (4, 4), np.float64)
    res = getattr(fastconv, op)(x, h, "same", anchor=anchor, dilation=dilation, boundary="wrap")
    base = "convolve" if op.startswith("convolve") else "correlate"
    assert_matches_oracle(
        res, x, h, base, np.float64, mode="same", anchor=anchor, dilation=dilation, boundary="wrap"
    )


def test_matlab_anchor_matches_ndimage_for_even_kernels(rng):
    ndimage = pytest.importorskip("scipy.ndimage")
    x = random_array(rng, (9, 8), np.float64)
    h = random_array(rng, (4, 2), np.float64)
    for boundary, ndmode in [
        ("wrap", "wrap"),
        ("nearest", "nearest"),
        ("mirror", "mirror"),
        ("symm", "reflect"),
    ]:
        ours = fastconv.convolve2d(x, h, "same", boundary=boundary, anchor="matlab")
        np.testing.assert_allclose(ours, ndimage.convolve(x, h, mode=ndmode), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
@pytest.mark.parametrize("mode", MODES)
def test_3d_by_planes(rng, dtype, mode):
    x = random_array(rng, (4, 5, 6), dtype)
    h = random_array(rng, (2, 3, 2), dtype)
    for op in ("convolve", "correlate"):
        res = getattr(fastconv, op)(x, h, mode, boundary="symm")
        assert_matches_oracle(res, x, h, op, dtype, mode=mode, boundary="symm")


@pytest.mark.parametrize("axes", [[1], [0], [-1], [0, 2], [2, 0]])
@pytest.mark.parametrize("kernel_batch", ["full", "one"])
def test_axes_batching(rng, axes, kernel_batch):
    x = random_array(rng, (3, 6, 5), np.float64)
    conv = sorted(ax % 3 for ax in axes)
    batch = [a for a in range(3) if a not in conv]
    # along batch axes the kernel has the input's size, or 1 (broadcast)
    kshape = [2 if a in conv else (x.shape[a] if kernel_batch == "full" else 1) for a in range(3)]
    h = random_array(rng, kshape, np.float64)
    res = fastconv.correlate(x, h, "same", axes=axes, boundary="nearest")
    assert res.shape == x.shape
    nb = len(batch)
    xm = np.moveaxis(x, batch, list(range(nb)))
    hm = np.moveaxis(
        np.broadcast_to(h, [x.shape[a] if a in batch else kshape[a] for a in range(3)]),
        batch,
        list(range(nb)),
    )
    rm = np.moveaxis(res, batch, list(range(nb)))
    for b in np.ndindex(*xm.shape[:nb]):
        assert_matches_oracle(
            rm[b], xm[b], hm[b], "correlate", np.float64, mode="same", boundary="nearest"
        )


def test_axes_broadcast_both_ways(rng):
    x = random_array(rng, (1, 20), np.float32)
    h = random_array(rng, (4, 3), np.float32)
    res = fastconv.convolve(x, h, "full", axes=1)
    assert res.shape == (4, 22)
    for b in range(4):
        assert_matches_oracle(res[b], x[0], h[b], "convolve", np.float32, mode="full")


@pytest.mark.parametrize("op", ["convolve", "correlate", "convolve2d", "correlate2d"])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_valid_swap(rng, op, dtype):
    small = random_array(rng, (2, 3), dtype)
    big = random_array(rng, (5, 6), dtype)
    res = getattr(fastconv, op)(small, big, "valid")
    if op == "convolve" or op == "convolve2d":
        expected = _oracle.convolve(big, small, "valid")
    else:
        expected = _oracle.correlate(big, small, "valid")[::-1, ::-1]
        if op == "correlate":
            expected = np.conj(expected)
    np.testing.assert_allclose(res, expected.astype(dtype), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "dtype", [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64, np.float16]
)
@pytest.mark.parametrize("op", ["convolve", "correlate2d"])
def test_promoted_dtypes(rng, dtype, op):
    x = random_array(rng, (6, 7), dtype)
    h = random_array(rng, (3, 2), dtype)
    res = getattr(fastconv, op)(x, h, "full")
    assert res.dtype == np.result_type(x, h)
    fn = _oracle.convolve if op == "convolve" else _oracle.correlate
    kw = {"anchor": "matlab"} if op == "correlate2d" else {}
    if np.dtype(dtype) == np.float16:
        exact = fn(x.astype(np.float64), h.astype(np.float64), "full", **kw)
        np.testing.assert_allclose(res.astype(np.float64), exact, rtol=2e-3, atol=2e-2)
    else:
        # integer arithmetic wraps in the result type, as NumPy's and scipy's
        exact = fn(x.astype(object), h.astype(object), "full", **kw)
        if np.dtype(dtype) == np.bool_:
            np.testing.assert_array_equal(res, exact.astype(bool))
        else:
            bits = np.dtype(dtype).itemsize * 8
            wrapped = [(int(v) % 2**bits) for v in exact.ravel()]
            assert [int(v) % 2**bits for v in res.ravel()] == wrapped


def test_integer_wraparound_like_scipy():
    x = np.full((2, 2), 200, np.uint8)
    k = np.full((2, 2), 2, np.uint8)
    res = fastconv.convolve2d(x, k)
    assert res.dtype == np.uint8
    np.testing.assert_array_equal(res, [[144, 32, 144], [32, 64, 32], [144, 32, 144]])


def test_large_int64_exact():
    # Beyond 2**53, float64 would round; the integer path stays exact.
    x = np.array([2**40 + 1, 3], np.int64)
    k = np.array([2**12 + 1, 1], np.int64)
    res = fastconv.convolve(x, k)
    expected = [(2**40 + 1) * (2**12 + 1), (2**40 + 1) + 3 * (2**12 + 1), 3]
    assert res.tolist() == expected


@pytest.mark.parametrize("dtype", [np.longdouble, np.clongdouble])
def test_long_double_kept(rng, dtype):
    x = random_array(rng, (5, 4), np.float64).astype(dtype)
    h = random_array(rng, (2, 3), np.float64).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x = x + 0.25j
    res = fastconv.correlate(x, h, "same", boundary="mirror")
    assert res.dtype == np.dtype(dtype)
    exact = _oracle.correlate(x, h, "same", boundary="mirror")
    eps = np.finfo(np.longdouble).eps
    assert np.max(np.abs(res - exact)) <= 16 * 6 * eps * np.max(np.abs(exact))


def test_object_arrays_use_the_oracle():
    from fractions import Fraction

    x = np.array([[Fraction(1, 3), Fraction(1, 2)], [1, 2]], dtype=object)
    h = np.array([[Fraction(1, 7), 1]], dtype=object)
    res = fastconv.convolve2d(x, h, "same", boundary="symm")
    assert res.dtype == object
    # by hand: out[i, j] = x~[i, j] / 7 + x~[i, j - 1], x~[i, -1] = x[i, 0]
    F = Fraction
    expected = [[F(1, 3) / 7 + F(1, 3), F(1, 2) / 7 + F(1, 3)], [F(1, 7) + 1, F(2, 7) + 1]]
    assert res.tolist() == expected
    assert all(isinstance(v, Fraction) for v in res[0])  # exact, not floats
    res = fastconv.correlate(np.array([1, 2, 3], dtype=object), np.array([1, 10], dtype=object))
    assert res.tolist() == [10, 21, 32, 3]


# ---- layouts: the C++ core reads any strides without copies ----


def _layouts(a):
    yield "c", a
    yield "fortran", np.asfortranarray(a)
    big = np.zeros((a.shape[0] * 2, a.shape[1] * 3), a.dtype)
    big[::2, ::3] = a
    yield "strided", big[::2, ::3]
    yield "negative", a[::-1, ::-1].copy()[::-1, ::-1]
    yield "big-endian", a.astype(a.dtype.newbyteorder(">"))
    ro = a.copy()
    ro.setflags(write=False)
    yield "read-only", ro


@pytest.mark.parametrize("dtype", [np.float32, np.complex128, np.int16])
def test_layouts(rng, dtype):
    x = random_array(rng, (6, 7), dtype)
    h = random_array(rng, (3, 2), dtype)
    ref = fastconv.convolve2d(x, h, "same", boundary="wrap")
    for (nx, lx), (nh, lh) in itertools.product(_layouts(x), _layouts(h)):
        res = fastconv.convolve2d(lx, lh, "same", boundary="wrap")
        np.testing.assert_array_equal(res, ref, err_msg=f"{nx} x {nh}")
        assert res.flags.c_contiguous


def test_zero_strides(rng):
    row = random_array(rng, (1, 9), np.float64)
    x = np.broadcast_to(row, (5, 9))  # stride 0 along axis 0
    h = np.broadcast_to(np.array([[1.0, -2.0]]), (3, 2))
    res = fastconv.correlate2d(x, h, "full", boundary="symm")
    np.testing.assert_array_equal(
        res, fastconv.correlate2d(x.copy(), h.copy(), "full", boundary="symm")
    )


def test_out_argument(rng):
    x = random_array(rng, (6, 7), np.float32)
    h = random_array(rng, (3, 3), np.float32)
    out = np.empty((6, 7), np.float32)
    res = fastconv.convolve2d(x, h, "same", out=out)
    assert res is out
    np.testing.assert_array_equal(out, fastconv.convolve2d(x, h, "same"))
    # promoted dtype: out has the result dtype, the cast happens inside
    xi = np.arange(12, dtype=np.int16).reshape(3, 4)
    out_i = np.empty((3, 4), np.int16)
    assert fastconv.convolve(xi, xi[:2, :2], "same", out=out_i) is out_i
    np.testing.assert_array_equal(out_i, fastconv.convolve(xi, xi[:2, :2], "same"))
    # swapped correlate writes the reversed result into out
    out_c = np.empty((3, 3), np.float32)
    small, big = x[:2, :3], x[:4, :5].copy()
    assert fastconv.correlate(small, big, "valid", out=out_c) is out_c
    np.testing.assert_array_equal(out_c, fastconv.correlate(small, big, "valid"))


def test_empty_inputs_follow_scipy():
    assert fastconv.convolve2d(np.zeros((0, 3)), np.ones((2, 2))).shape == (1, 4)
    assert fastconv.convolve2d(np.ones((2, 2)), np.zeros((0, 3)), "same").shape == (2, 2)
    assert fastconv.convolve(np.zeros((0, 3)), np.ones((2, 2)), "same").shape == (0, 3)
    assert fastconv.correlate(np.zeros((2, 3)), np.ones((0, 2)), "valid").shape == (3, 2)
    with pytest.raises(ValueError):
        fastconv.convolve(np.array([]), np.array([1.0]))
    with pytest.raises(ValueError):
        fastconv.convolve(np.zeros((0, 3)), np.ones((2, 2)), "full")


def test_zero_rank():
    assert fastconv.convolve(3, 4) == 12
    assert fastconv.correlate(2j, 3j) == 6


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    k=st.integers(1, 12),
    s=st.integers(1, 4),
    d=st.integers(1, 4),
    mode=st.sampled_from(MODES),
    boundary=st.sampled_from(BOUNDARIES),
    op=st.sampled_from(["convolve", "correlate"]),
    dtype=st.sampled_from(FLOAT_DTYPES),
    seed=st.integers(0, 2**32 - 1),
)
def test_hypothesis_1d(n, k, s, d, mode, boundary, op, dtype, seed):
    rng = np.random.default_rng(seed)
    ke = d * (k - 1) + 1
    if mode == "valid" and n < ke:
        n = ke  # (stride/dilation > 1 never swap: in1 must hold the dilated kernel)
    x = random_array(rng, n, dtype)
    h = random_array(rng, k, dtype)
    res = getattr(fastconv, op)(x, h, mode, stride=s, dilation=d, boundary=boundary, fillvalue=0.25)
    assert res.dtype == np.dtype(dtype)
    assert_matches_oracle(
        res, x, h, op, dtype, mode=mode, stride=s, dilation=d, boundary=boundary, fillvalue=0.25
    )


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 8), st.integers(1, 8)),
    kshape=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    mode=st.sampled_from(["full", "same"]),
    boundary=st.sampled_from(BOUNDARIES),
    seed=st.integers(0, 2**32 - 1),
)
def test_hypothesis_2d_complex(shape, kshape, mode, boundary, seed):
    rng = np.random.default_rng(seed)
    x = random_array(rng, shape, np.complex64)
    h = random_array(rng, kshape, np.complex64)
    res = fastconv.correlate2d(x, h, mode, boundary=boundary)
    assert_matches_oracle(
        res, x, h, "correlate", np.complex64, mode=mode, boundary=boundary, anchor="matlab"
    )


@pytest.mark.parametrize("fn", ["convolve", "correlate", "convolve2d", "correlate2d"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_fast_path_matches_general_path(rng, fn, dtype, mode):
    # Default keywords take the C++ fast path; threads=1 forces the general
    # Python path. Both must give the same bits.
    for shape, kshape in [((9, 40), (3, 4)), ((1, 5), (1, 5)), ((30, 17), (7, 2))]:
        x = random_array(rng, shape, dtype)
        h = random_array(rng, kshape, dtype)
        fast = getattr(fastconv, fn)(x, h, mode)
        general = getattr(fastconv, fn)(x, h, mode, threads=1)
        assert fast.dtype == general.dtype and fast.shape == general.shape
        assert fast.tobytes() == general.tobytes()
        # and one of them against the oracle (the two may share code)
        if mode == "valid" and (x.shape[0] < h.shape[0] or x.shape[1] < h.shape[1]):
            continue  # (swapped inputs: covered by test_valid_swap)
        op = "convolve" if fn.startswith("convolve") else "correlate"
        kw = {"anchor": "matlab"} if fn == "correlate2d" else {}
        assert_matches_oracle(fast, x, h, op, dtype, mode=mode, **kw)


def test_fast_path_declines_what_it_does_not_take(rng):
    # The C++ entry checks the argument types itself: anything but two
    # ndarrays (not subclasses) and a str mode, a 2-D function's 1-D input,
    # or a kernel of max_taps elements or more goes to the general path.
    x = random_array(rng, (6, 7), np.float64)
    h = random_array(rng, (2, 3), np.float64)
    ok = _core.plain(x, h, True, "same", False, True, 64)
    np.testing.assert_array_equal(ok, fastconv.convolve2d(x, h, "same", threads=1))
    declined = [
        (x.tolist(), h, "same", False, 64),
        (x, h.view(np.matrix), "same", False, 64),
        (x, h, np.str_("same"), False, 64),
        (x, h, "Same", False, 64),
        (x, h, b"same", False, 64),
        (x[0], h[0], "same", True, 64),
        (x, h, "same", False, h.size),
    ]
    for in1, in2, mode, two_d, max_taps in declined:
        assert _core.plain(in1, in2, True, mode, False, two_d, max_taps) is None
    # ... and the public functions still give the general path's values
    for fn in ("convolve", "correlate"):
        f = getattr(fastconv, fn)
        ref = f(x, h, "same", threads=1)
        np.testing.assert_array_equal(f(x.tolist(), h, "same"), ref)
        np.testing.assert_array_equal(f(x, h, np.str_("same")), ref)
        np.testing.assert_array_equal(np.asarray(f(x, h.view(np.matrix), "same")), ref)
    np.testing.assert_array_equal(
        fastconv.convolve(x[0], h[0], "full"), fastconv.convolve(x[0], h[0], "full", threads=1)
    )
    with pytest.raises(ValueError, match="must both be 2-D arrays"):
        fastconv.convolve2d(x[0], h[0])


def test_per_axis_parameters_pair_with_axes_order(rng):
    x = random_array(rng, (13, 17), np.float64)
    h = random_array(rng, (3, 2), np.float64)
    kw = dict(boundary="symm", fillvalue=0)
    a = fastconv.correlate(
        x, h, "same", axes=[1, 0], stride=(2, 1), dilation=(1, 3), anchor=(1, 2), **kw
    )
    b = fastconv.correlate(
        x, h, "same", axes=[0, 1], stride=(1, 2), dilation=(3, 1), anchor=(2, 1), **kw
    )
    np.testing.assert_array_equal(a, b)
    assert_matches_oracle(
        a,
        x,
        h,
        "correlate",
        np.float64,
        mode="same",
        stride=(1, 2),
        dilation=(3, 1),
        anchor=(2, 1),
        **kw,
    )
    xo, ho = x.astype(object), h.astype(object)
    c = fastconv.correlate(xo, ho, "full", axes=[1, 0], stride=(2, 1), dilation=(1, 2))
    d = fastconv.correlate(x, h, "full", axes=[1, 0], stride=(2, 1), dilation=(1, 2))
    np.testing.assert_allclose(c.astype(np.float64), d, rtol=1e-12)


@pytest.mark.parametrize("fn", ["convolve", "correlate", "convolve2d", "correlate2d"])
def test_default_keywords_with_odd_layouts(rng, fn):
    # The fast path (default keywords) must decline or handle every layout:
    # byte-swapped (both inputs sharing one dtype object), unaligned,
    # Fortran-ordered, negative and zero strides.
    x = random_array(rng, (12, 17), np.float64)
    h = random_array(rng, (3, 4), np.float64)
    ref = getattr(fastconv, fn)(x, h, "same", threads=1)
    swapped_dt = np.dtype(">f8")
    xs = x.astype(swapped_dt)
    hs = h.astype(swapped_dt)
    hs = np.ndarray(hs.shape, dtype=xs.dtype, buffer=hs.tobytes())  # same dtype object
    buf = np.zeros(x.size * 8 + 1, np.uint8)
    xu = np.ndarray(x.shape, dtype=np.float64, buffer=buf, offset=1)  # unaligned
    xu[...] = x
    for name, a, b in [
        ("byte-swapped", xs, hs),
        ("unaligned", xu, h),
        ("fortran", np.asfortranarray(x), np.asfortranarray(h)),
        ("negative", x[::-1, ::-1].copy()[::-1, ::-1], h[::-1].copy()[::-1]),
        ("zero-stride", np.broadcast_to(x[:1], x.shape), h),
    ]:
        res = getattr(fastconv, fn)(a, b, "same")
        want = (
            ref
            if name != "zero-stride"
            else getattr(fastconv, fn)(np.ascontiguousarray(a), b, "same", threads=1)
        )
        assert res.dtype == np.float64, name
        np.testing.assert_array_equal(res, want, err_msg=name)


def test_every_element_type_of_the_core_computes_natively():
    # _core.element_dtypes is the C++ list (fastconv/element_types.hpp) that
    # the bindings' dtype switch is generated from: each of its dtypes is
    # accepted by the core as it is, and gives the oracle's exact values.
    from fastconv import _core, _oracle

    for kind, size in _core.element_dtypes:
        dt = np.dtype(f"{kind}{size}")
        x = (np.arange(7) % 4 - 1).astype(dt)
        k = np.array([2, -1, 3]).astype(dt)
        plan = _core.plan_filter(
            True, x.shape, k.shape, "full", "fill", [0], [1], [1], "centre_low", [], 0
        )
        out = np.empty(plan.shape, dt)
        _core.execute(plan, x, k, out, np.zeros((), dt))
        assert out.tolist() == _oracle.convolve(x.astype(object), k.astype(object), "full").tolist()
