// Helpers of the CLI tests: run the osmo binary, a fresh folder per test case.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/run_process.h"

namespace osmo::testing {

// Runs the osmo binary under test (OSMO_BINARY) with `args`.
inline ProcessResult Osmo(const std::vector<std::string>& args) {
  return RunProcess(OSMO_BINARY, args);
}

// A fresh, empty folder named after the running test case (ctest runs cases as parallel
// processes, so each needs its own).
inline std::string FreshTestFolder(const std::string& prefix) {
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const std::string folder = ::testing::TempDir() + prefix + name;
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

}  // namespace osmo::testing
