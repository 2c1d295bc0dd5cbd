// OS-SQS with Nesterov (1983, 2005) and optimized (OGM1, OGM2) momentum, relaxation, restart.
// SPDX-License-Identifier: Apache-2.0
#include "recon/os_solver.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "projectors/error.h"
#include "recon/metrics.h"
#include "recon/reductions.h"
#include "recon/subset_scaling.h"

namespace osmo {

const char* ToString(Algorithm a) { return NameOf(kAlgorithms, a); }

const char* ToString(RestartRule r) { return NameOf(kRestartRules, r); }

double DefaultRelax(Algorithm algorithm, int64_t subsets) {
  if (algorithm == Algorithm::kSqs || algorithm == Algorithm::kOsSqs ||
      algorithm == Algorithm::kOsLalm)
    return 0.0;
  return kDefaultRelax * std::pow(double(subsets) / 12.0, 1.5);
}

bool SolverOptions::IsMomentum() const {
  return algorithm != Algorithm::kSqs && algorithm != Algorithm::kOsSqs &&
         algorithm != Algorithm::kOsLalm;
}

double SolverOptions::EffectiveRelax() const { return EffectiveRelax(subsets); }

SubsetSchedule SolverOptions::EffectiveSubsetSchedule() const {
  return subset_schedule.value_or(IsMomentum() ? SubsetSchedule::kAdaptive
                                               : SubsetSchedule::kFixed);
}

CurvatureRule SolverOptions::EffectiveCurvature() const {
  return curvature.value_or(algorithm == Algorithm::kOsLalm ? CurvatureRule::kHuber
                                                            : CurvatureRule::kMax);
}

double SolverOptions::EffectiveRelax(int64_t m) const {
  return relax.value_or(DefaultRelax(algorithm, m));
}

void SolverOptions::Validate(std::optional<int64_t> n_views) const {
  if (subsets < 1) throw SettingError("solver.subsets", "M ≥ 1", std::to_string(subsets));
  if (n_views && subsets > *n_views) {
    throw SettingError("solver.subsets",
                       "1 to the number of views (" + std::to_string(*n_views) + ")",
                       std::to_string(subsets));
  }
  if (algorithm == Algorithm::kSqs && subsets != 1) {
    throw SettingError("solver.subsets", "1 for sqs (use os-sqs for ordered subsets)",
                       std::to_string(subsets));
  }
  if (iterations < 0)
    throw SettingError("solver.iterations", "a count ≥ 0", std::to_string(iterations));
  const double gamma = EffectiveRelax();
  if (!(gamma >= 0.0) || !std::isfinite(gamma))
    throw SettingError("solver.relax", "γ ≥ 0", ToText(gamma));
  if (gamma > 0.0 && !IsMomentum()) {
    throw SettingError("solver.relax", "a momentum algorithm (os-nes83/05, os-ogm1/2)",
                       ToString(algorithm));
  }
  if (!(relax_power > 0.0) || !std::isfinite(relax_power)) {
    throw SettingError("solver.relax_power", "c > 0", ToText(relax_power));
  }
  if (restart != RestartRule::kNone && !IsMomentum()) {
    throw SettingError("solver.restart", "a momentum algorithm (restart resets momentum)",
                       ToString(algorithm));
  }
  const CurvatureRule effective_curvature = EffectiveCurvature();
  if (effective_curvature == CurvatureRule::kHuber && IsMomentum()) {
    // Momentum's convergence rests on one fixed majoriser.
    throw SettingError("solver.curvature",
                       "max with momentum (Huber curvature needs sqs, os-sqs or os-lalm)",
                       std::string("huber with ") + ToString(algorithm));
  }
  if (!(lalm_relax >= 1.0 && lalm_relax < 2.0))
    throw SettingError("solver.lalm_relax", "α in [1, 2)", ToText(lalm_relax));
  if (algorithm == Algorithm::kOsLalm && denominator != DenominatorRule::kUniform) {
    throw SettingError("solver.denominator", "uniform with os-lalm", "nonuniform");
  }
  if (!(upper_bound > 0.0))
    throw SettingError("solver.upper_bound", "a positive μ (1/mm)", ToText(upper_bound));
  if (!(lower_bound < upper_bound) || std::isnan(lower_bound)) {
    throw SettingError("solver.lower_bound", "less than the upper bound", ToText(lower_bound));
  }
  if (denominator == DenominatorRule::kNonuniform && effective_curvature == CurvatureRule::kHuber) {
    throw SettingError("solver.denominator", "uniform with Huber curvature", "nonuniform");
  }
  if (!(nonuniform_floor > 0.0 && nonuniform_floor <= 1.0)) {
    throw SettingError("solver.nonuniform_floor", "ε in (0, 1]", ToText(nonuniform_floor));
  }
  if (cost_every < 0) throw SettingError("solver.cost_every", "K ≥ 0", std::to_string(cost_every));
  if (!(tolerance >= 0.0) || !std::isfinite(tolerance)) {
    throw SettingError("solver.tolerance", "a relative change ≥ 0", ToText(tolerance));
  }
}

OsSolver::OsSolver(const PwlsProblem& problem, const SolverOptions& options,
                   std::vector<uint8_t> support)
    : problem_(problem), options_(options), support_(std::move(support)) {
  options.Validate(problem.NumViews());
  const ImageGeometry& grid = problem.grid();
  if (support_.empty()) support_.assign(size_t(grid.NumVoxels()), 1);
  if (int64_t(support_.size()) != grid.NumVoxels()) {
    throw std::invalid_argument("OsSolver: support mask does not match the image");
  }
  active_ = support_;
  data_curvature_ = problem.DataCurvature();
  denominator_ = data_curvature_;
  problem.regularizer().AddMaxCurvature(denominator_);
  float max_data_curvature = 0.0f;
  for (size_t n = 0; n < active_.size(); ++n) {
    active_[n] = active_[n] && data_curvature_.values[n] > 0.0f;
    max_data_curvature = std::max(max_data_curvature, data_curvature_.values[n]);
  }
  if (max_data_curvature > 0.0f)
    relax_scale_ = std::pow(10.0, std::floor(std::log10(double(max_data_curvature))));
  gradient_ = Image(grid);
}

std::vector<float> OsSolver::SubsetScalesFor(const std::vector<ViewList>& subsets) const {
  if (subsets.size() < 2 || !problem_.projector().scan_geometry().HasSourceZ()) return {};
  return SliceSubsetScales(problem_, subsets, data_curvature_, active_);
}

double OsSolver::RelaxLambda(int64_t m) const { return options_.EffectiveRelax(m) * relax_scale_; }

SolverState OsSolver::Start(const Image& x0) const {
  if (!(x0.geometry == problem_.grid())) {
    throw InputError("initial image", "the reconstruction grid", "an image on another grid");
  }
  SolverState s;
  s.subsets = options_.algorithm == Algorithm::kSqs ? 1 : options_.subsets;
  s.pass_step = std::numeric_limits<double>::infinity();
  s.x = x0;
  const float lower = float(std::max(options_.lower_bound, -1e30));
  const float upper = float(std::min(options_.upper_bound, 1e30));
  // Voxels outside the support are 0 (the object lies inside); unseen voxels inside keep x⁰.
  for (size_t n = 0; n < active_.size(); ++n) {
    float& v = s.x.values[n];
    if (!std::isfinite(v)) throw InputError("initial image", "finite values", ToText(v));
    if (!support_[n])
      v = 0.0f;
    else if (active_[n])
      v = std::clamp(v, lower, upper);
  }
  if (options_.IsMomentum()) s.z = s.x;
  if (options_.algorithm == Algorithm::kOsLalm) {
    s.lalm_average = Image(problem_.grid());
    s.lalm_linearisation = Image(problem_.grid());
  }
  if (options_.algorithm == Algorithm::kOsNes05 || options_.algorithm == Algorithm::kOsOgm2) {
    s.anchor = s.x;
    s.accumulated = Image(problem_.grid());
  }
  return s;
}

double OsSolver::RelaxationShift(const SolverState& s) const {
  const double lambda = RelaxLambda(s.subsets);
  if (lambda <= 0.0) return 0.0;
  return std::pow(double(s.subiteration - s.relax_origin + 2), options_.relax_power) * lambda;
}

void OsSolver::ResetMomentum(SolverState& s) const {
  s.t = 1.0;
  s.momentum_k = 0;
  const int64_t n = s.x.size();
  const bool accumulated = !s.accumulated.values.empty();
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < n; ++j) {
    s.z.values[size_t(j)] = s.x.values[size_t(j)];
    if (accumulated) {
      s.anchor.values[size_t(j)] = s.x.values[size_t(j)];
      s.accumulated.values[size_t(j)] = 0.0f;
    }
  }
}

void OsSolver::DataSubsetGradient(const Image& point, const ViewList& views, double scale,
                                  const float* slice_scales) const {
  problem_.DataGradient(point, views, slice_scales ? 1.0 : scale, gradient_);
  if (!slice_scales) return;
  const ImageGeometry& g = gradient_.geometry;
  const int64_t slice = g.nx * g.ny;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < g.nz; ++k) {
    float* row = gradient_.data() + k * slice;
    for (int64_t j = 0; j < slice; ++j) row[j] *= slice_scales[k];
  }
}

// ∇_m(z) = M·A_mᵀW_m(A_m z − y_m) + ∇R(z) (ALGORITHMS.md §3) into gradient_; returns the SQS
// denominator: the fixed one, or Huber's curvature at z for CurvatureRule::kHuber.
const float* OsSolver::SubsetGradient(const Image& point, const ViewList& views, double scale,
                                      const float* slice_scales) const {
  DataSubsetGradient(point, views, scale, slice_scales);
  if (options_.EffectiveCurvature() != CurvatureRule::kHuber) {
    problem_.regularizer().AddGradient(point, gradient_);
    return denominator_.data();
  }
  huber_denominator_.values = data_curvature_.values;  // reuses the buffer: no allocation
  huber_denominator_.geometry = data_curvature_.geometry;
  problem_.regularizer().AddGradientAndHuberCurvature(point, gradient_, huber_denominator_);
  return huber_denominator_.data();
}

// The momentum weights (t_k, t_{k+1}): t' = (1 + sqrt(1 + 4t²))/2, OGM's last step
// (1 + sqrt(1 + 8t²))/2, relaxed momentum t_k = (k + 2)/2.
std::pair<double, double> OsSolver::MomentumWeights(const SolverState& s, bool last) const {
  const bool ogm =
      options_.algorithm == Algorithm::kOsOgm1 || options_.algorithm == Algorithm::kOsOgm2;
  const double k = double(s.momentum_k), t = s.t;
  if (RelaxLambda(s.subsets) > 0.0) return {(k + 2.0) / 2.0, (k + 3.0) / 2.0};
  if (last && ogm && options_.ogm_last_rule) return {t, 0.5 * (1.0 + std::sqrt(1.0 + 8.0 * t * t))};
  return {t, 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t))};
}

namespace {

// OS-LALM's continuation of the augmented-Lagrangian penalty ρ (Nien & Fessler 2016, eq. for
// relaxation α): ρ_1 = 1, ρ_j = π/(αj)·sqrt(1 − (π/(2αj))²) for the j-th update, j counting
// sub-iterations. ρ = 1 makes the first update an OS-SQS step; as ρ → 0 the step follows the
// averaged gradient g, whose weights ρ/(ρ + 1) ≈ π/(αj) average the subsets' errors away.
double LalmRho(int64_t j, double alpha) {
  if (j <= 1) return 1.0;
  const double r = M_PI / (alpha * double(j));
  return r * std::sqrt(std::max(0.0, 1.0 - 0.25 * r * r));
}

}  // namespace

// One OS-LALM sub-iteration (Nien & Fessler 2015, relaxed as in 2016), with ζ = M·∇L_m(x) the
// subset's data gradient at the current x and D_L = AᵀWA1:
//   first update:  g = ζ, h = D_L x − ζ;
//   later ones:    g ← (ρ(αζ + (1 − α)g) + g)/(ρ + 1), h ← α(D_L x − ζ) + (1 − α)h  (ρ of the
//                  previous update);
//   then           x⁺ = [x − (ρ(D_L x − h) + (1 − ρ)g + ∇R(x)) / (ρD_L + D_R(x))]₊,
// D_R Huber's curvature at x (or the maximum). One sub-iteration costs what an OS-SQS one does (one
// subset projection pair, one regulariser pass) plus Huber's curvature. Returns ‖x⁺ − x‖²_D.
double OsSolver::LalmSubIteration(SolverState& s, const ViewList& views, double scale,
                                  const float* slice_scales) const {
  DataSubsetGradient(s.x, views, scale, slice_scales);
  const int64_t n = s.x.size();
  const float* dl = data_curvature_.data();
  float* x = s.x.data();
  float* g = s.lalm_average.data();
  float* h = s.lalm_linearisation.data();
  float* zeta = gradient_.data();
  const float alpha = float(options_.lalm_relax);
  if (s.momentum_k == 0) {
#pragma omp parallel for schedule(static)
    for (int64_t j = 0; j < n; ++j) {
      g[j] = zeta[j];
      h[j] = dl[j] * x[j] - zeta[j];
    }
  } else {
    const float rho = float(LalmRho(s.momentum_k, alpha));
#pragma omp parallel for schedule(static)
    for (int64_t j = 0; j < n; ++j) {
      g[j] = (rho * (alpha * zeta[j] + (1.0f - alpha) * g[j]) + g[j]) / (rho + 1.0f);
      h[j] = alpha * (dl[j] * x[j] - zeta[j]) + (1.0f - alpha) * h[j];
    }
  }
  // gradient_ is free again: ∇R(x) goes there, D_R(x) into huber_denominator_.
  std::fill(gradient_.values.begin(), gradient_.values.end(), 0.0f);
  const bool huber = options_.EffectiveCurvature() == CurvatureRule::kHuber;
  if (huber) {
    huber_denominator_.geometry = s.x.geometry;
    huber_denominator_.values.assign(size_t(n), 0.0f);  // keeps its buffer
    problem_.regularizer().AddGradientAndHuberCurvature(s.x, gradient_, huber_denominator_);
  } else {
    problem_.regularizer().AddGradient(s.x, gradient_);
  }
  const float* prior_curvature = huber_denominator_.data();
  const float* den = denominator_.data();
  const float* prior_gradient = gradient_.data();
  const uint8_t* active = active_.data();
  const float rho = float(LalmRho(s.momentum_k + 1, alpha));
  const float lower = float(std::max(options_.lower_bound, -1e30));
  const float upper = float(std::min(options_.upper_bound, 1e30));
  ++s.subiteration;
  ++s.momentum_k;
  return DeterministicSum(n, [&](int64_t j) {
    if (!active[j]) return 0.0;
    const float d_r = huber ? prior_curvature[j] : den[j] - dl[j];
    const float step = (rho * (dl[j] * x[j] - h[j]) + (1.0f - rho) * g[j] + prior_gradient[j]) /
                       (rho * dl[j] + d_r);
    const float x_old = x[j];
    x[j] = std::min(std::max(x_old - step, lower), upper);
    return double(den[j]) * Squared(double(x[j]) - x_old);
  });
}

// One sub-iteration on the views of one subset; returns ‖x_new − x_old‖²_D, the squared length of
// the step in the SQS metric D.
double OsSolver::SubIteration(SolverState& s, const ViewList& views, double scale,
                              const float* slice_scales, bool last, bool* restarted) const {
  const Algorithm a = options_.algorithm;
  if (a == Algorithm::kOsLalm) return LalmSubIteration(s, views, scale, slice_scales);
  const bool momentum = options_.IsMomentum();
  const float* den = SubsetGradient(momentum ? s.z : s.x, views, scale, slice_scales);
  if (!s.denominator.values.empty()) den = s.denominator.data();
  const float shift = float(RelaxationShift(s));
  const float lower = float(std::max(options_.lower_bound, -1e30));
  const float upper = float(std::min(options_.upper_bound, 1e30));
  auto clamp = [lower, upper](float v) { return std::min(std::max(v, lower), upper); };
  const int64_t n = s.x.size();
  const uint8_t* active = active_.data();
  float* x = s.x.data();
  const float* g = gradient_.data();
  ++s.subiteration;
  if (!momentum) {
    return DeterministicSum(n, [&](int64_t j) {
      if (!active[j]) return 0.0;
      const float x_old = x[j];
      x[j] = clamp(x_old - g[j] / den[j]);
      return double(den[j]) * Squared(double(x[j]) - x_old);
    });
  }

  const auto [t, t_next] = MomentumWeights(s, last);
  float* z = s.z.data();
  // (z − x_new)ᵀ D (x_new − x_old), the O'Donoghue–Candès gradient restart test, and the step.
  std::array<double, 2> sums{};
  if (a == Algorithm::kOsNes83 || a == Algorithm::kOsOgm1) {
    // Nes83: z = x + ((t−1)/t')(x − x_old); OGM1 adds (t/t')(x − z_old).
    const float alpha = float((t - 1.0) / t_next);
    const float gamma = a == Algorithm::kOsOgm1 ? float(t / t_next) : 0.0f;
    sums = DeterministicSums<2>(n, [&](int64_t j) {
      if (!active[j]) return std::array<double, 2>{};
      const float d = den[j] + shift;
      const float z_old = z[j], x_old = x[j];
      const float x_new = clamp(z_old - g[j] / d);
      z[j] = x_new + alpha * (x_new - x_old) + gamma * (x_new - z_old);
      x[j] = x_new;
      const double step = double(x_new) - x_old;
      return std::array<double, 2>{d * (double(z_old) - x_new) * step, den[j] * step * step};
    });
  } else {
    // Nes05: S += c·t·G, x = [z − G/D]₊, v = [x⁰ − S/D]₊, z = (1 − τ)x + τv; c = 2 for OGM2.
    // Standard weights: τ = 1/t'. Relaxed: S weights (k+1)/2 and τ = 2/(k+3).
    const bool relaxed = RelaxLambda(s.subsets) > 0.0;
    const double k = double(s.momentum_k);
    const float c = a == Algorithm::kOsOgm2 ? 2.0f : 1.0f;
    const float weight = c * float(relaxed ? (k + 1.0) / 2.0 : t);
    const float tau = float(relaxed ? 2.0 / (k + 3.0) : 1.0 / t_next);
    float* anchor = s.anchor.data();
    float* sum = s.accumulated.data();
    sums = DeterministicSums<2>(n, [&](int64_t j) {
      if (!active[j]) return std::array<double, 2>{};
      const float d = den[j] + shift;
      sum[j] += weight * g[j];
      const float z_old = z[j], x_old = x[j];
      const float x_new = clamp(z_old - g[j] / d);
      const float v = clamp(anchor[j] - sum[j] / d);
      z[j] = (1.0f - tau) * x_new + tau * v;
      x[j] = x_new;
      const double step = double(x_new) - x_old;
      return std::array<double, 2>{d * (double(z_old) - x_new) * step, den[j] * step * step};
    });
  }
  if (options_.restart == RestartRule::kGradient && sums[0] > 0.0) {
    ResetMomentum(s);
    ++s.restarts;
    *restarted = true;
  } else {
    s.t = t_next;
    ++s.momentum_k;
  }
  return sums[1];
}

// Ψ at the iterate after an iteration: a cost far above the start means the momentum is running
// away — restarted once, a DivergenceError if it happens again (`runaway_count` carries over);
// function restart resets the momentum when the cost rises.
double OsSolver::CheckCost(SolverState& state, int* runaway_count, bool* restarted) const {
  const double cost = problem_.Cost(state.x);
  const bool runaway = std::isfinite(state.initial_cost) &&
                       cost > state.initial_cost + 10.0 * std::abs(state.initial_cost);
  if (!std::isfinite(cost) || (runaway && ++*runaway_count > 1)) {
    throw DivergenceError(
        "iteration " + std::to_string(state.iteration) + ": the cost ran away (" + ToText(cost) +
        " from " + ToText(state.initial_cost) +
        "); try fewer subsets, gradient restart or relaxed momentum (docs/RECONSTRUCTION.md)");
  }
  if (!runaway) *runaway_count = 0;
  const bool rose = options_.restart == RestartRule::kFunction && cost > state.previous_cost;
  if (options_.IsMomentum() && (runaway || rose)) {
    ResetMomentum(state);
    ++state.restarts;
    *restarted = true;
  }
  state.previous_cost = cost;
  return cost;
}

// The projected gradient of the box-constrained problem: g_j, except 0 where x_j sits on a bound
// and g_j points out of the box (a descent step would only be clamped back). It vanishes exactly
// at the constrained minimiser (the KKT conditions), so its norm certifies convergence.
double OsSolver::ProjectedGradientNorm(const Image& x) const {
  Image gradient(x.geometry);
  problem_.Gradient(x, gradient);
  const float lower = float(std::max(options_.lower_bound, -1e30));
  const float upper = float(std::min(options_.upper_bound, 1e30));
  return std::sqrt(DeterministicSum(x.size(), [&](int64_t j) {
    const size_t n = size_t(j);
    if (!active_[n]) return 0.0;
    const double g = gradient.values[n];
    if ((x.values[n] <= lower && g > 0.0) || (x.values[n] >= upper && g < 0.0)) return 0.0;
    return g * g;
  }));
}

// OGM's output after its last step is the momentum point (Kim & Fessler 2016), kept feasible.
void OsSolver::OutputMomentumPoint(SolverState& state) const {
  const float lower = float(std::max(options_.lower_bound, -1e30));
  const float upper = float(std::min(options_.upper_bound, 1e30));
  for (size_t j = 0; j < active_.size(); ++j) {
    if (active_[j]) state.x.values[j] = std::min(std::max(state.z.values[j], lower), upper);
  }
}

// ‖a − b‖_D, the distance in the SQS metric D over the updated voxels.
double OsSolver::DistanceInD(const Image& a, const Image& b, const float* den) const {
  return std::sqrt(DeterministicSum(a.size(), [&](int64_t j) {
    const size_t n = size_t(j);
    return active_[n] ? den[n] * Squared(double(a.values[n]) - b.values[n]) : 0.0;
  }));
}

// u_j = max(|x_j − previous_j|, ε·max_k |x_k − previous_k|) on the updated voxels, 0 elsewhere
// (they never move, so they need no share of the majoriser); D(u) = D_L(u) + D_R(u).
Image OsSolver::NonuniformDenominator(const Image& x, const Image& previous) const {
  Image u(x.geometry);
  float largest = 0.0f;
  for (size_t n = 0; n < active_.size(); ++n) {
    if (active_[n]) largest = std::max(largest, std::abs(x.values[n] - previous.values[n]));
  }
  const float floor = std::max(float(options_.nonuniform_floor) * largest, 1e-30f);
  for (size_t n = 0; n < active_.size(); ++n) {
    if (active_[n]) u.values[n] = std::max(std::abs(x.values[n] - previous.values[n]), floor);
  }
  Image d = problem_.DataCurvature(u);
  problem_.regularizer().AddNonuniformMaxCurvature(u, d);
  for (size_t n = 0; n < active_.size(); ++n) {
    if (!active_[n]) d.values[n] = denominator_.values[n];  // unused; kept finite
  }
  return d;
}

namespace {

// The adaptive schedule (SubsetSchedule::kAdaptive). A pass of M sub-iterations walks a path of
// length Σ_m ‖Δx_m‖_D and moves the image by ‖x_n − x_n−1‖_D. While the subsets agree, their
// steps point the same way (moved ≈ path); in the OS limit cycle they cancel (moved ≪ path), and
// when ordered-subsets momentum turns unstable the pass's move grows instead of shrinking. Either
// way fewer subsets are better: the efficiency threshold kCycleEfficiency was chosen on the
// limit-cycle test problem (tests/recon/limit_cycle_test.cpp; docs/RECONSTRUCTION.md).
bool SubsetsShouldFall(double moved, double previous_move, double path) {
  return moved < kCycleEfficiency * path || moved > previous_move;
}

}  // namespace

// A new M starts a new ordered-subsets momentum run: its momentum and relaxation restart (keeping
// the momentum made the transient after the change 2–10× worse; docs/BENCHMARKS.md).
void OsSolver::HalveSubsets(SolverState& s) const {
  s.subsets = std::max<int64_t>(1, s.subsets / 2);
  s.pass_step = std::numeric_limits<double>::infinity();  // no pass yet at the new M
  s.relax_origin = s.subiteration;
  if (options_.IsMomentum()) ResetMomentum(s);
}

namespace {

// ‖x − previous‖ / ‖x‖ in deterministic double sums.
double RelativeChange(const Image& x, const Image& previous) {
  const double change = DeterministicSum(x.size(), [&](int64_t j) {
    const double d = double(x.values[size_t(j)]) - previous.values[size_t(j)];
    return d * d;
  });
  const double norm = DeterministicSum(
      x.size(), [&](int64_t j) { return double(x.values[size_t(j)]) * x.values[size_t(j)]; });
  return norm > 0 ? std::sqrt(change / norm) : 0.0;
}

void CheckFinite(const SolverState& state) {
  for (float v : state.x.values) {
    if (!std::isfinite(v)) {
      throw DivergenceError("iteration " + std::to_string(state.iteration) +
                            ": the image became non-finite (diverged); try fewer subsets, "
                            "gradient restart or relaxed momentum (docs/RECONSTRUCTION.md)");
    }
  }
}

}  // namespace

SolverSummary OsSolver::Run(SolverState& state, const IterationCallback& callback,
                            const Image* reference, const std::vector<uint8_t>& rmsd_mask,
                            double mu_water_per_mm) const {
  using Clock = std::chrono::steady_clock;
  SolverSummary summary;
  const bool function_restart = options_.restart == RestartRule::kFunction;
  const bool want_cost = function_restart || options_.cost_every > 0;
  if (want_cost && std::isnan(state.initial_cost)) {
    state.initial_cost = problem_.Cost(state.x);
    state.previous_cost = state.initial_cost;
  }
  const bool want_certificate =
      options_.cost_every > 0 ||
      (options_.tolerance > 0.0 && options_.tolerance_on == ToleranceRule::kGradient);
  if (want_certificate && std::isnan(state.initial_gradient_norm))
    state.initial_gradient_norm = ProjectedGradientNorm(state.x);
  const int64_t first_subsets = options_.algorithm == Algorithm::kSqs ? 1 : options_.subsets;
  if (state.subsets <= 0) state.subsets = first_subsets;  // a state from before the schedule
  if (state.subsets > first_subsets) {
    throw InputError("solver state", "at most " + std::to_string(first_subsets) + " subsets",
                     std::to_string(state.subsets));
  }
  if (options_.algorithm == Algorithm::kOsLalm && state.lalm_average.values.empty())
    throw InputError("solver state", "OS-LALM's averaged gradient g and h", "none");
  std::vector<ViewList> subsets = OrderedSubsets(problem_.NumViews(), state.subsets);
  std::vector<float> slice_scales = SubsetScalesFor(subsets);
  const bool adaptive = options_.EffectiveSubsetSchedule() == SubsetSchedule::kAdaptive;
  const bool nonuniform = options_.denominator == DenominatorRule::kNonuniform;
  const bool ogm_output_is_z =
      options_.ogm_last_rule && RelaxLambda(state.subsets) == 0.0 &&
      (options_.algorithm == Algorithm::kOsOgm1 || options_.algorithm == Algorithm::kOsOgm2);
  Image previous, pass_start;
  int runaway_count = 0;
  while (state.iteration < options_.iterations) {
    const auto start = Clock::now();
    if (options_.tolerance > 0.0) previous = state.x;
    bool restarted = false;
    const bool final_iteration = state.iteration + 1 == options_.iterations;
    const bool adapting = adaptive && state.subsets > 1;
    // NU-SQS: the denominator follows the first iteration's update.
    const bool refresh = nonuniform && state.iteration == 0;
    if (adapting || refresh) pass_start = state.x;
    double path = 0.0;
    for (size_t m = 0; m < subsets.size(); ++m) {
      const bool last = final_iteration && m + 1 == subsets.size();
      const float* scales =
          slice_scales.empty() ? nullptr : slice_scales.data() + m * size_t(problem_.grid().nz);
      path += std::sqrt(
          SubIteration(state, subsets[m], double(subsets.size()), scales, last, &restarted));
    }
    ++state.iteration;
    const int64_t pass_subsets = state.subsets;
    const float* den =
        state.denominator.values.empty() ? denominator_.data() : state.denominator.data();
    if (adapting) {
      const double moved = DistanceInD(state.x, pass_start, den);
      const bool fall = SubsetsShouldFall(moved, state.pass_step, path);
      state.pass_step = moved;
      if (fall) {
        HalveSubsets(state);
        subsets = OrderedSubsets(problem_.NumViews(), state.subsets);
        slice_scales = SubsetScalesFor(subsets);
      }
    }
    if (refresh && !final_iteration) {
      state.denominator = NonuniformDenominator(state.x, pass_start);
      state.pass_step = std::numeric_limits<double>::infinity();  // a new metric
      // The momentum continues: restarting it here cost more than the new D gained (measured,
      // docs/BENCHMARKS.md); refreshing D again later, with or without a restart, was worse.
    }
    if (final_iteration && ogm_output_is_z) OutputMomentumPoint(state);
    CheckFinite(state);
    IterationRecord record;
    record.iteration = state.iteration;
    record.subsets = pass_subsets;
    const bool cost_due = function_restart ||
                          (options_.cost_every > 0 && (state.iteration % options_.cost_every == 0 ||
                                                       state.iteration == options_.iterations));
    if (cost_due) {
      record.cost = CheckCost(state, &runaway_count, &restarted);
      summary.final_cost = record.cost;
    }
    record.restarted = restarted;
    if (reference) record.rmsd_hu = RmsdHu(state.x, *reference, rmsd_mask, mu_water_per_mm);
    if (options_.tolerance > 0.0) record.relative_change = RelativeChange(state.x, previous);
    const bool certificate_due =
        (options_.cost_every > 0 &&
         (state.iteration % options_.cost_every == 0 || state.iteration == options_.iterations)) ||
        (options_.tolerance > 0.0 && options_.tolerance_on == ToleranceRule::kGradient);
    if (certificate_due) {
      const double norm = ProjectedGradientNorm(state.x);
      record.gradient_norm =
          state.initial_gradient_norm > 0.0 ? norm / state.initial_gradient_norm : 0.0;
    }
    state.elapsed_s += std::chrono::duration<double>(Clock::now() - start).count();
    record.time_s = state.elapsed_s;
    summary.iterations = state.iteration;
    if (callback && !callback(record, state)) {
      summary.termination = Termination::kStopped;
      summary.message = "stopped after iteration " + std::to_string(state.iteration);
      return summary;
    }
    if (options_.tolerance > 0.0) {
      const bool by_gradient = options_.tolerance_on == ToleranceRule::kGradient;
      const double measure =
          by_gradient ? record.gradient_norm.value_or(1.0) : record.relative_change;
      if (measure < options_.tolerance) {
        summary.termination = Termination::kTolerance;
        summary.message = std::string(by_gradient ? "projected gradient " : "relative change ") +
                          ToText(measure) + " below the tolerance after " +
                          std::to_string(state.iteration) + " iterations";
        return summary;
      }
    }
  }
  summary.termination = Termination::kIterations;
  summary.message = "completed " + std::to_string(state.iteration) + " iterations";
  return summary;
}

}  // namespace osmo
