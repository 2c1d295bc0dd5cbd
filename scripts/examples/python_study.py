#!/usr/bin/python3
"""A small phantom study from Python: FBP and PWLS over a β sweep, the noise–bias trade-off.

Simulates the thorax phantom on the half-resolution GE geometry at one dose, reconstructs each
noise realisation with FBP and with PWLS (os-ogm2) at several `beta_relative` values, and plots
noise (the spread over realisations) against bias (the error of their mean), both in HU inside
the object — the curve a phantom study is for (docs/PYTHON.md, docs/STUDY.md).

Usage: PYTHONPATH=build/python /usr/bin/python3 scripts/examples/python_study.py [OUT.png]
       [--realisations N] [--dose I0] [--size N]
SPDX-License-Identifier: Apache-2.0
"""
import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import osmo  # noqa: E402

MU_WATER = 0.02  # 1/mm
BETAS = [0.25, 1, 4, 16, 64]


def hu(mu):
    return 1000.0 * (mu - MU_WATER) / MU_WATER


def noise_and_bias(images, truth, mask):
    """(noise, bias) in HU inside the mask: the realisations' spread and their mean's error."""
    stack = hu(np.stack(images))
    noise = float(np.sqrt(np.mean(stack.var(axis=0, ddof=1)[mask])))
    bias = float(np.sqrt(np.mean((stack.mean(axis=0) - hu(truth))[mask] ** 2)))
    return noise, bias


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default="python_study.png")
    parser.add_argument("--realisations", type=int, default=3)
    parser.add_argument("--dose", type=float, default=1e4, help="I0, counts per ray")
    parser.add_argument("--size", type=int, default=256, help="image size, voxels")
    args = parser.parse_args()

    geometry = osmo.geometry_preset("ge1-half")
    grid = osmo.ImageGeometry(args.size,
                              voxel_size_mm=2 * geometry.field_of_view_radius_mm / args.size)
    truth = osmo.rasterize("thorax", grid)
    mask = truth > 0
    scans = [osmo.simulate("thorax", geometry, incident_counts=args.dose, electronic_noise_std=5,
                           seed=seed, reference_grid=grid)
             for seed in range(1, args.realisations + 1)]

    fbp = noise_and_bias([osmo.fbp(scan, grid) for scan in scans], truth, mask)
    print(f"fbp: noise {fbp[0]:.1f} HU, bias {fbp[1]:.1f} HU")
    curve = []
    for beta in BETAS:
        images = []
        for scan in scans:
            image, info = osmo.reconstruct(scan, image_size=args.size, beta_relative=beta,
                                           iterations=20, subsets=12)
            images.append(image)
        curve.append(noise_and_bias(images, truth, mask))
        print(f"os-ogm2, beta_relative {beta}: noise {curve[-1][0]:.1f} HU, "
              f"bias {curve[-1][1]:.1f} HU (β = {info['beta']:.4g})")

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    noise, bias = zip(*curve)
    ax.plot(bias, noise, "o-", label="PWLS os-ogm2 (β sweep)")
    for beta, x, y in zip(BETAS, bias, noise):
        ax.annotate(f"r = {beta:g}", (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.plot([fbp[1]], [fbp[0]], "s", label="FBP (Hann)")
    ax.set_xlabel("bias: RMS error of the mean image (HU)")
    ax.set_ylabel("noise: RMS spread over realisations (HU)")
    ax.set_title(f"thorax, ge1-half, I0 = {args.dose:g}, {args.realisations} realisations")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.output, dpi=100)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
