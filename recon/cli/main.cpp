// The osmo executable: subcommands simulate, recon, fbp, project, import, info, batch, study.
// SPDX-License-Identifier: Apache-2.0
#include <CLI/CLI.hpp>
#include <iostream>

#include "projectors/error.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/os_solver.h"

#ifndef OSMO_VERSION
#define OSMO_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  using namespace osmo;
  CLI::App app(
      "osmo: statistical X-ray CT reconstruction (PWLS, OS-SQS with Nesterov/OGM momentum)",
      "osmo");
  app.set_version_flag("--version", std::string("osmo ") + OSMO_VERSION);
  app.require_subcommand(1);
  cli::RegisterSimulate(app);
  cli::RegisterRecon(app);
  cli::RegisterFbp(app);
  cli::RegisterProject(app);
  cli::RegisterImport(app);
  cli::RegisterInfo(app);
  cli::RegisterBatch(app);
  cli::RegisterStudy(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : cli::kExitUsage;
  } catch (const cli::Interrupted& e) {
    std::cerr << "osmo: " << e.what() << "\n";
    return cli::kExitInterrupted;
  } catch (const std::exception& e) {
    std::cerr << "osmo: error: " << e.what() << "\n";
    return cli::kExitFailure;
  }
  return 0;
}
