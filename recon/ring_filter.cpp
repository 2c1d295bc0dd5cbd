// Sinogram stripe removal (ring filter).
// SPDX-License-Identifier: Apache-2.0
#include "recon/ring_filter.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "projectors/error.h"

namespace osmo {

namespace {

double Median(std::vector<float>& values) {
  const size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + ptrdiff_t(middle), values.end());
  return values[middle];
}

}  // namespace

double RemoveStripes(Sinogram& sinogram, int64_t width) {
  if (width < 3 || width % 2 == 0)
    throw SettingError("ring_filter_width", "an odd number of channels ≥ 3", ToText(width));
  const int64_t nv = sinogram.n_views, nr = sinogram.n_rows, nc = sinogram.n_channels;
  std::vector<double> stripe_sq(size_t(nr), 0.0);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t r = 0; r < nr; ++r) {
    std::vector<float> column(static_cast<size_t>(nv)), medians(static_cast<size_t>(nc));
    for (int64_t c = 0; c < nc; ++c) {
      for (int64_t v = 0; v < nv; ++v) column[size_t(v)] = sinogram.View(v)[r * nc + c];
      medians[size_t(c)] = float(Median(column));
    }
    std::vector<float> window;
    std::vector<float> stripe(static_cast<size_t>(nc));
    const int64_t half = width / 2;
    for (int64_t c = 0; c < nc; ++c) {
      const int64_t lo = std::max<int64_t>(0, c - half), hi = std::min<int64_t>(nc - 1, c + half);
      window.assign(medians.begin() + lo, medians.begin() + hi + 1);
      stripe[size_t(c)] = float(medians[size_t(c)] - Median(window));
      stripe_sq[size_t(r)] += double(stripe[size_t(c)]) * stripe[size_t(c)];
    }
    for (int64_t v = 0; v < nv; ++v) {
      float* row = sinogram.View(v) + r * nc;
      for (int64_t c = 0; c < nc; ++c) row[c] -= stripe[size_t(c)];
    }
  }
  double total = 0.0;
  for (double s : stripe_sq) total += s;
  return std::sqrt(total / double(std::max<int64_t>(1, nr * nc)));
}

}  // namespace osmo
