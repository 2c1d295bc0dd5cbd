// Validation of the reconstruction settings.
// SPDX-License-Identifier: Apache-2.0
#include "recon/pipeline/recon_settings.h"

#include <cmath>

#include "projectors/error.h"

namespace osmo {

void PriorSettings::Validate() const {
  if (beta && (!(*beta >= 0.0) || !std::isfinite(*beta)))
    throw SettingError("prior.beta", "β ≥ 0", ToText(*beta));
  if (beta_relative && (!(*beta_relative > 0.0) || !std::isfinite(*beta_relative)))
    throw SettingError("prior.beta_relative", "a positive factor", ToText(*beta_relative));
  if (target_fwhm_mm && (!(*target_fwhm_mm > 0.0) || !std::isfinite(*target_fwhm_mm)))
    throw SettingError("prior.target_fwhm_mm", "a positive width in mm", ToText(*target_fwhm_mm));
  if (noise_fraction && (!(*noise_fraction > 0.0) || !(*noise_fraction < 1.0)))
    throw SettingError("prior.noise_fraction", "a fraction in (0, 1)", ToText(*noise_fraction));
  if (delta && (!(*delta > 0.0) || !std::isfinite(*delta)))
    throw SettingError("prior.delta", "δ > 0 (1/mm)", ToText(*delta));
}

void ReconSettings::Validate() const {
  solver.Validate();
  prior.Validate();
  if (!(mu_water_per_mm > 0.0) || !std::isfinite(mu_water_per_mm))
    throw SettingError("mu_water_per_mm", "a positive μ in 1/mm", ToText(mu_water_per_mm));
}

Neighborhood DefaultNeighborhood(const ScanGeometry& scan) {
  return scan.kind == ScanKind::kCone ? Neighborhood::k26 : Neighborhood::k8;
}

}  // namespace osmo
