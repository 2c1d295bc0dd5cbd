// Scan geometries from JSON files (the scan file's /geometry attribute names plus counts and
// angles). SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "projectors/scan_geometry.h"

namespace osmo {

// Parses e.g. {"kind": "fan", "detector_shape": "arc", "source_to_isocenter_mm": 541,
// "source_to_detector_mm": 949.075, "channel_spacing_mm": 1.0239, "channel_offset": 1.25,
// "n_channels": 888, "n_rows": 1, "n_views": 984, "angle_start_deg": 0, "angle_span_deg": 360}
// (views at start + i·span/n_views) or with "angles_rad": [...] instead of the last three.
// Cone beam may add "source_z_mm": {"pitch": p, "start_mm": z0} (a helix, HelicalSourceZ) or an
// explicit list, and the flying focal spot's "source_shift_angle_rad", "source_shift_z_mm",
// "source_shift_radius_mm" lists (one value per view; scan file v2).
// Unknown keys, missing keys and bad values give an InputError naming `where` and the key.
ScanGeometry ParseGeometryJson(const std::string& text, const std::string& where);
// A preset name (GeometryPresetNames) or a JSON file.
ScanGeometry LoadGeometry(const std::string& preset_or_path);

}  // namespace osmo
