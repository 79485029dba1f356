"""Time fastconv against every installed peer, side by side in one process.

    pip install ".[bench]" torch==2.13.0   # the peers (never a plain `torch`: CUDA)
    python bench/run.py                 # all cases, 1 and 2 threads
    python bench/run.py --cases H1 H2   # some cases
    python bench/run.py --json bench/results/latest.json

Each case computes the same result with every library (checked once
before timing). Times are medians of at least 5 runs after warm-up, the
libraries of a case timed in alternating blocks. The CNN layer rows
(H12-H15, H18-H24, H26-H29, R1-R8, V1-V2, D2) also time onnxruntime and OpenVINO (held to
float32) on a one-node ONNX model of the layer (H27: the network's own
ONNX file), compiled per thread count;
a runtime that refuses a row, or computes it at lower precision, is left
out with a note. "fastconv layer" is fastconv.nn's layer object (weights
packed once): not a peer, its ratio to the best peer is printed in brackets;
so is "fastconv direct" on the 3x3 rows that take Winograd by default.
Peers that are not installed are skipped.
GFLOP/s counts 2 * outputs * taps, the useful work (a Winograd row notes
the share of it its products do: GFLOP/s above the peak come from
there); "% peak" is against the FMA throughput
of this machine measured by bench/peak.py with the same thread count
(halved for float64 cases);
"vs best" is (best peer's time) / (fastconv's time), so > 1 means fastconv
is faster; the best peer is named beside its time.
Memory-bound rows (the pools, the depthwise H14 and H24, H5) print
"GB/s (% copy)": the bytes their ideal algorithm reads and writes over
fastconv's time, and its share of the machine's copy bandwidth measured in
the same run (a STREAM-like np.copyto of 256 MiB); the pool rows also give
fastconv's time over one read of an input-sized array ("x one read").
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

# Peers must not oversubscribe the 2 cores with BLAS threads they never use.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import fastconv  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peak import fma_peak_gflops  # noqa: E402

try:
    import scipy.ndimage as ndimage
    import scipy.signal as signal
except ImportError:  # pragma: no cover
    ndimage = signal = None
try:
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None
try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None
# The inference runtimes run a one-node ONNX model (built with onnx) of a
# CNN row's layer.
try:
    import onnx
    from onnx import helper, numpy_helper
except ImportError:  # pragma: no cover
    onnx = None
try:
    import onnxruntime as ort
except ImportError:  # pragma: no cover
    ort = None
try:
    import openvino as ov
except ImportError:  # pragma: no cover
    ov = None


def median_time(fn, min_runs=5, budget=1.0):
    """Median seconds of fn() after two warm-up calls; at least min_runs
    runs, more while the budget (seconds) allows."""
    fn()
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < budget and len(times) < 2000):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def alternating_medians(runs, budget, blocks=3):
    """Median seconds per library, timed in `blocks` alternating blocks (a
    library's idle OpenMP threads spin for a while after its call and slow
    whatever runs next, so no library always runs first or after another)."""
    samples = {label: [] for label in runs}
    for _ in range(blocks):
        for label, fn in runs.items():
            samples[label].append(median_time(fn, min_runs=3, budget=budget / blocks))
    return {label: statistics.median(t) for label, t in samples.items()}


def set_threads(n):
    # (the inference runtimes take fastconv's count: see _PerThreads)
    fastconv.set_num_threads(n)
    if cv2 is not None:
        cv2.setNumThreads(n)
    if torch is not None:
        torch.set_num_threads(n)


# ---- memory-bound rows: judged by the machine's copy bandwidth

COPY_BYTES = 256 * 2**20  # per array: well beyond the last-level cache


@functools.cache
def copy_bandwidth():
    """GB/s of a STREAM-like copy on this machine, measured once per run:
    np.copyto between two preallocated COPY_BYTES arrays (one thread),
    bytes read + written over the best of 5 copies."""
    src = np.ones(COPY_BYTES // 8)  # (written once: its pages are mapped)
    dst = np.zeros_like(src)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        times.append(time.perf_counter() - t0)
    return 2 * src.nbytes / min(times) / 1e9


def _memory_bound(setup, read_bytes, one_read=False):
    """A memory-bound row: the ideal algorithm reads `read_bytes` (input
    and weights) and writes fastconv's result once; the row prints
    fastconv's GB/s of that traffic and its % of copy_bandwidth(). With
    `one_read`, the row also times one read of an input-sized float32 array
    ("one read", not a peer: np.max, numpy's fastest read; np.sum's pairwise
    float32 sum is slower than the memory), the floor of issue 31's "within
    Nx of one read of the input" targets."""

    def wrapped(rng):
        flops, runs, to_np, *rest = setup(rng)
        result = runs["fastconv"]()
        parts = result if isinstance(result, tuple) else (result,)
        memory = {"bytes": read_bytes + sum(np.asarray(r).nbytes for r in parts)}
        if one_read:
            y = rng.random(read_bytes // 4).astype(np.float32)
            runs["one read"] = lambda: np.max(y)
        return flops, runs, to_np, rest[0] if rest else [], memory

    return wrapped


def memory_figures(memory, seconds):
    """A memory-bound row's figures from its times: GB/s of the ideal
    traffic, % of the copy bandwidth and fastconv's time over one read."""
    gbs = memory["bytes"] / seconds["fastconv"] / 1e9
    figures = {
        "bytes": memory["bytes"],
        "gb_per_s": gbs,
        "copy_gb_per_s": copy_bandwidth(),
        "copy_pct": 100 * gbs / copy_bandwidth(),
    }
    if "one read" in seconds:
        figures["vs_one_read"] = seconds["fastconv"] / seconds["one read"]
    return figures


def _f32_bytes(*shapes):
    """Bytes of float32 arrays of these shapes."""
    return sum(4 * int(np.prod(s)) for s in shapes)


# ---- cases: name -> (description, setup) where setup returns
#      (flops, {label: fn}, reference check pairs)


def _image_case(shape, k, dtype, with_scipy_signal=False):
    def setup(rng):
        x = rng.random(shape).astype(dtype)
        h = rng.random((k, k)).astype(dtype)
        runs = {"fastconv": lambda: fastconv.correlate2d(x, h, "same")}
        if cv2 is not None:
            runs["cv2.filter2D"] = lambda: cv2.filter2D(x, -1, h, borderType=cv2.BORDER_CONSTANT)
        if ndimage is not None:
            runs["scipy.ndimage"] = lambda: ndimage.correlate(x, h, mode="constant")
        if torch is not None:
            xt = torch.from_numpy(x)[None, None]
            ht = torch.from_numpy(h)[None, None]
            runs["torch"] = lambda: F.conv2d(xt, ht, padding=k // 2)
        if with_scipy_signal and signal is not None:
            runs["scipy.signal"] = lambda: signal.correlate2d(x, h, "same")
        to_np = {"torch": lambda r: r[0, 0].numpy()}
        return 2 * x.size * k * k, runs, to_np

    return setup


def _signal_case(n, k, dtype):
    def setup(rng):
        x = rng.random(n).astype(dtype)
        h = rng.random(k).astype(dtype)
        runs = {"fastconv": lambda: fastconv.correlate(x, h, "same")}
        runs["numpy"] = lambda: np.correlate(x, h, "same")
        if signal is not None:
            runs["scipy.signal"] = lambda: signal.correlate(x, h, "same")
        if ndimage is not None:
            runs["scipy.ndimage"] = lambda: ndimage.correlate1d(x, h, mode="constant")
        if cv2 is not None:
            x2, h2 = x[None], h[None]
            runs["cv2.filter2D"] = lambda: cv2.filter2D(
                x2, -1, h2, anchor=(k // 2, 0), borderType=cv2.BORDER_CONSTANT
            )
        if torch is not None:
            xt = torch.from_numpy(x)[None, None]
            ht = torch.from_numpy(h)[None, None]
            pad = (k // 2, (k - 1) // 2)  # the same centring as scipy's 'same'
            runs["torch"] = lambda: F.conv1d(F.pad(xt, pad), ht)
        to_np = {"cv2.filter2D": lambda r: r[0], "torch": lambda r: r[0, 0].numpy()}
        return 2 * n * k, runs, to_np

    return setup


def _large_kernel_case(shape, k):
    """convolve(..., "same") with method="auto" (the FFT path by the cost
    model) against scipy's FFT methods and OpenCV (which switches to a DFT
    for large kernels; torch's direct conv takes half a second here and is
    left out); GFLOP/s counts the direct-equivalent 2 * outputs * taps."""

    def setup(rng):
        x = rng.random(shape).astype(np.float32)
        h = rng.random(k).astype(np.float32)
        flipped = np.ascontiguousarray(h[(slice(None, None, -1),) * h.ndim])
        runs = {"fastconv": lambda: fastconv.convolve(x, h, "same")}
        if signal is not None:
            runs["scipy.signal.fftconvolve"] = lambda: signal.fftconvolve(x, h, "same")
            runs["scipy.signal.oaconvolve"] = lambda: signal.oaconvolve(x, h, "same")
        # 'same' starts at (k-1)//2 of the full convolution: as a correlation
        # with the flipped kernel, its anchor (left padding) is k-1 - that
        if cv2 is not None:
            lead = [n - 1 - (n - 1) // 2 for n in h.shape]
            x2, f2 = (x, flipped) if x.ndim == 2 else (x[None], flipped[None])
            anchor = (lead[-1], lead[0] if x.ndim == 2 else 0)
            runs["cv2.filter2D"] = lambda: cv2.filter2D(
                x2, -1, f2, anchor=anchor, borderType=cv2.BORDER_CONSTANT
            )
        squeeze = (lambda r: r) if len(shape) == 2 else (lambda r: r[0])
        return 2 * x.size * h.size, runs, {"cv2.filter2D": squeeze}

    return setup


def _copy_floor(n, dtype):
    def setup(rng):
        x = rng.random(n).astype(dtype)
        return 0, {"np.copy (floor)": lambda: np.copy(x)}, {}

    return setup


def _multiply_floor(shape, dtype):
    """Reading and writing an array of `shape` once: np.multiply into out=."""

    def setup(rng):
        a, b = rng.random(shape).astype(dtype), rng.random(shape).astype(dtype)
        out = np.empty(shape, dtype)
        return 0, {"np.multiply out= (floor)": lambda: np.multiply(a, b, out=out)}, {}

    return setup


def _tiny_1d(rng):
    x, h = rng.random(64), rng.random(3)
    runs = {"fastconv": lambda: fastconv.convolve(x, h), "numpy": lambda: np.convolve(x, h)}
    if signal is not None:
        runs["scipy.signal"] = lambda: signal.convolve(x, h)
    return 2 * 66 * 3, runs, {}


def _tiny_2d(rng):
    x, h = rng.random((8, 8)).astype(np.float32), rng.random((3, 3)).astype(np.float32)
    runs = {"fastconv": lambda: fastconv.correlate2d(x, h, "same")}
    if cv2 is not None:
        runs["cv2.filter2D"] = lambda: cv2.filter2D(x, -1, h, borderType=cv2.BORDER_CONSTANT)
    if ndimage is not None:
        runs["scipy.ndimage"] = lambda: ndimage.correlate(x, h, mode="constant")
    if signal is not None:
        runs["scipy.signal"] = lambda: signal.correlate2d(x, h, "same")
    return 2 * 64 * 9, runs, {}


def _transpose_case(rng):
    x = rng.random((512, 512)).astype(np.float32)
    h = rng.random((4, 4)).astype(np.float32)
    out = np.empty((1026, 1026), np.float32)  # into out=, as the floor below
    runs = {"fastconv": lambda: fastconv.conv_transpose(x, h, stride=2, out=out)}
    if torch is not None:
        xt, ht = torch.from_numpy(x)[None, None], torch.from_numpy(h)[None, None]
        runs["torch"] = lambda: F.conv_transpose2d(xt, ht, stride=2)
    if signal is not None:

        def zero_insertion():  # the textbook recipe
            z = np.zeros((1023, 1023), np.float32)
            z[::2, ::2] = x
            return signal.convolve2d(z, h)

        runs["zero-insert + scipy.signal"] = zero_insertion
    return 2 * x.size * h.size, runs, {"torch": lambda r: r[0, 0].numpy()}


def _gaussian_case(separable_call):
    def setup(rng):
        x = rng.random((1024, 1024)).astype(np.float32)
        g = np.exp(-0.5 * ((np.arange(15) - 7) / 2.5) ** 2).astype(np.float32)
        g /= g.sum()
        k2 = np.outer(g, g)
        if separable_call:
            runs = {"fastconv": lambda: fastconv.convolve_separable(x, g, g, "same")}
        else:
            runs = {"fastconv": lambda: fastconv.convolve2d(x, k2, "same")}
        if cv2 is not None:
            runs["cv2.sepFilter2D"] = lambda: cv2.sepFilter2D(
                x, -1, g, g, borderType=cv2.BORDER_CONSTANT
            )
        if ndimage is not None:
            runs["scipy.ndimage"] = lambda: ndimage.correlate1d(
                ndimage.correlate1d(x, g, axis=0, mode="constant"), g, axis=1, mode="constant"
            )
        # counted as the separable algorithm's work (15 + 15 taps) in both rows
        return 2 * x.size * 30, runs, {}

    return setup


def _pool_case(rng):
    x = rng.random((8, 64, 112, 112)).astype(np.float32)
    runs = {"fastconv": lambda: fastconv.nn.max_pool2d(x, 2, 2, return_indices=True)}
    if torch is not None:
        xt = torch.from_numpy(x)
        runs["torch"] = lambda: F.max_pool2d(xt, 2, 2, return_indices=True)
    # no multiply-adds: no GFLOP/s
    return None, runs, {"torch": lambda r: np.stack([r[0].numpy(), r[1].numpy()])}


STEM_POOL_SHAPE = (8, 64, 112, 112)


def _stem_pool_case(with_indices):
    """max_pool2d 3x3 stride 2 pad 1 (the stem pool of ResNet and MTCNN)."""

    def setup(rng):
        x = rng.random(STEM_POOL_SHAPE).astype(np.float32)
        runs = {"fastconv": lambda: fastconv.nn.max_pool2d(x, 3, 2, 1, return_indices=with_indices)}
        checks = {}
        if torch is not None:
            xt = torch.from_numpy(x)
            runs["torch"] = lambda: F.max_pool2d(xt, 3, 2, 1, return_indices=with_indices)
            if with_indices:
                checks["torch"] = lambda r: np.stack([r[0].numpy(), r[1].numpy()])
        if not with_indices and onnx is not None and ort is not None:
            # (ONNX's MaxPool indices count over the whole tensor, torch's
            # per plane: the runtime is a peer of the row without them)
            node = helper.make_node(
                "MaxPool", ["X"], ["Y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]
            )
            elem = helper.np_dtype_to_tensor_dtype(x.dtype)
            graph = helper.make_graph(
                [node],
                "MaxPool",
                [helper.make_tensor_value_info("X", elem, x.shape)],
                [helper.make_tensor_value_info("Y", elem, None)],
            )
            model = helper.make_model(
                graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8
            ).SerializeToString()
            runs["onnxruntime"] = _PerThreads(_ort_session(model, x))
        return None, runs, checks

    return setup


def _pool3d_case(rng):
    x = rng.random((1, 32, 64, 64, 64)).astype(np.float32)
    runs = {"fastconv": lambda: fastconv.nn.max_pool3d(x, 2, 2, return_indices=True)}
    checks = {}
    if torch is not None:
        xt = torch.from_numpy(x)
        runs["torch"] = lambda: F.max_pool3d(xt, 2, 2, return_indices=True)
        checks["torch"] = lambda r: np.stack([r[0].numpy(), r[1].numpy()])
    return None, runs, checks


def _avg_pool_case(rng):
    x = rng.random((8, 64, 56, 56)).astype(np.float32)
    runs = {"fastconv": lambda: fastconv.nn.avg_pool2d(x, 3, 1, 1)}
    if torch is not None:
        xt = torch.from_numpy(x)
        runs["torch"] = lambda: F.avg_pool2d(xt, 3, 1, 1)
    # 9 adds per output, no multiply-adds: no GFLOP/s
    return None, runs, {}


def _adaptive_avg_pool_case(rng):
    x = rng.random((8, 512, 14, 14)).astype(np.float32)
    runs = {"fastconv": lambda: fastconv.nn.adaptive_avg_pool2d(x, 1)}
    if torch is not None:
        xt = torch.from_numpy(x)
        runs["torch"] = lambda: F.adaptive_avg_pool2d(xt, 1)
    return None, runs, {}


# ---- the inference runtimes: one-node ONNX models of the CNN rows

# Not peers: "vs best" compares fastconv with the best of the others.
NOT_PEERS = (
    "fastconv",
    "fastconv layer",
    "fastconv channels-last",
    "fastconv direct",
    "normal input",
    "one read",
)


def _onnx_model(op, x, w, b, stride, padding, groups, activation=None):
    """A one-node ONNX model, `op` (Conv or ConvTranspose) on x's fixed
    shape, the weights and bias as initializers (constants a runtime may
    prepack), as torch's arguments (int stride and padding); with
    `activation` (an ONNX operator: Relu, HardSwish, ...) a second node
    after it, which the runtimes fuse into the convolution."""
    naxes = x.ndim - 2
    elem = helper.np_dtype_to_tensor_dtype(x.dtype)
    inits = [numpy_helper.from_array(w, "W")]
    if b is not None:
        inits.append(numpy_helper.from_array(b, "B"))
    node = helper.make_node(
        op,
        ["X"] + [t.name for t in inits],
        ["C" if activation else "Y"],
        kernel_shape=list(w.shape[2:]),
        strides=[stride] * naxes,
        pads=[padding] * (2 * naxes),
        group=groups,
    )
    nodes = [node] + ([helper.make_node(activation, ["C"], ["Y"])] if activation else [])
    graph = helper.make_graph(
        nodes,
        op,
        [helper.make_tensor_value_info("X", elem, x.shape)],
        [helper.make_tensor_value_info("Y", elem, None)],
        initializer=inits,
    )
    # opset 17 / IR 8: what runtimes older than this onnx still load
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return model.SerializeToString()


def _ort_session(model, x, input_name="X"):
    def build(n):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = n  # (the calling thread counts as one)
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        return lambda: sess.run(None, {input_name: x})[0]

    return build


@functools.cache
def _ov_core():
    return ov.Core()


def _openvino_request(model, x):
    def build(n):
        core = _ov_core()
        config = {
            # else it runs bfloat16 where the CPU has AMX or avx512_bf16 (as
            # this 2-core machine: relative error 2e-3 instead of 1e-6)
            "INFERENCE_PRECISION_HINT": "f32",
            "INFERENCE_NUM_THREADS": n,
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
        }
        request = core.compile_model(core.read_model(model), "CPU", config).create_infer_request()
        # the input as it is (no copy, as fastconv and torch), a fresh result
        return lambda: request.infer({0: x}, share_inputs=True)[0]

    return build


class _PerThreads:
    """A runtime's compiled model for the timing's thread count (set by
    set_threads): built on the first call at that count, then cached
    (the first call is a warm-up, never timed)."""

    def __init__(self, build):
        self.build, self.compiled = build, {}

    def __call__(self):
        n = fastconv.get_num_threads()
        if n not in self.compiled:
            self.compiled[n] = self.build(n)
        return self.compiled[n]()


def _runtime_runs(op, x, w, b, ref, notes, stride=1, padding=0, groups=1, activation=None):
    """{label: fn} for onnxruntime and OpenVINO running `op` on x; a runtime
    that refuses the case (onnxruntime's CPU Conv has no float64), or
    computes it at a lower precision (OpenVINO's CPU plugin runs float64 in
    float32), is left out with a note for the row (`ref`: fastconv's
    result)."""
    if onnx is None:
        return {}
    model = _onnx_model(op, x, w, b, stride, padding, groups, activation)
    runs = {}
    for label, build, mod in [
        ("onnxruntime", _ort_session, ort),
        ("OpenVINO", _openvino_request, ov),
    ]:
        if mod is None:
            continue
        fn = _PerThreads(build(model, x))
        try:
            res = fn()
        except Exception as e:  # a runtime's refusal: whatever it raises
            notes.append(f"{label} refuses it: {type(e).__name__}")
            continue
        # held to the row's precision: check_same's 1e-3 would pass a
        # float32 computation of a float64 row, or a bfloat16 one
        err = np.abs(res - ref).max() / np.abs(ref).max()
        if err > (1e-9 if x.dtype == np.float64 else 1e-4):
            notes.append(f"{label} left out: error {err:.0e}, not {x.dtype} precision")
            continue
        runs[label] = fn
    return runs


def _winograd_products(n, cin, out_shape, cout, k, dtype, stride, groups):
    """The multiply-adds Winograd's products do where nn.conv2d's "auto"
    takes it (docs/conventions.md: 3x3, stride 1, 8+ channels per group,
    float32/float64; F(4x4, 3x3) from 8 outputs a side), else None."""
    cin_g, cout_g = cin // groups, cout // groups
    if (
        len(out_shape) != 2
        or k != 3
        or stride != 1
        or min(cin_g, cout_g) < 8
        or np.dtype(dtype) not in (np.float32, np.float64)
    ):
        return None
    m = 4 if min(out_shape) >= 8 else 2
    tiles = -(-out_shape[0] // m) * -(-out_shape[1] // m)
    return n * groups * tiles * (m + 2) ** 2 * cin_g * cout_g


def _layer_case(
    n, cin, size, cout, k, dtype=np.float32, stride=1, padding=0, groups=1, channels_last=False
):
    """A CNN layer (nn.conv1d for a 1-D `size`, else nn.conv2d) against
    torch and the inference runtimes; with `channels_last`, also the layer
    object on NHWC arrays (a channels-last view in, `out=` channels-last)
    and torch on its channels_last memory format, each a layout a network
    keeps from layer to layer."""

    def setup(rng):
        spatial = (size,) if np.ndim(size) == 0 else tuple(size)
        x = rng.standard_normal((n, cin) + spatial).astype(dtype)
        w = rng.standard_normal((cout, cin // groups) + (k,) * len(spatial)).astype(dtype)
        b = rng.standard_normal(cout).astype(dtype)
        layer = fastconv.nn.conv1d if len(spatial) == 1 else fastconv.nn.conv2d
        kw = dict(stride=stride, padding=padding, groups=groups)
        runs = {"fastconv": lambda: layer(x, w, b, **kw)}
        out = layer(x, w, b, **kw)
        # the layer object: weights checked and packed once, then layer(x)
        cls = fastconv.nn.Conv1d if len(spatial) == 1 else fastconv.nn.Conv2d
        obj = cls(w, b, **kw)
        runs["fastconv layer"] = lambda: obj(x)
        if channels_last:
            x_cl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
            nhwc = (out.shape[0],) + out.shape[2:] + (out.shape[1],)
            out_cl = np.empty(nhwc, out.dtype).transpose(0, 3, 1, 2)
            runs["fastconv channels-last"] = lambda: obj(x_cl, out=out_cl)
        if torch is not None:
            tl = F.conv1d if len(spatial) == 1 else F.conv2d
            xt, wt, bt = (torch.from_numpy(a) for a in (x, w, b))
            runs["torch"] = lambda: tl(xt, wt, bt, **kw)
            if channels_last:
                xt_cl = xt.contiguous(memory_format=torch.channels_last)
                wt_cl = wt.contiguous(memory_format=torch.channels_last)
                runs["torch channels_last"] = lambda: tl(xt_cl, wt_cl, bt, **kw)
        notes = []
        runs.update(_runtime_runs("Conv", x, w, b, out, notes, **kw))
        flops = 2 * out.size * (cin // groups) * k ** len(spatial)
        products = _winograd_products(n, cin, out.shape[2:], cout, k, dtype, stride, groups)
        if products is not None:
            # (the direct algorithm beside it; GFLOP/s above the FMA peak
            # are explained by the arithmetic Winograd does)
            runs["fastconv direct"] = lambda: layer(x, w, b, algorithm="direct", **kw)
            notes.append(f"Winograd: {2 * products / flops:.2f}x of the useful flops done")
        to_np = {"torch": lambda r: r.numpy(), "torch channels_last": lambda r: r.numpy()}
        return flops, runs, to_np, notes

    return setup


def _fused_layer_case(cin, size, cout, k, activation, onnx_op, padding=0):
    """A conv2d layer with a fused activation (fastconv's activation=, a
    Conv + activation graph the runtimes fuse) against torch's conv and
    activation."""

    def setup(rng):
        x = rng.standard_normal((1, cin) + size).astype(np.float32)
        w = rng.standard_normal((cout, cin, k, k)).astype(np.float32)
        b = rng.standard_normal(cout).astype(np.float32)
        kw = dict(padding=padding)
        runs = {"fastconv": lambda: fastconv.nn.conv2d(x, w, b, **kw, activation=activation)}
        obj = fastconv.nn.Conv2d(w, b, **kw, activation=activation)
        runs["fastconv layer"] = lambda: obj(x)
        if torch is not None:
            xt, wt, bt = (torch.from_numpy(a) for a in (x, w, b))
            act = getattr(F, activation)
            runs["torch"] = lambda: act(F.conv2d(xt, wt, bt, **kw))
        notes = []
        out = runs["fastconv"]()
        runs.update(_runtime_runs("Conv", x, w, b, out, notes, **kw, activation=onnx_op))
        flops = 2 * out.size * cin * k * k
        return flops, runs, {"torch": lambda r: r.numpy()}, notes

    return setup


def _transposed_layer_case(cin, size, cout, k, stride, padding=0, groups=1):
    """A transposed CNN layer (nn.conv_transpose2d, N=1) against torch and
    the inference runtimes; the work counted is the useful
    2 N Cin Hin Win (Cout/groups) kh kw."""

    def setup(rng):
        x = rng.standard_normal((1, cin) + size).astype(np.float32)
        w = rng.standard_normal((cin, cout // groups, k, k)).astype(np.float32)
        kw = dict(stride=stride, padding=padding, groups=groups)
        runs = {"fastconv": lambda: fastconv.nn.conv_transpose2d(x, w, **kw)}
        obj = fastconv.nn.ConvTranspose2d(w, None, **kw)
        runs["fastconv layer"] = lambda: obj(x)
        if torch is not None:
            xt, wt = torch.from_numpy(x), torch.from_numpy(w)
            runs["torch"] = lambda: F.conv_transpose2d(xt, wt, **kw)
        notes = []
        ref = fastconv.nn.conv_transpose2d(x, w, **kw)
        runs.update(_runtime_runs("ConvTranspose", x, w, None, ref, notes, **kw))
        flops = 2 * x.size * (cout // groups) * k * k
        return flops, runs, {"torch": lambda r: r.numpy()}, notes

    return setup


def _volume_layer_case(cin, size, cout, k, transposed=False, stride=1, padding=0):
    """A 3-D layer (nn.conv3d, or nn.conv_transpose3d), N=1, against torch
    and the inference runtimes; the work counted is the useful 2 outputs
    Cin k^3 (transposed: 2 inputs Cout k^3)."""

    def setup(rng):
        x = rng.standard_normal((1, cin) + (size,) * 3).astype(np.float32)
        w_shape = (cin, cout) if transposed else (cout, cin)
        w = rng.standard_normal(w_shape + (k,) * 3).astype(np.float32)
        b = rng.standard_normal(cout).astype(np.float32)
        layer = fastconv.nn.conv_transpose3d if transposed else fastconv.nn.conv3d
        kw = dict(stride=stride, padding=padding)
        runs = {"fastconv": lambda: layer(x, w, b, **kw)}
        if torch is not None:
            tl = F.conv_transpose3d if transposed else F.conv3d
            xt, wt, bt = (torch.from_numpy(a) for a in (x, w, b))
            runs["torch"] = lambda: tl(xt, wt, bt, **kw)
        notes = []
        out = layer(x, w, b, **kw)
        op = "ConvTranspose" if transposed else "Conv"
        runs.update(_runtime_runs(op, x, w, b, out, notes, **kw))
        flops = 2 * (x.size * cout if transposed else out.size * cin) * k**3
        return flops, runs, {"torch": lambda r: r.numpy()}, notes

    return setup


def _load_example(name):
    """examples/python/<name>.py as a module (registered in sys.modules:
    a dataclass looks its module up there)."""
    import importlib.util

    path = os.path.join(
        os.path.dirname(os.path.abspath(__file__)), os.pardir, "examples", "python", f"{name}.py"
    )
    spec = importlib.util.spec_from_file_location(f"{name}_example", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _segment_case(size):
    """The whole forward of examples/python/segment.py (an encoder, an FCN
    and a SegNet decoder) against the same network of torch.nn modules;
    checked on decoder A's scores (decoder B's unpooling can place a
    near-tie maximum at another index)."""

    def setup(rng):
        segment = _load_example("segment")
        image = rng.random((1, 3, size, size), dtype=np.float32)
        weights = segment.build_weights(0)
        runs = {"fastconv": lambda: segment.forward_fastconv(image, weights)[0]["outA"]}
        if torch is not None:
            modules = segment.torch_modules(weights)
            runs["torch"] = lambda: segment.forward_torch(image, weights, None, modules)[0]["outA"]
        return None, runs, {}

    return setup


def _text_detect_case(size):
    """The whole forward of examples/python/text_detect.py (PaddleOCR's
    PP-OCRv4 text detector, its ONNX file run on fastconv layers and NumPy)
    on a size x size input (skimage's page(), two copies stacked) against
    onnxruntime and OpenVINO (f32) running the same file, its input shape
    fixed. The model is downloaded once (see the example's fetch_model)."""

    def setup(rng):
        td = _load_example("text_detect")
        model_path = td.fetch_model()
        detector = td.TextDetector(model_path)
        x = td.preprocess(np.tile(td.load_photo("page"), (2, 1, 1)), size)
        if x.shape[2:] != (size, size):
            raise ValueError(f"size: {size} gives a {x.shape} input, not a square one")
        runs = {"fastconv": lambda: detector(x)}
        notes = []
        if onnx is not None:
            model = onnx.load(str(model_path))
            for dim, value in zip(model.graph.input[0].type.tensor_type.shape.dim, x.shape):
                dim.dim_value = value
            model = model.SerializeToString()
            if ort is not None:
                runs["onnxruntime"] = _PerThreads(_ort_session(model, x, "x"))
            if ov is not None:
                runs["OpenVINO"] = _PerThreads(_openvino_request(model, x))
        return None, runs, {}, notes

    return setup


def _denormal_case(kind, dtype=np.float32):
    """A call on subnormal input (normal data x 1e-39; x 1e-310 for f64)
    against the same call on the normal data, and the peers on the
    subnormal input: the slowdown subnormals cost (the denormal guard,
    fastconv.show_config(), decides fastconv's)."""
    tiny = 1e-39 if dtype == np.float32 else 1e-310

    def setup(rng):
        notes = []
        if kind == "layer":
            x = rng.standard_normal((1, 64, 56, 56)).astype(dtype)
            w = rng.standard_normal((64, 64, 3, 3)).astype(dtype)
            d = (x * tiny).astype(dtype)
            runs = {
                "fastconv": lambda: fastconv.nn.conv2d(d, w, padding=1),
                "normal input": lambda: fastconv.nn.conv2d(x, w, padding=1),
            }
            obj = fastconv.nn.Conv2d(w, padding=1)
            runs["fastconv layer"] = lambda: obj(d)
            if torch is not None:
                dt, wt = torch.from_numpy(d), torch.from_numpy(w)
                runs["torch"] = lambda: F.conv2d(dt, wt, padding=1)
            ref = fastconv.nn.conv2d(d, w, padding=1)
            runs.update(_runtime_runs("Conv", d, w, None, ref, notes, padding=1))
            flops = 2 * x.size * 64 * 9
        else:
            x = rng.standard_normal((1024, 1024)).astype(dtype)
            h = rng.standard_normal((7, 7)).astype(dtype)
            d = (x * tiny).astype(dtype)
            runs = {
                "fastconv": lambda: fastconv.correlate2d(d, h, "same"),
                "normal input": lambda: fastconv.correlate2d(x, h, "same"),
            }
            if cv2 is not None:
                runs["cv2.filter2D"] = lambda: cv2.filter2D(
                    d, -1, h, borderType=cv2.BORDER_CONSTANT
                )
            if torch is not None:
                dt, ht = torch.from_numpy(d)[None, None], torch.from_numpy(h)[None, None]
                runs["torch"] = lambda: F.conv2d(dt, ht, padding=3)
            flops = 2 * x.size * 49
        to_np = {
            "normal input": lambda r: np.asarray(r) * dtype(tiny),
            "torch": lambda r: r.numpy()[0, 0] if kind != "layer" else r.numpy(),
        }
        return flops, runs, to_np, notes

    return setup


class Case(NamedTuple):
    description: str
    setup: Callable
    micro: bool = False  # per-call times of a tiny input: printed in microseconds


CASES = {
    "H1": ("2-D f32 1024x1024, 3x3, same", _image_case((1024, 1024), 3, np.float32, True)),
    "H2": ("2-D f32 1024x1024, 7x7, same", _image_case((1024, 1024), 7, np.float32, True)),
    "H3": ("2-D f32 1024x1024, 11x11, same", _image_case((1024, 1024), 11, np.float32, True)),
    "H4": (
        "2-D f32 1024x1024, 31x31, same, method auto",
        _large_kernel_case((1024, 1024), (31, 31)),
    ),
    "H5": (
        "2-D f32 4096x4096, 5x5, same",
        _memory_bound(_image_case((4096, 4096), 5, np.float32), _f32_bytes((4096, 4096), (5, 5))),
    ),
    "H6": ("2-D f64 1024x1024, 7x7, same", _image_case((1024, 1024), 7, np.float64)),
    "H7": ("1-D f32 N=1,000,000, K=64, same", _signal_case(1_000_000, 64, np.float32)),
    "H8": (
        "1-D f32 N=1,000,000, K=1024, same, method auto",
        _large_kernel_case((1_000_000,), (1024,)),
    ),
    "H9": ("1-D f64 N=1,000,000, K=3, same", _signal_case(1_000_000, 3, np.float64)),
    # issue 29's large-kernel rows (scipy's FFT methods take about 1 s a call here)
    "L1": (
        "2-D f32 4096x4096, 63x63, same, method auto",
        _large_kernel_case((4096, 4096), (63, 63)),
    ),
    "L2": (
        "1-D f32 N=10,000,000, K=8191, same, method auto",
        _large_kernel_case((10_000_000,), (8191,)),
    ),
    "H10": ("15x15 Gaussian as a 2-D array, convolve2d same", _gaussian_case(False)),
    "H10-sep": ("the same via convolve_separable(x, g, g)", _gaussian_case(True)),
    "H11": ("transposed 2-D f32 512x512, 4x4, stride 2", _transpose_case),
    "H11-floor": (
        "np.multiply into out= of H11's result size",
        _multiply_floor((1026, 1026), np.float32),
    ),
    "pool2d": ("max_pool2d 2x2 stride 2, (8, 64, 112, 112) f32, with indices", _pool_case),
    # the pool rows: issue 31's shapes and targets
    "P3": (
        "max_pool2d 3x3 stride 2 pad 1, (8, 64, 112, 112)",
        _memory_bound(_stem_pool_case(False), _f32_bytes(STEM_POOL_SHAPE), one_read=True),
    ),
    "P4": (
        "max_pool2d 3x3 stride 2 pad 1, (8, 64, 112, 112), with indices",
        _memory_bound(_stem_pool_case(True), _f32_bytes(STEM_POOL_SHAPE), one_read=True),
    ),
    "P5": (
        "max_pool3d 2x2x2 stride 2, N1 C32 64^3, with indices",
        _memory_bound(_pool3d_case, _f32_bytes((1, 32, 64, 64, 64)), one_read=True),
    ),
    "P1": (
        "avg_pool2d 3x3 stride 1 pad 1, (8, 64, 56, 56)",
        _memory_bound(_avg_pool_case, _f32_bytes((8, 64, 56, 56)), one_read=True),
    ),
    "P2": (
        "adaptive_avg_pool2d to 1x1, (8, 512, 14, 14)",
        _memory_bound(_adaptive_avg_pool_case, _f32_bytes((8, 512, 14, 14)), one_read=True),
    ),
    "H12": ("conv2d 3x3 pad 1, N1 C64 56x56 -> 64", _layer_case(1, 64, (56, 56), 64, 3, padding=1)),
    "H13": ("conv2d 3x3 pad 1, N8 C64 56x56 -> 64", _layer_case(8, 64, (56, 56), 64, 3, padding=1)),
    "H18": (
        "conv2d 3x3 pad 1, N1 C256 14x14 -> 256",
        _layer_case(1, 256, (14, 14), 256, 3, padding=1),
    ),
    "H19": (
        "conv2d 7x7 stride 2 pad 3, N1 C3 224x224 -> 64",
        _layer_case(1, 3, (224, 224), 64, 7, stride=2, padding=3),
    ),
    "H20": ("conv2d 1x1, N1 C256 56x56 -> 64", _layer_case(1, 256, (56, 56), 64, 1)),
    "H14": (
        "conv2d depthwise 3x3 pad 1, N1 C128 56x56",
        _memory_bound(
            _layer_case(1, 128, (56, 56), 128, 3, padding=1, groups=128, channels_last=True),
            _f32_bytes((1, 128, 56, 56), (128, 1, 3, 3), (128,)),
        ),
    ),
    "H21": ("conv1d k5 pad 2, N8 C64 L4096 -> 64", _layer_case(8, 64, 4096, 64, 5, padding=2)),
    "H23": (
        "conv2d f64 3x3 pad 1, N1 C64 56x56 -> 64",
        _layer_case(1, 64, (56, 56), 64, 3, np.float64, padding=1),
    ),
    "H28": (
        "conv2d 1x1 + hardswish (fused), N1 C16 240x240 -> 32",
        _fused_layer_case(16, (240, 240), 32, 1, "hardswish", "HardSwish"),
    ),
    "H15": (
        "conv_transpose2d 4x4 stride 2 pad 1, N1 C256 14x14 -> 128",
        _transposed_layer_case(256, (14, 14), 128, 4, 2, padding=1),
    ),
    "H22": (
        "FCN-32s conv_transpose2d 64x64 stride 32, N1 C21 16x16 -> 21",
        _transposed_layer_case(21, (16, 16), 21, 64, 32),
    ),
    "H24": (
        "depthwise conv_transpose2d 4x4 stride 2 pad 1, N1 C21 128x128",
        _memory_bound(
            _transposed_layer_case(21, (128, 128), 21, 4, 2, padding=1, groups=21),
            _f32_bytes((1, 21, 128, 128), (21, 1, 4, 4)),
        ),
    ),
    "H29": (
        "U-Net decoder conv_transpose2d 2x2 stride 2, N1 C128 64x64 -> 64",
        _transposed_layer_case(128, (64, 64), 64, 2, 2),
    ),
    "V1": (
        "conv3d 3x3x3 pad 1, N1 C32 32x32x32 -> 32",
        _volume_layer_case(32, 32, 32, 3, padding=1),
    ),
    "V2": (
        "conv_transpose3d 2x2x2 stride 2, N1 C64 16^3 -> 32",
        _volume_layer_case(64, 16, 32, 2, transposed=True, stride=2),
    ),
    "H25": (
        "segmentation example forward (examples/python/segment.py), 512x512",
        _segment_case(512),
    ),
    "H27": (
        "text detector example forward (examples/python/text_detect.py), 960x960",
        _text_detect_case(960),
    ),
    "D1": (
        "subnormal input: 2-D f32 1024x1024, 7x7, same",
        _denormal_case("image"),
    ),
    "D2": (
        "subnormal input: conv2d 3x3 pad 1, N1 C64 56x56 -> 64",
        _denormal_case("layer"),
    ),
    "D3": (
        "subnormal input: 2-D f64 1024x1024, 7x7, same",
        _denormal_case("image", np.float64),
    ),
    "H9-floor": ("np.copy of H9's input", _copy_floor(1_000_000, np.float64)),
    # issue 30's layer classes of a mobile segmentation network (the text
    # detector's): one layer each, N1 float32
    "R1": (
        "conv2d 1x1, N1 C16 240x240 -> 32",
        _layer_case(1, 16, (240, 240), 32, 1, channels_last=True),
    ),
    "R2": (
        "conv2d 1x1, N1 C12 240x240 -> 96",
        _layer_case(1, 12, (240, 240), 96, 1, channels_last=True),
    ),
    "R3": (
        "conv2d depthwise 3x3 stride 2 pad 1, N1 C32 240x240",
        _layer_case(1, 32, (240, 240), 32, 3, stride=2, padding=1, groups=32, channels_last=True),
    ),
    "R4": (
        "conv2d depthwise 5x5 pad 2, N1 C96 60x60",
        _layer_case(1, 96, (60, 60), 96, 5, padding=2, groups=96, channels_last=True),
    ),
    "R5": (
        "conv2d stem 3x3 stride 2 pad 1, N1 C3 480x480 -> 16",
        _layer_case(1, 3, (480, 480), 16, 3, stride=2, padding=1, channels_last=True),
    ),
    "R6": Case(
        "per call: squeeze-excitation conv2d 1x1 on 1x1, C96 -> 24 (us)",
        _layer_case(1, 96, (1, 1), 24, 1),
        micro=True,
    ),
    "R7": (
        "conv_transpose2d 2x2 stride 2, N1 C24 120x120 -> 24",
        _transposed_layer_case(24, (120, 120), 24, 2, 2),
    ),
    "R8": (
        "conv2d 3x3 pad 1, N1 C96 120x120 -> 24",
        _layer_case(1, 96, (120, 120), 24, 3, padding=1),
    ),
    "H16-1d": Case("per call: 1-D f64 N=64, K=3, full (us)", _tiny_1d, micro=True),
    "H16-2d": Case("per call: 2-D f32 8x8, 3x3, same (us)", _tiny_2d, micro=True),
    "H26": Case(
        "per call: conv2d 3x3 pad 1, N1 C8 8x8 -> 8 (us)",
        _layer_case(1, 8, (8, 8), 8, 3, padding=1),
        micro=True,
    ),
}


def check_same(runs, to_np, rtol):
    """Every peer computes what fastconv computes (else the timing is moot)."""
    if "fastconv" not in runs:
        return
    ref = np.asarray(runs["fastconv"]())
    for label, fn in runs.items():
        if label == "one read":  # a floor, not the same result
            continue
        res = fn()
        res = to_np.get(label, np.asarray)(res)
        if res.shape != ref.shape or not np.allclose(
            res, ref, rtol=rtol, atol=rtol * np.abs(ref).max()
        ):
            raise AssertionError(f"{label} disagrees with fastconv")


def run(cases, threads_list, budget):
    rng = np.random.default_rng(0)
    peaks = {n: fma_peak_gflops(n) for n in threads_list}
    results = []
    for name in cases:
        desc, setup, micro = Case(*CASES[name])
        flops, runs, to_np, *rest = setup(rng)
        notes = rest[0] if rest else []  # the peers left out, and why
        memory = rest[1] if len(rest) > 1 else None  # (a memory-bound row)
        check_same(runs, to_np, rtol=1e-3)
        for n in threads_list:
            set_threads(n)
            times = alternating_medians(runs, budget)
            # A vector holds half as many float64 lanes: half the peak.
            peak = peaks[n] / 2 if " f64 " in f" {desc} " else peaks[n]
            results.append(
                {
                    "case": name,
                    "description": desc,
                    "threads": n,
                    "flops": flops,
                    "seconds": times,
                    "peak_gflops": peak,
                    "micro": micro,
                    "notes": notes,
                }
            )
            if memory is not None:
                results[-1]["memory"] = memory_figures(memory, times)
            print(format_row(results[-1]), flush=True)
    out = {"machine": machine_info(), "peak_gflops": peaks, "results": results}
    if any("memory" in r for r in results):
        out["copy_gb_per_s"] = copy_bandwidth()
    return out


def machine_info():
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "fastconv": fastconv.__version__,
        "isa": fastconv.active_isa(),
        "denormal_guard": fastconv.get_denormal_guard(),
        "numpy": np.__version__,
        "scipy": getattr(signal, "__name__", None) and __import__("scipy").__version__,
        "cv2": getattr(cv2, "__version__", None),
        "torch": getattr(torch, "__version__", None),
        "onnx": getattr(onnx, "__version__", None),
        "onnxruntime": getattr(ort, "__version__", None),
        "openvino": ov and ov.get_version(),
        "cores": os.cpu_count(),
    }


def _fmt_time(seconds, micro):
    return f"{seconds * 1e6:.2f} us" if micro else f"{seconds * 1e3:.3f} ms"


def _fmt_memory(m):
    """'GB/s (% of copy)' of a memory-bound row, and its time over one read."""
    if m is None:
        return ""
    cell = f"{m['gb_per_s']:.1f} ({m['copy_pct']:.0f}%)"
    if "vs_one_read" in m:
        cell += f", {m['vs_one_read']:.2f}x one read"
    return cell


def format_row(r):
    micro = r.get("micro", False)
    t = r["seconds"]
    ours = t.get("fastconv")
    peers = {k: v for k, v in t.items() if k not in NOT_PEERS}
    best = min(peers, key=peers.get) if peers else None
    cells = [r["case"], r["description"], str(r["threads"])]
    if ours is None:
        cells += [_fmt_time(t[best], micro), "", "", "", f"{best} {_fmt_time(t[best], micro)}", ""]
    else:
        gflops = r["flops"] / ours / 1e9 if r["flops"] else None
        cells += [
            _fmt_time(ours, micro),
            f"{gflops:.1f}" if gflops else "",
            f"{100 * gflops / r['peak_gflops']:.0f}%" if gflops else "",
            _fmt_memory(r.get("memory")),
            f"{best} {_fmt_time(t[best], micro)}" if best else "",
            f"{t[best] / ours:.2f}x" if best else "",
        ]
        if "normal input" in t:  # the subnormal rows: the slowdown itself
            cells[-1] += (
                f" (normal input {_fmt_time(t['normal input'], micro)}: "
                f"subnormal/normal {ours / t['normal input']:.2f}x)"
            )
        if "fastconv layer" in t and best:  # fastconv.nn's layer object, not a peer
            layer = t["fastconv layer"]
            cells[-1] += f" (fastconv layer {_fmt_time(layer, micro)}: {t[best] / layer:.2f}x)"
        if "fastconv channels-last" in t and best:  # the layer object on NHWC arrays
            cl = t["fastconv channels-last"]
            cells[-1] += f" (fastconv channels-last {_fmt_time(cl, micro)}: {t[best] / cl:.2f}x)"
        if "fastconv direct" in t and best:  # the direct algorithm of a Winograd row
            direct = t["fastconv direct"]
            cells[-1] += f" (fastconv direct {_fmt_time(direct, micro)}: {t[best] / direct:.2f}x)"
        for label in peers:  # the headline "x times faster than scipy.signal"
            if "scipy.signal" in label and label != best and not micro:
                cells[-1] += f" ({label} {t[label] / ours:.0f}x)"
    for note in r.get("notes", []):
        cells[-1] += f" ({note})"
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| case | what | threads | fastconv | GFLOP/s | % peak | GB/s (% copy) | best peer "
    "| vs best |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    ap.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    ap.add_argument("--budget", type=float, default=1.0, help="seconds per timing")
    ap.add_argument(
        "--json", default=os.path.join(os.path.dirname(__file__), "results", "latest.json")
    )
    args = ap.parse_args(argv)
    peers = [
        name
        for name, mod in [
            ("scipy", signal),
            ("cv2", cv2),
            ("torch", torch),
            ("onnxruntime", onnx and ort),
            ("OpenVINO", onnx and ov),
        ]
        if mod
    ]
    print(
        f"fastconv {fastconv.__version__}, isa {fastconv.active_isa()}, denormal guard "
        f"{'on' if fastconv.get_denormal_guard() else 'off'}; peers: {', '.join(peers)}"
    )
    print(HEADER)
    out = run(args.cases, args.threads, args.budget)
    print(
        "\nmeasured fp32 FMA peak: "
        + ", ".join(f"{n} thread(s) {g:.0f} GFLOP/s" for n, g in out["peak_gflops"].items())
    )
    if "copy_gb_per_s" in out:
        print(
            f"measured copy bandwidth: {out['copy_gb_per_s']:.1f} GB/s (np.copyto of "
            f"{COPY_BYTES >> 20} MiB, one thread); GB/s = bytes the ideal algorithm reads "
            "and writes / fastconv's time; one read = np.max of an input-sized array"
        )
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
