#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Figures of an `osmo study` output folder: RMSE vs dose, noise and bias vs dose, and one image
panel per dose (truth and the first realisation of every method).
Usage: study_plots.py STUDY_DIR   (osmo study runs it itself when python3-matplotlib is present)"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from osmo_files import read_mha, read_reference, to_hu  # noqa: E402


def main(folder):
    with open(os.path.join(folder, "metrics.json")) as f:
        metrics = json.load(f)
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    # The methods as scored (a swept option is one method per value: "name@key=value").
    methods = list(dict.fromkeys(row["method"] for row in metrics))
    window = config.get("window_hu", [-200, 200])
    mu_water = config.get("mu_water_per_mm", 0.02)

    def series(metric, method, roi=""):
        rows = sorted((r for r in metrics if r["metric"] == metric and r["method"] == method and r["roi"] == roi),
                      key=lambda r: r["incident_counts"])
        return [r["incident_counts"] for r in rows], [r["mean"] for r in rows], [r["sd"] for r in rows]

    fig, ax = plt.subplots(figsize=(6, 4))
    for method in methods:
        x, y, e = series("rmse_hu", method)
        ax.errorbar(x, y, yerr=e, marker="o", capsize=3, label=method)
    ax.set_xscale("log")
    ax.set_xlabel("incident counts I0 per ray")
    ax.set_ylabel("RMSE to the phantom (HU)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "rmse_vs_dose.png"), dpi=80)

    fig, ax = plt.subplots(figsize=(6, 4))
    for n, method in enumerate(methods):
        color = f"C{n}"
        x, y, _ = series("noise_hu", method)
        if x:
            ax.plot(x, y, marker="o", color=color, label=f"{method} noise")
        x, y, _ = series("bias_hu", method)
        ax.plot(x, y, marker="s", linestyle="--", color=color, label=f"{method} bias")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("incident counts I0 per ray")
    ax.set_ylabel("HU (RMS over the object)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "noise_vs_dose.png"), dpi=80)

    # Noise–bias trade-off of every swept family ("name@key=value"), one line per dose.
    families = {}
    for method in methods:
        if "@" in method:
            family, setting = method.split("@", 1)
            families.setdefault(family, []).append((float(setting.split("=", 1)[1]), method))
    if families:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        doses = sorted({row["dose_index"] for row in metrics})
        for family, members in families.items():
            members.sort()
            for d in doses:
                def value(metric, method):
                    return next(r["mean"] for r in metrics if r["method"] == method
                                and r["metric"] == metric and r["dose_index"] == d and r["roi"] == "")
                bias = [value("bias_hu", m) for _, m in members]
                noise = [value("noise_hu", m) for _, m in members] if any(
                    r["metric"] == "noise_hu" for r in metrics) else [0.0] * len(members)
                ax.plot(bias, noise, marker="o", label=f"{family}, dose {d}")
                for (v, _), b, n in zip(members, bias, noise):
                    ax.annotate(f"{v:g}", (b, n), fontsize=7)
        ax.set_xlabel("bias (HU, RMS over the object)")
        ax.set_ylabel("noise (HU, RMS over the object)")
        ax.set_title("noise–resolution trade-off (labels: swept value)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(folder, "tradeoff.png"), dpi=80)

    truth = read_reference(os.path.join(folder, "scans", "dose0_r0.h5"))
    k = truth.shape[0] // 2
    for d, dose in enumerate(config["doses"]):
        counts = dose if isinstance(dose, (int, float)) else dose["incident_counts"]
        fig, axes = plt.subplots(1, len(methods) + 1, figsize=(4 * (len(methods) + 1), 4))
        axes[0].imshow(to_hu(truth[k], mu_water), cmap="gray", vmin=window[0], vmax=window[1], origin="upper")
        axes[0].set_title("truth")
        for ax, method in zip(axes[1:], methods):
            image = read_mha(os.path.join(folder, "images", method, f"dose{d}_r0.mha"))[0]
            ax.imshow(to_hu(image[k], mu_water), cmap="gray", vmin=window[0], vmax=window[1], origin="upper")
            ax.set_title(method)
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        fig.suptitle(f"I0 = {counts:g} (realisation 0), window [{window[0]}, {window[1]}] HU")
        fig.tight_layout()
        fig.savefig(os.path.join(folder, f"panel_dose{d}.png"), dpi=70)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
