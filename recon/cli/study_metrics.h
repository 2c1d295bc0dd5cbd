// Scoring a phantom study: every image against the rasterised phantom (RMSE, SSIM, bias, noise,
// ROI means, CNR), the tidy tables and the Markdown report (docs/STUDY.md lists the metrics).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "projectors/image_geometry.h"
#include "projectors/scan_geometry.h"
#include "recon/cli/study_config.h"
#include "recon/cli/study_images.h"

namespace osmo::cli {

// A metric of one (dose, method): values over realisations (mean ± sample sd), or one value.
struct MetricRow {
  size_t dose;
  std::string method, metric, roi;
  std::vector<double> values;
};

struct StudyScores {
  std::vector<MetricRow> rows;
  std::string per_image_csv;  // dose_index,incident_counts,method,realisation,rmse_hu,ssim
};

// Scores every image of the study inside the object (phantom > 0 within the field of view).
StudyScores ScoreStudy(const StudyConfig& c, const ScanGeometry& geometry,
                       const ImageGeometry& grid, const StudyFolder& folder);

// metrics.csv, metrics.json and metrics_per_image.csv in `out`.
void WriteStudyMetrics(const StudyConfig& c, const StudyScores& scores,
                       const std::filesystem::path& out);

// report.md without its figures section: one table per metric and one per ROI.
std::string StudyReport(const StudyConfig& c, const std::string& phantom_name,
                        const ImageGeometry& grid, const std::vector<MetricRow>& rows);

}  // namespace osmo::cli
