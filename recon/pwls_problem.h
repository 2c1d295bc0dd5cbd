// The penalized weighted least-squares problem Ψ(x) = ½ Σ w_i (y_i − [Ax]_i)² + R(x), x ≥ 0.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "projectors/projector.h"
#include "recon/regularizer.h"

namespace osmo {

// Owns nothing but one scratch sinogram: the projector, data, weights and regulariser are
// referenced and must outlive the problem.
class PwlsProblem {
 public:
  PwlsProblem(const Projector& projector, const Sinogram& y, const Sinogram& weights,
              const Regularizer& regularizer);

  // Ψ(x) (one forward projection of all views), accumulated in double.
  double Cost(const Image& x) const;
  // ½ Σ w_i (y_i − [Ax]_i)² alone.
  double DataCost(const Image& x) const;
  // gradient = scale · A_Vᵀ W_V (A_V x − y_V) over the views V (overwrites `gradient`).
  void DataGradient(const Image& x, const ViewList& views, double scale, Image& gradient) const;
  // gradient = ∇Ψ(x) = AᵀW(Ax − y) + ∇R(x) over all views (overwrites `gradient`).
  void Gradient(const Image& x, Image& gradient) const;
  // The SQS curvature of the data term, D_L = Aᵀ W A 1 (Erdogan & Fessler 1999).
  Image DataCurvature() const;
  // The spatially non-uniform one, D_L,j(u) = [AᵀWAu]_j / u_j for u ≥ 0 (Kim, Park, Jang &
  // Fessler 2013): it majorises AᵀWA over images that change only where u > 0, is tight along u,
  // and gives voxels with small u larger steps. Voxels with u_j = 0 get 0.
  Image DataCurvature(const Image& u) const;
  // The data curvature of the views V alone, A_Vᵀ W_V A_V 1 (SliceSubsetScales).
  Image DataCurvatureOfViews(const ViewList& views) const;

  const Projector& projector() const { return projector_; }
  const Regularizer& regularizer() const { return regularizer_; }
  const ImageGeometry& grid() const { return projector_.image_geometry(); }
  int64_t NumViews() const { return projector_.scan_geometry().NumViews(); }

 private:
  const Projector& projector_;
  const Sinogram& y_;
  const Sinogram& w_;
  const Regularizer& regularizer_;
  mutable Sinogram scratch_;
};

}  // namespace osmo
