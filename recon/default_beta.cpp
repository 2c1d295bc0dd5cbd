// The data-scaled default β.
// SPDX-License-Identifier: Apache-2.0
#include "recon/default_beta.h"

#include <algorithm>

#include "projectors/error.h"

namespace osmo {

double DataScaledBeta(double relative, const Image& back_projected_weights,
                      const std::vector<float>& uniformity, const std::vector<uint8_t>& support,
                      double kappa_sum) {
  std::vector<float> values;
  for (size_t j = 0; j < support.size(); ++j) {
    if (!support[j] || back_projected_weights.values[j] <= 0.0f) continue;
    const double c2 = uniformity.empty() ? 1.0 : double(uniformity[j]) * uniformity[j];
    if (c2 <= 0.0) continue;
    values.push_back(float(back_projected_weights.values[j] / c2));
  }
  if (values.empty()) {
    throw InputError("automatic β (from the back-projected weights)",
                     "support voxels seen by the scan with positive weight",
                     "none (all weights zero, or the grid outside the field of view)");
  }
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return relative * back_projected_weights.geometry.voxel_size_mm *
         double(values[values.size() / 2]) / kappa_sum;
}

}  // namespace osmo
