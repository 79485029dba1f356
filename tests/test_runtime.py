"""Threads, instruction-set selection and configuration."""

import multiprocessing
import os

import numpy as np
import pytest
from conftest import isa_params, random_array, run_python

import fastconv


def test_threads_do_not_change_results(rng):
    x = random_array(rng, (300, 257), np.float32)
    h = random_array(rng, (5, 7), np.float32)
    for fn in ("convolve2d", "correlate2d"):
        for boundary in ("fill", "symm"):
            one = getattr(fastconv, fn)(x, h, "same", boundary=boundary, threads=1)
            two = getattr(fastconv, fn)(x, h, "same", boundary=boundary, threads=2)
            three = getattr(fastconv, fn)(x, h, "same", boundary=boundary, threads=3)
            assert one.tobytes() == two.tobytes() == three.tobytes()
    # a long 1-D signal is split into column tiles
    s = random_array(rng, 100_003, np.float64)
    k = random_array(rng, 33, np.float64)
    assert (
        fastconv.convolve(s, k, "same", threads=1).tobytes()
        == fastconv.convolve(s, k, "same", threads=2).tobytes()
    )


def test_set_get_num_threads():
    before = fastconv.get_num_threads()
    try:
        fastconv.set_num_threads(1)
        assert fastconv.get_num_threads() == 1
    finally:
        fastconv.set_num_threads(before)
    assert fastconv.get_num_threads() == before


def test_omp_num_threads_is_honoured():
    r = run_python("import fastconv; print(fastconv.get_num_threads())", OMP_NUM_THREADS="3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3"


def test_threadpoolctl_limits():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    fastconv.convolve([1.0], [1.0])  # make sure the OpenMP runtime is loaded
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert fastconv.get_num_threads() == 1


def test_isa_reporting():
    isas = fastconv.available_isas()
    assert "baseline" in isas
    assert fastconv.active_isa() in isas
    assert isas[0] == fastconv.active_isa() or os.environ.get("FASTCONV_FORCE_ISA")


@pytest.mark.parametrize("isa", isa_params())
def test_every_isa_against_the_oracle(isa):
    # The choice is cached per process: force it in a fresh one.
    code = (
        "import numpy as np, fastconv\n"
        "from fastconv import _oracle\n"
        f"assert fastconv.active_isa() == {isa!r}\n"
        "rng = np.random.default_rng(5)\n"
        "for dt in (np.float32, np.float64, np.complex64, np.complex128):\n"
        "    x = rng.standard_normal((9, 70)).astype(dt)\n"
        "    h = rng.standard_normal((3, 5)).astype(dt)\n"
        "    for mode in ('full', 'same', 'valid'):\n"
        "        for b in ('fill', 'wrap', 'symm', 'mirror', 'nearest'):\n"
        "            got = fastconv.correlate2d(x, h, mode, boundary=b)\n"
        "            ref = _oracle.correlate(x.astype(np.complex256), h.astype(np.complex256),"
        " mode, boundary=b, anchor='matlab')\n"
        "            tol = 50 * np.finfo(dt).eps * np.abs(ref).max()\n"
        "            assert np.abs(got - ref).max() <= tol, (dt, mode, b)\n"
        # int64 (exact, wrapping), long double, N-D convolve and
        # convolve_separable under the forced ISA too
        "x = rng.integers(-2**62, 2**62, (7, 9)); h = rng.integers(-9, 9, (3, 2))\n"
        "got = fastconv.convolve(x, h, 'same', boundary='mirror')\n"
        "ref = _oracle.convolve(x.astype(object), h.astype(object), 'same',"
        " boundary='mirror')\n"
        "assert [int(v) % 2**64 for v in got.ravel()] == [int(v) % 2**64 for v in"
        " ref.ravel()]\n"
        "for dt in (np.longdouble, np.clongdouble):\n"
        "    x = rng.standard_normal((6, 5, 40)).astype(dt)\n"
        "    h = rng.standard_normal((2, 3, 4)).astype(dt)\n"
        "    got = fastconv.convolve(x, h, 'full', boundary='symm', stride=(1, 2, 1))\n"
        "    ref = _oracle.convolve(x, h, 'full', boundary='symm', stride=(1, 2, 1))\n"
        "    assert got.dtype == dt\n"
        "    tol = 4 * 24 * np.finfo(np.longdouble).eps * np.abs(ref).max()\n"
        "    assert np.abs(got - ref).max() <= tol\n"
        "for dt in (np.float32, np.float64):\n"
        "    x = rng.standard_normal((30, 70)).astype(dt)\n"
        "    c = rng.standard_normal(5).astype(dt); r = rng.standard_normal(4).astype(dt)\n"
        "    for b in ('fill', 'nearest'):\n"
        "        got = fastconv.convolve_separable(x, c, r, 'same', boundary=b)\n"
        "        k = np.outer(c, r).astype(np.longdouble)\n"
        "        ref = _oracle.convolve(x.astype(np.longdouble), k, 'same', boundary=b)\n"
        "        tol = 50 * np.finfo(dt).eps * np.abs(ref).max()\n"
        "        assert np.abs(got - ref).max() <= tol, (dt, b)\n"
        "print('ok')\n"
    )
    r = run_python(code, FASTCONV_FORCE_ISA=isa)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_force_isa_refuses_unknown_or_unavailable():
    r = run_python("import fastconv", FASTCONV_FORCE_ISA="sse9")
    assert r.returncode != 0 and "FASTCONV_FORCE_ISA" in r.stderr
    missing = [i for i in ("avx2", "avx512") if i not in fastconv.available_isas()]
    for isa in missing:
        r = run_python("import fastconv", FASTCONV_FORCE_ISA=isa)
        assert r.returncode != 0 and "FASTCONV_FORCE_ISA" in r.stderr


def test_show_config(capsys):
    fastconv.show_config()
    text = capsys.readouterr().out
    assert fastconv.__version__ in text
    assert "isa: " + fastconv.active_isa() in text
    assert "threads:" in text and "openmp" in text and "compiler" in text
    # the library in use, not only the OpenMP version the build targets
    assert (
        f"openmp: {fastconv._core.openmp_runtime() or 'runtime library not found'}" in text
        or "openmp: disabled" in text
    )
    assert "auto method rates: built-in table" in text


def _worker(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((200, 200))
    return float(fastconv.convolve2d(x, np.ones((3, 3)), "same").sum())


def test_multiprocessing_spawn():
    # (fork: tests/test_reliability.py)
    fastconv.convolve2d(np.ones((300, 300)), np.ones((5, 5)), threads=2)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.map(_worker, [1, 2])
    assert results == [_worker(1), _worker(2)]
