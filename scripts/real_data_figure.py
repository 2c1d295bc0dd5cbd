#!/usr/bin/python3
"""Side-by-side slices of osmo volumes with a common grey window (docs/REAL_DATA.md figures).

Usage: /usr/bin/python3 scripts/real_data_figure.py OUT.png TITLE=IMAGE.mha [TITLE=IMAGE.mha ...]
       [--window LOW HIGH] (μ in 1/mm; default: the 1st and 99.5th percentiles of the first image)
       [--zoom X0 X1 Y0 Y1] (a second row: this crop, as fractions of the width and height)
Images are shown radiologically (row 0 at the top); one colour bar per figure.
SPDX-License-Identifier: Apache-2.0
"""
import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from osmo_files import read_mha  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("panels", nargs="+", help="TITLE=IMAGE.mha")
    parser.add_argument("--window", nargs=2, type=float)
    parser.add_argument("--zoom", nargs=4, type=float, metavar=("X0", "X1", "Y0", "Y1"),
                        help="a second row with this crop, fractions of the width and height")
    args = parser.parse_args()
    slices = []
    for panel in args.panels:
        title, path = panel.split("=", 1)
        volume, _, _ = read_mha(path)
        slices.append((title, volume[volume.shape[0] // 2]))
    low, high = args.window or np.percentile(slices[0][1], [1, 99.5])
    rows = 2 if args.zoom else 1
    fig, axes = plt.subplots(rows, len(slices), figsize=(4.2 * len(slices), 4.4 * rows),
                             squeeze=False)
    for column, (title, image) in enumerate(slices):
        crops = [image]
        if args.zoom:
            x0, x1, y0, y1 = args.zoom
            h, w = image.shape
            crops.append(image[int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)])
        for row, crop in enumerate(crops):
            ax = axes[row, column]
            shown = ax.imshow(crop, cmap="gray", vmin=low, vmax=high, origin="upper",
                              interpolation="nearest")
            ax.set_title(title if row == 0 else title + " (detail)", fontsize=10)
            ax.axis("off")
    fig.colorbar(shown, ax=axes, shrink=0.8, label="μ (1/mm)")
    fig.savefig(args.output, dpi=80, bbox_inches="tight")


if __name__ == "__main__":
    main()
