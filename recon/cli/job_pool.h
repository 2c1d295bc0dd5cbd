// Independent tasks run side by side in this process: J worker threads, each running its tasks'
// OpenMP regions with T threads. For many small reconstructions (a phantom study) J × T beats one
// task at a time on all cores; results do not depend on J or T.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>

namespace osmo::cli {

struct Concurrency {
  int jobs = 1;     // J concurrent tasks
  int threads = 1;  // T OpenMP threads per task
};

// J and T from the user's choices (0: unset): T = cores / J (or 1 when J is unset), J = cores / T.
// InputError for negative counts.
Concurrency ResolveConcurrency(int jobs, int threads);

// Runs task(0) … task(n − 1), each exactly once unless one throws: then no new task starts, the
// running ones finish and the first exception is rethrown here.
void RunConcurrently(int64_t n, Concurrency concurrency, const std::function<void(int64_t)>& task);

}  // namespace osmo::cli
