// Scan simulation: exact cell-averaged projections of analytic phantoms and the low-dose
// transmission noise model (ALGORITHMS.md §1).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "phantoms/phantom.h"
#include "projectors/scan_data.h"

namespace osmo {

// Line integrals of the phantom averaged over each detector cell: the mean of N equally spaced
// rays across the cell (N × N over channel and row for cone beam), each ray integral exact.
// No voxels are involved (no inverse crime). Threads over views; thread-count independent.
Sinogram AnalyticSinogram(const Phantom& phantom, const ScanGeometry& scan, int rays_per_cell);

// Dose and detector noise of a simulated measurement.
// Limits of the dose model: counts up to 1e12 per ray (float keeps them to 7 digits), a bowtie
// up to 1000 mm of water; Poisson counts with a mean above 1e7 are drawn from the normal
// approximation N(m, m).
constexpr double kMaxIncidentCounts = 1e12;
constexpr double kMaxBowtieWaterMm = 1000.0;
constexpr double kPoissonNormalAboveMean = 1e7;

struct DoseOptions {
  double incident_counts = 1e5;       // I0: blank-scan counts per ray (at the centre channel)
  double electronic_noise_std = 0.0;  // σ: Gaussian electronic noise, counts
  uint64_t seed = 1;                  // the same seed gives the same counts, bit for bit
  bool noiseless = false;             // expected counts instead of random ones
  double bowtie_water_mm = 0.0;       // water-equivalent bowtie thickness at the detector edge
  double min_counts = 0.5;            // ε: counts are clamped to ≥ ε before the log

  // Throws InputError naming the option for a value out of range.
  void Validate() const;
};

// I0 per channel: incident_counts·exp(−μ_w·T·(γ/γ_max)²) with T the bowtie thickness and γ the
// fan angle (u for parallel beam); all equal without a bowtie.
std::vector<float> IncidentCountsPerChannel(const ScanGeometry& scan, const DoseOptions& dose);

// The measurement of line integrals l: counts z = Poisson(I0·e^(−l)) + N(0, σ²) clamped to ≥ ε,
// y = −log(z / I0), w = z² / (z + σ²). Noiseless: z = I0·e^(−l) and y = l. The random numbers of
// view v come from a generator seeded by (seed, v), so results are thread-count independent.
ScanData SimulateMeasurement(const ScanGeometry& scan, const Sinogram& line_integrals,
                             const DoseOptions& dose);

}  // namespace osmo
