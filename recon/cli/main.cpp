// The osmo executable: subcommands simulate, recon, fbp, project, import, info, batch, study.
// SPDX-License-Identifier: Apache-2.0
#include <sys/prctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>

#include "projectors/error.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/cli/setting_flags.h"
#include "recon/os_solver.h"

#ifndef OSMO_VERSION
#define OSMO_VERSION "unknown"
#endif

namespace {

// A job of `osmo batch` (OSMO_PARENT_PID set) gets SIGTERM when the batch dies, however it dies
// (SIGKILL included): it then checkpoints and exits instead of running on as an orphan.
void StopWithBatchParent() {
  const char* parent = std::getenv("OSMO_PARENT_PID");
  if (parent == nullptr) return;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (std::to_string(getppid()) != parent) raise(SIGTERM);  // the batch died before prctl
}

}  // namespace

int main(int argc, char** argv) {
  using namespace osmo;
  StopWithBatchParent();
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
  } catch (const std::bad_alloc&) {
    std::cerr << "osmo: error: out of memory (the grid, scan or option values ask for more memory "
                 "than this machine has; check sizes such as --image-size and --voxel-size-mm)\n";
    return cli::kExitFailure;
  } catch (const SettingError& e) {  // a library setting, named by its flag
    std::cerr << "osmo: error: " << cli::InFlagTerms(e).what() << "\n";
    return cli::kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "osmo: error: " << e.what() << "\n";
    return cli::kExitFailure;
  }
  return 0;
}
