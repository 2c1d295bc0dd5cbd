// Phantom-study configurations: reading and validation.
// SPDX-License-Identifier: Apache-2.0
#include "recon/cli/study_config.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "phantoms/scan_simulation.h"
#include "projectors/error.h"
#include "projectors/input_file.h"
#include "recon/cli/batch_manifest.h"
#include "recon/cli/recon_command.h"
#include "recon/cli/setting_flags.h"

namespace osmo::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

double Number(const Json& j, const std::string& where) {
  if (!j.is_number() || !std::isfinite(j.get<double>()))
    throw InputError(where, "a number", j.dump());
  return j.get<double>();
}

// A grid size as the CLI's comma list: a number, a JSON array of 1..max numbers, or the CLI
// string itself ("160,160"); the grid options check the values.
std::string SizeList(const Json& j, const std::string& where, size_t min_count, size_t max_count,
                     const std::string& expected) {
  if (j.is_string()) return j.get<std::string>();
  std::vector<Json> items;
  if (j.is_number()) {
    items.push_back(j);
  } else if (j.is_array() && j.size() >= min_count && j.size() <= max_count) {
    items.assign(j.begin(), j.end());
  } else {
    throw InputError(where, expected, j.dump().substr(0, 80));
  }
  std::string text;
  for (const Json& item : items) {
    if (!item.is_number()) throw InputError(where, expected, j.dump().substr(0, 80));
    text += (text.empty() ? "" : ",") + ToText(item.get<double>());
  }
  return text;
}

std::string Text(const Json& j, const std::string& where) {
  if (!j.is_string()) throw InputError(where, "a string", j.dump());
  return j.get<std::string>();
}

void CheckKeys(const Json& object, const std::set<std::string>& known, const std::string& where) {
  for (const auto& item : object.items()) {
    if (!known.count(item.key()))
      throw InputError(where + ": key \"" + item.key() + "\"", "a known key", "an unknown key");
  }
}

// Study recon options: the keys that choose reconstruction settings (files, grid, threads and
// outputs are the study's own).
const std::set<std::string> kStudyReconKeys = {
    "algorithm",      "subsets",      "iterations",      "beta",          "beta-relative",
    "delta",          "potential",    "neighborhood",    "kappa",         "init",
    "restart",        "relax",        "relax-power",     "ogm-last-rule", "curvature",
    "upper-bound",    "support",      "cost-every",      "tolerance",     "weights",
    "target-fwhm-mm", "tolerance-on", "subset-schedule", "denominator",   "nonuniform-floor"};

Json ReadRoot(const std::string& path) {
  RequireRegularFile(path, "a study configuration (JSON)");
  std::ifstream in(path);
  if (!in)
    throw InputError(path, "a readable study configuration", "no such file (or no permission)");
  Json root;
  try {
    root = ParseJsonWithDepthLimit<Json>(in, path);
  } catch (const Json::parse_error& e) {
    throw InputError(path, "valid JSON", std::string("a syntax error (") + e.what() + ")");
  }
  if (!root.is_object()) throw InputError(path, "a JSON object", root.type_name());
  CheckKeys(root,
            {"phantom", "geometry", "doses", "electronic_noise_std", "realisations", "seed",
             "rays_per_cell", "bowtie_mm", "image_size", "voxel_size_mm", "methods", "rois",
             "contrasts", "window_hu", "mu_water_per_mm"},
            path);
  return root;
}

Dose ReadDose(const Json& d, const std::string& where, double default_sigma) {
  Dose dose;
  dose.electronic_noise_std = default_sigma;
  if (d.is_number()) {
    dose.incident_counts = Number(d, where);
  } else if (d.is_object()) {
    CheckKeys(d, {"incident_counts", "electronic_noise_std"}, where);
    if (!d.contains("incident_counts"))
      throw InputError(where + ".incident_counts", "a number", "nothing");
    dose.incident_counts = Number(d["incident_counts"], where + ".incident_counts");
    if (d.contains("electronic_noise_std"))
      dose.electronic_noise_std =
          Number(d["electronic_noise_std"], where + ".electronic_noise_std");
  } else {
    throw InputError(where, "a number of counts or {\"incident_counts\": …}", d.dump());
  }
  DoseOptions check;
  check.incident_counts = dose.incident_counts;
  check.electronic_noise_std = dose.electronic_noise_std;
  try {
    check.Validate();
  } catch (const SettingError& e) {  // "dose.incident_counts" → "doses[0].incident_counts"
    throw e.Reworded(where + e.field().substr(e.field().find('.')));
  }
  return dose;
}

void ReadDoses(const Json& root, const std::string& path, StudyConfig* c) {
  const double sigma = root.contains("electronic_noise_std")
                           ? Number(root["electronic_noise_std"], path + ": electronic_noise_std")
                           : 0.0;
  if (!root.contains("doses") || !root["doses"].is_array() || root["doses"].empty()) {
    throw InputError(path + ": doses", "a non-empty array of incident counts",
                     root.value("doses", Json()).dump());
  }
  for (size_t n = 0; n < root["doses"].size(); ++n) {
    c->doses.push_back(
        ReadDose(root["doses"][n], path + ": doses[" + std::to_string(n) + "]", sigma));
  }
}

// realisations, seed, sampling, grid, units and display window.
void ReadScalars(const Json& root, const std::string& path, StudyConfig* c) {
  if (root.contains("realisations")) {
    const double r = Number(root["realisations"], path + ": realisations");
    if (r < 1 || r != std::floor(r) || r > 1000)
      throw InputError(path + ": realisations", "a whole number 1–1000", ToText(r));
    c->realisations = int64_t(r);
  }
  // Range checks before every float-to-integer conversion (out-of-range casts are undefined).
  auto whole = [&](const char* key, double lo, double hi) {
    const double v = Number(root[key], path + ": " + key);
    if (!(v >= lo && v <= hi) || v != std::floor(v)) {
      throw InputError(path + ": " + key, "a whole number from " + ToText(lo) + " to " + ToText(hi),
                       ToText(v));
    }
    return v;
  };
  if (root.contains("seed")) c->seed = uint64_t(whole("seed", 0, 9007199254740992.0));
  if (root.contains("rays_per_cell")) c->rays_per_cell = int(whole("rays_per_cell", 1, 64));
  if (root.contains("bowtie_mm")) c->bowtie_mm = Number(root["bowtie_mm"], path + ": bowtie_mm");
  if (root.contains("image_size")) {
    c->image_size =
        SizeList(root["image_size"], path + ": image_size", 1, 3, "a size NX or [NX, NY, NZ]");
  }
  if (root.contains("voxel_size_mm")) {
    c->voxel_size_mm = SizeList(root["voxel_size_mm"], path + ": voxel_size_mm", 1, 2,
                                "a size DX or [DX, DZ] in mm");
  }
  if (root.contains("mu_water_per_mm")) {
    c->mu_water = Number(root["mu_water_per_mm"], path + ": mu_water_per_mm");
    if (!(c->mu_water > 0.0)) {
      throw InputError(path + ": mu_water_per_mm", "a positive μ of water (1/mm)",
                       ToText(c->mu_water));
    }
  }
  if (root.contains("window_hu")) {
    const Json& w = root["window_hu"];
    if (!w.is_array() || w.size() != 2)
      throw InputError(path + ": window_hu", "[low, high] in HU", w.dump());
    c->window_lo = Number(w[0], path + ": window_hu[0]");
    c->window_hi = Number(w[1], path + ": window_hu[1]");
    if (!(c->window_hi > c->window_lo))
      throw InputError(path + ": window_hu", "low < high", w.dump());
  }
}

void ReadFbpMethod(const Json& m, const std::string& where, Method* method) {
  if (m.contains("options"))
    throw InputError(where + ".options", "filter/cutoff for an FBP method", "options");
  if (m.contains("filter")) {
    method->fbp.window = ParseEnum(kFbpWindows, Text(m["filter"], where + ".filter"),
                                   where + ".filter", /*quoted=*/true);
  }
  if (m.contains("cutoff")) method->fbp.cutoff = Number(m["cutoff"], where + ".cutoff");
  try {
    method->fbp.Validate();
  } catch (const SettingError& e) {  // in the file's terms: "methods[1].cutoff"
    throw e.Reworded(where + ".cutoff");
  }
}

// The options of a recon method, parsed and checked as `osmo recon` does, errors in the file's
// terms ("methods[2].options.subsets").
void ReadReconMethod(const Json& m, const std::string& where, Method* method) {
  if (m.contains("filter") || m.contains("cutoff"))
    throw InputError(where, "options for a recon method", "filter/cutoff");
  if (!m.contains("options")) return;
  const Json& options = m["options"];
  if (!options.is_object())
    throw InputError(where + ".options", "an object of osmo recon options", options.dump());
  method->recon_options = options;
  std::vector<std::string> words = {"scan.h5", "-o", "image.mha"};
  for (const auto& item : options.items()) {
    const std::string key_where = where + ".options." + item.key();
    if (!kStudyReconKeys.count(item.key())) {
      std::string keys;
      for (const std::string& k : kStudyReconKeys) keys += (keys.empty() ? "" : ", ") + k;
      throw InputError(key_where, "a reconstruction setting (" + keys + ")", "an unknown key");
    }
    if (item.key() == "init" && item.value() != "fbp" && item.value() != "zero")
      throw InputError(key_where, "\"fbp\" or \"zero\"", item.value().dump());
    const std::vector<std::string> option = OptionWords(item.key(), item.value(), key_where);
    words.insert(words.end(), option.begin(), option.end());
    std::vector<std::string> alone = {words.begin(), words.begin() + 3};  // to blame this key
    alone.insert(alone.end(), option.begin(), option.end());
    try {
      ParseReconWords(alone);
    } catch (const CLI::ParseError& e) {
      throw InputError(key_where, "a valid value", std::string(e.what()));
    }
  }
  try {
    method->recon = SettingsFrom(ParseReconWords(words));
    method->recon.Validate();
  } catch (const SettingError& e) {  // the field's flag without "--" is the JSON key
    const std::string flag = FlagForSetting(e.field());
    throw e.Reworded(where + ".options." + (flag.empty() ? e.field() : flag.substr(2)));
  }
}

// A recon method whose options give one numeric key a list of values (a β sweep for the
// noise–resolution trade-off) as one method per value; `key` is set to that key ("" if none).
std::vector<Json> SweepVariants(const Json& m, const std::string& where, std::string* key) {
  key->clear();
  if (!m.contains("options") || !m["options"].is_object()) return {m};
  for (const auto& item : m["options"].items()) {
    if (!item.value().is_array()) continue;
    if (!key->empty()) {
      throw InputError(where + ".options." + item.key(), "a single value (one key may be a list)",
                       "a second list after \"" + *key + "\"");
    }
    *key = item.key();
  }
  if (key->empty()) return {m};
  const Json& values = m["options"][*key];
  if (values.empty() || values.size() > 20)
    throw InputError(where + ".options." + *key, "1 to 20 values", values.dump());
  std::vector<Json> variants;
  for (const Json& value : values) {
    if (!value.is_number())
      throw InputError(where + ".options." + *key, "numbers in the list", value.dump());
    Json variant = m;
    variant["options"][*key] = value;
    variants.push_back(variant);
  }
  return variants;
}

void ReadMethods(const Json& root, const std::string& path, StudyConfig* c) {
  if (!root.contains("methods") || !root["methods"].is_array() || root["methods"].empty()) {
    throw InputError(path + ": methods", "a non-empty array of methods", "nothing");
  }
  std::set<std::string> names;
  for (size_t n = 0; n < root["methods"].size(); ++n) {
    const Json& m = root["methods"][n];
    const std::string where = path + ": methods[" + std::to_string(n) + "]";
    if (!m.is_object()) throw InputError(where, "an object", m.dump());
    CheckKeys(m, {"name", "kind", "filter", "cutoff", "options"}, where);
    Method method;
    method.kind = m.contains("kind") ? Text(m["kind"], where + ".kind") : "";
    if (method.kind != "fbp" && method.kind != "recon")
      throw InputError(where + ".kind", "\"fbp\" or \"recon\"", m.value("kind", Json()).dump());
    method.name = m.contains("name") ? Text(m["name"], where + ".name") : method.kind;
    if (method.name.empty() || method.name.find_first_of("/ ") != std::string::npos ||
        !names.insert(method.name).second) {
      throw InputError(where + ".name", "a unique name without spaces or slashes",
                       "\"" + method.name + "\"");
    }
    method.family = method.name;
    if (method.kind == "fbp") {
      ReadFbpMethod(m, where, &method);
      c->methods.push_back(method);
      continue;
    }
    for (Json variant : SweepVariants(m, where, &method.sweep_key)) {
      Method swept = method;
      if (!method.sweep_key.empty()) {
        swept.sweep_value = variant["options"][method.sweep_key].get<double>();
        swept.name = method.name + "@" + method.sweep_key + "=" + ToText(swept.sweep_value);
        if (!names.insert(swept.name).second)
          throw InputError(where + ".options." + method.sweep_key, "distinct values", "a repeat");
      }
      ReadReconMethod(variant, where, &swept);
      c->methods.push_back(swept);
    }
  }
}

void ReadRois(const Json& root, const std::string& path, StudyConfig* c) {
  std::set<std::string> roi_names;
  for (size_t n = 0; n < root.value("rois", Json::array()).size(); ++n) {
    const Json& r = root["rois"][n];
    const std::string where = path + ": rois[" + std::to_string(n) + "]";
    if (!r.is_object()) throw InputError(where, "an object", r.dump());
    CheckKeys(r, {"name", "center_mm", "radius_mm"}, where);
    Roi roi;
    roi.name = r.contains("name") ? Text(r["name"], where + ".name") : "";
    if (roi.name.empty() || !roi_names.insert(roi.name).second)
      throw InputError(where + ".name", "a unique name", "\"" + roi.name + "\"");
    if (!r.contains("center_mm") || !r["center_mm"].is_array() || r["center_mm"].size() != 2) {
      throw InputError(where + ".center_mm", "[x, y] in mm", r.value("center_mm", Json()).dump());
    }
    roi.x_mm = Number(r["center_mm"][0], where + ".center_mm");
    roi.y_mm = Number(r["center_mm"][1], where + ".center_mm");
    roi.radius_mm = r.contains("radius_mm") ? Number(r["radius_mm"], where + ".radius_mm") : 0.0;
    if (!(roi.radius_mm > 0))
      throw InputError(where + ".radius_mm", "a positive radius", ToText(roi.radius_mm));
    c->rois.push_back(roi);
  }
}

void ReadContrasts(const Json& root, const std::string& path, StudyConfig* c) {
  std::set<std::string> roi_names;
  for (const Roi& roi : c->rois) roi_names.insert(roi.name);
  for (size_t n = 0; n < root.value("contrasts", Json::array()).size(); ++n) {
    const Json& k = root["contrasts"][n];
    const std::string where = path + ": contrasts[" + std::to_string(n) + "]";
    if (!k.is_object()) throw InputError(where, "an object", k.dump());
    CheckKeys(k, {"lesion", "background"}, where);
    Contrast contrast{k.contains("lesion") ? Text(k["lesion"], where + ".lesion") : "",
                      k.contains("background") ? Text(k["background"], where + ".background") : ""};
    if (!roi_names.count(contrast.lesion))
      throw InputError(where + ".lesion", "the name of a ROI", "\"" + contrast.lesion + "\"");
    if (!roi_names.count(contrast.background))
      throw InputError(where + ".background", "the name of a ROI",
                       "\"" + contrast.background + "\"");
    c->contrasts.push_back(contrast);
  }
}

}  // namespace

StudyConfig ReadStudyConfig(const std::string& path) {
  const Json root = ReadRoot(path);
  StudyConfig c;
  // Phantom and geometry files (not built-in names) are relative to the configuration's folder.
  const fs::path folder = fs::absolute(fs::path(path)).parent_path();
  auto resolve = [&](const std::string& name) {
    return name.find('.') == std::string::npos || fs::path(name).is_absolute()
               ? name
               : (folder / name).string();
  };
  if (root.contains("phantom")) c.phantom = resolve(Text(root["phantom"], path + ": phantom"));
  if (root.contains("geometry")) c.geometry = resolve(Text(root["geometry"], path + ": geometry"));
  ReadDoses(root, path, &c);
  ReadScalars(root, path, &c);
  ReadMethods(root, path, &c);
  ReadRois(root, path, &c);
  ReadContrasts(root, path, &c);
  return c;
}

// SplitMix64 finaliser over the study seed and both indices.
uint64_t StudyScanSeed(uint64_t seed, size_t d, int64_t r) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + uint64_t(d) * 1000003ull + uint64_t(r) * 7919ull + 1;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return (x ^ (x >> 31)) & 0x7FFFFFFFFFFFull;
}

}  // namespace osmo::cli
