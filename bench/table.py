"""The markdown table of docs/guide/performance.md from a bench/run.py JSON.

    python bench/table.py bench/results/cnn-layers.json

One row per case, a column per thread count: fastconv's functional call,
the best peer and the ratio (> 1: fastconv faster), and in brackets
fastconv's other forms (the layer object, channels-last arrays) against
the same peer, and torch's ratio where torch is not the best peer of a
pooling row.
"""

import json
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from run import NOT_PEERS, _fmt_time  # noqa: E402

# fastconv's other forms of a row, as (label in the JSON, label in the cell)
FORMS = [("fastconv layer", "layer"), ("fastconv channels-last", "channels-last")]


def cell(r):
    t, micro = r["seconds"], r.get("micro", False)
    peers = {k: v for k, v in t.items() if k not in NOT_PEERS}
    if "fastconv" not in t or not peers:  # (a floor row, or a row no peer runs)
        return ", ".join(f"{k} {_fmt_time(v, micro)}" for k, v in t.items())
    ours = t["fastconv"]
    best = min(peers, key=peers.get)
    text = (
        f"{_fmt_time(ours, micro)}, {best} {_fmt_time(t[best], micro)}: **{t[best] / ours:.2f}x**"
    )
    extra = [f"{name} {t[best] / t[key]:.2f}x" for key, name in FORMS if key in t]
    if "torch" in t and best != "torch" and r["case"].startswith("P"):
        extra.append(f"torch {t['torch'] / ours:.1f}x")
    return text + (f" ({', '.join(extra)})" if extra else "")


def table(results):
    threads = sorted({r["threads"] for r in results})
    rows = {}
    for r in results:
        rows.setdefault(r["case"], {"what": r["description"]})[r["threads"]] = cell(r)
    head = "| case | what | " + " | ".join(f"{n} thread{'s' * (n > 1)}" for n in threads) + " |"
    lines = [head, "|---|---|" + "---|" * len(threads)]
    for case, row in rows.items():
        cells = [row.get(n, "") for n in threads]
        lines.append(f"| {case} | {row['what']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(json.load(open(sys.argv[1]))["results"]))
