// The statistical weights w_i of the PWLS data term (ALGORITHMS.md §1), from what a scan carries.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "projectors/enum_table.h"
#include "projectors/scan_data.h"

namespace osmo {

enum class Weighting { kAuto, kNone };
inline constexpr EnumTable<Weighting, 2> kWeightings = {{
    {Weighting::kAuto, "auto", "the scan's /weights, else from /counts, else from the log data"},
    {Weighting::kNone, "none", "w = 1, unweighted least squares"},
}};

// The largest 99th percentile of y that is still read as −log(transmission): e^−15 ≈ 3e-7 of the
// blank scan, beyond any detector's dynamic range. Larger values are data in other units (e.g.
// scaled by 1000), for which e^−y means nothing.
constexpr double kMaxPlausibleLineIntegral = 15.0;

struct StatisticalWeights {
  Sinogram weights;
  std::string description;  // where they came from, for -v output
};

// kAuto: the scan's /weights; else from /counts with electronic noise σ, w = z²/(z + σ²) (the
// inverse variance of the log data, Thibault et al. 2007); else from the log data alone: the
// inverse variance e^−y·I0 of −log(transmission), with I0 measured from the sinogram's own noise
// (so the weights are what counts would give, and β keeps its calibration); data that are not
// −log(transmission) (99th percentile above kMaxPlausibleLineIntegral) get the uniform 1/σ² of
// their measured noise — so scaling y by c scales w by 1/c² and the image by c. kNone: w = 1.
StatisticalWeights WeightsFor(const ScanData& scan, Weighting weighting = Weighting::kAuto);

}  // namespace osmo
