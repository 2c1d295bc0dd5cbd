// PWLS cost, subset gradients and data-term curvature.
// SPDX-License-Identifier: Apache-2.0
#include "recon/pwls_problem.h"

#include <stdexcept>

#include "recon/reductions.h"

namespace osmo {

PwlsProblem::PwlsProblem(const Projector& projector, const Sinogram& y, const Sinogram& weights,
                         const Regularizer& regularizer)
    : projector_(projector),
      y_(y),
      w_(weights),
      regularizer_(regularizer),
      scratch_(projector.scan_geometry()) {
  if (!y.SameShape(scratch_) || !weights.SameShape(scratch_)) {
    throw std::invalid_argument("PwlsProblem: expected data and weights of " +
                                scratch_.DescribeShape() + ", found " + y.DescribeShape() +
                                " and " + weights.DescribeShape());
  }
}

double PwlsProblem::DataCost(const Image& x) const {
  projector_.Forward(x, scratch_);
  const double sum = DeterministicSum(scratch_.size(), [&](int64_t n) {
    const double r = double(y_.values[size_t(n)]) - double(scratch_.values[size_t(n)]);
    return double(w_.values[size_t(n)]) * r * r;
  });
  return 0.5 * sum;
}

double PwlsProblem::Cost(const Image& x) const { return DataCost(x) + regularizer_.Cost(x); }

void PwlsProblem::DataGradient(const Image& x, const ViewList& views, double scale,
                               Image& gradient) const {
  projector_.Forward(x, scratch_, views);
  const int64_t bins = scratch_.n_rows * scratch_.n_channels;
  const float s = float(scale);
  const int64_t n_views = int64_t(views.size());
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < n_views; ++n) {
    const int64_t offset = views[size_t(n)] * bins;
    float* r = scratch_.values.data() + offset;
    const float* y = y_.values.data() + offset;
    const float* w = w_.values.data() + offset;
    for (int64_t b = 0; b < bins; ++b) r[b] = s * w[b] * (r[b] - y[b]);
  }
  projector_.Back(scratch_, gradient, views);
}

void PwlsProblem::Gradient(const Image& x, Image& gradient) const {
  DataGradient(x, AllViews(projector_.scan_geometry().NumViews()), 1.0, gradient);
  regularizer_.AddGradient(x, gradient);
}

Image PwlsProblem::DataCurvature() const { return DataCurvature(Image(grid(), 1.0f)); }

Image PwlsProblem::DataCurvature(const Image& u) const {
  projector_.Forward(u, scratch_);
  for (int64_t n = 0; n < scratch_.size(); ++n) scratch_.values[size_t(n)] *= w_.values[size_t(n)];
  Image curvature(grid());
  projector_.Back(scratch_, curvature);
  const int64_t count = curvature.size();
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < count; ++j) {
    const float uj = u.values[size_t(j)];
    curvature.values[size_t(j)] = uj > 0.0f ? curvature.values[size_t(j)] / uj : 0.0f;
  }
  return curvature;
}

Image PwlsProblem::DataCurvatureOfViews(const ViewList& views) const {
  projector_.Forward(Image(grid(), 1.0f), scratch_, views);
  const int64_t bins = scratch_.n_rows * scratch_.n_channels;
  const int64_t n_views = int64_t(views.size());
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < n_views; ++n) {
    const int64_t offset = views[size_t(n)] * bins;
    for (int64_t b = offset; b < offset + bins; ++b)
      scratch_.values[size_t(b)] *= w_.values[size_t(b)];
  }
  Image curvature(grid());
  projector_.Back(scratch_, curvature, views);
  return curvature;
}

}  // namespace osmo
