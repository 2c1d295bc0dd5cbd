// osmo_ctpd_write: writes a synthetic DICOM-CT-PD scan of a built-in phantom with the published
// L067 header values (736 × 64 cylindrical detector, 2304 views per turn, pitch 0.6, z flying
// focal spot), for the import benchmark and the clinical example (docs/CLINICAL_DATA.md). The
// rays follow the format's own definitions (tests/support/dicom_ct_pd_writer.h).
// SPDX-License-Identifier: Apache-2.0
#include <CLI/CLI.hpp>
#include <iostream>

#include "phantoms/phantom.h"
#include "tests/support/dicom_ct_pd_writer.h"

int main(int argc, char** argv) {
  CLI::App app{"Write a synthetic DICOM-CT-PD scan (one file per view) of a built-in phantom"};
  std::string output, phantom_name = "thorax-3d", position = "HFS";
  double turns = 2.0, dose = 0.25, z_center = 0.0;
  int views_per_turn = 2304;
  bool noiseless = false, transposed = false;
  std::string generation = "tcia";
  uint64_t seed = 1;
  app.add_option("-o,--output", output, "Output folder (created)")->required();
  app.add_option("--phantom", phantom_name, "Built-in phantom")->capture_default_str();
  app.add_option("--turns", turns, "Gantry turns")->capture_default_str();
  app.add_option("--views-per-turn", views_per_turn, "Views per turn")->capture_default_str();
  app.add_option("--z-center-mm", z_center, "Patient z of the helix's middle, mm")
      ->capture_default_str();
  app.add_option("--dose", dose, "Photon statistics relative to the L067 full dose")
      ->capture_default_str();
  app.add_option("--patient-position", position, "HFS, FFS, HFP or FFP")->capture_default_str();
  app.add_option("--generation", generation, "tcia (implicit VR, v3) or 2016 (explicit VR, v8)")
      ->check(CLI::IsMember({"tcia", "2016"}))
      ->capture_default_str();
  app.add_flag("--transposed", transposed, "DICOM Rows = detector rows");
  app.add_flag("--noiseless", noiseless, "Exact line integrals");
  app.add_option("--seed", seed, "Noise seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  osmo::test::CtPdScanSpec spec;  // the published header values
  spec.generation =
      generation == "tcia" ? osmo::test::CtPdGeneration::kTcia : osmo::test::CtPdGeneration::k2016;
  spec.transposed_layout = transposed;
  spec.flying_focal_spot = true;
  spec.patient_position = position;
  spec.views_per_turn = views_per_turn;
  spec.n_views = int(turns * views_per_turn);
  spec.feed_per_turn_mm = 23.04;
  // Patient z = table z for head-first positions, its negative for feet-first ones.
  const double table_center = position[0] == 'F' ? -z_center : z_center;
  spec.z_start_mm = table_center - 0.5 * turns * spec.feed_per_turn_mm;
  spec.poisson_noise = !noiseless;
  spec.dose_scale = dose;
  spec.seed = seed;
  spec.mu_water_per_mm = osmo::kMuWaterPerMm;  // the phantoms' water, so HU read true
  const osmo::Phantom phantom = osmo::BuiltinPhantom(phantom_name);
  osmo::test::WriteCtPdScan(
      output, spec, [&](const auto& p, const auto& d) { return phantom.LineIntegral(p, d); });
  std::cout << "wrote " << spec.n_views << " views to " << output << "\n";
  return 0;
}
