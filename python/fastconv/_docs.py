"""``python -m fastconv docs``: build the documentation site from a source
checkout (its ``docs/`` folder) with Sphinx, and optionally serve it."""

from __future__ import annotations

import functools
import http.server
import importlib
import pathlib
import subprocess
import sys

# What docs/conf.py loads: the `docs` extra of pyproject.toml.
_NEEDED = {
    "sphinx": "sphinx",
    "numpydoc": "numpydoc",
    "myst_parser": "myst-parser",
    "pydata_sphinx_theme": "pydata-sphinx-theme",
    "matplotlib": "matplotlib",
    "sphinx-mathjax-offline": "sphinx-mathjax-offline",  # (its module's name has hyphens)
}


def find_sources(source: str | None) -> pathlib.Path:
    """The folder holding conf.py: `source` if given, else the ``docs/`` of
    the checkout this package was imported from (an editable install), else
    ``./docs``. SystemExit with the places looked at when there is none."""
    if source is not None:
        candidates = [pathlib.Path(source)]
    else:
        candidates = [pathlib.Path.cwd() / "docs"]
        checkout = pathlib.Path(__file__).resolve().parents[2]
        if (checkout / "pyproject.toml").is_file():
            candidates.insert(0, checkout / "docs")
    for folder in candidates:
        if (folder / "conf.py").is_file():
            return folder.resolve()
    looked = ", ".join(str(c / "conf.py") for c in candidates)
    raise SystemExit(
        f"fastconv docs: no documentation sources ({looked} not found); run it in a "
        "source checkout of fastconv or pass --source DIR (the folder holding conf.py)"
    )


def missing_packages() -> list[str]:
    """The pip names of the docs extra's packages that cannot be imported."""
    missing = []
    for module, name in _NEEDED.items():
        try:  # (imported, not only found: a broken install counts as missing)
            importlib.import_module(module)
        except ImportError:
            missing.append(name)
    return missing


def build(source: pathlib.Path, output: pathlib.Path, strict: bool = False) -> pathlib.Path:
    """Build the HTML pages of `source` into `output`; returns index.html.

    `strict` turns Sphinx's warnings into errors (as CI builds them)."""
    missing = missing_packages()
    if missing:
        raise SystemExit(
            f"fastconv docs: {', '.join(missing)} not installed; "
            f'pip install ".[docs]" in the source checkout installs what the docs need'
        )
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q"]
    if strict:
        command += ["-W", "--keep-going"]
    result = subprocess.run([*command, str(source), str(output)])
    if result.returncode != 0:
        raise SystemExit(f"fastconv docs: sphinx-build failed (exit code {result.returncode})")
    return output / "index.html"


def serve(folder: pathlib.Path, port: int) -> None:
    """Serve `folder` on http://127.0.0.1:`port`/ until interrupted."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"serving on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
