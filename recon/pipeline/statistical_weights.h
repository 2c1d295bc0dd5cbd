// The statistical weights w_i of the PWLS data term (ALGORITHMS.md §1), from what a scan carries.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "projectors/scan_data.h"

namespace osmo {

struct StatisticalWeights {
  Sinogram weights;
  std::string description;  // where they came from, for -v output
};

// The scan's /weights; else from /counts with electronic noise σ: w = z²/(z + σ²) (the inverse
// variance of the log data, Thibault et al. 2007); else all 1 (unweighted least squares).
StatisticalWeights WeightsFor(const ScanData& scan);

}  // namespace osmo
