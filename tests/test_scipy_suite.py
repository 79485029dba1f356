"""scipy's own tests for convolve / correlate / convolve2d / correlate2d
(and fftconvolve, oaconvolve), run with fastconv's functions swapped in.

The tests ship inside the installed scipy (scipy/signal/tests); they run
in a subprocess with the plugin scipy_swap_plugin.py, which replaces the
scipy.signal functions before the test module is imported and refuses to
run if the swap did not take.
"""
import os
import re
import subprocess
import sys

import pytest

scipy = pytest.importorskip("scipy")
pytest.importorskip("hypothesis")

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = ["TestConvolve", "TestConvolve2d", "TestCorrelateReal", "TestCorrelate",
           "TestCorrelateComplex", "TestCorrelate2d", "TestFFTConvolve",
           "TestOAConvolve", "TestAllFreqConvolves", "test_convolve_longdtype_input",
           "test_choose_conv_method"]


def test_scipy_signaltools_suite_passes_with_fastconv():
    scipy_dir = os.path.dirname(scipy.__file__)
    test_file = os.path.join(scipy_dir, "signal", "tests", "test_signaltools.py")
    if not os.path.exists(test_file):
        pytest.skip("this scipy installation does not ship its tests")
    env = {**os.environ, "PYTHONPATH": HERE + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "pytest", "-p", "scipy_swap_plugin", f"--rootdir={scipy_dir}",
           "-p", "no:cacheprovider", test_file, "-q", "-k", " or ".join(CLASSES)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE, timeout=1200)
    tail = r.stdout[-3000:] + r.stderr[-2000:]
    assert "fastconv swap verified" in r.stdout, tail
    assert r.returncode == 0, tail
    summary = r.stdout.strip().splitlines()[-1]
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert "failed" not in summary and "error" not in summary, summary
    # The four direct-path classes alone hold well over 100 tests.
    assert passed >= 300, summary
