"""The machine's measured fp32 FMA throughput, for "% of peak" in run.py.

A microbenchmark in the active ISA's kernel file (fastconv._core.fma_probe)
keeps twelve independent vector FMA chains busy on every thread.

    python bench/peak.py
"""

import fastconv
from fastconv import _core


def fma_peak_gflops(threads, seconds=0.3):
    """Best of three runs of about `seconds` each, in GFLOP/s."""
    iterations = 1_000_000
    flops, elapsed = _core.fma_probe(iterations, threads)
    iterations = max(1, int(iterations * seconds / max(elapsed, 1e-6)))
    best = 0.0
    for _ in range(3):
        flops, elapsed = _core.fma_probe(iterations, threads)
        best = max(best, flops / elapsed / 1e9)
    return best


if __name__ == "__main__":
    for n in (1, 2):
        print(f"isa {fastconv.active_isa()}, {n} thread(s): {fma_peak_gflops(n):.1f} GFLOP/s fp32")
