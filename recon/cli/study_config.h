// Phantom-study configurations (`osmo study`, docs/STUDY.md): reading and validating them.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recon/fbp.h"
#include "recon/pipeline/recon_settings.h"

namespace osmo::cli {

struct Dose {
  double incident_counts = 0.0;
  double electronic_noise_std = 0.0;
};

struct Method {
  std::string name, kind;  // kind: "fbp" or "recon"
  // A sweep ("options": {"beta-relative": [1, 4, 16]}) becomes one method per value, named
  // "<family>@<key>=<value>"; `family` groups them in the report, `sweep_value` orders them.
  std::string family, sweep_key;
  double sweep_value = 0.0;
  FbpOptions fbp;
  nlohmann::json recon_options = nlohmann::json::object();  // as written (the study's state key)
  ReconSettings recon;                                      // what they choose
};

struct Roi {
  std::string name;
  double x_mm, y_mm, radius_mm;
};

struct Contrast {
  std::string lesion, background;
};

// A whole study; defaults as in docs/STUDY.md.
struct StudyConfig {
  std::string phantom = "thorax", geometry = "ge1-half";
  std::vector<Dose> doses;
  int64_t realisations = 3;
  uint64_t seed = 1;
  int rays_per_cell = 4;
  double bowtie_mm = 0.0;
  std::string image_size, voxel_size_mm;
  std::vector<Method> methods;
  std::vector<Roi> rois;
  std::vector<Contrast> contrasts;
  double window_lo = -200.0, window_hi = 200.0;
  double mu_water = 0.02;
};

// Reads and validates a configuration: every key, value and method (recon options included) is
// checked; InputError names the file and the key ("c.json: methods[2].options.subsets").
StudyConfig ReadStudyConfig(const std::string& path);

// The reproducible seed of scan (dose d, realisation r): a SplitMix64 mix of the study seed
// and both indices.
uint64_t StudyScanSeed(uint64_t seed, size_t d, int64_t r);

}  // namespace osmo::cli
