// CT scan geometries of the coordinate contract (DESIGN.md §3): parallel, fan and cone beam.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "projectors/image_geometry.h"

namespace osmo {

enum class ScanKind { kParallel, kFan, kCone };
enum class DetectorShape { kFlat, kArc };

const char* ToString(ScanKind kind);
const char* ToString(DetectorShape shape);
// Parse "parallel" | "fan" | "cone" and "flat" | "arc"; throw InputError naming `where`.
ScanKind ParseScanKind(const std::string& text, const std::string& where);
DetectorShape ParseDetectorShape(const std::string& text, const std::string& where);

// For view angle β: e_u = (cos β, sin β) is the channel direction and e_r = (−sin β, cos β) the
// central ray direction (source → detector).
//  * parallel: the ray of channel u passes through u·e_u (+ v·e_z) with direction e_r;
//  * fan/cone: source at −R·e_r. Flat detector: cell (u, v) at S + D·e_r + u·e_u + v·e_z.
//    Arc detector: fan angle γ = u/D, cell at S + D(cos γ·e_r + sin γ·e_u) + v·e_z.
// Channel c is centred at u_c = (c − (n_channels−1)/2 + channel_offset)·channel_spacing_mm,
// row r at v_r = (r − (n_rows−1)/2 + row_offset)·row_spacing_mm.
// Fan with n_rows > 1 (and parallel) means a stack of independent slices: rays have no cone angle
// and row r sees the plane z = v_r.
struct ScanGeometry {
  ScanKind kind = ScanKind::kParallel;
  DetectorShape detector_shape = DetectorShape::kFlat;  // fan and cone only
  double source_to_isocenter_mm = 0.0;                  // R: fan and cone only
  double source_to_detector_mm = 0.0;                   // D: fan and cone only
  int64_t n_channels = 0;
  int64_t n_rows = 1;
  double channel_spacing_mm = 1.0;
  double row_spacing_mm = 1.0;
  double channel_offset = 0.0;  // in cells
  double row_offset = 0.0;      // in cells
  std::vector<double> angles_rad;

  int64_t NumViews() const { return int64_t(angles_rad.size()); }
  int64_t NumBins() const { return NumViews() * n_rows * n_channels; }
  int64_t BinsPerView() const { return n_rows * n_channels; }
  bool IsDivergent() const { return kind != ScanKind::kParallel; }
  double ChannelU(double c) const {
    return (c - 0.5 * double(n_channels - 1) + channel_offset) * channel_spacing_mm;
  }
  double RowV(double r) const {
    return (r - 0.5 * double(n_rows - 1) + row_offset) * row_spacing_mm;
  }
  // Fan angle of detector coordinate u (fan/cone), radians.
  double FanAngle(double u_mm) const;
  // The ray of detector point (u, v) in view β: start point (the source, or the point u·e_u + v·e_z
  // for parallel beam) and unit direction. Fan stacks have horizontal rays at height v.
  void Ray(double beta_rad, double u_mm, double v_mm, double start[3], double direction[3]) const;
  // Radius of the centred circle that every view sees completely (the scanned field of view), mm.
  double FieldOfViewRadiusMm() const;
  // Throws InputError naming `where` and the field for any inconsistent value.
  void Validate(const std::string& where) const;
  // Also checks that the image lies strictly between the source and the detector for every
  // view (fan/cone): no voxel may contain or lie behind the source.
  void ValidateWithImage(const ImageGeometry& image, const std::string& where) const;
};

// Views at angle_start + i·span/n_views, i = 0..n_views−1, in radians.
std::vector<double> EquallySpacedAngles(int64_t n_views, double start_rad, double span_rad);

}  // namespace osmo
