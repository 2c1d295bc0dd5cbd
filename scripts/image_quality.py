#!/usr/bin/python3
"""Noise and edge sharpness of a reconstructed slice with one object in air (docs/REAL_DATA.md).

noise:  the standard deviation of the high-pass residual x − mean3×3(x) over the object's flat
        interior (object voxels at least 8 voxels from any non-object voxel), in the image's units;
        noise_robust: the same from the residual's median absolute deviation (× 1.4826), for
        objects whose interior has structure of its own.
edge:   the 10–90 % rise distance (mm) of the object's outer boundary, from the air level to the
        interior median: the median over 64 angular sectors of the rise of each sector's radial
        profile (from the object's centroid), so that a boundary that is not a centred circle
        does not count as blur.

Usage: /usr/bin/python3 scripts/image_quality.py IMAGE.mha [IMAGE.mha ...]  → one JSON line each
SPDX-License-Identifier: Apache-2.0
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from osmo_files import read_mha  # noqa: E402


def box3(x):
    padded = np.pad(x, 1, mode="edge")
    return sum(padded[1 + dy:1 + dy + x.shape[0], 1 + dx:1 + dx + x.shape[1]]
               for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9.0


def erode(mask, steps):
    for _ in range(steps):
        padded = np.pad(mask, 1, constant_values=False)
        mask = (padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1]
                & padded[1:-1, :-2] & padded[1:-1, 2:])
    return mask


SECTORS = 64


def outermost_crossing(radii, level, value):
    """The outermost radius where the profile falls through `value`, interpolated linearly."""
    above = np.nonzero(np.nan_to_num(level, nan=-np.inf) >= value)[0]
    if len(above) == 0:
        return radii[0]
    i = above.max()
    if i + 1 >= len(radii):
        return radii[-1]
    t = (level[i] - value) / (level[i] - level[i + 1])
    return radii[i] + t * (radii[i + 1] - radii[i])


def quality(path):
    volume, spacing, _ = read_mha(path)
    x = volume[volume.shape[0] // 2].astype(np.float64)
    high = np.percentile(x, 99)
    obj = x > 0.5 * high
    interior = erode(obj, 8)
    residual = x - box3(x)
    noise = float(np.std(residual[interior]))
    # Robust to the object's own structure (an interior with edges, like a tooth's): 1.4826 × the
    # median absolute deviation, the standard deviation for Gaussian noise, edges as outliers.
    flat = residual[interior]
    noise_robust = float(1.4826 * np.median(np.abs(flat - np.median(flat))))
    inside = float(np.median(x[interior]))
    air = float(np.median(x[erode(~obj, 8)]))
    # Radial profiles from the centroid of the filled object (holes included: its outer boundary)
    # in 64 angular sectors, each with its own boundary position so that an object that is not a
    # centred circle does not widen the edge; the median of the sectors' 10–90 % rises.
    ys, xs = np.nonzero(obj)
    cy, cx = ys.mean(), xs.mean()
    yy, xx = np.indices(x.shape)
    radius = np.hypot(yy - cy, xx - cx)
    sector = ((np.arctan2(yy - cy, xx - cx) + np.pi) / (2 * np.pi) * SECTORS).astype(int) % SECTORS
    widths = []
    for k in range(SECTORS):
        in_sector = sector == k
        outer = np.percentile(radius[obj & in_sector], 99.5)
        bins = np.arange(outer - 15, outer + 15, 0.5)
        index = np.digitize(radius[in_sector], bins) - 1
        values = x[in_sector]
        profile = np.array([values[index == b].mean() if np.any(index == b) else np.nan
                            for b in range(len(bins))])
        level = (profile - air) / (inside - air)
        radii = bins + 0.25
        widths.append(outermost_crossing(radii, level, 0.1) - outermost_crossing(radii, level, 0.9))
    edge_mm = float(np.nanmedian(widths) * spacing[0])
    return {"image": path, "noise": noise, "noise_robust": noise_robust, "edge_10_90_mm": edge_mm, "interior": inside,
            "air": air, "pixel_mm": spacing[0]}


if __name__ == "__main__":
    for image in sys.argv[1:]:
        print(json.dumps(quality(image)))
