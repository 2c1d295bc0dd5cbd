// Convergence study (issue "PWLS reconstruction"): RMSD to a converged reference x̂ per
// iteration and per second for the OS-SQS family at several subset counts. Results as JSON lines
// for scripts/plot_convergence.py; see docs/BENCHMARKS.md for the protocol and the numbers.
// Usage: convergence_study SCAN.h5 OUT_DIR [REFERENCE_ITERATIONS (1000)] [ITERATIONS (30)]
// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "projectors/geometry_presets.h"
#include "recon/io/scan_file.h"
#include "recon/metrics.h"
#include "recon/os_solver.h"
#include "recon/pipeline/reconstruction.h"

namespace osmo {
namespace {

// The problem of `osmo recon` with its defaults (fair potential, δ = 10 HU, β from the data with
// r = 4), built by the same library call, so the study measures what users run.
struct Setup {
  ScanData scan;
  std::unique_ptr<PreparedReconstruction> prepared;
  std::vector<uint8_t> mask;  // the object: support ∧ reference > 0
  Image fbp;
  const ImageGeometry& grid() const { return prepared->grid(); }
  const PwlsProblem& problem() const { return prepared->problem(); }
  const std::vector<uint8_t>& support() const { return prepared->support(); }
};

double RmsHu(const Image& a, const Image& b, const std::vector<uint8_t>& mask) {
  return RmsdHu(a, b, mask);
}

// Norm of the projected gradient over the support: ∇Ψ_j where x_j > 0, min(∇Ψ_j, 0) on the bound
// (zero exactly at a minimiser of Ψ over x ≥ 0).
double ProjectedGradientNorm(const Setup& s, const Image& x) {
  Image gradient(s.grid());
  s.problem().DataGradient(x, AllViews(s.scan.geometry.NumViews()), 1.0, gradient);
  s.prepared->regularizer().AddGradient(x, gradient);
  double sum = 0.0;
  for (size_t j = 0; j < x.values.size(); ++j) {
    if (!s.support()[j]) continue;
    const double g = x.values[j] > 0.0f ? gradient.values[j] : std::min(gradient.values[j], 0.0f);
    sum += g * g;
  }
  return std::sqrt(sum);
}

Image Run(const Setup& s, const SolverOptions& options, const Image& x0, const Image* reference,
          std::ofstream* out, const std::string& name) {
  OsSolver solver(s.problem(), options, s.support());
  SolverState state = solver.Start(x0);
  auto record = [&](int64_t iteration, double time_s, double rmsd) {
    if (!out) return;
    nlohmann::json line = {
        {"method", name},         {"subsets", options.subsets}, {"subsets_now", state.subsets},
        {"iteration", iteration}, {"time_s", time_s},           {"rmsd_hu", rmsd}};
    *out << line.dump() << "\n";
  };
  if (reference) record(0, 0.0, RmsHu(state.x, *reference, s.mask));
  solver.Run(
      state,
      [&](const IterationRecord& r, const SolverState&) {
        if (r.rmsd_hu) record(r.iteration, r.time_s, *r.rmsd_hu);
        return true;
      },
      reference, s.mask);
  if (out) out->flush();
  return state.x;
}

// The converged reference x̂ (cached in OUT_DIR/xhat.f32): 10 iterations of os-nes05 with 12
// subsets from FBP, then 1-subset Nes83 with gradient restart; every 100 iterations, the change
// since the last report and the projected gradient.
Image ConvergedReference(const Setup& s, const std::string& out_dir, int64_t reference_iterations) {
  const std::string xhat_path = out_dir + "/xhat.f32";
  Image xhat(s.grid());
  if (std::ifstream in{xhat_path, std::ios::binary}) {
    in.read(reinterpret_cast<char*>(xhat.data()), std::streamsize(xhat.size() * 4));
    std::printf("reference loaded from %s: projected gradient %.3g of FBP's\n", xhat_path.c_str(),
                ProjectedGradientNorm(s, xhat) / ProjectedGradientNorm(s, s.fbp));
  } else {
    SolverOptions warm;
    warm.algorithm = Algorithm::kOsNes05;
    warm.subsets = 12;
    warm.iterations = 10;
    warm.relax = 0.0;
    Image x = Run(s, warm, s.fbp, nullptr, nullptr, "");
    SolverOptions long_run;
    long_run.algorithm = Algorithm::kOsNes83;
    long_run.subsets = 1;
    long_run.iterations = reference_iterations;
    long_run.restart = RestartRule::kGradient;
    long_run.relax = 0.0;
    OsSolver solver(s.problem(), long_run, s.support());
    SolverState state = solver.Start(x);
    Image last = state.x;
    const double initial_gradient = ProjectedGradientNorm(s, s.fbp);
    std::ofstream report(out_dir + "/reference.txt");
    solver.Run(state, [&](const IterationRecord& r, const SolverState& st) {
      if (r.iteration % 100 == 0 || r.iteration == reference_iterations) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "iteration %ld: change since last report %.4f HU, projected gradient %.3g of "
                      "FBP's, cost %.10g, %.0f s\n",
                      r.iteration, RmsHu(st.x, last, s.mask),
                      ProjectedGradientNorm(s, st.x) / initial_gradient, s.problem().Cost(st.x),
                      r.time_s);
        std::fputs(line, stdout);
        report << line;
        std::fflush(stdout);
        last = st.x;
      }
      return true;
    });
    xhat = state.x;
    std::ofstream(xhat_path, std::ios::binary)
        .write(reinterpret_cast<const char*>(xhat.data()), std::streamsize(xhat.size() * 4));
  }

  return xhat;
}

// Tuning aid: RMSD after `iterations` for relaxed Nes05/OGM2 over γ and M.
void SweepRelaxation(const Setup& s, const Image& xhat, int64_t iterations) {
  for (int64_t m : {12, 24, 48}) {
    for (Algorithm a : {Algorithm::kOsNes05, Algorithm::kOsOgm2}) {
      for (double gamma : {1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3}) {
        SolverOptions o;
        o.algorithm = a;
        o.subsets = m;
        o.iterations = iterations;
        o.relax = gamma;
        const Image x = Run(s, o, s.fbp, nullptr, nullptr, "");
        std::printf("%s M=%ld relax %g: %.3f HU\n", ToString(a), m, gamma, RmsHu(x, xhat, s.mask));
        std::fflush(stdout);
      }
    }
  }
}

// Tuning aid: the relaxation exponent c at 12 and 24 subsets.
void SweepRelaxationPower(const Setup& s, const Image& xhat, int64_t iterations) {
  for (int64_t m : {12, 24}) {
    for (Algorithm a : {Algorithm::kOsNes05, Algorithm::kOsOgm2}) {
      for (double power : {1.0, 2.0}) {
        for (double gamma : {3e-5, 1e-4, 3e-4, 1e-3}) {
          SolverOptions o;
          o.algorithm = a;
          o.subsets = m;
          o.iterations = iterations;
          o.relax = gamma;
          o.relax_power = power;
          const Image x = Run(s, o, s.fbp, nullptr, nullptr, "");
          std::printf("%s M=%ld c=%g relax %g: %.3f HU\n", ToString(a), m, power, gamma,
                      RmsHu(x, xhat, s.mask));
          std::fflush(stdout);
        }
      }
    }
  }
}

// RMSD to x̂ after each iteration of `o` from the FBP start; `subsets_now`: M at the end.
std::vector<double> RmsdPerIteration(const Setup& s, const SolverOptions& o, const Image& xhat,
                                     int64_t* subsets_now) {
  OsSolver solver(s.problem(), o, s.support());
  SolverState state = solver.Start(s.fbp);
  std::vector<double> rmsd;
  solver.Run(state, [&](const IterationRecord&, const SolverState& st) {
    rmsd.push_back(RmsHu(st.x, xhat, s.mask));
    return true;
  });
  *subsets_now = state.subsets;
  return rmsd;
}

// Tuning aid: NU-SQS (floor ε) against the uniform denominator at 12 and 24 subsets; RMSD after
// 5, 10 and `iterations` iterations.
void SweepNonuniform(const Setup& s, const Image& xhat, int64_t iterations) {
  for (int64_t m : {12, 24}) {
    for (Algorithm a : {Algorithm::kOsOgm2, Algorithm::kOsNes05}) {
      for (double floor : {0.0, 0.01, 0.05, 0.2}) {
        SolverOptions o;
        o.algorithm = a;
        o.subsets = m;
        o.iterations = iterations;
        if (floor > 0.0) {
          o.denominator = DenominatorRule::kNonuniform;
          o.nonuniform_floor = floor;
        }
        int64_t subsets_now = 0;
        const std::vector<double> rmsd = RmsdPerIteration(s, o, xhat, &subsets_now);
        std::printf("%s M=%ld floor %g: 5 %.3f  10 %.3f  20 %.3f  %ld %.3f HU (M now %ld)\n",
                    ToString(a), m, floor, rmsd[4], rmsd[9], rmsd[19], iterations, rmsd.back(),
                    subsets_now);
        std::fflush(stdout);
      }
    }
  }
}

// Tuning aid: OS-LALM's relaxation α and regulariser curvature over M; RMSD after 5, 10, 20 and
// `iterations` iterations (at least 20).
void SweepLalm(const Setup& s, const Image& xhat, int64_t iterations) {
  for (CurvatureRule curvature : {CurvatureRule::kHuber, CurvatureRule::kMax}) {
    for (int64_t m : {12, 16, 20, 24, 32, 48}) {
      for (double alpha : {1.0, 1.25, 1.5, 1.999}) {
        SolverOptions o;
        o.algorithm = Algorithm::kOsLalm;
        o.subsets = m;
        o.iterations = iterations;
        o.lalm_relax = alpha;
        o.curvature = curvature;
        int64_t subsets_now = 0;
        const std::vector<double> rmsd = RmsdPerIteration(s, o, xhat, &subsets_now);
        std::printf("os-lalm %s M=%ld alpha %g: 5 %.3f  10 %.3f  20 %.3f  %ld %.3f HU\n",
                    NameOf(kCurvatureRules, curvature), m, alpha, rmsd[4], rmsd[9], rmsd[19],
                    iterations, rmsd.back());
        std::fflush(stdout);
      }
    }
  }
}

// The study itself: RMSD to x̂ per iteration for each method and subset count (results.jsonl).
void CompareMethods(const Setup& s, const Image& xhat, const std::string& out_dir,
                    int64_t iterations) {
  std::ofstream results(out_dir + "/results.jsonl");
  struct Method {
    std::string name;
    Algorithm algorithm;
    std::optional<SubsetSchedule> schedule;  // unset: osmo recon's default
    std::optional<double> relax;             // unset: osmo recon's default γ(M)
    DenominatorRule denominator = DenominatorRule::kUniform;
  };
  constexpr auto kAdaptive = SubsetSchedule::kAdaptive, kFixed = SubsetSchedule::kFixed;
  // osmo recon's defaults (adaptive subsets, relaxation γ(M)) against M fixed, with and without
  // relaxation.
  const Method methods[] = {{"os-sqs", Algorithm::kOsSqs, std::nullopt, std::nullopt},
                            {"os-sqs adaptive M", Algorithm::kOsSqs, kAdaptive, std::nullopt},
                            {"os-nes05", Algorithm::kOsNes05, std::nullopt, std::nullopt},
                            {"os-ogm2", Algorithm::kOsOgm2, std::nullopt, std::nullopt},
                            {"os-ogm1", Algorithm::kOsOgm1, std::nullopt, std::nullopt},
                            {"os-ogm2 fixed M", Algorithm::kOsOgm2, kFixed, std::nullopt},
                            {"os-ogm2 fixed M, no relax", Algorithm::kOsOgm2, kFixed, 0.0},
                            {"os-ogm2 nu-sqs", Algorithm::kOsOgm2, std::nullopt, std::nullopt,
                             DenominatorRule::kNonuniform},
                            {"os-lalm", Algorithm::kOsLalm, std::nullopt, std::nullopt}};
  for (int64_t m : {1, 6, 12, 24, 48}) {
    for (const Method& method : methods) {
      if (m == 1 && (method.schedule || method.algorithm == Algorithm::kOsLalm))
        continue;  // the same as the default; os-lalm with one subset is LALM, not studied
      SolverOptions o;
      o.algorithm = method.algorithm;
      o.subsets = m;
      o.iterations = iterations;
      o.subset_schedule = method.schedule;
      o.relax = method.relax;
      o.denominator = method.denominator;
      const auto start = std::chrono::steady_clock::now();
      const Image x = Run(s, o, s.fbp, &xhat, &results, method.name);
      std::printf("%-26s M=%2ld: %2ld iterations, RMSD to x̂ %.3f HU (%.1f s)\n",
                  method.name.c_str(), m, iterations, RmsHu(x, xhat, s.mask),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      std::fflush(stdout);
    }
  }
}

int Main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: convergence_study SCAN.h5 OUT_DIR [REFERENCE_ITERATIONS] [ITERATIONS]\n";
    return 2;
  }
  const std::string out_dir = argv[2];
  const int64_t reference_iterations = argc > 3 ? std::stoll(argv[3]) : 1000;
  const int64_t iterations = argc > 4 ? std::stoll(argv[4]) : 30;
  std::filesystem::create_directories(out_dir);
  Setup s;
  s.scan = ReadScanFile(argv[1]);
  if (!s.scan.reference) throw InputError(argv[1], "a scan with /reference", "none");
  ReconSettings settings;  // the protocol of docs/BENCHMARKS.md: δ = 10 HU, β relative 4
  settings.prior.delta = 0.0002;
  settings.prior.beta_relative = 4.0;
  settings.support = SupportKind::kFieldOfView;
  // On the reference's grid (the protocol simulates it at 256²).
  s.prepared =
      std::make_unique<PreparedReconstruction>(s.scan, s.scan.reference->geometry, settings);
  s.mask = s.prepared->ObjectMask(*s.scan.reference);
  s.fbp = s.prepared->StartImage(nullptr);
  std::printf("grid %ldx%ld, beta %.6g, delta %g, %zu voxels in the object mask\n", s.grid().nx,
              s.grid().ny, s.prepared->beta(), s.prepared->regularizer().options().delta,
              size_t(std::count(s.mask.begin(), s.mask.end(), 1)));

  const Image xhat = ConvergedReference(s, out_dir, reference_iterations);
  const std::string mode = argc > 5 ? argv[5] : "";
  if (mode == "--sweep-relax")
    SweepRelaxation(s, xhat, iterations);
  else if (mode == "--sweep-nonuniform")
    SweepNonuniform(s, xhat, iterations);
  else if (mode == "--sweep-lalm")
    SweepLalm(s, xhat, std::max<int64_t>(iterations, 20));
  else if (mode == "--sweep-power")
    SweepRelaxationPower(s, xhat, iterations);
  else
    CompareMethods(s, xhat, out_dir, iterations);
  return 0;
}

}  // namespace
}  // namespace osmo

int main(int argc, char** argv) {
  try {
    return osmo::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "convergence_study: error: " << e.what() << "\n";
    return 1;
  }
}
