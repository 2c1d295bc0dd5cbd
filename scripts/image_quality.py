#!/usr/bin/python3
"""Noise and edge sharpness of a reconstructed slice with one object in air (docs/REAL_DATA.md).

noise:  the standard deviation of the high-pass residual x − mean3×3(x) over the object's flat
        interior (object voxels at least 8 voxels from any non-object voxel), in the image's units.
edge:   the 10–90 % rise distance (mm) of the object's outer boundary: radial profiles from the
        object's centroid, averaged over angle, from the air level to the interior median.

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


def quality(path):
    volume, spacing, _ = read_mha(path)
    x = volume[volume.shape[0] // 2].astype(np.float64)
    high = np.percentile(x, 99)
    obj = x > 0.5 * high
    interior = erode(obj, 8)
    residual = x - box3(x)
    noise = float(np.std(residual[interior]))
    inside = float(np.median(x[interior]))
    air = float(np.median(x[~erode(~obj, 8) == False][:0])) if False else float(
        np.median(x[erode(~obj, 8)]))
    # Radial profile from the centroid of the filled object (holes included: its outer boundary).
    ys, xs = np.nonzero(obj)
    cy, cx = ys.mean(), xs.mean()
    yy, xx = np.indices(x.shape)
    radius = np.hypot(yy - cy, xx - cx)
    outer = np.percentile(radius[obj], 99.5)
    bins = np.arange(outer - 15, outer + 15, 0.25)
    profile = np.array([x[(radius >= b) & (radius < b + 0.25)].mean() for b in bins])
    level = (profile - air) / (inside - air)
    r90 = bins[np.nonzero(level >= 0.9)[0].max()] if np.any(level >= 0.9) else bins[0]
    r10 = bins[np.nonzero(level >= 0.1)[0].max()] if np.any(level >= 0.1) else bins[-1]
    edge_mm = float((r10 - r90) * spacing[0])
    return {"image": path, "noise": noise, "edge_10_90_mm": edge_mm, "interior": inside,
            "air": air, "pixel_mm": spacing[0]}


if __name__ == "__main__":
    for image in sys.argv[1:]:
        print(json.dumps(quality(image)))
