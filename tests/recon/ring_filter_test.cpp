// Ring filter: stripes added to a sinogram are removed, a clean sinogram is left nearly as it was.
// SPDX-License-Identifier: Apache-2.0
#include "recon/ring_filter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "projectors/error.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

// Chords of an off-centre disc inside the field of view (parallel beam): smooth along channels
// except at its edges.
Sinogram DiscSinogram(const ScanGeometry& scan) {
  Sinogram s(scan);
  for (int64_t v = 0; v < scan.NumViews(); ++v) {
    const double beta = scan.angles_rad[size_t(v)];
    for (int64_t c = 0; c < scan.n_channels; ++c) {
      const double offset = scan.ChannelU(double(c)) - 15.0 * std::cos(beta);
      s.View(v)[c] = float(0.02 * 2.0 * std::sqrt(std::max(40.0 * 40.0 - offset * offset, 0.0)));
    }
  }
  return s;
}

TEST(RingFilter, RemovesStripesAndKeepsTheObject) {
  const ScanGeometry scan = testing::ParallelScan(256, 180, 0.5);
  const Sinogram clean = DiscSinogram(scan);
  Sinogram striped = clean;
  std::mt19937 rng(9);
  std::normal_distribution<float> gain(0.0f, 0.05f);
  std::vector<float> stripe(size_t(scan.n_channels));
  for (float& s : stripe) s = gain(rng);
  for (int64_t v = 0; v < scan.NumViews(); ++v)
    for (int64_t c = 0; c < scan.n_channels; ++c) striped.View(v)[c] += stripe[size_t(c)];

  const double removed = RemoveStripes(striped, 21);
  // Random stripes are white across channels: the width-21 median passes their slowest part.
  EXPECT_GT(removed, 0.035);
  EXPECT_LT(removed, 0.06);
  // What is left of the stripes: the per-channel mean difference from the clean sinogram.
  double left = 0.0, added = 0.0;
  for (int64_t c = 0; c < scan.n_channels; ++c) {
    double mean = 0.0;
    for (int64_t v = 0; v < scan.NumViews(); ++v)
      mean += (striped.View(v)[c] - clean.View(v)[c]) / double(scan.NumViews());
    left += mean * mean;
    added += double(stripe[size_t(c)]) * stripe[size_t(c)];
  }
  EXPECT_LT(std::sqrt(left / added), 0.45);  // measured 0.37: 7× less stripe energy

  Sinogram untouched = clean;
  RemoveStripes(untouched, 21);
  double change = 0.0;
  for (size_t i = 0; i < clean.values.size(); ++i)
    change = std::max(change, double(std::abs(untouched.values[i] - clean.values[i])));
  EXPECT_LT(change, 0.02 * 1.6);  // below 2 % of the largest line integral (1.6)
}

TEST(RingFilter, RejectsAnEvenOrTinyWidth) {
  Sinogram s(testing::ParallelScan(16, 4, 1.0));
  EXPECT_THROW(RemoveStripes(s, 4), SettingError);
  EXPECT_THROW(RemoveStripes(s, 1), SettingError);
}

}  // namespace
}  // namespace osmo
