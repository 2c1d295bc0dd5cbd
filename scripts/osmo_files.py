# SPDX-License-Identifier: Apache-2.0
"""Readers for the files osmo writes, for plotting scripts: MetaImage volumes (.mha, zlib or raw),
the /reference of a scan file (h5py), and JSON-lines convergence logs."""
import json
import zlib

import numpy as np


def read_mha(path):
    """Returns (volume [nz][ny][nx] float32, spacing (x, y, z), origin (x, y, z)) of a .mha file."""
    with open(path, "rb") as f:
        data = f.read()
    header = {}
    offset = 0
    while True:
        end = data.index(b"\n", offset)
        line = data[offset:end].decode("ascii", "replace").strip()
        offset = end + 1
        if "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            header[key] = value
            if key == "ElementDataFile":
                break
    if header.get("ElementDataFile") != "LOCAL":
        raise ValueError(f"{path}: only .mha files with local data are supported")
    if header.get("ElementType") != "MET_FLOAT":
        raise ValueError(f"{path}: expected MET_FLOAT, found {header.get('ElementType')}")
    size = [int(v) for v in header["DimSize"].split()]
    while len(size) < 3:
        size.append(1)
    payload = data[offset:]
    if header.get("CompressedData", "False") == "True":
        payload = zlib.decompress(payload)
    values = np.frombuffer(payload, dtype="<f4").reshape(size[2], size[1], size[0])
    spacing = [float(v) for v in header.get("ElementSpacing", "1 1 1").split()]
    origin = [float(v) for v in header.get("Offset", "0 0 0").split()]
    return values, spacing, origin


def read_log(path):
    """The records of an osmo --log file (one JSON object per line)."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_reference(scan_path):
    """The /reference image of an osmo scan file as [nz][ny][nx] float32 (needs h5py)."""
    import h5py

    with h5py.File(scan_path, "r") as f:
        return np.asarray(f["/reference"], dtype=np.float32)


def to_hu(mu, mu_water=0.02):
    return 1000.0 * (mu - mu_water) / mu_water
