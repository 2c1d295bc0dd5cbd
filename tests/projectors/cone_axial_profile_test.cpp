// The SF-TR and SF-TT axial footprints to float round-off: a voxel on the rotation axis against
// the rectangle or trapezoid computed here in double from the coordinate contract (DESIGN.md).
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
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
// SF-TT's axial footprint is the trapezoid through the face heights magnified at the voxel's
// nearest and farthest corner (depth t along e_r for a flat detector, r_xy for an arc): for the
// axis voxel of side dx in view β the corners (±dx/2, ±dx/2) have t = R − x sin β + y cos β. Its
// rows get the trapezoid's integral over them, computed here in double.
struct AxisCase {
  DetectorShape shape;
  AxialFootprint axial;
  // dz·(D/R)/Δv is the rows per slice: 0.75 (below one row: two rows per voxel), 0.96 (SF-TT's
  // trapezoid widens away from z = 0, and 3 of its on-detector voxels reach a third row, which its
  // two-row path must refuse), 1.5 (up to three rows per voxel) or 2.25 (the general path)
  double slice_mm;
};

// ∫_{−∞}^{t} of the unit-height trapezoid q0 ≤ q1 ≤ q2 ≤ q3.
double TrapezoidIntegral(const std::array<double, 4>& q, double t) {
  const double a = std::clamp(t, q[0], q[1]) - q[0];
  const double b = std::clamp(t, q[1], q[2]) - q[1];
  const double c = std::clamp(t, q[2], q[3]) - q[2];
  const double rise = q[1] - q[0], fall = q[3] - q[2];
  return (rise > 0.0 ? a * a / (2.0 * rise) : 0.0) + b + c -
         (fall > 0.0 ? c * c / (2.0 * fall) : 0.0);
}

class ConeAxialProfile : public ::testing::TestWithParam<AxisCase> {};

TEST_P(ConeAxialProfile, AxisVoxelMatchesTheExactFootprint) {
  const AxisCase param = GetParam();
  const double R = 200.0, D = 300.0, dv = 1.0, beta = 0.7, dx = 1.0;
  ScanGeometry scan = ConeScan(param.shape, 15, 40, 1, 1.0, dv, 0.0, 0.3, R, D);
  scan.angles_rad = {beta};
  const int64_t nz = param.slice_mm < 1.0 ? 48 : (param.slice_mm < 1.2 ? 24 : 18);
  const ImageGeometry image = SquareImage(5, dx, nz, param.slice_mm);
  auto projector = MakeProjector(image, scan, ProjectorOptions{param.axial});
  const double origin = 0.5 * double(scan.n_rows - 1) - scan.row_offset;
  // Rows per mm of z: D/R at the centre (SF-TR), at the nearest and farthest corner (SF-TT).
  double m_near = D / R / dv, m_far = m_near;
  if (param.axial == AxialFootprint::kTrapezoid) {
    double near = 1e300, far = 0.0;
    for (double x : {-0.5 * dx, 0.5 * dx}) {
      for (double y : {-0.5 * dx, 0.5 * dx}) {
        const double t = R - x * std::sin(beta) + y * std::cos(beta);
        const double u = x * std::cos(beta) + y * std::sin(beta);
        const double depth = param.shape == DetectorShape::kArc ? std::hypot(t, u) : t;
        near = std::min(near, depth);
        far = std::max(far, depth);
      }
    }
    m_near = D / near / dv;
    m_far = D / far / dv;
    ASSERT_GT(m_near / m_far, 1.005);  // a trapezoid, not a rectangle
  }

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
    const double z_bottom = image.Z(double(k) - 0.5), z_top = image.Z(double(k) + 0.5);
    std::array<double, 4> q = {z_bottom * m_near + origin, z_bottom * m_far + origin,
                               z_top * m_near + origin, z_top * m_far + origin};
    std::sort(q.begin(), q.end());
    if (q[0] < -0.5 || q[3] > double(scan.n_rows) - 0.5) continue;  // partly off the detector
    ++checked;
    const double area = TrapezoidIntegral(q, q[3]);
    for (int64_t r = 0; r < scan.n_rows; ++r) {
      const double share =
          (TrapezoidIntegral(q, double(r) + 0.5) - TrapezoidIntegral(q, double(r) - 0.5)) / area;
      // The kernels place faces in float row coordinates: a few 1e-6 of a row at these heights.
      EXPECT_NEAR(profile[size_t(r)] / sums[size_t(k)], share, 1e-5)
          << "slice " << k << " row " << r;
    }
  }
  EXPECT_GE(checked, nz / 2);
  // The polar amplitude: the sums of two on-detector voxels are in the ratio of their secants.
  const int64_t a = nz / 2, b = nz / 2 + nz / 4;
  const double secant_a = std::hypot(1.0, image.Z(double(a)) / R);
  const double secant_b = std::hypot(1.0, image.Z(double(b)) / R);
  // (SF-TT's area, a sum of float integrals, carries ~1e-6 of round-off: 3e-6 there.)
  EXPECT_NEAR(sums[size_t(b)] / sums[size_t(a)], secant_b / secant_a,
              param.axial == AxialFootprint::kRectangle ? 1e-6 : 3e-6);
  EXPECT_GT(secant_b / secant_a, 1.0 + 1e-4);  // the amplitude is tested, not 1 = 1
}

std::vector<AxisCase> AxisCases() {
  std::vector<AxisCase> cases;
  for (DetectorShape shape : {DetectorShape::kFlat, DetectorShape::kArc}) {
    for (AxialFootprint axial : {AxialFootprint::kRectangle, AxialFootprint::kTrapezoid}) {
      for (double slice : {0.5, 0.64, 1.0, 1.5}) cases.push_back({shape, axial, slice});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConeAxialProfile, ::testing::ValuesIn(AxisCases()),
                         [](const ::testing::TestParamInfo<AxisCase>& test) {
                           const double slice = test.param.slice_mm;
                           return std::string(test.param.shape == DetectorShape::kFlat ? "flat"
                                                                                       : "arc") +
                                  (test.param.axial == AxialFootprint::kRectangle ? "_tr" : "_tt") +
                                  (slice < 0.6   ? "_thin"
                                   : slice < 1.0 ? "_near_one"
                                   : slice < 1.2 ? "_medium"
                                                 : "_thick");
                         });

}  // namespace
}  // namespace osmo
