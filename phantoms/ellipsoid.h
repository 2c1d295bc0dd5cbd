// Analytic ellipses and ellipsoids: exact line integrals and point membership.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>

namespace osmo {

// An ellipsoid of constant additive attenuation. `angle_rad` rotates the first semi-axis
// counter-clockwise from +x about the z axis. A 2D ellipse is an ellipsoid whose z semi-axis is
// infinite (an infinitely long elliptic cylinder along z).
struct Ellipsoid {
  std::array<double, 3> center_mm{0.0, 0.0, 0.0};
  std::array<double, 3> semi_axes_mm{1.0, 1.0, 1.0};
  double angle_rad = 0.0;
  double value_per_mm = 0.0;

  // Length (mm) of the chord of the line {p + t·d}, |d| = 1, through the ellipsoid:
  // in coordinates where the ellipsoid is the unit ball, q = S⁻¹Rᵀ(p − c), e = S⁻¹Rᵀd, the
  // chord is 2·sqrt(B² − A·C)/A with A = |e|², B = q·e, C = |q|² − 1 (0 if the line misses).
  double Chord(const std::array<double, 3>& p, const std::array<double, 3>& d) const;
  // Whether the point lies inside or on the surface.
  bool Contains(double x, double y, double z) const;
  bool IsCylinder() const;  // infinite z semi-axis (2D ellipse)
};

}  // namespace osmo
