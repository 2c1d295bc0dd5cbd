// The data-scaled default regularisation strength β (docs/RECONSTRUCTION.md).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "projectors/arrays.h"

namespace osmo {

// β = relative · median_{j ∈ support}(dx·[Aᵀw]_j / c_j²) / Σ_k κ_jk: the data term's Hessian
// diagonal Σ_i a_ij² w_i ≈ dx·[Aᵀw]_j against the regulariser's β·Σκ (c_j the optional
// resolution-uniformising factors, empty for 1). Throws InputError if no support voxel is seen.
double DataScaledBeta(double relative, const Image& back_projected_weights,
                      const std::vector<float>& uniformity, const std::vector<uint8_t>& support,
                      double kappa_sum);

}  // namespace osmo
