// `osmo study`: phantom studies — doses × noise realisations × methods → metrics, tables, plots.
// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "phantoms/scan_simulation.h"
#include "projectors/error.h"
#include "recon/cli/batch_manifest.h"
#include "recon/cli/batch_runner.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/fbp.h"
#include "recon/io/atomic_output.h"
#include "recon/io/geometry_json.h"
#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"
#include "recon/metrics.h"

#ifndef OSMO_SCRIPTS_DIR
#define OSMO_SCRIPTS_DIR ""
#endif

namespace osmo::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Dose {
  double incident_counts = 0.0;
  double electronic_noise_std = 0.0;
};

struct Method {
  std::string name, kind;  // kind: "fbp" or "recon"
  FbpOptions fbp;
  Json recon_options = Json::object();
};

struct Roi {
  std::string name;
  double x_mm, y_mm, radius_mm;
};

struct Contrast {
  std::string lesion, background;
};

struct StudyConfig {
  std::string phantom = "thorax", geometry = "ge1-half";
  std::vector<Dose> doses;
  int64_t realisations = 3;
  uint64_t seed = 1;
  int rays_per_cell = 4;
  double bowtie_mm = 0.0;
  std::string image_size, voxel_size_mm;
  std::vector<Method> methods;
  std::vector<Roi> rois;
  std::vector<Contrast> contrasts;
  double window_lo = -200.0, window_hi = 200.0;
  double mu_water = 0.02;
};

struct StudyOptions {
  std::string config, output;
  int jobs = 0, threads = 0;
  bool verbose = false;
};

double Number(const Json& j, const std::string& where) {
  if (!j.is_number() || !std::isfinite(j.get<double>()))
    throw InputError(where, "a number", j.dump());
  return j.get<double>();
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

// Reads and validates a study configuration (docs/STUDY.md).
StudyConfig ReadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw InputError(path, "a readable study configuration", "no such file (or no permission)");
  Json root;
  try {
    root = Json::parse(in);
  } catch (const Json::parse_error& e) {
    throw InputError(path, "valid JSON", std::string("a syntax error (") + e.what() + ")");
  }
  if (!root.is_object()) throw InputError(path, "a JSON object", root.type_name());
  CheckKeys(root,
            {"phantom", "geometry", "doses", "electronic_noise_std", "realisations", "seed",
             "rays_per_cell", "bowtie_mm", "image_size", "voxel_size_mm", "methods", "rois",
             "contrasts", "window_hu", "mu_water_per_mm"},
            path);
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
  const double sigma = root.contains("electronic_noise_std")
                           ? Number(root["electronic_noise_std"], path + ": electronic_noise_std")
                           : 0.0;
  if (!root.contains("doses") || !root["doses"].is_array() || root["doses"].empty()) {
    throw InputError(path + ": doses", "a non-empty array of incident counts",
                     root.value("doses", Json()).dump());
  }
  for (size_t n = 0; n < root["doses"].size(); ++n) {
    const Json& d = root["doses"][n];
    const std::string where = path + ": doses[" + std::to_string(n) + "]";
    Dose dose;
    dose.electronic_noise_std = sigma;
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
    } catch (const InputError& e) {
      throw InputError(where + ": " + e.what());
    }
    c.doses.push_back(dose);
  }
  if (root.contains("realisations")) {
    const double r = Number(root["realisations"], path + ": realisations");
    if (r < 1 || r != std::floor(r) || r > 1000)
      throw InputError(path + ": realisations", "a whole number 1–1000", ToText(r));
    c.realisations = int64_t(r);
  }
  if (root.contains("seed")) c.seed = uint64_t(Number(root["seed"], path + ": seed"));
  if (root.contains("rays_per_cell"))
    c.rays_per_cell = int(Number(root["rays_per_cell"], path + ": rays_per_cell"));
  if (root.contains("bowtie_mm")) c.bowtie_mm = Number(root["bowtie_mm"], path + ": bowtie_mm");
  if (root.contains("image_size"))
    c.image_size = root["image_size"].is_number()
                       ? std::to_string(root["image_size"].get<int64_t>())
                       : Text(root["image_size"], path + ": image_size");
  if (root.contains("voxel_size_mm"))
    c.voxel_size_mm = root["voxel_size_mm"].is_number()
                          ? ToText(root["voxel_size_mm"].get<double>())
                          : Text(root["voxel_size_mm"], path + ": voxel_size_mm");
  if (root.contains("mu_water_per_mm"))
    c.mu_water = Number(root["mu_water_per_mm"], path + ": mu_water_per_mm");
  if (root.contains("window_hu")) {
    const Json& w = root["window_hu"];
    if (!w.is_array() || w.size() != 2)
      throw InputError(path + ": window_hu", "[low, high] in HU", w.dump());
    c.window_lo = Number(w[0], path + ": window_hu[0]");
    c.window_hi = Number(w[1], path + ": window_hu[1]");
    if (!(c.window_hi > c.window_lo))
      throw InputError(path + ": window_hu", "low < high", w.dump());
  }
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
    if (method.kind == "fbp") {
      if (m.contains("options"))
        throw InputError(where + ".options", "filter/cutoff for an FBP method", "options");
      if (m.contains("filter"))
        method.fbp.window = ParseFbpWindow(Text(m["filter"], where + ".filter"));
      if (m.contains("cutoff")) method.fbp.cutoff = Number(m["cutoff"], where + ".cutoff");
      method.fbp.Validate();
    } else {
      if (m.contains("filter") || m.contains("cutoff"))
        throw InputError(where, "options for a recon method", "filter/cutoff");
      if (m.contains("options")) {
        if (!m["options"].is_object())
          throw InputError(where + ".options", "an object of osmo recon options",
                           m["options"].dump());
        method.recon_options = m["options"];
      }
    }
    c.methods.push_back(method);
  }
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
    c.rois.push_back(roi);
  }
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
    c.contrasts.push_back(contrast);
  }
  return c;
}

// Reproducible seed of (dose d, realisation r): SplitMix64 of the study seed and both indices.
uint64_t ScanSeed(uint64_t seed, size_t d, int64_t r) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + uint64_t(d) * 1000003ull + uint64_t(r) * 7919ull + 1;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return (x ^ (x >> 31)) & 0x7FFFFFFFFFFFull;
}

std::string ScanName(size_t d, int64_t r) {
  return "dose" + std::to_string(d) + "_r" + std::to_string(r);
}

// A metric of one (dose, method): values over realisations (mean ± sample sd), or one value.
struct MetricRow {
  size_t dose;
  std::string method, metric, roi;
  std::vector<double> values;
};

void Summarise(const std::vector<double>& v, double* mean, double* sd) {
  double sum = 0.0;
  for (double x : v) sum += x;
  *mean = v.empty() ? 0.0 : sum / double(v.size());
  double ss = 0.0;
  for (double x : v) ss += (x - *mean) * (x - *mean);
  *sd = v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0.0;
}

void RunStudy(const StudyOptions& o) {
  InstallStopHandlers();
  const StudyConfig c = ReadConfig(o.config);
  const fs::path out(o.output);
  fs::create_directories(out / "scans");
  fs::create_directories(out / "images");
  const Phantom phantom = LoadPhantom(c.phantom);
  const ScanGeometry geometry = LoadGeometry(c.geometry);
  GridOptions grid_options;
  grid_options.size = c.image_size;
  grid_options.voxel = c.voxel_size_mm;
  const ImageGeometry grid = grid_options.Resolve(geometry);
  const std::string grid_size =
      std::to_string(grid.nx) + "," + std::to_string(grid.ny) + "," + std::to_string(grid.nz);
  const std::string grid_voxel = ToText(grid.voxel_size_mm) + "," + ToText(grid.slice_thickness_mm);

  // The recon manifest is written and validated before anything is computed.
  Json jobs = Json::array();
  for (const Method& m : c.methods) {
    if (m.kind != "recon") continue;
    fs::create_directories(out / "images" / m.name);
    for (size_t d = 0; d < c.doses.size(); ++d) {
      for (int64_t r = 0; r < c.realisations; ++r) {
        Json job = m.recon_options;
        job["name"] = m.name + "_" + ScanName(d, r);
        job["input"] = "scans/" + ScanName(d, r) + ".h5";
        job["output"] = "images/" + m.name + "/" + ScanName(d, r) + ".mha";
        job["image-size"] = grid_size;
        job["voxel-size-mm"] = grid_voxel;
        jobs.push_back(job);
      }
    }
  }
  const std::string manifest = (out / "recon_manifest.json").string();
  if (!jobs.empty()) {
    WriteAtomically(manifest, [&](const std::string& t) {
      std::ofstream(t) << Json{{"jobs", jobs}}.dump(2) << "\n";
    });
    ReadManifest(manifest);
  }
  std::ofstream(out / "config.json") << std::ifstream(o.config).rdbuf();

  // Scans: the noiseless line integrals and the reference once, then one measurement per
  // (dose, realisation); existing files (complete by construction) are kept.
  Sinogram line_integrals;
  std::optional<Image> reference;
  for (size_t d = 0; d < c.doses.size(); ++d) {
    for (int64_t r = 0; r < c.realisations; ++r) {
      const std::string path = (out / "scans" / (ScanName(d, r) + ".h5")).string();
      if (fs::exists(path)) continue;
      if (line_integrals.values.empty()) {
        Note(o.verbose, "analytic projections of " + phantom.name);
        line_integrals = AnalyticSinogram(phantom, geometry, c.rays_per_cell);
        reference = Rasterize(phantom, grid, 4);
      }
      DoseOptions dose;
      dose.incident_counts = c.doses[d].incident_counts;
      dose.electronic_noise_std = c.doses[d].electronic_noise_std;
      dose.bowtie_water_mm = c.bowtie_mm;
      dose.seed = ScanSeed(c.seed, d, r);
      ScanData scan = SimulateMeasurement(geometry, line_integrals, dose);
      scan.reference = *reference;
      WriteScanFile(path, scan);
      Note(o.verbose, "simulated " + path);
      if (StopRequested()) throw Interrupted("study interrupted; rerun it to continue");
    }
  }
  // FBP methods in-process, reconstructions as a batch (concurrent, resumable).
  for (const Method& m : c.methods) {
    if (m.kind != "fbp") continue;
    fs::create_directories(out / "images" / m.name);
    for (size_t d = 0; d < c.doses.size(); ++d) {
      for (int64_t r = 0; r < c.realisations; ++r) {
        const std::string path = (out / "images" / m.name / (ScanName(d, r) + ".mha")).string();
        if (fs::exists(path)) continue;
        const ScanData scan = ReadScanFile((out / "scans" / (ScanName(d, r) + ".h5")).string());
        WriteVolume(path, FilteredBackprojection(geometry, scan.sinogram, grid, m.fbp));
      }
    }
  }
  if (!jobs.empty()) {
    BatchOptions batch;
    batch.manifest = manifest;
    batch.jobs = o.jobs;
    batch.threads = o.threads;
    batch.verbose = o.verbose;
    RunBatch(batch);
  }

  // Metrics against the rasterised phantom, inside the object within the field of view.
  Image truth = *ReadScanFile((out / "scans" / (ScanName(0, 0) + ".h5")).string()).reference;
  if (truth.geometry.nx != grid.nx || truth.geometry.ny != grid.ny ||
      truth.geometry.nz != grid.nz) {
    throw InputError((out / "scans").string(), "scans of this study's grid",
                     "scans of another grid (old files?)");
  }
  truth.geometry = grid;  // the same grid, read back through its origin
  std::vector<uint8_t> mask = CircularMask(grid, geometry.FieldOfViewRadiusMm());
  for (size_t j = 0; j < mask.size(); ++j) mask[j] = mask[j] && truth.values[j] > 0.0f;
  auto to_hu = [&](const Image& mu) {
    Image hu = mu;
    for (float& v : hu.values) v = float(MuToHu(v, c.mu_water));
    return hu;
  };
  auto clip = [&](Image image) {
    for (float& v : image.values) v = std::min(std::max(v, float(c.window_lo)), float(c.window_hi));
    return image;
  };
  const Image truth_hu = to_hu(truth);
  const Image truth_clipped = clip(truth_hu);
  std::map<std::string, std::vector<uint8_t>> roi_masks;
  for (const Roi& roi : c.rois)
    roi_masks[roi.name] = DiscMask(grid, roi.x_mm, roi.y_mm, roi.radius_mm);
  std::vector<MetricRow> rows;
  std::ostringstream per_image;
  per_image << "dose_index,incident_counts,method,realisation,rmse_hu,ssim\n";
  for (size_t d = 0; d < c.doses.size(); ++d) {
    for (const Method& m : c.methods) {
      std::vector<Image> images;
      MetricRow rmse{d, m.name, "rmse_hu", "", {}}, ssim{d, m.name, "ssim", "", {}};
      std::map<std::string, MetricRow> roi_means, cnrs;
      for (int64_t r = 0; r < c.realisations; ++r) {
        Image hu =
            to_hu(ReadVolume((out / "images" / m.name / (ScanName(d, r) + ".mha")).string()));
        hu.geometry = grid;
        rmse.values.push_back(RmsdHu(hu, truth_hu, mask, 1000.0));  // both already in HU
        ssim.values.push_back(SsimVolume(clip(hu), truth_clipped, c.window_hi - c.window_lo));
        per_image << d << "," << c.doses[d].incident_counts << "," << m.name << "," << r << ","
                  << rmse.values.back() << "," << ssim.values.back() << "\n";
        for (const Roi& roi : c.rois) {
          auto& row =
              roi_means.try_emplace(roi.name, MetricRow{d, m.name, "roi_mean_hu", roi.name, {}})
                  .first->second;
          row.values.push_back(Statistics(hu, roi_masks[roi.name]).mean);
        }
        for (const Contrast& k : c.contrasts) {
          const RegionStatistics lesion = Statistics(hu, roi_masks[k.lesion]);
          const RegionStatistics background = Statistics(hu, roi_masks[k.background]);
          auto& row =
              cnrs.try_emplace(k.lesion,
                               MetricRow{d, m.name, "cnr", k.lesion + "/" + k.background, {}})
                  .first->second;
          row.values.push_back(background.sd > 0 ? (lesion.mean - background.mean) / background.sd
                                                 : 0.0);
        }
        images.push_back(std::move(hu));
      }
      rows.push_back(rmse);
      rows.push_back(ssim);
      // Bias and noise across realisations: the mean image's RMS error and the RMS of the
      // per-voxel sample standard deviation, over the object and per ROI.
      const size_t n_voxels = truth.values.size();
      std::vector<double> mean(n_voxels, 0.0), sd(n_voxels, 0.0);
      for (const Image& image : images) {
        for (size_t j = 0; j < n_voxels; ++j) mean[j] += image.values[j] / double(images.size());
      }
      for (const Image& image : images) {
        for (size_t j = 0; j < n_voxels; ++j) sd[j] += std::pow(image.values[j] - mean[j], 2);
      }
      for (double& s : sd) s = images.size() > 1 ? std::sqrt(s / double(images.size() - 1)) : 0.0;
      auto rms_over = [&](const std::vector<uint8_t>& region, auto value) {
        double sum = 0.0;
        int64_t count = 0;
        for (size_t j = 0; j < n_voxels; ++j) {
          if (!region[j]) continue;
          sum += value(j) * value(j);
          ++count;
        }
        return count > 0 ? std::sqrt(sum / double(count)) : 0.0;
      };
      rows.push_back({d, m.name, "bias_hu", "", {rms_over(mask, [&](size_t j) {
                        return mean[j] - truth_hu.values[j];
                      })}});
      if (images.size() > 1)
        rows.push_back(
            {d, m.name, "noise_hu", "", {rms_over(mask, [&](size_t j) { return sd[j]; })}});
      for (const Roi& roi : c.rois) {
        rows.push_back(roi_means.at(roi.name));
        const auto& region = roi_masks[roi.name];
        double bias = 0.0;
        int64_t count = 0;
        for (size_t j = 0; j < n_voxels; ++j) {
          if (region[j]) {
            bias += mean[j] - truth_hu.values[j];
            ++count;
          }
        }
        rows.push_back(
            {d, m.name, "roi_bias_hu", roi.name, {count > 0 ? bias / double(count) : 0.0}});
        if (images.size() > 1)
          rows.push_back({d, m.name, "roi_noise_hu", roi.name, {rms_over(region, [&](size_t j) {
                            return sd[j];
                          })}});
      }
      for (auto& [name, row] : cnrs) rows.push_back(row);
    }
  }

  // Outputs: tidy CSV and JSON, per-image CSV, Markdown report; then the plots.
  Json metrics = Json::array();
  std::ostringstream csv;
  csv << "dose_index,incident_counts,electronic_noise_std,method,metric,roi,mean,sd,n\n";
  for (const MetricRow& row : rows) {
    double mean = 0.0, sd = 0.0;
    Summarise(row.values, &mean, &sd);
    csv << row.dose << "," << c.doses[row.dose].incident_counts << ","
        << c.doses[row.dose].electronic_noise_std << "," << row.method << "," << row.metric << ","
        << row.roi << "," << mean << "," << sd << "," << row.values.size() << "\n";
    metrics.push_back({{"dose_index", row.dose},
                       {"incident_counts", c.doses[row.dose].incident_counts},
                       {"electronic_noise_std", c.doses[row.dose].electronic_noise_std},
                       {"method", row.method},
                       {"metric", row.metric},
                       {"roi", row.roi},
                       {"mean", mean},
                       {"sd", sd},
                       {"n", row.values.size()},
                       {"values", row.values}});
  }
  WriteAtomically((out / "metrics.csv").string(),
                  [&](const std::string& t) { std::ofstream(t) << csv.str(); });
  WriteAtomically((out / "metrics.json").string(),
                  [&](const std::string& t) { std::ofstream(t) << metrics.dump(2) << "\n"; });
  WriteAtomically((out / "metrics_per_image.csv").string(),
                  [&](const std::string& t) { std::ofstream(t) << per_image.str(); });

  std::ostringstream report;
  report << "# Phantom study\n\nPhantom `" << phantom.name << "`, geometry `" << c.geometry << "`, "
         << c.realisations << " noise realisation(s) per dose, grid " << grid.nx << "×" << grid.ny
         << "×" << grid.nz << " of " << ToText(grid.voxel_size_mm)
         << " mm. Metrics against the rasterised phantom inside the object "
         << "(HU; SSIM on images clipped to [" << c.window_lo << ", " << c.window_hi
         << "] HU): mean ± sd over "
         << "realisations. Data: [metrics.csv](metrics.csv), [metrics.json](metrics.json), "
         << "[per image](metrics_per_image.csv).\n";
  for (const std::string metric : {"rmse_hu", "ssim", "bias_hu", "noise_hu", "cnr"}) {
    std::set<std::string> rois;
    for (const MetricRow& row : rows)
      if (row.metric == metric) rois.insert(row.roi);
    for (const std::string& roi : rois) {
      report << "\n## " << metric << (roi.empty() ? "" : " (" + roi + ")") << "\n\n| method |";
      for (const Dose& dose : c.doses) report << " I0 = " << dose.incident_counts << " |";
      report << "\n|---|";
      for (size_t d = 0; d < c.doses.size(); ++d) report << "---|";
      for (const Method& m : c.methods) {
        report << "\n| " << m.name << " |";
        for (size_t d = 0; d < c.doses.size(); ++d) {
          for (const MetricRow& row : rows) {
            if (row.metric != metric || row.roi != roi || row.method != m.name || row.dose != d)
              continue;
            double mean = 0.0, sd = 0.0;
            Summarise(row.values, &mean, &sd);
            std::ostringstream cell;
            cell.precision(metric == "ssim" ? 4 : 3);
            cell << mean;
            if (row.values.size() > 1) cell << " ± " << sd;
            report << " " << cell.str() << " |";
          }
        }
      }
      report << "\n";
    }
  }
  const std::string script = std::string(OSMO_SCRIPTS_DIR) + "/study_plots.py";
  bool plotted = false;
  if (fs::exists(script) && fs::exists("/usr/bin/python3")) {
    const std::string command = "/usr/bin/python3 '" + script + "' '" + out.string() + "' > '" +
                                (out / "plots.log").string() + "' 2>&1";
    plotted = std::system(command.c_str()) == 0;
  }
  report << "\n## Figures\n\n";
  if (plotted) {
    report << "![RMSE vs dose](rmse_vs_dose.png)\n![Noise vs dose](noise_vs_dose.png)\n";
    for (size_t d = 0; d < c.doses.size(); ++d)
      report << "![dose " << d << "](panel_dose" << d << ".png)\n";
  } else {
    report << "Plots not made (needs " << script << " and python3-matplotlib; see plots.log).\n";
  }
  WriteAtomically((out / "report.md").string(),
                  [&](const std::string& t) { std::ofstream(t) << report.str(); });
  std::cout << "osmo study: " << rows.size() << " metric rows for " << c.doses.size()
            << " dose(s) × " << c.realisations << " realisation(s) × " << c.methods.size()
            << " method(s); report " << (out / "report.md").string() << "\n";
}

}  // namespace

void RegisterStudy(CLI::App& app) {
  auto o = std::make_shared<StudyOptions>();
  CLI::App* sub = app.add_subcommand("study",
                                     "Phantom study: doses × noise realisations × methods → "
                                     "metrics, tables, plots (docs/STUDY.md)");
  sub->add_option("config", o->config, "Study configuration (JSON)")->required();
  sub->add_option("-o,--output", o->output, "Output folder (created; a rerun resumes)")->required();
  sub->add_option("--jobs", o->jobs, "Concurrent reconstructions (default: cores / threads)");
  sub->add_option("--threads", o->threads,
                  "OpenMP threads per reconstruction (default: 1 when jobs run side by side)");
  sub->add_flag("-v,--verbose", o->verbose, "Report each step on stderr");
  sub->callback([o] { RunStudy(*o); });
}

}  // namespace osmo::cli
