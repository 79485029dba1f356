"""`python -m fastconv`: --info, --cmake-dir, --include (calibrate is in
test_calibration.py), and the OpenMP runtime show_config() reports."""

import os
import pathlib
import subprocess
import sys

import pytest

import fastconv
from fastconv import _core


def _main(*args):
    r = subprocess.run(
        [sys.executable, "-m", "fastconv", *args], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_info_prints_the_configuration():
    out = _main("--info")
    assert out.startswith(f"fastconv {fastconv.__version__}\n")
    assert f"isa: {fastconv.active_isa()} (available: {' '.join(fastconv.available_isas())})" in out
    assert f"threads: {fastconv.get_num_threads()}" in out
    for key in ("compiler: ", "openmp: ", "auto method rates: built-in table"):
        assert key in out


def test_info_follows_forced_isa_and_threads():
    env = dict(os.environ, FASTCONV_FORCE_ISA="baseline", OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-m", "fastconv", "--info"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "isa: baseline (available:" in out and "threads: 1\n" in out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_openmp_runtime_is_the_library_loaded():
    path = _core.openmp_runtime()
    if "openmp: disabled" in _core.config_string():
        assert path == ""
        return
    # the same file the kernel mapped into this process
    maps = pathlib.Path("/proc/self/maps").read_text()
    assert path and os.path.realpath(path) in maps
    assert "omp" in os.path.basename(path)
    assert f"openmp: {path} (built for OpenMP " in _core.config_string()


def test_cmake_dir_and_include_locate_the_shipped_package():
    cmake_dir = pathlib.Path(_main("--cmake-dir").strip())
    include = pathlib.Path(_main("--include").strip())
    package = pathlib.Path(fastconv.__file__).parent
    assert cmake_dir.is_relative_to(package) and include.is_relative_to(package)
    assert (cmake_dir / "fastconvConfig.cmake").is_file()
    assert (cmake_dir / "fastconvConfigVersion.cmake").is_file()
    assert (cmake_dir / "fastconvTargets.cmake").is_file()
    assert (include / "fastconv" / "convolve.hpp").is_file()
    # the generated header is shipped too, with this version
    assert f'"{fastconv.__version__}"' in (include / "fastconv" / "version.hpp").read_text()
    assert any(p.name.startswith(("libfastconv", "fastconv.")) for p in (package / "lib").iterdir())
    both = _main("--cmake-dir", "--include").split()
    assert both == [str(cmake_dir), str(include)]


def test_no_argument_prints_help():
    assert "--cmake-dir" in _main()


def test_output_without_calibrate_is_refused():
    r = subprocess.run(
        [sys.executable, "-m", "fastconv", "--info", "--output", "x.json"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "--output" in r.stderr


def _docs_command(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "fastconv", "docs", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_docs_without_sources_names_what_is_missing(tmp_path):
    r = _docs_command("--source", str(tmp_path), "--html", str(tmp_path / "html"))
    assert r.returncode == 1
    assert f"no documentation sources ({tmp_path / 'conf.py'} not found)" in r.stderr
    assert "--source DIR" in r.stderr
    assert not (tmp_path / "html").exists()


def test_docs_without_sphinx_says_how_to_install_it(tmp_path):
    # a `sphinx` that cannot be imported, ahead of any installed one
    (tmp_path / "sphinx").mkdir()
    (tmp_path / "sphinx" / "__init__.py").write_text("raise ImportError('no sphinx here')\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text("")
    r = _docs_command(
        "--source",
        str(tmp_path / "docs"),
        "--html",
        str(tmp_path / "html"),
        PYTHONPATH=str(tmp_path),
    )
    assert r.returncode == 1
    assert r.stderr.startswith("fastconv docs: sphinx, ")
    assert ' not installed; pip install ".[docs]" in the source checkout' in r.stderr
    assert not (tmp_path / "html").exists()


@pytest.mark.parametrize("option", [["--serve"], ["--strict"], ["--html", "x"], ["--source", "x"]])
def test_docs_options_only_with_docs(option):
    r = subprocess.run(
        [sys.executable, "-m", "fastconv", "--info", *option], capture_output=True, text=True
    )
    assert r.returncode == 2 and f"{option[0]}: only with docs" in r.stderr


def test_docs_serve_port_is_checked():
    r = _docs_command("--serve", "70000")
    assert r.returncode == 2 and "--serve: a port number 0..65535, got 70000" in r.stderr
