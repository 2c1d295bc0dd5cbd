#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Side-by-side PNG (truth, FBP, OS-OGM2) of the demo, and the RMSD of each against the truth.

RMSD is in HU inside the object (reference > 0), the definition `osmo recon` uses for its log
(which also restricts it to the scanned field of view; the thorax lies inside it).
Usage: demo_panel.py SCAN.h5 FBP.mha RECON.mha RECON_LOG.jsonl OUT.png
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from osmo_files import read_log, read_mha, read_reference, to_hu  # noqa: E402


def main(scan, fbp_path, recon_path, log_path, out_path):
    truth_volume = read_reference(scan)
    middle = truth_volume.shape[0] // 2  # the middle slice of a 3D (helical) volume
    truth = truth_volume[middle]
    fbp, spacing, origin = read_mha(fbp_path)
    recon = read_mha(recon_path)[0]
    ny, nx = truth.shape
    x = origin[0] + spacing[0] * np.arange(nx)
    y = origin[1] + spacing[1] * np.arange(ny)
    mask = truth_volume > 0

    def rmsd(image):  # over the whole volume
        return float(np.sqrt(np.mean((to_hu(image) - to_hu(truth_volume))[mask] ** 2)))

    log = read_log(log_path)
    print(f"RMSD against the truth (HU, inside the object): FBP {rmsd(fbp):.1f}, "
          f"OS-OGM2 {rmsd(recon):.1f} (log: {log[-1]['rmsd_hu']:.1f} after {log[-1]['iteration']} "
          f"iterations, {log[-1]['time_s']:.1f} s)")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    panels = [("truth", truth), (f"FBP (Hann), {rmsd(fbp):.1f} HU RMSD", fbp[middle]),
              (f"OS-OGM2, 12 subsets × {log[-1]['iteration']}, {rmsd(recon):.1f} HU RMSD", recon[middle])]
    for axis, (title, image) in zip(axes, panels):
        # Radiological display of osmo's LPS axes: y (posterior) down, x (patient left) right.
        axis.imshow(to_hu(image), cmap="gray", vmin=-200, vmax=200, origin="upper",
                    extent=[x[0], x[-1], y[-1], y[0]])
        axis.set_title(title)
        axis.set_xlabel("x (mm)")
    axes[0].set_ylabel("y (mm)")
    fig.suptitle("osmo demo: low-dose thorax (I0 = 1e4, σ = 5), window [−200, 200] HU")
    fig.tight_layout()
    fig.savefig(out_path, dpi=80)


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(*sys.argv[1:])
