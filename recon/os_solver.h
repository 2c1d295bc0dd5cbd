// Ordered-subsets separable quadratic surrogates with Nesterov and optimized (OGM) momentum.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "projectors/enum_table.h"
#include "recon/pwls_problem.h"

namespace osmo {

// The solver family of ALGORITHMS.md §3–4.
enum class Algorithm { kSqs, kOsSqs, kOsNes83, kOsNes05, kOsOgm1, kOsOgm2, kOsLalm };
enum class RestartRule { kNone, kGradient, kFunction };
// SQS curvature of the regulariser: the maximum (ω ≡ 1, fixed) or Huber's at the iterate.
enum class CurvatureRule { kMax, kHuber };

inline constexpr EnumTable<Algorithm, 7> kAlgorithms = {{
    {Algorithm::kSqs, "sqs", "separable quadratic surrogates, all views at once"},
    {Algorithm::kOsSqs, "os-sqs", "ordered subsets"},
    {Algorithm::kOsNes83, "os-nes83", "ordered subsets with Nesterov's 1983 momentum"},
    {Algorithm::kOsNes05, "os-nes05", "ordered subsets with Nesterov's 2005 momentum"},
    {Algorithm::kOsOgm1, "os-ogm1", "ordered subsets with optimized momentum OGM1"},
    {Algorithm::kOsOgm2, "os-ogm2", "ordered subsets with optimized momentum OGM2"},
    {Algorithm::kOsLalm, "os-lalm",
     "ordered subsets with the relaxed linearized augmented Lagrangian method (averaged subset "
     "gradients, ρ continuation)"},
}};
inline constexpr EnumTable<RestartRule, 3> kRestartRules = {{
    {RestartRule::kNone, "none", "no restart"},
    {RestartRule::kGradient, "gradient", "when the update opposes the gradient"},
    {RestartRule::kFunction, "function", "when the cost rises"},
}};
// What --tolerance measures: the relative change of the iterate, or the convergence certificate
// (the projected gradient's norm relative to the start's).
enum class ToleranceRule { kChange, kGradient };
inline constexpr EnumTable<ToleranceRule, 2> kToleranceRules = {{
    {ToleranceRule::kChange, "change", "‖x_n − x_n−1‖/‖x_n‖"},
    {ToleranceRule::kGradient, "gradient",
     "the projected gradient ‖P∇Ψ(x_n)‖/‖P∇Ψ(x_0)‖, computed every iteration (one more forward "
     "and back projection each)"},
}};
// How the subset count evolves: fixed at M, or halved whenever a pass shows the ordered-subsets
// error dominating (SubsetsShouldFall in os_solver.cpp), down to 1 subset, where momentum converges
// to the minimiser instead of circling it in a limit cycle.
enum class SubsetSchedule { kFixed, kAdaptive };
inline constexpr EnumTable<SubsetSchedule, 2> kSubsetSchedules = {{
    {SubsetSchedule::kFixed, "fixed", "M subsets throughout"},
    {SubsetSchedule::kAdaptive, "adaptive",
     "M halves when a pass moves the image less than a tenth of its sub-iterations' path (the "
     "limit cycle) or more than the pass before (unstable momentum)"},
}};
// The SQS denominator: uniform (D_L = AᵀWA1, fixed) or spatially non-uniform (NU-SQS: Kim, Park,
// Jang & Fessler 2013), weighted by how much each voxel moved in the first iteration.
enum class DenominatorRule { kUniform, kNonuniform };
inline constexpr EnumTable<DenominatorRule, 2> kDenominatorRules = {{
    {DenominatorRule::kUniform, "uniform", "D = AᵀWA1 + the regulariser's maximum curvature"},
    {DenominatorRule::kNonuniform, "nonuniform",
     "NU-SQS: D_j = [AᵀWAu]_j/u_j + …, u = the first iteration's update magnitude (one more "
     "projection pair)"},
}};

// The adaptive schedule's threshold on a pass's efficiency ‖x_n − x_n−1‖_D / Σ_m ‖Δx_m‖_D.
constexpr double kCycleEfficiency = 0.1;
inline constexpr EnumTable<CurvatureRule, 2> kCurvatureRules = {{
    {CurvatureRule::kMax, "max", "the potential's largest curvature, fixed"},
    {CurvatureRule::kHuber, "huber",
     "Huber's curvature at the iterate; sqs, os-sqs and os-lalm (its default)"},
}};

const char* ToString(Algorithm algorithm);
const char* ToString(RestartRule rule);

// γ of relaxed momentum for 12 subsets when none is chosen; other subset counts M scale it by
// (M/12)^1.5, which follows the best γ of the convergence study (docs/BENCHMARKS.md: 1e-4 at 12
// subsets, 3e-4 at 24, 1e-3 at 48; relaxation only slows 1-subset runs).
constexpr double kDefaultRelax = 1e-4;
// The default relaxation γ: kDefaultRelax·(M/12)^1.5 for momentum algorithms, 0 for sqs/os-sqs.
double DefaultRelax(Algorithm algorithm, int64_t subsets);

struct SolverOptions {
  Algorithm algorithm = Algorithm::kOsOgm2;
  int64_t subsets = 12;     // M at the start (sqs forces 1)
  int64_t iterations = 20;  // passes over all subsets
  // Unset: adaptive for the momentum algorithms, fixed for os-sqs (halving cost os-sqs more early
  // speed than its limit cycle: 17 vs 12 HU after 30 iterations at M = 24, docs/BENCHMARKS.md).
  std::optional<SubsetSchedule> subset_schedule;
  RestartRule restart = RestartRule::kNone;
  // Relaxed momentum (Kim, Ramani & Fessler 2015): γ > 0 switches it on; the denominator grows
  // as D_k = D + (k+2)^relax_power · λ with λ = γ·10^⌊log10 max_j D_L,j⌋, and t_k = (k+2)/2.
  // Unset: DefaultRelax(algorithm, subsets).
  std::optional<double> relax;
  double relax_power = 1.5;
  // OGM's last-iteration rule θ_N = (1 + sqrt(1 + 8θ²))/2 with the momentum point as output
  // (Kim & Fessler 2016). Off by default: with the non-negativity bound the clamped momentum
  // point of OGM1 lands farther from the minimiser (measured 1.1e-3 vs 1.8e-4 after 600 passes
  // in tests/recon/solver_test.cpp's problem); for OGM2 it makes no measurable difference.
  bool ogm_last_rule = false;
  // OS-LALM's relaxation α ∈ [1, 2) (Nien & Fessler 2016; α = 1 is the OS-LALM of Nien & Fessler
  // 2015). 1.5: ≤ 1 HU after 10 iterations at 20–24 subsets in the convergence study, where 1 and
  // 1.999 were slower (docs/BENCHMARKS.md).
  double lalm_relax = 1.5;
  // The regulariser's curvature in the denominator; unset: Huber's for os-lalm (1.0 vs 1.9 HU after
  // 10 iterations at 24 subsets with the maximum), the maximum otherwise.
  std::optional<CurvatureRule> curvature;
  DenominatorRule denominator = DenominatorRule::kUniform;
  // NU-SQS: u_j = max(|x_j^n − x_j^n−1|, ε·max_k |x_k^n − x_k^n−1|) with ε = nonuniform_floor.
  double nonuniform_floor = 0.05;
  // Box constraint lower ≤ μ ≤ upper (1/mm); lower = −∞ switches the non-negativity off.
  double lower_bound = 0.0;
  double upper_bound = std::numeric_limits<double>::infinity();
  // Evaluate Ψ and the convergence certificate ‖P∇Ψ(x_n)‖/‖P∇Ψ(x_0)‖ every K iterations (0:
  // never; function restart: Ψ always; ToleranceRule::kGradient: the certificate always).
  int64_t cost_every = 0;
  double tolerance = 0.0;  // stop when the measure of tolerance_on falls below (0: off)
  ToleranceRule tolerance_on = ToleranceRule::kChange;

  bool IsMomentum() const;
  // γ: `relax`, else DefaultRelax(algorithm, subsets).
  double EffectiveRelax() const;
  SubsetSchedule EffectiveSubsetSchedule() const;
  CurvatureRule EffectiveCurvature() const;
  // γ for `m` subsets: `relax`, else DefaultRelax(algorithm, m).
  double EffectiveRelax(int64_t m) const;
  // Throws SettingError naming the field ("solver.subsets") for inconsistent settings; the subset
  // count is checked against the number of views when it is known.
  void Validate(std::optional<int64_t> n_views = std::nullopt) const;
};

// Everything needed to continue a run exactly: iterates, momentum sequence and counters.
struct SolverState {
  int64_t iteration = 0;     // completed iterations
  int64_t subiteration = 0;  // completed sub-iterations k (global)
  int64_t momentum_k = 0;    // sub-iterations since the last (re)start of the momentum
  int64_t subsets = 0;       // the current subset count M (0: not started)
  int64_t relax_origin = 0;  // the sub-iteration where the relaxation last (re)started
  double pass_step = std::numeric_limits<double>::infinity();  // ‖x_n − x_n−1‖_D of the last pass
  double t = 1.0;                                              // momentum weight t_k
  double t_sum = 1.0;  // A_k = Σ_{l≤k} t_l (Nes05-type mixing τ = t_{k+1}/A_{k+1})
  double elapsed_s = 0.0;
  int64_t restarts = 0;
  double previous_cost = std::numeric_limits<double>::quiet_NaN();
  double initial_cost = std::numeric_limits<double>::quiet_NaN();
  double initial_gradient_norm = std::numeric_limits<double>::quiet_NaN();  // ‖P∇Ψ(x_0)‖
  Image x;            // current iterate (the output)
  Image z;            // extrapolated point where gradients are taken (momentum methods)
  Image anchor;       // x⁰ of the current momentum run (Nes05-type)
  Image accumulated;  // S = Σ c·t_l·G_l (Nes05-type)
  Image denominator;  // NU-SQS's current D (empty: the uniform D)
  // OS-LALM (momentum_k counts its updates): g, the averaged subset gradient, and h, the relaxed
  // linearisation point term D_L x − ζ.
  Image lalm_average;
  Image lalm_linearisation;
};

struct IterationRecord {
  int64_t iteration = 0;
  double time_s = 0.0;
  std::optional<double> cost;
  std::optional<double> rmsd_hu;
  bool restarted = false;
  int64_t subsets = 0;  // M used in this iteration
  double relative_change = 0.0;
  // ‖P∇Ψ(x_n)‖/‖P∇Ψ(x_0)‖: the gradient projected onto the feasible directions (components
  // that would push a voxel through a bound it sits on are 0), over the updated voxels.
  std::optional<double> gradient_norm;
};

enum class Termination { kIterations, kTolerance, kStopped };
struct SolverSummary {
  Termination termination = Termination::kIterations;
  std::string message;
  int64_t iterations = 0;
  std::optional<double> final_cost;
};

// Thrown when the iterate becomes non-finite or the cost runs away; the message says what
// happened and suggests a remedy.
class DivergenceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Called after every iteration; return false to stop (e.g. on a signal). The state can be
// checkpointed from here.
using IterationCallback = std::function<bool(const IterationRecord&, const SolverState&)>;

class OsSolver {
 public:
  // `support`: voxels allowed to change (others are 0); empty means all. Voxels with D_L = 0
  // (never seen by any ray) keep their initial value.
  OsSolver(const PwlsProblem& problem, const SolverOptions& options, std::vector<uint8_t> support);

  // The state at x⁰ (clamped to the bounds on the support, 0 outside).
  SolverState Start(const Image& x0) const;
  // Iterates until options.iterations are done (or tolerance / callback stop). `reference` (may
  // be null) gives the RMSD in HU inside `rmsd_mask` for each record.
  SolverSummary Run(SolverState& state, const IterationCallback& callback,
                    const Image* reference = nullptr, const std::vector<uint8_t>& rmsd_mask = {},
                    double mu_water_per_mm = 0.02) const;

  const Image& data_curvature() const { return data_curvature_; }
  // The fixed SQS denominator D = D_L + D_R(maximum curvature).
  const Image& denominator() const { return denominator_; }

 private:
  // `slice_scales`: per slice, the subset's gradient scale (SliceSubsetScales) replacing the
  // uniform `scale`; null for the uniform one.
  double LalmSubIteration(SolverState& s, const ViewList& views, double scale,
                          const float* slice_scales) const;
  // gradient_ ← M·A_mᵀW_m(A_m x − y_m), with per-slice scales when given.
  void DataSubsetGradient(const Image& point, const ViewList& views, double scale,
                          const float* slice_scales) const;
  double SubIteration(SolverState& s, const ViewList& views, double scale,
                      const float* slice_scales, bool last, bool* restarted) const;
  const float* SubsetGradient(const Image& point, const ViewList& views, double scale,
                              const float* slice_scales) const;
  // SliceSubsetScales for helical scans with M > 1 subsets; empty otherwise (uniform M).
  std::vector<float> SubsetScalesFor(const std::vector<ViewList>& subsets) const;
  double DistanceInD(const Image& a, const Image& b, const float* den) const;
  // NU-SQS: the denominator for the update x − previous (one forward and back projection).
  Image NonuniformDenominator(const Image& x, const Image& previous) const;
  void HalveSubsets(SolverState& s) const;
  double RelaxLambda(int64_t m) const;
  std::pair<double, double> MomentumWeights(const SolverState& s, bool last) const;
  double CheckCost(SolverState& state, int* runaway_count, bool* restarted) const;
  // ‖P∇Ψ(x)‖ over the updated voxels (one forward and one back projection).
  double ProjectedGradientNorm(const Image& x) const;
  void OutputMomentumPoint(SolverState& state) const;
  void ResetMomentum(SolverState& s) const;
  // λ·(k + 2)^c with k the sub-iterations since the relaxation's origin.
  double RelaxationShift(const SolverState& s) const;

  const PwlsProblem& problem_;
  SolverOptions options_;
  std::vector<uint8_t> support_;  // voxels allowed to be non-zero
  std::vector<uint8_t> active_;   // support ∧ D_L > 0: the voxels that are updated
  Image data_curvature_;          // D_L
  Image denominator_;             // D_L + D_R(max curvature)
  double relax_scale_ = 0.0;      // 10^⌊log10 max_j D_L,j⌋: λ = γ·relax_scale_
  mutable Image gradient_;
  mutable Image huber_denominator_;  // D_L + Huber's curvature at the iterate (os-sqs option)
};

}  // namespace osmo
