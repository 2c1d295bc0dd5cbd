// Simulated scans and reconstructed images of a phantom study.
// SPDX-License-Identifier: Apache-2.0
#include "recon/cli/study_images.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "phantoms/scan_simulation.h"
#include "recon/fbp.h"
#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"
#include "recon/pipeline/reconstruction.h"

namespace osmo::cli {

namespace fs = std::filesystem;

namespace {

std::string ScanName(size_t d, int64_t r) {
  return "dose" + std::to_string(d) + "_r" + std::to_string(r);
}

struct ImageTask {
  const Method* method;
  size_t dose;
  int64_t realisation;
};

}  // namespace

std::string StudyFolder::Scan(size_t dose, int64_t realisation) const {
  return (root / "scans" / (ScanName(dose, realisation) + ".h5")).string();
}

std::string StudyFolder::Image(const std::string& method, size_t dose, int64_t realisation) const {
  return (root / "images" / method / (ScanName(dose, realisation) + ".mha")).string();
}

StudyWork SimulateStudyScans(const StudyConfig& c, const Phantom& phantom,
                             const ScanGeometry& geometry, const ImageGeometry& grid,
                             const StudyFolder& folder, Progress& progress, bool verbose) {
  fs::create_directories(folder.root / "scans");
  const int64_t total = int64_t(c.doses.size()) * c.realisations;
  StudyWork work;
  Sinogram line_integrals;
  std::optional<Image> reference;
  for (size_t d = 0; d < c.doses.size(); ++d) {
    for (int64_t r = 0; r < c.realisations; ++r) {
      progress.Update(work.done + work.skipped, total, "simulating scans");
      const std::string path = folder.Scan(d, r);
      if (fs::exists(path)) {
        ++work.skipped;
        continue;
      }
      if (!reference) {
        Note(verbose, "analytic projections of " + phantom.name);
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
      ++work.done;
      Note(verbose, "simulated " + path);
      if (StopRequested()) throw Interrupted("study interrupted; rerun it to continue");
    }
  }
  progress.Update(total, total, "scans done");
  progress.Finish();
  return work;
}

StudyWork MakeStudyImages(const StudyConfig& c, const ImageGeometry& grid,
                          const StudyFolder& folder, Concurrency concurrency, Progress& progress) {
  std::vector<ImageTask> tasks;
  StudyWork work;
  for (const Method& m : c.methods) {
    fs::create_directories(folder.root / "images" / m.name);
    for (size_t d = 0; d < c.doses.size(); ++d) {
      for (int64_t r = 0; r < c.realisations; ++r) {
        if (fs::exists(folder.Image(m.name, d, r)))
          ++work.skipped;
        else
          tasks.push_back({&m, d, r});
      }
    }
  }
  std::atomic<int64_t> finished{0};
  std::mutex progress_mutex;
  const int64_t total = int64_t(tasks.size());
  progress.Update(0, total, "images");
  RunConcurrently(total, concurrency, [&](int64_t n) {
    const ImageTask& t = tasks[size_t(n)];
    if (StopRequested()) throw Interrupted("study interrupted; rerun it to continue");
    const ScanData scan = ReadScanFile(folder.Scan(t.dose, t.realisation));
    Image image;
    if (t.method->kind == "fbp") {
      image = FilteredBackprojection(scan.geometry, scan.sinogram, grid, t.method->fbp);
    } else {
      ReconHooks hooks;
      hooks.iteration = [](const IterationRecord&, const SolverState&) { return !StopRequested(); };
      ReconResult result = Reconstruct(scan, grid, t.method->recon, {}, hooks);
      if (result.summary.termination == Termination::kStopped)
        throw Interrupted("study interrupted; rerun it to continue");
      image = std::move(result.image);
    }
    WriteVolume(folder.Image(t.method->name, t.dose, t.realisation), image);
    const int64_t count = ++finished;
    std::lock_guard<std::mutex> lock(progress_mutex);
    progress.Update(count, total, t.method->name);
  });
  progress.Finish();
  work.done = total;
  return work;
}

}  // namespace osmo::cli
