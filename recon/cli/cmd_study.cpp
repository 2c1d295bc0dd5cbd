// `osmo study`: phantom studies — doses × noise realisations × methods → metrics, tables, plots.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
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
#include "projectors/input_file.h"
#include "recon/cli/batch_manifest.h"
#include "recon/cli/batch_runner.h"
#include "recon/cli/child_process.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/cli/study_config.h"
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

struct StudyOptions {
  std::string config, output;
  int jobs = 0, threads = 0;
  bool verbose = false;
  ProgressOptions progress;
};

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

// One Markdown table per ROI: for each method and dose the mean over realisations of the ROI's
// mean, its bias (mean image − truth, averaged over the ROI) and its noise (RMS over the ROI of
// the per-voxel sd across realisations), in HU. A bias hides in the global RMSE; here it shows.
std::string RoiTables(const StudyConfig& c, const std::vector<MetricRow>& rows) {
  std::ostringstream text;
  auto cell = [&](const std::string& metric, const std::string& roi, const std::string& method,
                  size_t dose) -> std::string {
    for (const MetricRow& row : rows) {
      if (row.metric != metric || row.roi != roi || row.method != method || row.dose != dose)
        continue;
      double mean = 0.0, sd = 0.0;
      Summarise(row.values, &mean, &sd);
      std::ostringstream value;
      value.precision(1);  // 0.1 HU
      value << std::fixed << mean;
      return value.str();
    }
    return "–";
  };
  for (const Roi& roi : c.rois) {
    text << "\n## ROI " << roi.name << " (centre " << roi.x_mm << ", " << roi.y_mm << " mm, radius "
         << roi.radius_mm << " mm): mean, bias, noise in HU\n\n"
         << "| method | I0 | mean | bias | noise |\n|---|---|---|---|---|\n";
    for (const Method& m : c.methods) {
      for (size_t d = 0; d < c.doses.size(); ++d) {
        text << "| " << m.name << " | " << c.doses[d].incident_counts << " | "
             << cell("roi_mean_hu", roi.name, m.name, d) << " | "
             << cell("roi_bias_hu", roi.name, m.name, d) << " | "
             << cell("roi_noise_hu", roi.name, m.name, d) << " |\n";
      }
    }
  }
  return text.str();
}

// Hex FNV-1a of a text.
std::string Key(const std::string& text) {
  std::ostringstream hex;
  hex << std::hex << Fnv1a(text);
  return hex.str();
}

// The content of a phantom or geometry reference: the file's bytes, or the built-in name.
std::string ContentOf(const std::string& name_or_path) {
  std::ifstream in(name_or_path, std::ios::binary);
  if (!in) return name_or_path;
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// A rerun in the same folder reuses files only if the inputs that made them are unchanged:
// study_state.json keeps a key of everything the scans depend on (phantom and geometry
// contents, doses, realisations, seed, sampling, grid) and one per method (its options and the
// scans' key). A changed key removes what it made (scans change everything; a method its
// images), and the batch's records and checkpoints with it, since they refer to old data.
void ForgetOutdatedResults(const StudyConfig& c, const ImageGeometry& grid, const fs::path& out) {
  std::ostringstream scans;
  scans.precision(17);
  scans << ContentOf(c.phantom) << "|" << ContentOf(c.geometry) << "|" << c.realisations << "|"
        << c.seed << "|" << c.rays_per_cell << "|" << c.bowtie_mm << "|" << grid.nx << ","
        << grid.ny << "," << grid.nz << "," << grid.voxel_size_mm << "," << grid.slice_thickness_mm
        << "," << grid.center_mm[0] << "," << grid.center_mm[1] << "," << grid.center_mm[2];
  for (const Dose& d : c.doses) scans << "|" << d.incident_counts << "," << d.electronic_noise_std;
  Json state = {{"scans", Key(scans.str())}, {"methods", Json::object()}};
  for (const Method& m : c.methods) {
    std::ostringstream method;
    method.precision(17);
    method << m.kind << "|" << ToString(m.fbp.window) << "|" << m.fbp.cutoff << "|"
           << m.recon_options.dump() << "|" << state["scans"].get<std::string>();
    state["methods"][m.name] = Key(method.str());
  }
  const fs::path state_path = out / "study_state.json";
  Json previous = Json::object();
  try {
    std::ifstream in(state_path);
    if (in) previous = ParseJsonWithDepthLimit<Json>(in, state_path.string());
  } catch (const std::exception&) {
    previous = Json::object();  // unreadable: treat every file as outdated
  }
  std::error_code ec;
  auto forget_batch = [&] {
    fs::remove_all(out / "recon_manifest.osmo-batch", ec);
    fs::remove(out / "recon_manifest.summary.json", ec);
    fs::remove(out / "recon_manifest.summary.csv", ec);
  };
  const bool had_files = fs::exists(out / "scans") || fs::exists(out / "images");
  if (had_files && previous.value("scans", "") != state["scans"]) {
    fs::remove_all(out / "scans", ec);
    fs::remove_all(out / "images", ec);
    forget_batch();
  } else if (had_files) {
    for (const Method& m : c.methods) {
      const Json old = previous.value("methods", Json::object()).value(m.name, Json());
      if (old != state["methods"][m.name]) {
        fs::remove_all(out / "images" / m.name, ec);
        forget_batch();
      }
    }
  }
  WriteTextAtomically(state_path.string(), state.dump(2) + "\n");
}

void RunStudy(const StudyOptions& o) {
  InstallStopHandlers();
  const StudyConfig c = ReadStudyConfig(o.config);
  const fs::path out(o.output);
  const Phantom phantom = LoadPhantom(c.phantom);
  const ScanGeometry geometry = LoadGeometry(c.geometry);
  GridOptions grid_options;
  grid_options.size = c.image_size;
  grid_options.voxel = c.voxel_size_mm;
  const ImageGeometry grid = grid_options.Resolve(geometry);
  // An ROI outside the grid would report 0 HU for every method: refused before any work.
  for (const Roi& roi : c.rois) {
    const std::vector<uint8_t> disc = DiscMask(grid, roi.x_mm, roi.y_mm, roi.radius_mm);
    if (std::count(disc.begin(), disc.end(), 1) == 0) {
      throw InputError(o.config + ": ROI \"" + roi.name + "\"",
                       "a disc containing at least one voxel centre of the grid",
                       "none (centre " + ToText(roi.x_mm) + ", " + ToText(roi.y_mm) +
                           " mm, radius " + ToText(roi.radius_mm) + " mm)");
    }
  }
  fs::create_directories(out);
  ForgetOutdatedResults(c, grid, out);
  fs::create_directories(out / "scans");
  fs::create_directories(out / "images");
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
    WriteTextAtomically(manifest, Json{{"jobs", jobs}}.dump(2) + "\n");
    ReadManifest(manifest, /*require_inputs=*/false);  // the scans are made below
  }
  std::ofstream(out / "config.json") << std::ifstream(o.config).rdbuf();

  // Scans: the noiseless line integrals and the reference once, then one measurement per
  // (dose, realisation); existing files (complete by construction) are kept.
  int64_t fbp_methods = 0;
  for (const Method& m : c.methods) fbp_methods += m.kind == "fbp";
  const int64_t scan_count = int64_t(c.doses.size()) * c.realisations;
  const int64_t steps = scan_count * (1 + fbp_methods);
  int64_t step = 0;
  Progress progress("osmo study", o.progress.Resolve());
  Sinogram line_integrals;
  std::optional<Image> reference;
  for (size_t d = 0; d < c.doses.size(); ++d) {
    for (int64_t r = 0; r < c.realisations; ++r) {
      const std::string path = (out / "scans" / (ScanName(d, r) + ".h5")).string();
      progress.Update(step++, steps, "simulating scans");
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
      dose.seed = StudyScanSeed(c.seed, d, r);
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
        progress.Update(step++, steps, "FBP " + m.name);
        if (fs::exists(path)) continue;
        const ScanData scan = ReadScanFile((out / "scans" / (ScanName(d, r) + ".h5")).string());
        WriteVolume(path, FilteredBackprojection(geometry, scan.sinogram, grid, m.fbp));
      }
    }
  }
  progress.Update(steps, steps, "scans and FBP images done");
  progress.Finish();
  if (!jobs.empty()) {
    BatchOptions batch;
    batch.progress = o.progress;
    batch.manifest = manifest;
    batch.jobs = o.jobs;
    batch.threads = o.threads;
    batch.verbose = o.verbose;
    RunBatch(batch);
  }

  // Metrics against the rasterised phantom, inside the object within the field of view.
  Image truth = *ReadScanFile((out / "scans" / (ScanName(0, 0) + ".h5")).string()).reference;
  CheckSameGrid(grid, truth.geometry, (out / "scans").string() + ": the reference's grid");
  truth.geometry = grid;  // the same grid up to the file's rounding
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
  WriteTextAtomically((out / "metrics.csv").string(), csv.str());
  WriteTextAtomically((out / "metrics.json").string(), metrics.dump(2) + "\n");
  WriteTextAtomically((out / "metrics_per_image.csv").string(), per_image.str());

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
  report << RoiTables(c, rows);
  const std::string script = std::string(OSMO_SCRIPTS_DIR) + "/study_plots.py";
  bool plotted = false;
  if (fs::exists(script) && fs::exists("/usr/bin/python3")) {
    // No shell: the output folder's name is passed as one argument, whatever it contains.
    ChildOptions child;
    child.stdout_path = child.stderr_path = (out / "plots.log").string();
    plotted = WaitForChild(StartChild("/usr/bin/python3", {script, out.string()}, child)) == 0;
  }
  report << "\n## Figures\n\n";
  if (plotted) {
    report << "![RMSE vs dose](rmse_vs_dose.png)\n![Noise vs dose](noise_vs_dose.png)\n";
    for (size_t d = 0; d < c.doses.size(); ++d)
      report << "![dose " << d << "](panel_dose" << d << ".png)\n";
  } else {
    report << "Plots not made (needs " << script << " and python3-matplotlib; see plots.log).\n";
  }
  WriteTextAtomically((out / "report.md").string(), report.str());
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
  o->progress.Add(sub);
  sub->callback([o] { RunStudy(*o); });
}

}  // namespace osmo::cli
