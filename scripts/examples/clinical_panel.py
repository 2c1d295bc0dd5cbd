#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A slice of DICOM series (as a radiologist's viewer reads them, with pydicom) beside the
phantom they should show, with each series' RMSD in HU against it inside the body.

The series are read as DICOM: HU = stored · RescaleSlope + RescaleIntercept, the slice picked by
ImagePositionPatient z, and the phantom rasterised on the series' own grid (PixelSpacing,
ImagePositionPatient) through the osmo module, so a flipped or shifted axis shows as an error.
Usage: clinical_panel.py PHANTOM Z_MM OUT.png LABEL=SERIES_FOLDER [LABEL=SERIES_FOLDER ...]
"""
import glob
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pydicom  # noqa: E402

import osmo  # noqa: E402

MU_WATER = 0.02  # the built-in phantoms' water


def read_slice(folder, z_mm):
    """The slice nearest z_mm: (HU array [y][x], x0, y0, dx, dy, z)."""
    slices = [pydicom.dcmread(f) for f in glob.glob(os.path.join(folder, "*.dcm"))]
    best = min(slices, key=lambda s: abs(float(s.ImagePositionPatient[2]) - z_mm))
    hu = best.pixel_array * float(best.RescaleSlope) + float(best.RescaleIntercept)
    x0, y0, z = (float(v) for v in best.ImagePositionPatient)
    dy, dx = (float(v) for v in best.PixelSpacing)
    assert [float(v) for v in best.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
    return hu, x0, y0, dx, dy, z


def phantom_slice(phantom, shape, x0, y0, dx, z):
    ny, nx = shape
    grid = osmo.ImageGeometry(nx, ny=ny, nz=1, voxel_size_mm=dx, slice_thickness_mm=0.2,
                              center_mm=(x0 + (nx - 1) / 2 * dx, y0 + (ny - 1) / 2 * dx, z))
    mu = osmo.rasterize(phantom, grid)[0]
    return 1000 * (mu - MU_WATER) / MU_WATER


def main():
    phantom, z_mm, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    series = [arg.split("=", 1) for arg in sys.argv[4:]]
    panels, first = [], None
    for label, folder in series:
        hu, x0, y0, dx, _, z = read_slice(folder, z_mm)
        truth = phantom_slice(phantom, hu.shape, x0, y0, dx, z)
        body = truth > -900
        rmsd = float(np.sqrt(np.mean((hu[body] - truth[body]) ** 2)))
        panels.append((f"{label}: RMSD {rmsd:.1f} HU", hu))
        print(f"{label}: {hu.shape[1]}×{hu.shape[0]} voxels of {dx:.3f} mm at z = {z:.2f} mm, "
              f"RMSD {rmsd:.1f} HU against the phantom")
        if first is None:
            first = ("phantom (LPS, as DICOM)", truth)
    panels.insert(0, first)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.6))
    for ax, (title, image) in zip(axes, panels):
        ax.imshow(image, cmap="gray", vmin=-160, vmax=240)  # window 40/400
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel("anterior ↑   patient's right ←")
    fig.suptitle("Synthetic DICOM-CT-PD scan (L067 geometry, quarter dose, z flying focal\n"
                 "spot) → osmo import → DICOM series, read with pydicom; window 40/400",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
