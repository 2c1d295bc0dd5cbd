// `osmo recon`: PWLS reconstruction with OS-SQS and momentum → volume and convergence log.
// The pipeline is the library's (recon/pipeline/reconstruction.h); this file maps the flags onto
// its settings and connects files, progress, log and checkpoints to its hooks.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include "projectors/error.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/cli/iteration_log.h"
#include "recon/cli/recon_command.h"
#include "recon/cli/setting_flags.h"
#include "recon/io/atomic_output.h"
#include "recon/io/checkpoint_file.h"
#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"
#include "recon/pipeline/reconstruction.h"

namespace osmo::cli {

namespace {

bool StartsFromFile(const ReconOptions& o) { return o.init != "fbp" && o.init != "zero"; }

// The reference for RMSD: --reference (a volume or a scan file's /reference), else the input
// scan's own /reference. A reference the user named must lie on the grid; the scan's own is
// skipped when it does not.
std::optional<Image> LoadReference(const ReconOptions& o, const ScanData& scan,
                                   const ImageGeometry& grid) {
  if (o.no_reference) return std::nullopt;
  if (o.reference.empty()) {
    if (!scan.reference) return std::nullopt;
    if (!SameGrid(grid, scan.reference->geometry)) return std::nullopt;
    Image reference = *scan.reference;
    reference.geometry = grid;
    return reference;
  }
  Image reference;
  if (IsHdf5File(o.reference)) {
    std::optional<Image> stored = ReadScanFile(o.reference).reference;
    if (!stored) throw InputError(o.reference + ": /reference", "a reference image", "nothing");
    reference = std::move(*stored);
  } else {
    reference = ReadMuVolume(o.reference);
  }
  CheckSameGrid(grid, reference.geometry, o.reference + ": the reference's grid");
  reference.geometry = grid;
  return reference;
}

// No output may overwrite an input or another output (`--log scan.h5` once destroyed the scan).
void CheckOutputsSpareInputs(const ReconOptions& o) {
  std::vector<std::string> inputs = {o.input, o.reference};
  if (StartsFromFile(o)) inputs.push_back(o.init);
  CheckNotAnInput(o.output, "--output", inputs);
  CheckNotAnInput(o.log, "--log", inputs);
  CheckNotAnInput(o.log, "--log", {o.output, o.checkpoint});
  if (!o.resume) CheckNotAnInput(o.checkpoint, "--checkpoint", inputs);
  CheckNotAnInput(o.checkpoint, "--checkpoint", {o.output});
}

std::string IterationText(const IterationRecord& r) {
  std::string text = r.cost ? "cost " + ToText(*r.cost) : "";
  if (r.rmsd_hu) text += "  RMSD " + ToText(*r.rmsd_hu) + " HU";
  if (r.gradient_norm) text += "  ‖P∇Ψ‖ " + ToText(*r.gradient_norm) + " of the start's";
  if (r.subsets > 1) text += "  M " + std::to_string(r.subsets);
  return text;
}

}  // namespace

ReconSettings SettingsFrom(const ReconOptions& o) {
  ReconSettings s;
  s.solver.algorithm = ParseEnum(kAlgorithms, o.algorithm, "solver.algorithm");
  s.solver.subsets = s.solver.algorithm == Algorithm::kSqs ? 1 : o.subsets;
  s.solver.iterations = o.iterations;
  s.solver.denominator = ParseEnum(kDenominatorRules, o.denominator, "solver.denominator");
  s.solver.nonuniform_floor = o.nonuniform_floor;
  if (!o.subset_schedule.empty()) {
    s.solver.subset_schedule =
        ParseEnum(kSubsetSchedules, o.subset_schedule, "solver.subset_schedule");
  }
  s.solver.restart = ParseEnum(kRestartRules, o.restart, "solver.restart");
  s.solver.relax = o.relax;
  s.solver.relax_power = o.relax_power;
  s.solver.ogm_last_rule = o.ogm_last_rule;
  if (!o.curvature.empty())
    s.solver.curvature = ParseEnum(kCurvatureRules, o.curvature, "solver.curvature");
  s.solver.lalm_relax = o.lalm_relax;
  if (o.upper_bound) s.solver.upper_bound = *o.upper_bound;
  s.solver.cost_every = o.cost_every;
  s.solver.tolerance = o.tolerance;
  s.solver.tolerance_on = ParseEnum(kToleranceRules, o.tolerance_on, "solver.tolerance_on");
  s.prior.potential = ParseEnum(kPotentials, o.potential, "prior.potential");
  s.prior.delta = o.delta;
  if (o.neighborhood != "auto")
    s.prior.neighborhood = ParseEnum(kNeighborhoods, o.neighborhood, "prior.neighborhood");
  s.prior.beta = o.beta;
  s.prior.beta_relative = o.beta_relative;
  s.prior.target_fwhm_mm = o.target_fwhm_mm;
  s.prior.noise_fraction = o.noise_fraction;
  s.prior.kappa = o.kappa;
  s.support = ParseEnum(kSupportKinds, o.support, "support");
  s.weighting = ParseEnum(kWeightings, o.weights, "weighting");
  s.start = o.init == "fbp"    ? StartKind::kFbp
            : o.init == "zero" ? StartKind::kZero
                               : StartKind::kImage;
  s.mu_water_per_mm = o.output_image.mu_water_per_mm.value_or(s.mu_water_per_mm);
  return s;
}

ReconOptions ParseReconWords(std::vector<std::string> words) {
  CLI::App app;
  ReconOptions options;
  AddReconOptions(&app, &options);
  std::reverse(words.begin(), words.end());  // CLI11 parses a reversed vector of arguments
  app.parse(words);
  return options;
}

void CheckReconOptions(const ReconOptions& o) {
  WithFlagNames([&] { SettingsFrom(o).Validate(); });
  o.output_image.Check(o.output);
  o.dx.Resolve();
  if (StartsFromFile(o)) CheckVolumeExtension(o.init);
  if (o.checkpoint_every < 1)
    throw InputError("--checkpoint-every", "K ≥ 1", std::to_string(o.checkpoint_every));
  if (o.resume && o.checkpoint.empty())
    throw InputError("--resume", "a --checkpoint FILE to resume from", "none");
}

// (0008,103E) of a DICOM output: the method and its parameters (at most 64 characters).
std::string SeriesDescription(const ReconOptions& o, const ReconResult& result) {
  return "osmo " + o.algorithm + " " + std::to_string(result.summary.iterations) + "it " +
         std::to_string(o.subsets) + "sub beta " + ToText(result.beta) + " " + o.potential;
}

void RunRecon(const ReconOptions& o) {
  // A stop request during setup takes effect after the first iteration (with its checkpoint).
  InstallStopHandlers();
  o.run.Apply();
  CheckReconOptions(o);
  o.output_image.CheckLocation(o.output);
  CheckOutputsSpareInputs(o);
  ReconSettings settings = SettingsFrom(o);

  ScanData scan = LoadScan(o.input, o.dx);
  settings.mu_water_per_mm = o.output_image.MuWater(scan);
  o.rings.Apply(scan, o.run.verbose);
  const ImageGeometry grid = o.grid.Resolve(scan.geometry);
  Note(o.run.verbose, "grid " + grid.Describe());
  const std::optional<Image> reference = LoadReference(o, scan, grid);
  std::optional<Image> start;
  if (StartsFromFile(o)) start = ReadMuVolume(o.init);

  std::string fingerprint;
  std::unique_ptr<IterationLog> log;
  Progress progress("osmo recon", o.progress.Resolve());
  ReconHooks hooks;
  hooks.note = [&](const std::string& text) { Note(o.run.verbose, text); };
  hooks.resume = [&](const PreparedReconstruction& prepared) -> std::optional<SolverState> {
    fingerprint = prepared.Fingerprint();
    std::optional<SolverState> state;
    if (o.resume) {
      state = ReadCheckpoint(o.checkpoint, fingerprint, prepared.grid());
      Note(o.run.verbose, "resuming after iteration " + std::to_string(state->iteration));
    }
    log = std::make_unique<IterationLog>(o.log, o.resume, state ? state->iteration : 0);
    return state;
  };
  hooks.iteration = [&](const IterationRecord& r, const SolverState& s) {
    log->Write(r);
    if (r.iteration == 0) return true;
    progress.Update(r.iteration, o.iterations, IterationText(r));
    if (o.run.verbose && progress.IsBar()) {
      progress.Finish();
      Note(true, "iteration " + std::to_string(r.iteration) + " " + ToText(r.time_s) + " s " +
                     IterationText(r) + (r.restarted ? " (restart)" : ""));
    }
    const bool stop = StopRequested();
    if (!o.checkpoint.empty() &&
        (stop || r.iteration % o.checkpoint_every == 0 || r.iteration == o.iterations)) {
      WriteCheckpoint(o.checkpoint, s, fingerprint);
    }
    return !stop;
  };
  const ReconResult result = WithFlagNames([&] {
    return Reconstruct(scan, grid, settings,
                       {start ? &*start : nullptr, reference ? &*reference : nullptr}, hooks);
  });
  progress.Finish();
  if (result.summary.termination == Termination::kStopped) {
    throw Interrupted("interrupted after iteration " + std::to_string(result.summary.iterations) +
                      (o.checkpoint.empty() ? ""
                                            : "; checkpoint written to " + o.checkpoint +
                                                  " (continue with --resume)"));
  }
  o.output_image.Write(o.output, result.image, scan, SeriesDescription(o, result), o.run.verbose);
  std::cout << "osmo recon: " << result.summary.message << " in " << ToText(result.elapsed_s)
            << " s"
            << (result.final_rmsd_hu ? ", RMSD " + ToText(*result.final_rmsd_hu) + " HU" : "")
            << ", wrote " << o.output << "\n";
}

void AddReconOptions(CLI::App* sub, ReconOptions* o) {
  sub->add_option("input", o->input, "Scan file (.h5), osmo or DXchange")->required();
  sub->add_option(
         "-o,--output", o->output,
         "Output volume (.mha .mhd .nrrd .nii .nii.gz) or DICOM series folder (see --format)")
      ->required();
  sub->add_option("--algorithm", o->algorithm, DescribeNames(kAlgorithms))->capture_default_str();
  sub->add_option("--subsets", o->subsets,
                  "Ordered subsets M (interleaved views, bit-reversal order)")
      ->capture_default_str();
  sub->add_option("--subset-schedule", o->subset_schedule,
                  "How M evolves: " + DescribeNames(kSubsetSchedules) +
                      " (default: adaptive with momentum, fixed for os-sqs); adaptive ends at 1 "
                      "subset, where momentum converges to the minimiser");
  sub->add_option("--iterations", o->iterations, "Iterations (passes over all subsets)")
      ->capture_default_str();
  sub->add_option("--beta", o->beta,
                  "Regularisation strength β (default: the larger of the --beta-relative and "
                  "--noise-fraction rules, docs/RECONSTRUCTION.md)");
  sub->add_option("--target-fwhm-mm", o->target_fwhm_mm,
                  "β for this resolution at the image centre instead, FWHM in mm of the local "
                  "impulse response for contrasts below δ (-v prints FBP's for comparison)");
  sub->add_option("--noise-fraction", o->noise_fraction,
                  "β for a predicted noise at the image centre of this fraction of FBP's "
                  "(statistical weights as inverse variances; the potential's mean curvature at "
                  "that noise taken into account). Default 0.3 when neither this nor "
                  "--beta-relative is given; with both, the larger β");
  sub->add_option("--beta-relative", o->beta_relative,
                  "β relative to the data: β = r · median(dx·[Aᵀw]_j) / Σκ, a fixed resolution in "
                  "voxels (docs/RECONSTRUCTION.md). Default 4 when neither this nor "
                  "--noise-fraction is given; with both, the larger β");
  sub->add_option("--delta", o->delta,
                  "Edge scale δ of the potential, 1/mm (default: 1 % of the object's median μ "
                  "in the FBP image; 0.0002/mm = 10 HU for soft tissue)");
  sub->add_option("--potential", o->potential,
                  "Edge-preserving potential ψ: " + DescribeNames(kPotentials))
      ->capture_default_str();
  sub->add_option("--neighborhood", o->neighborhood,
                  DescribeNames(kNeighborhoods) + "; auto: 26 for cone beam, 8 otherwise")
      ->capture_default_str();
  sub->add_flag("--kappa", o->kappa, "Resolution-uniformising κ_j = sqrt(Σa_ij w_i / Σa_ij)");
  sub->add_option("--init", o->init, "Initial image: fbp, zero, or a volume file")
      ->capture_default_str();
  sub->add_option("--restart", o->restart,
                  "Adaptive momentum restart: " + DescribeNames(kRestartRules))
      ->capture_default_str();
  sub->add_option(
      "--relax", o->relax,
      "Relaxed momentum γ (0: off): denominators grow as (k+2)^c·γ·10^⌊log10 max D⌋ over "
      "sub-iterations k (default: 1e-4·(M/12)^1.5 for momentum algorithms, 0 for sqs/os-sqs)");
  sub->add_option("--relax-power", o->relax_power, "Exponent c of the relaxation")
      ->capture_default_str();
  sub->add_flag("--ogm-last-rule", o->ogm_last_rule,
                "OGM: last-iteration θ_N = (1 + sqrt(1 + 8θ²))/2, output the momentum point");
  sub->add_option("--curvature", o->curvature,
                  "Regulariser curvature in the SQS denominator: " +
                      DescribeNames(kCurvatureRules) + " (default: huber for os-lalm, else max)");
  sub->add_option("--lalm-relax", o->lalm_relax,
                  "os-lalm: relaxation α in [1, 2) of the averaged gradient (1: OS-LALM of Nien & "
                  "Fessler 2015)")
      ->capture_default_str();
  sub->add_option("--denominator", o->denominator,
                  "SQS denominator: " + DescribeNames(kDenominatorRules))
      ->capture_default_str();
  sub->add_option("--nonuniform-floor", o->nonuniform_floor,
                  "NU-SQS: u_j ≥ ε·max|Δx| (ε, a fraction of the largest update)")
      ->capture_default_str();
  sub->add_option("--upper-bound", o->upper_bound, "Upper bound on μ, 1/mm (default: none)");
  sub->add_option("--support", o->support, "Voxels to reconstruct: " + DescribeNames(kSupportKinds))
      ->capture_default_str();
  sub->add_option("--weights", o->weights,
                  "Statistical weights: " + DescribeNames(kWeightings) +
                      "; log data: w ∝ e^−y, normalised to mean 1")
      ->capture_default_str();
  sub->add_option(
      "--reference", o->reference,
      "Reference for RMSD (HU, inside the object): a volume or a scan file's /reference "
      "(default: the input's own /reference when on the same grid)");
  sub->add_flag("--no-reference", o->no_reference, "Do not compute RMSD");
  sub->add_option("--log", o->log,
                  "Convergence log, JSON lines: iteration, time_s, cost, rmsd_hu, restarted, "
                  "gradient_norm");
  sub->add_option("--cost-every", o->cost_every,
                  "Compute the cost and the convergence certificate ‖P∇Ψ(x_n)‖/‖P∇Ψ(x_0)‖ (the "
                  "projected gradient relative to the start's) every K iterations (costs one "
                  "forward and one back projection more; 0: never)")
      ->capture_default_str();
  sub->add_option("--tolerance", o->tolerance,
                  "Stop when the measure of --tolerance-on falls below this (0: off)")
      ->capture_default_str();
  sub->add_option("--tolerance-on", o->tolerance_on,
                  "What --tolerance measures: " + DescribeNames(kToleranceRules))
      ->capture_default_str();
  sub->add_option(
      "--checkpoint", o->checkpoint,
      "Checkpoint file (.h5) written every K iterations, at the end and on SIGINT/SIGTERM");
  sub->add_option("--checkpoint-every", o->checkpoint_every, "K")->capture_default_str();
  sub->add_flag("--resume", o->resume,
                "Continue from --checkpoint (same options; --iterations may grow)");
  o->grid.Add(sub);
  o->output_image.Add(sub);
  o->dx.Add(sub);
  o->run.Add(sub);
  o->progress.Add(sub);
  o->rings.Add(sub);
}

void RegisterRecon(CLI::App& app) {
  auto o = std::make_shared<ReconOptions>();
  CLI::App* sub = app.add_subcommand(
      "recon",
      "Penalized weighted least-squares reconstruction (OS-SQS with Nesterov/OGM momentum)");
  AddReconOptions(sub, o.get());
  sub->callback([o] { RunRecon(*o); });
}

}  // namespace osmo::cli
