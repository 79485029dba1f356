"""Threads, instruction set and build information."""

from __future__ import annotations

from . import _args, _core, _cost

__all__ = [
    "set_num_threads",
    "get_num_threads",
    "set_denormal_guard",
    "get_denormal_guard",
    "active_isa",
    "available_isas",
    "show_config",
]


def set_num_threads(n: int) -> None:
    """Set the number of threads compute calls use when `threads` is None.

    `n` is a positive int, as for ``threads=``. The default follows OpenMP
    (``OMP_NUM_THREADS``); a threadpoolctl limit lowers it while active.
    Every count is capped at 4x the CPUs this process may use (at most
    256), and a call never starts more threads than it has tasks; in a
    child process forked after import, calls run on one thread. Results do
    not depend on the number.

    Parameters
    ----------
    n : int
        The number of threads, at least 1.

    Raises
    ------
    ValueError
        If `n` is smaller than 1.
    TypeError
        If `n` is not an int.

    Notes
    -----
    Results are bitwise the same for any number of threads: the work is split so that no sum
    depends on the split.

    Examples
    --------
    >>> import fastconv
    >>> before = fastconv.get_num_threads()
    >>> fastconv.set_num_threads(1)
    >>> fastconv.get_num_threads()
    1
    >>> fastconv.set_num_threads(before)
    """
    _core.set_num_threads(_args.positive_int(n, "n"))


def get_num_threads() -> int:
    """The number of threads compute calls use when `threads` is None.

    Returns
    -------
    int
        At least 1: `set_num_threads`'s value, else OpenMP's default
        (``OMP_NUM_THREADS`` or the CPUs), lowered by an active
        threadpoolctl limit.

    Examples
    --------
    >>> import fastconv
    >>> fastconv.get_num_threads() >= 1
    True
    """
    return _core.get_num_threads()


def set_denormal_guard(on: bool) -> None:
    """Turn the denormal guard on or off for every later call.

    Subnormal (denormal) numbers make many CPUs take a microcode assist on
    every instruction that reads or produces one: a convolution of tiny
    data (a decaying signal's tail, input x 1e-39) can run hundreds of
    times slower. With the guard on, a call whose products would be
    subnormal runs on its operands scaled by exact powers of two and
    scales the result back once, correctly rounded: the direct path's
    error bound with IEEE gradual underflow's term (no flushing to zero),
    at the cost of a copy of the input and a pass over the output on such
    calls only. Data holding Inf or NaN, or spanning more than the type's
    range once scaled, runs unscaled.

    On by default where the CPU is known to slow down (Intel x86-64), off
    elsewhere (the AMD cores measured run subnormals at full speed);
    ``FASTCONV_DENORMAL_GUARD=1`` or ``0`` in the environment sets the
    default. float32 and float64 (and complex) calls of every path but the
    FFT take part.

    Parameters
    ----------
    on : bool
        True turns the guard on, False off.

    Raises
    ------
    TypeError
        If `on` is not a bool (``1`` and ``"yes"`` are refused too).

    Notes
    -----
    Accuracy: either way the results stay within the direct bound plus gradual underflow's
    ``terms * eta`` (``eta`` the smallest subnormal); with the guard on, no floating-point
    operation of a call meets a subnormal. docs/guarantees.md lists each promise with the
    test that checks it.

    Examples
    --------
    >>> import fastconv
    >>> before = fastconv.get_denormal_guard()
    >>> fastconv.set_denormal_guard(True)
    >>> fastconv.get_denormal_guard()
    True
    >>> fastconv.set_denormal_guard(before)
    """
    if not isinstance(on, bool):
        raise TypeError(f"on: expected True or False, got {on!r}")
    _core.set_denormal_guard(on)


def get_denormal_guard() -> bool:
    """Whether the denormal guard is on (see `set_denormal_guard`).

    Returns
    -------
    bool
        The value `set_denormal_guard` set, else the default
        (``FASTCONV_DENORMAL_GUARD``, or on for Intel x86-64 CPUs).

    Examples
    --------
    >>> import fastconv
    >>> fastconv.get_denormal_guard() in (True, False)
    True
    """
    return _core.denormal_guard()


def active_isa() -> str:
    """The instruction set the kernels use: 'avx512', 'avx2' or 'baseline'.

    Set the environment variable ``FASTCONV_FORCE_ISA`` before import to
    force a lower level (refused if the CPU lacks it).

    Returns
    -------
    str
        The best of `available_isas`, or the forced one.

    Notes
    -----
    Accuracy: every instruction set gives results within the same documented bounds, but the
    last bits may differ between them: AVX2 and AVX-512 fuse each multiply-add, the SSE2
    baseline rounds the product and the sum.

    Examples
    --------
    >>> import fastconv
    >>> fastconv.active_isa() in fastconv.available_isas()
    True
    """
    return _core.active_isa()


def available_isas() -> list[str]:
    """Every instruction set this build has and this CPU runs, best first.

    Returns
    -------
    list of str
        A subset of ``['avx512', 'avx2', 'baseline']``; 'baseline' (SSE2 on
        x86-64, NEON on arm64) is always there.

    Examples
    --------
    >>> import fastconv
    >>> fastconv.available_isas()[-1]
    'baseline'
    """
    return list(_core.available_isas())


def config_text() -> str:
    """The text show_config() prints."""
    return _core.config_string() + f"auto method rates: {_cost.rates_in_force()}\n"


def show_config() -> None:
    """Print the version and this machine's configuration.

    The instruction set (and those available), threads, the denormal
    guard, compiler, the OpenMP runtime library in use and the rates
    ``method="auto"`` uses (this machine's calibration or the built-in
    table): what ``python -m fastconv --info`` prints.

    Examples
    --------
    >>> import fastconv
    >>> fastconv.show_config()  # doctest: +ELLIPSIS
    fastconv ...
    isa: ... (available: ...)
    threads: ...
    denormal guard: ...
    """
    print(config_text(), end="")
