// ScanGeometry validation and derived quantities.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/scan_geometry.h"

#include <algorithm>
#include <cmath>

#include "projectors/error.h"

namespace osmo {

const char* ToString(ScanKind kind) {
  switch (kind) {
    case ScanKind::kParallel: return "parallel";
    case ScanKind::kFan: return "fan";
    case ScanKind::kCone: return "cone";
  }
  return "?";
}

const char* ToString(DetectorShape shape) {
  return shape == DetectorShape::kArc ? "arc" : "flat";
}

ScanKind ParseScanKind(const std::string& text, const std::string& where) {
  if (text == "parallel") return ScanKind::kParallel;
  if (text == "fan") return ScanKind::kFan;
  if (text == "cone") return ScanKind::kCone;
  throw InputError(where, "\"parallel\", \"fan\" or \"cone\"", "\"" + text + "\"");
}

DetectorShape ParseDetectorShape(const std::string& text, const std::string& where) {
  if (text == "flat") return DetectorShape::kFlat;
  if (text == "arc") return DetectorShape::kArc;
  throw InputError(where, "\"flat\" or \"arc\"", "\"" + text + "\"");
}

double ScanGeometry::FanAngle(double u_mm) const {
  if (detector_shape == DetectorShape::kArc) return u_mm / source_to_detector_mm;
  return std::atan(u_mm / source_to_detector_mm);
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
    if (!(value > 0.0) || !std::isfinite(value)) fail(field, "a positive finite number", ToText(value));
  };
  if (n_channels < 1) fail("n_channels", "at least 1 channel", ToText(n_channels));
  if (n_rows < 1) fail("n_rows", "at least 1 row", ToText(n_rows));
  if (angles_rad.empty()) fail("angles_rad", "at least one view", "0 views");
  for (size_t i = 0; i < angles_rad.size(); ++i) {
    if (!std::isfinite(angles_rad[i])) {
      fail("angles_rad[" + std::to_string(i) + "]", "a finite angle", ToText(angles_rad[i]));
    }
  }
  require_positive(channel_spacing_mm, "channel_spacing_mm");
  if (n_rows > 1 || kind == ScanKind::kCone) require_positive(row_spacing_mm, "row_spacing_mm");
  if (!std::isfinite(channel_offset)) fail("channel_offset", "a finite number of cells", ToText(channel_offset));
  if (!std::isfinite(row_offset)) fail("row_offset", "a finite number of cells", ToText(row_offset));
  if (kind == ScanKind::kParallel) return;
  require_positive(source_to_isocenter_mm, "source_to_isocenter_mm");
  require_positive(source_to_detector_mm, "source_to_detector_mm");
  if (source_to_detector_mm <= source_to_isocenter_mm) {
    fail("source_to_detector_mm", "more than source_to_isocenter_mm (" +
         ToText(source_to_isocenter_mm) + ")", ToText(source_to_detector_mm));
  }
  const double u_max = std::max(std::abs(ChannelU(-0.5)), std::abs(ChannelU(double(n_channels) - 0.5)));
  if (detector_shape == DetectorShape::kArc && u_max / source_to_detector_mm >= M_PI / 2) {
    fail("channel_spacing_mm", "an arc detector spanning less than ±90° fan angle",
         ToText(u_max / source_to_detector_mm * 180 / M_PI) + "°");
  }
}

void ScanGeometry::ValidateWithImage(const ImageGeometry& image, const std::string& where) const {
  Validate(where);
  image.Validate(where);
  if (kind == ScanKind::kParallel) return;
  const double radius = image.MaxCornerRadiusMm();
  // Every voxel must be in front of the source for every view: the footprint model divides by
  // the distance along the central ray.
  if (radius >= 0.99 * source_to_isocenter_mm) {
    throw InputError(where + ": image extent",
                     "an image inside the source circle (corner radius below " +
                         ToText(0.99 * source_to_isocenter_mm) + " mm)",
                     ToText(radius) + " mm: the source would be inside the image");
  }
}

std::vector<double> EquallySpacedAngles(int64_t n_views, double start_rad, double span_rad) {
  std::vector<double> angles(size_t(std::max<int64_t>(n_views, 0)));
  for (int64_t i = 0; i < n_views; ++i) angles[size_t(i)] = start_rad + double(i) * span_rad / double(n_views);
  return angles;
}

}  // namespace osmo
