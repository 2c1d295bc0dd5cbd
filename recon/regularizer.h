// Edge-preserving roughness penalty R(x) = β Σ_j Σ_{k∈N(j), k>j} κ_jk ψ(x_j − x_k).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <string>
#include <vector>

#include "projectors/arrays.h"
#include "recon/potentials.h"

namespace osmo {

// Neighbourhoods: 4 or 8 neighbours in-plane (2D), 6 or 26 in 3D.
enum class Neighborhood { k4 = 4, k8 = 8, k6 = 6, k26 = 26 };
inline constexpr EnumTable<Neighborhood, 4> kNeighborhoods = {{
    {Neighborhood::k4, "4", "in-plane edges"},
    {Neighborhood::k8, "8", "in-plane edges and diagonals"},
    {Neighborhood::k6, "6", "3D faces"},
    {Neighborhood::k26, "26", "3D faces, edges and corners"},
}};

struct RegularizerOptions {
  PotentialKind potential = PotentialKind::kFair;
  double beta = 0.0;      // β ≥ 0
  double delta = 0.0005;  // δ, 1/mm (potentials other than quadratic)
  Neighborhood neighborhood = Neighborhood::k8;
  // Throws InputError naming the option for a bad value.
  void Validate() const;
};

// E[ψ''(t)] for Gaussian neighbour differences t ~ N(0, s²): the curvature of the potential
// averaged over noise of that size (1 for the quadratic; for the edge-preserving potentials it
// falls as s grows beyond δ). Fessler's (1996) noise approximation linearises the estimator with
// the prior's Hessian β Σ κ ψ''(x̂_j − x̂_k); averaging ψ'' over the noise's own differences (a
// statistical linearisation) gives the quadratic prior of strength β·E[ψ''] that smooths noise of
// this size about as much.
double MeanCurvature(PotentialKind potential, double delta, double difference_std);

// R(x) = β Σ_j Σ_{k∈N(j), k>j} κ_jk ψ(x_j − x_k), κ_jk = c_j c_k / ‖k − j‖ with the offset
// length in voxel units (a fixed definition, so other tools compute the same cost) and optional
// resolution-uniformising factors c_j (all 1 by default). Neighbours outside the image are
// absent. Since ψ' is odd, ∂R/∂x_j = β Σ_{k∈N(j)} κ_jk ψ'(x_j − x_k) over the full neighbourhood,
// which every voxel gathers by itself: thread-parallel without atomics, thread-count invariant.
class Regularizer {
 public:
  Regularizer(const ImageGeometry& grid, const RegularizerOptions& options,
              std::vector<float> uniformity = {});

  // R(x), accumulated in double.
  double Cost(const Image& x) const;
  // gradient += ∇R(x).
  void AddGradient(const Image& x, Image& gradient) const;
  // curvature += 2β Σ_{k∈N(j)} κ_jk · ω_jk with ω ≡ 1 (maximum curvature, the fixed SQS
  // denominator needed by momentum methods) or ω = ψ'(t)/t at x (Huber's optimal curvature).
  void AddMaxCurvature(Image& curvature) const;
  // The non-uniform version for weights u ≥ 0 (Kim, Park, Jang & Fessler 2013): each pair adds
  // β κ_jk ω (u_j + u_k)/u_j instead of 2β κ_jk ω, ω ≡ 1 (2βκ_jk when u is uniform); voxels with
  // u_j = 0 are left unchanged.
  void AddNonuniformMaxCurvature(const Image& u, Image& curvature) const;
  void AddHuberCurvature(const Image& x, Image& curvature) const;
  // Both of the above in one pass over the neighbour pairs (what os-lalm and Huber-curvature
  // os-sqs need every sub-iteration): the same gradient to the bit, the curvature to round-off.
  void AddGradientAndHuberCurvature(const Image& x, Image& gradient, Image& curvature) const;

  const RegularizerOptions& options() const { return options_; }
  // Σ_{k∈N(j)} 1/‖k − j‖ for an interior voxel (2(4 + 4/√2)/2 = 6.83 for 8 neighbours).
  double InteriorKappaSum() const;

 private:
  struct Offset {
    int64_t di, dj, dk;
    double kappa;  // 1/‖offset‖
  };
  template <typename Potential>
  double CostImpl(const Image& x) const;
  template <typename Potential>
  void GradientImpl(const Image& x, Image& gradient) const;
  template <typename Potential, bool kHuber>
  // `u` (may be null): NU-SQS weights (AddNonuniformMaxCurvature).
  void CurvatureImpl(const Image* x, Image& curvature, const Image* u = nullptr) const;
  template <typename Potential>
  void GradientRow(const Image& x, int64_t row, Image& gradient) const;
  template <typename Potential>
  void GradientCurvatureRow(const Image& x, int64_t row, Image& gradient, Image& curvature) const;
  template <typename Potential, bool kHuber>
  void CurvatureRow(const Image* x, int64_t row, Image& curvature, const Image* u) const;

  ImageGeometry grid_;
  RegularizerOptions options_;
  std::vector<Offset> half_;       // offsets with positive linear index (each pair once)
  std::vector<Offset> full_;       // both directions
  std::vector<float> uniformity_;  // c_j, empty if all 1
};

}  // namespace osmo
