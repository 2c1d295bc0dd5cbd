"""Tests of the Python module (`import osmo`, docs/PYTHON.md), run by ctest through pytest.

SPDX-License-Identifier: Apache-2.0
"""
import json
import os
import subprocess

import numpy as np
import pytest

import osmo

OSMO = os.environ.get("OSMO_BINARY", "build/recon/cli/osmo")


def small_fan():
    return osmo.ScanGeometry("fan", 96, np.linspace(0, 2 * np.pi, 120, endpoint=False),
                             channel_spacing_mm=1.2, source_to_isocenter_mm=300,
                             source_to_detector_mm=600, detector_shape="arc")


def small_cone():
    return osmo.ScanGeometry("cone", 48, np.linspace(0, 2 * np.pi, 60, endpoint=False),
                             n_rows=12, channel_spacing_mm=1.5, row_spacing_mm=1.5,
                             source_to_isocenter_mm=300, source_to_detector_mm=600,
                             detector_shape="flat")


def grid_of(geometry, n, nz=1):
    return osmo.ImageGeometry(n, nz=nz, voxel_size_mm=2 * geometry.field_of_view_radius_mm / n)


def small_scan(seed=1):
    geometry = small_fan()
    return osmo.simulate("thorax", geometry, incident_counts=1e4, electronic_noise_std=5,
                         seed=seed, reference_grid=grid_of(geometry, 64))


@pytest.mark.parametrize("geometry,nz", [(small_fan(), 1), (small_cone(), 8)])
def test_projector_pair_is_adjoint_through_python(geometry, nz):
    grid = grid_of(geometry, 40, nz)
    projector = osmo.Projector(grid, geometry)
    rng = np.random.default_rng(0)
    x = rng.random(grid.shape, dtype=np.float32)
    y = rng.random(geometry.sinogram_shape, dtype=np.float32)
    for subset in (None, (1, 4)):
        ax = projector.forward(x, subset=subset).astype(np.float64)
        aty = projector.back(y, subset=subset).astype(np.float64)
        left, right = np.vdot(ax, y), np.vdot(x, aty)
        assert abs(left - right) <= 1e-5 * abs(left)
    # A subset projects only its views.
    part = projector.forward(x, subset=(1, 4))
    assert np.all(part[0] == 0) and np.any(part[1] != 0)
    assert np.array_equal(projector.forward(x, views=[1, 5]), np.where(
        np.isin(np.arange(geometry.n_views), [1, 5])[:, None, None], projector.forward(x), 0))


def test_shapes_dtypes_and_axis_order(tmp_path):
    geometry = small_fan()
    grid = osmo.ImageGeometry(64, 48, voxel_size_mm=2.0)
    assert grid.shape == [1, 48, 64]
    phantom = tmp_path / "off_centre.json"
    # One disc at x = +30 mm, y = −20 mm: the last axis is x (i), the middle one y (j), with
    # x = (i − (nx − 1)/2)·dx and y = (j − (ny − 1)/2)·dx (DESIGN.md).
    phantom.write_text(json.dumps({"ellipses": [
        {"center_mm": [30, -20], "semi_axes_mm": [5, 5], "value_per_mm": 0.02}]}))
    image = osmo.rasterize(str(phantom), grid)
    assert image.dtype == np.float32 and image.shape == (1, 48, 64)
    j, i = np.argwhere(image[0] > 0).mean(axis=0)
    x_mm = (i - (64 - 1) / 2) * 2.0
    y_mm = (j - (48 - 1) / 2) * 2.0
    assert abs(x_mm - 30) < 1 and abs(y_mm + 20) < 1
    projector = osmo.Projector(grid, geometry)
    sinogram = projector.forward(image)
    assert sinogram.dtype == np.float32 and sinogram.shape == (120, 1, 96)
    # float64, non-contiguous and 2D inputs are converted (one copy in).
    as_float64 = np.asfortranarray(image[0].astype(np.float64))
    assert np.allclose(projector.forward(as_float64), sinogram, rtol=1e-6, atol=1e-6)
    with pytest.raises(osmo.InputError, match=r"forward: x: expected an array of shape \(1, 48, 64\)"):
        projector.forward(np.zeros((1, 48, 63), np.float32))


def test_files_round_trip(tmp_path):
    scan = small_scan()
    path = str(tmp_path / "scan.h5")
    osmo.write_scan(path, scan)
    again = osmo.read_scan(path)
    assert np.array_equal(again.sinogram, scan.sinogram)
    assert np.array_equal(again.weights, scan.weights)
    assert again.geometry.n_views == 120 and again.geometry.kind == "fan"
    volume = str(tmp_path / "x.mha")
    osmo.write_volume(volume, scan.reference, scan.reference_grid)
    values, grid = osmo.read_volume(volume)
    assert np.array_equal(values, scan.reference) and grid.nx == 64
    with pytest.raises(osmo.InputError, match="no_such.h5"):
        osmo.read_scan(str(tmp_path / "no_such.h5"))


def test_dxchange_files_are_imported_with_the_cli_options(tmp_path):
    import h5py
    path = str(tmp_path / "dx.h5")
    with h5py.File(path, "w") as f:  # a DXchange file as tomopy users write it
        f["exchange/data"] = np.full((4, 2, 8), 500, np.uint16)
        f["exchange/data_white"] = np.full((2, 2, 8), 1000, np.uint16)
        f["exchange/data_dark"] = np.zeros((1, 2, 8), np.uint16)
        f["exchange/theta"] = np.array([0.0, 45.0, 90.0, 135.0])
    scan = osmo.read_scan(path, angles_deg="0:90:4", rows="0:1")
    assert scan.geometry.kind == "parallel" and scan.sinogram.shape == (4, 1, 8)
    assert np.allclose(scan.geometry.angles_rad, np.radians([0, 30, 60, 90]))
    assert np.allclose(scan.sinogram, np.log(2.0), atol=1e-6)  # −log(500/1000)


def test_errors_are_python_exceptions_with_osmos_messages():
    scan = small_scan()
    with pytest.raises(osmo.InputError, match="subsets: expected M ≥ 1, found 0"):
        osmo.reconstruct(scan, subsets=0)
    with pytest.raises(osmo.InputError, match="no_such_option"):
        osmo.reconstruct(scan, no_such_option=3)
    with pytest.raises(osmo.InputError, match="potential: expected quadratic, huber"):
        osmo.reconstruct(scan, potential="cubic")
    with pytest.raises(osmo.InputError, match="log"):
        osmo.reconstruct(scan, log="x.jsonl")
    with pytest.raises(ValueError):  # InputError is a ValueError
        osmo.ScanGeometry("helical", 10, [0.0])


def test_callback_sees_every_iteration_and_can_stop():
    scan = small_scan()
    records = []

    def stop_after_two(record):
        records.append(record)
        return record["iteration"] < 2

    image, info = osmo.reconstruct(scan, image_size=64, iterations=10, subsets=4,
                                   callback=stop_after_two)
    assert [r["iteration"] for r in records] == [0, 1, 2]
    assert info["stopped"] and info["iterations"] == 2
    assert records[-1]["rmsd_hu"] > 0  # the scan's reference is on this grid
    assert image.shape == (1, 64, 64) and np.all(np.isfinite(image))

    def fails(record):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        osmo.reconstruct(scan, image_size=64, iterations=3, callback=fails)


def test_gradient_matches_finite_differences_of_the_cost():
    problem = osmo.Problem(small_scan(), image_size=32, potential="hyperbola", delta=0.002)
    rng = np.random.default_rng(4)
    x = (0.02 + 0.002 * rng.standard_normal(problem.grid.shape)).astype(np.float32)
    direction = rng.standard_normal(problem.grid.shape).astype(np.float32)
    step = 1e-4
    numeric = (problem.cost(x + step * direction) - problem.cost(x - step * direction)) / (2 * step)
    analytic = np.vdot(problem.gradient(x).astype(np.float64), direction)
    assert abs(numeric - analytic) <= 2e-3 * abs(analytic)
    assert problem.beta > 0 and problem.delta == 0.002


def test_same_image_as_the_cli_bit_for_bit(tmp_path):
    scan_path = str(tmp_path / "scan.h5")
    osmo.write_scan(scan_path, small_scan())
    options = ["--algorithm", "os-nes05", "--subsets", "6", "--iterations", "4",
               "--beta-relative", "2.5", "--restart", "gradient", "--image-size", "48",
               "--threads", "2"]
    cli_image = str(tmp_path / "cli.mha")
    subprocess.run([OSMO, "recon", scan_path, "-o", cli_image, "--progress", "off"] + options,
                   check=True, capture_output=True)
    from_cli, _ = osmo.read_volume(cli_image)
    from_python, info = osmo.reconstruct(osmo.read_scan(scan_path), algorithm="os-nes05",
                                         subsets=6, iterations=4, beta_relative=2.5,
                                         restart="gradient", image_size=48, threads=2)
    assert from_python.shape == from_cli.shape
    assert np.array_equal(from_python, from_cli)
    assert info["grid"].nx == 48


def test_fbp_matches_the_cli(tmp_path):
    scan_path = str(tmp_path / "scan.h5")
    scan = small_scan()
    osmo.write_scan(scan_path, scan)
    cli_image = str(tmp_path / "fbp.mha")
    subprocess.run([OSMO, "fbp", scan_path, "-o", cli_image, "--filter", "hamming",
                    "--image-size", "64", "--threads", "2"], check=True, capture_output=True)
    from_cli, grid = osmo.read_volume(cli_image)
    from_python = osmo.fbp(scan, grid, filter="hamming")
    assert np.array_equal(from_python, from_cli)
