// Helical source trajectories: a helix from its pitch, the summary `osmo info` prints, and the z
// range where a helical scan's data are complete.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <utility>
#include <vector>

#include "projectors/scan_geometry.h"

namespace osmo {

// The detector's height at the isocentre, n_rows·Δv·R/D (cone beam), mm.
double RowCoverageAtIsocenterMm(const ScanGeometry& scan);

// Source z of a helix: z_k = start + pitch·coverage·(β_k − β_0)/2π, the table moving
// pitch × RowCoverageAtIsocenterMm per turn (a negative pitch moves it the other way).
std::vector<double> HelicalSourceZ(const ScanGeometry& scan, double pitch, double start_mm);

struct TrajectorySummary {
  double turns = 0.0;     // angular range / 2π (one view's step included)
  double z_min_mm = 0.0;  // source z range
  double z_max_mm = 0.0;
  double feed_per_turn_mm = 0.0;  // least-squares slope of z against β, × 2π (signed)
  double pitch = 0.0;             // feed per turn / RowCoverageAtIsocenterMm (signed)
  // Largest |Δφ|, |Δz|, |Δρ| of the flying focal spot (zero without one).
  double max_shift_angle_rad = 0.0;
  double max_shift_z_mm = 0.0;
  double max_shift_radius_mm = 0.0;
};
TrajectorySummary SummarizeTrajectory(const ScanGeometry& scan);

// The z range in which every point of the field of view gets all the rays an endless helix would
// give it: the source's z range shrunk at each end by the half-height of the detector's shadow
// at the far edge of the field of view, h·(R + r_fov)/D with h the detector's half-height.
// Empty (first > second) when the scan is too short. Circular scans: the rows' coverage at the
// isocentre.
std::pair<double, double> CompleteDataZRange(const ScanGeometry& scan);

// The detector's edges v_lo < 0 < v_hi scaled to the far edge of the field of view, (R + r_fov)/D:
// the z offsets from a view's source between which its rays cross the field of view.
std::pair<double, double> FarEdgeShadow(const ScanGeometry& scan);

// The z range a helical scan's rays cross inside the field of view: the source's z range (focal
// spot shifts included) widened by the same shadow, h·(R + r_fov)/D, at each end.
std::pair<double, double> IlluminatedZRange(const ScanGeometry& scan);

}  // namespace osmo
