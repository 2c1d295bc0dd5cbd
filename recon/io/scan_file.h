// The osmo scan file (HDF5, contract version 1, DESIGN.md §4, and version 2, docs/FORMATS.md: v1
// plus per-view source positions): reader with full validation, writer.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "projectors/scan_data.h"

namespace osmo {

// Version 1: the contract. Version 2 adds the optional per-view datasets /geometry/source_z_mm
// and /geometry/source_shift_{angle_rad,z_mm,radius_mm} (helical scans, flying focal spot); a
// file without them is written as version 1, so circular scans stay readable by v1 tools.
constexpr int kScanFormatVersion = 1;
constexpr int kScanFormatVersionTrajectory = 2;

// Reads and validates a version 1 or 2 scan file. Every problem gives an InputError naming the
// file, the object, what was expected and what was found: not HDF5, wrong osmo_format or version,
// missing or mistyped attributes, wrong rank or shape, non-float data, NaN/Inf, negative weights,
// non-positive distances, an angle count that differs from the view count, zero views.
// The sinogram is read straight into its buffer (no second copy).
ScanData ReadScanFile(const std::string& path);

// Reads only the geometry (no sinogram data): for `osmo project --geometry-from`.
ScanGeometry ReadScanGeometry(const std::string& path);

// Writes a scan file (version 2 if it has per-view source positions, else 1) atomically (temporary
// name, then rename). Large datasets are chunked per view and compressed (shuffle + gzip).
void WriteScanFile(const std::string& path, const ScanData& scan);

// Whether the file carries the HDF5 signature (no exception for other files).
bool IsHdf5File(const std::string& path);

// Whether the file looks like a DXchange file (/exchange/data present) rather than an osmo scan.
bool IsDxchangeFile(const std::string& path);

}  // namespace osmo
