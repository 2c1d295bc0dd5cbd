// Edge-preserving potential functions ψ with ψ(0) = 0, ψ''(0) = 1 (ALGORITHMS.md §1).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cmath>
#include <string>

#include "projectors/enum_table.h"

namespace osmo {

enum class PotentialKind { kQuadratic, kHuber, kHyperbola, kFair };

inline constexpr EnumTable<PotentialKind, 4> kPotentials = {{
    {PotentialKind::kQuadratic, "quadratic", "t²/2, no edge preservation"},
    {PotentialKind::kHuber, "huber", "quadratic below δ, linear above"},
    {PotentialKind::kHyperbola, "hyperbola", "δ²(√(1 + (t/δ)²) − 1)"},
    {PotentialKind::kFair, "fair", "δ²(|t|/δ − log(1 + |t|/δ))"},
}};

const char* ToString(PotentialKind kind);

// Each potential is a policy class used as a template parameter in the regulariser's loops:
// Value ψ(t), Derivative ψ'(t), HuberCurvature ω(t) = ψ'(t)/t (≤ 1, the largest at t = 0) and
// SecondDerivative ψ''(t), all with the edge scale δ (same units as t, 1/mm).
struct QuadraticPotential {
  static double Value(double t, double) { return 0.5 * t * t; }
  static float Derivative(float t, float) { return t; }
  static float HuberCurvature(float, float) { return 1.0f; }
  static double SecondDerivative(double, double) { return 1.0; }
};

// ψ = t²/2 for |t| ≤ δ, δ|t| − δ²/2 beyond.
struct HuberPotential {
  static double Value(double t, double d) {
    const double a = std::abs(t);
    return a <= d ? 0.5 * t * t : d * a - 0.5 * d * d;
  }
  static float Derivative(float t, float d) { return std::min(std::max(t, -d), d); }
  static float HuberCurvature(float t, float d) {
    const float a = std::abs(t);
    return a <= d ? 1.0f : d / a;
  }
  static double SecondDerivative(double t, double d) { return std::abs(t) <= d ? 1.0 : 0.0; }
};

// ψ = δ²(sqrt(1 + (t/δ)²) − 1).
struct HyperbolaPotential {
  static double Value(double t, double d) {
    const double r = t / d;
    return d * d * (std::sqrt(1.0 + r * r) - 1.0);
  }
  static float Derivative(float t, float d) {
    const float r = t / d;
    return t / std::sqrt(1.0f + r * r);
  }
  static float HuberCurvature(float t, float d) {
    const float r = t / d;
    return 1.0f / std::sqrt(1.0f + r * r);
  }
  static double SecondDerivative(double t, double d) {
    const double r = t / d;
    return 1.0 / ((1.0 + r * r) * std::sqrt(1.0 + r * r));
  }
};

// ψ = δ²(|t/δ| − log(1 + |t/δ|)) (Fair 1974; used by Kim, Ramani & Fessler 2015).
struct FairPotential {
  static double Value(double t, double d) {
    const double r = std::abs(t / d);
    return d * d * (r - std::log1p(r));
  }
  static float Derivative(float t, float d) { return t / (1.0f + std::abs(t / d)); }
  static float HuberCurvature(float t, float d) { return 1.0f / (1.0f + std::abs(t / d)); }
  static double SecondDerivative(double t, double d) {
    const double a = 1.0 + std::abs(t / d);
    return 1.0 / (a * a);
  }
};

}  // namespace osmo
