// Tests of ordered subsets: bit-reversal order and interleaving.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/view_subsets.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "projectors/error.h"

namespace osmo {
namespace {

TEST(BitReversalOrder, TwelveSubsetsMatchTheDocumentedOrder) {
  const std::vector<int64_t> expected = {0, 8, 4, 2, 10, 6, 1, 9, 5, 3, 11, 7};
  EXPECT_EQ(BitReversalOrder(12), expected);
}

TEST(BitReversalOrder, PowersOfTwoAndOne) {
  EXPECT_EQ(BitReversalOrder(1), std::vector<int64_t>{0});
  EXPECT_EQ(BitReversalOrder(4), (std::vector<int64_t>{0, 2, 1, 3}));
  EXPECT_EQ(BitReversalOrder(8), (std::vector<int64_t>{0, 4, 2, 6, 1, 5, 3, 7}));
}

TEST(OrderedSubsets, EveryViewExactlyOnceAndInterleaved) {
  for (int64_t m : {1, 3, 7, 12, 24, 41}) {
    const auto subsets = OrderedSubsets(41, m);
    ASSERT_EQ(int64_t(subsets.size()), m);
    std::vector<int> seen(41, 0);
    const auto order = BitReversalOrder(m);
    for (size_t s = 0; s < subsets.size(); ++s) {
      for (size_t n = 0; n < subsets[s].size(); ++n) {
        EXPECT_EQ(subsets[s][n], order[s] + int64_t(n) * m);
        ++seen[size_t(subsets[s][n])];
      }
    }
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; })) << m;
  }
}

TEST(OrderedSubsets, RejectsBadCounts) {
  EXPECT_THROW(OrderedSubsets(10, 0), InputError);
  EXPECT_THROW(OrderedSubsets(10, 11), InputError);
}

}  // namespace
}  // namespace osmo
