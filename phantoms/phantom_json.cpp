// Reading user phantoms from the JSON format of docs/FORMATS.md.
// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "phantoms/phantom.h"
#include "projectors/error.h"
#include "projectors/input_file.h"

namespace osmo {

namespace {

using Json = nlohmann::json;

std::string Shorten(const Json& value) {
  std::string text = value.dump();
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

constexpr double kMaxPhantomNumber = 1e6;

// Reads `n` finite numbers from field `key` of `shape`; `positive` additionally requires > 0.
std::vector<double> Numbers(const Json& shape, const std::string& key, size_t n, bool positive,
                            const std::string& where) {
  const std::string field = where + "." + key;
  if (!shape.contains(key)) {
    throw InputError(field, std::to_string(n) + (n == 1 ? " number" : " numbers"),
                     "nothing (missing field)");
  }
  const Json& value = shape.at(key);
  std::vector<double> out;
  auto take = [&](const Json& v) {
    // |v| ≤ 1e6 (a kilometre in mm): larger sizes vanish in the chord arithmetic (squares of
    // 1e150 overflow) and describe no object a scanner holds.
    if (!v.is_number() || !(std::abs(v.get<double>()) <= kMaxPhantomNumber) ||
        (positive && !(v.get<double>() > 0.0))) {
      throw InputError(field,
                       std::string(positive ? "positive " : "finite ") +
                           (n == 1 ? "number" : "numbers") + " of magnitude at most 1e6",
                       Shorten(value));
    }
    out.push_back(v.get<double>());
  };
  if (n == 1) {
    take(value);
  } else {
    if (!value.is_array() || value.size() != n) {
      throw InputError(field, "an array of " + std::to_string(n) + " numbers", Shorten(value));
    }
    for (const Json& v : value) take(v);
  }
  return out;
}

}  // namespace

Phantom ParsePhantomJson(const std::string& text, const std::string& where) {
  Json root;
  try {
    root = ParseJsonWithDepthLimit<Json>(text, where);
  } catch (const Json::parse_error& e) {
    throw InputError(where, "valid JSON", std::string("a syntax error (") + e.what() + ")");
  }
  if (!root.is_object()) throw InputError(where, "a JSON object", Shorten(root));
  const bool has_2d = root.contains("ellipses"), has_3d = root.contains("ellipsoids");
  if (has_2d == has_3d) {
    throw InputError(where, "exactly one of the keys \"ellipses\" (2D) or \"ellipsoids\" (3D)",
                     has_2d ? "both" : "neither");
  }
  for (const auto& item : root.items()) {
    if (item.key() != "ellipses" && item.key() != "ellipsoids" && item.key() != "name") {
      throw InputError(where + ": key \"" + item.key() + "\"", "\"ellipses\" or \"ellipsoids\"",
                       "an unknown key");
    }
  }
  Phantom phantom;
  phantom.is_3d = has_3d;
  phantom.name =
      root.contains("name") && root["name"].is_string() ? root["name"].get<std::string>() : where;
  const std::string list_key = has_3d ? "ellipsoids" : "ellipses";
  const Json& list = root.at(list_key);
  if (!list.is_array() || list.empty()) {
    throw InputError(where + ": " + list_key, "a non-empty array of shapes", Shorten(list));
  }
  const size_t dims = has_3d ? 3 : 2;
  const std::set<std::string> known = {"center_mm", "semi_axes_mm", "angle_deg", "value_per_mm"};
  for (size_t n = 0; n < list.size(); ++n) {
    const std::string shape_where = where + ": " + list_key + "[" + std::to_string(n) + "]";
    const Json& shape = list[n];
    if (!shape.is_object()) throw InputError(shape_where, "an object", Shorten(shape));
    for (const auto& item : shape.items()) {
      if (!known.count(item.key())) {
        throw InputError(shape_where + "." + item.key(),
                         "only center_mm, semi_axes_mm, angle_deg, value_per_mm", "an unknown key");
      }
    }
    const auto center = Numbers(shape, "center_mm", dims, false, shape_where);
    const auto axes = Numbers(shape, "semi_axes_mm", dims, true, shape_where);
    const double angle =
        shape.contains("angle_deg") ? Numbers(shape, "angle_deg", 1, false, shape_where)[0] : 0.0;
    const double value = Numbers(shape, "value_per_mm", 1, false, shape_where)[0];
    Ellipsoid e;
    e.center_mm = {center[0], center[1], has_3d ? center[2] : 0.0};
    e.semi_axes_mm = {axes[0], axes[1], has_3d ? axes[2] : std::numeric_limits<double>::infinity()};
    e.angle_rad = angle * M_PI / 180.0;
    e.value_per_mm = value;
    phantom.shapes.push_back(e);
  }
  return phantom;
}

Phantom LoadPhantomJson(const std::string& path) {
  RequireRegularFile(path, "a phantom (JSON)");
  std::ifstream in(path);
  if (!in) throw InputError(path, "a readable phantom JSON file", "a file that cannot be opened");
  std::stringstream text;
  text << in.rdbuf();
  return ParsePhantomJson(text.str(), path);
}

Phantom LoadPhantom(const std::string& name_or_path) {
  for (const auto& n : BuiltinPhantomNames()) {
    if (n == name_or_path) return BuiltinPhantom(n);
  }
  if (name_or_path.find('.') == std::string::npos && name_or_path.find('/') == std::string::npos) {
    return BuiltinPhantom(name_or_path);  // throws, listing the names
  }
  return LoadPhantomJson(name_or_path);
}

}  // namespace osmo
