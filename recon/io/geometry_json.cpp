// Scan geometry JSON files and presets.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/geometry_json.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "projectors/error.h"
#include "projectors/geometry_presets.h"
#include "projectors/helical_trajectory.h"
#include "projectors/input_file.h"

namespace osmo {

namespace {

using Json = nlohmann::json;

double Number(const Json& root, const std::string& key, const std::string& where) {
  if (!root.contains(key))
    throw InputError(where + ": " + key, "a number", "nothing (missing key)");
  const Json& v = root.at(key);
  if (!v.is_number() || !std::isfinite(v.get<double>())) {
    throw InputError(where + ": " + key, "a finite number", v.dump());
  }
  return v.get<double>();
}

int64_t Count(const Json& root, const std::string& key, const std::string& where) {
  const double v = Number(root, key, where);
  if (v < 1 || v != std::floor(v) || v > 1e9) {
    throw InputError(where + ": " + key, "a whole number ≥ 1", ToText(v));
  }
  return int64_t(v);
}

std::string Text(const Json& root, const std::string& key, const std::string& where) {
  if (!root.contains(key))
    throw InputError(where + ": " + key, "a string", "nothing (missing key)");
  if (!root.at(key).is_string())
    throw InputError(where + ": " + key, "a string", root.at(key).dump());
  return root.at(key).get<std::string>();
}

// An explicit per-view list (its length is checked by ScanGeometry::Validate).
std::vector<double> NumberList(const Json& value, const std::string& where) {
  if (!value.is_array() || value.empty())
    throw InputError(where, "a non-empty array of numbers", value.dump().substr(0, 40));
  std::vector<double> numbers;
  for (const Json& v : value) {
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      throw InputError(where, "finite numbers", v.dump());
    numbers.push_back(v.get<double>());
  }
  return numbers;
}

// "source_z_mm": [z_0, z_1, …] or {"pitch": p, "start_mm": z0} (HelicalSourceZ).
std::vector<double> SourceZ(const Json& value, const ScanGeometry& g, const std::string& where) {
  if (!value.is_object()) return NumberList(value, where);
  for (const auto& item : value.items()) {
    if (item.key() != "pitch" && item.key() != "start_mm")
      throw InputError(where + ": " + item.key(), "pitch or start_mm", "an unknown key");
  }
  const double pitch = Number(value, "pitch", where);
  if (pitch == 0.0) throw InputError(where + ": pitch", "a non-zero pitch", "0");
  const double start = value.contains("start_mm") ? Number(value, "start_mm", where) : 0.0;
  return HelicalSourceZ(g, pitch, start);
}

}  // namespace

ScanGeometry ParseGeometryJson(const std::string& text, const std::string& where) {
  Json root;
  try {
    root = ParseJsonWithDepthLimit<Json>(text, where);
  } catch (const Json::parse_error& e) {
    throw InputError(where, "valid JSON", std::string("a syntax error (") + e.what() + ")");
  }
  if (!root.is_object()) throw InputError(where, "a JSON object", root.dump().substr(0, 40));
  static const std::set<std::string> kKnownKeys = {"kind",
                                                   "detector_shape",
                                                   "source_to_isocenter_mm",
                                                   "source_to_detector_mm",
                                                   "channel_spacing_mm",
                                                   "row_spacing_mm",
                                                   "channel_offset",
                                                   "row_offset",
                                                   "n_channels",
                                                   "n_rows",
                                                   "n_views",
                                                   "angle_start_deg",
                                                   "angle_span_deg",
                                                   "angles_rad",
                                                   "source_z_mm",
                                                   "source_shift_angle_rad",
                                                   "source_shift_z_mm",
                                                   "source_shift_radius_mm"};
  for (const auto& item : root.items()) {
    if (!kKnownKeys.count(item.key()))
      throw InputError(where + ": " + item.key(), "a geometry key", "an unknown key");
  }
  ScanGeometry g;
  g.kind = ParseScanKind(Text(root, "kind", where), where + ": kind");
  if (g.kind != ScanKind::kParallel) {
    g.detector_shape =
        ParseDetectorShape(Text(root, "detector_shape", where), where + ": detector_shape");
    g.source_to_isocenter_mm = Number(root, "source_to_isocenter_mm", where);
    g.source_to_detector_mm = Number(root, "source_to_detector_mm", where);
  }
  g.n_channels = Count(root, "n_channels", where);
  g.n_rows = root.contains("n_rows") ? Count(root, "n_rows", where) : 1;
  g.channel_spacing_mm = Number(root, "channel_spacing_mm", where);
  if (root.contains("row_spacing_mm"))
    g.row_spacing_mm = Number(root, "row_spacing_mm", where);
  else if (g.kind == ScanKind::kCone)
    throw InputError(where + ": row_spacing_mm", "a number", "nothing (missing key)");
  if (root.contains("channel_offset")) g.channel_offset = Number(root, "channel_offset", where);
  if (root.contains("row_offset")) g.row_offset = Number(root, "row_offset", where);
  const bool explicit_angles = root.contains("angles_rad");
  if (explicit_angles) {
    for (const char* key : {"n_views", "angle_start_deg", "angle_span_deg"}) {
      if (root.contains(key)) {
        throw InputError(where + ": " + key,
                         "either angles_rad or n_views/angle_start_deg/angle_span_deg", "both");
      }
    }
    const Json& angles = root.at("angles_rad");
    if (!angles.is_array() || angles.empty()) {
      throw InputError(where + ": angles_rad", "a non-empty array of angles",
                       angles.dump().substr(0, 40));
    }
    for (const Json& a : angles) {
      if (!a.is_number() || !std::isfinite(a.get<double>())) {
        throw InputError(where + ": angles_rad", "finite numbers", a.dump());
      }
      g.angles_rad.push_back(a.get<double>());
    }
  } else {
    const int64_t n = Count(root, "n_views", where);
    const double start =
        root.contains("angle_start_deg") ? Number(root, "angle_start_deg", where) : 0.0;
    const double span = root.contains("angle_span_deg")
                            ? Number(root, "angle_span_deg", where)
                            : (g.kind == ScanKind::kParallel ? 180.0 : 360.0);
    g.angles_rad = EquallySpacedAngles(n, start * M_PI / 180.0, span * M_PI / 180.0);
  }
  if (root.contains("source_z_mm")) {
    if (g.kind != ScanKind::kCone) {
      throw InputError(where + ": source_z_mm", "a cone-beam geometry (kind \"cone\")",
                       std::string("kind \"") + ToString(g.kind) + "\"");
    }
    g.source_z_mm = SourceZ(root.at("source_z_mm"), g, where + ": source_z_mm");
  }
  for (const auto& [key, values] :
       {std::pair{"source_shift_angle_rad", &g.source_shift_angle_rad},
        std::pair{"source_shift_z_mm", &g.source_shift_z_mm},
        std::pair{"source_shift_radius_mm", &g.source_shift_radius_mm}}) {
    if (root.contains(key)) *values = NumberList(root.at(key), where + ": " + key);
  }
  g.Validate(where);
  return g;
}

ScanGeometry LoadGeometry(const std::string& preset_or_path) {
  for (const std::string& name : GeometryPresetNames()) {
    if (name == preset_or_path) return GeometryPreset(name);
  }
  struct stat info;
  if (stat(preset_or_path.c_str(), &info) == 0)
    RequireRegularFile(preset_or_path, "a geometry (JSON)");
  std::ifstream in(preset_or_path);
  if (!in) {
    std::string names;
    for (const auto& n : GeometryPresetNames()) names += (names.empty() ? "" : ", ") + n;
    throw SettingError("geometry", "a preset (" + names + ") or a readable JSON file",
                       "\"" + preset_or_path + "\"");
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseGeometryJson(text.str(), preset_or_path);
}

}  // namespace osmo
