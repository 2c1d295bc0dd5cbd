// A scan in memory: geometry, post-log sinogram and the optional data of the scan file contract.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "projectors/arrays.h"
#include "projectors/scan_geometry.h"

namespace osmo {

// Everything a contract-v1 scan file holds (DESIGN.md §4).
struct ScanData {
  ScanGeometry geometry;
  Sinogram sinogram;                // line integrals (post-log), [view][row][channel]
  std::optional<Sinogram> weights;  // statistical weights w ≥ 0
  std::optional<Sinogram> counts;   // measured (or simulated) counts
  // Blank-scan counts I0: empty if unknown, one value for all rays, or one per channel.
  std::vector<float> incident_counts;
  std::optional<double> electronic_noise_std;  // σ in counts
  std::optional<Image> reference;              // ground truth of a phantom study (μ, 1/mm)
  // μ of water (1/mm) the scanner calibrates HU with (imported clinical data); unset: unknown.
  std::optional<double> mu_water_per_mm;
  // How the patient lay ("HFS", "FFS", "HFP", "FFP") when the importer mapped the geometry into
  // the patient's LPS frame; empty when not known (simulations).
  std::string patient_position;
};

}  // namespace osmo
