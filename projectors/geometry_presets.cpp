// Named scan geometries and the default image grid.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/geometry_presets.h"

#include <cmath>

#include "projectors/error.h"
#include "projectors/helical_trajectory.h"

namespace osmo {

std::vector<std::string> GeometryPresetNames() {
  return {"ge1", "ge1-half", "parallel", "cone-small", "cone-bench", "helical-small", "ge-helical"};
}

namespace {

ScanGeometry Ge1(int64_t downsample) {
  // GE LightSpeed geometry used by the Fessler group (ALGORITHMS.md §7).
  ScanGeometry s;
  s.kind = ScanKind::kFan;
  s.detector_shape = DetectorShape::kArc;
  s.source_to_isocenter_mm = 541.0;
  s.source_to_detector_mm = 949.075;
  s.n_channels = 888 / downsample;
  s.channel_spacing_mm = 1.0239 * double(downsample);
  s.channel_offset = 1.25;
  s.angles_rad = EquallySpacedAngles(984 / downsample, 0.0, 2 * M_PI);
  return s;
}

// The ge1 fan made a multi-row helical scanner: `rows` rows of `row_mm` at the isocentre,
// `turns` turns at `pitch`, centred at z = 0 (the table moving towards +z).
ScanGeometry Ge1Helical(int64_t downsample, int64_t rows, double row_mm, double pitch,
                        double turns) {
  ScanGeometry s = Ge1(downsample);
  s.kind = ScanKind::kCone;
  s.n_rows = rows;
  s.row_spacing_mm = row_mm * s.source_to_detector_mm / s.source_to_isocenter_mm;
  const int64_t per_turn = 984 / downsample;
  const int64_t n_views = int64_t(std::llround(turns * double(per_turn)));
  s.angles_rad = EquallySpacedAngles(n_views, 0.0, 2 * M_PI * double(n_views) / double(per_turn));
  const double length = pitch * RowCoverageAtIsocenterMm(s) * double(n_views) / double(per_turn);
  s.source_z_mm = HelicalSourceZ(s, pitch, -0.5 * length);
  return s;
}

}  // namespace

ScanGeometry GeometryPreset(const std::string& name) {
  if (name == "ge1") return Ge1(1);
  if (name == "ge1-half") return Ge1(2);
  // 3 turns of 64 × 0.625 mm at pitch 0.984 (39.4 mm per turn): complete data over the central
  // 59 mm, enough for a 64-slice slab of the thorax-3d phantom.
  if (name == "ge-helical") return Ge1Helical(1, 64, 0.625, 0.984, 3.0);
  // ge1 down-sampled by 8 (111 channels of 8.2 mm, 123 views per turn), 8 rows of 5 mm, pitch 1,
  // 3 turns: complete data over the central 61 mm; simulated and reconstructed in seconds.
  if (name == "helical-small") return Ge1Helical(8, 8, 5.0, 1.0, 3.0);
  ScanGeometry s;
  if (name == "parallel") {
    s.kind = ScanKind::kParallel;
    s.n_channels = 729;
    s.channel_spacing_mm = 0.7;
    s.angles_rad = EquallySpacedAngles(720, 0.0, M_PI);
    return s;
  }
  if (name == "cone-small" || name == "cone-bench") {
    const bool small = name == "cone-small";
    s.kind = ScanKind::kCone;
    s.detector_shape = DetectorShape::kFlat;
    s.source_to_isocenter_mm = small ? 541.0 : 1000.0;
    s.source_to_detector_mm = small ? 949.075 : 1536.0;
    s.n_channels = small ? 224 : 256;
    s.n_rows = small ? 32 : 256;
    s.channel_spacing_mm = s.row_spacing_mm = small ? 4.0 : 1.0;
    s.angles_rad = EquallySpacedAngles(small ? 180 : 360, 0.0, 2 * M_PI);
    return s;
  }
  std::string names;
  for (const auto& n : GeometryPresetNames()) names += (names.empty() ? "" : ", ") + n;
  throw InputError("geometry preset", "one of " + names, "\"" + name + "\"");
}

ImageGeometry DefaultImageGeometry(const ScanGeometry& scan) {
  ImageGeometry g;
  // Voxels as fine as the detector's sampling at the isocentre (a coarser grid loses resolution
  // the data have; a finer one only adds unknowns): the fewest voxels, an even number, that cover
  // the field of view at that pitch.
  const double fan_magnification = scan.kind == ScanKind::kParallel
                                       ? 1.0
                                       : scan.source_to_detector_mm / scan.source_to_isocenter_mm;
  const double pitch = scan.channel_spacing_mm / fan_magnification;
  const double diameter = 2.0 * scan.FieldOfViewRadiusMm();
  const int64_t n = std::max<int64_t>(2, 2 * int64_t(std::ceil(0.5 * diameter / pitch - 1e-9)));
  g.nx = g.ny = n;
  g.voxel_size_mm = diameter / double(n);
  g.nz = 1;
  g.slice_thickness_mm = scan.n_rows > 1 ? scan.row_spacing_mm : g.voxel_size_mm;
  if (scan.HasSourceZ()) {
    // Helical: slices as thin as the rows at the isocentre, over the complete-data range.
    const auto [z_lo, z_hi] = CompleteDataZRange(scan);
    g.slice_thickness_mm = RowCoverageAtIsocenterMm(scan) / double(scan.n_rows);
    g.nz = std::max<int64_t>(1, int64_t(std::floor((z_hi - z_lo) / g.slice_thickness_mm)));
    g.center_mm[2] = 0.5 * (z_lo + z_hi);
  } else if (scan.kind == ScanKind::kCone) {
    const double magnification = scan.source_to_detector_mm / scan.source_to_isocenter_mm;
    const double height = double(scan.n_rows) * scan.row_spacing_mm / magnification;
    g.slice_thickness_mm = g.voxel_size_mm;
    g.nz = std::max<int64_t>(1, int64_t(std::floor(height / g.slice_thickness_mm)));
    g.center_mm[2] = scan.row_offset * scan.row_spacing_mm / magnification;
  } else if (scan.n_rows > 1) {
    g.nz = scan.n_rows;
    g.center_mm[2] = scan.row_offset * scan.row_spacing_mm;
  }
  return g;
}

}  // namespace osmo
