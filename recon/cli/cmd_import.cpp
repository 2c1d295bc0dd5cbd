// `osmo import`: DXchange → osmo scan file.
// SPDX-License-Identifier: Apache-2.0
#include <memory>

#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/io/atomic_output.h"
#include "recon/io/scan_file.h"

namespace osmo::cli {

namespace {

struct ImportOptions {
  std::string input, output;
  DxchangeCliOptions dx;
  RunOptions run;
};

void RunImport(const ImportOptions& o) {
  o.run.Apply();
  CheckOutputLocation(o.output);
  CheckNotAnInput(o.output, "--output", {o.input});
  const ScanData scan = ImportDxchange(o.input, o.dx.Resolve());
  WriteScanFile(o.output, scan);
  Note(o.run.verbose, "imported " + std::to_string(scan.geometry.NumViews()) + " views × " +
                          std::to_string(scan.geometry.n_rows) + " rows × " +
                          std::to_string(scan.geometry.n_channels) + " channels to " + o.output);
}

}  // namespace

void RegisterImport(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* sub =
      app.add_subcommand("import",
                         "Import a DXchange (APS Data Exchange) file as a parallel-beam osmo scan: "
                         "flat/dark normalisation, −log, weights from counts");
  sub->add_option("input", o->input, "DXchange file (.h5)")->required();
  sub->add_option("-o,--output", o->output, "Output scan file (.h5)")->required();
  o->dx.Add(sub);
  o->run.Add(sub);
  sub->callback([o] { RunImport(*o); });
}

}  // namespace osmo::cli
