// The voxel grid of a reconstructed image: sizes, voxel sizes and centre (DESIGN.md §3).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace osmo {

// A grid of nx × ny × nz voxels of dx × dx × dz mm, stored x fastest:
// index (k·ny + j)·nx + i. Voxel (i, j, k) is centred at
//   x_i = (i − (nx−1)/2)·dx + center_mm[0]   (likewise y with dx, z with dz).
struct ImageGeometry {
  int64_t nx = 0;
  int64_t ny = 0;
  int64_t nz = 1;
  double voxel_size_mm = 1.0;       // dx = dy
  double slice_thickness_mm = 1.0;  // dz
  std::array<double, 3> center_mm{0.0, 0.0, 0.0};

  int64_t NumVoxels() const { return nx * ny * nz; }
  int64_t Index(int64_t i, int64_t j, int64_t k) const { return (k * ny + j) * nx + i; }
  double X(double i) const { return (i - 0.5 * double(nx - 1)) * voxel_size_mm + center_mm[0]; }
  double Y(double j) const { return (j - 0.5 * double(ny - 1)) * voxel_size_mm + center_mm[1]; }
  double Z(double k) const {
    return (k - 0.5 * double(nz - 1)) * slice_thickness_mm + center_mm[2];
  }
  // Largest distance of any transaxial voxel corner from the rotation axis (x = y = 0), mm.
  double MaxCornerRadiusMm() const;

  // The grid of (nx, ny, nz) voxels of (dx, dx, dz) mm whose voxel (0, 0, 0) is centred at
  // `origin_mm` — the ITK/scan-file convention (centre = origin + (n − 1)/2 · spacing).
  static ImageGeometry FromOrigin(int64_t nx, int64_t ny, int64_t nz, double dx_mm, double dz_mm,
                                  const std::array<double, 3>& origin_mm);

  // Throws InputError naming `where` and the offending field.
  void Validate(const std::string& where) const;
  bool operator==(const ImageGeometry& other) const;
  // "NX×NY×NZ voxels of DX × DZ mm centred at (X, Y, Z) mm", for messages.
  std::string Describe() const;
};

// Whether `found` is the grid `expected` read back from a file: equal sizes, spacings within a
// relative 1e-5 and centres within 1e-3 voxel (float32 headers such as NIfTI's round them).
bool SameGrid(const ImageGeometry& expected, const ImageGeometry& found);
// Throws InputError "what: expected <expected grid>, found <found grid>" unless SameGrid.
void CheckSameGrid(const ImageGeometry& expected, const ImageGeometry& found,
                   const std::string& what);

}  // namespace osmo
