// Helical source trajectories.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/helical_trajectory.h"

#include <algorithm>
#include <cmath>

namespace osmo {

double RowCoverageAtIsocenterMm(const ScanGeometry& scan) {
  return double(scan.n_rows) * scan.row_spacing_mm * scan.source_to_isocenter_mm /
         scan.source_to_detector_mm;
}

std::vector<double> HelicalSourceZ(const ScanGeometry& scan, double pitch, double start_mm) {
  const double feed = pitch * RowCoverageAtIsocenterMm(scan);
  std::vector<double> z;
  z.reserve(scan.angles_rad.size());
  for (double beta : scan.angles_rad)
    z.push_back(start_mm + feed * (beta - scan.angles_rad.front()) / (2.0 * M_PI));
  return z;
}

TrajectorySummary SummarizeTrajectory(const ScanGeometry& scan) {
  TrajectorySummary t;
  const int64_t n = scan.NumViews();
  if (n == 0) return t;
  const auto [beta_lo, beta_hi] =
      std::minmax_element(scan.angles_rad.begin(), scan.angles_rad.end());
  const double step = n > 1 ? (*beta_hi - *beta_lo) / double(n - 1) : 2.0 * M_PI;
  t.turns = (*beta_hi - *beta_lo + step) / (2.0 * M_PI);
  t.z_min_mm = t.z_max_mm = scan.SourceZ(0);
  double mean_beta = 0.0, mean_z = 0.0;
  for (int64_t k = 0; k < n; ++k) {
    t.z_min_mm = std::min(t.z_min_mm, scan.SourceZ(k));
    t.z_max_mm = std::max(t.z_max_mm, scan.SourceZ(k));
    mean_beta += scan.angles_rad[size_t(k)] / double(n);
    mean_z += scan.SourceZ(k) / double(n);
    t.max_shift_angle_rad = std::max(t.max_shift_angle_rad, std::abs(scan.ShiftAngle(k)));
    t.max_shift_z_mm = std::max(t.max_shift_z_mm, std::abs(scan.ShiftZ(k)));
    t.max_shift_radius_mm = std::max(t.max_shift_radius_mm, std::abs(scan.ShiftRadius(k)));
  }
  double covariance = 0.0, variance = 0.0;
  for (int64_t k = 0; k < n; ++k) {
    const double b = scan.angles_rad[size_t(k)] - mean_beta;
    covariance += b * (scan.SourceZ(k) - mean_z);
    variance += b * b;
  }
  t.feed_per_turn_mm = variance > 0.0 ? 2.0 * M_PI * covariance / variance : 0.0;
  if (scan.kind == ScanKind::kCone) t.pitch = t.feed_per_turn_mm / RowCoverageAtIsocenterMm(scan);
  return t;
}

std::pair<double, double> FarEdgeShadow(const ScanGeometry& scan) {
  const double far =
      (scan.source_to_isocenter_mm + scan.FieldOfViewRadiusMm()) / scan.source_to_detector_mm;
  return {scan.RowV(-0.5) * far, scan.RowV(double(scan.n_rows) - 0.5) * far};
}

std::pair<double, double> CompleteDataZRange(const ScanGeometry& scan) {
  const double R = scan.source_to_isocenter_mm, D = scan.source_to_detector_mm;
  const double v_lo = scan.RowV(-0.5), v_hi = scan.RowV(double(scan.n_rows) - 0.5);
  if (!scan.HasSourceZ()) return {v_lo * R / D, v_hi * R / D};
  const TrajectorySummary t = SummarizeTrajectory(scan);
  const auto [below, above] = FarEdgeShadow(scan);
  // Rows below the source (v < 0) see points below it: the lowest complete z is where the
  // detector's top edge, seen from the far edge, reaches the lowest source position.
  return {t.z_min_mm + above, t.z_max_mm + below};
}

std::pair<double, double> IlluminatedZRange(const ScanGeometry& scan) {
  double z_min = scan.SourceZ(0), z_max = z_min;
  for (int64_t k = 0; k < scan.NumViews(); ++k) {
    z_min = std::min(z_min, scan.SourceZ(k) + std::min(0.0, scan.ShiftZ(k)));
    z_max = std::max(z_max, scan.SourceZ(k) + std::max(0.0, scan.ShiftZ(k)));
  }
  const auto [below, above] = FarEdgeShadow(scan);
  return {z_min + below, z_max + above};
}

}  // namespace osmo
