// Named scan geometries: clinical fan beam (GE LightSpeed "ge1"), parallel and cone presets.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "projectors/image_geometry.h"
#include "projectors/scan_geometry.h"

namespace osmo {

// The named presets (see docs/FORMATS.md):
//  ge1        arc fan, 888 channels × 1.0239 mm, offset 1.25, R 541, D 949.075, 984 views / 360°
//  ge1-half   the same down-sampled by 2: 444 channels × 2.0478 mm, 492 views
//  parallel   729 channels × 0.7 mm, 720 views over 180°
//  cone-small flat cone, 224 × 32 cells of 4 × 4 mm, R 541, D 949.075, 180 views / 360°
//  cone-bench flat cone, 256 × 256 cells of 1 mm, R 1000, D 1536, 360 views / 360°
//  ge-helical ge1 with 64 rows of 0.625 mm at the isocentre, arc, 984 views per turn, pitch
//             0.984, 3 turns centred at z = 0 (2952 views)
//  helical-small ge1 / 8 (111 channels, 123 views per turn) with 8 rows of 5 mm at the
//             isocentre, pitch 1, 3 turns (369 views): for tests and the demo
std::vector<std::string> GeometryPresetNames();
// Throws InputError for an unknown name.
ScanGeometry GeometryPreset(const std::string& name);

// The default reconstruction grid of a scan: n × n transaxial voxels with n the largest power of
// two not above the channel count (at least 64), covering the field-of-view diameter; for cone
// beam and slice stacks nz covers the rows (seen at the isocentre) with voxels as thick as wide
// (cone) or one slice per row (stacks). Helical scans: slices as thick as a row at the isocentre,
// over CompleteDataZRange.
ImageGeometry DefaultImageGeometry(const ScanGeometry& scan);

}  // namespace osmo
