// Ordered subsets of views: interleaved subsets visited in bit-reversal order (ALGORITHMS.md §3).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

namespace osmo {

// A list of view indices to project; a projector touches only these views.
using ViewList = std::vector<int64_t>;

// All views 0..n_views−1.
ViewList AllViews(int64_t n_views);

// Bit-reversal visiting order of M subsets: reverse the bits of 0..2^⌈log2 M⌉−1 and drop values
// ≥ M; e.g. M = 12 gives 0 8 4 2 10 6 1 9 5 3 11 7.
std::vector<int64_t> BitReversalOrder(int64_t num_subsets);

// The M interleaved subsets (subset m holds views m, m+M, m+2M, …), listed in visiting order.
// Throws InputError if M < 1 or M > n_views.
std::vector<ViewList> OrderedSubsets(int64_t n_views, int64_t num_subsets);

}  // namespace osmo
