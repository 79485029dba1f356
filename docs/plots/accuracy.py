"""The figure of docs/guide/accuracy.rst: the error of float32 direct and
FFT convolution against a float64 reference (numpy.convolve of the same
float32 numbers, exact to far below float32's rounding)."""

import matplotlib.pyplot as plt
import numpy as np

import fastconv

U = 2.0**-24  # float32's unit roundoff


def _errors(x, k):
    """(direct, fft) absolute errors per output, and the float64 result."""
    exact = np.convolve(x.astype(np.float64), k.astype(np.float64))
    errors = [
        np.abs(fastconv.convolve(x, k, method=m).astype(np.float64) - exact)
        for m in ("direct", "fft")
    ]
    return errors, exact


def direct_vs_fft():
    """Top: per output, on a signal decaying over 12 decades: direct keeps
    every output's relative accuracy, the FFT's error is set by the largest
    values. Bottom: normwise error over kernel sizes, with the bound of
    docs/guarantees.md."""
    rng = np.random.default_rng(0)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 6.4))

    n = 2000
    x = (np.exp(-np.arange(n) * (12 * np.log(10) / n)) * (1 + rng.random(n))).astype(np.float32)
    k = (1 + rng.random(33)).astype(np.float32)  # positive: no cancellation
    (direct, fft), exact = _errors(x, k)
    for error, label in ((direct, "direct"), (fft, "fft")):
        top.semilogy(np.maximum(error / np.abs(exact), 1e-12), ".", ms=1.5, label=label)
    top.axhline(U, color="grey", lw=0.8, ls="--", label="u = 2**-24")
    top.set(xlabel="output index (values fall from 1 to 1e-12)", ylabel="relative error per output")
    top.set_title("float32, 33 taps: error / |exact|", fontsize=10)
    top.legend(markerscale=6, fontsize=8)

    sizes = [3, 9, 33, 129, 513]
    x = rng.standard_normal(4096).astype(np.float32)
    norms = {"direct": [], "fft": [], "bound": []}
    for size in sizes:
        k = rng.standard_normal(size).astype(np.float32)
        (direct, fft), exact = _errors(x, k)
        scale = np.linalg.norm(exact)
        norms["direct"].append(np.linalg.norm(direct) / scale)
        norms["fft"].append(np.linalg.norm(fft) / scale)
        bound = 10 * U * np.log2(len(x) + size - 1) * np.linalg.norm(x) * np.linalg.norm(k)
        norms["bound"].append(bound / scale)
        assert norms["fft"][-1] <= norms["bound"][-1]
    bottom.loglog(sizes, norms["direct"], "o-", label="direct")
    bottom.loglog(sizes, norms["fft"], "o-", label="fft")
    bottom.loglog(sizes, norms["bound"], "--", color="grey", label="fft's bound")
    bottom.set(xlabel="kernel size", ylabel="||error|| / ||exact||")
    bottom.set_title("float32, random normal, n = 4096", fontsize=10)
    bottom.legend(fontsize=8)
    fig.tight_layout()
