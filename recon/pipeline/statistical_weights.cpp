// Statistical weights from the scan's stored weights or counts.
// SPDX-License-Identifier: Apache-2.0
#include "recon/pipeline/statistical_weights.h"

#include <algorithm>

namespace osmo {

StatisticalWeights WeightsFor(const ScanData& scan) {
  if (scan.weights) return {*scan.weights, "weights from /weights"};
  if (scan.counts) {
    const double sigma = scan.electronic_noise_std.value_or(0.0);
    const double variance = sigma * sigma;
    Sinogram w = *scan.counts;
    for (float& z : w.values) {
      const double c = std::max(double(z), 0.0);
      z = float(c > 0 ? c * c / (c + variance) : 0.0);
    }
    return {std::move(w), "weights from /counts: w = z²/(z + σ²)"};
  }
  return {Sinogram(scan.geometry, 1.0f),
          "no /weights or /counts: unweighted least squares (w = 1)"};
}

}  // namespace osmo
