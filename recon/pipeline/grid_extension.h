// Reconstruction beyond the user's grid: for laterally truncated scans a wider grid whose extra
// voxels can explain the attenuation that rays at the detector's edge pick up outside the
// scanned circle; for helical scans a longer one that holds every slice the rays cross (the long
// object problem); and the moves between it and the user's grid.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <utility>

#include "projectors/arrays.h"
#include "projectors/scan_geometry.h"

namespace osmo {

// Half-width of the widened region as a multiple of the field-of-view radius R: a ray tangent to
// the scanned circle crosses 2·sqrt(1.5² − 1)·R = 2.2 R of it, room for the object's part
// outside.
constexpr double kTruncatedSupportRadiusFactor = 1.5;

// Voxels added around a grid: `xy` on each side in x and y, slices below and above in z.
struct GridPadding {
  int64_t xy = 0;
  int64_t z_below = 0;
  int64_t z_above = 0;
  bool any() const { return xy > 0 || z_below > 0 || z_above > 0; }
};

// Voxels to add on each side in x and y so that the grid reaches radius_mm from its centre
// (0 when it already does).
int64_t PaddingToReach(const ImageGeometry& grid, double radius_mm);

// Slices to add below and above so that the grid covers [z_lo_mm, z_hi_mm] (0 where it does).
std::pair<int64_t, int64_t> SlicesToCover(const ImageGeometry& grid, double z_lo_mm,
                                          double z_hi_mm);

// `grid` with the padding added, the same spacing; the original voxels keep their positions.
ImageGeometry PaddedGrid(const ImageGeometry& grid, const GridPadding& pad);

// x placed inside the padded grid (zeros around it), and back.
Image PadImage(const Image& x, const GridPadding& pad);
Image CropImage(const Image& x, const GridPadding& pad);

}  // namespace osmo
