// In-process concurrent tasks with per-worker OpenMP thread counts.
// SPDX-License-Identifier: Apache-2.0
#include "recon/cli/job_pool.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "projectors/error.h"

namespace osmo::cli {

Concurrency ResolveConcurrency(int jobs, int threads) {
  if (jobs < 0 || threads < 0)
    throw InputError("--jobs/--threads", "counts ≥ 1", "a negative count");
  const int cores = std::max(1, omp_get_num_procs());
  Concurrency c;
  c.threads = threads > 0 ? threads : (jobs > 0 ? std::max(1, cores / jobs) : 1);
  c.jobs = jobs > 0 ? jobs : std::max(1, cores / c.threads);
  return c;
}

void RunConcurrently(int64_t n, Concurrency concurrency, const std::function<void(int64_t)>& task) {
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto worker = [&] {
    omp_set_num_threads(concurrency.threads);  // this thread's OpenMP regions
    for (int64_t i = next++; i < n && !failed; i = next++) {
      try {
        task(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };
  const int workers = int(std::min<int64_t>(concurrency.jobs, std::max<int64_t>(n, 1)));
  const int saved_threads = omp_get_max_threads();
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();  // the calling thread is worker 0
  for (std::thread& t : pool) t.join();
  omp_set_num_threads(saved_threads);
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace osmo::cli
