// Spatial resolution at the image centre: the local impulse response of PWLS (Fessler & Rogers
// 1996) in its Fourier approximation, the β that gives a target FWHM (Stayman & Fessler 2000), and
// the FWHM of FBP's impulse response, the default target.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "projectors/projector.h"
#include "recon/fbp_options.h"
#include "recon/regularizer.h"

namespace osmo {

// For the centre voxel c, the PWLS estimate's response to a small change of voxel c is
//   l = (AᵀWA + βR)⁻¹ AᵀWA e_c,   L(ω) ≈ H(ω) / (H(ω) + β R(ω))
// with H the spectrum of h = AᵀWA e_c (one forward and back projection of an impulse) and R that
// of the prior's quadratic stencil at c: R(ω) = c_c² Σ_{k∈N} κ_k (1 − cos ω·d_k) (ψ''(0) = 1, so
// for the edge-preserving potentials this is the resolution of small contrasts). The FWHM is
// measured along x through the centre, sinc-interpolated between voxels.
class CentreImpulseResponse {
 public:
  // `stencil`: the prior (its β is ignored); `certainty_sq`: c_c² of the certainty factors at the
  // centre voxel (1 without them).
  CentreImpulseResponse(const Projector& projector, const Sinogram& weights,
                        const Regularizer& stencil, double certainty_sq = 1.0);

  // FWHM in mm along x of the response for β.
  double FwhmMm(double beta) const;
  // The β with FwhmMm(β) = fwhm_mm (bisection in log β, 0.1 % of the target); the smallest β
  // tried when even β → 0 is wider (the grid's own limit).
  double BetaForFwhm(double fwhm_mm) const;
  // The predicted standard deviation of the centre voxel for data noise of covariance W⁻¹ (W the
  // weights as inverse variances): Cov(x̂) ≈ (F + βR)⁻¹F(F + βR)⁻¹ with F = AᵀWA, whose diagonal
  // is (1/N) Σ_ω H(ω)/(H(ω) + βR(ω))² (Fessler 1996).
  double NoiseStd(double beta) const;
  // The β with NoiseStd(β) = noise_std (bisection in log β).
  double BetaForNoise(double noise_std) const;
  // The predicted standard deviation of x_c − x_{c+1} (neighbours along x), the differences the
  // prior sees in a flat region: (1/N) Σ_ω 2(1 − cos ω_x) H(ω)/(H(ω) + βR(ω))².
  double NeighbourDifferenceStd(double beta) const;

 private:
  ImageGeometry grid_;
  std::vector<double> data_;     // H(ω) on the r2c half spectrum
  std::vector<double> penalty_;  // R(ω), same layout
  // A bracket [lo, hi] of β with f(lo) < target < f(hi) for an increasing f, then bisection.
  template <class Measure>
  double Solve(double target, Measure f) const;
  // (1/N) Σ_ω filter(k_x) H(ω)/(H(ω) + βR(ω))² over the full spectrum (k_x the x frequency index).
  template <class Filter>
  double NoiseSpectrumSum(double beta, Filter filter) const;
};

// The standard deviation of FBP (Hann) at the image centre for data noise of variance 1/w_i:
// the FBP of a seeded Gaussian noise sinogram, its sample deviation within a quarter of the
// field-of-view radius of the centre.
double FbpNoiseStd(const Projector& projector, const Sinogram& weights);

// FWHM in mm along x of FBP's impulse response at the centre voxel: FBP(A e_c).
double FbpFwhmMm(const Projector& projector, const FbpOptions& options);

// The real spectrum (r2c half spectrum, [z][y][x/2 + 1], real part) of an image whose peak is
// its centre voxel (nx/2, ny/2, nz/2), circularly shifted to the origin.
std::vector<double> CentredSpectrum(const Image& image);

// FWHM in voxels along x of the symmetric response with this centred spectrum.
double SpectrumFwhmVoxels(const std::vector<double>& spectrum, const ImageGeometry& grid);

}  // namespace osmo
