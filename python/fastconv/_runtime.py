"""Threads, instruction set and build information."""

from __future__ import annotations

from . import _args, _core, _cost

__all__ = ["set_num_threads", "get_num_threads", "active_isa", "available_isas", "show_config"]


def set_num_threads(n: int) -> None:
    """Set the number of threads compute calls use when `threads` is None.

    `n` is a positive int, as for ``threads=``. The default follows OpenMP
    (``OMP_NUM_THREADS``); a threadpoolctl limit lowers it while active.
    Every count is capped at 4x the CPUs this process may use (at most
    256), and a call never starts more threads than it has tasks; in a
    child process forked after import, calls run on one thread. Results do
    not depend on the number.
    """
    _core.set_num_threads(_args.positive_int(n, "n"))


def get_num_threads() -> int:
    """The number of threads compute calls use when `threads` is None."""
    return _core.get_num_threads()


def active_isa() -> str:
    """The instruction set the kernels use: 'avx512', 'avx2' or 'baseline'.

    Set the environment variable ``FASTCONV_FORCE_ISA`` before import to
    force a lower level (refused if the CPU lacks it).
    """
    return _core.active_isa()


def available_isas() -> list[str]:
    """Every instruction set this build has and this CPU runs, best first."""
    return list(_core.available_isas())


def config_text() -> str:
    """The text show_config() prints."""
    return _core.config_string() + f"auto method rates: {_cost.rates_in_force()}\n"


def show_config() -> None:
    """Print version, instruction set, threads, compiler, the OpenMP runtime
    library in use and the rates method="auto" uses (this machine's
    calibration or the built-in table)."""
    print(config_text(), end="")
