// The reconstruction pipeline (recon/pipeline): settings errors name their field, resuming from a
// saved state reproduces the uninterrupted run bit for bit, hooks can stop a run, the FBP start
// falls back to zero where FBP cannot work, the fingerprint tells problems apart.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "phantoms/scan_simulation.h"
#include "projectors/error.h"
#include "recon/pipeline/grid_extension.h"
#include "recon/pipeline/reconstruction.h"
#include "recon/pipeline/statistical_weights.h"
#include "recon/resolution.h"
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
  settings.prior.delta = 0.0004;
  EXPECT_NE(PreparedReconstruction(scan, grid, settings).Fingerprint(), base);
}

TEST(Pipeline, WeightsComeFromCountsWhenTheScanHasNoWeights) {
  const ScanData scan = DiscScan();
  const PreparedReconstruction p(scan, SquareImage(32, 1.5), ReconSettings());
  for (size_t i = 0; i < p.weights().values.size(); i += 97)
    EXPECT_EQ(p.weights().values[i], scan.counts->values[i]);  // σ = 0: w = z
}

// Log data without counts carry their own variance, e^y/I0: weights I0·e^−y with I0 measured
// from the sinogram's noise (the scan was simulated with I0 = 1e4); data in other units (scaled
// by 1000) get the uniform 1/σ² of their measured noise.
TEST(Pipeline, WeightsFromLogDataWithoutCounts) {
  // Exact chords of a water disc (radius 50 mm) on a 0.5 mm parallel detector, Poisson-like noise
  // for I0 = 1e4: a sinogram as smooth as measured ones.
  ScanData scan;
  scan.geometry = testing::ParallelScan(256, 90, 0.5);
  scan.sinogram = Sinogram(scan.geometry);
  std::mt19937 rng(5);
  for (int64_t v = 0; v < scan.geometry.NumViews(); ++v) {
    for (int64_t c = 0; c < scan.geometry.n_channels; ++c) {
      const double u = scan.geometry.ChannelU(double(c));
      const double line = 0.02 * 2.0 * std::sqrt(std::max(50.0 * 50.0 - u * u, 0.0));
      const double mean = 1e4 * std::exp(-line);
      const double z = mean + std::normal_distribution<double>(0.0, 1.0)(rng) * std::sqrt(mean);
      scan.sinogram.View(v)[c] = float(std::log(1e4 / std::max(z, 1.0)));
    }
  }
  const StatisticalWeights w = WeightsFor(scan);
  const std::vector<float>& y = scan.sinogram.values;
  std::vector<double> ratio;  // measured / true inverse variance, per ray
  for (size_t i = 0; i < y.size(); ++i)
    ratio.push_back(w.weights.values[i] / (1e4 * std::exp(-std::max(double(y[i]), 0.0))));
  std::sort(ratio.begin(), ratio.end());
  EXPECT_NEAR(ratio.front(), 1.0, 0.1) << w.description;  // one common I0, within 10 %
  EXPECT_NEAR(ratio.back(), 1.0, 0.1) << w.description;
  EXPECT_NE(w.description.find("log data"), std::string::npos) << w.description;

  ScanData scaled = scan;
  for (float& v : scaled.sinogram.values) v *= 1000.0f;
  const StatisticalWeights uniform = WeightsFor(scaled);
  EXPECT_NE(uniform.description.find("not −log(transmission)"), std::string::npos)
      << uniform.description;
  // σ of the scaled data: 1000 × the noise of y (sqrt(e^y/I0) = 0.01–0.027 here).
  const double sigma = 1.0 / std::sqrt(double(uniform.weights.values[0]));
  EXPECT_GT(sigma, 9.0);
  EXPECT_LT(sigma, 28.0);
  for (float v : uniform.weights.values) ASSERT_EQ(v, uniform.weights.values[0]);

  const StatisticalWeights none = WeightsFor(DiscScan(), Weighting::kNone);
  for (float v : none.weights.values) ASSERT_EQ(v, 1.0f);
}

// The defaults follow the data: the same scan in other units — y × c with its variances × c², so
// w / c² — scales δ (from the FBP image), the noise the β rule aims at, and hence the whole
// problem, so the image scales by c (and β by 1/c²: R(cx; cδ) = c²R(x; δ)).
TEST(Pipeline, DefaultsAreInvariantToTheDataUnits) {
  ScanData scan = DiscScan();
  scan.weights = WeightsFor(scan, Weighting::kAuto).weights;  // from its counts
  ScanData scaled = scan;
  constexpr float kScale = 1000.0f;
  for (float& v : scaled.sinogram.values) v *= kScale;
  for (float& w : scaled.weights->values) w /= kScale * kScale;
  ReconSettings settings;
  settings.solver.subsets = 4;
  settings.solver.iterations = 10;
  const ImageGeometry grid = SquareImage(32, 1.5);
  const ReconResult a = Reconstruct(scan, grid, settings);
  const ReconResult b = Reconstruct(scaled, grid, settings);
  // Float rounding of a problem scaled exactly by 1000.
  EXPECT_LT(testing::MaxRelativeDifference(a.image, b.image, kScale), 1e-4);
  EXPECT_NEAR(a.beta, b.beta * kScale * kScale, 1e-3 * a.beta);

  // Without counts, in units that are not −log(transmission): w = 1/σ² of the measured noise, so
  // y × 10 gives w / 100 and the image × 10.
  ScanData log_only = scaled, ten_times = scaled;
  for (ScanData* s : {&log_only, &ten_times}) {
    s->counts.reset();
    s->weights.reset();
  }
  for (float& v : ten_times.sinogram.values) v *= 10.0f;
  const ReconResult c = Reconstruct(log_only, grid, settings);
  const ReconResult d = Reconstruct(ten_times, grid, settings);
  EXPECT_LT(testing::MaxRelativeDifference(c.image, d.image, 10.0), 1e-4);
}

// A noiseless parallel scan (72 channels, 120 views) of a disc of μ = 0.02/mm and radius 20 mm on
// `grid`, with the weights of counts of blank scan I0: w = I0·e^−y (inverse variances).
ScanData NoiselessDiscScan(const ImageGeometry& grid, double i0) {
  ScanData scan;
  scan.geometry = testing::ParallelScan(72, 120, 1.0);
  Image background(grid);
  for (int64_t j = 0; j < grid.ny; ++j) {
    for (int64_t i = 0; i < grid.nx; ++i) {
      if (std::hypot(grid.X(double(i)), grid.Y(double(j))) < 20.0) background.at(i, j, 0) = 0.02f;
    }
  }
  scan.sinogram = Sinogram(scan.geometry);
  MakeProjector(grid, scan.geometry)->Forward(background, scan.sinogram);
  scan.weights = Sinogram(scan.geometry);
  for (size_t i = 0; i < scan.weights->values.size(); ++i)
    scan.weights->values[i] = float(i0 * std::exp(-scan.sinogram.values[i]));
  return scan;
}

// β for a target resolution: the measured local impulse response of the converged quadratic PWLS
// estimate — (x̂(y + εAe_c) − x̂(y))/ε — has the asked FWHM within 15 % (Fessler & Rogers 1996).
TEST(Pipeline, BetaForATargetFwhmGivesThatResolution) {
  const ImageGeometry grid = SquareImage(48, 1.0);
  const ScanData scan = NoiselessDiscScan(grid, 1e3);
  const auto projector = MakeProjector(grid, scan.geometry);

  constexpr double kTargetMm = 3.0;
  ReconSettings settings;
  settings.prior.potential = PotentialKind::kQuadratic;  // linear: the LIR is exact
  settings.prior.target_fwhm_mm = kTargetMm;
  settings.prior.delta = 1.0;
  settings.support = SupportKind::kAll;
  settings.start = StartKind::kZero;
  settings.solver.subsets = 1;
  settings.solver.iterations = 500;
  settings.solver.relax = 0.0;
  const ReconResult base = Reconstruct(scan, grid, settings);

  ScanData perturbed = scan;
  constexpr float kEpsilon = 0.002f;
  Image impulse(grid);
  impulse.at(grid.nx / 2, grid.ny / 2, 0) = kEpsilon;
  Sinogram projection(scan.geometry);
  projector->Forward(impulse, projection);
  for (size_t i = 0; i < projection.values.size(); ++i)
    perturbed.sinogram.values[i] += projection.values[i];
  settings.prior.target_fwhm_mm.reset();
  settings.prior.beta = base.beta;  // the same problem
  const ReconResult moved = Reconstruct(perturbed, grid, settings);

  Image response(grid);
  for (size_t j = 0; j < response.values.size(); ++j)
    response.values[j] = (moved.image.values[j] - base.image.values[j]) / kEpsilon;
  const double measured = SpectrumFwhmVoxels(CentredSpectrum(response), grid) * grid.voxel_size_mm;
  RecordProperty("measured_fwhm_mm", std::to_string(measured));
  EXPECT_NEAR(measured, kTargetMm, 0.15 * kTargetMm) << "β " << base.beta;
}

// β for a noise level: the predicted standard deviation at the centre, (1/N)Σ H/(H + βR)² for
// weights that are the inverse variances, matches the spread of reconstructions of noisy data
// (quadratic prior, so the estimate is linear in the noise), within 25 %.
struct MeasuredNoise {
  double voxel = 0.0;       // standard deviation of a voxel
  double difference = 0.0;  // standard deviation of x_j − x_{j+1} along x
};

// Noise of the reconstructions of `realisations` noisy copies of a noiseless scan (variance 1/w),
// pooled over the 8 × 8 voxels around the centre (stationary there).
MeasuredNoise CentreNoise(const ScanData& scan, const ImageGeometry& grid,
                          const ReconSettings& settings, int realisations) {
  const ReconResult clean = Reconstruct(scan, grid, settings);
  std::mt19937 rng(21);
  std::normal_distribution<double> normal(0.0, 1.0);
  double sum_sq = 0.0, difference_sq = 0.0;
  int64_t count = 0;
  const int64_t lo = grid.nx / 2 - 4, hi = grid.nx / 2 + 4;
  for (int realisation = 0; realisation < realisations; ++realisation) {
    ScanData noisy = scan;
    for (size_t i = 0; i < noisy.sinogram.values.size(); ++i)
      noisy.sinogram.values[i] += float(normal(rng) / std::sqrt(scan.weights->values[i]));
    const ReconResult result = Reconstruct(noisy, grid, settings);
    auto error = [&](int64_t i, int64_t j) {
      return double(result.image.at(i, j, 0)) - double(clean.image.at(i, j, 0));
    };
    for (int64_t j = lo; j < hi; ++j) {
      for (int64_t i = lo; i < hi; ++i) {
        sum_sq += error(i, j) * error(i, j);
        difference_sq += (error(i, j) - error(i + 1, j)) * (error(i, j) - error(i + 1, j));
        ++count;
      }
    }
  }
  return {std::sqrt(sum_sq / double(count)), std::sqrt(difference_sq / double(count))};
}

TEST(Pipeline, PredictedNoiseMatchesTheReconstructionsOfNoisyData) {
  const ImageGeometry grid = SquareImage(48, 1.0);
  const ScanData scan = NoiselessDiscScan(grid, 4e4);

  ReconSettings settings;
  settings.prior.potential = PotentialKind::kQuadratic;
  settings.prior.delta = 1.0;
  settings.support = SupportKind::kAll;
  settings.start = StartKind::kZero;
  settings.solver.subsets = 4;
  settings.solver.iterations = 150;
  const PreparedReconstruction reference(scan, grid, settings);
  const CentreImpulseResponse response(reference.projector(), reference.weights(),
                                       reference.regularizer());
  const double beta =
      response.BetaForNoise(0.5 * FbpNoiseStd(reference.projector(), reference.weights()));
  settings.prior.beta = beta;
  const MeasuredNoise measured = CentreNoise(scan, grid, settings, 4);
  const double predicted = response.NoiseStd(beta);
  const double predicted_difference = response.NeighbourDifferenceStd(beta);
  RecordProperty("measured_noise", std::to_string(measured.voxel));
  RecordProperty("predicted_noise", std::to_string(predicted));
  RecordProperty("measured_difference", std::to_string(measured.difference));
  RecordProperty("predicted_difference", std::to_string(predicted_difference));
  EXPECT_NEAR(measured.voxel / predicted, 1.0, 0.25);
  EXPECT_NEAR(measured.difference / predicted_difference, 1.0, 0.25);
  // Correlated noise: neighbours differ by less than √2 σ.
  EXPECT_LT(predicted_difference, 0.9 * std::sqrt(2.0) * predicted);
}

// The noise rule with an edge-preserving prior whose δ is below the noise: the quadratic β would
// leave the image far noisier than asked (the prior smooths such differences less), the β divided
// by the mean curvature E[ψ''(t)] comes close.
TEST(Pipeline, NoiseFractionHoldsForAnEdgePreservingPrior) {
  const ImageGeometry grid = SquareImage(48, 1.0);
  const ScanData scan = NoiselessDiscScan(grid, 4e4);
  ReconSettings settings;
  settings.support = SupportKind::kAll;
  settings.start = StartKind::kZero;
  settings.solver.subsets = 4;
  settings.solver.iterations = 150;
  settings.prior.noise_fraction = 0.3;
  const PreparedReconstruction quadratic_reference(scan, grid, settings);
  const double target =
      0.3 * FbpNoiseStd(quadratic_reference.projector(), quadratic_reference.weights());
  settings.prior.delta = 0.25 * target;

  const PreparedReconstruction prepared(scan, grid, settings);
  const CentreImpulseResponse response(prepared.projector(), prepared.weights(),
                                       prepared.regularizer());
  const double quadratic_beta = response.BetaForNoise(target);
  EXPECT_GT(prepared.beta(), 1.5 * quadratic_beta);

  const MeasuredNoise corrected = CentreNoise(scan, grid, settings, 4);
  settings.prior.noise_fraction.reset();
  settings.prior.beta = quadratic_beta;
  const MeasuredNoise uncorrected = CentreNoise(scan, grid, settings, 4);
  RecordProperty("target_noise", std::to_string(target));
  RecordProperty("measured_noise", std::to_string(corrected.voxel));
  RecordProperty("measured_noise_quadratic_beta", std::to_string(uncorrected.voxel));
  EXPECT_NEAR(corrected.voxel / target, 1.0, 0.5);  // 1.43 at this small δ
  EXPECT_GT(uncorrected.voxel / target, 1.4);
}

// The default β is the larger of the relative rule and the noise rule, each as computed alone.
TEST(Pipeline, DefaultBetaIsTheLargerOfTheRelativeAndNoiseRules) {
  const ImageGeometry grid = SquareImage(48, 1.0);
  for (const double i0 : {1e3, 1e6}) {
    SCOPED_TRACE(i0);
    const ScanData scan = NoiselessDiscScan(grid, i0);
    ReconSettings settings;
    std::string notes;
    const double by_default =
        PreparedReconstruction(scan, grid, settings, [&](const std::string& n) {
          notes += n;
        }).beta();
    settings.prior.beta_relative = kDefaultBetaRelative;
    const double relative = PreparedReconstruction(scan, grid, settings).beta();
    settings.prior.beta_relative.reset();
    settings.prior.noise_fraction = kDefaultNoiseFraction;
    const double noise = PreparedReconstruction(scan, grid, settings).beta();
    EXPECT_DOUBLE_EQ(by_default, std::max(relative, noise));
    EXPECT_NE(notes.find(" rule gives "), std::string::npos) << notes;
    RecordProperty("relative_over_noise_at_i0_" + std::to_string(int64_t(i0)),
                   std::to_string(relative / noise));
  }
}

// A disc wider than the field of view (laterally truncated data). With the support limited to the
// scanned circle PWLS piles the attenuation outside it into a bright rim at its edge; the
// default support reaches 1.5× beyond it on a widened grid, and the output is on the caller's
// grid with the rim at least 3× lower.
TEST(Pipeline, TruncatedDataAreReconstructedBeyondTheFieldOfView) {
  ScanData scan;
  scan.geometry = testing::ParallelScan(160, 180, 0.5, 0.0);  // field of view radius 40 mm
  Phantom disc;
  disc.shapes.push_back({{0.0, 0.0, 0.0}, {60.0, 60.0, INFINITY}, 0.0, 0.02});
  scan.sinogram = AnalyticSinogram(disc, scan.geometry, 2);
  scan.weights = Sinogram(scan.geometry);
  for (size_t i = 0; i < scan.weights->values.size(); ++i)
    scan.weights->values[i] = float(1e5 * std::exp(-scan.sinogram.values[i]));
  const ImageGeometry grid = SquareImage(96, 0.8);
  ReconSettings settings;
  settings.solver.subsets = 4;
  settings.solver.iterations = 30;
  settings.prior.beta_relative = 1.0;

  std::string notes;
  const ReconResult widened =
      Reconstruct(scan, grid, settings, {}, {[&](const std::string& n) { notes += n + "\n"; }});
  EXPECT_NE(notes.find("laterally truncated data"), std::string::npos) << notes;
  EXPECT_EQ(widened.image.geometry.nx, grid.nx);
  EXPECT_EQ(widened.image.geometry.ny, grid.ny);
  settings.support = SupportKind::kFieldOfView;
  const ReconResult limited = Reconstruct(scan, grid, settings);
  // Mean |μ − 0.02| in the annulus 30–38 mm.
  auto rim_error = [](const Image& image) {
    return testing::MeanAbsErrorInAnnulus(image, 0.02, 30.0, 38.0);
  };
  RecordProperty("rim_error_fov", std::to_string(rim_error(limited.image)));
  RecordProperty("rim_error_auto", std::to_string(rim_error(widened.image)));
  EXPECT_LT(rim_error(widened.image), rim_error(limited.image) / 3.0);
}

TEST(GridExtension, PadAndCropAreInverse) {
  const ImageGeometry grid = SquareImage(6, 1.0, 2);
  EXPECT_EQ(PaddingToReach(grid, 2.5), 0);
  EXPECT_EQ(PaddingToReach(grid, 4.5), 2);  // half-width 3 mm → 5 mm
  Image x(grid);
  for (size_t j = 0; j < x.values.size(); ++j) x.values[j] = float(j + 1);
  const Image padded = PadImage(x, GridPadding{2, 0, 0});
  EXPECT_EQ(padded.geometry.nx, 10);
  EXPECT_EQ(padded.geometry.nz, 2);
  EXPECT_EQ(padded.at(2, 2, 1), x.at(0, 0, 1));
  EXPECT_EQ(padded.at(0, 0, 0), 0.0f);
  EXPECT_DOUBLE_EQ(padded.geometry.X(2.0), grid.X(0.0));  // same centre and spacing
  EXPECT_EQ(CropImage(padded, GridPadding{2, 0, 0}).values, x.values);
  // Along z (helical scans): slices keep their z.
  const GridPadding along_z{1, 3, 1};
  const Image longer = PadImage(x, along_z);
  EXPECT_EQ(longer.geometry.nz, 6);
  EXPECT_EQ(longer.at(1, 1, 3), x.at(0, 0, 0));
  EXPECT_EQ(longer.at(1, 1, 2), 0.0f);
  EXPECT_NEAR(longer.geometry.Z(3.0), grid.Z(0.0), 1e-12);
  EXPECT_NEAR(longer.geometry.X(1.0), grid.X(0.0), 1e-12);
  EXPECT_EQ(CropImage(longer, along_z).values, x.values);
  EXPECT_TRUE(CropImage(longer, along_z).geometry == grid);
  // Slices to cover a z range: grid z from −1 to 1 mm (2 slices of 1 mm).
  EXPECT_EQ(SlicesToCover(grid, -3.5, 1.0), (std::pair<int64_t, int64_t>{3, 0}));
  EXPECT_EQ(SlicesToCover(grid, 0.0, 2.2), (std::pair<int64_t, int64_t>{0, 2}));
}

// Very noisy data, where the noise rule sets β: δ rises from 1 % of the object's μ to the FBP
// image's own noise, so that noise spikes are smoothed rather than kept as edges. With little
// noise δ stays at 1 % of μ.
TEST(Pipeline, DeltaRisesToTheNoiseWhereTheNoiseRuleSetsBeta) {
  const ImageGeometry grid = SquareImage(48, 1.0);
  for (const double i0 : {30.0, 1e7}) {
    SCOPED_TRACE(i0);
    ScanData scan = NoiselessDiscScan(grid, i0);
    std::mt19937 rng(5);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (size_t i = 0; i < scan.sinogram.values.size(); ++i)
      scan.sinogram.values[i] += float(normal(rng) / std::sqrt(scan.weights->values[i]));
    std::string notes;
    const PreparedReconstruction prepared(scan, grid, ReconSettings{},
                                          [&](const std::string& n) { notes += n + "\n"; });
    const double delta = prepared.regularizer().options().delta;
    if (i0 < 100) {
      EXPECT_NE(notes.find("the FBP image's noise"), std::string::npos) << notes;
      EXPECT_GT(delta, 0.01 * 0.02 * 2);  // well above 1 % of the disc's μ
    } else {
      EXPECT_EQ(notes.find("the FBP image's noise"), std::string::npos) << notes;
      EXPECT_NEAR(delta, 0.01 * 0.02, 0.1 * 0.01 * 0.02);
    }
  }
}

}  // namespace
}  // namespace osmo
