// Running a batch manifest (`osmo batch`), also used by `osmo study` for its reconstructions.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "recon/cli/cli_common.h"

namespace osmo::cli {

struct BatchOptions {
  std::string manifest;
  int jobs = 0;     // concurrent reconstructions (0: cores / threads)
  int threads = 0;  // OpenMP threads per reconstruction (0: cores / jobs, or 1)
  std::string summary;
  std::string shard;  // "I/N" or empty
  int checkpoint_every = 5;
  std::vector<std::string> merge;
  std::string merge_output;
  bool verbose = false;
  ProgressOptions progress;
};

// Runs (or resumes) every job of the manifest (docs/BATCH.md). Throws InputError if the manifest
// is malformed or a job failed (after writing the summary), Interrupted on SIGINT/SIGTERM.
void RunBatch(const BatchOptions& options);

}  // namespace osmo::cli
