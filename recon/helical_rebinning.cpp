// Helical to fan-beam slice rebinning.
// SPDX-License-Identifier: Apache-2.0
#include "recon/helical_rebinning.h"

#include <algorithm>
#include <cmath>

#include "projectors/error.h"

namespace osmo {

namespace {

// The number of views per turn, checked: equally spaced angles with 2π a whole number of steps.
int64_t ViewsPerTurn(const ScanGeometry& scan) {
  const int64_t n = scan.NumViews();
  const double step =
      n > 1 ? (scan.angles_rad.back() - scan.angles_rad.front()) / double(n - 1) : 0;
  const int64_t per_turn = step != 0.0 ? int64_t(std::llround(2.0 * M_PI / std::abs(step))) : 0;
  bool equal = per_turn >= 2 && per_turn <= n &&
               std::abs(double(per_turn) * std::abs(step) - 2.0 * M_PI) < 1e-6;
  for (int64_t k = 1; equal && k < n; ++k) {
    const double gap = scan.angles_rad[size_t(k)] - scan.angles_rad[size_t(k - 1)];
    equal = std::abs(gap - step) <= 1e-6 * std::abs(step);
  }
  if (!equal) {
    throw InputError(
        "helical FBP: view angles",
        "equally spaced views, a whole number per turn, at least one turn",
        ToText(n) + " views " + (per_turn >= 2 ? "not equally spaced" : "under a turn"));
  }
  return per_turn;
}

double RowWeight(double q) {
  const double a = std::abs(q);
  if (a <= 0.5) return 1.0;
  if (a >= 1.0) return 0.0;
  const double c = std::cos(0.5 * M_PI * (a - 0.5) / 0.5);
  return c * c;
}

}  // namespace

RebinnedSlices RebinHelicalToFanSlices(const ScanGeometry& scan, const Sinogram& sinogram,
                                       const ImageGeometry& grid) {
  const int64_t per_turn = ViewsPerTurn(scan), n_views = scan.NumViews();
  const int64_t nc = scan.n_channels, nr = scan.n_rows;
  RebinnedSlices out;
  ScanGeometry& fan = out.geometry;
  fan = scan;
  fan.kind = ScanKind::kFan;
  fan.source_z_mm.clear();
  fan.source_shift_angle_rad.clear();
  fan.source_shift_z_mm.clear();
  fan.source_shift_radius_mm.clear();
  fan.angles_rad.assign(scan.angles_rad.begin(), scan.angles_rad.begin() + per_turn);
  fan.n_rows = grid.nz;
  fan.row_spacing_mm = grid.slice_thickness_mm;
  fan.row_offset = grid.center_mm[2] / grid.slice_thickness_mm;  // row r at grid.Z(r)
  out.sinogram = Sinogram(fan);
  const double magnification = scan.source_to_detector_mm / scan.source_to_isocenter_mm;
  const double row_origin = 0.5 * double(nr - 1) - scan.row_offset;  // p = v/Δv + origin
  const double half_height = 0.5 * double(nr) * scan.row_spacing_mm;
  const double v_centre = scan.RowV(0.5 * double(nr - 1));
  const int64_t last_pair = std::max<int64_t>(nr - 2, 0);  // first row of the last row pair
  int64_t incomplete = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : incomplete)
  for (int64_t r = 0; r < grid.nz; ++r) {
    const double z = grid.Z(double(r));
    // The detector coordinate of z seen at the isocentre from view k's source.
    auto row_v = [&](int64_t k) { return (z - scan.SourceZ(k)) * magnification; };
    std::vector<double> sum(static_cast<size_t>(nc));
    bool complete = true;
    for (int64_t b = 0; b < per_turn; ++b) {
      float* dst = out.sinogram.View(b) + r * nc;
      std::fill(sum.begin(), sum.end(), 0.0);
      double weight_sum = 0.0, nearest_distance = 1e300;
      int64_t nearest = b;
      for (int64_t k = b; k < n_views; k += per_turn) {
        const double v = row_v(k);
        const double q = (v - v_centre) / half_height;
        if (std::abs(q) < nearest_distance) {
          nearest_distance = std::abs(q);
          nearest = k;
        }
        const double w = RowWeight(q);
        if (w == 0.0) continue;
        const double p = std::clamp(v / scan.row_spacing_mm + row_origin, 0.0, double(nr - 1));
        const int64_t r0 = std::min<int64_t>(int64_t(p), last_pair);
        const double f = nr > 1 ? p - double(r0) : 0.0;
        const float* lo = sinogram.View(k) + r0 * nc;
        const float* hi = nr > 1 ? lo + nc : lo;
        for (int64_t c = 0; c < nc; ++c) sum[size_t(c)] += w * ((1.0 - f) * lo[c] + f * hi[c]);
        weight_sum += w;
      }
      if (weight_sum > 0.0) {
        for (int64_t c = 0; c < nc; ++c) dst[c] = float(sum[size_t(c)] / weight_sum);
        continue;
      }
      complete = false;  // no turn covers z at this angle: the nearest turn's edge row
      const int64_t row = std::clamp<int64_t>(
          int64_t(std::llround(row_v(nearest) / scan.row_spacing_mm + row_origin)), 0, nr - 1);
      std::copy_n(sinogram.View(nearest) + row * nc, nc, dst);
    }
    incomplete += complete ? 0 : 1;
  }
  out.incomplete_slices = incomplete;
  return out;
}

}  // namespace osmo
