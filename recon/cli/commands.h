// Registration of the osmo subcommands.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>

namespace osmo::cli {

void RegisterSimulate(CLI::App& app);
void RegisterRecon(CLI::App& app);
void RegisterFbp(CLI::App& app);
void RegisterProject(CLI::App& app);
void RegisterImport(CLI::App& app);
void RegisterInfo(CLI::App& app);
void RegisterBatch(CLI::App& app);
void RegisterStudy(CLI::App& app);

}  // namespace osmo::cli
