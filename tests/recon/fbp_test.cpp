// Tests of filtered backprojection: physical scaling, orientation, convergence with sampling,
// Parker weights, FDK against fan beam, thread invariance.
// SPDX-License-Identifier: Apache-2.0
#include "recon/fbp.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "phantoms/scan_simulation.h"
#include "projectors/error.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using namespace osmo::testing;

Phantom Disc(double radius, double mu, double cx = 0.0, double cy = 0.0) {
  Phantom p;
  p.shapes.push_back(
      {{cx, cy, 0.0}, {radius, radius, std::numeric_limits<double>::infinity()}, 0.0, mu});
  return p;
}

// Mean and standard deviation of the image inside the circle (cx, cy, r) of slice k.
std::pair<double, double> RegionStats(const Image& image, double cx, double cy, double r,
                                      int64_t k = 0) {
  double sum = 0, sum_sq = 0;
  int64_t n = 0;
  const ImageGeometry& g = image.geometry;
  for (int64_t j = 0; j < g.ny; ++j) {
    for (int64_t i = 0; i < g.nx; ++i) {
      if (std::hypot(g.X(double(i)) - cx, g.Y(double(j)) - cy) > r) continue;
      const double v = image.at(i, j, k);
      sum += v;
      sum_sq += v * v;
      ++n;
    }
  }
  const double mean = sum / double(n);
  return {mean, std::sqrt(std::max(0.0, sum_sq / double(n) - mean * mean))};
}

struct GeometryCase {
  std::string name;
  ScanGeometry scan;
};

// Scans whose field of view (radius ≈ 150 mm) holds the 177 × 236 mm Shepp–Logan head.
std::vector<GeometryCase> Geometries2D(int64_t channels, int64_t views) {
  return {{"parallel", ParallelScan(channels, views, 300.0 / double(channels), 0.25)},
          {"fan_arc", FanScan(DetectorShape::kArc, channels, 2 * views, 650.0 / double(channels),
                              1.25, 400, 800)},
          {"fan_flat", FanScan(DetectorShape::kFlat, channels, 2 * views, 650.0 / double(channels),
                               -0.5, 400, 800)}};
}

// A uniform disc of μ reconstructs to μ in its interior (physical scaling), for every geometry.
TEST(Fbp, UniformDiscReconstructsToItsAttenuation) {
  const Phantom disc = Disc(60.0, 0.02, 5.0, -3.0);
  for (const GeometryCase& c : Geometries2D(256, 360)) {
    const Sinogram sino = AnalyticSinogram(disc, c.scan, 4);
    for (FbpWindow w : {FbpWindow::kRamLak, FbpWindow::kHann}) {
      const Image image = FilteredBackprojection(c.scan, sino, SquareImage(128, 1.5), {w, 1.0});
      const auto [mean, sd] = RegionStats(image, 5.0, -3.0, 40.0);
      // Tolerance 0.3 %: discretisation of the ramp filter and interpolation (measured < 0.1 %).
      EXPECT_NEAR(mean, 0.02, 0.02 * 3e-3) << c.name << " " << ToString(w);
      EXPECT_LT(sd, 0.02 * 0.01) << c.name;
      // Outside the disc the image is (nearly) zero.
      EXPECT_NEAR(RegionStats(image, 50.0, 50.0, 8.0).first, 0.0, 0.02 * 0.01) << c.name;
    }
  }
}

// Shepp–Logan: flat regions have the phantom's values and the image matches the rasterised
// phantom (a flipped or rotated image would not); the error falls with finer sampling.
TEST(Fbp, SheppLoganFlatRegionsEdgesAndConvergence) {
  const Phantom phantom = BuiltinPhantom("shepp-logan");
  for (const GeometryCase& coarse : Geometries2D(192, 180)) {
    double previous_error = 1e9;
    for (int refinement : {1, 2}) {
      const GeometryCase c =
          Geometries2D(192 * refinement, 180 * refinement)[coarse.name == "parallel"  ? 0
                                                           : coarse.name == "fan_arc" ? 1
                                                                                      : 2];
      ImageGeometry grid = SquareImage(128 * refinement, 2.0 / refinement);
      const Image image = FilteredBackprojection(c.scan, AnalyticSinogram(phantom, c.scan, 4), grid,
                                                 {FbpWindow::kHann, 1.0});
      const Image truth = Rasterize(phantom, grid, 4);
      // Flat regions (checked flat in the truth): brain above the top blob (1.02 × 0.02), inside
      // the left ventricle (1.00 × 0.02) and inside the top blob (1.03 × 0.02).
      const double regions[3][3] = {
          {0.0, 0.75 * 128, 6.0}, {-0.22 * 128, 0.0, 5.0}, {0.0, 0.35 * 128, 8.0}};
      for (const auto& r : regions) {
        const auto [truth_mean, truth_sd] = RegionStats(truth, r[0], r[1], r[2]);
        ASSERT_LT(truth_sd, 1e-6) << "region is not flat";
        EXPECT_NEAR(RegionStats(image, r[0], r[1], r[2]).first, truth_mean, 0.02 * 0.005) << c.name;
      }
      // RMS error inside the head, away from the skull edge where the filter blurs.
      double se = 0;
      int64_t n = 0;
      for (int64_t j = 0; j < grid.ny; ++j) {
        for (int64_t i = 0; i < grid.nx; ++i) {
          const double x = grid.X(double(i)) / 128, y = grid.Y(double(j)) / 128;
          if ((x / 0.6) * (x / 0.6) + (y / 0.8) * (y / 0.8) > 1) continue;
          se += std::pow(image.at(i, j, 0) - truth.at(i, j, 0), 2);
          ++n;
        }
      }
      const double rms = std::sqrt(se / double(n));
      EXPECT_LT(rms, 0.002) << c.name;  // 10 % of water, edges of small ellipses included
      EXPECT_LT(rms, previous_error) << c.name << " error does not fall with finer sampling";
      previous_error = rms;
    }
  }
}

TEST(Fbp, ParkerWeightsOfConjugateRaysSumToOne) {
  const double delta = 0.4;
  for (double beta = 0.0; beta <= M_PI + 2 * delta; beta += 0.05) {
    for (double gamma = -delta + 0.025; gamma < delta; gamma += 0.05) {  // channel centres: |γ| < δ
      const double conjugate_beta = beta + M_PI - 2 * gamma;
      if (conjugate_beta > M_PI + 2 * delta) continue;
      EXPECT_NEAR(ParkerWeight(beta, gamma, delta) + ParkerWeight(conjugate_beta, -gamma, delta),
                  1.0, 1e-12)
          << beta << " " << gamma;
    }
  }
}

TEST(Fbp, ShortScanWithParkerWeightsReconstructsTheDisc) {
  for (DetectorShape shape : {DetectorShape::kArc, DetectorShape::kFlat}) {
    ScanGeometry scan = FanScan(shape, 256, 10, 1.6, 0.0, 400, 800);
    const double half_fan = std::atan(0.5 * 256 * 1.6 / 800);
    const int64_t views = 300;
    scan.angles_rad =
        EquallySpacedAngles(views, 0.3, (M_PI + 2 * half_fan + 0.05) * views / (views - 1));
    const Sinogram sino = AnalyticSinogram(Disc(60.0, 0.02, 10.0, 5.0), scan, 4);
    const Image image =
        FilteredBackprojection(scan, sino, SquareImage(128, 1.5), {FbpWindow::kHann, 1.0});
    EXPECT_NEAR(RegionStats(image, 10.0, 5.0, 40.0).first, 0.02, 0.02 * 5e-3) << int(shape);
    EXPECT_TRUE(ComputeAngularWeights(scan).short_scan);
  }
}

// Less than a short scan: FBP still reconstructs, each measured ray once, missing angles as zeros
// (a 90° scan of a centred disc keeps its mean roughly, with limited-angle streaks).
TEST(Fbp, LimitedAngleScansAreZeroFilled) {
  ScanGeometry fan = FanScan(DetectorShape::kArc, 256, 100, 1.6, 0.0, 400, 800);
  fan.angles_rad = EquallySpacedAngles(100, 0.0, M_PI);
  const AngularWeights weights = ComputeAngularWeights(fan);
  EXPECT_TRUE(weights.limited);
  EXPECT_FALSE(weights.short_scan);
  EXPECT_NEAR(weights.complete_rad, M_PI + 2 * (0.5 * 256 * 1.6 / 800), 1e-3);  // arc: γ = u/D
  ScanGeometry parallel = ParallelScan(128, 45, 1.0, 0.0);
  parallel.angles_rad = EquallySpacedAngles(45, 0.0, M_PI / 2);
  EXPECT_TRUE(ComputeAngularWeights(parallel).limited);
  const Sinogram sino = AnalyticSinogram(Disc(40.0, 0.02, 0.0, 0.0), parallel, 4);
  const Image image = FilteredBackprojection(parallel, sino, SquareImage(64, 1.5));
  for (float v : image.values) ASSERT_TRUE(std::isfinite(v));
  // Each direction measured once carries its share: about half the disc's μ from half the angles.
  EXPECT_NEAR(RegionStats(image, 0.0, 0.0, 15.0).first, 0.01, 0.004);
}

// A disc wider than the field of view: the detector's edges are not air. Without extension the
// ramp filter sees a jump to zero and the image rises into a bright rim at the edge of the field
// of view; the smooth extension keeps the rim at least 3× lower.
TEST(Fbp, TruncatedDataAreExtendedSmoothly) {
  ScanGeometry parallel = ParallelScan(160, 180, 0.5, 0.0);  // field of view radius 40 mm
  const Sinogram truncated = AnalyticSinogram(Disc(60.0, 0.02, 0.0, 0.0), parallel, 2);
  EXPECT_EQ(TruncationExtension(truncated), 80);
  const Sinogram inside = AnalyticSinogram(Disc(30.0, 0.02, 0.0, 0.0), parallel, 2);
  EXPECT_EQ(TruncationExtension(inside), 0);
  const ImageGeometry grid = SquareImage(96, 0.8);
  FbpOptions plain;
  plain.extend_truncated = false;
  const Image without = FilteredBackprojection(parallel, truncated, grid, plain);
  const Image with = FilteredBackprojection(parallel, truncated, grid, FbpOptions{});
  // Mean |μ − 0.02| in the annulus 30–38 mm.
  auto rim_error = [](const Image& image) {
    return MeanAbsErrorInAnnulus(image, 0.02, 30.0, 38.0);
  };
  RecordProperty("rim_error_without", std::to_string(rim_error(without)));
  RecordProperty("rim_error_with", std::to_string(rim_error(with)));
  EXPECT_LT(rim_error(with), rim_error(without) / 3.0);
}

// FDK's central slice sees the same rays as a fan scan of that plane.
TEST(Fbp, ConeCentralSliceMatchesTheFanReconstruction) {
  const Phantom phantom = BuiltinPhantom("shepp-logan-3d");
  for (DetectorShape shape : {DetectorShape::kArc, DetectorShape::kFlat}) {
    ScanGeometry cone = ConeScan(shape, 200, 41, 360, 2.5, 2.5, 0.25, 0.0, 600, 1000);
    ScanGeometry fan = FanScan(shape, 200, 360, 2.5, 0.25, 600, 1000);
    ImageGeometry volume = SquareImage(128, 2.0, 9, 2.0);
    ImageGeometry slice = SquareImage(128, 2.0);
    const Image fdk = FilteredBackprojection(cone, AnalyticSinogram(phantom, cone, 2), volume);
    const Image fbp = FilteredBackprojection(fan, AnalyticSinogram(phantom, fan, 2), slice);
    double se = 0, ss = 0;
    for (int64_t j = 0; j < 128; ++j) {
      for (int64_t i = 0; i < 128; ++i) {
        se += std::pow(fdk.at(i, j, 4) - fbp.at(i, j, 0), 2);
        ss += std::pow(fbp.at(i, j, 0), 2);
      }
    }
    // The central slice's rows are interpolated from the two rows at v = ±1.25 mm.
    EXPECT_LT(std::sqrt(se / ss), 0.03) << int(shape);
    EXPECT_NEAR(RegionStats(fdk, 0.0, 0.2 * 128, 8.0, 4).first, 1.02 * 0.02, 0.02 * 0.02)
        << int(shape);
  }
}

TEST(Fbp, ResultDoesNotDependOnTheThreadCount) {
  const ScanGeometry scan = FanScan(DetectorShape::kArc, 128, 90, 3.0, 1.25, 400, 800);
  const Sinogram sino = AnalyticSinogram(BuiltinPhantom("shepp-logan"), scan, 2);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const Image one = FilteredBackprojection(scan, sino, SquareImage(64, 3.0));
  omp_set_num_threads(3);
  const Image three = FilteredBackprojection(scan, sino, SquareImage(64, 3.0));
  omp_set_num_threads(saved);
  EXPECT_EQ(one.values, three.values);
}

TEST(Fbp, OptionsAreValidated) {
  EXPECT_THROW((FbpOptions{FbpWindow::kHann, 0.0}.Validate()), InputError);
  EXPECT_THROW((FbpOptions{FbpWindow::kHann, 1.5}.Validate()), InputError);
}

}  // namespace
}  // namespace osmo
