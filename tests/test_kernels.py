"""Every compiled ISA's kernels against an independent NumPy reference
(tests/kernel_check.py), one subprocess per ISA."""

import os
import subprocess
import sys

import pytest
from conftest import isa_params

import fastconv  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.parametrize("isa", isa_params())
def test_kernels_against_numpy_reference(isa):
    r = subprocess.run(
        [sys.executable, os.path.join(HERE, "kernel_check.py")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "FASTCONV_FORCE_ISA": isa},
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert r.stdout.startswith(f"{isa}: ") and "cases ok" in r.stdout
