// Batch manifests: parsing and validating every job before anything runs (`osmo batch`).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "projectors/fnv_hash.h"

namespace osmo::cli {

// One reconstruction of a manifest.
struct BatchJob {
  int64_t index = 0;              // position in the manifest
  std::string name;               // "name", default: the input's file stem
  std::string input, output;      // resolved against the manifest's folder
  std::vector<std::string> args;  // recon options after input and -o, e.g. {"--subsets", "12"}
};

// Reads a manifest {"defaults": {...}, "jobs": [{"input": …, "output": …, …}]}: keys are
// `osmo recon` long option names without the dashes, job keys override defaults, relative paths
// (input, output, init, reference) are relative to the manifest's folder. Every job's options
// are checked with the recon parser; an unknown key, a bad value, a key osmo batch sets itself
// (log, checkpoint, checkpoint-every, resume, threads), a missing input/output, a duplicate
// output or name gives an InputError naming the manifest, the job and the field.
// `require_inputs` = false checks a manifest whose inputs are yet to be made (osmo study).
std::vector<BatchJob> ReadManifest(const std::string& path, bool require_inputs = true);

// Shard I of N (0 ≤ I < N): a stable partition by job name (FNV-1a hash modulo N), so every job
// lands in exactly one shard whatever the order of the manifest.
bool InShard(const BatchJob& job, int64_t shard, int64_t shards);
// Parses "I/N"; InputError otherwise.
void ParseShard(const std::string& text, int64_t* shard, int64_t* shards);

// The command-line words of one JSON option ("subsets": 12 → --subsets 12; true → the flag;
// false → nothing); InputError naming `where` and the key for values that are not scalars.
std::vector<std::string> OptionWords(const std::string& key, const nlohmann::json& value,
                                     const std::string& where);

// FNV-1a 64-bit hash of a file's bytes (hex), for output checks.
std::string FileChecksum(const std::string& path);

}  // namespace osmo::cli
