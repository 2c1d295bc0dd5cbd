// `osmo fbp`: filtered backprojection / FDK → volume.
// SPDX-License-Identifier: Apache-2.0
#include <iostream>
#include <memory>

#include "projectors/error.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/fbp.h"
#include "recon/io/atomic_output.h"

namespace osmo::cli {

namespace {

struct FbpCliOptions {
  std::string input, output;
  std::string filter = "hann";
  double cutoff = 1.0;
  GridOptions grid;
  DxchangeCliOptions dx;
  OutputImageOptions output_image;
  RunOptions run;
  ProgressOptions progress;
  RingFilterOptions rings;
};

// With --progress auto, FBPs shorter than this (voxel-views, ~2 s on one core) show no progress.
constexpr double kLargeFbpVoxelViews = 2e9;

void RunFbp(const FbpCliOptions& o) {
  o.run.Apply();
  o.output_image.Check(o.output);
  o.output_image.CheckLocation(o.output);
  CheckNotAnInput(o.output, "--output", {o.input});
  const FbpOptions fbp{ParseEnum(kFbpWindows, o.filter, "--filter"), o.cutoff};
  fbp.Validate();
  ScanData scan = LoadScan(o.input, o.dx);
  o.rings.Apply(scan, o.run.verbose);
  const ImageGeometry grid = o.grid.Resolve(scan.geometry);
  const AngularWeights angular = ComputeAngularWeights(scan.geometry);
  if (angular.limited) {
    std::cerr << "osmo: warning: " << o.input << " covers "
              << ToText(angular.coverage_rad * 180 / M_PI) << "°, less than the "
              << ToText(angular.complete_rad * 180 / M_PI)
              << "° of a complete scan: the missing angles count as zero (limited-angle streaks; "
                 "osmo recon handles such scans better)\n";
  }
  Note(o.run.verbose, "FBP on " + std::to_string(grid.nx) + "×" + std::to_string(grid.ny) + "×" +
                          std::to_string(grid.nz) + " voxels of " + ToText(grid.voxel_size_mm) +
                          " mm");
  ProgressMode mode = o.progress.Resolve();
  if (mode == ProgressMode::kAuto &&
      double(grid.NumVoxels()) * double(scan.geometry.NumViews()) < kLargeFbpVoxelViews) {
    mode = ProgressMode::kOff;
  }
  Progress progress("osmo fbp", mode);
  const Image image = FilteredBackprojection(scan.geometry, scan.sinogram, grid, fbp,
                                             [&](int64_t rows_done, int64_t rows_total) {
                                               progress.Update(rows_done, rows_total, "image rows");
                                             });
  progress.Finish();
  o.output_image.Write(o.output, image, scan,
                       "osmo FBP, " + o.filter + " window, cutoff " + ToText(o.cutoff),
                       o.run.verbose);
}

}  // namespace

void RegisterFbp(CLI::App& app) {
  auto o = std::make_shared<FbpCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "fbp", "Filtered backprojection (parallel, fan arc/flat with Parker short scans, FDK cone)");
  sub->add_option("input", o->input, "Scan file (.h5), osmo or DXchange")->required();
  sub->add_option(
         "-o,--output", o->output,
         "Output volume (.mha .mhd .nrrd .nii .nii.gz) or DICOM series folder (see --format)")
      ->required();
  sub->add_option("--filter", o->filter, "Ramp filter window: " + DescribeNames(kFbpWindows))
      ->capture_default_str();
  sub->add_option("--cutoff", o->cutoff,
                  "Filter cutoff as a fraction of the Nyquist frequency (0, 1]")
      ->capture_default_str();
  o->grid.Add(sub);
  o->output_image.Add(sub);
  o->dx.Add(sub);
  o->run.Add(sub);
  o->progress.Add(sub);
  o->rings.Add(sub);
  sub->callback([o] { RunFbp(*o); });
}

}  // namespace osmo::cli
