// Adjoint tests: <A x, y> = <x, Aᵀ y> for random x, y over every geometry family, detector shape,
// odd/even sizes, channel/row offsets, anisotropic voxels, helices with a flying focal spot and
// view subsets.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "projectors/projector.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using namespace osmo::testing;

struct AdjointCase {
  std::string name;
  ImageGeometry image;
  ScanGeometry scan;
  AxialFootprint axial = AxialFootprint::kRectangle;
};

std::vector<AdjointCase> Cases() {
  std::vector<AdjointCase> cases;
  for (int64_t n : {31, 32}) {
    const std::string size = std::to_string(n);
    cases.push_back({"parallel_" + size, SquareImage(n, 1.0), ParallelScan(n + 9, 24, 0.9, 0.3)});
    cases.push_back({"parallel_360_" + size, SquareImage(n, 0.8),
                     ParallelScan(n + 4, 19, 1.1, -1.75, 2 * M_PI)});
    cases.push_back({"fan_arc_" + size, SquareImage(n, 1.0),
                     FanScan(DetectorShape::kArc, 2 * n + 1, 30, 1.3, 1.25)});
    cases.push_back({"fan_flat_" + size, SquareImage(n, 1.0),
                     FanScan(DetectorShape::kFlat, 2 * n, 30, 1.3, -0.7)});
    for (DetectorShape shape : {DetectorShape::kArc, DetectorShape::kFlat}) {
      const std::string s = shape == DetectorShape::kArc ? "arc" : "flat";
      for (AxialFootprint axial : {AxialFootprint::kRectangle, AxialFootprint::kTrapezoid}) {
        const std::string a = axial == AxialFootprint::kRectangle ? "tr" : "tt";
        cases.push_back({"cone_" + s + "_" + a + "_" + size, SquareImage(n, 1.0, n / 2 + 1, 1.7),
                         ConeScan(shape, 2 * n + 3, n + 2, 20, 1.7, 1.5, 0.8, 0.4), axial});
      }
      // Slices thinner than a row's footprint (SF-TR's unit-step path: a voxel covers under one
      // row) in a volume taller than the detector sees, so that the ends miss it.
      cases.push_back({"cone_" + s + "_tr_thin_" + size, SquareImage(n, 1.0, 2 * n, 0.6),
                       ConeScan(shape, 2 * n + 3, n / 2 + 2, 20, 1.7, 1.5, 0.8, 0.4)});
    }
  }
  // Helices (3 turns, pitch ≈ 1) through a volume longer than the helix, so that views see
  // different slabs and some slices none; with and without a flying focal spot.
  for (DetectorShape shape : {DetectorShape::kArc, DetectorShape::kFlat}) {
    const std::string s = shape == DetectorShape::kArc ? "arc" : "flat";
    for (AxialFootprint axial : {AxialFootprint::kRectangle, AxialFootprint::kTrapezoid}) {
      const std::string a = axial == AxialFootprint::kRectangle ? "tr" : "tt";
      ImageGeometry tall = SquareImage(23, 1.2, 31, 1.1);
      tall.center_mm = {0.7, -0.4, 1.3};
      ScanGeometry helix = HelicalScan(shape, 41, 8, 40, 3.0, 1.9, 1.6, 6.4);
      cases.push_back({"helical_" + s + "_" + a, tall, helix, axial});
      AddFlyingFocalSpot(&helix, 1.2e-3, 0.4, -0.3);
      cases.push_back({"helical_ffs_" + s + "_" + a, tall, helix, axial});
    }
    ImageGeometry thin = SquareImage(23, 1.2, 61, 0.55);  // SF-TR's unit-step path
    thin.center_mm = {0.7, -0.4, 1.3};
    cases.push_back(
        {"helical_" + s + "_tr_thin", thin, HelicalScan(shape, 41, 8, 40, 3.0, 1.9, 1.6, 6.4)});
  }
  // Views of 8.4 MB (2100 × 1000 cells): the cone back projection copies them in chunks of
  // SfConeProjector::kBackChunkBytes (32 MiB, three of these views), so 7 views take three
  // chunks, the last one short.
  cases.push_back({"helical_large_views", SquareImage(9, 1.2, 11, 1.1),
                   HelicalScan(DetectorShape::kFlat, 2100, 1000, 7, 1.0, 0.2, 0.3, 6.4)});
  // Stacks of independent slices with rows that do not coincide with the slices.
  ImageGeometry slab = SquareImage(20, 1.0, 5, 1.6);
  slab.center_mm = {1.5, -2.0, 0.3};
  ScanGeometry parallel_stack = ParallelScan(33, 17, 1.0, 0.5);
  parallel_stack.n_rows = 6;
  parallel_stack.row_spacing_mm = 1.3;
  parallel_stack.row_offset = 0.2;
  cases.push_back({"parallel_stack", slab, parallel_stack});
  ScanGeometry fan_stack = FanScan(DetectorShape::kArc, 45, 21, 1.2, 0.25);
  fan_stack.n_rows = 5;
  fan_stack.row_spacing_mm = 1.6;
  cases.push_back({"fan_stack", slab, fan_stack});
  return cases;
}

void PrintTo(const AdjointCase& c, std::ostream* os) { *os << c.name; }

class ProjectorAdjoint : public ::testing::TestWithParam<AdjointCase> {};

// Relative mismatch allowed between the two inner products: float round-off of sums over
// ~1e5 terms accumulated in float inside the kernels (≈1e-7 each).
constexpr double kAdjointTolerance = 1e-5;

void CheckAdjoint(const AdjointCase& c, const ViewList& views, bool sparse = false) {
  auto projector = MakeProjector(c.image, c.scan, ProjectorOptions{c.axial});
  Image x(c.image);
  x.values = RandomValues(x.size(), 1);
  if (sparse) {
    // Three of five voxel columns all zero, and of the rest every other one non-zero in a single
    // slice: the projectors skip zero columns, and must skip nothing else.
    const ImageGeometry& g = c.image;
    for (int64_t k = 0; k < g.nz; ++k) {
      for (int64_t j = 0; j < g.ny; ++j) {
        for (int64_t i = 0; i < g.nx; ++i) {
          // Not symmetric in i and j: a transposed column index would skip the wrong ones.
          const bool zero = (i + 2 * j) % 5 > 1 || (i % 2 == 1 && k != g.nz / 2);
          if (zero) x.at(i, j, k) = 0.0f;
        }
      }
    }
  }
  Sinogram y(c.scan);
  y.values = RandomValues(y.size(), 2);
  // Only the listed views of y take part: zero the others.
  std::vector<char> listed(static_cast<size_t>(c.scan.NumViews()), 0);
  for (int64_t v : views) listed[size_t(v)] = 1;
  for (int64_t v = 0; v < y.n_views; ++v) {
    if (!listed[size_t(v)]) std::fill(y.View(v), y.View(v) + c.scan.BinsPerView(), 0.0f);
  }
  Sinogram ax(c.scan);
  projector->Forward(x, ax, views);
  Image aty(c.image);
  projector->Back(y, aty, views);
  const double lhs = Dot(ax.values, y.values);
  const double rhs = Dot(x.values, aty.values);
  ASSERT_GT(std::abs(lhs), 0.0) << "projection is empty";
  EXPECT_LT(std::abs(lhs - rhs) / std::abs(lhs), kAdjointTolerance) << lhs << " vs " << rhs;
}

TEST_P(ProjectorAdjoint, AllViews) {
  CheckAdjoint(GetParam(), AllViews(GetParam().scan.NumViews()));
}

TEST_P(ProjectorAdjoint, ImageWithZeroColumns) {
  CheckAdjoint(GetParam(), AllViews(GetParam().scan.NumViews()), /*sparse=*/true);
}

TEST_P(ProjectorAdjoint, ViewSubset) {
  const auto subsets = OrderedSubsets(GetParam().scan.NumViews(), 4);
  CheckAdjoint(GetParam(), subsets[1]);
}

INSTANTIATE_TEST_SUITE_P(Geometries, ProjectorAdjoint, ::testing::ValuesIn(Cases()),
                         [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace osmo
