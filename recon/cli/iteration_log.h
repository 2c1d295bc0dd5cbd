// The convergence log of `osmo recon --log`: one JSON line per iteration.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "recon/os_solver.h"

namespace osmo::cli {

class IterationLog {
 public:
  // An empty path logs nothing. A resumed run (`append`) continues the log of the run it
  // continues, keeping its lines up to `keep_through_iteration`: lines written after the
  // checkpoint by a killed run would otherwise appear twice.
  IterationLog(const std::string& path, bool append, int64_t keep_through_iteration);
  // {"iteration", "time_s", "cost", "rmsd_hu", "restarted", "subsets", "gradient_norm"}; throws
  // InputError on a write error.
  void Write(const IterationRecord& record);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace osmo::cli
