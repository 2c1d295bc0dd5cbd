// The reconstruction pipeline (recon/pipeline): settings errors name their field, resuming from a
// saved state reproduces the uninterrupted run bit for bit, hooks can stop a run, the FBP start
// falls back to zero where FBP cannot work, the fingerprint tells problems apart.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "projectors/error.h"
#include "recon/pipeline/reconstruction.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using testing::FanScan;
using testing::SquareImage;

// A fan-beam scan of a disc with an inset, noisy, with counts (so the weights come from them).
ScanData DiscScan(double span_deg = 360.0, int64_t views = 48) {
  ScanGeometry g = FanScan(DetectorShape::kArc, 64, views, 1.2, 0.0);
  for (int64_t v = 0; v < views; ++v)
    g.angles_rad[size_t(v)] = span_deg * M_PI / 180.0 * double(v) / double(views);
  const ImageGeometry grid = SquareImage(32, 1.5);
  Image truth(grid);
  for (int64_t j = 0; j < grid.ny; ++j) {
    for (int64_t i = 0; i < grid.nx; ++i) {
      const double x = grid.X(double(i)), y = grid.Y(double(j));
      truth.at(i, j, 0) =
          float((std::hypot(x, y) < 18 ? 0.02 : 0.0) + (std::hypot(x - 5, y + 3) < 5 ? 0.01 : 0.0));
    }
  }
  ScanData scan;
  scan.geometry = g;
  scan.sinogram = Sinogram(g);
  MakeProjector(grid, g)->Forward(truth, scan.sinogram);
  scan.counts = Sinogram(g);
  std::mt19937 rng(3);
  for (int64_t n = 0; n < scan.sinogram.size(); ++n) {
    const double mean = 1e4 * std::exp(-scan.sinogram.values[size_t(n)]);
    const double z =
        std::max(1.0, mean + std::normal_distribution<double>(0.0, 1.0)(rng) * std::sqrt(mean));
    scan.counts->values[size_t(n)] = float(z);
    scan.sinogram.values[size_t(n)] = float(std::log(1e4 / z));
  }
  scan.reference = truth;
  return scan;
}

std::string RejectedField(const ReconSettings& settings) {
  try {
    settings.Validate();
  } catch (const SettingError& e) {
    return e.field();
  }
  return "";
}

TEST(Pipeline, SettingErrorsNameTheField) {
  ReconSettings s;
  EXPECT_EQ(RejectedField(s), "");
  s.prior.delta = 0.0;
  EXPECT_EQ(RejectedField(s), "prior.delta");
  s = ReconSettings();
  s.prior.beta_relative = -1.0;
  EXPECT_EQ(RejectedField(s), "prior.beta_relative");
  s = ReconSettings();
  s.prior.beta = std::nan("");
  EXPECT_EQ(RejectedField(s), "prior.beta");
  s = ReconSettings();
  s.solver.iterations = -1;
  EXPECT_EQ(RejectedField(s), "solver.iterations");
  s = ReconSettings();
  s.mu_water_per_mm = 0.0;
  EXPECT_EQ(RejectedField(s), "mu_water_per_mm");
  // The subset count is checked against the scan when the reconstruction is prepared.
  const ScanData scan = DiscScan();
  s = ReconSettings();
  s.solver.subsets = 49;
  try {
    Reconstruct(scan, SquareImage(32, 1.5), s);
    FAIL() << "49 subsets of 48 views accepted";
  } catch (const SettingError& e) {
    EXPECT_EQ(e.field(), "solver.subsets");
  }
}

TEST(Pipeline, ResumingFromASavedStateReproducesTheUninterruptedRun) {
  const ScanData scan = DiscScan();
  const ImageGeometry grid = SquareImage(32, 1.5);
  ReconSettings settings;
  settings.solver.subsets = 4;
  settings.solver.iterations = 6;
  const ReconResult full = Reconstruct(scan, grid, settings);

  // Stop after iteration 3 from the hook, keeping the state, then resume from it.
  std::optional<SolverState> saved;
  ReconHooks stop_at_3;
  stop_at_3.iteration = [&](const IterationRecord& r, const SolverState& s) {
    if (r.iteration == 3) saved = s;
    return r.iteration < 3;
  };
  const ReconResult first = Reconstruct(scan, grid, settings, {}, stop_at_3);
  EXPECT_EQ(first.summary.termination, Termination::kStopped);
  ASSERT_TRUE(saved);
  std::string fingerprint;
  ReconHooks resume;
  resume.resume = [&](const PreparedReconstruction& p) -> std::optional<SolverState> {
    fingerprint = p.Fingerprint();
    return saved;
  };
  const ReconResult second = Reconstruct(scan, grid, settings, {}, resume);
  EXPECT_EQ(second.summary.termination, Termination::kIterations);
  ASSERT_EQ(second.image.values.size(), full.image.values.size());
  for (size_t j = 0; j < full.image.values.size(); ++j)
    ASSERT_EQ(second.image.values[j], full.image.values[j]) << "voxel " << j;
  EXPECT_NE(fingerprint.find("algorithm=os-ogm2 subsets=4"), std::string::npos) << fingerprint;
}

TEST(Pipeline, ReportsRmsdAgainstTheReferenceAndImprovesOnTheStart) {
  const ScanData scan = DiscScan();
  const ImageGeometry grid = SquareImage(32, 1.5);
  ReconSettings settings;
  settings.solver.subsets = 4;
  settings.solver.iterations = 15;
  std::vector<double> rmsd;
  ReconHooks hooks;
  hooks.iteration = [&](const IterationRecord& r, const SolverState&) {
    rmsd.push_back(r.rmsd_hu.value_or(-1.0));
    return true;
  };
  const ReconResult result = Reconstruct(scan, grid, settings, {nullptr, &*scan.reference}, hooks);
  ASSERT_EQ(rmsd.size(), 16u);  // the start and 15 iterations
  ASSERT_TRUE(result.final_rmsd_hu);
  EXPECT_EQ(*result.final_rmsd_hu, rmsd.back());
  EXPECT_LT(rmsd.back(), rmsd.front());  // better than the FBP start
  EXPECT_GT(result.beta, 0.0);
}

TEST(Pipeline, LimitedAngleStartsFromZeroWithANote) {
  const ScanData scan = DiscScan(/*span_deg=*/90.0);  // FBP refuses a 90° fan scan
  const ImageGeometry grid = SquareImage(32, 1.5);
  ReconSettings settings;
  settings.solver.subsets = 4;
  settings.solver.iterations = 3;
  std::string notes;
  ReconHooks hooks;
  hooks.note = [&](const std::string& text) { notes += text + "\n"; };
  const ReconResult result = Reconstruct(scan, grid, settings, {}, hooks);
  EXPECT_NE(notes.find("initial image: zero (FBP is not possible"), std::string::npos) << notes;
  double sum = 0.0;
  for (float v : result.image.values) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
  }
  EXPECT_GT(sum, 0.0);  // the data moved it away from zero
}

TEST(Pipeline, GivenStartImageMustLieOnTheGrid) {
  const ScanData scan = DiscScan();
  ReconSettings settings;
  settings.start = StartKind::kImage;
  settings.solver.iterations = 1;
  const Image wrong(SquareImage(31, 1.5));
  EXPECT_THROW(Reconstruct(scan, SquareImage(32, 1.5), settings, {&wrong, nullptr}), InputError);
  EXPECT_THROW(Reconstruct(scan, SquareImage(32, 1.5), settings), SettingError);  // none given
}

TEST(Pipeline, FingerprintTellsDataAndSettingsApart) {
  const ScanData scan = DiscScan();
  const ImageGeometry grid = SquareImage(32, 1.5);
  ReconSettings settings;
  const std::string base = PreparedReconstruction(scan, grid, settings).Fingerprint();
  EXPECT_EQ(PreparedReconstruction(scan, grid, settings).Fingerprint(), base);
  ScanData other = scan;
  other.sinogram.values[100] += 1e-3f;
  EXPECT_NE(PreparedReconstruction(other, grid, settings).Fingerprint(), base);
  settings.prior.delta *= 2.0;
  EXPECT_NE(PreparedReconstruction(scan, grid, settings).Fingerprint(), base);
}

TEST(Pipeline, WeightsComeFromCountsWhenTheScanHasNoWeights) {
  const ScanData scan = DiscScan();
  const PreparedReconstruction p(scan, SquareImage(32, 1.5), ReconSettings());
  for (size_t i = 0; i < p.weights().values.size(); i += 97)
    EXPECT_EQ(p.weights().values[i], scan.counts->values[i]);  // σ = 0: w = z
}

}  // namespace
}  // namespace osmo
