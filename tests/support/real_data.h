// Locating the real measured data sets (../shared/data/real beside the source tree).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace osmo::testing {

// The path of a file under the real-data folder: $OSMO_REAL_DATA if set, else the folder beside
// the source tree the build was configured from, else /work/shared/data/real; empty if absent
// (tests then skip with a message).
inline std::string RealDataFile(const std::string& relative) {
  std::string candidates[] = {std::getenv("OSMO_REAL_DATA") ? std::getenv("OSMO_REAL_DATA") : "",
                              OSMO_REAL_DATA_DIR, "/work/shared/data/real"};
  for (const std::string& folder : candidates) {
    if (folder.empty()) continue;
    const std::string path = folder + "/" + relative;
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

}  // namespace osmo::testing
