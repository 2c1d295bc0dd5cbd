// Branch-free, vectorisable elementary functions for the projector kernels.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cmath>

namespace osmo::fast {

// atan(x) for any finite x, |error| < 2e-14 rad, written with selects only so that loops over
// it vectorise. Range reduction: |x| > 1 → π/2 − atan(1/|x|); |x| > tan(π/8) → π/4 +
// atan((|x| − 1)/(|x| + 1)); then atan(a) = a·P(a²) on |a| ≤ tan(π/8), P a degree-8
// least-squares fit on Chebyshev nodes (coefficients computed for osmo, max error 1.03e-14).
inline double Atan(double x) {
  constexpr double kTanPiOver8 = 0.41421356237309503;
  const double ax = std::abs(x);
  const bool invert = ax > 1.0;
  const double a1 = invert ? 1.0 / ax : ax;
  const bool shift = a1 > kTanPiOver8;
  const double a = shift ? (a1 - 1.0) / (a1 + 1.0) : a1;
  const double w = a * a;
  double p = 0.030701154964473135;
  p = p * w - 0.058771686068893714;
  p = p * w + 0.075644480048968066;
  p = p * w - 0.090785005010485725;
  p = p * w + 0.11110393801630732;
  p = p * w - 0.14285690808255094;
  p = p * w + 0.19999999613202979;
  p = p * w - 0.33333333330872522;
  p = p * w + 0.99999999999997469;
  double r = a * p + (shift ? M_PI / 4 : 0.0);
  r = invert ? M_PI / 2 - r : r;
  return x < 0.0 ? -r : r;
}

// Single-precision atan with the same range reduction: the polynomial's error is < 1e-8 rad
// (degree 4 in a², least-squares on Chebyshev nodes, max 7.0e-9); with the float arithmetic of
// the reduction and result the total is < 2e-7 rad (measured 1.58e-7, tests/projectors).
inline float AtanF(float x) {
  constexpr float kTanPiOver8 = 0.414213562f;
  const float ax = std::abs(x);
  const bool invert = ax > 1.0f;
  const float a1 = invert ? 1.0f / ax : ax;
  const bool shift = a1 > kTanPiOver8;
  const float a = shift ? (a1 - 1.0f) / (a1 + 1.0f) : a1;
  const float w = a * a;
  float p = 0.0798496291f;
  p = p * w - 0.138514784f;
  p = p * w + 0.199744048f;
  p = p * w - 0.333327969f;
  p = p * w + 0.999999982f;
  float r = a * p + (shift ? float(M_PI / 4) : 0.0f);
  r = invert ? float(M_PI / 2) - r : r;
  return x < 0.0f ? -r : r;
}

// min(max(v, lo), hi) taking values, not references: std::min/max of temporaries inside
// `omp simd` loops make GCC materialise per-lane temporaries and give up vectorising.
inline float Clamp(float v, float lo, float hi) {
  const float a = v > lo ? v : lo;
  return a < hi ? a : hi;
}

}  // namespace osmo::fast
