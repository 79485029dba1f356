"""Command line: ``python -m fastconv --info | calibrate | --cmake-dir | --include``.

--info       version, ISA (chosen and available), threads, compiler, the
             OpenMP runtime library loaded and the rates method="auto" uses
calibrate    measure this machine's direct and FFT rates (a few seconds)
             and store them for method="auto"
--cmake-dir  the directory of fastconvConfig.cmake shipped in the wheel:
             ``cmake -DCMAKE_PREFIX_PATH=$(python -m fastconv --cmake-dir)``
--include    the directory of the C++ headers shipped in the wheel
"""

from __future__ import annotations

import argparse
import pathlib
import sys

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fastconv", description="fastconv build and machine information."
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=["calibrate"],
        help="calibrate: measure this machine's rates for method='auto' and store them",
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
    args = parser.parse_args(argv)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
