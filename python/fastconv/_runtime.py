"""Threads, instruction set and build information."""
from __future__ import annotations

from . import _args, _core

__all__ = ["set_num_threads", "get_num_threads", "active_isa", "available_isas",
           "show_config"]


def set_num_threads(n):
    """Set the number of threads compute calls use when `threads` is None.

    `n` is a positive int, as for ``threads=``. The default follows OpenMP
    (``OMP_NUM_THREADS``); a threadpoolctl limit lowers it while active.
    Every count is capped at 4x the CPUs this process may use (at most
    256), and a call never starts more threads than it has tasks; in a
    child process forked after import, calls run on one thread. Results do
    not depend on the number.
    """
    _core.set_num_threads(_args.positive_int(n, "n"))


def get_num_threads():
    """The number of threads compute calls use when `threads` is None."""
    return _core.get_num_threads()


def active_isa():
    """The instruction set the kernels use: 'avx512', 'avx2' or 'baseline'.

    Set the environment variable ``FASTCONV_FORCE_ISA`` before import to
    force a lower level (refused if the CPU lacks it).
    """
    return _core.active_isa()


def available_isas():
    """Every instruction set this build has and this CPU runs, best first."""
    return list(_core.available_isas())


def show_config():
    """Print version, instruction set, threads, compiler and OpenMP runtime."""
    print(_core.config_string(), end="")
