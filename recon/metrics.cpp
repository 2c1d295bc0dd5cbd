// Image quality metrics.
// SPDX-License-Identifier: Apache-2.0
#include "recon/metrics.h"

#include <cmath>
#include <stdexcept>

#include "recon/reductions.h"

namespace osmo {

double RmsdHu(const Image& x, const Image& reference, const std::vector<uint8_t>& mask,
              double mu_water_per_mm) {
  if (x.size() != reference.size() || (!mask.empty() && int64_t(mask.size()) != x.size())) {
    throw std::invalid_argument("RmsdHu: image, reference and mask sizes differ");
  }
  const double scale = 1000.0 / mu_water_per_mm;
  const double sum = DeterministicSum(x.size(), [&](int64_t n) {
    if (!mask.empty() && !mask[size_t(n)]) return 0.0;
    const double d = scale * (double(x.values[size_t(n)]) - double(reference.values[size_t(n)]));
    return d * d;
  });
  const double count = mask.empty() ? double(x.size())
                                    : DeterministicSum(x.size(), [&](int64_t n) { return double(mask[size_t(n)] != 0); });
  return count > 0 ? std::sqrt(sum / count) : 0.0;
}

std::vector<uint8_t> CircularMask(const ImageGeometry& grid, double radius_mm) {
  std::vector<uint8_t> mask(static_cast<size_t>(grid.NumVoxels()), 0);
  for (int64_t k = 0; k < grid.nz; ++k) {
    for (int64_t j = 0; j < grid.ny; ++j) {
      for (int64_t i = 0; i < grid.nx; ++i) {
        mask[size_t(grid.Index(i, j, k))] = std::hypot(grid.X(double(i)), grid.Y(double(j))) <= radius_mm;
      }
    }
  }
  return mask;
}

std::vector<uint8_t> ThresholdMask(const Image& image, float threshold) {
  std::vector<uint8_t> mask(image.values.size());
  for (size_t n = 0; n < mask.size(); ++n) mask[n] = image.values[n] > threshold;
  return mask;
}

}  // namespace osmo
