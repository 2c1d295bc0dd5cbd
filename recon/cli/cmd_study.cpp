// `osmo study`: phantom studies — doses × noise realisations × methods → metrics, tables, plots.
// The steps live in study_config (reading), study_images (scans and images, in-process through
// the reconstruction library) and study_metrics (scores and report); this file runs them in order.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "phantoms/phantom.h"
#include "projectors/error.h"
#include "projectors/fnv_hash.h"
#include "projectors/input_file.h"
#include "recon/cli/child_process.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/cli/study_config.h"
#include "recon/cli/study_images.h"
#include "recon/cli/study_metrics.h"
#include "recon/io/atomic_output.h"
#include "recon/io/geometry_json.h"
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
// images).
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
  const bool had_files = fs::exists(out / "scans") || fs::exists(out / "images");
  if (had_files && previous.value("scans", "") != state["scans"]) {
    fs::remove_all(out / "scans", ec);
    fs::remove_all(out / "images", ec);
  } else if (had_files) {
    for (const Method& m : c.methods) {
      const Json old = previous.value("methods", Json::object()).value(m.name, Json());
      if (old != state["methods"][m.name]) {
        fs::remove_all(out / "images" / m.name, ec);
      }
    }
  }
  WriteTextAtomically(state_path.string(), state.dump(2) + "\n");
}

// An ROI outside the grid would report 0 HU for every method: refused before any work.
void CheckRoisTouchTheGrid(const StudyConfig& c, const ImageGeometry& grid,
                           const std::string& config) {
  for (const Roi& roi : c.rois) {
    const std::vector<uint8_t> disc = DiscMask(grid, roi.x_mm, roi.y_mm, roi.radius_mm);
    if (std::count(disc.begin(), disc.end(), 1) == 0) {
      throw InputError(config + ": ROI \"" + roi.name + "\"",
                       "a disc containing at least one voxel centre of the grid",
                       "none (centre " + ToText(roi.x_mm) + ", " + ToText(roi.y_mm) +
                           " mm, radius " + ToText(roi.radius_mm) + " mm)");
    }
  }
}

// The figures of scripts/study_plots.py (python3-matplotlib), started without a shell so that
// any folder name is safe; the report's figures section either way.
std::string MakePlots(const StudyConfig& c, const fs::path& out) {
  const std::string script = std::string(OSMO_SCRIPTS_DIR) + "/study_plots.py";
  bool plotted = false;
  if (fs::exists(script) && fs::exists("/usr/bin/python3")) {
    ChildOptions child;
    child.stdout_path = child.stderr_path = (out / "plots.log").string();
    plotted = WaitForChild(StartChild("/usr/bin/python3", {script, out.string()}, child)) == 0;
  }
  std::ostringstream text;
  text << "\n## Figures\n\n";
  if (!plotted) {
    text << "Plots not made (needs " << script << " and python3-matplotlib; see plots.log).\n";
    return text.str();
  }
  text << "![RMSE vs dose](rmse_vs_dose.png)\n![Noise vs dose](noise_vs_dose.png)\n";
  if (fs::exists(out / "tradeoff.png")) text << "![Noise–bias trade-off](tradeoff.png)\n";
  for (size_t d = 0; d < c.doses.size(); ++d)
    text << "![dose " << d << "](panel_dose" << d << ".png)\n";
  return text.str();
}

void RunStudy(const StudyOptions& o) {
  InstallStopHandlers();
  const Concurrency concurrency = ResolveConcurrency(o.jobs, o.threads);
  const StudyConfig c = ReadStudyConfig(o.config);
  const Phantom phantom = LoadPhantom(c.phantom);
  const ScanGeometry geometry = LoadGeometry(c.geometry);
  GridOptions grid_options;
  grid_options.size = c.image_size;
  grid_options.voxel = c.voxel_size_mm;
  const ImageGeometry grid = grid_options.Resolve(geometry);
  CheckRoisTouchTheGrid(c, grid, o.config);

  const StudyFolder folder{fs::path(o.output)};
  fs::create_directories(folder.root);
  ForgetOutdatedResults(c, grid, folder.root);
  std::ofstream(folder.root / "config.json") << std::ifstream(o.config).rdbuf();
  Progress progress("osmo study", o.progress.Resolve());
  SimulateStudyScans(c, phantom, geometry, grid, folder, progress, o.verbose);
  const StudyWork images = MakeStudyImages(c, grid, folder, concurrency, progress);
  std::cout << "osmo study: images: " << images.done << " done, " << images.skipped << " skipped\n";

  const StudyScores scores = ScoreStudy(c, geometry, grid, folder);
  WriteStudyMetrics(c, scores, folder.root);
  const std::string report =
      StudyReport(c, phantom.name, grid, scores.rows) + MakePlots(c, folder.root);
  WriteTextAtomically((folder.root / "report.md").string(), report);
  std::cout << "osmo study: " << scores.rows.size() << " metric rows for " << c.doses.size()
            << " dose(s) × " << c.realisations << " realisation(s) × " << c.methods.size()
            << " method(s); report " << (folder.root / "report.md").string() << "\n";
}

}  // namespace

void RegisterStudy(CLI::App& app) {
  auto o = std::make_shared<StudyOptions>();
  CLI::App* sub = app.add_subcommand("study",
                                     "Phantom study: doses × noise realisations × methods → "
                                     "metrics, tables, plots (docs/STUDY.md)");
  sub->add_option("config", o->config, "Study configuration (JSON)")->required();
  sub->add_option("-o,--output", o->output, "Output folder (created; a rerun resumes)")->required();
  sub->add_option("--jobs", o->jobs,
                  "Images reconstructed side by side J (default: cores / T; results do not "
                  "depend on it)");
  sub->add_option("--threads", o->threads, "OpenMP threads per image T (default: cores / J, or 1)");
  sub->add_flag("-v,--verbose", o->verbose, "Report each step on stderr");
  o->progress.Add(sub);
  sub->callback([o] { RunStudy(*o); });
}

}  // namespace osmo::cli
