// Statistical weights from the scan's stored weights, counts or log data.
// SPDX-License-Identifier: Apache-2.0
#include "recon/pipeline/statistical_weights.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "projectors/error.h"

namespace osmo {

namespace {

// The q-quantile of the values (a copy is partially sorted).
double Quantile(const std::vector<float>& values, double q) {
  std::vector<float> copy = values;
  const size_t n = size_t(q * double(copy.size() - 1));
  std::nth_element(copy.begin(), copy.begin() + ptrdiff_t(n), copy.end());
  return copy[n];
}

StatisticalWeights FromCounts(const ScanData& scan) {
  const double sigma = scan.electronic_noise_std.value_or(0.0);
  const double variance = sigma * sigma;
  Sinogram w = *scan.counts;
  for (float& z : w.values) {
    const double c = std::max(double(z), 0.0);
    z = float(c > 0 ? c * c / (c + variance) : 0.0);
  }
  return {std::move(w), "weights from /counts: w = z²/(z + σ²)"};
}

StatisticalWeights FromLogData(const ScanData& scan) {
  const double p99 = Quantile(scan.sinogram.values, 0.99);
  if (!(p99 <= kMaxPlausibleLineIntegral)) {
    return {Sinogram(scan.geometry, 1.0f),
            "no /weights or /counts, and the sinogram is not −log(transmission) (99th percentile " +
                ToText(p99) + " > " + ToText(kMaxPlausibleLineIntegral) +
                "): unweighted least squares (w = 1)"};
  }
  Sinogram w(scan.geometry);
  double sum = 0.0;
  for (size_t i = 0; i < w.values.size(); ++i) {
    // Values below 0 are noise around air: the weight of air.
    w.values[i] = float(std::exp(-std::max(double(scan.sinogram.values[i]), 0.0)));
    sum += w.values[i];
  }
  const float scale = float(double(w.values.size()) / sum);
  for (float& v : w.values) v *= scale;
  return {std::move(w), "weights from the log data: w ∝ e^−y (mean 1; no /weights or /counts)"};
}

}  // namespace

StatisticalWeights WeightsFor(const ScanData& scan, Weighting weighting) {
  if (weighting == Weighting::kNone)
    return {Sinogram(scan.geometry, 1.0f), "unweighted least squares (w = 1, as asked)"};
  if (scan.weights) return {*scan.weights, "weights from /weights"};
  if (scan.counts) return FromCounts(scan);
  return FromLogData(scan);
}

}  // namespace osmo
