// The scans and images of a phantom study (`osmo study`, docs/STUDY.md): one simulated measurement
// per (dose, realisation), one image per (method, dose, realisation). Files are written
// atomically and existing ones are kept, so an interrupted study resumes where it stopped.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "phantoms/phantom.h"
#include "projectors/image_geometry.h"
#include "projectors/scan_geometry.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/job_pool.h"
#include "recon/cli/study_config.h"

namespace osmo::cli {

// Where a study keeps its files.
struct StudyFolder {
  std::filesystem::path root;
  std::string Scan(size_t dose, int64_t realisation) const;
  std::string Image(const std::string& method, size_t dose, int64_t realisation) const;
};

struct StudyWork {
  int64_t done = 0, skipped = 0;
};

// Simulates the missing scans (the phantom's exact projections and rasterised reference are
// computed once, only when a scan is missing).
StudyWork SimulateStudyScans(const StudyConfig& c, const Phantom& phantom,
                             const ScanGeometry& geometry, const ImageGeometry& grid,
                             const StudyFolder& folder, Progress& progress, bool verbose);

// Makes the missing images of every method in this process, `concurrency.jobs` at a time.
// Throws Interrupted on SIGINT/SIGTERM (finished images are kept).
StudyWork MakeStudyImages(const StudyConfig& c, const ImageGeometry& grid,
                          const StudyFolder& folder, Concurrency concurrency, Progress& progress);

}  // namespace osmo::cli
