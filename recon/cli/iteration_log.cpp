// The convergence log (JSON lines).
// SPDX-License-Identifier: Apache-2.0
#include "recon/cli/iteration_log.h"

#include <nlohmann/json.hpp>

#include "projectors/error.h"
#include "recon/io/atomic_output.h"

namespace osmo::cli {

IterationLog::IterationLog(const std::string& path, bool append, int64_t keep_through_iteration)
    : path_(path) {
  if (path.empty()) return;
  CheckOutputLocation(path);
  if (append) {
    std::ifstream in(path);
    std::string line, kept;
    while (std::getline(in, line)) {
      try {
        if (nlohmann::json::parse(line).value("iteration", int64_t(-1)) > keep_through_iteration)
          continue;
      } catch (const std::exception&) {
        continue;  // a line cut by the kill
      }
      kept += line + "\n";
    }
    WriteTextAtomically(path, kept);
  }
  out_.open(path, append ? std::ios::app : std::ios::trunc);
  if (!out_) throw InputError(path, "a writable log file", "a file that cannot be created");
}

void IterationLog::Write(const IterationRecord& r) {
  if (!out_.is_open()) return;
  nlohmann::json line;
  line["iteration"] = r.iteration;
  line["time_s"] = r.time_s;
  line["cost"] = r.cost ? nlohmann::json(*r.cost) : nlohmann::json(nullptr);
  line["rmsd_hu"] = r.rmsd_hu ? nlohmann::json(*r.rmsd_hu) : nlohmann::json(nullptr);
  line["restarted"] = r.restarted;
  line["subsets"] = r.subsets;
  line["gradient_norm"] =
      r.gradient_norm ? nlohmann::json(*r.gradient_norm) : nlohmann::json(nullptr);
  out_ << line.dump() << "\n";
  out_.flush();
  if (!out_) throw InputError(path_, "a written log line", "a write error (disk full?)");
}

}  // namespace osmo::cli
