#!/usr/bin/python3
"""Convert the real MATLAB (MAT v5) scans of ../shared/data/real into osmo scan files.

Reads MAT v5 files with NumPy alone (no SciPy on Debian's minimal installs): numeric arrays,
character arrays, structs and zlib-compressed elements. Two data sets are known:

  htc      HTC 2022 "ta" full scan (htc2022_ta_full_and_limited_a_1.mat, CtDataFull): 2D fan beam,
           flat detector, 560 channels of 0.2 mm, R = 410.66 mm, D = 553.74 mm, angles 0:0.5:360°
           (the repeated 360° view is dropped). Its source sits at R(cos b, sin b) with the detector
           axis along (−sin b, cos b); osmo's source is at R(sin β, −cos β) with channels along
           (cos β, sin β), so β = b + 90°. `--limited DEG` keeps the first DEG degrees only.
  dendrites  ToMoBAR's Diamond I12 slice (RealDataDend.mat): parallel beam, 1260 channels, 360
           views over 179.5° (the unwrapped angles minus the first), log data as published (×1000,
           so osmo reconstructs it unweighted); nominal 1 mm pixels (the file has no pixel size).

Usage: /usr/bin/python3 scripts/examples/mat_to_scan.py htc|dendrites MAT_FILE OUT.h5
SPDX-License-Identifier: Apache-2.0
"""
import argparse
import struct
import zlib

import h5py
import numpy as np

MI_TYPES = {1: np.int8, 2: np.uint8, 3: np.int16, 4: np.uint16, 5: np.int32, 6: np.uint32,
            7: np.float32, 9: np.float64, 12: np.int64, 13: np.uint64}
MI_MATRIX, MI_COMPRESSED = 14, 15
MX_CELL, MX_STRUCT, MX_CHAR = 1, 2, 4


def elements(data):
    """Yields (type, payload) for each data element in `data` (8-byte aligned, small elements)."""
    offset = 0
    while offset + 8 <= len(data):
        kind, size = struct.unpack_from("<II", data, offset)
        if kind >> 16:  # small element: size in the upper half, payload in the next 4 bytes
            size, kind = kind >> 16, kind & 0xFFFF
            yield kind, data[offset + 4:offset + 4 + size]
            offset += 8
            continue
        yield kind, data[offset + 8:offset + 8 + size]
        offset += 8 + size + (-size % 8 if kind != MI_COMPRESSED else 0)


def numeric(kind, payload):
    return np.frombuffer(payload, dtype=np.dtype(MI_TYPES[kind]).newbyteorder("<"))


def matrix(payload):
    """(name, value) of a miMATRIX element: ndarray, str, dict (struct) or list (cell)."""
    parts = list(elements(payload))
    flags = numeric(*parts[0])
    mx_class = int(flags[0]) & 0xFF
    dims = [int(d) for d in numeric(*parts[1])]
    name = bytes(parts[2][1]).decode("ascii")
    count = int(np.prod(dims))
    if mx_class == MX_STRUCT:
        field_length = int(numeric(*parts[3])[0])
        raw = bytes(parts[4][1])
        names = [raw[i:i + field_length].split(b"\0")[0].decode("ascii")
                 for i in range(0, len(raw), field_length)]
        values = [matrix(p)[1] for k, p in parts[5:] if k == MI_MATRIX]
        records = [dict(zip(names, values[i * len(names):(i + 1) * len(names)]))
                   for i in range(count)]
        return name, records[0] if count == 1 else records
    if mx_class == MX_CELL:
        return name, [matrix(p)[1] for k, p in parts[3:] if k == MI_MATRIX]
    if len(parts) < 4 or count == 0:
        return name, np.zeros(dims)
    kind, payload = parts[3]
    if mx_class == MX_CHAR:
        encoding = {16: "utf-8", 17: "utf-16-le", 18: "utf-32-le"}.get(kind)
        if encoding:
            return name, bytes(payload).decode(encoding)
        return name, "".join(chr(c) for c in numeric(kind, payload))
    values = numeric(kind, payload)
    return name, values.astype(np.float64).reshape(dims, order="F")  # MATLAB is column-major


def read_mat(path):
    """The variables of a MAT v5 file as a dict."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 128 or data[126:128] != b"IM":
        raise ValueError(f"{path}: not a little-endian MAT v5 file")
    variables = {}
    for kind, payload in elements(data[128:]):
        if kind == MI_COMPRESSED:
            kind, payload = next(elements(zlib.decompress(payload)))
        if kind == MI_MATRIX:
            name, value = matrix(payload)
            variables[name] = value
    return variables


def write_scan(path, kind, sinogram, angles_rad, attributes):
    """An osmo scan file (docs/FORMATS.md) of log data without counts."""
    with h5py.File(path, "w") as f:
        f.attrs["osmo_format"] = "scan"
        f.attrs["osmo_format_version"] = 1
        g = f.create_group("geometry")
        g.attrs["kind"] = kind
        for key, value in attributes.items():
            g.attrs[key] = value
        g.create_dataset("angles_rad", data=np.asarray(angles_rad, dtype=np.float64))
        f.create_dataset("sinogram", data=sinogram.astype(np.float32)[:, None, :])


def htc(mat, out, limited_deg):
    data = mat["CtDataFull"]
    sinogram = np.asarray(data["sinogram"])          # [views][channels]
    angles_deg = np.asarray(data["parameters"]["angles"]).ravel()
    keep = angles_deg < 360.0 - 1e-6                  # view 720 repeats view 0
    if limited_deg is not None:
        keep &= angles_deg < limited_deg - 1e-6
    parameters = data["parameters"]
    write_scan(out, "fan", sinogram[keep], np.deg2rad(angles_deg[keep] + 90.0), {
        "detector_shape": "flat",
        "source_to_isocenter_mm": float(np.ravel(parameters["distanceSourceOrigin"])[0]),
        "source_to_detector_mm": float(np.ravel(parameters["distanceSourceDetector"])[0]),
        "channel_spacing_mm": float(np.ravel(parameters["pixelSizePost"])[0]),
        "n_channels": sinogram.shape[1], "n_rows": 1, "row_spacing_mm": 1.0,
        "channel_offset": 0.0})


def dendrites(mat, out):
    sinogram = np.asarray(mat["sinoRD"]).T           # stored detectors × angles
    angles = np.asarray(mat["anglesRad"]).ravel()
    write_scan(out, "parallel", sinogram, angles - angles[0], {
        "channel_spacing_mm": 1.0, "n_channels": sinogram.shape[1], "n_rows": 1,
        "row_spacing_mm": 1.0, "channel_offset": 0.0})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=["htc", "dendrites"])
    parser.add_argument("mat_file")
    parser.add_argument("output")
    parser.add_argument("--limited", type=float, help="htc: keep the first DEG degrees")
    args = parser.parse_args()
    mat = read_mat(args.mat_file)
    if args.dataset == "htc":
        htc(mat, args.output, args.limited)
    else:
        dendrites(mat, args.output)


if __name__ == "__main__":
    main()
