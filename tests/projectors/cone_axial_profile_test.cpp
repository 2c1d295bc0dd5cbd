// The SF-TR axial footprint to float round-off: a voxel on the rotation axis against the
// rectangle computed here in double from the coordinate contract (DESIGN.md).
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "projectors/projector.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using namespace osmo::testing;

// For a voxel on the axis (x = y = 0) every view has the same magnification D/R (flat: D/t,
// arc: D/r_xy, both R there) and the same transaxial footprint, so the detector rows see
//   Σ_channels y(row r) = T · sqrt(1 + z_c²/R²) · |[ρ_bottom, ρ_top] ∩ [r − ½, r + ½]|
// with ρ = (D/R)·z/Δv + (n_rows − 1)/2 − row_offset the row coordinate of height z and T the
// transaxial sum. The test checks the shape (each row's share of the voxel's sum) and the polar
// amplitude (sums of two voxels) for every voxel whose footprint lies on the detector.
struct AxisCase {
  DetectorShape shape;
  // dz·(D/R)/Δv is the rows per slice: 0.75 (below one row: two rows per voxel), 1.5 (up to three
  // rows per voxel) or 2.25 (the general path)
  double slice_mm;
};

class ConeAxialProfile : public ::testing::TestWithParam<AxisCase> {};

TEST_P(ConeAxialProfile, AxisVoxelMatchesTheExactRectangle) {
  const AxisCase param = GetParam();
  const double R = 200.0, D = 300.0, dv = 1.0;
  ScanGeometry scan = ConeScan(param.shape, 15, 40, 1, 1.0, dv, 0.0, 0.3, R, D);
  scan.angles_rad = {0.7};
  const int64_t nz = param.slice_mm < 1.0 ? 48 : (param.slice_mm < 1.2 ? 24 : 18);
  const ImageGeometry image = SquareImage(5, 1.0, nz, param.slice_mm);
  auto projector = MakeProjector(image, scan);
  const double m = D / R / dv, origin = 0.5 * double(scan.n_rows - 1) - scan.row_offset;

  std::vector<double> sums(static_cast<size_t>(nz), 0.0);
  int64_t checked = 0;
  for (int64_t k = 0; k < nz; ++k) {
    Image x(image);
    x.at(2, 2, k) = 1.0f;
    Sinogram y(scan);
    projector->Forward(x, y);
    std::vector<double> profile(static_cast<size_t>(scan.n_rows), 0.0);
    for (int64_t r = 0; r < scan.n_rows; ++r) {
      for (int64_t c = 0; c < scan.n_channels; ++c) profile[size_t(r)] += y.at(0, r, c);
      sums[size_t(k)] += profile[size_t(r)];
    }
    const double bottom = image.Z(double(k) - 0.5) * m + origin;
    const double top = image.Z(double(k) + 0.5) * m + origin;
    if (bottom < -0.5 || top > double(scan.n_rows) - 0.5) continue;  // partly off the detector
    ++checked;
    for (int64_t r = 0; r < scan.n_rows; ++r) {
      const double overlap =
          std::max(0.0, std::min(top, double(r) + 0.5) - std::max(bottom, double(r) - 0.5));
      EXPECT_NEAR(profile[size_t(r)] / sums[size_t(k)], overlap / (top - bottom), 2e-6)
          << "slice " << k << " row " << r;
    }
  }
  EXPECT_GE(checked, nz / 2);
  // The polar amplitude: the sums of two on-detector voxels are in the ratio of their secants.
  const int64_t a = nz / 2, b = nz / 2 + nz / 4;
  const double secant_a = std::hypot(1.0, image.Z(double(a)) / R);
  const double secant_b = std::hypot(1.0, image.Z(double(b)) / R);
  EXPECT_NEAR(sums[size_t(b)] / sums[size_t(a)], secant_b / secant_a, 1e-6);
  EXPECT_GT(secant_b / secant_a, 1.0 + 1e-4);  // the amplitude is tested, not 1 = 1
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConeAxialProfile,
    ::testing::Values(AxisCase{DetectorShape::kFlat, 0.5}, AxisCase{DetectorShape::kFlat, 1.0},
                      AxisCase{DetectorShape::kFlat, 1.5}, AxisCase{DetectorShape::kArc, 0.5},
                      AxisCase{DetectorShape::kArc, 1.0}, AxisCase{DetectorShape::kArc, 1.5}),
    [](const ::testing::TestParamInfo<AxisCase>& test) {
      const double slice = test.param.slice_mm;
      return std::string(test.param.shape == DetectorShape::kFlat ? "flat" : "arc") +
             (slice < 1.0 ? "_thin" : (slice < 1.2 ? "_medium" : "_thick"));
    });

}  // namespace
}  // namespace osmo
