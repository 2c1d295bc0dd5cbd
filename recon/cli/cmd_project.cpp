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
  GridOptions grid;  // overrides of the volume's own placement
  RunOptions run;
};

void RunProject(const ProjectOptions& o) {
  o.run.Apply();
  CheckOutputLocation(o.output);
  CheckNotAnInput(o.output, "--output", {o.volume, o.geometry_from});
  Image image = ReadMuVolume(o.volume);
  ScanData scan;
  scan.geometry = ReadScanGeometry(o.geometry_from);
  // The volume's own grid unless overridden: --voxel-size-mm and --image-center-mm re-place it
  // (e.g. a volume from a tool that wrote no spacing), --image-size must then agree with it.
  if (!o.grid.size.empty() || !o.grid.voxel.empty() || !o.grid.center.empty()) {
    GridOptions grid = o.grid;
    if (grid.size.empty()) {
      grid.size = std::to_string(image.geometry.nx) + "," + std::to_string(image.geometry.ny) +
                  "," + std::to_string(image.geometry.nz);
    }
    if (grid.voxel.empty()) {
      grid.voxel =
          ToText(image.geometry.voxel_size_mm) + "," + ToText(image.geometry.slice_thickness_mm);
    }
    if (grid.center.empty()) {
      grid.center = ToText(image.geometry.center_mm[0]) + "," +
                    ToText(image.geometry.center_mm[1]) + "," + ToText(image.geometry.center_mm[2]);
    }
    const ImageGeometry g = grid.Resolve(scan.geometry);
    if (g.nx != image.geometry.nx || g.ny != image.geometry.ny || g.nz != image.geometry.nz) {
      throw InputError("--image-size",
                       "the volume's size " + std::to_string(image.geometry.nx) + "," +
                           std::to_string(image.geometry.ny) + "," +
                           std::to_string(image.geometry.nz),
                       o.grid.size);
    }
    image.geometry = g;
  }
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
  o->grid.Add(sub);
  sub->add_option("--axial-footprint", o->axial, "Cone beam: tr (SF-TR) or tt (SF-TT)")
      ->capture_default_str();
  o->run.Add(sub);
  sub->callback([o] { RunProject(*o); });
}

}  // namespace osmo::cli
