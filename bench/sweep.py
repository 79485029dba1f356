"""Sweep kernel sizes: direct vs FFT vs method="auto", and where they cross.

    python bench/sweep.py                       # full sweep (a few minutes)
    python bench/sweep.py --quick               # a coarse subset

For 2-D float32 images (256x256, 1024x1024) with square kernels 3..255 and
1-D float32 signals (10,000 and 1,000,000 samples) with kernels 3..8191,
'same' mode, times convolve(..., method=m) for m in direct / fft / auto with
the default threads, each method timed in blocks of runs (best of them).
Prints a markdown
table with the crossover kernel size per series and, as the measure of
auto's choice, the time of the method auto took over the better of direct
and FFT ("pick / best", within 1.10 is the goal): auto runs exactly that
method's code after a decision of a few microseconds, and its own measured
time is shown too -- on a shared machine two timings of the same code
differ by more than 10%. Writes bench/results/sweep.json and
bench/results/sweep.md.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import fastconv

SERIES = {
    "2-D 256x256": ((256, 256), [3, 7, 15, 31, 63, 127, 255]),
    "2-D 1024x1024": ((1024, 1024), [3, 7, 15, 31, 63, 127, 255]),
    "1-D N=10,000": ((10_000,), [3, 15, 63, 255, 1023, 4095, 8191]),
    "1-D N=1,000,000": ((1_000_000,), [3, 15, 63, 255, 1023, 4095, 8191]),
}
QUICK = {"2-D 1024x1024": [7, 31, 127], "1-D N=1,000,000": [63, 1023, 8191]}
METHODS = ("direct", "fft", "auto")


def time_point(x, h, rounds, budget):
    """Best time of each method: each timed in its own block of runs after
    a warm-up (the methods' thread pools -- OpenMP's for direct, pocketfft's
    for the FFT -- spin for a while after a call and slow down whatever
    runs next on the other core), the blocks in a rotating order, twice."""
    fns = {m: (lambda m=m: fastconv.convolve(x, h, "same", method=m)) for m in METHODS}
    best = dict.fromkeys(METHODS, float("inf"))
    for rotation in range(2):
        for m in METHODS[rotation:] + METHODS[:rotation]:
            fns[m]()
            start = time.perf_counter()
            for _ in range(rounds):
                t0 = time.perf_counter()
                fns[m]()
                best[m] = min(best[m], time.perf_counter() - t0)
                if time.perf_counter() - start > budget / 6:
                    break
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per point")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    rows, lines = [], []
    header = (
        "| series | kernel | direct ms | fft ms | auto ms | auto took | pick / best |\n"
        "|---|---|---|---|---|---|---|"
    )
    print(
        f"fastconv {fastconv.__version__}, isa {fastconv.active_isa()}, "
        f"threads {fastconv.get_num_threads()}"
    )
    print(header)
    for name, (shape, kernels) in SERIES.items():
        if args.quick:
            if name not in QUICK:
                continue
            kernels = QUICK[name]
        x = rng.random(shape).astype(np.float32)
        for k in kernels:
            h = rng.random((k,) * len(shape)).astype(np.float32)
            t = time_point(x, h, args.rounds, args.budget)
            took = fastconv.choose_conv_method(x, h, "same")
            ratio = t[took] / min(t["direct"], t["fft"])
            row = {
                "series": name,
                "kernel": k,
                "seconds": t,
                "auto_took": took,
                "pick_over_best": ratio,
            }
            rows.append(row)
            line = (
                f"| {name} | {k} | {t['direct'] * 1e3:.2f} | {t['fft'] * 1e3:.2f} | "
                f"{t['auto'] * 1e3:.2f} | {took} | {ratio:.2f}"
                f"{'' if ratio <= 1.10 else ' (over 1.10)'} |"
            )
            lines.append(line)
            print(line, flush=True)
    summary = []
    for name in dict.fromkeys(r["series"] for r in rows):
        pts = [r for r in rows if r["series"] == name]
        cross = next(
            (r["kernel"] for r in pts if r["seconds"]["fft"] < r["seconds"]["direct"]), None
        )
        worst = max(r["pick_over_best"] for r in pts)
        summary.append(
            f"- {name}: FFT faster from kernel {cross} on"
            if cross
            else f"- {name}: direct faster at every kernel size"
        )
        summary[-1] += f"; auto's pick within {worst:.2f}x of the better method everywhere"
    print("\n" + "\n".join(summary))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "sweep.json"), "w") as f:
        json.dump(
            {"isa": fastconv.active_isa(), "threads": fastconv.get_num_threads(), "rows": rows},
            f,
            indent=1,
        )
    with open(os.path.join(args.out, "sweep.md"), "w") as f:
        f.write(header + "\n" + "\n".join(lines) + "\n\n" + "\n".join(summary) + "\n")


if __name__ == "__main__":
    main()
