// Import of DXchange (APS Data Exchange) tomography files as parallel-beam scans.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

#include "projectors/scan_data.h"

namespace osmo {

struct DxchangeOptions {
  // Override of /exchange/theta: COUNT views from START to STOP degrees inclusive.
  std::optional<double> angle_start_deg, angle_stop_deg;
  std::optional<int64_t> angle_count;
  // Channel index (0-based, may be fractional) of the rotation axis; default: the detector centre.
  std::optional<double> center_of_rotation_px;
  // Detector rows [row_begin, row_end) to import; default all.
  std::optional<int64_t> row_begin, row_end;
  // Detector pixel size (mm); default: from the file, else 1.0.
  std::optional<double> pixel_size_mm;
  // Flat-field-corrected counts are clamped to at least this before the log.
  double min_counts = 1.0;
};

// Parses "START:STOP:COUNT" (degrees, inclusive) and "A:B" row ranges; InputError on bad text.
void ParseAngleRange(const std::string& text, DxchangeOptions* options);
void ParseRowRange(const std::string& text, DxchangeOptions* options);

// Reads /exchange/data, /exchange/data_white, /exchange/data_dark and /exchange/theta (degrees),
// averages the flats and darks per pixel and forms
//   counts c = data − dark,  flat f = white − dark,  y = −log(max(c, ε) / max(f, ε)),
// weights w = max(c, ε) (the variance of a post-log value is ≈ 1/counts), and the geometry
// channel_offset = (n_channels − 1)/2 − center_of_rotation.
ScanData ImportDxchange(const std::string& path, const DxchangeOptions& options);

}  // namespace osmo
