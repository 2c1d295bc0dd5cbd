// Widened grids for truncated scans.
// SPDX-License-Identifier: Apache-2.0
#include "recon/pipeline/grid_extension.h"

#include <algorithm>
#include <cmath>

namespace osmo {

int64_t PaddingToReach(const ImageGeometry& grid, double radius_mm) {
  const double half_width = 0.5 * double(std::min(grid.nx, grid.ny)) * grid.voxel_size_mm;
  if (half_width >= radius_mm) return 0;
  return int64_t(std::ceil((radius_mm - half_width) / grid.voxel_size_mm));
}

std::pair<int64_t, int64_t> SlicesToCover(const ImageGeometry& grid, double z_lo_mm,
                                          double z_hi_mm) {
  const double dz = grid.slice_thickness_mm;
  const double bottom = grid.Z(-0.5), top = grid.Z(double(grid.nz) - 0.5);
  const int64_t below = bottom > z_lo_mm ? int64_t(std::ceil((bottom - z_lo_mm) / dz - 1e-9)) : 0;
  const int64_t above = top < z_hi_mm ? int64_t(std::ceil((z_hi_mm - top) / dz - 1e-9)) : 0;
  return {below, above};
}

ImageGeometry PaddedGrid(const ImageGeometry& grid, const GridPadding& pad) {
  ImageGeometry padded = grid;
  padded.nx += 2 * pad.xy;
  padded.ny += 2 * pad.xy;
  padded.nz += pad.z_below + pad.z_above;
  padded.center_mm[2] += 0.5 * double(pad.z_above - pad.z_below) * grid.slice_thickness_mm;
  return padded;
}

Image PadImage(const Image& x, const GridPadding& pad) {
  const ImageGeometry& g = x.geometry;
  Image padded(PaddedGrid(g, pad));
  for (int64_t k = 0; k < g.nz; ++k) {
    for (int64_t j = 0; j < g.ny; ++j) {
      std::copy_n(
          &x.values[size_t(g.Index(0, j, k))], g.nx,
          &padded.values[size_t(padded.geometry.Index(pad.xy, j + pad.xy, k + pad.z_below))]);
    }
  }
  return padded;
}

Image CropImage(const Image& x, const GridPadding& pad) {
  const ImageGeometry& g = x.geometry;
  ImageGeometry inner = g;
  inner.nx -= 2 * pad.xy;
  inner.ny -= 2 * pad.xy;
  inner.nz -= pad.z_below + pad.z_above;
  inner.center_mm[2] -= 0.5 * double(pad.z_above - pad.z_below) * g.slice_thickness_mm;
  Image cropped(inner);
  for (int64_t k = 0; k < inner.nz; ++k) {
    for (int64_t j = 0; j < inner.ny; ++j) {
      std::copy_n(&x.values[size_t(g.Index(pad.xy, j + pad.xy, k + pad.z_below))], inner.nx,
                  &cropped.values[size_t(inner.Index(0, j, k))]);
    }
  }
  return cropped;
}

}  // namespace osmo
