// The PWLS reconstruction pipeline as one library call:
//   scan → statistical weights → projector, support, κ_j, β, prior → PWLS problem
//        → start image (FBP, zero or given) → OS-SQS with momentum → image.
// `osmo recon`, `osmo study` and bench/convergence_study are wiring around it: they read files,
// map their options onto ReconSettings and receive progress, log lines and checkpoints through
// the hooks. docs/ARCHITECTURE.md shows where each stage lives.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "projectors/projector.h"
#include "projectors/scan_data.h"
#include "recon/os_solver.h"
#include "recon/pipeline/grid_extension.h"
#include "recon/pipeline/recon_settings.h"
#include "recon/pwls_problem.h"
#include "recon/regularizer.h"

namespace osmo {

// Receives notes meant for a verbose log ("β = …", "initial image: FBP").
using NoteCallback = std::function<void(const std::string&)>;

// Everything between the scan and the solver, built once: weights, projector, support, the
// certainty factors κ_j, β and the PWLS problem. The scan must outlive it (its sinogram is
// referenced, not copied). Throws SettingError for settings the scan contradicts.
class PreparedReconstruction {
 public:
  PreparedReconstruction(const ScanData& scan, const ImageGeometry& grid,
                         const ReconSettings& settings, const NoteCallback& note = {});
  PreparedReconstruction(const PreparedReconstruction&) = delete;
  PreparedReconstruction& operator=(const PreparedReconstruction&) = delete;

  const ScanData& scan() const { return scan_; }
  // The grid the problem is solved on: the caller's grid, widened for truncated data
  // (SupportKind::kAuto) and lengthened to every slice a helical scan's rays cross; solver
  // states live on it.
  const ImageGeometry& grid() const { return grid_; }
  // An image of the caller's grid on grid() (zeros around it), and back.
  Image ToSolverGrid(const Image& x) const;
  Image ToOutputGrid(const Image& x) const;
  const ReconSettings& settings() const { return settings_; }
  const Sinogram& weights() const { return weights_; }
  const Projector& projector() const { return *projector_; }
  const Regularizer& regularizer() const { return *regularizer_; }
  const PwlsProblem& problem() const { return *problem_; }
  // Voxels that are reconstructed (1) or held at 0.
  const std::vector<uint8_t>& support() const { return support_; }
  double beta() const { return regularizer_->options().beta; }

  // The start image of settings().start: FBP (zero, with a note, when FBP cannot reconstruct
  // this scan, e.g. a limited-angle fan scan), zero, or `given` (required for StartKind::kImage,
  // on the grid up to rounding).
  Image StartImage(const Image* given, const NoteCallback& note = {}) const;
  // Support ∧ reference > 0 on grid(), for a reference on the caller's grid: the object, where
  // RMSD is measured.
  std::vector<uint8_t> ObjectMask(const Image& reference) const;
  // What a saved solver state belongs to: a hash of the sinogram, weights and angles, the grid and
  // every setting that changes the iterates (a checkpoint of another problem is refused).
  std::string Fingerprint() const;

 private:
  const ScanData& scan_;
  ImageGeometry output_grid_;  // the caller's
  GridPadding padding_;        // voxels grid_ adds around output_grid_
  ImageGeometry grid_;
  ReconSettings settings_;
  Sinogram weights_;
  std::unique_ptr<Projector> projector_;
  std::vector<uint8_t> support_;
  std::unique_ptr<Regularizer> regularizer_;
  std::unique_ptr<PwlsProblem> problem_;
  std::optional<Image> fbp_;  // the default FBP image; empty when FBP cannot reconstruct the scan
  std::string fbp_problem_;   // why not
  std::optional<double> image_noise_;  // RobustNoiseStd of the FBP image over the object

  void MakeFbp(const NoteCallback& note);
  void ExtendAlongTheHelix(const NoteCallback& note);
  double SupportRadiusMm(const NoteCallback& note);
  double DataScaledDelta(const NoteCallback& note);
  double BetaForFwhm(const RegularizerOptions& options, const std::vector<float>& certainty,
                     const NoteCallback& note) const;
  // May raise options.delta (see the definition).
  double DefaultBeta(RegularizerOptions& options, const Image& atw,
                     const std::vector<float>& certainty, const NoteCallback& note) const;
};

// How a front end follows and steers a run.
struct ReconHooks {
  NoteCallback note;
  // Called once after preparation: return a saved state (a checkpoint of prepared.Fingerprint())
  // to continue from, or nothing to start afresh.
  std::function<std::optional<SolverState>(const PreparedReconstruction& prepared)> resume;
  // Called with the start (iteration 0; not when resuming) and after every iteration; return false
  // to stop (the result then says Termination::kStopped). Log lines, progress and checkpoints
  // are written from here.
  IterationCallback iteration;
};

// Images a run may use besides the scan.
struct ReconImages {
  const Image* start = nullptr;      // StartKind::kImage
  const Image* reference = nullptr;  // RMSD in HU per iteration, on the grid
};

struct ReconResult {
  Image image;
  SolverSummary summary;
  double beta = 0.0;
  double elapsed_s = 0.0;               // solver time, including a resumed run's earlier part
  std::optional<double> final_rmsd_hu;  // with a reference
};

// Runs the whole pipeline. Throws SettingError (bad settings), InputError (unusable scan or
// images), DivergenceError (the iterates ran away).
ReconResult Reconstruct(const ScanData& scan, const ImageGeometry& grid,
                        const ReconSettings& settings, const ReconImages& images = {},
                        const ReconHooks& hooks = {});

}  // namespace osmo
