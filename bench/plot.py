"""Draw bench/run.py's JSON as a bar chart of speed relative to the best
peer (log scale; > 1 means fastconv is faster).

    python bench/plot.py bench/results/latest.json docs/benchmark.png

Needs matplotlib (not a dependency of fastconv).
"""

import json
import sys

# as bench/run.py: fastconv's other runs are not peers
NOT_PEERS = ("fastconv", "fastconv layer", "normal input")


def main(src, dst):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(src) as f:
        data = json.load(f)
    rows = [
        r
        for r in data["results"]
        if "fastconv" in r["seconds"] and any(k not in NOT_PEERS for k in r["seconds"])
    ]
    labels, ratios, colors = [], [], []
    for r in rows:
        t = r["seconds"]
        best = min(v for k, v in t.items() if k not in NOT_PEERS)
        labels.append(f"{r['case']} ({r['threads']}t)")
        ratios.append(best / t["fastconv"])
        colors.append("#2b7bba" if r["threads"] == 1 else "#e3792b")
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    ax.barh(labels[::-1], ratios[::-1], color=colors[::-1])
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(
        "speed vs the best peer (numpy / scipy / OpenCV / PyTorch / onnxruntime / OpenVINO), "
        "higher is better"
    )
    m = data["machine"]
    ax.set_title(
        f"fastconv {m['fastconv']} ({m['isa']}), {m['cores']} cores: "
        "blue 1 thread, orange 2 threads",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(f"wrote {dst}")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "bench/results/latest.json",
        sys.argv[2] if len(sys.argv) > 2 else "docs/benchmark.png",
    )
