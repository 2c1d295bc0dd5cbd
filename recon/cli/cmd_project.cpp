// `osmo project`: forward-project a volume with the geometry of an existing scan file.
// SPDX-License-Identifier: Apache-2.0
#include <memory>

#include "projectors/error.h"
#include "projectors/projector.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/io/atomic_output.h"
#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"

namespace osmo::cli {

namespace {

struct ProjectOptions {
  std::string volume, geometry_from, output;
  std::string axial = "tr";
  RunOptions run;
};

void RunProject(const ProjectOptions& o) {
  o.run.Apply();
  CheckOutputLocation(o.output);
  const Image image = ReadVolume(o.volume);
  ScanData scan;
  scan.geometry = ReadScanGeometry(o.geometry_from);
  ProjectorOptions options;
  if (o.axial == "tt")
    options.axial = AxialFootprint::kTrapezoid;
  else if (o.axial != "tr")
    throw InputError("--axial-footprint", "tr or tt", "\"" + o.axial + "\"");
  auto projector = MakeProjector(image.geometry, scan.geometry, options);
  scan.sinogram = Sinogram(scan.geometry);
  projector->Forward(image, scan.sinogram);
  WriteScanFile(o.output, scan);
  Note(o.run.verbose, "wrote " + o.output);
}

}  // namespace

void RegisterProject(CLI::App& app) {
  auto o = std::make_shared<ProjectOptions>();
  CLI::App* sub = app.add_subcommand(
      "project", "Forward-project a volume (μ, 1/mm) with the scan geometry of a scan file");
  sub->add_option("volume", o->volume, "Input volume (.mha .mhd .nrrd .nii .nii.gz)")->required();
  sub->add_option("--geometry-from", o->geometry_from,
                  "Scan file whose geometry to use (its sinogram values are ignored)")
      ->required();
  sub->add_option("-o,--output", o->output, "Output scan file (.h5)")->required();
  sub->add_option("--axial-footprint", o->axial, "Cone beam: tr (SF-TR) or tt (SF-TT)")
      ->capture_default_str();
  o->run.Add(sub);
  sub->callback([o] { RunProject(*o); });
}

}  // namespace osmo::cli
