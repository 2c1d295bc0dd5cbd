// Exact chords of ellipsoids and elliptic cylinders.
// SPDX-License-Identifier: Apache-2.0
#include "phantoms/ellipsoid.h"

#include <cmath>

namespace osmo {

bool Ellipsoid::IsCylinder() const { return std::isinf(semi_axes_mm[2]); }

double Ellipsoid::Chord(const std::array<double, 3>& p, const std::array<double, 3>& d) const {
  const double c = std::cos(angle_rad), s = std::sin(angle_rad);
  const double px = p[0] - center_mm[0], py = p[1] - center_mm[1], pz = p[2] - center_mm[2];
  // Rotate by −angle into the ellipsoid's axes, then scale each axis to unit length; an infinite
  // z axis scales to 0, which removes z from the quadric.
  const double inv_a = 1.0 / semi_axes_mm[0], inv_b = 1.0 / semi_axes_mm[1];
  const double inv_c = IsCylinder() ? 0.0 : 1.0 / semi_axes_mm[2];
  const double q[3] = {(c * px + s * py) * inv_a, (-s * px + c * py) * inv_b, pz * inv_c};
  const double e[3] = {(c * d[0] + s * d[1]) * inv_a, (-s * d[0] + c * d[1]) * inv_b, d[2] * inv_c};
  const double A = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
  if (!(A > 0.0)) return 0.0;  // a line along the axis of a cylinder
  const double B = q[0] * e[0] + q[1] * e[1] + q[2] * e[2];
  const double C = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] - 1.0;
  const double discriminant = B * B - A * C;
  return discriminant > 0.0 ? 2.0 * std::sqrt(discriminant) / A : 0.0;
}

bool Ellipsoid::Contains(double x, double y, double z) const {
  const double c = std::cos(angle_rad), s = std::sin(angle_rad);
  const double px = x - center_mm[0], py = y - center_mm[1];
  const double u = (c * px + s * py) / semi_axes_mm[0];
  const double v = (-s * px + c * py) / semi_axes_mm[1];
  const double w = IsCylinder() ? 0.0 : (z - center_mm[2]) / semi_axes_mm[2];
  return u * u + v * v + w * w <= 1.0;
}

}  // namespace osmo
