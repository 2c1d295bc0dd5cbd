#!/usr/bin/python3
"""Draws osmo's scan conventions (docs/images/conventions.png): world axes in the patient's LPS
frame, the source at view angle beta, the channel direction e_u and channel index order, for an
arc fan-beam detector (DESIGN.md section 3).

Usage: /usr/bin/python3 scripts/plot_conventions.py docs/images/conventions.png
SPDX-License-Identifier: Apache-2.0
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def main(out_path):
    r, d = 1.0, 1.8
    beta = np.deg2rad(30.0)
    e_u = np.array([np.cos(beta), np.sin(beta)])
    e_r = np.array([-np.sin(beta), np.cos(beta)])
    source = -r * e_r
    fig, ax = plt.subplots(figsize=(7, 7))
    # Radiological display of the LPS frame: +x (patient left) to the right, +y (posterior) down.
    ax.invert_yaxis()
    ax.add_patch(plt.Circle((0, 0), 0.55, color="0.85"))
    ax.text(0, -0.45, "anterior (−y)", ha="center", fontsize=9)
    ax.text(0.15, 0.66, "posterior (+y)", ha="left", fontsize=9)
    ax.text(-0.53, 0.0, "patient\nright", ha="right", va="center", fontsize=9)
    ax.text(0.53, 0.0, "patient\nleft", ha="left", va="center", fontsize=9)
    for vec, label in (((1, 0), "x"), ((0, 1), "y")):
        ax.annotate("", xy=(1.5 * vec[0] - 1.9, 1.5 * vec[1] - 1.9), xytext=(-1.9, -1.9),
                    arrowprops=dict(arrowstyle="->", lw=1.5))
        ax.text(1.55 * vec[0] - 1.9, 1.55 * vec[1] - 1.9, label, fontsize=12)
    # Arc detector: gamma = u / D from the central ray; channel c grows along e_u.
    gammas = np.linspace(-0.35, 0.35, 15)
    points = np.array([source + d * (np.cos(g) * e_r + np.sin(g) * e_u) for g in gammas])
    ax.plot(points[:, 0], points[:, 1], "o-", color="tab:blue", ms=4)
    ax.text(*(points[0] - 0.05 * e_r), "channel 0", color="tab:blue", ha="center", va="top")
    ax.text(*(points[-1] - 0.05 * e_r), f"channel {len(gammas) - 1}", color="tab:blue",
            ha="center", va="top")
    for p in points[[0, 7, -1]]:
        ax.plot([source[0], p[0]], [source[1], p[1]], color="tab:orange", lw=0.8)
    ax.plot(*source, "*", color="tab:red", ms=16)
    ax.text(source[0] - 0.1, source[1], "source S = −R·e_r", color="tab:red", ha="right")
    ax.annotate("", xy=source + 0.6 * e_u, xytext=source,
                arrowprops=dict(arrowstyle="->", color="tab:green", lw=2))
    ax.text(*(source + 0.65 * e_u), "e_u (channels)", color="tab:green")
    ax.annotate("", xy=0.5 * e_r, xytext=(0, 0),
                arrowprops=dict(arrowstyle="->", color="tab:purple", lw=2))
    ax.text(*(0.5 * e_r + np.array([-0.08, 0.0])), "e_r (source → detector)", color="tab:purple",
            ha="right")
    ax.plot([0, 0], [0, -1.2], ":", color="0.5")
    ax.text(0.05, -1.15, "β = 0: source at (0, −R)", color="0.4", fontsize=9)
    ax.set_title("osmo scan conventions: view angle β = 30°, arc detector\n"
                 "e_u = (cos β, sin β), e_r = (−sin β, cos β); β grows from +x towards +y")
    ax.set_aspect("equal")
    ax.set_xlim(-2.1, 2.3)
    ax.set_ylim(2.2, -2.1)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(out_path, dpi=90)


if __name__ == "__main__":
    main(sys.argv[1])
