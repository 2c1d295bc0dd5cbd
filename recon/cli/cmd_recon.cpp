// `osmo recon`: PWLS reconstruction with OS-SQS and momentum → volume and convergence log.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "projectors/error.h"
#include "projectors/projector.h"
#include "recon/cli/batch_manifest.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/cli/recon_command.h"
#include "recon/default_beta.h"
#include "recon/fbp.h"
#include "recon/io/atomic_output.h"
#include "recon/io/checkpoint_file.h"
#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"
#include "recon/metrics.h"
#include "recon/os_solver.h"

namespace osmo::cli {

namespace {

// Cone beam reconstructs a true volume (3D neighbours); slice stacks are independent slices.
std::string NeighborhoodFor(const ReconOptions& o, const ScanData& scan) {
  if (o.neighborhood != "auto") return o.neighborhood;
  return scan.geometry.kind == ScanKind::kCone ? "26" : "8";
}

// What a checkpoint belongs to: the data (a hash of the sinogram, weights and angles, so another
// scan under the same name is refused), the grid and every option that changes the iterates.
std::string Fingerprint(const ReconOptions& o, const ImageGeometry& grid, const ScanData& scan,
                        const Sinogram& weights, double beta) {
  uint64_t data = Fnv1aBytes(scan.sinogram.values.data(), scan.sinogram.values.size() * 4);
  data = Fnv1aBytes(weights.values.data(), weights.values.size() * 4, data);
  data = Fnv1aBytes(scan.geometry.angles_rad.data(), scan.geometry.angles_rad.size() * 8, data);
  std::ostringstream f;
  f.precision(12);
  f << "data=" << std::hex << data << std::dec << " views=" << scan.geometry.NumViews()
    << " bins=" << scan.geometry.NumBins() << " grid=" << grid.nx << "x" << grid.ny << "x"
    << grid.nz << "@" << grid.voxel_size_mm << "," << grid.slice_thickness_mm
    << " algorithm=" << o.algorithm << " subsets=" << o.subsets << " beta=" << beta
    << " delta=" << o.delta << " potential=" << o.potential
    << " neighborhood=" << NeighborhoodFor(o, scan) << " kappa=" << o.kappa
    << " restart=" << o.restart << " relax=" << EffectiveRelax(o) << "," << o.relax_power
    << " curvature=" << o.curvature << " upper=" << o.upper_bound.value_or(-1)
    << " support=" << o.support;
  return f.str();
}

// The reference for RMSD: --reference (a volume or a scan file's /reference), else the input
// scan's own /reference. It must lie on the reconstruction grid.
std::optional<Image> LoadReference(const ReconOptions& o, const ScanData& scan,
                                   const ImageGeometry& grid) {
  if (o.no_reference) return std::nullopt;
  std::optional<Image> reference;
  std::string source;
  if (!o.reference.empty()) {
    source = o.reference;
    if (IsHdf5File(o.reference)) {
      reference = ReadScanFile(o.reference).reference;
      if (!reference)
        throw InputError(o.reference + ": /reference", "a reference image", "nothing");
    } else {
      reference = ReadMuVolume(o.reference);
    }
  } else if (scan.reference) {
    source = o.input + " /reference";
    reference = scan.reference;
  }
  if (!reference) return std::nullopt;
  try {
    CheckSameGrid(grid, reference->geometry, source + ": the reference's grid");
  } catch (const InputError&) {
    if (!o.reference.empty()) throw;  // a reference the user named must fit
    return std::nullopt;              // the scan's own reference is on another grid: no RMSD
  }
  reference->geometry = grid;
  return reference;
}

class IterationLog {
 public:
  // A resumed run appends to the log of the run it continues, keeping the lines up to its
  // checkpoint's iteration: lines written after the checkpoint by a killed run would otherwise
  // appear twice.
  IterationLog(const std::string& path, bool append, int64_t keep_through_iteration) : path_(path) {
    if (path.empty()) return;
    CheckOutputLocation(path);
    if (append) {
      std::ifstream in(path);
      std::string line, kept;
      while (std::getline(in, line)) {
        try {
          if (nlohmann::json::parse(line).value("iteration", int64_t(-1)) > keep_through_iteration)
            continue;
        } catch (const std::exception&) {
          continue;  // a line cut by the kill
        }
        kept += line + "\n";
      }
      WriteTextAtomically(path, kept);
    }
    out_.open(path, append ? std::ios::app : std::ios::trunc);
    if (!out_) throw InputError(path, "a writable log file", "a file that cannot be created");
  }
  void Write(const IterationRecord& r) {
    if (!out_.is_open()) return;
    nlohmann::json line;
    line["iteration"] = r.iteration;
    line["time_s"] = r.time_s;
    line["cost"] = r.cost ? nlohmann::json(*r.cost) : nlohmann::json(nullptr);
    line["rmsd_hu"] = r.rmsd_hu ? nlohmann::json(*r.rmsd_hu) : nlohmann::json(nullptr);
    line["restarted"] = r.restarted;
    out_ << line.dump() << "\n";
    out_.flush();
    if (!out_) throw InputError(path_, "a written log line", "a write error (disk full?)");
  }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace

double EffectiveRelax(const ReconOptions& o) {
  if (o.relax) return *o.relax;
  const Algorithm a = ParseAlgorithm(o.algorithm);
  if (a == Algorithm::kSqs || a == Algorithm::kOsSqs) return 0.0;
  return kDefaultRelax * std::pow(double(o.subsets) / 12.0, 1.5);
}

void CheckReconOptions(const ReconOptions& o) {
  ParseAlgorithm(o.algorithm);
  ParseRestart(o.restart);
  ParseCurvature(o.curvature);
  ParsePotential(o.potential);
  if (o.neighborhood != "auto") ParseNeighborhood(o.neighborhood);
  o.units.Resolve();
  o.dx.Resolve();
  CheckVolumeExtension(o.output);
  if (o.init != "fbp" && o.init != "zero") CheckVolumeExtension(o.init);
  if (o.support != "fov" && o.support != "all")
    throw InputError("--support", "fov or all", "\"" + o.support + "\"");
  if (o.subsets < 1) throw InputError("--subsets", "M ≥ 1", std::to_string(o.subsets));
  if (o.iterations < 0)
    throw InputError("--iterations", "a count ≥ 0", std::to_string(o.iterations));
  if (!(o.beta_relative > 0.0) || !std::isfinite(o.beta_relative)) {
    throw InputError("--beta-relative", "a positive factor", ToText(o.beta_relative));
  }
  if (o.beta && (!(*o.beta >= 0.0) || !std::isfinite(*o.beta)))
    throw InputError("--beta", "β ≥ 0", ToText(*o.beta));
  if (!(o.delta > 0.0) || !std::isfinite(o.delta))
    throw InputError("--delta", "δ > 0 (1/mm)", ToText(o.delta));
  if (o.relax && (!(*o.relax >= 0.0) || !std::isfinite(*o.relax)))
    throw InputError("--relax", "γ ≥ 0", ToText(*o.relax));
  if (o.checkpoint_every < 1)
    throw InputError("--checkpoint-every", "K ≥ 1", std::to_string(o.checkpoint_every));
  if (o.cost_every < 0) throw InputError("--cost-every", "K ≥ 0", std::to_string(o.cost_every));
  if (o.resume && o.checkpoint.empty())
    throw InputError("--resume", "a --checkpoint FILE to resume from", "none");
}

namespace {

// The solver's options from the command's (names checked by CheckReconOptions).
SolverOptions SolverOptionsFrom(const ReconOptions& o) {
  SolverOptions s;
  s.algorithm = ParseAlgorithm(o.algorithm);
  s.subsets = s.algorithm == Algorithm::kSqs ? 1 : o.subsets;
  s.iterations = o.iterations;
  s.restart = ParseRestart(o.restart);
  s.relax = EffectiveRelax(o);
  s.relax_power = o.relax_power;
  s.ogm_last_rule = o.ogm_last_rule;
  s.curvature = ParseCurvature(o.curvature);
  if (o.upper_bound) s.upper_bound = *o.upper_bound;
  s.cost_every = o.cost_every;
  s.tolerance = o.tolerance;
  return s;
}

}  // namespace

namespace {

// No output may overwrite an input or another output (`--log scan.h5` once destroyed the scan).
void CheckOutputsSpareInputs(const ReconOptions& o) {
  std::vector<std::string> inputs = {o.input, o.reference};
  if (o.init != "fbp" && o.init != "zero") inputs.push_back(o.init);
  CheckNotAnInput(o.output, "--output", inputs);
  CheckNotAnInput(o.log, "--log", inputs);
  CheckNotAnInput(o.log, "--log", {o.output, o.checkpoint});
  if (!o.resume) CheckNotAnInput(o.checkpoint, "--checkpoint", inputs);
  CheckNotAnInput(o.checkpoint, "--checkpoint", {o.output});
}

}  // namespace

void RunRecon(const ReconOptions& o) {
  // A stop request during setup takes effect after the first iteration (with its checkpoint).
  InstallStopHandlers();
  o.run.Apply();
  CheckReconOptions(o);
  CheckOutputLocation(o.output);
  CheckOutputsSpareInputs(o);
  const VolumeWriteOptions write = o.units.Resolve();
  SolverOptions solver_options = SolverOptionsFrom(o);
  RegularizerOptions reg;
  reg.potential = ParsePotential(o.potential);
  reg.delta = o.delta;

  const ScanData scan = LoadScan(o.input, o.dx);
  reg.neighborhood = ParseNeighborhood(NeighborhoodFor(o, scan));
  const ImageGeometry grid = o.grid.Resolve(scan.geometry);
  solver_options.Validate(scan.geometry.NumViews());
  const Sinogram weights = WeightsOf(scan, o.run.verbose);
  auto projector = MakeProjector(grid, scan.geometry);
  Note(o.run.verbose, "grid " + std::to_string(grid.nx) + "×" + std::to_string(grid.ny) + "×" +
                          std::to_string(grid.nz) + " voxels of " + ToText(grid.voxel_size_mm) +
                          " × " + ToText(grid.slice_thickness_mm) + " mm");

  std::vector<uint8_t> support = o.support == "fov"
                                     ? CircularMask(grid, scan.geometry.FieldOfViewRadiusMm())
                                     : std::vector<uint8_t>(size_t(grid.NumVoxels()), 1);
  // Aᵀw sets the default β and the optional resolution-uniformising κ_j = sqrt(Aᵀw / Aᵀ1).
  Image atw(grid);
  projector->Back(weights, atw);
  std::vector<float> uniformity;
  if (o.kappa) {
    Image at1(grid);
    projector->Back(Sinogram(scan.geometry, 1.0f), at1);
    uniformity.resize(size_t(grid.NumVoxels()));
    for (size_t j = 0; j < uniformity.size(); ++j) {
      uniformity[j] =
          at1.values[j] > 0 ? std::sqrt(std::max(atw.values[j], 0.0f) / at1.values[j]) : 0.0f;
    }
  }
  {
    const Regularizer probe(grid,
                            RegularizerOptions{reg.potential, 0.0, reg.delta, reg.neighborhood});
    reg.beta = o.beta ? *o.beta
                      : DataScaledBeta(o.beta_relative, atw, uniformity, support,
                                       probe.InteriorKappaSum());
  }
  Note(o.run.verbose,
       std::string("β = ") + ToText(reg.beta) +
           (o.beta ? "" : " (from --beta-relative " + ToText(o.beta_relative) + ")"));
  const Regularizer regularizer(grid, reg, uniformity);
  const PwlsProblem problem(*projector, scan.sinogram, weights, regularizer);
  const OsSolver solver(problem, solver_options, support);

  const std::optional<Image> reference = LoadReference(o, scan, grid);
  std::vector<uint8_t> rmsd_mask;
  if (reference) {
    rmsd_mask = support;
    for (size_t j = 0; j < rmsd_mask.size(); ++j)
      rmsd_mask[j] = rmsd_mask[j] && reference->values[j] > 0.0f;
  }

  const std::string fingerprint = Fingerprint(o, grid, scan, weights, reg.beta);
  SolverState state;
  if (o.resume) {
    state = ReadCheckpoint(o.checkpoint, fingerprint, grid);
    Note(o.run.verbose, "resuming after iteration " + std::to_string(state.iteration));
  } else {
    Image x0(grid);
    if (o.init == "fbp") {
      Note(o.run.verbose, "initial image: FBP (hann)");
      x0 = FilteredBackprojection(scan.geometry, scan.sinogram, grid, {});
    } else if (o.init != "zero") {
      x0 = ReadMuVolume(o.init);
      CheckSameGrid(grid, x0.geometry, o.init + ": the initial image's grid");
      x0.geometry = grid;  // the same grid up to the file's rounding
    }
    state = solver.Start(x0);
  }

  IterationLog log(o.log, o.resume, state.iteration);
  if (state.iteration == 0) {
    IterationRecord first;
    if (o.cost_every > 0 || solver_options.restart == RestartRule::kFunction)
      first.cost = problem.Cost(state.x);
    if (reference) first.rmsd_hu = RmsdHu(state.x, *reference, rmsd_mask, write.mu_water_per_mm);
    log.Write(first);
  }
  Progress progress("osmo recon", o.progress.Resolve());
  std::optional<double> last_rmsd;
  const SolverSummary summary = solver.Run(
      state,
      [&](const IterationRecord& r, const SolverState& s) {
        log.Write(r);
        last_rmsd = r.rmsd_hu;
        std::string text = r.cost ? "cost " + ToText(*r.cost) : "";
        if (r.rmsd_hu) text += "  RMSD " + ToText(*r.rmsd_hu) + " HU";
        progress.Update(r.iteration, o.iterations, text);
        if (o.run.verbose && progress.IsBar()) {
          progress.Finish();
          Note(true, "iteration " + std::to_string(r.iteration) + " " + ToText(r.time_s) + " s " +
                         text + (r.restarted ? " (restart)" : ""));
        }
        const bool stop = StopRequested();
        if (!o.checkpoint.empty() &&
            (stop || r.iteration % o.checkpoint_every == 0 || r.iteration == o.iterations)) {
          WriteCheckpoint(o.checkpoint, s, fingerprint);
        }
        return !stop;
      },
      reference ? &*reference : nullptr, rmsd_mask, write.mu_water_per_mm);
  progress.Finish();
  if (summary.termination == Termination::kStopped) {
    throw Interrupted("interrupted after iteration " + std::to_string(state.iteration) +
                      (o.checkpoint.empty() ? ""
                                            : "; checkpoint written to " + o.checkpoint +
                                                  " (continue with --resume)"));
  }
  WriteVolume(o.output, state.x, write);
  std::cout << "osmo recon: " << summary.message << " in " << ToText(state.elapsed_s) << " s"
            << (last_rmsd ? ", RMSD " + ToText(*last_rmsd) + " HU" : "") << ", wrote " << o.output
            << "\n";
}

void AddReconOptions(CLI::App* sub, ReconOptions* o) {
  sub->add_option("input", o->input, "Scan file (.h5), osmo or DXchange")->required();
  sub->add_option("-o,--output", o->output, "Output volume (.mha .mhd .nrrd .nii .nii.gz)")
      ->required();
  sub->add_option("--algorithm", o->algorithm, DescribeNames(kAlgorithms))->capture_default_str();
  sub->add_option("--subsets", o->subsets,
                  "Ordered subsets M (interleaved views, bit-reversal order)")
      ->capture_default_str();
  sub->add_option("--iterations", o->iterations, "Iterations (passes over all subsets)")
      ->capture_default_str();
  sub->add_option("--beta", o->beta,
                  "Regularisation strength β (default: from --beta-relative and the data)");
  sub->add_option(
         "--beta-relative", o->beta_relative,
         "β relative to the data: β = r · median(dx·[Aᵀw]_j) / Σκ (see docs/RECONSTRUCTION.md)")
      ->capture_default_str();
  sub->add_option("--delta", o->delta, "Edge scale δ of the potential, 1/mm (0.0002/mm = 10 HU)")
      ->capture_default_str();
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
                  "Regulariser curvature in the SQS denominator: " + DescribeNames(kCurvatureRules))
      ->capture_default_str();
  sub->add_option("--upper-bound", o->upper_bound, "Upper bound on μ, 1/mm (default: none)");
  sub->add_option("--support", o->support, "Voxels to reconstruct: fov (the scanned circle) or all")
      ->capture_default_str();
  sub->add_option(
      "--reference", o->reference,
      "Reference for RMSD (HU, inside the object): a volume or a scan file's /reference "
      "(default: the input's own /reference when on the same grid)");
  sub->add_flag("--no-reference", o->no_reference, "Do not compute RMSD");
  sub->add_option("--log", o->log,
                  "Convergence log, JSON lines: iteration, time_s, cost, rmsd_hu, restarted");
  sub->add_option("--cost-every", o->cost_every,
                  "Compute the cost every K iterations (costs one projection; 0: never)")
      ->capture_default_str();
  sub->add_option("--tolerance", o->tolerance, "Stop when ‖x_n − x_n−1‖/‖x_n‖ falls below (0: off)")
      ->capture_default_str();
  sub->add_option(
      "--checkpoint", o->checkpoint,
      "Checkpoint file (.h5) written every K iterations, at the end and on SIGINT/SIGTERM");
  sub->add_option("--checkpoint-every", o->checkpoint_every, "K")->capture_default_str();
  sub->add_flag("--resume", o->resume,
                "Continue from --checkpoint (same options; --iterations may grow)");
  o->grid.Add(sub);
  o->units.Add(sub);
  o->dx.Add(sub);
  o->run.Add(sub);
  o->progress.Add(sub);
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
