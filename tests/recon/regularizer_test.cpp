// Tests of the regulariser: finite-difference gradients, curvature majorisation, hand-computed
// cost. SPDX-License-Identifier: Apache-2.0
#include "recon/regularizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "projectors/error.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using testing::RandomValues;
using testing::SquareImage;

struct Case {
  PotentialKind potential;
  Neighborhood neighborhood;
};

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (PotentialKind p : {PotentialKind::kQuadratic, PotentialKind::kHuber,
                          PotentialKind::kHyperbola, PotentialKind::kFair}) {
    for (Neighborhood n :
         {Neighborhood::k4, Neighborhood::k8, Neighborhood::k6, Neighborhood::k26}) {
      cases.push_back({p, n});
    }
  }
  return cases;
}

bool Is3D(Neighborhood n) { return n == Neighborhood::k6 || n == Neighborhood::k26; }

class RegularizerCases : public ::testing::TestWithParam<Case> {};

std::string CaseName(const Case& c) {
  return std::string(ToString(c.potential)) + "_" + std::to_string(int(c.neighborhood));
}

// Random image with differences spanning both sides of δ, so every branch of ψ is exercised.
Image RandomImage(const ImageGeometry& g, uint32_t seed) {
  Image x(g);
  x.values = RandomValues(g.NumVoxels(), seed);
  for (float& v : x.values) v *= 0.004f;
  return x;
}

TEST_P(RegularizerCases, GradientMatchesCentralFiniteDifferences) {
  const Case c = GetParam();
  const ImageGeometry g = SquareImage(7, 1.0, Is3D(c.neighborhood) ? 5 : 1);
  RegularizerOptions options{c.potential, 3.0, 0.001, c.neighborhood};
  // Resolution-uniformising factors make κ_jk = c_j c_k / dist: tested too.
  std::vector<float> uniformity = RandomValues(g.NumVoxels(), 5);
  for (float& u : uniformity) u += 0.5f;
  for (bool with_uniformity : {false, true}) {
    const Regularizer r(g, options, with_uniformity ? uniformity : std::vector<float>{});
    const Image x = RandomImage(g, 3);
    Image gradient(g);
    r.AddGradient(x, gradient);
    // Central differences in double through Cost(); step h on values of size ~4e-3.
    const double h = 2e-5;
    double max_error = 0.0, max_gradient = 0.0;
    for (int64_t j = 0; j < g.NumVoxels(); j += 3) {
      Image plus = x, minus = x;
      plus.values[size_t(j)] += float(h);
      minus.values[size_t(j)] -= float(h);
      const double step = double(plus.values[size_t(j)]) - double(minus.values[size_t(j)]);
      const double fd = (r.Cost(plus) - r.Cost(minus)) / step;
      max_error = std::max(max_error, std::abs(fd - gradient.values[size_t(j)]));
      max_gradient = std::max(max_gradient, std::abs(fd));
    }
    ASSERT_GT(max_gradient, 0.0);
    // Relative error 2e-3: float gradient against an O(h²) difference quotient of double costs.
    EXPECT_LT(max_error / max_gradient, 2e-3) << CaseName(c) << " uniformity " << with_uniformity;
  }
}

// The separable quadratic surrogate with curvature d_j majorises R:
// R(x + Δ) ≤ R(x) + ∇R(x)·Δ + ½ Σ d_j Δ_j², for Huber's curvature at x and for the maximum.
TEST_P(RegularizerCases, SqsCurvaturesMajoriseTheRegulariser) {
  const Case c = GetParam();
  const ImageGeometry g = SquareImage(8, 1.0, Is3D(c.neighborhood) ? 4 : 1);
  const Regularizer r(g, RegularizerOptions{c.potential, 2.0, 0.001, c.neighborhood});
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 0.003f);
  for (int trial = 0; trial < 20; ++trial) {
    const Image x = RandomImage(g, uint32_t(trial + 10));
    Image gradient(g), huber(g), maximum(g);
    r.AddGradient(x, gradient);
    r.AddHuberCurvature(x, huber);
    r.AddMaxCurvature(maximum);
    Image moved = x;
    std::vector<double> delta(static_cast<size_t>(g.NumVoxels()));
    for (size_t j = 0; j < delta.size(); ++j) {
      delta[j] = normal(rng);
      moved.values[j] += float(delta[j]);
      delta[j] = double(moved.values[j]) - double(x.values[j]);
    }
    double linear = 0.0, quad_huber = 0.0, quad_max = 0.0;
    for (size_t j = 0; j < delta.size(); ++j) {
      linear += gradient.values[j] * delta[j];
      quad_huber += 0.5 * huber.values[j] * delta[j] * delta[j];
      quad_max += 0.5 * maximum.values[j] * delta[j] * delta[j];
      EXPECT_LE(huber.values[j], maximum.values[j] * (1 + 1e-6));
    }
    const double base = r.Cost(x), value = r.Cost(moved);
    const double slack = 1e-6 * (std::abs(base) + quad_max);
    EXPECT_LE(value, base + linear + quad_huber + slack) << CaseName(c);
    EXPECT_LE(value, base + linear + quad_max + slack) << CaseName(c);
  }
}

// The fused pass (os-lalm's every sub-iteration) adds what the two separate ones add, onto buffers
// that already hold something, with and without the uniformity factors: the gradient to the bit,
// the curvature to float round-off (the compiler simplifies a constant ω = 1 differently in the
// two loops; measured differences of one unit in the last place).
TEST_P(RegularizerCases, FusedGradientAndHuberCurvatureEqualTheSeparatePasses) {
  const Case c = GetParam();
  const ImageGeometry g = SquareImage(9, 1.0, Is3D(c.neighborhood) ? 4 : 1);
  std::vector<float> uniformity = RandomValues(g.NumVoxels(), 21);
  for (float& u : uniformity) u += 0.5f;
  for (bool with_uniformity : {false, true}) {
    const Regularizer r(g, RegularizerOptions{c.potential, 2.0, 0.001, c.neighborhood},
                        with_uniformity ? uniformity : std::vector<float>{});
    const Image x = RandomImage(g, 31);
    Image gradient = RandomImage(g, 32), curvature = RandomImage(g, 33);
    Image fused_gradient = gradient, fused_curvature = curvature;
    r.AddGradient(x, gradient);
    r.AddHuberCurvature(x, curvature);
    r.AddGradientAndHuberCurvature(x, fused_gradient, fused_curvature);
    EXPECT_EQ(fused_gradient.values, gradient.values) << CaseName(c) << " " << with_uniformity;
    for (size_t j = 0; j < curvature.values.size(); ++j) {
      ASSERT_NEAR(fused_curvature.values[j], curvature.values[j], 2e-7f * curvature.values[j])
          << CaseName(c) << " " << with_uniformity << " voxel " << j;
    }
    EXPECT_NE(gradient.values, RandomImage(g, 32).values);  // something was added
  }
}

INSTANTIATE_TEST_SUITE_P(PotentialsAndNeighborhoods, RegularizerCases,
                         ::testing::ValuesIn(AllCases()),
                         [](const auto& p) { return CaseName(p.param); });

// 2 × 2 image [a b; c d] (x fastest: a=(0,0), b=(1,0), c=(0,1), d=(1,1)), 8 neighbours,
// quadratic potential: R = β[(a−b)²/2 + (c−d)²/2 + (a−c)²/2 + (b−d)²/2
//                        + (1/√2)((a−d)²/2 + (b−c)²/2)].
TEST(Regularizer, CostOfATinyImageMatchesAHandComputation) {
  ImageGeometry g = SquareImage(2, 1.0);
  Image x(g);
  x.values = {1.0f, 3.0f, 4.0f, 8.0f};
  const double beta = 0.5;
  const double hand =
      beta * (4.0 / 2 + 16.0 / 2 + 9.0 / 2 + 25.0 / 2 + (49.0 / 2 + 1.0 / 2) / std::sqrt(2.0));
  EXPECT_NEAR(Regularizer(g, {PotentialKind::kQuadratic, beta, 1.0, Neighborhood::k8}).Cost(x),
              hand, 1e-12);
  const double hand4 = beta * (4.0 / 2 + 16.0 / 2 + 9.0 / 2 + 25.0 / 2);
  EXPECT_NEAR(Regularizer(g, {PotentialKind::kQuadratic, beta, 1.0, Neighborhood::k4}).Cost(x),
              hand4, 1e-12);
  // Fair potential with δ = 2 on the single pair (0, 5) of a 2 × 1 image: δ²(r − log(1 + r)), r
  // = 2.5.
  ImageGeometry line = SquareImage(2, 1.0);
  line.ny = 1;
  Image pair(line);
  pair.values = {0.0f, 5.0f};
  EXPECT_NEAR(Regularizer(line, {PotentialKind::kFair, 1.0, 2.0, Neighborhood::k8}).Cost(pair),
              4.0 * (2.5 - std::log(3.5)), 1e-12);
}

TEST(Regularizer, MaximumCurvatureOfAnInteriorVoxelIsTheDocumentedConstant) {
  const ImageGeometry g2 = SquareImage(5, 1.0);
  Image d2(g2);
  Regularizer(g2, {PotentialKind::kFair, 1.0, 0.01, Neighborhood::k8}).AddMaxCurvature(d2);
  EXPECT_NEAR(d2.at(2, 2, 0), 2 * (4 + 4 / std::sqrt(2.0)), 1e-5);  // 13.657 β
  const ImageGeometry g3 = SquareImage(5, 1.0, 5);
  Image d3(g3);
  Regularizer(g3, {PotentialKind::kFair, 1.0, 0.01, Neighborhood::k26}).AddMaxCurvature(d3);
  EXPECT_NEAR(d3.at(2, 2, 2), 2 * (6 + 12 / std::sqrt(2.0) + 8 / std::sqrt(3.0)), 1e-4);  // 38.21 β
}

TEST(Regularizer, RejectsBadOptions) {
  EXPECT_THROW((RegularizerOptions{PotentialKind::kFair, -1.0, 0.01, Neighborhood::k8}.Validate()),
               InputError);
  EXPECT_THROW((RegularizerOptions{PotentialKind::kHuber, 1.0, 0.0, Neighborhood::k8}.Validate()),
               InputError);
}

// E[ψ''(t)] over t ~ N(0, s²): 1 for the quadratic, P(|t| ≤ δ) = erf(δ/(s√2)) for Huber (exact),
// → 1 for small noise and falling as the noise grows past δ for every edge-preserving potential.
TEST(MeanCurvature, AveragesTheSecondDerivativeOverGaussianDifferences) {
  EXPECT_DOUBLE_EQ(MeanCurvature(PotentialKind::kQuadratic, 1e-3, 5.0), 1.0);
  for (const double s : {0.3, 1.0, 4.0}) {
    EXPECT_NEAR(MeanCurvature(PotentialKind::kHuber, 2.0, 2.0 * s),
                std::erf(1.0 / (s * std::sqrt(2.0))), 2e-3);
  }
  for (const auto kind : {PotentialKind::kHyperbola, PotentialKind::kFair}) {
    EXPECT_NEAR(MeanCurvature(kind, 1.0, 1e-4), 1.0, 1e-3);
    double previous = 1.0;
    for (const double s : {0.5, 1.0, 2.0, 8.0}) {
      const double c = MeanCurvature(kind, 1.0, s);
      EXPECT_LT(c, previous);
      previous = c;
    }
    EXPECT_LT(previous, 0.2);
  }
}

}  // namespace
}  // namespace osmo
