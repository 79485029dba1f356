"""Property tests of every public function (fastconv.nn's layers included)
against the pure-Python oracle, over shapes, layouts, dtypes and
parameters drawn by hypothesis. Floating point within the per-element
bound of a direct sum (conftest.assert_matches_oracle); integers exact."""

import numpy as np
from conftest import BOUNDARIES, assert_matches_oracle, eps_of, random_array
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastconv
from fastconv import _oracle, nn

DTYPES = [np.float32, np.float64, np.complex64, np.complex128, np.int64, np.int16]
LAYOUTS = ["c", "fortran", "strided", "reversed", "read-only"]
SETTINGS = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def laid_out(a, layout):
    """The same values in another memory layout."""
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "strided":
        big = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
        big[tuple(slice(None, None, 2) for _ in a.shape)] = a
        return big[tuple(slice(None, None, 2) for _ in a.shape)]
    if layout == "reversed":
        flip = tuple(slice(None, None, -1) for _ in a.shape)
        return a[flip].copy()[flip]
    if layout == "read-only":
        a = a.copy()
        a.setflags(write=False)
    return a


@st.composite
def problems(draw, ndim=None, max_n=40, max_k=9):
    nd = draw(st.integers(1, 3)) if ndim is None else ndim
    # sizes up to 40 x 9 in 1-D (far past the old n <= 12, k <= 6), smaller per axis in N-D
    cap_n, cap_k = (max_n, max_k) if nd == 1 else (max(max_n // (2 * nd), 3), max(max_k // nd, 2))
    shape = tuple(draw(st.integers(1, cap_n)) for _ in range(nd))
    kshape = tuple(draw(st.integers(1, cap_k)) for _ in range(nd))
    return shape, kshape


def check(got, x, k, op, dtype, **kw):
    if np.dtype(dtype).kind in "iu":
        fn = _oracle.convolve if op == "convolve" else _oracle.correlate
        ref = fn(x.astype(object), k.astype(object), **kw)
        bits = np.dtype(got.dtype).itemsize * 8
        assert [int(v) % 2**bits for v in got.ravel()] == [int(v) % 2**bits for v in ref.ravel()]
    else:
        assert_matches_oracle(got, x, k, op, dtype, **kw)


@SETTINGS
@given(
    p=problems(),
    dtype=st.sampled_from(DTYPES),
    mode=st.sampled_from(["full", "same", "valid"]),
    boundary=st.sampled_from(BOUNDARIES),
    s=st.integers(1, 3),
    d=st.integers(1, 3),
    op=st.sampled_from(["convolve", "correlate"]),
    layout=st.sampled_from(LAYOUTS),
    seed=st.integers(0, 2**32 - 1),
)
def test_convolve_correlate(p, dtype, mode, boundary, s, d, op, layout, seed):
    rng = np.random.default_rng(seed)
    shape, kshape = p
    if mode == "valid":  # stride/dilation > 1: in1 must hold the dilated kernel
        shape = tuple(max(n, d * (m - 1) + 1) for n, m in zip(shape, kshape))
    x, k = random_array(rng, shape, dtype), random_array(rng, kshape, dtype)
    fill = 2 if np.dtype(dtype).kind in "iu" else 0.5
    got = getattr(fastconv, op)(
        laid_out(x, layout),
        laid_out(k, layout),
        mode,
        boundary=boundary,
        fillvalue=fill,
        stride=s,
        dilation=d,
    )
    assert got.dtype == np.dtype(dtype)
    check(got, x, k, op, dtype, mode=mode, boundary=boundary, fillvalue=fill, stride=s, dilation=d)


@SETTINGS
@given(
    p=problems(ndim=2),
    dtype=st.sampled_from(DTYPES),
    mode=st.sampled_from(["full", "same"]),
    boundary=st.sampled_from(["fill", "wrap", "symm"]),
    fn=st.sampled_from(["convolve2d", "correlate2d"]),
    layout=st.sampled_from(LAYOUTS),
    seed=st.integers(0, 2**32 - 1),
)
def test_convolve2d_correlate2d(p, dtype, mode, boundary, fn, layout, seed):
    rng = np.random.default_rng(seed)
    x, k = random_array(rng, p[0], dtype), random_array(rng, p[1], dtype)
    fill = 1
    got = getattr(fastconv, fn)(laid_out(x, layout), k, mode, boundary, fill)
    op = "convolve" if fn == "convolve2d" else "correlate"
    kw = {"anchor": "matlab"} if fn == "correlate2d" else {}
    check(got, x, k, op, dtype, mode=mode, boundary=boundary, fillvalue=fill, **kw)


@SETTINGS
@given(
    p=problems(),
    dtype=st.sampled_from([np.float32, np.float64, np.complex128]),
    mode=st.sampled_from(["full", "same", "valid"]),
    fn=st.sampled_from(["fftconvolve", "oaconvolve"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_fftconvolve_oaconvolve(p, dtype, mode, fn, seed):
    rng = np.random.default_rng(seed)
    shape, kshape = p
    if mode == "valid":
        shape = tuple(max(n, m) for n, m in zip(shape, kshape))
    x, k = random_array(rng, shape, dtype), random_array(rng, kshape, dtype)
    got = getattr(fastconv, fn)(x, k, mode)
    exact = _oracle.convolve(x.astype(np.clongdouble), k.astype(np.clongdouble), mode)
    # the FFT's normwise bound (docs/conventions.md): C u log2(L) |x| |k|
    length = max(n + m - 1 for n, m in zip(shape, kshape))
    bound = 10 * eps_of(dtype) / 2 * max(np.log2(length), 1) * np.linalg.norm(x) * np.linalg.norm(k)
    assert got.shape == exact.shape
    assert np.linalg.norm((got - exact).ravel()) <= bound


@SETTINGS
@given(
    shape=st.tuples(st.integers(1, 25), st.integers(1, 25)),
    nc=st.integers(1, 7),
    nr=st.integers(1, 7),
    dtype=st.sampled_from(DTYPES),
    mode=st.sampled_from(["full", "same", "valid"]),
    boundary=st.sampled_from(BOUNDARIES),
    s=st.integers(1, 3),
    layout=st.sampled_from(LAYOUTS),
    seed=st.integers(0, 2**32 - 1),
)
def test_convolve_separable(shape, nc, nr, dtype, mode, boundary, s, layout, seed):
    rng = np.random.default_rng(seed)
    if mode == "valid":
        shape = (max(shape[0], nc), max(shape[1], nr))
    x = random_array(rng, shape, dtype)
    c, r = random_array(rng, nc, dtype), random_array(rng, nr, dtype)
    got = fastconv.convolve_separable(
        laid_out(x, layout), c, r, mode, boundary=boundary, fillvalue=1, stride=s
    )
    check(
        got,
        x,
        np.outer(c, r),
        "convolve",
        dtype,
        mode=mode,
        boundary=boundary,
        fillvalue=1,
        stride=s,
    )


@SETTINGS
@given(
    p=problems(max_n=14, max_k=5),
    dtype=st.sampled_from(DTYPES),
    s=st.integers(1, 3),
    d=st.integers(1, 3),
    pad=st.integers(0, 2),
    layout=st.sampled_from(LAYOUTS),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv_transpose(p, dtype, s, d, pad, layout, seed):
    rng = np.random.default_rng(seed)
    shape, kshape = p
    x, k = random_array(rng, shape, dtype), random_array(rng, kshape, dtype)
    if x.ndim > 2:
        k = k[0]  # 3-D input, 2-D kernel: a leading batch axis
    planes = x if x.ndim > k.ndim else x[None]
    opad = 1 if max(s, d) > 1 else 0
    full = [(n - 1) * s + d * (m - 1) + 1 + opad for n, m in zip(planes.shape[1:], k.shape)]
    pad = min([pad] + [(n - 1) // 2 for n in full])
    got = fastconv.conv_transpose(
        laid_out(x, layout), k, stride=s, padding=pad, output_padding=opad, dilation=d
    )
    exact = np.clongdouble if np.iscomplexobj(x) else np.longdouble
    if np.dtype(dtype).kind in "iu":
        exact = object
    ref = np.stack(
        [
            _oracle.conv_transpose(xp.astype(exact), k.astype(exact), s, pad, opad, d)
            for xp in planes
        ]
    ).reshape(got.shape)
    if np.dtype(dtype).kind in "iu":
        assert got.ravel().tolist() == [int(v) for v in ref.ravel()]
        return
    scale = np.stack(
        [
            _oracle.conv_transpose(
                np.abs(xp).astype(np.longdouble), np.abs(k).astype(np.longdouble), s, pad, opad, d
            )
            for xp in planes
        ]
    ).reshape(got.shape)
    # each output sums at most k.size products
    bound = 2 * k.size * eps_of(dtype) * scale.astype(np.float64) + 1e-300
    assert np.all(np.abs(got - ref).astype(np.float64) <= bound)


@st.composite
def layers(draw, nsp):
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 3))
    cout = groups * draw(st.integers(1, 3))
    n = draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 4)) for _ in range(nsp))
    size = tuple(draw(st.integers(1, 14)) for _ in range(nsp))
    return n, cin, cout, groups, k, size


@SETTINGS
@given(
    spec=layers(2),
    dtype=st.sampled_from([np.float32, np.float64, np.complex128]),
    s=st.integers(1, 3),
    d=st.integers(1, 2),
    pad=st.integers(0, 2),
    padding_mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    channels_last=st.booleans(),
    bias=st.booleans(),
    nsp=st.sampled_from([1, 2]),
    seed=st.integers(0, 2**32 - 1),
)
def test_nn_conv(spec, dtype, s, d, pad, padding_mode, channels_last, bias, nsp, seed):
    rng = np.random.default_rng(seed)
    n, cin, cout, groups, k, size = spec
    k, size = k[:nsp], size[:nsp]
    # the padded input must hold the dilated kernel; torch's limits: reflect
    # needs pad < size, circular pad <= size
    size = tuple(max(m, d * (kk - 1) + 1) for m, kk in zip(size, k))
    if padding_mode == "reflect":
        pad = min([pad] + [m - 1 for m in size])
    if padding_mode == "circular":
        pad = min([pad] + list(size))
    x = random_array(rng, (n, cin) + size, dtype)
    w = random_array(rng, (cout, cin // groups) + k, dtype)
    b = random_array(rng, cout, dtype) if bias else None
    xin = x
    if channels_last:  # an (N, ..., C) array viewed as (N, C, ...)
        xin = np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 1, -1)), -1, 1)
    fn = nn.conv1d if nsp == 1 else nn.conv2d
    got = fn(xin, w, b, s, pad, d, groups, padding_mode=padding_mode)
    wide = np.clongdouble if np.iscomplexobj(x) else np.longdouble
    ref = _oracle.conv_layer(
        x.astype(wide),
        w.astype(wide),
        None if b is None else b.astype(wide),
        s,
        pad,
        d,
        groups,
        padding_mode,
    )
    scale = _oracle.conv_layer(
        np.abs(x).astype(np.longdouble),
        np.abs(w).astype(np.longdouble),
        None if b is None else np.abs(b).astype(np.longdouble),
        s,
        pad,
        d,
        groups,
        padding_mode,
    )
    assert got.shape == ref.shape and got.dtype == np.dtype(dtype)
    # one sum of (cin/groups)*prod(k) (+ bias) products per output
    bound = 2 * (w[0].size + 1) * eps_of(dtype) * scale.astype(np.float64) + 1e-300
    assert np.all(np.abs(got - ref).astype(np.float64) <= bound)


@SETTINGS
@given(
    nsp=st.sampled_from([1, 2]),
    size=st.tuples(st.integers(1, 16), st.integers(1, 16)),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    d=st.integers(1, 2),
    ceil=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.uint8]),
    layout=st.sampled_from(LAYOUTS),
    data=st.data(),
)
def test_nn_max_pool_and_unpool(nsp, size, k, s, d, ceil, dtype, layout, data):
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    size = size[:nsp]
    size = tuple(max(m, d * (k - 1) + 1) for m in size)
    pad = data.draw(st.integers(0, k // 2))
    x = random_array(rng, (2, 3) + size, dtype)
    pool = nn.max_pool1d if nsp == 1 else nn.max_pool2d
    vals, idx = pool(laid_out(x, layout), k, s, pad, d, ceil, return_indices=True)
    for i in range(2):
        for c in range(3):
            rv, ri = _oracle.max_pool(
                x[i, c], (k,) * nsp, (s,) * nsp, (pad,) * nsp, (d,) * nsp, ceil
            )
            np.testing.assert_array_equal(vals[i, c], rv)
            np.testing.assert_array_equal(idx[i, c], ri)
    unpool = nn.max_unpool1d if nsp == 1 else nn.max_unpool2d
    # torch's rule: output_size within stride of the default size; else the default
    default = tuple((m - 1) * s - 2 * pad + k for m in vals.shape[2:])
    fits = all(abs(a - b) < s for a, b in zip(size, default))
    out_size = size if fits else default
    if idx.size and idx.max() >= np.prod(out_size):
        return  # (a dilated window's index past the default plane: refused, tested elsewhere)
    back = unpool(vals, idx, k, s, pad, output_size=size if fits else None)
    for i in range(2):
        for c in range(3):
            np.testing.assert_array_equal(
                back[i, c], _oracle.max_unpool(vals[i, c], idx[i, c], out_size)
            )


def test_choose_conv_method_answers_a_method():
    rng = np.random.default_rng(0)
    for shape, kshape in [((10,), (3,)), ((5000,), (900,)), ((40, 40), (9, 9))]:
        x, k = rng.standard_normal(shape), rng.standard_normal(kshape)
        method = fastconv.choose_conv_method(x, k)
        assert method in ("direct", "fft")
        # and that method gives the oracle's answer
        got = (
            fastconv.convolve(x[:60], k[:20], method=method)
            if x.ndim == 1
            else fastconv.convolve(x, k, method=method)
        )
        xs, ks = (x[:60], k[:20]) if x.ndim == 1 else (x, k)
        exact = _oracle.convolve(xs.astype(np.longdouble), ks.astype(np.longdouble))
        assert np.abs(got - exact).max() <= 1e-12 * np.abs(exact).max()
