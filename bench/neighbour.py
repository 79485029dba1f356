"""Is fastconv a good neighbour? Another library's threaded call alone and
right after a fastconv call, and back-to-back fastconv calls (issue 13).

    python bench/neighbour.py [--runs 40] [--threads 2]

After a call, idle OpenMP threads that keep spinning compete with the next
library's threads for the cores: "after" would be slower than "alone".
Medians of `--runs` runs; "alone" runs after a 50 ms pause (any spinning
of earlier calls is over by then).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

# (read before the import: fastconv sets GOMP_SPINCOUNT while it loads libgomp)
_ENV = {k: os.environ[k] for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if k in os.environ}

import fastconv  # noqa: E402


def median_ms(samples):
    return 1e3 * statistics.median(samples)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def peers():
    """(name, call) of other libraries' threaded calls that are installed."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 256)).astype(np.float32)
    out = [("numpy matmul 1024x1024 @ 1024x256 f32", lambda: a @ b)]
    try:
        import cv2

        img = rng.standard_normal((1024, 1024)).astype(np.float32)
        k = rng.standard_normal((5, 5)).astype(np.float32)
        out.append(("cv2.filter2D 1024x1024 f32, 5x5", lambda: cv2.filter2D(img, -1, k)))
    except ImportError:
        pass
    try:
        import torch

        x = torch.randn(1, 16, 128, 128)
        w = torch.randn(16, 16, 3, 3)
        conv = torch.nn.functional.conv2d

        def torch_conv():
            with torch.no_grad():
                conv(x, w, padding=1)

        out.append(("torch conv2d 1x16x128x128, 16x3x3", torch_conv))
    except ImportError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2, help="fastconv's threads")
    args = ap.parse_args()

    rng = np.random.default_rng(1)
    x = rng.standard_normal((1024, 1024)).astype(np.float32)
    h = rng.standard_normal((3, 3)).astype(np.float32)

    def fastconv_call():  # bench/run.py's H1
        fastconv.convolve2d(x, h, "same", threads=args.threads)

    print(
        f"fastconv {fastconv.__version__}, {args.threads} thread(s), "
        f"env {_ENV or 'unset (fastconv: GOMP_SPINCOUNT=5000)'}, "
        f"medians of {args.runs} runs"
    )
    print(f"{'call':40s} {'alone ms':>9s} {'after fastconv ms':>18s} {'ratio':>6s}")
    for name, call in peers():
        for _ in range(3):
            call()  # warm-up
        alone, after = [], []
        for _ in range(args.runs):
            time.sleep(0.05)
            alone.append(timed(call))
            time.sleep(0.05)
            fastconv_call()
            after.append(timed(call))
        a, b = median_ms(alone), median_ms(after)
        print(f"{name:40s} {a:9.3f} {b:18.3f} {b / a:6.2f}")

    # fastconv itself: a call after a pause, and back-to-back calls.
    fastconv_call()
    alone, back = [], []
    for _ in range(args.runs):
        time.sleep(0.05)
        alone.append(timed(fastconv_call))
        back += [timed(fastconv_call) for _ in range(5)][1:]  # the first follows the pause
    print(f"{'fastconv convolve2d H1, after a pause':40s} {median_ms(alone):9.3f}")
    print(f"{'fastconv convolve2d H1, back-to-back':40s} {median_ms(back):9.3f}")


if __name__ == "__main__":
    main()
