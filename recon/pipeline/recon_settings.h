// Typed settings of a PWLS reconstruction (docs/RECONSTRUCTION.md): one struct per stage, checked
// once by Validate(). Errors are SettingErrors naming the field ("prior.delta"); front ends (the
// CLI, `osmo study`) reword them with their own names for the field.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>

#include "projectors/enum_table.h"
#include "projectors/scan_geometry.h"
#include "recon/os_solver.h"
#include "recon/regularizer.h"

namespace osmo {

// The voxels that are reconstructed (the others stay 0).
enum class SupportKind { kFieldOfView, kAll };
inline constexpr EnumTable<SupportKind, 2> kSupportKinds = {{
    {SupportKind::kFieldOfView, "fov", "the scanned circle"},
    {SupportKind::kAll, "all", "every voxel of the grid"},
}};

// Where the iterations start: FBP of the data (zero when FBP cannot reconstruct the scan), zero,
// or an image the caller supplies.
enum class StartKind { kFbp, kZero, kImage };

// The edge-preserving prior R(x) = β Σ κ_jk ψ(x_j − x_k) and how β is chosen.
struct PriorSettings {
  PotentialKind potential = PotentialKind::kFair;
  double delta = 0.0002;                     // δ of ψ, 1/mm (0.0002/mm = 10 HU)
  std::optional<Neighborhood> neighborhood;  // unset: DefaultNeighborhood(scan)
  std::optional<double> beta;                // unset: from beta_relative and the data
  double beta_relative = 4.0;                // r of DataScaledBeta
  bool kappa = false;  // certainty-based κ_j = sqrt(Σ_i a_ij w_i / Σ_i a_ij) (uniform resolution)
  void Validate() const;
};

struct ReconSettings {
  SolverOptions solver;
  PriorSettings prior;
  SupportKind support = SupportKind::kFieldOfView;
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
