// Batch manifest parsing and validation.
// SPDX-License-Identifier: Apache-2.0
#include "recon/cli/batch_manifest.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "projectors/error.h"
#include "projectors/input_file.h"
#include "recon/cli/recon_command.h"
#include "recon/io/atomic_output.h"

namespace osmo::cli {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string FileChecksum(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::ostringstream hex;
  hex << std::hex << Fnv1a(bytes.str());
  return hex.str();
}

bool InShard(const BatchJob& job, int64_t shard, int64_t shards) {
  return int64_t(Fnv1a(job.name) % uint64_t(shards)) == shard;
}

void ParseShard(const std::string& text, int64_t* shard, int64_t* shards) {
  const size_t slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t used_a = 0, used_b = 0;
    *shard = std::stoll(text.substr(0, slash), &used_a);
    *shards = std::stoll(text.substr(slash + 1), &used_b);
    if (used_a != slash || used_b != text.size() - slash - 1) throw std::invalid_argument("junk");
  } catch (const std::exception&) {
    throw InputError("--shard", "I/N (e.g. 0/4)", "\"" + text + "\"");
  }
  if (*shards < 1 || *shard < 0 || *shard >= *shards) {
    throw InputError("--shard", "0 ≤ I < N", "\"" + text + "\"");
  }
}

namespace {

// Keys osmo batch sets for every job itself.
const std::set<std::string> kReservedKeys = {"log",    "checkpoint", "checkpoint-every",
                                             "resume", "threads",    "progress"};

// Job names become file names in the batch's work folder (log, checkpoint, stdout, stderr):
// letters, digits, '.', '_', '-', not starting with '.', at most 128 characters, so no name can
// reach outside the folder ("../../victim") or hide.
bool IsSafeJobName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

// A default name from the input's file stem, with other characters replaced by '_'.
std::string SafeNameFromStem(const std::string& stem) {
  std::string name;
  for (unsigned char c : stem)
    name += std::isalnum(c) || c == '.' || c == '_' || c == '-' ? char(c) : '_';
  if (name.empty() || name[0] == '.') name = "job" + name;
  return name.substr(0, 128);
}
// Keys whose values are paths relative to the manifest's folder.
const std::set<std::string> kPathKeys = {"init", "reference"};

std::string Resolve(const fs::path& folder, const std::string& path) {
  const fs::path p(path);
  return p.is_absolute() ? p.string() : (folder / p).lexically_normal().string();
}

}  // namespace

std::vector<std::string> OptionWords(const std::string& key, const Json& value,
                                     const std::string& where) {
  if (value.is_boolean()) {
    if (value.get<bool>()) return {"--" + key};
    return {};
  }
  if (value.is_number_integer()) return {"--" + key, std::to_string(value.get<int64_t>())};
  if (value.is_number()) {
    std::ostringstream text;
    text.precision(17);
    text << value.get<double>();
    return {"--" + key, text.str()};
  }
  if (value.is_string()) return {"--" + key, value.get<std::string>()};
  throw InputError(where + ": field \"" + key + "\"", "a number, string or boolean", value.dump());
}

namespace {

// Parses recon arguments as `osmo recon` would, without running anything.
void ParseReconArguments(std::vector<std::string> words) {
  CheckReconOptions(ParseReconWords(std::move(words)));
}

}  // namespace

namespace {

// The manifest's JSON: an object of "defaults" (optional) and a non-empty "jobs" array.
Json ReadManifestRoot(const std::string& path) {
  RequireRegularFile(path, "a batch manifest (JSON)");
  std::ifstream in(path);
  if (!in) throw InputError(path, "a readable manifest", "no such file (or no permission)");
  Json root;
  try {
    root = ParseJsonWithDepthLimit<Json>(in, path);
  } catch (const Json::parse_error& e) {
    throw InputError(path, "valid JSON", std::string("a syntax error (") + e.what() + ")");
  }
  if (!root.is_object()) throw InputError(path, "a JSON object with \"jobs\"", root.type_name());
  for (const auto& item : root.items()) {
    if (item.key() != "defaults" && item.key() != "jobs") {
      throw InputError(path + ": key \"" + item.key() + "\"", "\"defaults\" or \"jobs\"",
                       "an unknown key");
    }
  }
  const Json defaults = root.value("defaults", Json::object());
  if (!defaults.is_object())
    throw InputError(path + ": defaults", "an object", defaults.type_name());
  if (!root.contains("jobs") || !root["jobs"].is_array() || root["jobs"].empty()) {
    throw InputError(path + ": jobs", "a non-empty array of jobs",
                     root.contains("jobs") ? root["jobs"].dump() : "nothing");
  }
  return root;
}

// One job (`merged`: its fields over the defaults): paths resolved against the manifest's folder,
// a safe name, every option parsed and checked as `osmo recon` would.
BatchJob ReadJob(const Json& merged, int64_t index, const std::string& path, const fs::path& folder,
                 bool require_inputs) {
  std::string where = path + ": job " + std::to_string(index);
  BatchJob job;
  job.index = index;
  for (const char* key : {"input", "output"}) {
    if (!merged.contains(key) || !merged[key].is_string() ||
        merged[key].get<std::string>().empty()) {
      throw InputError(where + ": field \"" + key + "\"", "a file path",
                       merged.contains(key) ? merged[key].dump() : "nothing");
    }
  }
  job.input = Resolve(folder, merged["input"].get<std::string>());
  job.output = Resolve(folder, merged["output"].get<std::string>());
  try {  // a missing input is a manifest error, found before any job runs
    if (require_inputs) RequireRegularFile(job.input, "a readable scan file");
  } catch (const InputError& e) {
    throw InputError(where + ": field \"input\": " + e.what());
  }
  job.name = SafeNameFromStem(fs::path(job.input).stem().string());
  if (merged.contains("name")) {
    if (!merged["name"].is_string() || !IsSafeJobName(merged["name"].get<std::string>())) {
      throw InputError(where + ": field \"name\"",
                       "a safe file name (letters, digits, '.', '_', '-'; not starting with "
                       "'.'; at most 128 characters)",
                       merged["name"].dump());
    }
    job.name = merged["name"].get<std::string>();
  }
  where += " (\"" + job.name + "\")";
  const std::vector<std::string> base = {"recon", job.input, "-o", job.output};
  try {  // input and output alone first, so their errors do not blame another field
    ParseReconArguments({base.begin() + 1, base.end()});
  } catch (const std::exception& e) {
    throw InputError(where + ": field \"output\": " + e.what());
  }
  for (const auto& item : merged.items()) {
    const std::string& key = item.key();
    if (key == "input" || key == "output" || key == "name") continue;
    if (kReservedKeys.count(key)) {
      throw InputError(where + ": field \"" + key + "\"",
                       "an option osmo batch does not set itself", "\"" + key + "\"");
    }
    Json value = item.value();
    if (kPathKeys.count(key) && value.is_string() &&
        !(key == "init" && (value == "fbp" || value == "zero"))) {
      value = Resolve(folder, value.get<std::string>());
    }
    const std::vector<std::string> words = OptionWords(key, value, where);
    std::vector<std::string> single(base.begin() + 1, base.end());
    single.insert(single.end(), words.begin(), words.end());
    try {
      ParseReconArguments(single);
    } catch (const CLI::ParseError& e) {
      throw InputError(where + ": field \"" + key + "\"", "a valid osmo recon option", e.what());
    } catch (const InputError& e) {
      throw InputError(where + ": field \"" + key + "\": " + e.what());
    }
    job.args.insert(job.args.end(), words.begin(), words.end());
  }
  std::vector<std::string> all(base.begin() + 1, base.end());
  all.insert(all.end(), job.args.begin(), job.args.end());
  try {
    ParseReconArguments(all);
  } catch (const std::exception& e) {
    throw InputError(where + ": " + e.what());
  }
  try {
    CheckNotAnInput(job.output, "field \"output\"", {job.input, path});
  } catch (const InputError& e) {
    throw InputError(where + ": " + e.what());
  }
  return job;
}

}  // namespace

std::vector<BatchJob> ReadManifest(const std::string& path, bool require_inputs) {
  const Json root = ReadManifestRoot(path);
  const Json defaults = root.value("defaults", Json::object());
  const fs::path folder = fs::absolute(fs::path(path)).parent_path();
  std::vector<BatchJob> jobs;
  std::set<std::string> names, outputs;
  for (size_t n = 0; n < root["jobs"].size(); ++n) {
    const Json& entry = root["jobs"][n];
    const std::string where = path + ": job " + std::to_string(n);
    if (!entry.is_object()) throw InputError(where, "an object", entry.type_name());
    Json merged = defaults;
    for (const auto& item : entry.items()) merged[item.key()] = item.value();
    BatchJob job = ReadJob(merged, int64_t(n), path, folder, require_inputs);
    const std::string named = where + " (\"" + job.name + "\")";
    if (!names.insert(job.name).second)
      throw InputError(named + ": field \"name\"", "a unique job name", "a duplicate");
    if (!outputs.insert(fs::absolute(job.output).lexically_normal().string()).second) {
      throw InputError(named + ": field \"output\"", "an output no other job writes",
                       "a duplicate: " + job.output);
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace osmo::cli
