// Tests of analytic phantoms: exact chords against numerical integration, rasterisation.
// SPDX-License-Identifier: Apache-2.0
#include "phantoms/phantom.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "projectors/error.h"

namespace osmo {
namespace {

// ∫ μ along the ray by the midpoint rule with step h over [−L, L] around the start point's
// closest approach to the origin: independent of the chord formula (it only asks ValueAt).
double NumericalLineIntegral(const Phantom& p, const std::array<double, 3>& start,
                             const std::array<double, 3>& d, double half_length, double h) {
  const double t0 = -(start[0] * d[0] + start[1] * d[1] + start[2] * d[2]);
  double sum = 0.0;
  for (double t = -half_length + 0.5 * h; t < half_length; t += h) {
    const double s = t0 + t;
    sum += p.ValueAt(start[0] + s * d[0], start[1] + s * d[1], start[2] + s * d[2]);
  }
  return sum * h;
}

void CheckAgainstNumerical(const Phantom& phantom, bool random_z) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> pos(-60.0, 60.0), ang(0.0, 2 * M_PI), tilt(-0.4, 0.4);
  int nonzero = 0;
  for (int n = 0; n < 60; ++n) {
    const double phi = ang(rng), theta = random_z ? tilt(rng) : 0.0;
    const std::array<double, 3> d = {std::cos(phi) * std::cos(theta),
                                     std::sin(phi) * std::cos(theta), std::sin(theta)};
    const std::array<double, 3> start = {pos(rng), pos(rng), random_z ? 0.3 * pos(rng) : 0.0};
    const double exact = phantom.LineIntegral(start, d);
    // Midpoint rule with step h = 0.005 mm: each of the ≤ 2·17 boundary crossings errs by at most
    // h·|Δμ| ≤ 0.005 · 0.04, so 3e-3 bounds the total (line integrals here are 1–10).
    const double numerical = NumericalLineIntegral(phantom, start, d, 300.0, 0.005);
    nonzero += exact > 0.0;
    EXPECT_NEAR(exact, numerical, 3e-3) << "ray " << n;
  }
  EXPECT_GT(nonzero, 40);
}

TEST(Phantom, ExactLineIntegralsOf2DPhantomsMatchNumericalIntegration) {
  CheckAgainstNumerical(BuiltinPhantom("shepp-logan"), false);
  CheckAgainstNumerical(BuiltinPhantom("thorax"), false);
}

TEST(Phantom, ExactLineIntegralsOf3DPhantomsMatchNumericalIntegration) {
  CheckAgainstNumerical(BuiltinPhantom("shepp-logan-3d"), true);
  CheckAgainstNumerical(BuiltinPhantom("thorax-3d"), true);
}

TEST(Phantom, RotatedEllipseChordIsTheRotatedAxisLength) {
  Ellipsoid e;
  e.center_mm = {3.0, -2.0, 0.0};
  e.semi_axes_mm = {10.0, 4.0, std::numeric_limits<double>::infinity()};
  e.angle_rad = M_PI / 6;  // first semi-axis along 30°
  const std::array<double, 3> d = {std::cos(M_PI / 6), std::sin(M_PI / 6), 0.0};
  const std::array<double, 3> p = {3.0 - 50 * d[0], -2.0 - 50 * d[1], 17.0};
  EXPECT_NEAR(e.Chord(p, d), 20.0, 1e-12);
  const std::array<double, 3> d_minor = {-d[1], d[0], 0.0};
  EXPECT_NEAR(e.Chord({3.0, -2.0, 0.0}, d_minor), 8.0, 1e-12);
}

TEST(Phantom, ThoraxHasTheDocumentedValues) {
  const Phantom p = BuiltinPhantom("thorax");
  EXPECT_NEAR(p.ValueAt(0, 40, 0), MuFromHu(40), 1e-12);       // soft tissue
  EXPECT_NEAR(p.ValueAt(-100, 40, 0), MuFromHu(-850), 1e-12);  // lung
  EXPECT_NEAR(p.ValueAt(195, 0, 0), MuFromHu(-100), 1e-12);    // fat
  EXPECT_NEAR(p.ValueAt(-15, -22, 0), MuFromHu(60), 1e-12);    // +5 HU lesion in the heart
  EXPECT_NEAR(p.ValueAt(0, -42, 0), MuFromHu(75), 1e-12);      // +20 HU lesion
  EXPECT_EQ(p.ValueAt(0, -140, 0), 0.0);                       // air
}

// The thorax lies in the patient's LPS frame that viewers apply to osmo's volumes (+x left, +y
// posterior): spine behind, sternum in front, descending aorta left of the spine, heart lesions
// anterior. A phantom drawn with +y anterior opens upside down in 3D Slicer.
TEST(Phantom, ThoraxIsInThePatientLpsFrame) {
  const Phantom p = BuiltinPhantom("thorax");
  EXPECT_NEAR(p.ValueAt(0, 78, 0), MuFromHu(400), 1e-12);    // vertebral body: posterior
  EXPECT_NEAR(p.ValueAt(0, -104, 0), MuFromHu(600), 1e-12);  // sternum: anterior
  EXPECT_NEAR(p.ValueAt(22, 52, 0), MuFromHu(50), 1e-12);    // aorta: patient's left
  EXPECT_NEAR(p.ValueAt(-22, 52, 0), MuFromHu(40), 1e-12);   // soft tissue on the right
}

TEST(Phantom, UnknownBuiltinNamesAreListed) {
  try {
    BuiltinPhantom("head");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("thorax"), std::string::npos) << e.what();
  }
}

TEST(Rasterize, PartialVolumeKeepsTheIntegralOfADisc) {
  Phantom p;
  p.shapes.push_back(
      {{1.3, -0.7, 0.0}, {9.3, 6.1, std::numeric_limits<double>::infinity()}, 0.4, 0.02});
  ImageGeometry g;
  g.nx = g.ny = 32;
  g.voxel_size_mm = 1.0;
  const Image image = Rasterize(p, g, 8);
  double sum = 0.0;
  for (float v : image.values) sum += v;
  const double exact = M_PI * 9.3 * 6.1 * 0.02;
  // Supersampling 8×8 of ~60 edge voxels: error ≪ 1 %.
  EXPECT_NEAR(sum, exact, 2e-3 * exact);
  EXPECT_FLOAT_EQ(image.at(16, 16, 0), 0.02f);  // fully inside
  EXPECT_EQ(image.at(0, 0, 0), 0.0f);           // fully outside
}

TEST(Rasterize, Ellipsoid3DVolumeIsConserved) {
  Phantom p;
  p.is_3d = true;
  p.shapes.push_back({{0.5, 0.2, -1.1}, {7.0, 5.0, 4.0}, 0.3, 1.0});
  ImageGeometry g;
  g.nx = g.ny = 20;
  g.nz = 14;
  g.voxel_size_mm = 1.0;
  g.slice_thickness_mm = 0.8;
  const Image image = Rasterize(p, g, 6);
  double sum = 0.0;
  for (float v : image.values) sum += v;
  const double volume = 4.0 / 3.0 * M_PI * 7 * 5 * 4;
  EXPECT_NEAR(sum * 1.0 * 1.0 * 0.8, volume, 5e-3 * volume);
}

}  // namespace
}  // namespace osmo
