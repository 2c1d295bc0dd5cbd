// ScanGeometry validation and derived quantities.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/scan_geometry.h"

#include <algorithm>
#include <cmath>

#include "projectors/error.h"

namespace osmo {

const char* ToString(ScanKind kind) { return NameOf(kScanKinds, kind); }

const char* ToString(DetectorShape shape) { return NameOf(kDetectorShapes, shape); }

ScanKind ParseScanKind(const std::string& text, const std::string& where) {
  return ParseEnum(kScanKinds, text, where, /*quoted=*/true);
}

DetectorShape ParseDetectorShape(const std::string& text, const std::string& where) {
  return ParseEnum(kDetectorShapes, text, where, /*quoted=*/true);
}

double ScanGeometry::FanAngle(double u_mm) const {
  if (detector_shape == DetectorShape::kArc) return u_mm / source_to_detector_mm;
  return std::atan(u_mm / source_to_detector_mm);
}

void ScanGeometry::Ray(int64_t view, double u_mm, double v_mm, double start[3],
                       double direction[3]) const {
  const double beta = angles_rad[size_t(view)];
  const double cb = std::cos(beta), sb = std::sin(beta);
  const double e_u[2] = {cb, sb}, e_r[2] = {-sb, cb};
  if (kind == ScanKind::kParallel) {
    start[0] = u_mm * e_u[0];
    start[1] = u_mm * e_u[1];
    start[2] = v_mm;
    direction[0] = e_r[0];
    direction[1] = e_r[1];
    direction[2] = 0.0;
    return;
  }
  const double R = source_to_isocenter_mm, D = source_to_detector_mm, z_k = SourceZ(view);
  // The detector point, placed by the unshifted source S0 = −R·e_r (at height z_k for cone beam;
  // fan stacks have horizontal rays at height v).
  double along_r = D, along_u = u_mm;
  if (detector_shape == DetectorShape::kArc) {
    along_r = D * std::cos(u_mm / D);
    along_u = D * std::sin(u_mm / D);
  }
  const bool cone = kind == ScanKind::kCone;
  const double cell[3] = {(along_r - R) * e_r[0] + along_u * e_u[0],
                          (along_r - R) * e_r[1] + along_u * e_u[1], cone ? z_k + v_mm : v_mm};
  // The focal spot: angle β + Δφ, radius R + Δρ, height z_k + Δz (no shifts: −R·e_r).
  const double angle = beta + ShiftAngle(view), radius = R + ShiftRadius(view);
  start[0] = radius * std::sin(angle);
  start[1] = -radius * std::cos(angle);
  start[2] = cone ? z_k + ShiftZ(view) : v_mm;
  double length = 0.0;
  for (int a = 0; a < 3; ++a) {
    direction[a] = cell[a] - start[a];
    length += direction[a] * direction[a];
  }
  length = std::sqrt(length);
  for (int a = 0; a < 3; ++a) direction[a] /= length;
}

double ScanGeometry::ShiftAlongU(int64_t view) const {
  return (source_to_isocenter_mm + ShiftRadius(view)) * std::sin(ShiftAngle(view));
}

double ScanGeometry::ShiftAlongR(int64_t view) const {
  return source_to_isocenter_mm -
         (source_to_isocenter_mm + ShiftRadius(view)) * std::cos(ShiftAngle(view));
}

double ScanGeometry::MaxSourceShiftMm() const {
  double shift = 0.0;
  if (!HasSourceShifts()) return shift;
  for (int64_t k = 0; k < NumViews(); ++k)
    shift = std::max(shift, std::hypot(ShiftAlongU(k), ShiftAlongR(k)));
  return shift;
}

double ScanGeometry::FieldOfViewRadiusMm() const {
  const double u_first = std::abs(ChannelU(-0.5));
  const double u_last = std::abs(ChannelU(double(n_channels) - 0.5));
  // Channel offsets make one edge shorter; the circle every view sees reaches the shorter one.
  const double u_edge = std::min(u_first, u_last);
  if (kind == ScanKind::kParallel) return u_edge;
  return source_to_isocenter_mm * std::sin(std::min(std::abs(FanAngle(u_edge)), M_PI / 2));
}

void ScanGeometry::Validate(const std::string& where) const {
  auto fail = [&](const std::string& field, const std::string& expected, const std::string& found) {
    throw InputError(where + ": " + field, expected, found);
  };
  auto require_positive = [&](double value, const std::string& field) {
    if (!(value > 0.0) || !std::isfinite(value))
      fail(field, "a positive finite number", ToText(value));
  };
  if (n_channels < 1 || n_channels > kMaxChannels)
    fail("n_channels", "1 to " + ToText(kMaxChannels) + " channels", ToText(n_channels));
  if (n_rows < 1 || n_rows > kMaxRows)
    fail("n_rows", "1 to " + ToText(kMaxRows) + " rows", ToText(n_rows));
  if (angles_rad.empty()) fail("angles_rad", "at least one view", "0 views");
  if (NumViews() > 1 && *std::max_element(angles_rad.begin(), angles_rad.end()) ==
                            *std::min_element(angles_rad.begin(), angles_rad.end())) {
    fail("angles_rad", "views at different angles",
         "all " + ToText(NumViews()) + " views at " + ToText(angles_rad[0]) + " rad");
  }
  if (NumViews() > kMaxViews)
    fail("angles_rad", "at most " + ToText(kMaxViews) + " views", ToText(NumViews()));
  // Each factor is bounded above, so the product cannot overflow.
  if (NumViews() * n_rows * n_channels > kMaxSinogramValues) {
    fail("sinogram size",
         "at most " + ToText(kMaxSinogramValues) + " values (views × rows × channels)",
         ToText(NumViews()) + " × " + ToText(n_rows) + " × " + ToText(n_channels));
  }
  for (size_t i = 0; i < angles_rad.size(); ++i) {
    if (!std::isfinite(angles_rad[i])) {
      fail("angles_rad[" + std::to_string(i) + "]", "a finite angle", ToText(angles_rad[i]));
    }
  }
  require_positive(channel_spacing_mm, "channel_spacing_mm");
  if (n_rows > 1 || kind == ScanKind::kCone) require_positive(row_spacing_mm, "row_spacing_mm");
  // The ray through the rotation axis must hit the detector, or the field of view is empty (a
  // detector offset by 1e6 cells once produced an image 8000 km wide).
  if (!(std::abs(channel_offset) <= 0.5 * double(n_channels - 1)))
    fail("channel_offset",
         "cells within ±" + ToText(0.5 * double(n_channels - 1)) +
             " (the rotation axis must project onto the detector)",
         ToText(channel_offset));
  if (!std::isfinite(row_offset))
    fail("row_offset", "a finite number of cells", ToText(row_offset));
  if (kind == ScanKind::kParallel) return;
  require_positive(source_to_isocenter_mm, "source_to_isocenter_mm");
  require_positive(source_to_detector_mm, "source_to_detector_mm");
  if (source_to_detector_mm <= source_to_isocenter_mm) {
    fail("source_to_detector_mm",
         "more than source_to_isocenter_mm (" + ToText(source_to_isocenter_mm) + ")",
         ToText(source_to_detector_mm));
  }
  const double u_max =
      std::max(std::abs(ChannelU(-0.5)), std::abs(ChannelU(double(n_channels) - 0.5)));
  if (detector_shape == DetectorShape::kArc && u_max / source_to_detector_mm >= M_PI / 2) {
    fail("channel_spacing_mm", "an arc detector spanning less than ±90° fan angle",
         ToText(u_max / source_to_detector_mm * 180 / M_PI) + "°");
  }
  ValidateTrajectory(where);
}

void ScanGeometry::ValidateTrajectory(const std::string& where) const {
  const struct {
    const std::vector<double>* values;
    const char* name;
  } per_view[] = {{&source_z_mm, "source_z_mm"},
                  {&source_shift_angle_rad, "source_shift_angle_rad"},
                  {&source_shift_z_mm, "source_shift_z_mm"},
                  {&source_shift_radius_mm, "source_shift_radius_mm"}};
  for (const auto& [values, name] : per_view) {
    if (values->empty()) continue;
    if (kind != ScanKind::kCone) {
      throw InputError(where + ": " + name, "no per-view source positions (cone beam only)",
                       std::string("a ") + ToString(kind) + "-beam scan with " + name);
    }
    if (int64_t(values->size()) != NumViews()) {
      throw InputError(where + ": " + name, ToText(NumViews()) + " values (one per view)",
                       ToText(values->size()));
    }
    for (size_t k = 0; k < values->size(); ++k) {
      if (!std::isfinite((*values)[k])) {
        throw InputError(where + ": " + name + "[" + std::to_string(k) + "]", "a finite number",
                         ToText((*values)[k]));
      }
    }
  }
  // The model needs the focal spot behind the detector: a shift below D − R (clinical focal
  // spots move about a millimetre).
  const double gap = source_to_detector_mm - source_to_isocenter_mm;
  for (int64_t k = 0; HasSourceShifts() && k < NumViews(); ++k) {
    const double shift = std::hypot(ShiftAlongU(k), ShiftAlongR(k));
    if (!(shift < 0.5 * gap)) {
      throw InputError(where + ": source shifts of view " + std::to_string(k),
                       "a focal spot within " + ToText(0.5 * gap) +
                           " mm of the unshifted source (half the source-detector gap)",
                       ToText(shift) + " mm");
    }
  }
}

void ScanGeometry::ValidateWithImage(const ImageGeometry& image, const std::string& where) const {
  Validate(where);
  image.Validate(where);
  if (kind == ScanKind::kParallel) return CheckFootprintWidths(image, where);
  const double radius = image.MaxCornerRadiusMm();
  // Every voxel must be in front of the source for every view: the footprint model divides by
  // the distance along the central ray.
  const double source_radius = source_to_isocenter_mm - MaxSourceShiftMm();
  if (radius >= 0.99 * source_radius) {
    throw InputError(where + ": image extent",
                     "an image inside the source circle (corner radius below " +
                         ToText(0.99 * source_radius) + " mm)",
                     ToText(radius) + " mm: the source would be inside the image");
  }
  CheckFootprintWidths(image, where);
}

void ScanGeometry::CheckFootprintWidths(const ImageGeometry& image,
                                        const std::string& where) const {
  // Footprints wider than the detector many times over mean a voxel size in the wrong unit (or a
  // typo); refused here, before projectors size their per-thread buffers by them.
  const double max_cells = std::max(4.0 * double(n_channels), 64.0);
  const double cells = MaxTransaxialFootprintCells(image);
  if (!(cells <= max_cells)) {
    throw InputError(
        where + ": image voxel size",
        "voxels whose footprint spans at most " + ToText(max_cells) +
            " detector channels (the detector has " + ToText(n_channels) + ")",
        ToText(image.voxel_size_mm) + " mm voxels spanning " + ToText(cells) + " channels");
  }
  if (kind == ScanKind::kCone) {
    const double max_rows = std::max(4.0 * double(n_rows), 64.0);
    const double rows = MaxAxialFootprintRows(image);
    if (!(rows <= max_rows)) {
      throw InputError(
          where + ": image slice thickness",
          "voxels whose axial footprint spans at most " + ToText(max_rows) +
              " detector rows (the detector has " + ToText(n_rows) + ")",
          ToText(image.slice_thickness_mm) + " mm slices spanning " + ToText(rows) + " rows");
    }
  }
}

double ScanGeometry::MaxTransaxialFootprintCells(const ImageGeometry& image) const {
  const double diagonal = std::sqrt(2.0) * image.voxel_size_mm;
  double width_mm = diagonal;
  if (kind != ScanKind::kParallel) {
    // A shifted focal spot is nearer to the image and farther from the detector.
    const double shift = MaxSourceShiftMm();
    const double R = source_to_isocenter_mm - shift, D = source_to_detector_mm + shift;
    const double r = std::min(image.MaxCornerRadiusMm(), 0.999 * R);
    width_mm = D * diagonal / (R - r);
    if (detector_shape == DetectorShape::kFlat) {
      const double gamma = std::asin(r / R);
      width_mm /= std::cos(gamma) * std::cos(gamma);
    }
  }
  return width_mm / channel_spacing_mm;
}

double ScanGeometry::MaxAxialFootprintRows(const ImageGeometry& image) const {
  const double shift = MaxSourceShiftMm();
  const double R = source_to_isocenter_mm - shift, D = source_to_detector_mm + shift;
  const double r = std::min(image.MaxCornerRadiusMm(), 0.999 * R);
  // The largest |z − z_source| of a voxel the detector can see: bounded by the image's extent
  // around the sources and by the detector's half height seen from the far side of the image.
  double z_source_min = 0.0, z_source_max = 0.0, shift_z = 0.0;
  for (int64_t k = 0; k < NumViews() && (HasSourceZ() || HasSourceShifts()); ++k) {
    z_source_min = std::min(z_source_min, SourceZ(k) + ShiftZ(k));
    z_source_max = std::max(z_source_max, SourceZ(k) + ShiftZ(k));
    shift_z = std::max(shift_z, std::abs(ShiftZ(k)));
  }
  const double z_image =
      std::max(image.Z(double(image.nz) - 0.5) - z_source_min, z_source_max - image.Z(-0.5));
  const double half_height =
      std::max(std::abs(RowV(-0.5)), std::abs(RowV(double(n_rows) - 0.5))) + shift_z;
  const double z_seen =
      half_height * (source_to_isocenter_mm + shift + r) / (source_to_detector_mm - shift) +
      image.slice_thickness_mm;
  const double z_max = std::max(0.0, std::min(z_image, z_seen));
  const double extent =
      image.slice_thickness_mm + std::sqrt(2.0) * image.voxel_size_mm * z_max / (R - r);
  return extent * D / (R - r) / row_spacing_mm;
}

std::vector<double> EquallySpacedAngles(int64_t n_views, double start_rad, double span_rad) {
  std::vector<double> angles(static_cast<size_t>(std::max<int64_t>(n_views, 0)));
  for (int64_t i = 0; i < n_views; ++i)
    angles[size_t(i)] = start_rad + double(i) * span_rad / double(n_views);
  return angles;
}

}  // namespace osmo
