#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Plots the convergence study (bench/convergence_study): RMSD to x̂ in HU per iteration and per
second, one panel per subset count. Usage: plot_convergence.py RESULTS.jsonl OUT_PREFIX
writes OUT_PREFIX_iterations.png and OUT_PREFIX_seconds.png and prints a table of the RMSD after
10, 20 and 30 iterations."""
import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(results_path, prefix):
    runs = defaultdict(list)
    with open(results_path) as f:
        for line in f:
            r = json.loads(line)
            runs[(r["subsets"], r["method"])].append(r)
    subsets = sorted({m for m, _ in runs})
    methods = []
    for _, name in runs:
        if name not in methods:
            methods.append(name)
    for axis_key, label in (("iteration", "iteration"), ("time_s", "time (s)")):
        fig, axes = plt.subplots(1, len(subsets), figsize=(4 * len(subsets), 3.8), sharey=True)
        for ax, m in zip(axes, subsets):
            for name in methods:
                records = runs.get((m, name))
                if not records:
                    continue
                ax.semilogy([r[axis_key] for r in records], [max(r["rmsd_hu"], 1e-3) for r in records],
                            label=name, linestyle="--" if "sqs" in name else "-")
            ax.axhline(1.0, color="gray", linewidth=0.8)
            ax.set_title(f"M = {m} subsets")
            ax.set_xlabel(label)
            ax.grid(True, which="both", alpha=0.3)
        axes[0].set_ylabel("RMSD to x̂ (HU)")
        axes[-1].legend(fontsize=8)
        fig.suptitle("osmo convergence: ge1-half thorax, I0 = 1e4, σ = 5, fair δ = 10 HU, FBP start")
        fig.tight_layout()
        suffix = "iterations" if axis_key == "iteration" else "seconds"
        fig.savefig(f"{prefix}_{suffix}.png", dpi=80)
    print("| method | M | 10 it. | 20 it. | 30 it. | s/iteration |")
    print("|---|---|---|---|---|---|")
    for m in subsets:
        for name in methods:
            records = {r["iteration"]: r for r in runs.get((m, name), [])}
            if not records:
                continue
            last = max(records)
            cells = [f"{records[n]['rmsd_hu']:.2f}" if n in records else "" for n in (10, 20, 30)]
            print(f"| {name} | {m} | " + " | ".join(cells) + f" | {records[last]['time_s'] / last:.2f} |")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
