// `osmo simulate`: analytic phantom scan with the low-dose noise model → scan file.
// SPDX-License-Identifier: Apache-2.0
#include <memory>

#include "phantoms/scan_simulation.h"
#include "projectors/error.h"
#include "projectors/geometry_presets.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/io/atomic_output.h"
#include "recon/io/geometry_json.h"
#include "recon/io/scan_file.h"

namespace osmo::cli {

namespace {

struct SimulateOptions {
  std::string phantom = "thorax";
  std::string geometry = "ge1-half";
  std::string output;
  int rays_per_cell = 4;
  DoseOptions dose;
  std::string reference_size, reference_voxel;
  bool no_reference = false;
  RunOptions run;
};

void RunSimulate(const SimulateOptions& o) {
  o.run.Apply();
  CheckOutputLocation(o.output);
  CheckNotAnInput(o.output, "--output", {o.phantom, o.geometry});
  o.dose.Validate();
  const Phantom phantom = LoadPhantom(o.phantom);
  const ScanGeometry scan = LoadGeometry(o.geometry);
  Note(o.run.verbose, "phantom " + phantom.name + " (" + std::to_string(phantom.shapes.size()) +
                          " shapes), geometry " + ToString(scan.kind) + " " +
                          std::to_string(scan.NumViews()) + " views × " +
                          std::to_string(scan.n_rows) + " rows × " +
                          std::to_string(scan.n_channels) + " channels");
  const Sinogram line_integrals = AnalyticSinogram(phantom, scan, o.rays_per_cell);
  ScanData data = SimulateMeasurement(scan, line_integrals, o.dose);
  if (o.dose.noiseless) Note(o.run.verbose, "noiseless: y = exact line integrals");
  if (!o.no_reference) {
    GridOptions grid;
    grid.size = o.reference_size;
    grid.voxel = o.reference_voxel;
    ImageGeometry g = grid.Resolve(scan);
    data.reference = Rasterize(phantom, g, 4);
    Note(o.run.verbose, "reference " + std::to_string(g.nx) + "×" + std::to_string(g.ny) + "×" +
                            std::to_string(g.nz) + " at " + ToText(g.voxel_size_mm) + " mm");
  }
  WriteScanFile(o.output, data);
  Note(o.run.verbose, "wrote " + o.output);
}

}  // namespace

void RegisterSimulate(CLI::App& app) {
  auto o = std::make_shared<SimulateOptions>();
  CLI::App* sub = app.add_subcommand(
      "simulate",
      "Simulate a CT scan of an analytic phantom (exact line integrals, low-dose noise)");
  sub->add_option(
         "--phantom", o->phantom,
         "Built-in phantom (shepp-logan, shepp-logan-modified, thorax, and -3d versions) or "
         "a phantom JSON file")
      ->capture_default_str();
  sub->add_option("--geometry", o->geometry,
                  "Geometry preset (ge1, ge1-half, parallel, cone-small, cone-bench, "
                  "helical-small, ge-helical) or a geometry "
                  "JSON file")
      ->capture_default_str();
  sub->add_option("-o,--output", o->output, "Output scan file (.h5)")->required();
  sub->add_option("--rays-per-cell", o->rays_per_cell,
                  "Exact rays averaged per detector cell and direction")
      ->capture_default_str();
  sub->add_option("--incident-counts", o->dose.incident_counts, "I0: blank-scan counts per ray")
      ->capture_default_str();
  sub->add_option("--electronic-noise-std", o->dose.electronic_noise_std,
                  "σ: Gaussian electronic noise, counts")
      ->capture_default_str();
  sub->add_option("--seed", o->dose.seed, "Random seed (same seed, same scan, bit for bit)")
      ->capture_default_str();
  sub->add_flag("--noiseless", o->dose.noiseless,
                "Expected counts, no noise (y = exact line integrals)");
  sub->add_option("--bowtie-mm", o->dose.bowtie_water_mm,
                  "Water-equivalent bowtie thickness at the detector edge, mm (0: no bowtie)")
      ->capture_default_str();
  sub->add_option("--min-counts", o->dose.min_counts, "ε: counts are clamped to ≥ ε before the log")
      ->capture_default_str();
  sub->add_option("--reference-size", o->reference_size,
                  "Grid of /reference, NX[,NY[,NZ]] (default: the default reconstruction grid)");
  sub->add_option(
      "--reference-voxel-mm", o->reference_voxel,
      "Voxel size of /reference, DX[,DZ] mm (default: the default reconstruction grid)");
  sub->add_flag("--no-reference", o->no_reference,
                "Do not store the rasterised phantom as /reference");
  o->run.Add(sub);
  sub->callback([o] { RunSimulate(*o); });
}

}  // namespace osmo::cli
