// Reconstruction beyond the field of view for laterally truncated scans: a wider grid whose extra
// voxels can explain the attenuation that rays at the detector's edge pick up outside the
// scanned circle, and the moves between it and the user's grid.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "projectors/arrays.h"
#include "projectors/scan_geometry.h"

namespace osmo {

// Half-width of the widened region as a multiple of the field-of-view radius R: a ray tangent to
// the scanned circle crosses 2·sqrt(1.5² − 1)·R = 2.2 R of it, room for the object's part
// outside.
constexpr double kTruncatedSupportRadiusFactor = 1.5;

// Voxels to add on each side in x and y so that the grid reaches radius_mm from its centre
// (0 when it already does).
int64_t PaddingToReach(const ImageGeometry& grid, double radius_mm);

// `grid` with `pad` more voxels on each side in x and y, the same centre and spacing.
ImageGeometry PaddedGrid(const ImageGeometry& grid, int64_t pad);

// x placed in the middle of a grid `pad` voxels wider on each side (zeros around it), and back.
Image PadImage(const Image& x, int64_t pad);
Image CropImage(const Image& x, int64_t pad);

}  // namespace osmo
