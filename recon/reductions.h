// Thread-count-invariant parallel reductions and element-wise helpers on float buffers.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace osmo {

// Σ_{n<count} term(n) in double: fixed blocks of kBlock terms are summed in parallel and the
// block sums added in order, so the result is the same for any number of threads.
template <typename Term>
double DeterministicSum(int64_t count, Term term) {
  constexpr int64_t kBlock = 8192;
  const int64_t blocks = (count + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    double sum = 0.0;
    const int64_t end = std::min(count, (b + 1) * kBlock);
    for (int64_t n = b * kBlock; n < end; ++n) sum += term(n);
    partial[size_t(b)] = sum;
  }
  double total = 0.0;
  for (double s : partial) total += s;
  return total;
}

// K sums at once: term(n) returns std::array<double, K>; same blocks and order as DeterministicSum.
template <size_t K, typename Term>
std::array<double, K> DeterministicSums(int64_t count, Term term) {
  constexpr int64_t kBlock = 8192;
  const int64_t blocks = (count + kBlock - 1) / kBlock;
  std::vector<std::array<double, K>> partial(static_cast<size_t>(blocks));
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    std::array<double, K> sum{};
    const int64_t end = std::min(count, (b + 1) * kBlock);
    for (int64_t n = b * kBlock; n < end; ++n) {
      const std::array<double, K> t = term(n);
      for (size_t k = 0; k < K; ++k) sum[k] += t[k];
    }
    partial[size_t(b)] = sum;
  }
  std::array<double, K> total{};
  for (const std::array<double, K>& s : partial) {
    for (size_t k = 0; k < K; ++k) total[k] += s[k];
  }
  return total;
}

inline double Squared(double v) { return v * v; }

}  // namespace osmo
