"""fastconv.dask against dask-image and in-memory fastconv, on one LocalCluster.

A float32 image in square chunks, a 7x7 kernel, 'same' mode with the symm
boundary (scipy.ndimage's 'reflect'): fastconv.dask.convolve2d vs
dask_image.ndfilters.convolve(mode='reflect'), both on the same
distributed.LocalCluster (processes, loopback, one thread per worker),
and in-memory fastconv.convolve2d with as many threads as workers. Two
kernels: a Gaussian (rank one: fastconv takes its separable path, in
memory and per chunk alike) and a random one (the direct path).

The image is generated and persisted on the workers first; each timing is
of `persist` + `wait` of the result (computed and kept on the workers, not
gathered); in memory, into a result array touched before. Each case is
timed --repeat times (default 2) and the best reported: the first pays
for fresh memory (page faults). GB/s counts the input's bytes; tasks/s
the tasks of the convolution's graph. The full size takes a few minutes;
figures vary with what else runs on the machine.

    pip install ".[dask]" dask-image           # dask with its matching distributed; the peer
    python bench/dask_bench.py                 # 16384 x 16384 (1 GiB), 2048 chunks
    python bench/dask_bench.py --quick         # 2048 x 2048, 512 chunks (CI)
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np


def _gaussian(n, sigma=1.5):
    t = np.arange(n) - (n - 1) / 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    g /= g.sum()
    return np.outer(g, g).astype(np.float32)


def _timed(client, lazy, source, repeat):
    """Best seconds of `repeat` computations of `lazy` onto the workers, its
    task count (the tasks of its graph that are not the persisted
    `source`'s), and the last result."""
    from distributed import wait

    tasks = len(lazy.__dask_graph__()) - len(source.__dask_graph__())
    from dask.core import flatten

    keys = list(flatten(lazy.__dask_keys__()))
    best, res = float("inf"), None
    for _ in range(repeat):
        del res
        # (a key still held would be returned at once, not recomputed)
        while any(client.who_has(keys).values()):
            time.sleep(0.05)
        t0 = time.perf_counter()
        res = client.persist(lazy)
        wait(res)
        best = min(best, time.perf_counter() - t0)
    return best, tasks, res


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("--chunk", type=int, default=2048)
    parser.add_argument("--kernel", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2048 x 2048 in 512 chunks")
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="timings per case; the best is reported (the first pays for "
        "fresh memory: page faults)",
    )
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.chunk = 2048, 512

    import dask.array as da
    import distributed

    import fastconv
    import fastconv.dask as fd

    n, c, kn = args.size, args.chunk, args.kernel
    gbytes = n * n * 4 / 1e9
    kernels = {
        "gaussian (rank one)": _gaussian(kn),
        "random (direct)": np.random.default_rng(1).standard_normal((kn, kn)).astype(np.float32),
    }
    print(
        f"fastconv {fastconv.__version__}, ISA {fastconv.active_isa()}, "
        f"{platform.processor() or platform.machine()}; image {n} x {n} float32 "
        f"({gbytes:.2f} GB) in {c} x {c} chunks, {kn}x{kn} kernel, 'same', symm; "
        f"LocalCluster of {args.workers} worker processes x 1 thread"
    )
    figures = {
        "size": n,
        "chunk": c,
        "kernel": kn,
        "workers": args.workers,
        "isa": fastconv.active_isa(),
        "results": {},
    }
    with (
        distributed.LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        image = client.persist(
            da.random.default_rng(0).standard_normal((n, n), chunks=c, dtype=np.float32)
        )
        distributed.wait(image)
        memory = image.compute()  # the same image, in this process
        # warm-up (imports on the workers, first calls), not timed
        from dask_image import ndfilters

        small = image[:256, :256].rechunk(128)
        client.compute(
            [
                fd.convolve2d(small, kernels["random (direct)"], "same", "symm"),
                ndfilters.convolve(small, kernels["random (direct)"], mode="reflect"),
            ],
            sync=True,
        )
        fastconv.convolve2d(memory[:512, :512], _gaussian(kn), "same", "symm")
        for name, k in kernels.items():
            assert k.dtype == np.float32
            rows = {}
            lazy = fd.convolve2d(image, k, "same", "symm")
            seconds, tasks, res = _timed(client, lazy, image, args.repeat)
            rows["fastconv.dask"] = (seconds, tasks)
            # (a check, not a timing: one block against the in-memory result)
            block = res.blocks[1, 1].compute()
            # (into a result array touched once before: no page faults in the timing)
            ref = np.zeros_like(memory)
            best = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                fastconv.convolve2d(memory, k, "same", "symm", threads=args.workers, out=ref)
                best = min(best, time.perf_counter() - t0)
            rows["in-memory fastconv"] = (best, None)
            err = float(np.abs(block - ref[c : 2 * c, c : 2 * c]).max())
            del res, ref
            seconds, tasks, res = _timed(
                client, ndfilters.convolve(image, k, mode="reflect"), image, args.repeat
            )
            rows["dask-image ndfilters.convolve"] = (seconds, tasks)
            del res
            print(f"\n{name} kernel (fastconv.dask vs in-memory, one block: max |diff| {err:.2g})")
            print(f"  {'':32s} {'seconds':>8s} {'GB/s':>7s} {'tasks':>6s} {'tasks/s':>8s}")
            for label, (s, t) in rows.items():
                tps = f"{t / s:8.0f}" if t else f"{'':8s}"
                print(f"  {label:32s} {s:8.3f} {gbytes / s:7.3f} {t or '':>6} {tps}")
            base = rows["fastconv.dask"][0]
            print(
                f"  fastconv.dask is {rows['dask-image ndfilters.convolve'][0] / base:.1f}x "
                f"dask-image; {base / rows['in-memory fastconv'][0]:.2f}x the in-memory time"
            )
            figures["results"][name] = {
                label: {
                    "seconds": s,
                    "GB/s": gbytes / s,
                    "tasks": t,
                    "tasks/s": (t / s) if t else None,
                }
                for label, (s, t) in rows.items()
            }
            figures["results"][name]["max_abs_diff_one_block"] = err
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)


if __name__ == "__main__":
    main()
