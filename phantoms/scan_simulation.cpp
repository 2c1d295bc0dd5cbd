// Analytic sinograms and the transmission noise model.
// SPDX-License-Identifier: Apache-2.0
#include "phantoms/scan_simulation.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "projectors/error.h"

namespace osmo {

Sinogram AnalyticSinogram(const Phantom& phantom, const ScanGeometry& scan, int rays_per_cell) {
  if (rays_per_cell < 1 || rays_per_cell > 64) {
    throw SettingError("simulation.rays_per_cell", "1 to 64", ToText(rays_per_cell));
  }
  Sinogram sinogram(scan);
  const int n = rays_per_cell;
  const int n_axial = scan.kind == ScanKind::kCone ? n : 1;
  const double inv_rays = 1.0 / double(n * n_axial);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t view = 0; view < scan.NumViews(); ++view) {
    for (int64_t r = 0; r < scan.n_rows; ++r) {
      for (int64_t c = 0; c < scan.n_channels; ++c) {
        double sum = 0.0;
        for (int a = 0; a < n_axial; ++a) {
          // Fan and parallel stacks: the row's plane z = v_r; cone: N positions across the row.
          const double v = scan.RowV(double(r) + (n_axial > 1 ? (a + 0.5) / n_axial - 0.5 : 0.0));
          for (int t = 0; t < n; ++t) {
            const double u = scan.ChannelU(double(c) + (t + 0.5) / n - 0.5);
            std::array<double, 3> start, direction;
            scan.Ray(view, u, v, start.data(), direction.data());
            sum += phantom.LineIntegral(start, direction);
          }
        }
        sinogram.at(view, r, c) = float(sum * inv_rays);
      }
    }
  }
  return sinogram;
}

void DoseOptions::Validate() const {
  if (!(incident_counts > 0.0) || !(incident_counts <= kMaxIncidentCounts)) {
    throw SettingError("dose.incident_counts",
                       "a positive number of counts up to " + ToText(kMaxIncidentCounts),
                       ToText(incident_counts));
  }
  if (!(electronic_noise_std >= 0.0) || !(electronic_noise_std <= incident_counts)) {
    throw SettingError("dose.electronic_noise_std",
                       "a non-negative number of counts, at most the incident counts",
                       ToText(electronic_noise_std));
  }
  if (!(bowtie_water_mm >= 0.0) || !(bowtie_water_mm <= kMaxBowtieWaterMm)) {
    throw SettingError("dose.bowtie_water_mm",
                       "a thickness from 0 to " + ToText(kMaxBowtieWaterMm) + " mm of water",
                       ToText(bowtie_water_mm));
  }
  if (!(min_counts > 0.0) || !(min_counts < incident_counts)) {
    throw SettingError("dose.min_counts", "a positive number of counts below the incident counts",
                       ToText(min_counts));
  }
}

std::vector<float> IncidentCountsPerChannel(const ScanGeometry& scan, const DoseOptions& dose) {
  std::vector<float> i0(size_t(scan.n_channels), float(dose.incident_counts));
  if (dose.bowtie_water_mm <= 0.0) return i0;
  auto angle = [&](double c) {
    const double u = scan.ChannelU(c);
    return scan.kind == ScanKind::kParallel ? u : scan.FanAngle(u);
  };
  const double edge =
      std::max(std::abs(angle(-0.5)), std::abs(angle(double(scan.n_channels) - 0.5)));
  for (int64_t c = 0; c < scan.n_channels; ++c) {
    const double f = angle(double(c)) / edge;
    i0[size_t(c)] =
        float(dose.incident_counts * std::exp(-kMuWaterPerMm * dose.bowtie_water_mm * f * f));
  }
  return i0;
}

namespace {

// SplitMix64 finaliser: decorrelates the per-view seeds (Steele, Lea & Flood 2014).
uint64_t MixSeed(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

ScanData SimulateMeasurement(const ScanGeometry& scan, const Sinogram& line_integrals,
                             const DoseOptions& dose) {
  dose.Validate();
  // Negative line integrals (a phantom with negative net attenuation) would ask for more counts
  // than the source emits; refused before any sampling.
  for (int64_t n = 0; n < line_integrals.size(); ++n) {
    const float l = line_integrals.values[size_t(n)];
    if (!std::isfinite(l) || l < -1e-4f) {
      throw InputError("phantom projections",
                       "finite line integrals ≥ 0 (a phantom with non-negative attenuation)",
                       ToText(l) + " at sinogram value " + std::to_string(n));
    }
  }
  ScanData data;
  data.geometry = scan;
  data.sinogram = Sinogram(scan);
  data.weights = Sinogram(scan);
  data.counts = Sinogram(scan);
  data.incident_counts = IncidentCountsPerChannel(scan, dose);
  const float edge_i0 = *std::min_element(data.incident_counts.begin(), data.incident_counts.end());
  if (!(edge_i0 > dose.min_counts)) {
    throw SettingError("dose.bowtie_water_mm",
                       "a bowtie that leaves more than the minimum counts at the edge",
                       ToText(dose.bowtie_water_mm) + " mm leaving " + ToText(edge_i0) + " counts");
  }
  data.electronic_noise_std = dose.electronic_noise_std;
  const double var_e = dose.electronic_noise_std * dose.electronic_noise_std;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t view = 0; view < scan.NumViews(); ++view) {
    std::mt19937_64 rng(MixSeed(dose.seed * 0x100000001B3ull + uint64_t(view)));
    std::normal_distribution<double> gauss(0.0, 1.0);
    for (int64_t r = 0; r < scan.n_rows; ++r) {
      for (int64_t c = 0; c < scan.n_channels; ++c) {
        const double i0 = data.incident_counts[size_t(c)];
        const double l = line_integrals.at(view, r, c);
        const double mean = i0 * std::exp(-l);
        double z = mean;
        if (!dose.noiseless) {
          if (mean > kPoissonNormalAboveMean) {
            // Poisson(m) ≈ N(m, m) (relative error of the variance ~1/m); also avoids the
            // sampler's run time growing with the mean.
            z = mean + std::sqrt(mean) * gauss(rng);
          } else {
            std::poisson_distribution<int64_t> poisson(mean);
            z = double(mean > 0.0 ? poisson(rng) : 0);
          }
          if (var_e > 0.0) z += dose.electronic_noise_std * gauss(rng);
        }
        z = std::max(z, dose.min_counts);
        data.counts->at(view, r, c) = float(z);
        data.sinogram.at(view, r, c) =
            float(dose.noiseless && mean >= dose.min_counts ? l : -std::log(z / i0));
        data.weights->at(view, r, c) = float(z * z / (z + var_e));
      }
    }
  }
  return data;
}

}  // namespace osmo
