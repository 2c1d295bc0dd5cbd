// CT scan geometries of the coordinate contract (DESIGN.md §3): parallel, fan and cone beam.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "projectors/enum_table.h"
#include "projectors/image_geometry.h"

namespace osmo {

enum class ScanKind { kParallel, kFan, kCone };
enum class DetectorShape { kFlat, kArc };

inline constexpr EnumTable<ScanKind, 3> kScanKinds = {{
    {ScanKind::kParallel, "parallel", "parallel beam"},
    {ScanKind::kFan, "fan", "fan beam, or a stack of fan-beam slices"},
    {ScanKind::kCone, "cone", "cone beam"},
}};
inline constexpr EnumTable<DetectorShape, 2> kDetectorShapes = {{
    {DetectorShape::kFlat, "flat", "flat detector"},
    {DetectorShape::kArc, "arc", "equiangular arc centred on the source"},
}};

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
// Size limits of a scan, far above any scanner (a clinical helical scan: 1e5 views × 64 rows ×
// 900 channels ≈ 6e9 values) and low enough that size products cannot overflow int64.
constexpr int64_t kMaxChannels = int64_t(1) << 24;
constexpr int64_t kMaxRows = int64_t(1) << 20;
constexpr int64_t kMaxViews = int64_t(1) << 24;
constexpr int64_t kMaxSinogramValues = int64_t(1) << 34;

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
  // Cone beam only (scan file v2); an empty vector means 0 for every view. source_z_mm: the z of
  // the source and the detector's centre in view k (a helix, several circular turns, any
  // sequence); rows are measured from it: v = z − z_k. The flying focal spot moves the source
  // alone to angle β + Δφ, radius R + Δρ and height z_k + Δz; the detector stays where it is for
  // the unshifted source (as DICOM-CT-PD defines it).
  std::vector<double> source_z_mm;
  std::vector<double> source_shift_angle_rad;
  std::vector<double> source_shift_z_mm;
  std::vector<double> source_shift_radius_mm;

  int64_t NumViews() const { return int64_t(angles_rad.size()); }
  double SourceZ(int64_t view) const { return ValueOrZero(source_z_mm, view); }
  double ShiftAngle(int64_t view) const { return ValueOrZero(source_shift_angle_rad, view); }
  double ShiftZ(int64_t view) const { return ValueOrZero(source_shift_z_mm, view); }
  double ShiftRadius(int64_t view) const { return ValueOrZero(source_shift_radius_mm, view); }
  bool HasSourceZ() const { return !source_z_mm.empty(); }
  bool HasSourceShifts() const {
    return !source_shift_angle_rad.empty() || !source_shift_z_mm.empty() ||
           !source_shift_radius_mm.empty();
  }
  // The focal spot's offset from the unshifted source in view k, in the view's frame:
  // along e_u, a = (R+Δρ)·sin Δφ; along e_r, b = R − (R+Δρ)·cos Δφ. Zero without shifts.
  double ShiftAlongU(int64_t view) const;
  double ShiftAlongR(int64_t view) const;
  // The largest transaxial distance between a focal spot and its unshifted source, mm.
  double MaxSourceShiftMm() const;
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
  // The ray of detector point (u, v) in view `view`: start point (the focal spot, or the point
  // u·e_u + v·e_z for parallel beam) and unit direction. Fan stacks have horizontal rays at
  // height v; cone rays start at the (shifted) focal spot and end on the detector at z_k + v.
  void Ray(int64_t view, double u_mm, double v_mm, double start[3], double direction[3]) const;
  // Radius of the centred circle that every view sees completely (the scanned field of view), mm.
  double FieldOfViewRadiusMm() const;
  // Throws InputError naming `where` and the field for any inconsistent value.
  void Validate(const std::string& where) const;
  // Also checks that the image lies strictly between the source and the detector for every
  // view (fan/cone): no voxel may contain or lie behind the source.
  void ValidateWithImage(const ImageGeometry& image, const std::string& where) const;

  // Widest transaxial footprint of one voxel of `image`, in channels (without the two cells of
  // alignment): √2·dx, magnified by D/(R − r) for fan beams (r: the image's corner radius) and by
  // 1/cos²γ for flat detectors. ValidateWithImage bounds it; projectors size buffers by it.
  double MaxTransaxialFootprintCells(const ImageGeometry& image) const;
  // Widest axial footprint of one voxel (cone beam), in rows, without the two alignment rows:
  // (dz + √2·dx·|z|max/(R − r))·D/(R − r)/Δv.
  double MaxAxialFootprintRows(const ImageGeometry& image) const;

 private:
  static double ValueOrZero(const std::vector<double>& values, int64_t view) {
    return values.empty() ? 0.0 : values[size_t(view)];
  }
  // Refuses voxels whose footprints span far more than the detector (a voxel size in the wrong
  // unit); projectors size per-thread buffers by these widths.
  void CheckFootprintWidths(const ImageGeometry& image, const std::string& where) const;
  void ValidateTrajectory(const std::string& where) const;
};

// Views at angle_start + i·span/n_views, i = 0..n_views−1, in radians.
std::vector<double> EquallySpacedAngles(int64_t n_views, double start_rad, double span_rad);

}  // namespace osmo
