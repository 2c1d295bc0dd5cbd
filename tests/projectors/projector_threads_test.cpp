// Projector results do not depend on the thread count, and subsets equal the full projection.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <omp.h>

#include "projectors/projector.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using namespace osmo::testing;

ScanGeometry HelicalFfsScan() {
  ScanGeometry scan = HelicalScan(DetectorShape::kArc, 40, 6, 24, 2.5, 1.5, 1.5, 4.0);
  AddFlyingFocalSpot(&scan, 1e-3, 0.3, 0.2);
  return scan;
}

struct Case {
  ImageGeometry image;
  ScanGeometry scan;
};

std::vector<Case> Cases() {
  return {{SquareImage(37, 1.0), ParallelScan(50, 36, 1.0, 0.25)},
          {SquareImage(37, 1.0), FanScan(DetectorShape::kArc, 70, 36, 1.1, 1.25)},
          {SquareImage(20, 1.0, 9, 1.2), ConeScan(DetectorShape::kFlat, 40, 20, 24, 1.5, 1.5)},
          {SquareImage(20, 1.0, 24, 1.0), HelicalFfsScan()}};
}

TEST(ProjectorThreads, ForwardAndBackAreBitIdenticalForOneAndManyThreads) {
  const int saved = omp_get_max_threads();
  for (const Case& c : Cases()) {
    auto projector = MakeProjector(c.image, c.scan);
    Image x(c.image);
    x.values = RandomValues(x.size(), 3);
    Sinogram y(c.scan);
    y.values = RandomValues(y.size(), 4);
    Sinogram ax1(c.scan), ax4(c.scan);
    Image aty1(c.image), aty4(c.image);
    omp_set_num_threads(1);
    projector->Forward(x, ax1);
    projector->Back(y, aty1);
    omp_set_num_threads(4);
    projector->Forward(x, ax4);
    projector->Back(y, aty4);
    EXPECT_EQ(ax1.values, ax4.values) << ToString(c.scan.kind);
    EXPECT_EQ(aty1.values, aty4.values) << ToString(c.scan.kind);
  }
  omp_set_num_threads(saved);
}

TEST(ProjectorSubsets, SubsetForwardEqualsTheSameViewsOfTheFullProjection) {
  for (const Case& c : Cases()) {
    auto projector = MakeProjector(c.image, c.scan);
    Image x(c.image);
    x.values = RandomValues(x.size(), 5);
    Sinogram full(c.scan);
    projector->Forward(x, full);
    const auto subsets = OrderedSubsets(c.scan.NumViews(), 6);
    Sinogram part(c.scan, -1.0f);
    projector->Forward(x, part, subsets[2]);
    std::vector<char> listed(static_cast<size_t>(c.scan.NumViews()), 0);
    for (int64_t v : subsets[2]) listed[size_t(v)] = 1;
    for (int64_t v = 0; v < c.scan.NumViews(); ++v) {
      for (int64_t b = 0; b < c.scan.BinsPerView(); ++b) {
        const float expected = listed[size_t(v)] ? full.View(v)[b] : -1.0f;
        ASSERT_EQ(part.View(v)[b], expected) << "view " << v << " bin " << b;
      }
    }
    // Back projecting the subsets one by one and summing gives the full back projection.
    Sinogram y(c.scan);
    y.values = RandomValues(y.size(), 6);
    Image whole(c.image), sum(c.image), one(c.image);
    projector->Back(y, whole);
    for (const ViewList& subset : subsets) {
      projector->Back(y, one, subset);
      for (int64_t n = 0; n < sum.size(); ++n) sum.values[size_t(n)] += one.values[size_t(n)];
    }
    for (int64_t n = 0; n < sum.size(); ++n) {
      ASSERT_NEAR(sum.values[size_t(n)], whole.values[size_t(n)],
                  1e-5 * std::abs(whole.values[size_t(n)]) + 1e-6);
    }
  }
}

}  // namespace
}  // namespace osmo
