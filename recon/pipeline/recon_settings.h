// Typed settings of a PWLS reconstruction (docs/RECONSTRUCTION.md): one struct per stage, checked
// once by Validate(). Errors are SettingErrors naming the field ("prior.delta"); front ends (the
// CLI, `osmo study`) reword them with their own names for the field.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>

#include "projectors/enum_table.h"
#include "projectors/scan_geometry.h"
#include "recon/os_solver.h"
#include "recon/pipeline/statistical_weights.h"
#include "recon/regularizer.h"

namespace osmo {

// The voxels that are reconstructed (the others stay 0).
enum class SupportKind { kAuto, kFieldOfView, kAll };
inline constexpr EnumTable<SupportKind, 3> kSupportKinds = {{
    {SupportKind::kAuto, "auto",
     "the scanned circle; for laterally truncated data a circle 1.5× wider, on a grid widened to "
     "hold it (cropped back for the output)"},
    {SupportKind::kFieldOfView, "fov", "the scanned circle"},
    {SupportKind::kAll, "all", "every voxel of the grid"},
}};

// Where the iterations start: FBP of the data (zero when FBP cannot reconstruct the scan), zero,
// or an image the caller supplies.
enum class StartKind { kFbp, kZero, kImage };

// The edge-preserving prior R(x) = β Σ κ_jk ψ(x_j − x_k) and how β and δ are chosen
// (docs/RECONSTRUCTION.md). Every default follows the data, so scaling y by c scales the image
// by c.
struct PriorSettings {
  PotentialKind potential = PotentialKind::kFair;
  // δ of ψ (1/mm); unset: kDeltaFraction × the median of the FBP image over the object.
  std::optional<double> delta;
  std::optional<Neighborhood> neighborhood;  // unset: DefaultNeighborhood(scan)
  // β, in order of precedence: set directly; the β whose local impulse response at the centre
  // has `target_fwhm_mm` (for ψ''(0), i.e. contrasts below δ); else the larger of the relative
  // rule (DataScaledBeta with `beta_relative`) and the noise rule (the β whose predicted noise at
  // the centre is `noise_fraction` × the FBP image's, for the weights as inverse variances), each
  // used only when set, both at their defaults when neither is.
  std::optional<double> beta;
  std::optional<double> target_fwhm_mm;
  std::optional<double> beta_relative;
  std::optional<double> noise_fraction;
  bool kappa = false;  // certainty-based κ_j = sqrt(Σ_i a_ij w_i / Σ_i a_ij) (uniform resolution)
  void Validate() const;
};

// δ = kDeltaFraction × median μ of the object: 1 % of soft tissue's μ is about 10 HU, the value
// tuned on the simulated thorax (docs/RECONSTRUCTION.md); as a fraction it holds in any units.
constexpr double kDeltaFraction = 0.01;
// The default β rules (docs/RECONSTRUCTION.md): relative 4 minimises RMSE on the simulated thorax
// at the detector's sampling; a noise of 0.3 × FBP's is the floor that keeps real scans, whose
// own blur spans several voxels, less noisy than FBP.
constexpr double kDefaultBetaRelative = 4.0;
constexpr double kDefaultNoiseFraction = 0.3;

struct ReconSettings {
  SolverOptions solver;
  PriorSettings prior;
  Weighting weighting = Weighting::kAuto;
  SupportKind support = SupportKind::kAuto;
  StartKind start = StartKind::kFbp;
  double mu_water_per_mm = 0.02;  // μ of water, 1/mm: RMSD is reported in HU
  // Everything that can be checked without the scan (the subset count against the views is
  // checked when the reconstruction is prepared).
  void Validate() const;
};

// 26 neighbours for cone-beam volumes (a true 3D image), 8 for fan and parallel slices (independent
// slices).
Neighborhood DefaultNeighborhood(const ScanGeometry& scan);

}  // namespace osmo
