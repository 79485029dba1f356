"""The suite's own rule (conftest.py): with CI set, a test that would skip
for a missing optional package fails, naming it; without CI it skips."""

import os
import subprocess
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

CASES = """
import pytest

pytest.importorskip("fastconv_no_such_package_at_import")


def test_placeholder():
    pass
"""

FIXTURE_CASE = """
import pytest


@pytest.fixture
def peer():
    return pytest.importorskip("fastconv_no_such_package_in_a_fixture")


def test_in_a_fixture(peer):
    pass


def test_in_a_body():
    pytest.importorskip("fastconv_no_such_package_in_a_body")
"""


def run_pytest(tmp_path, ci):
    (tmp_path / "test_module_level.py").write_text(CASES)
    (tmp_path / "test_inside.py").write_text(FIXTURE_CASE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    env["PYTHONPATH"] = TESTS_DIR + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-rA"]
        # (a module that fails to collect stops the run: go on, to see all three)
        + ["--continue-on-collection-errors", "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


@pytest.mark.parametrize("ci", [True, False])
def test_a_missing_optional_package_fails_in_ci_and_skips_otherwise(tmp_path, ci):
    run = run_pytest(tmp_path, ci)
    out = run.stdout + run.stderr
    names = ["at_import", "in_a_fixture", "in_a_body"]
    if ci:
        assert run.returncode != 0, out
        for name in names:
            assert f"fastconv_no_such_package_{name}" in out, out
        assert "CI is set" in out
        assert " skipped" not in out.splitlines()[-1], out
    else:
        # collection of test_inside.py goes on; all three skip, none fails
        assert run.returncode == 0, out
        assert "3 skipped" in out.splitlines()[-1], out
