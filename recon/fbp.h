// Filtered backprojection for every scan geometry: parallel, fan (arc/flat, full and short
// scans with Parker weights), FDK cone beam (flat/arc) and helical scans (rebinned to fan-beam
// slices, helical_rebinning.h).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "projectors/arrays.h"
#include "projectors/scan_geometry.h"
#include "recon/fbp_options.h"

namespace osmo {

// How the views of a scan are weighted (exposed for tests).
struct AngularWeights {
  std::vector<double> weights;       // per view, radians, including the redundancy normalisation
  double coverage_rad = 0.0;         // angular range the views represent
  bool short_scan = false;           // fan/cone scans below 2π: Parker weights apply
  double half_fan_rad = 0.0;         // δ, the largest |γ| of the detector
  double parker_half_fan_rad = 0.0;  // (span − π)/2 ≥ δ: the δ used in the Parker weights
  double start_rad = 0.0;            // first angle (short scans)
  // Limited angle: less than π (parallel) or a short scan π + 2δ (fan/cone). FBP then weighs each
  // measured ray once and treats the missing angles as zeros (streaks along the missing
  // directions); `complete_rad` is the range a complete scan needs.
  bool limited = false;
  double complete_rad = 0.0;
};
// Each view represents the interval between its neighbours' midpoints (the end views one
// neighbour gap); parallel scans are normalised to π, full fan/cone scans to 2π (the ½ of the
// fan formulas), short fan scans (coverage ≥ π + 2δ) get Parker weights, shorter ones are
// limited-angle scans (see AngularWeights::limited).
AngularWeights ComputeAngularWeights(const ScanGeometry& scan);

// Channels to add on each side of the detector for lateral truncation: 0 when the edge
// channels are air (their mean over views and rows below 2 % of the sinogram's maximum), else
// half the channel count. The rows are continued from their edge values by a cosine taper to
// zero over that width (a smooth extension; Ohnesorge et al. 2000 use the same idea with a fit).
int64_t TruncationExtension(const Sinogram& sinogram);

// Parker (1982) weight of the fan ray (β, γ) of a short scan starting at 0 over π + 2δ, for the
// contract's convention θ = β − γ: the conjugate ray (β + π − 2γ, −γ) gets 1 − w.
double ParkerWeight(double beta_rel, double gamma, double half_fan);

// Reconstructs μ (1/mm) on `grid`. Filtering uses FFTW (single precision) with zero padding to at
// least twice the channel count; backprojection is voxel-driven with linear interpolation,
// threaded over image rows (thread-count independent). Slice stacks reconstruct slice k from
// the rows at z_k (linear interpolation between rows).
// `progress`, when given, is called from one thread (never concurrently) with the number of image
// rows backprojected so far and the total; it must not throw.
using FbpProgress = std::function<void(int64_t rows_done, int64_t rows_total)>;
Image FilteredBackprojection(const ScanGeometry& scan, const Sinogram& sinogram,
                             const ImageGeometry& grid, const FbpOptions& options = {},
                             const FbpProgress& progress = {});

}  // namespace osmo
