// NU-SQS denominators (Kim, Park, Jang & Fessler 2013) majorise the cost's Hessian for any
// weights u, are tight along u, and reduce to the uniform denominator for u ≡ 1.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "recon/pwls_problem.h"
#include "recon/regularizer.h"
#include "tests/support/pwls_case.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using namespace osmo::testing;

// A 20 × 20 × 3 cone-beam problem (26 neighbours, so every neighbour direction is exercised) with
// random data and weights.
struct NonuniformCase : PwlsCase {
  NonuniformCase()
      : PwlsCase(SquareImage(20, 1.0, 3, 1.5), ConeScan(DetectorShape::kArc, 40, 6, 30, 1.4, 1.6),
                 {PotentialKind::kFair, 30.0, 0.01, Neighborhood::k26}) {
    y.values = RandomValues(y.size(), 3);
    w.values = RandomValues(w.size(), 4);
    for (float& v : w.values) v = 1.0f + 9.0f * v;
  }
};

// u ≥ 0 spread over four decades, a quarter of it 0 (voxels that do not move).
Image RandomWeights(const ImageGeometry& g, uint32_t seed) {
  Image u(g);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> exponent(-4.0f, 0.0f), coin(0.0f, 1.0f);
  for (float& v : u.values) v = coin(rng) < 0.25f ? 0.0f : std::pow(10.0f, exponent(rng));
  return u;
}

Image Denominator(const NonuniformCase& c, const Image& u) {
  Image d = c.problem.DataCurvature(u);
  c.regularizer.AddNonuniformMaxCurvature(u, d);
  return d;
}

// ‖W^{1/2} A Δ‖² = Δᵀ AᵀWA Δ.
double DataQuadratic(const NonuniformCase& c, const Image& delta) {
  Sinogram p(c.scan);
  c.projector->Forward(delta, p);
  double sum = 0.0;
  for (int64_t n = 0; n < p.size(); ++n)
    sum += double(c.w.values[size_t(n)]) * p.values[size_t(n)] * p.values[size_t(n)];
  return sum;
}

double WeightedSquare(const Image& d, const Image& delta) {
  double sum = 0.0;
  for (size_t j = 0; j < d.values.size(); ++j)
    sum += double(d.values[j]) * delta.values[j] * delta.values[j];
  return sum;
}

TEST(NonuniformSqs, UniformWeightsGiveTheUniformDenominator) {
  const NonuniformCase c;
  Image uniform = c.problem.DataCurvature();
  c.regularizer.AddMaxCurvature(uniform);
  const Image ones(c.grid, 1.0f);
  const Image nonuniform = Denominator(c, ones);
  for (size_t j = 0; j < uniform.values.size(); ++j)
    ASSERT_NEAR(nonuniform.values[j], uniform.values[j], 1e-5 * uniform.values[j]) << j;
}

// The data term: Σ_j D_L,j(u) Δ_j² ≥ Δᵀ AᵀWA Δ for every Δ that is 0 where u is, with equality
// for Δ = u. Without the regulariser's part the bound is the tight one.
TEST(NonuniformSqs, TheDataDenominatorMajorisesEverywhereAndIsTightAlongU) {
  const NonuniformCase c;
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    const Image u = RandomWeights(c.grid, seed);
    const Image d = c.problem.DataCurvature(u);
    EXPECT_NEAR(WeightedSquare(d, u), DataQuadratic(c, u), 1e-4 * DataQuadratic(c, u));
    std::mt19937 rng(seed + 100);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int trial = 0; trial < 20; ++trial) {
      Image delta(c.grid);
      for (size_t j = 0; j < delta.values.size(); ++j) {
        // Random directions, some shaped like u (the worst case is near it).
        const float r = normal(rng);
        delta.values[j] =
            u.values[j] > 0.0f ? (trial % 2 ? r : u.values[j] * (1.0f + 0.1f * r)) : 0.0f;
      }
      EXPECT_LE(DataQuadratic(c, delta), WeightedSquare(d, delta) * (1.0 + 1e-5))
          << "seed " << seed << " trial " << trial;
    }
  }
}

// The regulariser's part is De Pierro's bound (Δ_j − Δ_k)² ≤ (u_j + u_k)(Δ_j²/u_j + Δ_k²/u_k),
// an equality when Δ_j/u_j = −Δ_k/u_k: for a quadratic prior on 4 neighbours and Δ = ±u in a
// checkerboard the surrogate's curvature term equals the prior's exactly.
TEST(NonuniformSqs, ThePriorsDenominatorIsTightOnACheckerboardAlongU) {
  const ImageGeometry g = SquareImage(16, 1.0);
  const Regularizer prior(g, {PotentialKind::kQuadratic, 7.0, 1.0, Neighborhood::k4});
  Image u = RandomWeights(g, 9);
  for (float& v : u.values) v = 1e-3f + v;  // positive everywhere
  Image d(g), x(g), gradient(g), delta(g);
  prior.AddNonuniformMaxCurvature(u, d);
  x.values = RandomValues(x.size(), 11);
  prior.AddGradient(x, gradient);
  Image moved = x;
  double linear = 0.0;
  for (int64_t j = 0; j < g.ny; ++j) {
    for (int64_t i = 0; i < g.nx; ++i) {
      const float step = ((i + j) % 2 ? 1.0f : -1.0f) * u.at(i, j, 0);
      delta.at(i, j, 0) = step;
      moved.at(i, j, 0) += step;
      linear += double(gradient.at(i, j, 0)) * step;
    }
  }
  const double exact = prior.Cost(moved) - prior.Cost(x) - linear;
  EXPECT_NEAR(0.5 * WeightedSquare(d, delta), exact, 1e-4 * exact);
}

// The whole separable surrogate: Ψ(x + Δ) ≤ Ψ(x) + ∇Ψ(x)·Δ + ½ Σ D_j(u) Δ_j² for the fair
// potential (ψ'' ≤ ψ''(0), so the maximum curvature majorises it).
TEST(NonuniformSqs, TheSurrogateMajorisesTheCost) {
  const NonuniformCase c;
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    const Image u = RandomWeights(c.grid, seed);
    const Image d = Denominator(c, u);
    Image x(c.grid);
    x.values = RandomValues(x.size(), seed + 10);
    Image gradient(c.grid);
    c.problem.Gradient(x, gradient);
    const double cost = c.problem.Cost(x);
    std::mt19937 rng(seed + 200);
    std::normal_distribution<float> normal(0.0f, 0.5f);
    for (int trial = 0; trial < 10; ++trial) {
      Image moved = x;
      Image delta(c.grid);
      double linear = 0.0;
      for (size_t j = 0; j < x.values.size(); ++j) {
        if (u.values[j] == 0.0f) continue;
        delta.values[j] = normal(rng) * (trial % 2 ? 1.0f : u.values[j]);
        moved.values[j] += delta.values[j];
        linear += double(gradient.values[j]) * delta.values[j];
      }
      const double surrogate = cost + linear + 0.5 * WeightedSquare(d, delta);
      EXPECT_LE(c.problem.Cost(moved), surrogate + 1e-5 * std::abs(surrogate))
          << "seed " << seed << " trial " << trial;
    }
  }
}

}  // namespace
}  // namespace osmo
