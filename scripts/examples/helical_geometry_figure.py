#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""docs/images/helical_geometry.png: the ge-helical trajectory and the z ranges osmo derives from it.

Left: the helix in 3D with a few detector positions (the source and the arc detector move
together along z). Right: the source's z against the rotation angle, the band the detector covers
at the isocentre, the complete-data range (the default grid) and the range the rays cross inside
the field of view (the solver's grid). The numbers follow projectors/geometry_presets.cpp and
projectors/helical_trajectory.cpp.
Usage: helical_geometry_figure.py OUT.png
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

R, D = 541.0, 949.075                 # source–isocentre and source–detector distances, mm
rows, row_mm = 64, 0.625              # rows and their pitch at the isocentre
pitch, turns, per_turn = 0.984, 3.0, 984
fov = 248.70                          # field-of-view radius of ge1, mm
coverage = rows * row_mm              # 40 mm at the isocentre
feed = pitch * coverage               # table feed per turn
n_views = int(turns * per_turn)
beta = 2 * np.pi * np.arange(n_views) / per_turn
z = -0.5 * feed * turns + feed * beta / (2 * np.pi)
half = 0.5 * coverage * D / R         # detector half height at the detector, mm
far = (R + fov) / D                   # detector-to-far-edge-of-field scale
complete = (z.min() + half * far, z.max() - half * far)
crossed = (z.min() - half * far, z.max() + half * far)


def main(out_path):
    fig = plt.figure(figsize=(13, 5.2))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    sx, sy = R * np.sin(beta), -R * np.cos(beta)
    ax.plot(sx, sy, z, lw=0.8, color="tab:orange", label="source (focal spot) path")
    for k in range(0, n_views, per_turn // 4):
        gamma = np.linspace(-0.48, 0.48, 40)  # the arc detector's fan angles
        er = np.array([-np.sin(beta[k]), np.cos(beta[k])])
        eu = np.array([np.cos(beta[k]), np.sin(beta[k])])
        src = np.array([sx[k], sy[k]])
        arc = src[:, None] + D * (np.cos(gamma) * er[:, None] + np.sin(gamma) * eu[:, None])
        for dz in (-half, half):
            ax.plot(arc[0], arc[1], z[k] + dz, color="tab:blue", lw=0.6)
        ax.plot([src[0], arc[0, 20]], [src[1], arc[1, 20]], [z[k], z[k]], color="gray", lw=0.4)
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_zlabel("z (mm)")
    ax.set_title("ge-helical: 3 turns, pitch 0.984,\n64 rows × 0.625 mm at the isocentre")
    ax.legend(loc="upper left", fontsize=8)

    ax2 = fig.add_subplot(1, 2, 2)
    degrees = np.degrees(beta)
    ax2.fill_between(degrees, z - 0.5 * coverage, z + 0.5 * coverage, color="tab:blue", alpha=0.25,
                     label="rows' coverage at the isocentre")
    ax2.plot(degrees, z, color="tab:orange", label="source z")
    ax2.axhspan(*crossed, color="gray", alpha=0.12, label="z the rays cross (solver grid)")
    ax2.axhspan(*complete, color="tab:green", alpha=0.25, label="complete data (default grid)")
    ax2.set_xlabel("rotation angle β (degrees)")
    ax2.set_ylabel("z (mm)")
    ax2.set_title(f"complete data {complete[0]:.1f} to {complete[1]:.1f} mm; "
                  f"rays cross {crossed[0]:.1f} to {crossed[1]:.1f} mm")
    ax2.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_path, dpi=90)
    print(f"wrote {out_path}: complete data {complete}, crossed {crossed}")


if __name__ == "__main__":
    main(sys.argv[1])
