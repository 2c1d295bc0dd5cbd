// Neighbourhood roughness penalty: cost, gradient and SQS curvatures.
// SPDX-License-Identifier: Apache-2.0
#include "recon/regularizer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "projectors/error.h"
#include "projectors/multiversion.h"

namespace osmo {

const char* ToString(PotentialKind kind) { return NameOf(kPotentials, kind); }

void RegularizerOptions::Validate() const {
  if (!(beta >= 0.0) || !std::isfinite(beta))
    throw SettingError("prior.beta", "β ≥ 0", ToText(beta));
  if (potential != PotentialKind::kQuadratic && (!(delta > 0.0) || !std::isfinite(delta))) {
    throw SettingError("prior.delta", "δ > 0 (1/mm)", ToText(delta));
  }
}

namespace {

// Dispatches a call templated on the potential policy.
template <typename Fn>
auto WithPotential(PotentialKind kind, Fn&& fn) {
  switch (kind) {
    case PotentialKind::kHuber:
      return fn(HuberPotential{});
    case PotentialKind::kHyperbola:
      return fn(HyperbolaPotential{});
    case PotentialKind::kFair:
      return fn(FairPotential{});
    case PotentialKind::kQuadratic:
      break;
  }
  return fn(QuadraticPotential{});
}

}  // namespace

double MeanCurvature(PotentialKind potential, double delta, double difference_std) {
  if (!(difference_std > 0.0)) return 1.0;
  return WithPotential(potential, [&](auto policy) {
    // ∫ ψ''(s z) φ(z) dz over z ≥ 0 (ψ'' is even), midpoint rule on [0, 8].
    using Potential = decltype(policy);
    constexpr int kSteps = 1600;
    constexpr double kStep = 8.0 / kSteps;
    double sum = 0.0, mass = 0.0;
    for (int n = 0; n < kSteps; ++n) {
      const double z = (n + 0.5) * kStep;
      const double density = std::exp(-0.5 * z * z);
      sum += density * Potential::SecondDerivative(difference_std * z, delta);
      mass += density;
    }
    return sum / mass;
  });
}

Regularizer::Regularizer(const ImageGeometry& grid, const RegularizerOptions& options,
                         std::vector<float> uniformity)
    : grid_(grid), options_(options), uniformity_(std::move(uniformity)) {
  options.Validate();
  if (!uniformity_.empty() && int64_t(uniformity_.size()) != grid.NumVoxels()) {
    throw std::invalid_argument("regularizer: uniformity factors do not match the image");
  }
  const bool three_d =
      options.neighborhood == Neighborhood::k6 || options.neighborhood == Neighborhood::k26;
  const bool diagonal =
      options.neighborhood == Neighborhood::k8 || options.neighborhood == Neighborhood::k26;
  for (int64_t dk = three_d ? -1 : 0; dk <= (three_d ? 1 : 0); ++dk) {
    for (int64_t dj = -1; dj <= 1; ++dj) {
      for (int64_t di = -1; di <= 1; ++di) {
        const int64_t nonzero = (di != 0) + (dj != 0) + (dk != 0);
        if (nonzero == 0 || (!diagonal && nonzero > 1)) continue;
        const Offset o{di, dj, dk, 1.0 / std::sqrt(double(nonzero))};
        full_.push_back(o);
        // Linear index offset (dk·ny + dj)·nx + di > 0 ⇔ the first non-zero of (dk, dj, di) > 0.
        const int64_t first = dk != 0 ? dk : dj != 0 ? dj : di;
        if (first > 0) half_.push_back(o);
      }
    }
  }
}

double Regularizer::InteriorKappaSum() const {
  double sum = 0.0;
  for (const Offset& o : full_) sum += o.kappa;
  return sum;
}

namespace {

// The i range [lo, hi) for which voxel (i + di) exists.
inline void ValidRange(int64_t nx, int64_t di, int64_t* lo, int64_t* hi) {
  *lo = std::max<int64_t>(0, -di);
  *hi = std::min<int64_t>(nx, nx - di);
}

}  // namespace

template <typename Potential>
double Regularizer::CostImpl(const Image& x) const {
  const int64_t nx = grid_.nx, ny = grid_.ny, nz = grid_.nz;
  const double delta = options_.delta;
  // Per-row partial sums added in row order: the total does not depend on the thread count.
  std::vector<double> row_sums(static_cast<size_t>(ny * nz), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < ny * nz; ++row) {
    const int64_t k = row / ny, j = row % ny;
    double sum = 0.0;
    for (const Offset& o : half_) {
      if (k + o.dk < 0 || k + o.dk >= nz || j + o.dj < 0 || j + o.dj >= ny) continue;
      int64_t lo, hi;
      ValidRange(nx, o.di, &lo, &hi);
      const float* a = x.data() + grid_.Index(0, j, k);
      const float* b = x.data() + grid_.Index(0, j + o.dj, k + o.dk) + o.di;
      const float* ca = uniformity_.empty() ? nullptr : uniformity_.data() + grid_.Index(0, j, k);
      const float* cb = uniformity_.empty()
                            ? nullptr
                            : uniformity_.data() + grid_.Index(0, j + o.dj, k + o.dk) + o.di;
      for (int64_t i = lo; i < hi; ++i) {
        const double kappa = ca ? double(o.kappa) * ca[i] * cb[i] : double(o.kappa);
        sum += kappa * Potential::Value(double(a[i]) - double(b[i]), delta);
      }
    }
    row_sums[size_t(row)] = sum;
  }
  double total = 0.0;
  for (double s : row_sums) total += s;
  return options_.beta * total;
}

// ∂R/∂x_j for the voxels of one image row (row = k·ny + j), added to `gradient`.
template <typename Potential>
OSMO_MULTIVERSIONED void Regularizer::GradientRow(const Image& x, int64_t row,
                                                  Image& gradient) const {
  const int64_t nx = grid_.nx, ny = grid_.ny, nz = grid_.nz;
  const float delta = float(options_.delta), beta = float(options_.beta);
  const int64_t k = row / ny, j = row % ny;
  float* g = gradient.data() + grid_.Index(0, j, k);
  const float* a = x.data() + grid_.Index(0, j, k);
  const float* ca = uniformity_.empty() ? nullptr : uniformity_.data() + grid_.Index(0, j, k);
  for (const Offset& o : full_) {
    if (k + o.dk < 0 || k + o.dk >= nz || j + o.dj < 0 || j + o.dj >= ny) continue;
    int64_t lo, hi;
    ValidRange(nx, o.di, &lo, &hi);
    const float* b = x.data() + grid_.Index(0, j + o.dj, k + o.dk) + o.di;
    const float scale = beta * float(o.kappa);
    if (ca) {
      const float* cb = uniformity_.data() + grid_.Index(0, j + o.dj, k + o.dk) + o.di;
      for (int64_t i = lo; i < hi; ++i)
        g[i] += scale * ca[i] * cb[i] * Potential::Derivative(a[i] - b[i], delta);
    } else {
      for (int64_t i = lo; i < hi; ++i) g[i] += scale * Potential::Derivative(a[i] - b[i], delta);
    }
  }
}

// GradientRow and CurvatureRow<Potential, true> fused: each pair's difference is loaded once. The
// expressions match theirs term by term (the gradient is the same to the bit, the curvature to
// one unit in the last place).
template <typename Potential>
OSMO_MULTIVERSIONED void Regularizer::GradientCurvatureRow(const Image& x, int64_t row,
                                                           Image& gradient,
                                                           Image& curvature) const {
  const int64_t nx = grid_.nx, ny = grid_.ny, nz = grid_.nz;
  const float delta = float(options_.delta), beta = float(options_.beta);
  const int64_t k = row / ny, j = row % ny;
  float* g = gradient.data() + grid_.Index(0, j, k);
  float* d = curvature.data() + grid_.Index(0, j, k);
  const float* a = x.data() + grid_.Index(0, j, k);
  const float* ca = uniformity_.empty() ? nullptr : uniformity_.data() + grid_.Index(0, j, k);
  for (const Offset& o : full_) {
    if (k + o.dk < 0 || k + o.dk >= nz || j + o.dj < 0 || j + o.dj >= ny) continue;
    int64_t lo, hi;
    ValidRange(nx, o.di, &lo, &hi);
    const int64_t neighbour = grid_.Index(0, j + o.dj, k + o.dk) + o.di;
    const float* b = x.data() + neighbour;
    const float scale = beta * float(o.kappa);
    const float curvature_scale = 2.0f * beta * float(o.kappa);
    if (ca) {
      const float* cb = uniformity_.data() + neighbour;
      for (int64_t i = lo; i < hi; ++i) {
        const float t = a[i] - b[i];
        g[i] += scale * ca[i] * cb[i] * Potential::Derivative(t, delta);
        d[i] += curvature_scale * (ca[i] * cb[i]) * 1.0f * Potential::HuberCurvature(t, delta);
      }
    } else {
      for (int64_t i = lo; i < hi; ++i) {
        const float t = a[i] - b[i];
        g[i] += scale * Potential::Derivative(t, delta);
        d[i] += curvature_scale * Potential::HuberCurvature(t, delta);
      }
    }
  }
}

template <typename Potential>
void Regularizer::GradientImpl(const Image& x, Image& gradient) const {
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < grid_.ny * grid_.nz; ++row) GradientRow<Potential>(x, row, gradient);
}

// The curvature terms of one image row, added to `curvature`.
template <typename Potential, bool kHuber>
OSMO_MULTIVERSIONED void Regularizer::CurvatureRow(const Image* x, int64_t row, Image& curvature,
                                                   const Image* u) const {
  const int64_t nx = grid_.nx, ny = grid_.ny, nz = grid_.nz;
  const float delta = float(options_.delta), beta = float(options_.beta);
  const int64_t k = row / ny, j = row % ny;
  float* d = curvature.data() + grid_.Index(0, j, k);
  const float* a = kHuber ? x->data() + grid_.Index(0, j, k) : nullptr;
  const float* ca = uniformity_.empty() ? nullptr : uniformity_.data() + grid_.Index(0, j, k);
  const float* ua = u ? u->data() + grid_.Index(0, j, k) : nullptr;
  for (const Offset& o : full_) {
    if (k + o.dk < 0 || k + o.dk >= nz || j + o.dj < 0 || j + o.dj >= ny) continue;
    int64_t lo, hi;
    ValidRange(nx, o.di, &lo, &hi);
    const int64_t neighbour = grid_.Index(0, j + o.dj, k + o.dk) + o.di;
    const float* b = kHuber ? x->data() + neighbour : nullptr;
    const float* cb = ca ? uniformity_.data() + neighbour : nullptr;
    const float* ub = ua ? u->data() + neighbour : nullptr;
    const float scale = 2.0f * beta * float(o.kappa);
    for (int64_t i = lo; i < hi; ++i) {
      const float c = ca ? ca[i] * cb[i] : 1.0f;
      // NU-SQS: the pair's share (u_j + u_k)/(2u_j) instead of ½ each; voxels with u_j = 0 none.
      const float share = ua ? (ua[i] > 0.0f ? 0.5f * (ua[i] + ub[i]) / ua[i] : 0.0f) : 1.0f;
      d[i] += scale * c * share * (kHuber ? Potential::HuberCurvature(a[i] - b[i], delta) : 1.0f);
    }
  }
}

template <typename Potential, bool kHuber>
void Regularizer::CurvatureImpl(const Image* x, Image& curvature, const Image* u) const {
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < grid_.ny * grid_.nz; ++row)
    CurvatureRow<Potential, kHuber>(x, row, curvature, u);
}

void Regularizer::AddNonuniformMaxCurvature(const Image& u, Image& curvature) const {
  if (options_.beta == 0.0) return;
  CurvatureImpl<QuadraticPotential, false>(nullptr, curvature, &u);
}

double Regularizer::Cost(const Image& x) const {
  if (options_.beta == 0.0) return 0.0;
  return WithPotential(options_.potential, [&](auto p) { return CostImpl<decltype(p)>(x); });
}

void Regularizer::AddGradient(const Image& x, Image& gradient) const {
  if (options_.beta == 0.0) return;
  WithPotential(options_.potential, [&](auto p) {
    GradientImpl<decltype(p)>(x, gradient);
    return 0;
  });
}

void Regularizer::AddMaxCurvature(Image& curvature) const {
  if (options_.beta == 0.0) return;
  CurvatureImpl<QuadraticPotential, false>(nullptr, curvature);
}

void Regularizer::AddGradientAndHuberCurvature(const Image& x, Image& gradient,
                                               Image& curvature) const {
  if (options_.beta == 0.0) return;
  WithPotential(options_.potential, [&](auto p) {
#pragma omp parallel for schedule(static)
    for (int64_t row = 0; row < grid_.ny * grid_.nz; ++row)
      GradientCurvatureRow<decltype(p)>(x, row, gradient, curvature);
    return 0;
  });
}

void Regularizer::AddHuberCurvature(const Image& x, Image& curvature) const {
  if (options_.beta == 0.0) return;
  WithPotential(options_.potential, [&](auto p) {
    CurvatureImpl<decltype(p), true>(&x, curvature);
    return 0;
  });
}

}  // namespace osmo
