"""Command line: ``python -m fastconv --info | demo | calibrate | docs | --cmake-dir | --include``.

--info       version, ISA (chosen and available), threads, compiler, the
             OpenMP runtime library loaded and the rates method="auto" uses
demo         upsample a photo 4x by a transposed convolution, time it
             beside the peers installed (torch, OpenCV, scipy), write a PNG
             (--out PATH, --size N, --threads T)
calibrate    measure this machine's direct and FFT rates (a few seconds)
             and store them for method="auto"
docs         build the documentation site (from a source checkout, with
             the `docs` extra installed) and print the path of index.html;
             --serve serves it on http://127.0.0.1:PORT/
--cmake-dir  the directory of fastconvConfig.cmake shipped in the wheel:
             ``cmake -DCMAKE_PREFIX_PATH=$(python -m fastconv --cmake-dir)``
--include    the directory of the C++ headers shipped in the wheel
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from . import _demo

_PACKAGE = pathlib.Path(__file__).resolve().parent


def _existing(path: pathlib.Path, what: str) -> pathlib.Path:
    if not path.is_dir():
        # (a build with FASTCONV_INSTALL=OFF ships the extension only)
        raise SystemExit(f"fastconv: this installation has no {what} ({path} is missing)")
    return path


def cmake_dir() -> pathlib.Path:
    """The directory holding fastconvConfig.cmake inside the installed package."""
    return _existing(_PACKAGE / "lib" / "cmake" / "fastconv", "CMake package")


def include_dir() -> pathlib.Path:
    """The directory holding the C++ headers (fastconv/*.hpp) inside the package."""
    return _existing(_PACKAGE / "include", "C++ headers")


def _calibrate(output: str | None) -> None:
    from . import _calibrate, _core

    print(f"measuring the {_core.active_isa()} rates on one thread (a few seconds)...", flush=True)
    path, entry = _calibrate.calibrate(output)
    direct = ", ".join(f"{kind} {rate / 1e9:.3g}" for kind, rate in entry["direct"].items())
    fft = ", ".join(f"{kind} {a:.3g}" for kind, a in entry["fft"].items())
    print(f"direct path, GMAC/s: {direct}; 1-D kernels x{entry['one_d']:.2f}")
    print(f"FFT path, seconds per N*log2(N): {fft}")
    print(f"stored in {path}")


def _docs_command(source: str | None, html: str | None, strict: bool, port: int | None) -> None:
    from . import _docs

    folder = _docs.find_sources(source)
    output = pathlib.Path(html) if html else folder.parent / "build" / "docs" / "html"
    index = _docs.build(folder, output.resolve(), strict)
    print(index)
    if port is not None:
        _docs.serve(index.parent, port)


def _demo_command(out: str, size: int, threads: int | None) -> int:
    from . import get_num_threads

    try:
        found = _demo.run(size, threads or get_num_threads(), pathlib.Path(out))
    except OSError as error:  # (a folder we may not write to, a full disk)
        raise SystemExit(f"fastconv demo: cannot write {out}: {error.strerror}") from None
    agreed = all(agrees for _, _, agrees in found["peers"].values())
    return 0 if agreed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fastconv", description="fastconv build and machine information."
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=["demo", "calibrate", "docs"],
        help="demo: upsample a photo by a transposed convolution, timed beside the peers "
        "installed, and write it to a PNG; calibrate: measure this machine's rates for "
        "method='auto' and store them; "
        "docs: build the documentation site (a source checkout, pip install '.[docs]')",
    )
    parser.add_argument(
        "--info",
        action="store_true",
        help="print version, ISA, threads, OpenMP runtime, calibration, compiler",
    )
    parser.add_argument(
        "--cmake-dir",
        action="store_true",
        help="print the directory of fastconvConfig.cmake (for CMAKE_PREFIX_PATH or fastconv_DIR)",
    )
    parser.add_argument(
        "--include", action="store_true", help="print the directory of the C++ headers"
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="calibrate: store here instead of $FASTCONV_CALIBRATION or the user cache directory",
    )
    parser.add_argument(
        "--source", metavar="DIR", help="docs: the folder holding conf.py (default: docs/)"
    )
    parser.add_argument(
        "--html",
        metavar="DIR",
        help="docs: build into this folder (default: build/docs/html beside docs/)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="docs: Sphinx warnings are errors (as in CI)"
    )
    parser.add_argument(
        "--serve",
        metavar="PORT",
        type=int,
        nargs="?",
        const=8000,
        help="docs: then serve the pages on http://127.0.0.1:PORT/ (default 8000)",
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        help=f"demo: the PNG to write (default {_demo.DEFAULT_PNG} in the current directory)",
    )
    parser.add_argument(
        "--size",
        metavar="N",
        type=int,
        help=f"demo: the input picture's side, {_demo.MIN_SIZE}..{_demo.MAX_SIZE} "
        f"(default {_demo.DEFAULT_SIZE}; the output is 4N x 4N)",
    )
    parser.add_argument(
        "--threads",
        metavar="T",
        type=int,
        help="demo: threads for fastconv and its peers (default: fastconv.get_num_threads())",
    )
    args = parser.parse_args(argv)
    demo_options = {"--out": args.out, "--size": args.size, "--threads": args.threads}
    for option, value in demo_options.items():
        if value is not None and args.command != "demo":
            parser.error(f"{option}: only with demo")
    if args.size is not None and not _demo.MIN_SIZE <= args.size <= _demo.MAX_SIZE:
        parser.error(f"--size: {_demo.MIN_SIZE}..{_demo.MAX_SIZE} pixels, got {args.size}")
    if args.threads is not None and not 1 <= args.threads <= 256:
        parser.error(f"--threads: 1..256, got {args.threads}")
    if args.out is not None and pathlib.Path(args.out).is_dir():
        parser.error(f"--out: {args.out} is a folder; name the PNG file to write")
    if args.out is not None and not pathlib.Path(args.out).resolve().parent.is_dir():
        parser.error(f"--out: the folder of {args.out} does not exist")
    docs_options = {"--source": args.source, "--html": args.html, "--serve": args.serve}
    docs_options["--strict"] = args.strict or None
    for option, value in docs_options.items():
        if value is not None and args.command != "docs":
            parser.error(f"{option}: only with docs")
    if args.serve is not None and not 0 <= args.serve <= 65535:
        parser.error(f"--serve: a port number 0..65535, got {args.serve}")
    if not (args.command or args.info or args.cmake_dir or args.include):
        parser.print_help()
        return 0
    if args.output and args.command != "calibrate":
        parser.error("--output: only with calibrate")
    if args.cmake_dir:
        print(cmake_dir())
    if args.include:
        print(include_dir())
    if args.info:
        from ._runtime import config_text

        print(config_text(), end="")
    if args.command == "calibrate":
        _calibrate(args.output)
    if args.command == "docs":
        _docs_command(args.source, args.html, args.strict, args.serve)
    if args.command == "demo":
        return _demo_command(
            args.out or _demo.DEFAULT_PNG, args.size or _demo.DEFAULT_SIZE, args.threads
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
