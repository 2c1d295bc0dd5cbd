// `osmo import`: DXchange file or DICOM-CT-PD folder → osmo scan file.
// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <iostream>
#include <memory>

#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/io/atomic_output.h"
#include "recon/io/dicom_ct_pd.h"
#include "recon/io/scan_file.h"

namespace osmo::cli {

namespace {

struct ImportOptions {
  std::string input, output;
  DxchangeCliOptions dx;
  DicomCtPdCliOptions ctpd;
  RunOptions run;
  ProgressOptions progress;
};

ScanData ImportCtPd(const ImportOptions& o) {
  DicomCtPdOptions options = o.ctpd.Resolve();
  Progress progress("osmo import", o.progress.Resolve());
  std::string stage;
  options.progress = [&](int64_t done, int64_t total, const std::string& pass) {
    if (pass != stage && !stage.empty()) progress.Finish();
    stage = pass;
    progress.Update(done, total, pass);
  };
  DicomCtPdImport imported = ImportDicomCtPd(o.input, options);
  progress.Finish();
  for (const std::string& note : imported.notes) std::cout << "osmo import: " << note << "\n";
  return std::move(imported.scan);
}

void RunImport(const ImportOptions& o) {
  o.run.Apply();
  CheckOutputLocation(o.output);
  CheckNotAnInput(o.output, "--output", {o.input});
  const bool dicom = std::filesystem::is_directory(o.input);
  if (!dicom && o.ctpd.AnyGiven()) {
    throw InputError("--views/--z-range-mm/--patient-position", "a DICOM-CT-PD folder as the input",
                     "the file " + o.input);
  }
  const ScanData scan = dicom ? ImportCtPd(o) : ImportDxchange(o.input, o.dx.Resolve());
  WriteScanFile(o.output, scan);
  std::cout << "osmo import: wrote " << scan.geometry.NumViews() << " views × "
            << scan.geometry.n_rows << " rows × " << scan.geometry.n_channels << " channels to "
            << o.output << "\n";
}

}  // namespace

void RegisterImport(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* sub = app.add_subcommand(
      "import",
      "Import projection data as an osmo scan file: a folder of DICOM-CT-PD files (one per view; "
      "clinical helical scans, docs/CLINICAL_DATA.md), or a DXchange (APS Data Exchange) file "
      "as a parallel-beam scan (flat/dark normalisation, −log, weights from counts)");
  sub->add_option("input", o->input, "DICOM-CT-PD folder, or DXchange file (.h5)")->required();
  sub->add_option("-o,--output", o->output, "Output scan file (.h5)")->required();
  o->ctpd.Add(sub);
  o->dx.Add(sub);
  o->run.Add(sub);
  o->progress.Add(sub);
  sub->callback([o] { RunImport(*o); });
}

}  // namespace osmo::cli
