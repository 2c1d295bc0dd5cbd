// Per-slice ordered-subsets gradient scales.
// SPDX-License-Identifier: Apache-2.0
#include "recon/subset_scaling.h"

#include <algorithm>

namespace osmo {

std::vector<float> SliceSubsetScales(const PwlsProblem& problem,
                                     const std::vector<ViewList>& subsets,
                                     const Image& data_curvature,
                                     const std::vector<uint8_t>& active) {
  const ImageGeometry& g = problem.grid();
  const int64_t n_subsets = int64_t(subsets.size()), slice = g.nx * g.ny;
  std::vector<float> scales(size_t(n_subsets * g.nz), float(n_subsets));
  for (int64_t m = 0; m < n_subsets; ++m) {
    const Image c = problem.DataCurvatureOfViews(subsets[size_t(m)]);
    for (int64_t k = 0; k < g.nz; ++k) {
      double subset_sum = 0.0, total_sum = 0.0;
      for (int64_t j = k * slice; j < (k + 1) * slice; ++j) {
        if (!active[size_t(j)]) continue;
        subset_sum += c.values[size_t(j)];
        total_sum += data_curvature.values[size_t(j)];
      }
      if (subset_sum > 0.0)
        scales[size_t(m * g.nz + k)] = float(std::min(double(n_subsets), total_sum / subset_sum));
    }
  }
  return scales;
}

}  // namespace osmo
