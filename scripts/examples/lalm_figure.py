#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""os-lalm against os-ogm2 after 10 iterations at 24 subsets: the converged image x̂ of the
convergence study and each method's error to it (docs/BENCHMARKS.md, "OS-LALM").
Usage (after bench/convergence_study made OUT_DIR/xhat.f32):
  PYTHONPATH=build/python /usr/bin/python3 scripts/examples/lalm_figure.py \
      out/study docs/images/lalm_vs_ogm2.png"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import osmo  # noqa: E402

MU_WATER = 0.02  # 1/mm, as osmo's HU


def hu(mu):
    return 1000.0 * (mu - MU_WATER) / MU_WATER


def main(study, output):
    scan = osmo.read_scan(f"{study}/scan.h5")
    size = 256  # the study's reference grid
    xhat = np.fromfile(f"{study}/xhat.f32", dtype=np.float32).reshape(1, size, size)
    mask = scan.reference > 0  # the object, as the study measures it
    # The protocol of docs/BENCHMARKS.md: fair δ = 10 HU, β from r = 4, the scanned circle.
    common = dict(image_size=size, delta=0.0002, beta_relative=4, support="fov", subsets=24)
    panels = [("x̂ (converged)", hu(xhat), (-200, 200))]
    for algorithm, iterations in (("os-ogm2", 10), ("os-lalm", 10), ("os-lalm", 20)):
        image, _ = osmo.reconstruct(scan, algorithm=algorithm, iterations=iterations, **common)
        error = hu(image) - hu(xhat)
        rmsd = float(np.sqrt(np.mean(error[mask] ** 2)))
        panels.append((f"{algorithm}, {iterations} it.: error, {rmsd:.2f} HU RMS", error,
                       (-10, 10)))
        print(f"{algorithm} {iterations}: {rmsd:.2f} HU")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels), 3.6))
    for ax, (title, image, window) in zip(axes, panels):
        ax.imshow(image[0], cmap="gray", vmin=window[0], vmax=window[1])
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.suptitle("24 subsets, ge1-half thorax (I0 = 1e4): error to x̂, window ±10 HU")
    fig.tight_layout()
    fig.savefig(output, dpi=80)


if __name__ == "__main__":
    main(*sys.argv[1:3])
