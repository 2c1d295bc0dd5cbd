// Image quality metrics against a reference: RMSD in HU inside a mask.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "projectors/arrays.h"

namespace osmo {

// RMSD between two μ images in Hounsfield units inside `mask` (all voxels when empty):
// sqrt(mean((1000(x − r)/μ_w)²)). Images must have the same number of voxels.
double RmsdHu(const Image& x, const Image& reference, const std::vector<uint8_t>& mask,
              double mu_water_per_mm = 0.02);

// Voxels whose centre lies inside the centred circle of radius `radius_mm` (all slices).
std::vector<uint8_t> CircularMask(const ImageGeometry& grid, double radius_mm);

// Voxels where the image exceeds `threshold` (e.g. the object support of a phantom).
std::vector<uint8_t> ThresholdMask(const Image& image, float threshold);

}  // namespace osmo
