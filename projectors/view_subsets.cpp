// Ordered subsets of views in bit-reversal order.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/view_subsets.h"

#include "projectors/error.h"

namespace osmo {

ViewList AllViews(int64_t n_views) {
  ViewList views(size_t(n_views > 0 ? n_views : 0));
  for (int64_t v = 0; v < n_views; ++v) views[size_t(v)] = v;
  return views;
}

std::vector<int64_t> BitReversalOrder(int64_t num_subsets) {
  int bits = 0;
  while ((int64_t(1) << bits) < num_subsets) ++bits;
  std::vector<int64_t> order;
  for (int64_t n = 0; n < (int64_t(1) << bits); ++n) {
    int64_t reversed = 0;
    for (int b = 0; b < bits; ++b) {
      if (n & (int64_t(1) << b)) reversed |= int64_t(1) << (bits - 1 - b);
    }
    if (reversed < num_subsets) order.push_back(reversed);
  }
  return order;
}

std::vector<ViewList> OrderedSubsets(int64_t n_views, int64_t num_subsets) {
  if (num_subsets < 1 || num_subsets > n_views) {
    throw InputError("number of subsets", "1 to the number of views (" + ToText(n_views) + ")",
                     ToText(num_subsets));
  }
  std::vector<ViewList> subsets;
  for (int64_t m : BitReversalOrder(num_subsets)) {
    ViewList views;
    for (int64_t v = m; v < n_views; v += num_subsets) views.push_back(v);
    subsets.push_back(std::move(views));
  }
  return subsets;
}

}  // namespace osmo
