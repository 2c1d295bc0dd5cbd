// Phantom-study metrics, tables and report.
// SPDX-License-Identifier: Apache-2.0
#include "recon/cli/study_metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "recon/io/atomic_output.h"
#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"
#include "recon/metrics.h"

namespace osmo::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

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

// The mean over realisations of a metric of one (dose, method, roi), or NaN.
double MeanOf(const std::vector<MetricRow>& rows, size_t dose, const std::string& method,
              const std::string& metric, const std::string& roi = "") {
  for (const MetricRow& row : rows) {
    if (row.dose != dose || row.method != method || row.metric != metric || row.roi != roi)
      continue;
    double mean = 0.0, sd = 0.0;
    Summarise(row.values, &mean, &sd);
    return mean;
  }
  return std::nan("");
}

// One table per swept method family and dose: the noise–resolution trade-off along the sweep
// (noise falls and bias rises with β; the RMSE minimum is the best value for that dose).
std::string TradeoffTables(const StudyConfig& c, const std::vector<MetricRow>& rows) {
  std::map<std::string, std::vector<const Method*>> families;
  for (const Method& m : c.methods)
    if (!m.sweep_key.empty()) families[m.family].push_back(&m);
  std::ostringstream text;
  text.precision(4);
  for (auto& [family, members] : families) {
    std::sort(members.begin(), members.end(),
              [](const Method* a, const Method* b) { return a->sweep_value < b->sweep_value; });
    const std::string key = members.front()->sweep_key;
    const std::string cnr = c.contrasts.empty()
                                ? ""
                                : c.contrasts.front().lesion + "/" + c.contrasts.front().background;
    for (size_t d = 0; d < c.doses.size(); ++d) {
      text << "\n## Trade-off: " << family << " over " << key
           << " (I0 = " << ToText(c.doses[d].incident_counts) << ")\n\n| " << key
           << " | RMSE (HU) | bias (HU) | noise (HU) |" << (cnr.empty() ? "" : " CNR " + cnr + " |")
           << "\n|---|---|---|---|" << (cnr.empty() ? "" : "---|") << "\n";
      for (const Method* m : members) {
        text << "| " << m->sweep_value << " | " << MeanOf(rows, d, m->name, "rmse_hu") << " | "
             << MeanOf(rows, d, m->name, "bias_hu") << " | " << MeanOf(rows, d, m->name, "noise_hu")
             << " |";
        if (!cnr.empty()) text << " " << MeanOf(rows, d, m->name, "cnr", cnr) << " |";
        text << "\n";
      }
    }
  }
  return text.str();
}

// The truth in HU and where images are scored.
struct Truth {
  Image hu, clipped;            // HU, and clipped to the display window (for SSIM)
  std::vector<uint8_t> object;  // phantom > 0 within the field of view
  std::map<std::string, std::vector<uint8_t>> rois;
};

Image ToHu(Image image, double mu_water) {
  for (float& v : image.values) v = float(MuToHu(v, mu_water));
  return image;
}

Image Clip(Image image, const StudyConfig& c) {
  for (float& v : image.values) v = std::min(std::max(v, float(c.window_lo)), float(c.window_hi));
  return image;
}

Truth LoadTruth(const StudyConfig& c, const ScanGeometry& geometry, const ImageGeometry& grid,
                const StudyFolder& folder) {
  Image mu = *ReadScanFile(folder.Scan(0, 0)).reference;
  CheckSameGrid(grid, mu.geometry, (folder.root / "scans").string() + ": the reference's grid");
  mu.geometry = grid;  // the same grid up to the file's rounding
  Truth t;
  t.object = CircularMask(grid, geometry.FieldOfViewRadiusMm());
  for (size_t j = 0; j < t.object.size(); ++j) t.object[j] = t.object[j] && mu.values[j] > 0.0f;
  t.hu = ToHu(mu, c.mu_water);
  t.clipped = Clip(t.hu, c);
  for (const Roi& roi : c.rois)
    t.rois[roi.name] = DiscMask(grid, roi.x_mm, roi.y_mm, roi.radius_mm);
  return t;
}

// RMS over `region` of value(j).
template <class Value>
double RmsOver(const std::vector<uint8_t>& region, Value value) {
  double sum = 0.0;
  int64_t count = 0;
  for (size_t j = 0; j < region.size(); ++j) {
    if (!region[j]) continue;
    sum += value(j) * value(j);
    ++count;
  }
  return count > 0 ? std::sqrt(sum / double(count)) : 0.0;
}

// Per-image metrics of one (dose, method): RMSE, SSIM, ROI means, CNR; appends the images in HU.
void ScoreImages(const StudyConfig& c, const Method& m, size_t d, const ImageGeometry& grid,
                 const StudyFolder& folder, const Truth& truth, std::vector<MetricRow>* rows,
                 std::ostringstream* per_image, std::vector<Image>* images) {
  MetricRow rmse{d, m.name, "rmse_hu", "", {}}, ssim{d, m.name, "ssim", "", {}};
  std::map<std::string, MetricRow> roi_means, cnrs;
  for (int64_t r = 0; r < c.realisations; ++r) {
    Image hu = ToHu(ReadVolume(folder.Image(m.name, d, r)), c.mu_water);
    hu.geometry = grid;
    rmse.values.push_back(RmsdHu(hu, truth.hu, truth.object, 1000.0));  // both already in HU
    ssim.values.push_back(SsimVolume(Clip(hu, c), truth.clipped, c.window_hi - c.window_lo));
    *per_image << d << "," << c.doses[d].incident_counts << "," << m.name << "," << r << ","
               << rmse.values.back() << "," << ssim.values.back() << "\n";
    for (const Roi& roi : c.rois) {
      auto& row = roi_means.try_emplace(roi.name, MetricRow{d, m.name, "roi_mean_hu", roi.name, {}})
                      .first->second;
      row.values.push_back(Statistics(hu, truth.rois.at(roi.name)).mean);
    }
    for (const Contrast& k : c.contrasts) {
      const RegionStatistics lesion = Statistics(hu, truth.rois.at(k.lesion));
      const RegionStatistics background = Statistics(hu, truth.rois.at(k.background));
      auto& row =
          cnrs.try_emplace(k.lesion, MetricRow{d, m.name, "cnr", k.lesion + "/" + k.background, {}})
              .first->second;
      row.values.push_back(background.sd > 0 ? (lesion.mean - background.mean) / background.sd
                                             : 0.0);
    }
    images->push_back(std::move(hu));
  }
  rows->push_back(rmse);
  rows->push_back(ssim);
  for (const Roi& roi : c.rois) rows->push_back(roi_means.at(roi.name));
  for (auto& [name, row] : cnrs) rows->push_back(row);
}

// Bias and noise across realisations: the mean image's error and the per-voxel sample standard
// deviation, as RMS over the object and per ROI.
void ScoreEnsemble(const StudyConfig& c, const Method& m, size_t d, const Truth& truth,
                   const std::vector<Image>& images, std::vector<MetricRow>* rows) {
  const size_t n_voxels = truth.hu.values.size();
  std::vector<double> mean(n_voxels, 0.0), sd(n_voxels, 0.0);
  for (const Image& image : images) {
    for (size_t j = 0; j < n_voxels; ++j) mean[j] += image.values[j] / double(images.size());
  }
  for (const Image& image : images) {
    for (size_t j = 0; j < n_voxels; ++j) sd[j] += std::pow(image.values[j] - mean[j], 2);
  }
  for (double& s : sd) s = images.size() > 1 ? std::sqrt(s / double(images.size() - 1)) : 0.0;
  const bool has_noise = images.size() > 1;
  auto error = [&](size_t j) { return mean[j] - truth.hu.values[j]; };
  auto noise = [&](size_t j) { return sd[j]; };
  rows->push_back({d, m.name, "bias_hu", "", {RmsOver(truth.object, error)}});
  if (has_noise) rows->push_back({d, m.name, "noise_hu", "", {RmsOver(truth.object, noise)}});
  for (const Roi& roi : c.rois) {
    const std::vector<uint8_t>& region = truth.rois.at(roi.name);
    double bias = 0.0;
    int64_t count = 0;
    for (size_t j = 0; j < n_voxels; ++j) {
      if (!region[j]) continue;
      bias += error(j);
      ++count;
    }
    rows->push_back({d, m.name, "roi_bias_hu", roi.name, {count > 0 ? bias / double(count) : 0.0}});
    if (has_noise) rows->push_back({d, m.name, "roi_noise_hu", roi.name, {RmsOver(region, noise)}});
  }
}

}  // namespace

StudyScores ScoreStudy(const StudyConfig& c, const ScanGeometry& geometry,
                       const ImageGeometry& grid, const StudyFolder& folder) {
  const Truth truth = LoadTruth(c, geometry, grid, folder);
  StudyScores scores;
  std::ostringstream per_image;
  per_image << "dose_index,incident_counts,method,realisation,rmse_hu,ssim\n";
  for (size_t d = 0; d < c.doses.size(); ++d) {
    for (const Method& m : c.methods) {
      std::vector<Image> images;
      ScoreImages(c, m, d, grid, folder, truth, &scores.rows, &per_image, &images);
      ScoreEnsemble(c, m, d, truth, images, &scores.rows);
    }
  }
  scores.per_image_csv = per_image.str();
  return scores;
}

void WriteStudyMetrics(const StudyConfig& c, const StudyScores& scores, const fs::path& out) {
  const std::vector<MetricRow>& rows = scores.rows;
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
  WriteTextAtomically((out / "metrics_per_image.csv").string(), scores.per_image_csv);
}

std::string StudyReport(const StudyConfig& c, const std::string& phantom_name,
                        const ImageGeometry& grid, const std::vector<MetricRow>& rows) {
  std::ostringstream report;
  report << "# Phantom study\n\nPhantom `" << phantom_name << "`, geometry `" << c.geometry << "`, "
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
  report << RoiTables(c, rows) << TradeoffTables(c, rows);
  return report.str();
}

}  // namespace osmo::cli
