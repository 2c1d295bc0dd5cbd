// Library setting fields → osmo's command-line flags.
// SPDX-License-Identifier: Apache-2.0
#include "recon/cli/setting_flags.h"

#include <map>

namespace osmo::cli {

std::string FlagForSetting(const std::string& field) {
  static const std::map<std::string, std::string> kFlags = {
      {"solver.algorithm", "--algorithm"},
      {"solver.subsets", "--subsets"},
      {"solver.iterations", "--iterations"},
      {"solver.subset_schedule", "--subset-schedule"},
      {"solver.denominator", "--denominator"},
      {"solver.nonuniform_floor", "--nonuniform-floor"},
      {"solver.relax", "--relax"},
      {"solver.relax_power", "--relax-power"},
      {"solver.restart", "--restart"},
      {"solver.curvature", "--curvature"},
      {"solver.lalm_relax", "--lalm-relax"},
      {"solver.upper_bound", "--upper-bound"},
      {"solver.cost_every", "--cost-every"},
      {"solver.tolerance", "--tolerance"},
      {"solver.tolerance_on", "--tolerance-on"},
      {"prior.potential", "--potential"},
      {"prior.delta", "--delta"},
      {"prior.neighborhood", "--neighborhood"},
      {"prior.beta", "--beta"},
      {"prior.beta_relative", "--beta-relative"},
      {"prior.target_fwhm_mm", "--target-fwhm-mm"},
      {"prior.noise_fraction", "--noise-fraction"},
      {"support", "--support"},
      {"weighting", "--weights"},
      {"ring_filter_width", "--ring-filter-width"},
      {"start", "--init"},
      {"mu_water_per_mm", "--mu-water-per-mm"},
      {"fbp.window", "--filter"},
      {"fbp.cutoff", "--cutoff"},
      {"simulation.rays_per_cell", "--rays-per-cell"},
      {"dose.incident_counts", "--incident-counts"},
      {"dose.electronic_noise_std", "--electronic-noise-std"},
      {"dose.bowtie_water_mm", "--bowtie-mm"},
      {"dose.min_counts", "--min-counts"},
      {"dxchange.angles", "--angles-deg"},
      {"dxchange.angle_count", "--angles-deg COUNT"},
      {"dxchange.rows", "--rows"},
      {"dxchange.pixel_size_mm", "--pixel-size-mm"},
      {"geometry", "--geometry"},
  };
  const auto it = kFlags.find(field);
  return it == kFlags.end() ? "" : it->second;
}

InputError InFlagTerms(const SettingError& error) {
  const std::string flag = FlagForSetting(error.field());
  return flag.empty() ? InputError(error.what()) : error.Reworded(flag);
}

}  // namespace osmo::cli
