"""fastconv.dask: every function against the in-memory fastconv result, for
every mode x boundary x (stride, dilation), odd and even kernels, and
chunkings with chunks of size 1, chunks smaller than the kernel, uneven
chunks and a single chunk; on a distributed LocalCluster too; and against
dask-image's ndfilters.convolve as a second opinion.

Bitwise: the planner makes every output sample from exactly the input
values it sees in memory, and the C++ core gives an output the same bits
whatever its position in the array (tests/kernel_check.py, per ISA), so the
chunked direct result is bitwise the in-memory one on every ISA.
"""

import doctest
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
import dask  # noqa: E402
from conftest import BOUNDARIES, MODES, isa_params, random_array  # noqa: E402
from dask.array.utils import assert_eq  # noqa: E402

import fastconv  # noqa: E402
import fastconv.dask as fd  # noqa: E402
from fastconv import nn as memory_nn  # noqa: E402

SD = [(1, 1), (2, 1), (1, 2), (3, 2)]  # (stride, dilation)
KERNELS_2D = [(3, 3), (2, 4)]  # odd and even
CHUNKS_2D = [(1, 1), (2, 3), ((1, 3, 6, 7), (4, 7)), (17, 11)]  # size 1, < kernel, uneven, one


@pytest.fixture(autouse=True, scope="module")
def _synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def _tolerance(x, k, dtype):
    """The direct sum's per-element bound, loosely: taps * eps * sum|x||k|."""
    eps = np.finfo(dtype).eps if np.dtype(dtype).kind in "fc" else 0
    return 4 * k.size * eps * np.abs(x).max() * np.abs(k).sum()


def _check(lazy, ref, exact=True, atol=0.0):
    """assert_eq against the in-memory result (dtype, shape, chunks
    consistent with the graph), bitwise when `exact`."""
    assert isinstance(lazy, da.Array)
    got = lazy.compute()
    assert got.dtype == ref.dtype and got.shape == ref.shape
    if exact:
        assert_eq(lazy, ref)
        assert got.tobytes() == ref.tobytes(), f"max diff {np.abs(got - ref).max()}"
    else:
        assert_eq(lazy, ref, atol=atol, rtol=0)


def _block_func(lazy):
    """The in-memory call (a functools.partial) of the lazy result's first block."""
    layer = lazy.__dask_graph__().layers[lazy.name]
    return layer[(lazy.name,) + (0,) * lazy.ndim][1]


def _call(kind, x, k, mode, boundary, stride, dilation, fillvalue=0.3):
    """(in-memory result or the ValueError it raises, lazy result). The
    default fill is no power of two, so that fill * w rounds."""
    if kind.endswith("2d"):
        args, kw = (mode, boundary, fillvalue), dict(stride=stride, dilation=dilation)
    else:
        args = (mode,)
        kw = dict(
            boundary=boundary,
            fillvalue=fillvalue,
            stride=stride,
            dilation=dilation,
            method="direct",
        )
    try:
        ref = getattr(fastconv, kind)(x.compute() if isinstance(x, da.Array) else x, k, *args, **kw)
    except ValueError:
        with pytest.raises(ValueError):
            getattr(fd, kind)(x, k, *args, **kw)
        return None, None
    return ref, getattr(fd, kind)(x, k, *args, **kw)


@pytest.mark.parametrize("kind", ["convolve2d", "correlate2d", "convolve", "correlate"])
@pytest.mark.parametrize("kshape", KERNELS_2D)
@pytest.mark.parametrize("mode", MODES)
def test_2d_every_boundary_stride_dilation_chunking(rng, kind, kshape, mode):
    x = random_array(rng, (17, 11), np.float64)
    k = random_array(rng, kshape, np.float64)
    combos = list(itertools.product(BOUNDARIES, SD))
    for (boundary, (s, d)), chunks in zip(combos, itertools.cycle(CHUNKS_2D)):
        ref, lazy = _call(kind, da.from_array(x, chunks=chunks), k, mode, boundary, s, d)
        if ref is not None:
            _check(lazy, ref)


@pytest.mark.parametrize("dtype", [np.complex128, np.int64, np.float32])
@pytest.mark.parametrize("mode", MODES)
def test_1d_every_boundary_stride_dilation_chunking(rng, dtype, mode):
    x = random_array(rng, 29, dtype)
    combos = list(itertools.product((3, 4), BOUNDARIES, SD))
    for (ksize, boundary, (s, d)), chunks, kind in zip(
        combos,
        itertools.cycle((1, 2, (5, 1, 9, 14), 29)),
        itertools.cycle(("convolve", "correlate", "correlate")),
    ):
        k = random_array(rng, ksize, dtype)
        ref, lazy = _call(
            kind,
            da.from_array(x, chunks=chunks),
            k,
            mode,
            boundary,
            s,
            d,
            fillvalue=3 if dtype == np.int64 else 0.3,
        )
        if ref is not None:
            _check(lazy, ref)


def test_kernel_larger_than_the_whole_axis(rng):
    x = random_array(rng, (5, 4), np.complex128)
    k = random_array(rng, (13, 9), np.complex128)
    for mode, boundary, chunks in itertools.product(("full", "same"), BOUNDARIES, (1, 2, 5)):
        ref, lazy = _call("correlate", da.from_array(x, chunks=chunks), k, mode, boundary, 1, 2)
        _check(lazy, ref)
    # scipy's 'valid' swap: the kernel larger in every axis gives the kernel's size
    for kind in ("convolve", "correlate", "correlate2d"):
        ref, lazy = _call(kind, da.from_array(x, chunks=2), k, "valid", "fill", 1, 1)
        assert ref.shape == (9, 6)
        _check(lazy, ref)  # (one task: the in-memory call itself)


def test_batch_axes_are_chunked_freely(rng):
    x = random_array(rng, (4, 9, 3, 10), np.complex64)
    for kshape in [(4, 3, 1, 4), (1, 3, 3, 4), (1, 2, 1, 5)]:
        k = random_array(rng, kshape, np.complex64)
        for axes in [(1, 3), (3, 1), None] if kshape[2] == 1 else [None]:
            ref = fastconv.correlate(
                x, k, "same", "direct", axes=axes, boundary="symm", stride=(1, 2) if axes else 1
            )
            lazy = fd.correlate(
                da.from_array(x, chunks=(1, 2, 2, 3)),
                k,
                "same",
                "direct",
                axes=axes,
                boundary="symm",
                stride=(1, 2) if axes else 1,
            )
            _check(lazy, ref)
            if axes is not None:
                assert lazy.chunks[0] == (1, 1, 1, 1) and lazy.chunks[2] == (2, 1)
    # an input batch axis of 1 broadcast against the kernel's
    x1 = random_array(rng, (1, 12), np.complex64)
    k = random_array(rng, (3, 4), np.complex64)
    _check(
        fd.convolve(da.from_array(x1, chunks=5), k, "full", axes=1),
        fastconv.convolve(x1, k, "full", axes=1),
    )


def test_anchors_and_the_same_crops(rng):
    x = random_array(rng, (12, 13), np.int64)
    k = random_array(rng, (4, 2), np.int64)
    X = da.from_array(x, chunks=(5, 3))
    for anchor in [None, "matlab", (0, 1), (3, 0), 1]:
        for kind in ("convolve", "correlate", "convolve2d", "correlate2d"):
            fn = getattr(fastconv, kind)
            kw = dict(anchor=anchor, stride=(2, 1))
            ref = (
                fn(x, k, "same", "symm", **kw)
                if kind.endswith("2d")
                else fn(x, k, "same", boundary="symm", **kw)
            )
            lazy = (
                getattr(fd, kind)(X, k, "same", "symm", **kw)
                if kind.endswith("2d")
                else getattr(fd, kind)(X, k, "same", boundary="symm", **kw)
            )
            _check(lazy, ref)
    # same-mode output chunks are the input's
    assert fd.convolve2d(X, k, "same").chunks == X.chunks


def test_zero_fill_with_inf_in_the_kernel(rng):
    # the outside is no term of the sum (docs/conventions.md): no NaN from inf * padding
    x = random_array(rng, (9, 8), np.float64)
    k = np.array([[np.inf, 1.0], [2.0, 3.0]])
    for mode in MODES:
        ref = fastconv.convolve2d(x, k, mode)
        lazy = fd.convolve2d(da.from_array(x, chunks=(2, 3)), k, mode)
        _check(lazy, ref)
    assert np.isinf(
        fd.convolve(
            da.from_array(np.array([1.0, 2.0, 3.0]), chunks=1), np.array([np.inf, 1.0])
        ).compute()[:3]
    ).all()


def test_method_fft_to_the_fft_accuracy(rng):
    x = random_array(rng, (40, 37), np.float64)
    k = random_array(rng, (9, 8), np.float64)
    for mode, boundary in itertools.product(MODES, ("fill", "wrap", "mirror")):
        ref = fastconv.convolve(x, k, mode, "direct", boundary=boundary, dilation=(1, 2))
        lazy = fd.convolve(
            da.from_array(x, chunks=(7, 16)), k, mode, "fft", boundary=boundary, dilation=(1, 2)
        )
        # normwise bound of docs/conventions.md, c = 10
        err = np.linalg.norm(lazy.compute() - ref)
        assert err <= 10 * 2**-53 * np.log2(80) * np.linalg.norm(x) * np.linalg.norm(k)


def test_auto_takes_the_separable_path_where_memory_does(rng):
    x = random_array(rng, (520, 300), np.float32)
    col, row = random_array(rng, 7, np.float32), random_array(rng, 7, np.float32)
    k = np.outer(col, row)
    X = da.from_array(x, chunks=(128, 100))
    for kind in ("convolve2d", "correlate2d"):
        lazy = getattr(fd, kind)(X, k, "same", "symm")
        assert _block_func(lazy).func is fd._separable_task
        ref = getattr(fastconv, kind)(x, k, "same", "symm")
        _check(lazy, ref)
    # below the in-memory rule's size the direct path, as in memory
    small = fd.convolve2d(X[:20, :20], k, "same", "symm")
    assert _block_func(small).func is fd._filter_task


@pytest.mark.parametrize("mode", MODES)
def test_convolve_separable(rng, mode):
    x = random_array(rng, (17, 11), np.complex128)
    col, row = random_array(rng, 5, np.complex128), random_array(rng, 4, np.complex128)
    combos = list(itertools.product(BOUNDARIES, (1, (2, 3)), (0, 0.3)))
    for (boundary, s, fill), chunks in zip(combos, itertools.cycle(CHUNKS_2D)):
        kw = dict(boundary=boundary, fillvalue=fill, stride=s)
        ref = fastconv.convolve_separable(x, col, row, mode, **kw)
        lazy = fd.convolve_separable(da.from_array(x, chunks=chunks), col, row, mode, **kw)
        # a non-zero fill: fillvalue * sum(col) in memory, the fill samples here
        _check(
            lazy,
            ref,
            not (boundary == "fill" and fill),
            atol=_tolerance(x, np.outer(col, row), np.complex128),
        )
    assert fd.convolve_separable(
        da.ones((3, 10), chunks=2), np.ones(5), np.ones(3), "valid"
    ).compute().shape == (0, 8)


def test_conv_transpose(rng):
    x = random_array(rng, (2, 13, 11), np.float64)
    k = random_array(rng, (3, 4), np.float64)
    for (s, p, op, d), chunks in zip(
        [(1, 0, 0, 1), (2, 1, 1, 1), (3, 2, 0, 2), (1, 0, 0, 3), (5, 1, 4, 1)],
        itertools.cycle([(1, 1, 1), (2, 4, 3), (1, 13, 11)]),
    ):
        ref = fastconv.conv_transpose(x, k, s, p, op, d)
        lazy = fd.conv_transpose(da.from_array(x, chunks=chunks), k, s, p, op, d)
        _check(lazy, ref)
    xi = random_array(rng, (6, 29), np.int64)
    ki = random_array(rng, 4, np.int64)
    _check(
        fd.conv_transpose(da.from_array(xi, chunks=(4, 3)), ki, 3, axes=(1,)),
        fastconv.conv_transpose(xi, ki, 3, axes=(1,)),
    )


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_nn_conv2d_bitwise(rng, padding_mode):
    x = random_array(rng, (2, 4, 11, 13), np.float32)
    w = random_array(rng, (6, 2, 3, 4), np.float32)
    b = random_array(rng, 6, np.float32)
    for (s, p, d), chunks in zip(
        [(1, 1, 1), (2, (1, 2), 1), (1, "same", 2), (3, 0, 1), (1, 2, (2, 1))],
        itertools.cycle([(1, 2, 1, 3), (2, 4, 5, 7), (2, 4, 11, 13)]),
    ):
        ref = memory_nn.conv2d(x, w, b, s, p, d, groups=2, padding_mode=padding_mode)
        lazy = fd.nn.conv2d(
            da.from_array(x, chunks=chunks), w, b, s, p, d, groups=2, padding_mode=padding_mode
        )
        _check(lazy, ref)
    # unbatched
    _check(
        fd.nn.conv2d(da.from_array(x[0], chunks=5), w[:, :1].repeat(4, 1), None, 1, 1),
        memory_nn.conv2d(x[0], w[:, :1].repeat(4, 1), None, 1, 1),
    )


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_nn_conv3d_bitwise(rng, padding_mode):
    """A volume in chunks along depth, rows and columns (chunks of 1 and
    smaller than the kernel included) is bitwise the in-memory direct
    result, for every padding mode, stride, dilation and "same"."""
    x = random_array(rng, (2, 4, 7, 9, 8), np.float32)
    w = random_array(rng, (6, 2, 3, 2, 3), np.float32)
    b = random_array(rng, 6, np.float32)
    for (s, p, d), chunks in zip(
        [(1, 1, 1), ((2, 1, 3), (1, 0, 2), 1), (1, "same", (2, 1, 1)), (2, 0, 1)],
        itertools.cycle([(1, 2, 1, 3, 2), (2, 4, 3, 4, 5), (2, 4, 7, 9, 8)]),
    ):
        ref = memory_nn.conv3d(
            x, w, b, s, p, d, groups=2, padding_mode=padding_mode, algorithm="direct"
        )
        lazy = fd.nn.conv3d(
            da.from_array(x, chunks=chunks), w, b, s, p, d, groups=2, padding_mode=padding_mode
        )
        _check(lazy, ref)
    # unbatched, float64, 3x3x3 (where "auto" in memory may take Winograd)
    x64 = random_array(rng, (8, 6, 7, 5), np.float64)
    w64 = random_array(rng, (3, 8, 3, 3, 3), np.float64)
    _check(
        fd.nn.conv3d(da.from_array(x64, chunks=(3, 2, 3, 5)), w64, None, 1, 1),
        memory_nn.conv3d(x64, w64, None, 1, 1, algorithm="direct"),
    )


def test_nn_conv3d_against_torch(rng):
    torch = pytest.importorskip("torch")
    x = random_array(rng, (1, 3, 6, 7, 5), np.float64)
    w = random_array(rng, (4, 3, 3, 3, 3), np.float64)
    got = fd.nn.conv3d(da.from_array(x, chunks=(1, 3, 2, 3, 5)), w, None, 1, 1).compute()
    ref = torch.nn.functional.conv3d(torch.from_numpy(x), torch.from_numpy(w), None, 1, 1)
    np.testing.assert_allclose(got, ref.numpy(), rtol=1e-12, atol=1e-12)


def test_nn_conv2d_packs_its_weights_once(rng, monkeypatch):
    """One nn.Conv2d layer object for all the tasks: one key of the graph,
    packed once on the threaded scheduler (however many chunks)."""
    from fastconv import _core

    packed = []
    real = _core.ConvLayer
    monkeypatch.setattr(_core, "ConvLayer", lambda *a: packed.append(a) or real(*a))
    x = random_array(rng, (2, 4, 20, 18), np.float64)
    w = random_array(rng, (6, 4, 3, 3), np.float64)
    b = random_array(rng, 6, np.float64)
    lazy = fd.nn.conv2d(da.from_array(x, chunks=(1, 4, 5, 6)), w, b, padding=1)
    layers = [v for v in dict(lazy.__dask_graph__()).values() if isinstance(v, memory_nn.Conv2d)]
    assert len(layers) == 1 and lazy.npartitions == 24
    with dask.config.set(scheduler="threads"):
        got = lazy.compute()
    assert got.tobytes() == memory_nn.conv2d(x, w, b, padding=1).tobytes()
    assert len(packed) == 1


def test_bad_input_is_refused_by_name():
    x = da.ones((8, 8), chunks=4)
    k = np.ones((3, 3))
    with pytest.raises(TypeError, match="in2"):
        fd.convolve2d(x, da.ones((3, 3)))
    with pytest.raises(TypeError, match="weight"):
        fd.nn.conv2d(da.ones((1, 1, 8, 8)), da.ones((1, 1, 3, 3)))
    with pytest.raises(TypeError, match="weight"):
        fd.nn.conv3d(da.ones((1, 1, 4, 4, 4)), da.ones((1, 1, 3, 3, 3)))
    with pytest.raises(ValueError, match="input: conv3d expects shape"):
        fd.nn.conv3d(da.ones((1, 4, 4)), np.ones((1, 1, 3, 3, 3)))
    with pytest.raises(ValueError, match="padding"):
        fd.nn.conv3d(da.ones((1, 1, 4, 4, 4)), np.ones((1, 1, 3, 3, 3)), None, 2, "same")
    with pytest.raises(TypeError, match="out"):
        fd.nn.conv3d(da.ones((1, 1, 4, 4, 4)), np.ones((1, 1, 3, 3, 3)), out=np.empty(1))
    with pytest.raises(TypeError, match="out"):
        fd.convolve(x, k, out=np.empty((10, 10)))
    with pytest.raises(ValueError, match="symm"):
        fd.convolve(x, k, boundary="reflect")
    with pytest.raises(ValueError, match="mode"):
        fd.correlate(x, k, "bogus")
    with pytest.raises(ValueError, match="stride"):
        fd.convolve(x, k, stride=0)
    with pytest.raises(TypeError, match="in1"):
        fd.convolve(da.from_array(np.array(["a", "b"])), np.ones(1))
    with pytest.raises(ValueError, match="dilated kernel"):
        fd.convolve(x, k, "valid", dilation=4)
    with pytest.raises(ValueError, match="padding_mode|reflect"):
        fd.nn.conv2d(
            da.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), padding=3, padding_mode="reflect"
        )
    with pytest.raises(ValueError, match="anchor"):
        fd.convolve(x, k, "same", anchor=3)
    with pytest.raises(ValueError, match="chunk"):
        fd.convolve(x[x[:, 0] > 0], k)


def test_threads_one_per_task_by_default():
    lazy = fd.convolve2d(da.ones((8, 8), chunks=4), np.ones((3, 3)))
    assert _block_func(lazy).args[-1] == 1
    lazy = fd.convolve2d(da.ones((8, 8), chunks=4), np.ones((3, 3)), threads=None)
    assert _block_func(lazy).args[-1] == 0
    with pytest.raises(TypeError, match="threads"):
        fd.convolve2d(da.ones((8, 8), chunks=4), np.ones((3, 3)), threads=1.5)


def test_import_fastconv_does_not_import_dask():
    code = "import sys, fastconv, fastconv.nn; print('dask' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


_ISA_CHECK = r"""
import itertools, numpy as np, dask, dask.array as da, fastconv, fastconv.dask as fd
import os
assert fastconv.active_isa() == os.environ["FASTCONV_FORCE_ISA"]
dask.config.set(scheduler="synchronous")
rng = np.random.default_rng(5)
x = rng.standard_normal((17, 11)).astype(np.float32)
n = 0
combos = list(itertools.product(
        [(3, 3), (2, 4)], ["convolve2d", "correlate2d"], ["full", "same", "valid"],
        ["fill", "wrap", "symm", "mirror", "nearest"], [(1, 1), (1, 2)]))
chunkings = itertools.cycle([(1, 1), (2, 3), ((1, 3, 6, 7), (4, 7)), (17, 11)])
for (ks, kind, mode, b, (s, d)), ch in zip(combos, chunkings):
    k = rng.standard_normal(ks).astype(np.float32)
    try:
        ref = getattr(fastconv, kind)(x, k, mode, b, 0.3, stride=s, dilation=d)
    except ValueError:
        continue
    got = getattr(fd, kind)(da.from_array(x, chunks=ch), k, mode, b, 0.3, stride=s,
                            dilation=d).compute()
    assert got.tobytes() == ref.tobytes(), (ks, kind, mode, b, s, d, ch)
    n += 1
y = rng.standard_normal((2, 13, 11))
kt = rng.standard_normal((3, 4))
for (s, p, op, d), ch in itertools.product([(1, 0, 0, 1), (2, 1, 1, 1), (3, 2, 0, 2)],
                                           [(1, 1, 1), (2, 4, 3)]):
    ref = fastconv.conv_transpose(y, kt, s, p, op, d)
    got = fd.conv_transpose(da.from_array(y, chunks=ch), kt, s, p, op, d).compute()
    assert got.tobytes() == ref.tobytes(), (s, p, op, d, ch)
    n += 1
print(n)
"""


@pytest.mark.parametrize("isa", isa_params())
def test_bitwise_on_every_isa(isa):
    """Each ISA's kernels (in a subprocess: the choice is made once per
    process): the float tile path and conv_transpose chunked are bitwise
    the in-memory results for every mode, boundary and chunking."""
    env = dict(os.environ, FASTCONV_FORCE_ISA=isa)
    out = subprocess.run(
        [sys.executable, "-c", _ISA_CHECK], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout) > 100


# -- random chunkings --------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@st.composite
def _chunking(draw, n):
    sizes = []
    while sum(sizes) < n:
        sizes.append(draw(st.integers(1, n - sum(sizes))))
    return tuple(sizes)


@hypothesis.settings(max_examples=30, deadline=None)
@hypothesis.given(data=st.data())
def test_random_chunkings_bitwise(data):
    n0, n1 = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
    chunks = (data.draw(_chunking(n0)), data.draw(_chunking(n1)))
    ks = (data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5)))
    mode = data.draw(st.sampled_from(["full", "same"]))
    boundary = data.draw(st.sampled_from(BOUNDARIES))
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    dilation = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = random_array(rng, (n0, n1), np.int64)  # exact arithmetic: bitwise on every ISA
    k = random_array(rng, ks, np.int64)
    ref = fastconv.correlate(
        x, k, mode, "direct", boundary=boundary, fillvalue=-3, stride=stride, dilation=dilation
    )
    lazy = fd.correlate(
        da.from_array(x, chunks=chunks),
        k,
        mode,
        "direct",
        boundary=boundary,
        fillvalue=-3,
        stride=stride,
        dilation=dilation,
    )
    _check(lazy, ref)


# -- dask-image, a second opinion ---------------------------------------------------

# scipy.ndimage's mode -> fastconv's boundary
_NDIMAGE = {
    "reflect": "symm",
    "mirror": "mirror",
    "nearest": "nearest",
    "wrap": "wrap",
    "constant": "fill",
}


@pytest.mark.parametrize("kshape", [(3, 3), (4, 5), (2, 6)])
def test_against_dask_image(rng, kshape):
    ndfilters = pytest.importorskip("dask_image.ndfilters")
    x = random_array(rng, (30, 27), np.float64)
    k = random_array(rng, kshape, np.float64)
    X = da.from_array(x, chunks=(7, 10))
    for mode, boundary in _NDIMAGE.items():
        theirs = ndfilters.convolve(X, k, mode=mode, cval=0.5).compute()
        # ndimage centres an even kernel at k//2: the "matlab" anchor
        ours = fd.convolve(X, k, "same", boundary=boundary, fillvalue=0.5, anchor="matlab")
        assert_eq(ours, theirs, atol=_tolerance(x, k, np.float64), rtol=0)


# -- docs --------------------------------------------------------------------------


def test_docstring_examples():
    for module in (fd, fd.nn):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


# (the examples of docs/guide/dask.md and the README run in
# tests/test_docs.py::test_python_blocks_of_the_markdown_pages_run)


# -- a distributed cluster ----------------------------------------------------------


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_on_a_local_cluster(cluster_client, rng):
    x = random_array(rng, (64, 50), np.float32)
    k = random_array(rng, (4, 3), np.float32)
    X = da.from_array(x, chunks=(16, 7))
    cases = [
        (fd.convolve2d(X, k, "same", "symm"), fastconv.convolve2d(x, k, "same", "symm")),
        (
            fd.correlate(X, k, "full", "direct", boundary="wrap", stride=(2, 3), dilation=2),
            fastconv.correlate(x, k, "full", "direct", boundary="wrap", stride=(2, 3), dilation=2),
        ),
        (
            fd.convolve_separable(X, k[:, 0], k[0], "valid", stride=2),
            fastconv.convolve_separable(x, k[:, 0], k[0], "valid", stride=2),
        ),
        (fd.conv_transpose(X, k, 2, 1), fastconv.conv_transpose(x, k, 2, 1)),
        (
            fd.nn.conv2d(X[None, None], k[None, None], None, 1, "same", padding_mode="reflect"),
            memory_nn.conv2d(x[None, None], k[None, None], None, 1, "same", padding_mode="reflect"),
        ),
        (
            fd.nn.conv3d(X[None, None, None], k[None, None, None], None, 1, (0, 1, 2)),
            memory_nn.conv3d(x[None, None, None], k[None, None, None], None, 1, (0, 1, 2)),
        ),
    ]
    results = cluster_client.compute([lazy for lazy, _ in cases], sync=True)
    for got, (_lazy, ref) in zip(results, cases):
        assert got.shape == ref.shape and got.dtype == ref.dtype
        assert got.tobytes() == ref.tobytes()


def test_nn_conv2d_packs_once_per_worker(cluster_client, rng):
    """The layer object is one key: each worker unpickles (packs) it once
    and hands it to all its tasks."""

    def count_packings():
        from fastconv import _core

        real = _core.ConvLayer
        _core.real_conv_layer, _core.packings = real, 0

        def counting(*args):
            _core.packings += 1
            return real(*args)

        _core.ConvLayer = counting

    def packings_and_restore():
        from fastconv import _core

        _core.ConvLayer = _core.real_conv_layer
        return _core.packings

    x = random_array(rng, (4, 3, 48, 48), np.float64)
    w = random_array(rng, (8, 3, 3, 3), np.float64)
    lazy = fd.nn.conv2d(da.from_array(x, chunks=(1, 3, 16, 16)), w, None, padding=1)
    cluster_client.run(count_packings)
    try:
        got = cluster_client.compute(lazy, sync=True)
    finally:
        packings = cluster_client.run(packings_and_restore)
    assert got.tobytes() == memory_nn.conv2d(x, w, None, padding=1).tobytes()
    assert lazy.npartitions == 36 and sorted(packings.values()) in ([1, 1], [0, 1])
