// Small geometries, random data and analytic disc projections shared by the tests.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "projectors/arrays.h"
#include "projectors/image_geometry.h"
#include "projectors/scan_geometry.h"

namespace osmo::testing {

inline ImageGeometry SquareImage(int64_t n, double dx_mm, int64_t nz = 1, double dz_mm = 1.0) {
  ImageGeometry g;
  g.nx = g.ny = n;
  g.nz = nz;
  g.voxel_size_mm = dx_mm;
  g.slice_thickness_mm = dz_mm;
  return g;
}

inline ScanGeometry ParallelScan(int64_t n_channels, int64_t n_views, double du_mm,
                                 double offset = 0.0, double span_rad = M_PI) {
  ScanGeometry s;
  s.kind = ScanKind::kParallel;
  s.n_channels = n_channels;
  s.channel_spacing_mm = du_mm;
  s.channel_offset = offset;
  s.angles_rad = EquallySpacedAngles(n_views, 0.1, span_rad);
  return s;
}

inline ScanGeometry FanScan(DetectorShape shape, int64_t n_channels, int64_t n_views, double du_mm,
                            double offset = 0.0, double R = 200.0, double D = 400.0) {
  ScanGeometry s;
  s.kind = ScanKind::kFan;
  s.detector_shape = shape;
  s.source_to_isocenter_mm = R;
  s.source_to_detector_mm = D;
  s.n_channels = n_channels;
  s.channel_spacing_mm = du_mm;
  s.channel_offset = offset;
  s.angles_rad = EquallySpacedAngles(n_views, 0.2, 2 * M_PI);
  return s;
}

inline ScanGeometry ConeScan(DetectorShape shape, int64_t n_channels, int64_t n_rows,
                             int64_t n_views, double du_mm, double dv_mm,
                             double channel_offset = 0.0, double row_offset = 0.0, double R = 200.0,
                             double D = 400.0) {
  ScanGeometry s = FanScan(shape, n_channels, n_views, du_mm, channel_offset, R, D);
  s.kind = ScanKind::kCone;
  s.n_rows = n_rows;
  s.row_spacing_mm = dv_mm;
  s.row_offset = row_offset;
  return s;
}

inline std::vector<float> RandomValues(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// max_j |scaled_j / scale − base_j| / max_j base_j: how far `scaled` is from `base` × scale,
// relative to base's peak (which must be positive).
inline double MaxRelativeDifference(const Image& base, const Image& scaled, double scale) {
  double peak = 0.0, difference = 0.0;
  for (size_t j = 0; j < base.values.size(); ++j) {
    peak = std::max(peak, double(base.values[j]));
    difference =
        std::max(difference, std::abs(double(scaled.values[j]) / scale - double(base.values[j])));
  }
  return peak > 0.0 ? difference / peak : std::numeric_limits<double>::infinity();
}

// Mean |x − value| over the voxels of slice 0 whose centres lie between radii r0 and r1 (mm)
// of the grid's axis: the error in an annulus.
inline double MeanAbsErrorInAnnulus(const Image& x, double value, double r0, double r1) {
  const ImageGeometry& g = x.geometry;
  double sum = 0.0;
  int64_t count = 0;
  for (int64_t j = 0; j < g.ny; ++j) {
    for (int64_t i = 0; i < g.nx; ++i) {
      const double r = std::hypot(g.X(double(i)), g.Y(double(j)));
      if (r < r0 || r > r1) continue;
      sum += std::abs(x.at(i, j, 0) - value);
      ++count;
    }
  }
  return count > 0 ? sum / double(count) : 0.0;
}

inline double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += double(a[i]) * double(b[i]);
  return sum;
}

// Gauss–Legendre nodes and weights on [−1, 1] (Newton iteration on P_n).
inline void GaussLegendre(int n, std::vector<double>* nodes, std::vector<double>* weights) {
  nodes->assign(size_t(n), 0.0);
  weights->assign(size_t(n), 0.0);
  for (int i = 0; i < n; ++i) {
    double x = std::cos(M_PI * (i + 0.75) / (n + 0.5));
    double dp = 0.0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1.0, p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (x * p1 - p0) / (x * x - 1);
      const double dx = p1 / dp;
      x -= dx;
      if (std::abs(dx) < 1e-15) break;
    }
    (*nodes)[size_t(i)] = x;
    (*weights)[size_t(i)] = 2.0 / ((1 - x * x) * dp * dp);
  }
}

// Chord of the line {p + t·d} (|d| = 1) through the ball of radius ρ centred at c.
inline double BallChord(const double p[3], const double d[3], const double c[3], double rho) {
  const double q[3] = {p[0] - c[0], p[1] - c[1], p[2] - c[2]};
  const double b = q[0] * d[0] + q[1] * d[1] + q[2] * d[2];
  const double cc = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] - rho * rho;
  const double disc = b * b - cc;
  return disc > 0 ? 2.0 * std::sqrt(disc) : 0.0;
}

}  // namespace osmo::testing

namespace osmo::testing {

// Chord of the line {p + t·d} (|d| = 1) through the axis-aligned ellipsoid with centre c and
// semi-axes a: scale space so the ellipsoid becomes the unit ball, solve, scale back.
inline double EllipsoidChord(const double p[3], const double d[3], const double c[3],
                             const double a[3]) {
  double q[3], e[3];
  for (int n = 0; n < 3; ++n) {
    q[n] = (p[n] - c[n]) / a[n];
    e[n] = d[n] / a[n];
  }
  const double A = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
  const double B = q[0] * e[0] + q[1] * e[1] + q[2] * e[2];
  const double C = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] - 1.0;
  const double disc = B * B - A * C;
  return disc > 0 ? 2.0 * std::sqrt(disc) / A : 0.0;
}

// Fraction of each voxel inside the axis-aligned ellipsoid (centre c, semi-axes a) by s³-point
// (s² in 2D) midpoint supersampling; in 2D (nz = 1) only x and y are tested.
inline std::vector<float> RasterizeEllipsoid(const ImageGeometry& g, const double c[3],
                                             const double a[3], int s) {
  std::vector<float> values(static_cast<size_t>(g.NumVoxels()), 0.0f);
  const int sz = g.nz == 1 ? 1 : s;
  for (int64_t k = 0; k < g.nz; ++k) {
    for (int64_t j = 0; j < g.ny; ++j) {
      for (int64_t i = 0; i < g.nx; ++i) {
        int inside = 0;
        for (int kk = 0; kk < sz; ++kk) {
          const double z = g.nz == 1 ? c[2] : g.Z(k - 0.5 + (kk + 0.5) / sz);
          for (int jj = 0; jj < s; ++jj) {
            const double y = g.Y(j - 0.5 + (jj + 0.5) / s);
            for (int ii = 0; ii < s; ++ii) {
              const double x = g.X(i - 0.5 + (ii + 0.5) / s);
              const double r = std::pow((x - c[0]) / a[0], 2) + std::pow((y - c[1]) / a[1], 2) +
                               std::pow((z - c[2]) / a[2], 2);
              inside += r <= 1.0;
            }
          }
        }
        values[size_t(g.Index(i, j, k))] = float(inside) / float(s * s * sz);
      }
    }
  }
  return values;
}

// Start point and unit direction of the ray through detector point (u, v) of view `view`, written
// from the contract independently of ScanGeometry::Ray: the detector is placed by the
// unshifted source −R·e_r at height z_k; the ray starts at the focal spot, at angle β + Δφ,
// radius R + Δρ and height z_k + Δz.
inline void RayOf(const ScanGeometry& scan, int64_t view, double u, double v, double p[3],
                  double d[3]) {
  const double beta = scan.angles_rad[size_t(view)];
  const double eu[3] = {std::cos(beta), std::sin(beta), 0.0};
  const double er[3] = {-std::sin(beta), std::cos(beta), 0.0};
  if (scan.kind == ScanKind::kParallel) {
    for (int n = 0; n < 3; ++n) {
      p[n] = u * eu[n] + (n == 2 ? v : 0.0);
      d[n] = er[n];
    }
    return;
  }
  const double R = scan.source_to_isocenter_mm, D = scan.source_to_detector_mm;
  const double z_k = scan.source_z_mm.empty() ? 0.0 : scan.source_z_mm[size_t(view)];
  auto shift = [&](const std::vector<double>& values) {
    return values.empty() ? 0.0 : values[size_t(view)];
  };
  double target[3];
  for (int n = 0; n < 3; ++n) {
    const double s0 = -R * er[n];
    if (scan.detector_shape == DetectorShape::kFlat) {
      target[n] = s0 + D * er[n] + u * eu[n];
    } else {
      const double g = u / D;
      target[n] = s0 + D * (std::cos(g) * er[n] + std::sin(g) * eu[n]);
    }
  }
  const double phi = beta + shift(scan.source_shift_angle_rad);
  const double rho = R + shift(scan.source_shift_radius_mm);
  p[0] = rho * std::sin(phi);
  p[1] = -rho * std::cos(phi);
  // Fan stacks have horizontal rays at height v; cone rays end at height z_k + v on the detector.
  if (scan.kind == ScanKind::kFan) {
    p[2] = target[2] = v;
  } else {
    p[2] = z_k + shift(scan.source_shift_z_mm);
    target[2] = z_k + v;
  }
  const double len = std::sqrt(std::pow(target[0] - p[0], 2) + std::pow(target[1] - p[1], 2) +
                               std::pow(target[2] - p[2], 2));
  for (int n = 0; n < 3; ++n) d[n] = (target[n] - p[n]) / len;
}

// A helix centred at z = 0: `turns` turns of `views_per_turn` views, the table moving `feed_mm`
// per turn (the source rises with the angle).
inline ScanGeometry HelicalScan(DetectorShape shape, int64_t n_channels, int64_t n_rows,
                                int64_t views_per_turn, double turns, double du_mm, double dv_mm,
                                double feed_mm, double R = 200.0, double D = 400.0) {
  ScanGeometry s = ConeScan(shape, n_channels, n_rows, 1, du_mm, dv_mm, 0.3, -0.2, R, D);
  const int64_t n_views = int64_t(std::llround(turns * double(views_per_turn)));
  s.angles_rad = EquallySpacedAngles(n_views, 0.2, 2 * M_PI * double(n_views) / views_per_turn);
  for (int64_t k = 0; k < n_views; ++k) {
    s.source_z_mm.push_back(feed_mm * (double(k) / double(views_per_turn) - 0.5 * turns));
  }
  return s;
}

// A flying focal spot that alternates between two positions from view to view (angle, z and
// radius shifts of opposite signs), like the clinical scanners' in-plane and z flying focal spots.
inline void AddFlyingFocalSpot(ScanGeometry* s, double angle_rad, double z_mm, double radius_mm) {
  for (int64_t k = 0; k < s->NumViews(); ++k) {
    const double sign = k % 2 ? 1.0 : -1.0;
    s->source_shift_angle_rad.push_back(sign * angle_rad);
    s->source_shift_z_mm.push_back(-sign * z_mm);
    s->source_shift_radius_mm.push_back(sign * radius_mm);
  }
}

// Cell-averaged exact line integral of a unit-density ellipsoid for bin (view, row, channel):
// composite Gauss–Legendre over the cell, `pieces` sub-intervals of `order` nodes per direction
// (the chord has square-root edges, so composite rules converge where one high order would not).
inline double CellAveragedEllipsoidProjection(const ScanGeometry& scan, int64_t view, int64_t row,
                                              int64_t channel, const double c[3], const double a[3],
                                              int pieces = 8, int order = 6) {
  std::vector<double> x, w;
  GaussLegendre(order, &x, &w);
  const bool axial = scan.kind == ScanKind::kCone;
  double sum = 0.0;
  const int pv = axial ? pieces : 1, ov = axial ? order : 1;
  for (int iu = 0; iu < pieces; ++iu) {
    for (int nu = 0; nu < order; ++nu) {
      const double fu = (iu + 0.5 * (1 + x[size_t(nu)])) / pieces;  // in [0, 1]
      const double u = scan.ChannelU(double(channel) - 0.5 + fu);
      for (int iv = 0; iv < pv; ++iv) {
        for (int nv = 0; nv < ov; ++nv) {
          const double fv = axial ? (iv + 0.5 * (1 + x[size_t(nv)])) / pieces : 0.5;
          const double v = scan.n_rows == 1 && !axial ? 0.0 : scan.RowV(double(row) - 0.5 + fv);
          double p[3], d[3];
          RayOf(scan, view, u, v, p, d);
          const double weight =
              0.5 * w[size_t(nu)] / pieces * (axial ? 0.5 * w[size_t(nv)] / pieces : 1.0);
          sum += weight * EllipsoidChord(p, d, c, a);
        }
      }
    }
  }
  return sum;
}

}  // namespace osmo::testing
