// Phantom line integrals, point values and partial-volume rasterisation.
// SPDX-License-Identifier: Apache-2.0
#include "phantoms/phantom.h"

#include <algorithm>
#include <cmath>

namespace osmo {

double Phantom::LineIntegral(const std::array<double, 3>& p, const std::array<double, 3>& d) const {
  double sum = 0.0;
  for (const Ellipsoid& e : shapes) sum += e.value_per_mm * e.Chord(p, d);
  return sum;
}

double Phantom::ValueAt(double x, double y, double z) const {
  double sum = 0.0;
  for (const Ellipsoid& e : shapes) {
    if (e.Contains(x, y, z)) sum += e.value_per_mm;
  }
  return sum;
}

namespace {

// Index range [lo, hi] of the voxels whose centres lie within `half_width` of `centre` (plus one
// voxel of margin), clipped to [0, n).
void VoxelRange(double centre, double half_width, double first_centre, double step, int64_t n,
                int64_t* lo, int64_t* hi) {
  *lo = std::max<int64_t>(0, int64_t(std::floor((centre - half_width - first_centre) / step)) - 1);
  *hi =
      std::min<int64_t>(n - 1, int64_t(std::ceil((centre + half_width - first_centre) / step)) + 1);
}

// Fraction of the voxel centred at (x, y, z) with sides (dx, dx, dz) inside the shape.
double InsideFraction(const Ellipsoid& e, double x, double y, double z, double dx, double dz,
                      bool use_z, int s) {
  // An ellipsoid is convex: if every corner is inside, so is the voxel.
  bool all_inside = true;
  for (int corner = 0; corner < (use_z ? 8 : 4) && all_inside; ++corner) {
    const double cx = x + ((corner & 1) ? 0.5 : -0.5) * dx;
    const double cy = y + ((corner & 2) ? 0.5 : -0.5) * dx;
    const double cz = use_z ? z + ((corner & 4) ? 0.5 : -0.5) * dz : z;
    all_inside = e.Contains(cx, cy, cz);
  }
  if (all_inside) return 1.0;
  const int sz = use_z ? s : 1;
  int inside = 0;
  for (int kk = 0; kk < sz; ++kk) {
    const double pz = use_z ? z + ((kk + 0.5) / sz - 0.5) * dz : z;
    for (int jj = 0; jj < s; ++jj) {
      const double py = y + ((jj + 0.5) / s - 0.5) * dx;
      for (int ii = 0; ii < s; ++ii) {
        inside += e.Contains(x + ((ii + 0.5) / s - 0.5) * dx, py, pz);
      }
    }
  }
  return double(inside) / double(s * s * sz);
}

}  // namespace

Image Rasterize(const Phantom& phantom, const ImageGeometry& grid, int supersampling) {
  Image image(grid);
  const double dx = grid.voxel_size_mm, dz = grid.slice_thickness_mm;
  const int s = std::max(1, supersampling);
  for (const Ellipsoid& e : phantom.shapes) {
    const double c = std::cos(e.angle_rad), sn = std::sin(e.angle_rad);
    const double a = e.semi_axes_mm[0], b = e.semi_axes_mm[1];
    const double half_x = std::sqrt(a * a * c * c + b * b * sn * sn);
    const double half_y = std::sqrt(a * a * sn * sn + b * b * c * c);
    int64_t i0, i1, j0, j1, k0 = 0, k1 = grid.nz - 1;
    VoxelRange(e.center_mm[0], half_x, grid.X(0), dx, grid.nx, &i0, &i1);
    VoxelRange(e.center_mm[1], half_y, grid.Y(0), dx, grid.ny, &j0, &j1);
    // A 2D phantom is a cylinder along z; a 3D shape on a single-slice grid is sampled in z too.
    const bool use_z = !e.IsCylinder();
    if (use_z) VoxelRange(e.center_mm[2], e.semi_axes_mm[2], grid.Z(0), dz, grid.nz, &k0, &k1);
    const int64_t rows = (k1 - k0 + 1) * (j1 - j0 + 1);
#pragma omp parallel for schedule(dynamic, 4)
    for (int64_t row = 0; row < std::max<int64_t>(rows, 0); ++row) {
      const int64_t k = k0 + row / (j1 - j0 + 1), j = j0 + row % (j1 - j0 + 1);
      for (int64_t i = i0; i <= i1; ++i) {
        const double f = InsideFraction(e, grid.X(double(i)), grid.Y(double(j)), grid.Z(double(k)),
                                        dx, dz, use_z, s);
        if (f > 0.0) image.at(i, j, k) += float(e.value_per_mm * f);
      }
    }
  }
  return image;
}

}  // namespace osmo
