# SPDX-License-Identifier: Apache-2.0
"""What the convergence-study figures share (subset_schedule_figure.py, lalm_figure.py): the
study's scan and converged image x̂, its reconstruction protocol, HU, and a row of panels."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import osmo  # noqa: E402

MU_WATER = 0.02  # 1/mm, as osmo's HU
SIZE = 256  # the study's reference grid
# The protocol of docs/BENCHMARKS.md: fair δ = 10 HU, β from r = 4, the scanned circle.
PROTOCOL = dict(image_size=SIZE, delta=0.0002, beta_relative=4, support="fov")


def hu(mu):
    return 1000.0 * (mu - MU_WATER) / MU_WATER


def load_study(study):
    """The scan, x̂ (from bench/convergence_study's OUT_DIR/xhat.f32) and the object mask."""
    scan = osmo.read_scan(f"{study}/scan.h5")
    xhat = np.fromfile(f"{study}/xhat.f32", dtype=np.float32).reshape(1, SIZE, SIZE)
    return scan, xhat, scan.reference > 0  # the object, as the study measures it


def error_panel(image, xhat, mask, label):
    """A ±10 HU panel of image − x̂, titled with its RMS inside the object."""
    error = hu(image) - hu(xhat)
    rmsd = float(np.sqrt(np.mean(error[mask] ** 2)))
    print(f"{label}: {rmsd:.2f} HU")
    return (f"{label}: error, {rmsd:.2f} HU RMS", error, (-10, 10))


def save_panels(panels, title, output):
    """One row of (title, image, window) panels in grey."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels), 3.6))
    for ax, (name, image, window) in zip(axes, panels):
        ax.imshow(image[0], cmap="gray", vmin=window[0], vmax=window[1])
        ax.set_title(name, fontsize=8)
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(output, dpi=80)
