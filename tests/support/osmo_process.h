// Helpers of the CLI tests: run the osmo binary, a fresh folder per test case.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

// A small fan-beam geometry (64 channels, 90 views over 360°) so every command runs in well under
// a second: the JSON text, and a copy written to folder/small.json (returns its path).
constexpr const char* kSmallFanGeometryJson = R"({"kind": "fan", "detector_shape": "arc",
    "source_to_isocenter_mm": 541, "source_to_detector_mm": 949.075, "channel_spacing_mm": 12.0,
    "channel_offset": 1.25, "n_channels": 64, "n_views": 90, "angle_start_deg": 0,
    "angle_span_deg": 360})";
inline std::string WriteSmallFanGeometry(const std::string& folder) {
  const std::string path = folder + "/small.json";
  std::ofstream(path) << kSmallFanGeometryJson;
  return path;
}

// Simulates a low-dose thorax scan (I0 1e4, 32² reference) of the small geometry into
// folder/name; fails the test if osmo does not succeed.
inline std::string SimulateSmallScan(const std::string& folder, const std::string& name = "scan.h5",
                                     const std::string& seed = "1") {
  const std::string scan = folder + "/" + name;
  const ProcessResult r =
      Osmo({"simulate", "--geometry", WriteSmallFanGeometry(folder), "--incident-counts", "1e4",
            "--reference-size", "32", "--seed", seed, "-o", scan});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return scan;
}

}  // namespace osmo::testing
