// Tests of image metrics against hand computations and a reference SSIM value.
// SPDX-License-Identifier: Apache-2.0
#include "recon/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

TEST(Metrics, RmsdInHuOverAMask) {
  ImageGeometry g = testing::SquareImage(2, 1.0);
  Image x(g), r(g);
  x.values = {0.02f, 0.022f, 0.0f, 0.5f};
  r.values = {0.02f, 0.020f, 0.001f, 0.0f};
  // Inside the mask {0, 1, 2}: differences 0, +100 HU, −50 HU → sqrt((0 + 1e4 + 2500)/3).
  EXPECT_NEAR(RmsdHu(x, r, {1, 1, 1, 0}), std::sqrt(12500.0 / 3.0), 1e-3);
  EXPECT_NEAR(RmsdHu(x, r, {0, 1, 0, 0}), 100.0, 1e-3);
}

TEST(Metrics, StatisticsAndDiscMask) {
  ImageGeometry g = testing::SquareImage(5, 1.0);
  Image x(g);
  for (int64_t n = 0; n < 25; ++n) x.values[size_t(n)] = float(n);
  const auto mask =
      DiscMask(g, 0.0, 0.0, 1.0);  // the centre and its 4 neighbours: 12, 7, 11, 13, 17
  const RegionStatistics s = Statistics(x, mask);
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.mean, 12.0);
  EXPECT_NEAR(s.sd, std::sqrt((25.0 + 1 + 1 + 25) / 5.0), 1e-12);
}

// Reference value: scikit-image 0.19.3 (Debian python3-skimage),
// structural_similarity(a, b, data_range=100, gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False) for a[j, i] = i + 2j, b = a + 3 sin(i) cos(j) on 16 × 16
// (computed once; see docs/STUDY.md).
TEST(Metrics, SsimMatchesTheReferenceImplementationOnADocumentedCase) {
  std::vector<float> a(256), b(256);
  for (int j = 0; j < 16; ++j) {
    for (int i = 0; i < 16; ++i) {
      a[size_t(j * 16 + i)] = float(i + 2 * j);
      b[size_t(j * 16 + i)] =
          float(double(i + 2 * j) + 3.0 * std::sin(double(i)) * std::cos(double(j)));
    }
  }
  EXPECT_NEAR(Ssim2D(a.data(), b.data(), 16, 16, 100.0), 0.9337188043809344, 1e-6);
  EXPECT_NEAR(Ssim2D(a.data(), a.data(), 16, 16, 100.0), 1.0, 1e-12);
  EXPECT_THROW(Ssim2D(a.data(), b.data(), 8, 32, 100.0), std::invalid_argument);
}

// White noise of deviation σ is estimated within a few % from the image alone, and a strong step
// edge through the middle barely moves it.
TEST(Metrics, RobustNoiseStdFindsWhiteNoiseDespiteEdges) {
  const ImageGeometry grid = testing::SquareImage(128, 1.0);
  Image x(grid);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.01f);
  for (float& v : x.values) v = 0.02f + normal(rng);
  const std::vector<uint8_t> all(x.values.size(), 1);
  EXPECT_NEAR(RobustNoiseStd(x, all), 0.01, 0.0005);
  for (int64_t j = 0; j < 128; ++j)
    for (int64_t i = 64; i < 128; ++i) x.at(i, j, 0) += 0.5f;
  EXPECT_NEAR(RobustNoiseStd(x, all), 0.01, 0.001);
  EXPECT_EQ(RobustNoiseStd(x, std::vector<uint8_t>(x.values.size(), 0)), 0.0);
}

}  // namespace
}  // namespace osmo
