// The PWLS reconstruction pipeline: preparation (weights, support, κ, β, problem) and the run.
// SPDX-License-Identifier: Apache-2.0
#include "recon/pipeline/reconstruction.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <tuple>

#include "projectors/error.h"
#include "projectors/fnv_hash.h"
#include "projectors/helical_trajectory.h"
#include "recon/default_beta.h"
#include "recon/fbp.h"
#include "recon/metrics.h"
#include "recon/pipeline/grid_extension.h"
#include "recon/pipeline/statistical_weights.h"
#include "recon/resolution.h"

namespace osmo {

namespace {

void Tell(const NoteCallback& note, const std::string& text) {
  if (note) note(text);
}

// Certainty-based factors c_j = sqrt([Aᵀw]_j / [Aᵀ1]_j) (Fessler & Rogers 1996), which make the
// resolution of the penalised image nearly uniform; 0 for voxels no ray sees.
std::vector<float> CertaintyFactors(const Projector& projector, const Image& atw) {
  Image at1(projector.image_geometry());
  projector.Back(Sinogram(projector.scan_geometry(), 1.0f), at1);
  std::vector<float> c(atw.values.size());
  for (size_t j = 0; j < c.size(); ++j) {
    c[j] = at1.values[j] > 0 ? std::sqrt(std::max(atw.values[j], 0.0f) / at1.values[j]) : 0.0f;
  }
  return c;
}

}  // namespace

PreparedReconstruction::PreparedReconstruction(const ScanData& scan, const ImageGeometry& grid,
                                               const ReconSettings& settings,
                                               const NoteCallback& note)
    : scan_(scan), output_grid_(grid), grid_(grid), settings_(settings) {
  settings_.Validate();
  settings_.solver.Validate(scan.geometry.NumViews());
  StatisticalWeights weights = WeightsFor(scan, settings.weighting);
  Tell(note, weights.description);
  weights_ = std::move(weights.weights);
  const double support_radius = SupportRadiusMm(note);
  ExtendAlongTheHelix(note);
  projector_ = MakeProjector(grid_, scan.geometry);
  support_ = support_radius > 0.0 ? CircularMask(grid_, support_radius)
                                  : std::vector<uint8_t>(size_t(grid_.NumVoxels()), 1);
  const PriorSettings& wanted = settings.prior;
  if (settings.start == StartKind::kFbp || !wanted.delta) MakeFbp(note);

  const PriorSettings& prior = settings.prior;
  RegularizerOptions options{prior.potential, 0.0, prior.delta.value_or(0.0),
                             prior.neighborhood.value_or(DefaultNeighborhood(scan.geometry))};
  if (!prior.delta) options.delta = DataScaledDelta(note);
  // Aᵀw: the optional κ_j and the relative β rule.
  Image atw(grid_);
  projector_->Back(weights_, atw);
  std::vector<float> certainty;
  if (prior.kappa) certainty = CertaintyFactors(*projector_, atw);
  if (prior.beta) {
    options.beta = *prior.beta;
    Tell(note, "β = " + ToText(options.beta) + " (as given)");
  } else if (prior.target_fwhm_mm) {
    options.beta = BetaForFwhm(options, certainty, note);
  } else {
    options.beta = DefaultBeta(options, atw, certainty, note);
  }
  regularizer_ = std::make_unique<Regularizer>(grid_, options, std::move(certainty));
  problem_ = std::make_unique<PwlsProblem>(*projector_, scan.sinogram, weights_, *regularizer_);
}

// The support's radius (0: every voxel). For laterally truncated data (SupportKind::kAuto) the
// object continues beyond the scanned circle, and rays at the detector's edge carry its
// attenuation there: with no voxels to explain it, PWLS piles it into a bright rim at the edge
// of the field of view. The support then reaches kTruncatedSupportRadiusFactor × the field-of-
// view radius, on a grid widened to hold it.
double PreparedReconstruction::SupportRadiusMm(const NoteCallback& note) {
  const double fov = scan_.geometry.FieldOfViewRadiusMm();
  switch (settings_.support) {
    case SupportKind::kAll:
      return 0.0;
    case SupportKind::kFieldOfView:
      return fov;
    case SupportKind::kAuto:
      break;
  }
  if (TruncationExtension(scan_.sinogram) == 0) return fov;
  const double radius = kTruncatedSupportRadiusFactor * fov;
  padding_.xy = PaddingToReach(output_grid_, radius);
  grid_ = PaddedGrid(output_grid_, padding_);
  Tell(note, "laterally truncated data (the edge channels are not air): support radius " +
                 ToText(radius) + " mm, " + ToText(kTruncatedSupportRadiusFactor) +
                 " × the field of view's, on " + std::to_string(grid_.nx) + "×" +
                 std::to_string(grid_.ny) + " voxels (" + std::to_string(padding_.xy) +
                 " added on each side; the output is cropped back)");
  return radius;
}

// The long object problem: a helical scan's rays also cross the patient above and below the
// requested slices, and with no voxels there PWLS would pile that attenuation into the end
// slices. The solver's grid holds every slice the rays cross inside the field of view; the
// slices outside the complete-data range are seen by few views and only serve to explain the
// data (SubsetScaling keeps ordered subsets stable there).
void PreparedReconstruction::ExtendAlongTheHelix(const NoteCallback& note) {
  if (!scan_.geometry.HasSourceZ()) return;
  const auto [z_lo, z_hi] = IlluminatedZRange(scan_.geometry);
  std::tie(padding_.z_below, padding_.z_above) = SlicesToCover(output_grid_, z_lo, z_hi);
  if (padding_.z_below + padding_.z_above == 0) return;
  grid_ = PaddedGrid(output_grid_, padding_);
  Tell(note, "helical scan: the rays cross z " + ToText(z_lo) + " to " + ToText(z_hi) +
                 " mm; solving on " + std::to_string(grid_.nz) + " slices (" +
                 std::to_string(padding_.z_below) + " below and " +
                 std::to_string(padding_.z_above) + " above the output's; cropped back)");
}

Image PreparedReconstruction::ToSolverGrid(const Image& x) const {
  return padding_.any() ? PadImage(x, padding_) : x;
}

Image PreparedReconstruction::ToOutputGrid(const Image& x) const {
  return padding_.any() ? CropImage(x, padding_) : x;
}

void PreparedReconstruction::MakeFbp(const NoteCallback& note) {
  const AngularWeights angular = ComputeAngularWeights(scan_.geometry);
  if (angular.limited) {  // FBP's zero-filled image would bias δ and start far from the solution
    fbp_problem_ = "the scan covers " + ToText(angular.coverage_rad * 180 / M_PI) +
                   "°, less than the " + ToText(angular.complete_rad * 180 / M_PI) +
                   "° of a complete scan";
    Tell(note, "no FBP image: " + fbp_problem_);
    return;
  }
  try {
    fbp_ = FilteredBackprojection(scan_.geometry, scan_.sinogram, grid_, {});
  } catch (const InputError& e) {
    // A scan FBP cannot reconstruct (limited angle) still has a PWLS solution.
    fbp_problem_ = e.what();
    Tell(note, std::string("no FBP image: ") + e.what());
  }
}

// δ = kDeltaFraction × the median of the FBP image over the object (its voxels above a quarter of
// the 99th percentile within the support). Without FBP: the same fraction of a typical μ along
// the rays, the 99th percentile of y over the field-of-view diameter.
double PreparedReconstruction::DataScaledDelta(const NoteCallback& note) {
  if (fbp_) {
    std::vector<float> inside;
    for (size_t j = 0; j < support_.size(); ++j)
      if (support_[j]) inside.push_back(fbp_->values[j]);
    if (!inside.empty()) {
      std::sort(inside.begin(), inside.end());
      const float p99 = inside[size_t(0.99 * double(inside.size() - 1))];
      std::vector<float> object;
      for (float v : inside)
        if (v > 0.25f * p99) object.push_back(v);
      if (p99 > 0.0f && !object.empty()) {
        std::vector<uint8_t> object_mask(support_.size(), 0);
        for (size_t j = 0; j < support_.size(); ++j)
          object_mask[j] = support_[j] && fbp_->values[j] > 0.25f * p99;
        image_noise_ = RobustNoiseStd(*fbp_, object_mask);
        const double median = object[object.size() / 2];
        const double delta = kDeltaFraction * median;
        Tell(note, "δ = " + ToText(delta) + "/mm (" + ToText(100 * kDeltaFraction) +
                       " % of the object's median μ in the FBP image, " + ToText(median) + "/mm)");
        return delta;
      }
    }
  }
  std::vector<float> y = scan_.sinogram.values;
  const size_t n = size_t(0.99 * double(y.size() - 1));
  std::nth_element(y.begin(), y.begin() + ptrdiff_t(n), y.end());
  const double typical_mu =
      std::max(double(y[n]), 1e-30) / (2.0 * scan_.geometry.FieldOfViewRadiusMm());
  const double delta = kDeltaFraction * typical_mu;
  Tell(note, "δ = " + ToText(delta) + "/mm (" + ToText(100 * kDeltaFraction) +
                 " % of a typical μ from the sinogram: no FBP image)");
  return delta;
}

namespace {

// c_c² at the centre voxel: the certainty factors scale the prior's stencil there.
double CentreCertaintySq(const ImageGeometry& grid, const std::vector<float>& certainty) {
  if (certainty.empty()) return 1.0;
  const double c = certainty[size_t(grid.Index(grid.nx / 2, grid.ny / 2, grid.nz / 2))];
  return c * c;
}

}  // namespace

// β for a resolution at the centre through the local impulse response (contrasts below δ). FBP's
// FWHM, for comparison in the note, costs a projection and an FBP: computed only when someone
// reads the note.
double PreparedReconstruction::BetaForFwhm(const RegularizerOptions& options,
                                           const std::vector<float>& certainty,
                                           const NoteCallback& note) const {
  const CentreImpulseResponse response(*projector_, weights_, Regularizer(grid_, options),
                                       CentreCertaintySq(grid_, certainty));
  const double fwhm = *settings_.prior.target_fwhm_mm;
  const double beta = response.BetaForFwhm(fwhm);
  if (note) {
    note("β = " + ToText(beta) + " for a resolution of " + ToText(fwhm) +
         " mm FWHM at the centre (predicted noise " + ToText(response.NoiseStd(beta)) +
         "/mm; FBP's FWHM there " + ToText(FbpFwhmMm(*projector_, {})) + " mm)");
  }
  return beta;
}

// β = max(β_relative, β_noise) (docs/RECONSTRUCTION.md), each rule used only when asked for;
// with neither asked for, both at their defaults. β_relative keeps a fixed resolution in voxels
// (DataScaledBeta); β_noise brings the predicted noise at the centre down to a fraction of FBP's:
// the quadratic β_q for that noise (CentreImpulseResponse::BetaForNoise), divided by the mean
// curvature E[ψ''(t)] of the potential over the predicted neighbour differences t (MeanCurvature),
// since an edge-preserving prior smooths noise larger than δ only that much.
double PreparedReconstruction::DefaultBeta(RegularizerOptions& options, const Image& atw,
                                           const std::vector<float>& certainty,
                                           const NoteCallback& note) const {
  const PriorSettings& prior = settings_.prior;
  const bool defaults = !prior.beta_relative && !prior.noise_fraction;
  std::optional<double> relative_beta, noise_beta;
  std::string relative_text, noise_text;
  if (prior.beta_relative || defaults) {
    const double relative = prior.beta_relative.value_or(kDefaultBetaRelative);
    const double kappa_sum = Regularizer(grid_, options).InteriorKappaSum();
    relative_beta = DataScaledBeta(relative, atw, certainty, support_, kappa_sum);
    relative_text = "relative rule, r = " + ToText(relative);
  }
  std::optional<CentreImpulseResponse> response;
  if (prior.noise_fraction || defaults) {
    const double fraction = prior.noise_fraction.value_or(kDefaultNoiseFraction);
    response.emplace(*projector_, weights_, Regularizer(grid_, options),
                     CentreCertaintySq(grid_, certainty));
    const double fbp_noise = FbpNoiseStd(*projector_, weights_);
    const double quadratic = response->BetaForNoise(fraction * fbp_noise);
    const double spread = response->NeighbourDifferenceStd(quadratic);
    const double curvature = MeanCurvature(options.potential, options.delta, spread);
    noise_beta = quadratic / curvature;
    noise_text = "noise rule: " + ToText(fraction) + " × FBP's noise " + ToText(fbp_noise) +
                 "/mm at the centre, quadratic β " + ToText(quadratic) + " / mean curvature " +
                 ToText(curvature);
    // Where the noise sets β, a δ below the noise would make the prior keep noise spikes as
    // edges (salt-and-pepper): δ rises to the FBP image's own noise, and the curvature with it.
    const bool noise_wins = !relative_beta || *noise_beta > *relative_beta;
    if (noise_wins && !prior.delta && image_noise_ && *image_noise_ > options.delta) {
      Tell(note, "δ = " + ToText(*image_noise_) + "/mm instead: the FBP image's noise (robust " +
                     "high-pass estimate), larger than " + ToText(options.delta) +
                     "/mm, and the noise rule sets β");
      options.delta = *image_noise_;
      const double raised = MeanCurvature(options.potential, options.delta, spread);
      noise_beta = quadratic / raised;
      noise_text += " (" + ToText(raised) + " at the raised δ)";
    }
  }
  const bool noise_wins = noise_beta && (!relative_beta || *noise_beta > *relative_beta);
  const double beta = noise_wins ? *noise_beta : *relative_beta;
  std::string text = "β = " + ToText(beta) + " (" + (noise_wins ? noise_text : relative_text);
  if (relative_beta && noise_beta) {
    text += "; the " + std::string(noise_wins ? "relative" : "noise") + " rule gives " +
            ToText(noise_wins ? *relative_beta : *noise_beta);
  }
  if (response) {
    text += "; predicted FWHM at the centre for contrasts below δ " +
            ToText(response->FwhmMm(beta)) + " mm";
  }
  Tell(note, text + ")");
  return beta;
}

Image PreparedReconstruction::StartImage(const Image* given, const NoteCallback& note) const {
  switch (settings_.start) {
    case StartKind::kZero:
      return Image(grid_);
    case StartKind::kImage: {
      if (!given) throw SettingError("start", "an initial image", "none");
      CheckSameGrid(output_grid_, given->geometry, "the initial image's grid");
      Image x0 = *given;
      x0.geometry = output_grid_;  // the same grid up to the file's rounding
      return ToSolverGrid(x0);
    }
    case StartKind::kFbp:
      break;
  }
  if (fbp_) {
    Tell(note, "initial image: FBP (hann)");
    return *fbp_;
  }
  Tell(note, "initial image: zero (FBP is not possible here: " + fbp_problem_ + ")");
  return Image(grid_);
}

std::vector<uint8_t> PreparedReconstruction::ObjectMask(const Image& reference) const {
  const Image on_grid = ToSolverGrid(reference);
  std::vector<uint8_t> mask = support_;
  for (size_t j = 0; j < mask.size(); ++j) mask[j] = mask[j] && on_grid.values[j] > 0.0f;
  return mask;
}

std::string PreparedReconstruction::Fingerprint() const {
  const ScanGeometry& g = scan_.geometry;
  uint64_t data = Fnv1aBytes(scan_.sinogram.values.data(), scan_.sinogram.values.size() * 4);
  data = Fnv1aBytes(weights_.values.data(), weights_.values.size() * 4, data);
  data = Fnv1aBytes(g.angles_rad.data(), g.angles_rad.size() * 8, data);
  for (const std::vector<double>* per_view : {&g.source_z_mm, &g.source_shift_angle_rad,
                                              &g.source_shift_z_mm, &g.source_shift_radius_mm}) {
    data = Fnv1aBytes(per_view->data(), per_view->size() * 8, data);
  }
  const SolverOptions& s = settings_.solver;
  const RegularizerOptions& r = regularizer_->options();
  std::ostringstream f;
  f.precision(12);
  f << "data=" << std::hex << data << std::dec << " views=" << g.NumViews()
    << " bins=" << g.NumBins() << " grid=" << grid_.nx << "x" << grid_.ny << "x" << grid_.nz << "@"
    << grid_.voxel_size_mm << "," << grid_.slice_thickness_mm
    << " algorithm=" << ToString(s.algorithm) << " subsets=" << s.subsets
    << " schedule=" << NameOf(kSubsetSchedules, s.EffectiveSubsetSchedule()) << " beta=" << r.beta
    << " delta=" << r.delta << " potential=" << ToString(r.potential)
    << " neighborhood=" << int(r.neighborhood) << " kappa=" << settings_.prior.kappa
    << " denominator=" << NameOf(kDenominatorRules, s.denominator) << "," << s.nonuniform_floor
    << " restart=" << ToString(s.restart) << " relax=" << s.EffectiveRelax() << "," << s.relax_power
    << " curvature=" << NameOf(kCurvatureRules, s.EffectiveCurvature())
    << " upper=" << (std::isfinite(s.upper_bound) ? s.upper_bound : -1.0)
    << " support=" << NameOf(kSupportKinds, settings_.support)
    << " weighting=" << NameOf(kWeightings, settings_.weighting);
  // Only os-lalm's α: the fingerprints of the other algorithms (and their checkpoints written
  // before os-lalm existed) stay as they were.
  if (s.algorithm == Algorithm::kOsLalm) f << " lalm_relax=" << s.lalm_relax;
  return f.str();
}

ReconResult Reconstruct(const ScanData& scan, const ImageGeometry& grid,
                        const ReconSettings& settings, const ReconImages& images,
                        const ReconHooks& hooks) {
  const PreparedReconstruction prepared(scan, grid, settings, hooks.note);
  const OsSolver solver(prepared.problem(), settings.solver, prepared.support());
  std::vector<uint8_t> rmsd_mask;
  std::optional<Image> reference;  // on the solver's grid
  if (images.reference) {
    CheckSameGrid(grid, images.reference->geometry, "the reference's grid");
    rmsd_mask = prepared.ObjectMask(*images.reference);
    reference = prepared.ToSolverGrid(*images.reference);
    reference->geometry = prepared.grid();
  }
  auto iteration = [&](const IterationRecord& record, const SolverState& state) {
    return hooks.iteration ? hooks.iteration(record, state) : true;
  };

  std::optional<SolverState> resumed;
  if (hooks.resume) resumed = hooks.resume(prepared);
  SolverState state;
  ReconResult result;
  result.beta = prepared.beta();
  if (resumed) {
    state = std::move(*resumed);
  } else {
    state = solver.Start(prepared.StartImage(images.start, hooks.note));
    IterationRecord first;
    first.subsets = state.subsets;
    if (settings.solver.cost_every > 0 || settings.solver.restart == RestartRule::kFunction)
      first.cost = prepared.problem().Cost(state.x);
    if (settings.solver.cost_every > 0) first.gradient_norm = 1.0;  // relative to itself
    if (images.reference) {
      first.rmsd_hu = RmsdHu(state.x, *reference, rmsd_mask, settings.mu_water_per_mm);
      result.final_rmsd_hu = first.rmsd_hu;
    }
    if (!iteration(first, state)) {
      result.summary.termination = Termination::kStopped;
      result.summary.message = "stopped before the first iteration";
      result.image = prepared.ToOutputGrid(state.x);
      return result;
    }
  }
  result.summary = solver.Run(
      state,
      [&](const IterationRecord& record, const SolverState& s) {
        if (record.rmsd_hu) result.final_rmsd_hu = record.rmsd_hu;
        return iteration(record, s);
      },
      reference ? &*reference : nullptr, rmsd_mask, settings.mu_water_per_mm);
  result.elapsed_s = state.elapsed_s;
  result.image = prepared.ToOutputGrid(state.x);
  return result;
}

}  // namespace osmo
