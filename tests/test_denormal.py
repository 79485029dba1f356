"""Subnormal (denormal) data: every path's values within the direct bound
with IEEE gradual underflow's absolute term, with the denormal guard on
and off, on every ISA; with the guard on, no floating-point operation of a
call meets a subnormal (the underflow flag stays clear), which is what
keeps such calls at normal speed on the CPUs that slow down.

The bound, per output: 2 * terms * eps * sum(|x| |k|) + terms * eta
(eta: the smallest subnormal), checked against the oracle in long double.
"""

import ctypes
import ctypes.util
import os
import platform
import subprocess
import sys

import numpy as np
import pytest
from conftest import isa_params, run_python

import fastconv
from fastconv import _oracle, nn

LD = np.longdouble
TINY = {np.float32: 1e-39, np.float64: 1e-310}  # most of N(0, 1) * TINY is subnormal


def _real(dtype):
    return np.float32 if np.dtype(dtype) in (np.float32, np.complex64) else np.float64


def _data(rng, shape, dtype, scale):
    x = rng.standard_normal(shape) * scale
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape) * scale
    return x.astype(dtype)


def _decaying(shape, dtype):
    """1 down to the smallest subnormals along the last axis: a decaying tail."""
    n = shape[-1]
    real = _real(dtype)
    floor = np.log(np.finfo(real).smallest_subnormal) - 1
    tail = np.exp(np.linspace(0, floor, n)) * np.cos(np.arange(n))
    return np.broadcast_to(tail, shape).astype(dtype)


def assert_within_bound(got, exact, scale, terms, dtype):
    real = _real(dtype)
    eps, eta = np.finfo(real).eps, float(np.finfo(real).smallest_subnormal)
    bound = 2 * terms * eps * np.abs(scale).astype(np.float64) + terms * eta
    err = np.abs(got.astype(np.clongdouble) - exact).astype(np.float64)
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert np.all(err <= bound), (
        f"error {err[worst]:.3g} > bound {bound[worst]:.3g} at {worst} (exact {exact[worst]})"
    )


def _wide(a):
    return np.asarray(a).astype(np.clongdouble if np.iscomplexobj(a) else LD)


def _signal_cases(rng, dtype):
    """(name, call, oracle call, terms, inputs) for the signal functions."""
    real = _real(dtype)
    tiny = TINY[real]
    x2 = _data(rng, (37, 90), dtype, tiny)
    k2 = _data(rng, (5, 4), dtype, 1.0)
    x1 = _data(rng, (3000,), dtype, tiny)
    k1 = _data(rng, (9,), dtype, 1.0)
    col, row = _data(rng, (5,), dtype, 1.0), _data(rng, (6,), dtype, 1.0)
    decay = _decaying((6, 200), dtype)
    tiny_kernel = _data(rng, (3, 3), dtype, tiny)
    normal = _data(rng, (20, 30), dtype, 1.0)
    return [
        ("convolve2d same fill", fastconv.convolve2d, _oracle.convolve, (x2, k2), {"mode": "same"}),
        (
            "correlate2d full symm",
            fastconv.correlate2d,
            _oracle.correlate,
            (x2, k2),
            {"mode": "full", "boundary": "symm"},
        ),
        (
            "convolve2d valid fillvalue",
            fastconv.convolve2d,
            _oracle.convolve,
            (x2, k2),
            {"mode": "same", "boundary": "fill", "fillvalue": real(3 * tiny)},
        ),
        (
            "convolve 1-D stride dilation",
            fastconv.convolve,
            _oracle.convolve,
            (x1, k1),
            {"mode": "full", "stride": 2, "dilation": 3},
        ),
        ("decaying tail", fastconv.convolve, _oracle.convolve, (decay, k2[:1]), {"mode": "same"}),
        ("subnormal kernel", fastconv.convolve, _oracle.convolve, (normal, tiny_kernel), {}),
        ("separable", None, None, (x2, col, row), {"mode": "same", "boundary": "nearest"}),
        ("conv_transpose", None, None, (x2, k2), {"stride": 2}),
    ]


def check_signal_functions(dtype):
    rng = np.random.default_rng(7)
    for name, call, oracle, args, kw in _signal_cases(rng, dtype):
        if name == "separable":
            x, col, row = args
            got = fastconv.convolve_separable(x, col, row, **kw)
            k = np.outer(col, row)
            exact = _oracle.convolve(_wide(x), _wide(k), **kw)
            scale = _oracle.convolve(np.abs(_wide(x)), np.abs(_wide(k)), **kw)
            terms = col.size + row.size + 4  # (the separable bound, docs/guarantees.md)
        elif name == "conv_transpose":
            x, k = args
            got = fastconv.conv_transpose(x, k, **kw)
            exact = _oracle.conv_transpose(_wide(x), _wide(k), **kw)
            scale = _oracle.conv_transpose(np.abs(_wide(x)), np.abs(_wide(k)), **kw)
            terms = k.size
        else:
            x, k = args
            got = call(x, k, **kw)
            exact = oracle(_wide(x), _wide(k), **kw)
            abs_kw = dict(kw, fillvalue=abs(kw["fillvalue"])) if "fillvalue" in kw else kw
            scale = oracle(np.abs(_wide(x)), np.abs(_wide(k)), **abs_kw)
            terms = k.size
        assert got.dtype == dtype, name
        assert_within_bound(got, exact, scale, terms, dtype)


def _layer_cases(rng, dtype):
    tiny = TINY[dtype]
    x = _data(rng, (2, 6, 11, 13), dtype, tiny)
    w = _data(rng, (4, 3, 3, 2), dtype, 1.0)
    b = _data(rng, (4,), dtype, tiny)
    wt = _data(rng, (6, 2, 3, 3), dtype, 1.0)
    x1 = _data(rng, (2, 4, 50), dtype, tiny)
    w1 = _data(rng, (5, 4, 3), dtype, 1.0)
    return [
        ("conv2d groups bias", nn.conv2d, _oracle.conv2d, (x, w, b), {"padding": 1, "groups": 2}),
        (
            "conv2d reflect stride",
            nn.conv2d,
            _oracle.conv2d,
            (x, w, None),
            {"padding": (1, 1), "stride": 2, "groups": 2, "padding_mode": "reflect"},
        ),
        ("conv1d", nn.conv1d, _oracle.conv1d, (x1, w1, None), {"dilation": 2}),
        (
            "conv_transpose2d bias",
            nn.conv_transpose2d,
            _oracle.conv_transpose2d,
            (x, wt, _data(rng, (6,), dtype, tiny)),
            {"stride": 2, "padding": 1, "groups": 3},
        ),
    ]


def check_layers(dtype):
    rng = np.random.default_rng(8)
    for name, call, oracle, (x, w, b), kw in _layer_cases(rng, dtype):
        got = call(x, w, b, **kw)
        exact = oracle(_wide(x), _wide(w), None if b is None else _wide(b), **kw)
        absb = None if b is None else np.abs(_wide(b))
        scale = oracle(np.abs(_wide(x)), np.abs(_wide(w)), absb, **kw)
        terms = w[0].size + 1
        assert got.dtype == dtype, name
        assert_within_bound(got, exact, scale, terms, dtype)


def check_everything():
    for dtype in (np.float32, np.float64, np.complex64, np.complex128):
        check_signal_functions(dtype)
    for dtype in (np.float32, np.float64):
        check_layers(dtype)


# -- the floating-point flags ---------------------------------------------------------

_LIBM = ctypes.util.find_library("m") if sys.platform.startswith("linux") else None
FE_UNDERFLOW = {"x86_64": 0x10, "aarch64": 0x08}.get(platform.machine())


def raised_underflow(call):
    """Whether `call` raised the underflow flag (a result was subnormal)."""
    libm = ctypes.CDLL(_LIBM)
    libm.feclearexcept(FE_UNDERFLOW)
    call()
    return bool(libm.fetestexcept(FE_UNDERFLOW))


def flagged_calls(dtype):
    """The calls of every path on subnormal data, one thread each (a
    worker thread's flags are its own)."""
    rng = np.random.default_rng(9)
    t = TINY[dtype]
    x = _data(rng, (64, 200), dtype, t)
    k = _data(rng, (5, 5), dtype, 1.0)
    X = _data(rng, (1, 16, 20, 24), dtype, t)
    W = _data(rng, (16, 16, 3, 3), dtype, 1.0)
    B = _data(rng, (16,), dtype, t)
    return {
        "convolve2d": lambda: fastconv.convolve2d(x, k, "same", threads=1),
        "convolve 1-D": lambda: fastconv.convolve(x.ravel(), k[0], "same", threads=1),
        "separable": lambda: fastconv.convolve_separable(x, k[:, 0], k[0], "same", threads=1),
        "conv_transpose": lambda: fastconv.conv_transpose(x, k, 2, threads=1),
        "nn.conv2d": lambda: nn.conv2d(X, W, B, padding=1, threads=1),
        "nn.conv_transpose2d": lambda: nn.conv_transpose2d(X, W, B, stride=2, threads=1),
    }


needs_flags = pytest.mark.skipif(
    _LIBM is None or FE_UNDERFLOW is None, reason="reads the FP flags through glibc's libm"
)


@pytest.fixture
def guard():
    """Sets the denormal guard for a test and restores it after."""
    before = fastconv.get_denormal_guard()
    yield fastconv.set_denormal_guard
    fastconv.set_denormal_guard(before)


# -- tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("on", [True, False], ids=["guard on", "guard off"])
def test_values_within_the_bound(guard, on):
    guard(on)
    check_everything()


@needs_flags
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_guard_keeps_subnormals_out_of_the_arithmetic(guard, dtype):
    guard(True)
    calls = flagged_calls(dtype)
    flagged = [name for name, call in calls.items() if raised_underflow(call)]
    assert flagged == []
    # and the probe sees them when the guard is off (it can fail)
    guard(False)
    assert all(raised_underflow(call) for call in calls.values())


def test_guarded_and_plain_agree_on_normal_data(guard, rng):
    # normal data never takes the scaled path: bitwise the same either way
    x = rng.standard_normal((40, 50)).astype(np.float32)
    k = rng.standard_normal((7, 7)).astype(np.float32)
    guard(True)
    on = fastconv.convolve2d(x, k, "same")
    guard(False)
    assert on.tobytes() == fastconv.convolve2d(x, k, "same").tobytes()


@pytest.mark.parametrize("case", ["inf", "too wide"])
def test_what_cannot_be_scaled_runs_as_given(guard, rng, case):
    # Inf or NaN, or magnitudes wider than the type can carry once scaled:
    # the call runs unscaled (IEEE arithmetic throughout), the same bits
    x = (rng.standard_normal((30, 40)) * 1e-39).astype(np.float32)
    x[3, 4] = np.inf if case == "inf" else 3e38
    k = rng.standard_normal((3, 3)).astype(np.float32)
    guard(False)
    plain = fastconv.convolve2d(x, k, "same")
    guard(True)
    assert np.array_equal(fastconv.convolve2d(x, k, "same"), plain, equal_nan=True)


@pytest.mark.parametrize("on", [True, False], ids=["guard on", "guard off"])
def test_layer_objects_give_the_functional_bits(guard, rng, on):
    # A layer object takes its weights' magnitudes once; the guard decides
    # as for the functional call: the same bits, subnormal input, weights
    # or bias (and a weight large enough to be sampled, not scanned).
    guard(on)
    for tiny_in, tiny_w, tiny_b in [(True, False, False), (False, True, False), (True, True, True)]:
        x = rng.standard_normal((1, 16, 12, 13)).astype(np.float32) * (1e-39 if tiny_in else 1)
        w = rng.standard_normal((160, 16, 4, 4)).astype(np.float32) * (1e-39 if tiny_w else 1)
        w[7, 3, 1, 2] = 1e-42  # (a lone subnormal that a sample may miss)
        b = rng.standard_normal(160).astype(np.float32) * (1e-39 if tiny_b else 1)
        got = nn.Conv2d(w, b, padding=1)(x)
        assert got.tobytes() == nn.conv2d(x, w, b, padding=1).tobytes()
        wt = w.transpose(1, 0, 2, 3)
        up = nn.ConvTranspose2d(wt, b, stride=2, padding=1)(x)
        assert up.tobytes() == nn.conv_transpose2d(x, wt, b, stride=2, padding=1).tobytes()


def test_threads_do_not_change_guarded_results(guard, rng):
    guard(True)
    x = (rng.standard_normal((300, 400)) * 1e-39).astype(np.float32)
    k = rng.standard_normal((5, 5)).astype(np.float32)
    one = fastconv.convolve2d(x, k, "same", threads=1)
    assert one.tobytes() == fastconv.convolve2d(x, k, "same", threads=2).tobytes()


@pytest.mark.parametrize("isa", isa_params())
def test_every_isa(isa):
    # The ISA is chosen once per process: each in a fresh one, guard on.
    code = (
        "import fastconv, test_denormal as t\n"
        f"assert fastconv.active_isa() == {isa!r}\n"
        "t.check_everything()\n"
        "if t.FE_UNDERFLOW and t._LIBM:\n"
        "    for dtype in (t.np.float32, t.np.float64):\n"
        "        calls = t.flagged_calls(dtype)\n"
        "        assert [n for n, c in calls.items() if t.raised_underflow(c)] == [], dtype\n"
        "print('ok')\n"
    )
    r = run_python(code, timeout=300, FASTCONV_FORCE_ISA=isa, FASTCONV_DENORMAL_GUARD="1")
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == "ok"


def test_the_default_and_the_environment():
    code = "import fastconv; print(fastconv.get_denormal_guard())"
    cpuinfo = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    intel = platform.machine() == "x86_64" and "GenuineIntel" in cpuinfo
    env = {k: v for k, v in os.environ.items() if k != "FASTCONV_DENORMAL_GUARD"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.stdout.strip() == str(intel), r.stderr
    for value, want in (("1", "True"), ("0", "False")):
        r = run_python(code, FASTCONV_DENORMAL_GUARD=value)
        assert r.stdout.strip() == want, r.stderr
    r = run_python("import fastconv", FASTCONV_DENORMAL_GUARD="yes")  # refused at import
    assert r.returncode != 0 and "FASTCONV_DENORMAL_GUARD=yes: expected 1 or 0" in r.stderr
    r = run_python("import fastconv; fastconv.show_config()", FASTCONV_DENORMAL_GUARD="1")
    assert "denormal guard: on" in r.stdout


def test_set_denormal_guard_takes_a_bool(guard):
    for bad in (1, "on", None):
        with pytest.raises(TypeError, match="on"):
            fastconv.set_denormal_guard(bad)
    guard(True)
    assert fastconv.get_denormal_guard() is True
    guard(False)
    assert fastconv.get_denormal_guard() is False
