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

// A robust estimate of an image's voxel noise from the image alone: 1.4826 × the median absolute
// deviation of the in-plane high-pass residual x_j − mean_{3×3}(x)_j over the mask (interior
// voxels of each slice only), times 3/(2√2) so that white noise of deviation σ gives σ (the
// residual's deviation is σ·sqrt(8/9)). Edges are outliers and barely move the median; 0 when
// the mask holds no interior voxel.
double RobustNoiseStd(const Image& x, const std::vector<uint8_t>& mask);

}  // namespace osmo

namespace osmo {

// Mean structural similarity of two 2D images of nx × ny (Wang, Bovik, Sheikh & Simoncelli,
// IEEE TIP 2004): Gaussian window σ = 1.5 truncated at radius 5 (11 × 11), mirrored borders
// (… c b a | a b c …), C1 = (0.01·L)², C2 = (0.03·L)² with L = data_range, population
// (co)variances, averaged over the pixels at least 5 from the border — the definition of
// scikit-image's structural_similarity(gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False).
double Ssim2D(const float* a, const float* b, int64_t nx, int64_t ny, double data_range);
// Mean of Ssim2D over the slices of two volumes on the same grid.
double SsimVolume(const Image& a, const Image& b, double data_range);

// Voxels whose centre lies within `radius_mm` of (x, y) in every slice.
std::vector<uint8_t> DiscMask(const ImageGeometry& grid, double x_mm, double y_mm,
                              double radius_mm);

// Mean and (population) standard deviation of the image inside the mask, in double.
struct RegionStatistics {
  double mean = 0.0;
  double sd = 0.0;
  int64_t count = 0;
};
RegionStatistics Statistics(const Image& image, const std::vector<uint8_t>& mask);

}  // namespace osmo
