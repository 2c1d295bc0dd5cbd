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

ImageGeometry PaddedGrid(const ImageGeometry& grid, int64_t pad) {
  ImageGeometry padded = grid;
  padded.nx += 2 * pad;
  padded.ny += 2 * pad;
  return padded;
}

Image PadImage(const Image& x, int64_t pad) {
  const ImageGeometry& g = x.geometry;
  Image padded(PaddedGrid(g, pad));
  for (int64_t k = 0; k < g.nz; ++k) {
    for (int64_t j = 0; j < g.ny; ++j) {
      std::copy_n(&x.values[size_t(g.Index(0, j, k))], g.nx,
                  &padded.values[size_t(padded.geometry.Index(pad, j + pad, k))]);
    }
  }
  return padded;
}

Image CropImage(const Image& x, int64_t pad) {
  const ImageGeometry& g = x.geometry;
  ImageGeometry inner = g;
  inner.nx -= 2 * pad;
  inner.ny -= 2 * pad;
  Image cropped(inner);
  for (int64_t k = 0; k < inner.nz; ++k) {
    for (int64_t j = 0; j < inner.ny; ++j) {
      std::copy_n(&x.values[size_t(g.Index(pad, j + pad, k))], inner.nx,
                  &cropped.values[size_t(inner.Index(0, j, k))]);
    }
  }
  return cropped;
}

}  // namespace osmo
