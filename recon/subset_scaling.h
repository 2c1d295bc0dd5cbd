// Ordered-subsets gradient scales for scans whose subsets see the slices unevenly (helical).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "projectors/view_subsets.h"
#include "recon/pwls_problem.h"

namespace osmo {

// OS replaces the data gradient by M × one subset's, which is stable when each subset carries
// about 1/M of every voxel's data curvature. At the ends of a helix a slice is seen by a few
// views, of some subsets only: a subset holding most of its curvature, scaled by M, overshoots
// M-fold, and plain OS can diverge there (Kim, Ramani & Fessler, IEEE TMI 34(1), 2015). The
// subset's gradient in slice k is scaled instead by
//   γ_{m,k} = min(M, C_k / C_{m,k}),   C_{m,k} = Σ_{j in slice k, active} [A_mᵀ W_m A_m 1]_j,
//                                      C_k = Σ_m C_{m,k} (the data curvature's slice sum):
// M where the subsets share the slice evenly (all of a complete-data region, so circular-like
// behaviour is unchanged), less where one subset holds more than its share, so that the scaled
// subset's curvature γ·C_{m,k} does not exceed the slice's (a guard: on the helical-small case
// the solver with the helix's full z range was stable without it, and γ = M there).
// Returns [m·nz + k]; costs one forward and one back projection of all views.
std::vector<float> SliceSubsetScales(const PwlsProblem& problem,
                                     const std::vector<ViewList>& subsets,
                                     const Image& data_curvature,
                                     const std::vector<uint8_t>& active);

}  // namespace osmo
