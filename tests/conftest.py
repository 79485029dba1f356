import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from fastconv import _oracle

# The suite checks the built-in cost model: a calibration the developer
# stored (python -m fastconv calibrate) must not change auto's choices here.
# (a path that does not exist: auto then uses the built-in table; tests of
# the calibration point the variable at their own files)
os.environ["FASTCONV_CALIBRATION"] = os.path.join(
    tempfile.gettempdir(), f"fastconv-tests-{os.getpid()}-no-calibration.json"
)

# In CI (CI set), a test that would skip because an optional package is
# missing or broken (pytest.importorskip: torch, cv2, scipy, dask,
# distributed, dask_image, ...) fails instead, naming the package: a broken
# install must not hide behind a skip. Users without those packages keep
# the skips.
STRICT_OPTIONAL_PACKAGES = bool(os.environ.get("CI"))


def _fail_a_missing_package(report):
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
    if report.skipped and "could not import" in reason:
        report.outcome = "failed"
        report.longrepr = (
            f"{reason.removeprefix('Skipped: ')}\n"
            "CI is set: an optional package the suite uses is missing or broken "
            "(.ci/run installs it); a skip would hide that"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if STRICT_OPTIONAL_PACKAGES:
        _fail_a_missing_package(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    if STRICT_OPTIONAL_PACKAGES:
        _fail_a_missing_package(outcome.get_result())


def run_python(code, timeout=120, **env):
    """`python -c code` in a fresh process (cwd: this folder, so that it can
    import the test modules), with `env` added to the environment."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=timeout,
        cwd=os.path.dirname(os.path.abspath(__file__)),
    )


FLOAT_DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
MODES = ["full", "same", "valid"]
BOUNDARIES = ["fill", "wrap", "symm", "mirror", "nearest"]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def random_array(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -20), min(info.max, 20), shape, endpoint=True).astype(dtype)


def eps_of(dtype):
    dtype = np.dtype(dtype)
    return np.finfo(dtype).eps if dtype.kind in "fc" else 0.0


def assert_matches_oracle(result, x, k, op, dtype, **kw):
    """Per-element bound of a direct sum of `taps` products:
    |result - exact| <= 2 * taps * eps * (|x| (*) |k|), with the oracle
    computed in extended precision and on absolute values for the scale."""
    fn = _oracle.convolve if op == "convolve" else _oracle.correlate
    wide = np.clongdouble if np.iscomplexobj(x) or np.iscomplexobj(k) else np.longdouble
    exact = fn(np.asarray(x).astype(wide), np.asarray(k).astype(wide), **kw)
    fill = abs(kw.get("fillvalue", 0))
    kw_abs = dict(kw, fillvalue=fill)
    scale = (
        _oracle.convolve(
            np.abs(np.asarray(x)).astype(np.longdouble),
            np.abs(np.asarray(k)).astype(np.longdouble),
            **kw_abs,
        )
        if op == "convolve"
        else _oracle.correlate(
            np.abs(np.asarray(x)).astype(np.longdouble),
            np.abs(np.asarray(k)).astype(np.longdouble),
            **kw_abs,
        )
    )
    assert result.shape == exact.shape
    taps = max(np.asarray(k).size, 1)
    bound = 2 * taps * eps_of(dtype) * scale.astype(np.float64) + 1e-300
    err = np.abs(result.astype(wide) - exact).astype(np.float64)
    assert np.all(err <= bound), f"max error {err.max()} vs bound {bound.max()}"


def isa_params():
    """Every ISA fastconv knows, as pytest params: one this CPU or build
    lacks is reported as skipped with the reason, never silently dropped
    (a machine without AVX-512 shows its avx512 cases as skips)."""
    import fastconv

    have = fastconv.available_isas()
    return [
        pytest.param(
            isa,
            marks=()
            if isa in have
            else pytest.mark.skip(
                reason=f"ISA {isa!r} not available on this machine/build "
                f"(available: {', '.join(have)}): its kernels are untested here"
            ),
        )
        for isa in ("avx512", "avx2", "baseline")
    ]


def run_script_under_isa(code, isa, timeout=600):
    """Run Python `code` in a fresh process with FASTCONV_FORCE_ISA=isa;
    returns its standard output (fails the test if it fails)."""
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "FASTCONV_FORCE_ISA": isa},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def run_tests_under_isa(test_file, isa, selection):
    """Run the tests of `test_file` that `selection` (pytest -k) picks in a
    fresh process with FASTCONV_FORCE_ISA=isa (the choice is made once per
    process); skips when `isa` is this process's own."""
    import fastconv

    if isa == fastconv.active_isa():
        pytest.skip(f"{isa} is the active ISA: the rest of this file runs on it")
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", test_file]
        + ["-k", selection],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=os.path.dirname(os.path.abspath(test_file)),
        env={**os.environ, "FASTCONV_FORCE_ISA": isa},
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "failed" not in r.stdout
