// The PWLS reconstruction pipeline: preparation (weights, support, κ, β, problem) and the run.
// SPDX-License-Identifier: Apache-2.0
#include "recon/pipeline/reconstruction.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "projectors/error.h"
#include "projectors/fnv_hash.h"
#include "recon/default_beta.h"
#include "recon/fbp.h"
#include "recon/metrics.h"
#include "recon/pipeline/statistical_weights.h"

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
    : scan_(scan), grid_(grid), settings_(settings) {
  settings_.Validate();
  settings_.solver.Validate(scan.geometry.NumViews());
  StatisticalWeights weights = WeightsFor(scan);
  Tell(note, weights.description);
  weights_ = std::move(weights.weights);
  projector_ = MakeProjector(grid, scan.geometry);
  support_ = settings.support == SupportKind::kFieldOfView
                 ? CircularMask(grid, scan.geometry.FieldOfViewRadiusMm())
                 : std::vector<uint8_t>(size_t(grid.NumVoxels()), 1);

  const PriorSettings& prior = settings.prior;
  RegularizerOptions options{prior.potential, 0.0, prior.delta,
                             prior.neighborhood.value_or(DefaultNeighborhood(scan.geometry))};
  // Aᵀw sets the default β and the optional κ_j.
  Image atw(grid);
  projector_->Back(weights_, atw);
  std::vector<float> certainty;
  if (prior.kappa) certainty = CertaintyFactors(*projector_, atw);
  if (prior.beta) {
    options.beta = *prior.beta;
    Tell(note, "β = " + ToText(options.beta));
  } else {
    const double kappa_sum = Regularizer(grid, options).InteriorKappaSum();
    options.beta = DataScaledBeta(prior.beta_relative, atw, certainty, support_, kappa_sum);
    Tell(note, "β = " + ToText(options.beta) + " (relative " + ToText(prior.beta_relative) + ")");
  }
  regularizer_ = std::make_unique<Regularizer>(grid, options, std::move(certainty));
  problem_ = std::make_unique<PwlsProblem>(*projector_, scan.sinogram, weights_, *regularizer_);
}

Image PreparedReconstruction::StartImage(const Image* given, const NoteCallback& note) const {
  switch (settings_.start) {
    case StartKind::kZero:
      return Image(grid_);
    case StartKind::kImage: {
      if (!given) throw SettingError("start", "an initial image", "none");
      CheckSameGrid(grid_, given->geometry, "the initial image's grid");
      Image x0 = *given;
      x0.geometry = grid_;  // the same grid up to the file's rounding
      return x0;
    }
    case StartKind::kFbp:
      break;
  }
  try {
    Image x0 = FilteredBackprojection(scan_.geometry, scan_.sinogram, grid_, {});
    Tell(note, "initial image: FBP (hann)");
    return x0;
  } catch (const InputError& e) {
    // A scan FBP cannot reconstruct (limited angle) still has a PWLS solution.
    Tell(note, std::string("initial image: zero (FBP is not possible here: ") + e.what() + ")");
    return Image(grid_);
  }
}

std::vector<uint8_t> PreparedReconstruction::ObjectMask(const Image& reference) const {
  std::vector<uint8_t> mask = support_;
  for (size_t j = 0; j < mask.size(); ++j) mask[j] = mask[j] && reference.values[j] > 0.0f;
  return mask;
}

std::string PreparedReconstruction::Fingerprint() const {
  const ScanGeometry& g = scan_.geometry;
  uint64_t data = Fnv1aBytes(scan_.sinogram.values.data(), scan_.sinogram.values.size() * 4);
  data = Fnv1aBytes(weights_.values.data(), weights_.values.size() * 4, data);
  data = Fnv1aBytes(g.angles_rad.data(), g.angles_rad.size() * 8, data);
  const SolverOptions& s = settings_.solver;
  const RegularizerOptions& r = regularizer_->options();
  std::ostringstream f;
  f.precision(12);
  f << "data=" << std::hex << data << std::dec << " views=" << g.NumViews()
    << " bins=" << g.NumBins() << " grid=" << grid_.nx << "x" << grid_.ny << "x" << grid_.nz << "@"
    << grid_.voxel_size_mm << "," << grid_.slice_thickness_mm
    << " algorithm=" << ToString(s.algorithm) << " subsets=" << s.subsets << " beta=" << r.beta
    << " delta=" << r.delta << " potential=" << ToString(r.potential)
    << " neighborhood=" << int(r.neighborhood) << " kappa=" << settings_.prior.kappa
    << " restart=" << ToString(s.restart) << " relax=" << s.EffectiveRelax() << "," << s.relax_power
    << " curvature=" << NameOf(kCurvatureRules, s.curvature)
    << " upper=" << (std::isfinite(s.upper_bound) ? s.upper_bound : -1.0)
    << " support=" << NameOf(kSupportKinds, settings_.support);
  return f.str();
}

ReconResult Reconstruct(const ScanData& scan, const ImageGeometry& grid,
                        const ReconSettings& settings, const ReconImages& images,
                        const ReconHooks& hooks) {
  const PreparedReconstruction prepared(scan, grid, settings, hooks.note);
  const OsSolver solver(prepared.problem(), settings.solver, prepared.support());
  std::vector<uint8_t> rmsd_mask;
  if (images.reference) {
    CheckSameGrid(grid, images.reference->geometry, "the reference's grid");
    rmsd_mask = prepared.ObjectMask(*images.reference);
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
    if (settings.solver.cost_every > 0 || settings.solver.restart == RestartRule::kFunction)
      first.cost = prepared.problem().Cost(state.x);
    if (images.reference) {
      first.rmsd_hu = RmsdHu(state.x, *images.reference, rmsd_mask, settings.mu_water_per_mm);
      result.final_rmsd_hu = first.rmsd_hu;
    }
    if (!iteration(first, state)) {
      result.summary.termination = Termination::kStopped;
      result.summary.message = "stopped before the first iteration";
      result.image = std::move(state.x);
      return result;
    }
  }
  result.summary = solver.Run(
      state,
      [&](const IterationRecord& record, const SolverState& s) {
        if (record.rmsd_hu) result.final_rmsd_hu = record.rmsd_hu;
        return iteration(record, s);
      },
      images.reference, rmsd_mask, settings.mu_water_per_mm);
  result.elapsed_s = state.elapsed_s;
  result.image = std::move(state.x);
  return result;
}

}  // namespace osmo
