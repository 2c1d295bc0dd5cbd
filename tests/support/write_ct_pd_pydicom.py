"""Writes a small DICOM-CT-PD folder the way Python users and the TCIA files do: pydicom,
Implicit VR Little Endian, Raw Data Storage, private tags under "CtProjectionData-MayoClinc-v1",
the v3 tag order, DICOM Rows = detector columns. Stored pixel value of DICOM column c and detector
row r (1-based) in view k: 1000 + 100·k + 10·c + r, so a test can tell every flip apart.

Usage: write_ct_pd_pydicom.py FOLDER [--drop GGGG,EEEE]   (--drop leaves a tag out of view 3)
SPDX-License-Identifier: Apache-2.0
"""
import math
import os
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ImplicitVRLittleEndian

N_COLUMNS, N_ROWS, PER_TURN, N_VIEWS = 16, 4, 12, 24
SLOPE, INTERCEPT = 1e-4, -0.1


def write(folder, drop=None):
    os.makedirs(folder, exist_ok=True)
    series = "1.2.826.0.1.3680043.2.1143.4242"
    for k in range(N_VIEWS):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.66"
        meta.MediaStorageSOPInstanceUID = f"{series}.{k + 1}"
        meta.TransferSyntaxUID = ImplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.is_little_endian, ds.is_implicit_VR = True, True
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Modality = "CT"
        ds.SeriesInstanceUID = series
        ds.InstanceNumber = k + 1
        ds.PatientPosition = "HFS"
        ds.Rows, ds.Columns = N_COLUMNS, N_ROWS
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.RescaleSlope, ds.RescaleIntercept = SLOPE, INTERCEPT
        for group in (0x7029, 0x7031, 0x7033, 0x7037, 0x7039, 0x7041):
            ds.add_new((group, 0x0010), "LO", "CtProjectionData-MayoClinc-v1")
        ds.add_new((0x7029, 0x1002), "FL", 10.0)
        ds.add_new((0x7029, 0x1006), "FL", 8.0)
        ds.add_new((0x7029, 0x100B), "CS", "CYLINDRICAL")
        ds.add_new((0x7029, 0x1010), "US", N_ROWS)
        ds.add_new((0x7029, 0x1011), "US", N_COLUMNS)
        ds.add_new((0x7031, 0x1001), "FL", 1.0 - 2 * math.pi * k / PER_TURN)
        ds.add_new((0x7031, 0x1002), "FL", round(-20.0 + 16.0 * k / PER_TURN, 2))
        ds.add_new((0x7031, 0x1003), "FL", 595.0)
        ds.add_new((0x7031, 0x1031), "FL", 1085.6)
        ds.add_new((0x7031, 0x1033), "FL", [8.75, 2.5])
        ds.add_new((0x7033, 0x100B), "FL", 3.3e-4 if k % 2 else 3.2e-4)  # angular (v3)
        ds.add_new((0x7033, 0x100C), "FL", -0.6 if k % 2 else 0.0)  # axial (v3)
        ds.add_new((0x7033, 0x100D), "FL", 5.0 if k % 2 else 0.0)
        ds.add_new((0x7033, 0x100E), "CS", "FFSZ")
        ds.add_new((0x7033, 0x1013), "US", PER_TURN)
        ds.add_new((0x7033, 0x1065), "FL", [1e5 + 1e3 * c for c in range(N_COLUMNS)])
        ds.add_new((0x7037, 0x1009), "CS", "HELICAL")
        ds.add_new((0x7039, 0x1009), "CS", "YES")
        ds.add_new((0x7041, 0x1001), "DS", "0.1930")  # in 1/cm, as some generations store it
        columns = np.arange(1, N_COLUMNS + 1)[:, None]
        rows = np.arange(1, N_ROWS + 1)[None, :]
        stored = 1000 + 100 * k + 10 * columns + rows  # [DICOM row = column][DICOM column = row]
        ds.PixelData = stored.astype("<u2").tobytes()
        if drop is not None and k == 3:
            del ds[drop]
        ds.save_as(os.path.join(folder, f"proj_{k + 1:04d}.dcm"), write_like_original=False)


if __name__ == "__main__":
    target = sys.argv[1]
    drop_tag = None
    if len(sys.argv) == 4 and sys.argv[2] == "--drop":
        group, element = (int(part, 16) for part in sys.argv[3].split(","))
        drop_tag = (group, element)
    write(target, drop_tag)
