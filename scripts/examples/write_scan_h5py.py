#!/usr/bin/python3
"""Write an osmo scan file from NumPy arrays with h5py's defaults (docs/BRING_YOUR_OWN_DATA.md).

The example sinogram is a fan-beam scan of a water disc, computed from exact chord lengths, so
`osmo fbp` of the file must show a disc of mu = 0.02/mm. Replace `line_integrals` and the
geometry values with your own data.

Usage: /usr/bin/python3 scripts/examples/write_scan_h5py.py OUT.h5 [--kind fan|parallel]
SPDX-License-Identifier: Apache-2.0
"""
import argparse

import h5py
import numpy as np


def disc_line_integrals(kind, angles_rad, n_channels, channel_spacing_mm, r_mm, d_mm,
                        disc_radius_mm, mu_per_mm, disc_center_mm):
    """Exact line integrals of a uniform disc, sampled at the channel centres (osmo's axes)."""
    u = (np.arange(n_channels) - (n_channels - 1) / 2) * channel_spacing_mm
    beta = angles_rad[:, None]
    if kind == "parallel":
        theta, s = beta, u[None, :]
    else:  # arc detector: a fan ray (beta, gamma) is the parallel ray theta = beta - gamma
        gamma = u[None, :] / d_mm
        theta, s = beta - gamma, r_mm * np.sin(gamma)
    # Distance of the ray s = x cos(theta) + y sin(theta) from the disc centre.
    cx, cy = disc_center_mm
    offset = s - (cx * np.cos(theta) + cy * np.sin(theta))
    chord = 2.0 * np.sqrt(np.clip(disc_radius_mm ** 2 - offset ** 2, 0.0, None))
    return mu_per_mm * chord


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--kind", choices=["fan", "parallel"], default="fan")
    args = parser.parse_args()

    n_views, n_channels = 180, 96
    angles_rad = np.linspace(0.0, 2.0 * np.pi, n_views, endpoint=False)  # float64, one per view
    channel_spacing_mm = 1.0 if args.kind == "parallel" else 1.6
    r_mm, d_mm = 500.0, 900.0  # source-to-isocentre and source-to-detector distances
    line_integrals = disc_line_integrals(args.kind, angles_rad, n_channels, channel_spacing_mm,
                                         r_mm, d_mm, disc_radius_mm=12.0, mu_per_mm=0.02,
                                         disc_center_mm=(20.0, -10.0))
    # osmo's axis order: [views][rows][channels], float32, post-log line integrals.
    sinogram = line_integrals.astype(np.float32)[:, None, :]

    with h5py.File(args.output, "w") as f:  # h5py defaults: UTF-8 variable-length strings
        f.attrs["osmo_format"] = "scan"
        f.attrs["osmo_format_version"] = 1
        geometry = f.create_group("geometry")
        geometry.attrs["kind"] = args.kind
        geometry.attrs["channel_spacing_mm"] = channel_spacing_mm
        if args.kind != "parallel":
            geometry.attrs["detector_shape"] = "arc"
            geometry.attrs["source_to_isocenter_mm"] = r_mm
            geometry.attrs["source_to_detector_mm"] = d_mm
        geometry.create_dataset("angles_rad", data=angles_rad)
        f.create_dataset("sinogram", data=sinogram)
        # Optional: measured counts give statistical weights (see docs/FORMATS.md).
        f.attrs["incident_counts"] = 1e5
        f.create_dataset("counts", data=(1e5 * np.exp(-sinogram)).astype(np.float32))


if __name__ == "__main__":
    main()
