// `osmo recon` as a library: its options, their registration and checks, and the run. Shared
// with `osmo batch`, which validates every job's options before it starts any.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "recon/cli/cli_common.h"
#include "recon/pipeline/recon_settings.h"

namespace osmo::cli {

// Every option of `osmo recon` (docs/RECONSTRUCTION.md), with its default.
struct ReconOptions {
  std::string input, output;
  std::string algorithm = "os-ogm2";
  int64_t subsets = 12;
  int64_t iterations = 20;
  std::optional<double> beta;
  std::optional<double> beta_relative;
  std::optional<double> target_fwhm_mm;
  std::optional<double> noise_fraction;
  std::optional<double> delta;
  std::string potential = "fair";
  std::string neighborhood = "auto";  // auto: 26 for cone-beam volumes, 8 otherwise
  bool kappa = false;
  std::string init = "fbp";
  std::string restart = "none";
  std::string subset_schedule;  // empty: adaptive with momentum, fixed for os-sqs
  std::string denominator = "uniform";
  double nonuniform_floor = 0.05;
  // Relaxed momentum γ; unset: DefaultRelax (recon/os_solver.h).
  std::optional<double> relax;
  double relax_power = 1.5;
  bool ogm_last_rule = false;
  std::string curvature;  // empty: huber for os-lalm, max otherwise
  double lalm_relax = 1.5;
  std::optional<double> upper_bound;
  std::string support = "auto";
  std::string weights = "auto";
  std::string reference;
  bool no_reference = false;
  std::string log;
  int64_t cost_every = 0;
  double tolerance = 0.0;
  std::string tolerance_on = "change";
  std::string checkpoint;
  int64_t checkpoint_every = 5;
  bool resume = false;
  GridOptions grid;
  DxchangeCliOptions dx;
  OutputImageOptions output_image;
  RunOptions run;
  ProgressOptions progress;
  RingFilterOptions rings;
};

// The library settings the flags choose (enumeration names checked; SettingError names the field).
ReconSettings SettingsFrom(const ReconOptions& o);
// The options that command-line `words` give, as `osmo recon` parses them (the input and
// --output included); CLI::ParseError for words it does not accept.
ReconOptions ParseReconWords(std::vector<std::string> words);

// Adds the recon options and positionals to `sub` (no callback).
void AddReconOptions(CLI::App* sub, ReconOptions* o);
// Checks names and ranges that need no file (algorithm, restart, potential, …); InputError.
void CheckReconOptions(const ReconOptions& o);
// Runs a reconstruction (throws InputError, DivergenceError, Interrupted).
void RunRecon(const ReconOptions& o);

}  // namespace osmo::cli
