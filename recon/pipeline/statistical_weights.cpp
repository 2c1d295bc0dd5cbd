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

// The noise variance of the log data, measured on the data themselves: along each detector row
// the fourth difference r_c = y_c−2 − 4y_c−1 + 6y_c − 4y_c+1 + y_c+2 removes the smooth signal
// (every cubic) and keeps 70 × the variance of white noise (1 + 16 + 36 + 16 + 1);
// r_c² / (70·m_c), with m_c the modelled relative variance of ray c (e^y for −log(transmission),
// 1 for data of constant variance), estimates the common scale σ² robustly through the median
// absolute value (σ = 1.4826·MAD), which edges and other outliers do not move.
double NoiseScale(const Sinogram& y, bool poisson) {
  std::vector<float> normalised;
  normalised.reserve(y.values.size());
  for (int64_t v = 0; v < y.n_views; ++v) {
    for (int64_t r = 0; r < y.n_rows; ++r) {
      const float* row = y.View(v) + r * y.n_channels;
      for (int64_t c = 2; c + 2 < y.n_channels; ++c) {
        const double fourth = double(row[c - 2]) - 4.0 * row[c - 1] + 6.0 * row[c] -
                              4.0 * row[c + 1] + double(row[c + 2]);
        const double model = poisson ? std::exp(std::max(double(row[c]), 0.0)) : 1.0;
        normalised.push_back(float(std::abs(fourth) / std::sqrt(70.0 * model)));
      }
    }
  }
  if (normalised.empty()) return 0.0;
  const double sigma = 1.4826 * Quantile(normalised, 0.5);
  return sigma * sigma;
}

StatisticalWeights FromLogData(const ScanData& scan) {
  const double p99 = Quantile(scan.sinogram.values, 0.99);
  const bool transmission = p99 <= kMaxPlausibleLineIntegral;
  const double scale = NoiseScale(scan.sinogram, transmission);
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    return {Sinogram(scan.geometry, 1.0f),
            "no /weights or /counts, and no noise measurable in the sinogram: unweighted least "
            "squares (w = 1)"};
  }
  if (!transmission) {
    return {
        Sinogram(scan.geometry, float(1.0 / scale)),
        "no /weights or /counts, and the sinogram is not −log(transmission) (99th percentile " +
            ToText(p99) + " > " + ToText(kMaxPlausibleLineIntegral) +
            "): uniform weights w = 1/σ² with the measured noise σ = " + ToText(std::sqrt(scale))};
  }
  // Var(y) = e^y / I0 for counts with mean I0·e^−y: I0 = 1/scale, w = I0·e^−y.
  const double i0 = 1.0 / scale;
  Sinogram w(scan.geometry);
  for (size_t i = 0; i < w.values.size(); ++i) {
    // Values below 0 are noise around air: the weight of air.
    w.values[i] = float(i0 * std::exp(-std::max(double(scan.sinogram.values[i]), 0.0)));
  }
  return {std::move(w), "weights from the log data: w = I0·e^−y with I0 = " + ToText(i0) +
                            " measured from the sinogram's noise (no /weights or /counts)"};
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
