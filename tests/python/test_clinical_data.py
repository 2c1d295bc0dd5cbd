"""Clinical data from Python: the CLI's DICOM series output read back with a second DICOM reader
(pydicom), against the same image written as a MetaImage volume in HU; DICOM-CT-PD files written
by pydicom imported with osmo.import_dicom_ct_pd.

SPDX-License-Identifier: Apache-2.0
"""
import glob
import os
import subprocess
import sys

import numpy as np
import pydicom
import pytest

import osmo

OSMO = os.environ.get("OSMO_BINARY", "build/recon/cli/osmo")


def test_fbp_dicom_series_matches_the_volume_and_its_grid(tmp_path):
    geometry = osmo.ScanGeometry("cone", 48, np.linspace(0, 2 * np.pi, 90, endpoint=False),
                                 n_rows=12, channel_spacing_mm=1.5, row_spacing_mm=1.5,
                                 source_to_isocenter_mm=300, source_to_detector_mm=600,
                                 detector_shape="flat")
    scan = osmo.simulate("thorax-3d", geometry, incident_counts=1e5, seed=3)
    scan_path = str(tmp_path / "scan.h5")
    osmo.write_scan(scan_path, scan)
    common = ["--image-size", "40,36,6", "--image-center-mm", "3,-2,1.5", "--threads", "2"]
    subprocess.run([OSMO, "fbp", scan_path, "-o", str(tmp_path / "hu.mha"), "--units", "hu"]
                   + common, check=True, capture_output=True)
    subprocess.run([OSMO, "fbp", scan_path, "-o", str(tmp_path / "series")] + common,
                   check=True, capture_output=True)
    mu, grid = osmo.read_volume(str(tmp_path / "hu.mha"))  # read back as μ
    hu = 1000.0 * (mu - 0.02) / 0.02

    files = sorted(glob.glob(str(tmp_path / "series" / "*.dcm")))
    assert len(files) == grid.nz
    slices = [pydicom.dcmread(f) for f in files]
    assert len({s.SeriesInstanceUID for s in slices}) == 1
    assert len({s.SOPInstanceUID for s in slices}) == grid.nz
    dx, dz = grid.voxel_size_mm, grid.slice_thickness_mm
    cx, cy, cz = grid.center_mm
    for k, s in enumerate(sorted(slices, key=lambda s: int(s.InstanceNumber))):
        assert s.Modality == "CT" and s.RescaleType == "HU"
        assert (s.Rows, s.Columns) == (grid.ny, grid.nx)
        np.testing.assert_allclose([float(v) for v in s.PixelSpacing], [dx, dx], rtol=1e-8)
        np.testing.assert_allclose(float(s.SliceThickness), dz, rtol=1e-8)
        np.testing.assert_allclose([float(v) for v in s.ImageOrientationPatient],
                                   [1, 0, 0, 0, 1, 0])
        expected_position = [cx - (grid.nx - 1) / 2 * dx, cy - (grid.ny - 1) / 2 * dx,
                             cz + (k - (grid.nz - 1) / 2) * dz]
        np.testing.assert_allclose([float(v) for v in s.ImagePositionPatient],
                                   expected_position, atol=1e-6)
        values = s.pixel_array * float(s.RescaleSlope) + float(s.RescaleIntercept)
        # pixel_array is [row][column] = [y][x], as osmo's slice k.
        assert np.max(np.abs(values - hu[k])) <= 0.5 + 1e-3
    assert "FBP" in slices[0].SeriesDescription


def test_import_dicom_ct_pd_written_by_pydicom(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
    import write_ct_pd_pydicom as writer  # pylint: disable=import-outside-toplevel
    folder = str(tmp_path / "ctpd")
    writer.write(folder)
    scan, notes = osmo.import_dicom_ct_pd(folder, views="4:16")
    assert scan.sinogram.shape == (12, writer.N_ROWS, writer.N_COLUMNS)
    assert scan.patient_position == "HFS"
    assert abs(scan.mu_water_per_mm - 0.0193) < 1e-9
    assert any("v3 tag order" in n for n in notes)
    # Head first supine: osmo channel c = DICOM column c + 1, osmo row r = detector row N − r.
    k, r, c = 5, 0, 3
    stored = 1000 + 100 * (k + 4) + 10 * (c + 1) + (writer.N_ROWS - r)
    assert abs(scan.sinogram[k, r, c] - (stored * writer.SLOPE + writer.INTERCEPT)) < 1e-6
    with pytest.raises(Exception, match="not a folder"):
        osmo.import_dicom_ct_pd(str(tmp_path / "missing"))
