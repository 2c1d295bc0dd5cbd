// `osmo batch`: many reconstructions from a manifest, concurrently, isolated, resumable, sharded.
// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "projectors/error.h"
#include "projectors/input_file.h"
#include "recon/cli/batch_manifest.h"
#include "recon/cli/batch_runner.h"
#include "recon/cli/child_process.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/io/atomic_output.h"

namespace osmo::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// One summary record (docs/BATCH.md).
struct Record {
  int64_t index = 0;
  std::string name, status = "pending", message, output, command, checksum;
  double wall_s = 0.0;
  int64_t iterations = 0, output_bytes = 0;
  std::optional<double> final_cost, final_rmsd_hu;

  Json ToJson() const {
    return {{"index", index},
            {"name", name},
            {"status", status},
            {"message", message},
            {"wall_s", wall_s},
            {"iterations", iterations},
            {"final_cost", final_cost ? Json(*final_cost) : Json(nullptr)},
            {"final_rmsd_hu", final_rmsd_hu ? Json(*final_rmsd_hu) : Json(nullptr)},
            {"output", output},
            {"output_bytes", output_bytes},
            {"output_checksum", checksum},
            {"command", command}};
  }
  static Record FromJson(const Json& j) {
    Record r;
    r.index = j.value("index", int64_t(0));
    r.name = j.value("name", "");
    r.status = j.value("status", "");
    r.message = j.value("message", "");
    r.wall_s = j.value("wall_s", 0.0);
    r.iterations = j.value("iterations", int64_t(0));
    if (j.contains("final_cost") && j["final_cost"].is_number())
      r.final_cost = j["final_cost"].get<double>();
    if (j.contains("final_rmsd_hu") && j["final_rmsd_hu"].is_number())
      r.final_rmsd_hu = j["final_rmsd_hu"].get<double>();
    r.output = j.value("output", "");
    r.output_bytes = j.value("output_bytes", int64_t(0));
    r.checksum = j.value("output_checksum", "");
    r.command = j.value("command", "");
    return r;
  }
};

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Writes the summary (JSON) and its CSV twin atomically.
void WriteSummary(const std::string& path, const std::string& manifest, const std::string& shard,
                  const std::vector<Record>& records) {
  Json root = {{"manifest", manifest},
               {"shard", shard.empty() ? Json(nullptr) : Json(shard)},
               {"jobs", Json::array()}};
  for (const Record& r : records) root["jobs"].push_back(r.ToJson());
  WriteTextAtomically(path, root.dump(2) + "\n");
  const std::string csv = fs::path(path).replace_extension(".csv").string();
  std::ostringstream out;
  out << "index,name,status,message,wall_s,iterations,final_cost,final_rmsd_hu,output,output_"
         "bytes,output_checksum\n";
  for (const Record& r : records) {
    out << r.index << "," << CsvField(r.name) << "," << r.status << "," << CsvField(r.message)
        << "," << r.wall_s << "," << r.iterations << ","
        << (r.final_cost ? ToText(*r.final_cost) : "") << ","
        << (r.final_rmsd_hu ? ToText(*r.final_rmsd_hu) : "") << "," << CsvField(r.output) << ","
        << r.output_bytes << "," << r.checksum << "\n";
  }
  WriteTextAtomically(csv, out.str());
}

std::vector<Record> ReadSummary(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "a readable batch summary", "no such file");
  Json root;
  try {
    root = ParseJsonWithDepthLimit<Json>(in, path);
  } catch (const Json::parse_error& e) {
    throw InputError(path, "a batch summary (JSON)",
                     std::string("a syntax error (") + e.what() + ")");
  }
  if (!root.is_object() || !root.contains("jobs") || !root["jobs"].is_array()) {
    throw InputError(path, "a batch summary with \"jobs\"", "another JSON document");
  }
  std::vector<Record> records;
  for (const Json& j : root["jobs"]) records.push_back(Record::FromJson(j));
  return records;
}

std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

std::string SelfExecutable() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("osmo") : self.string();
}

struct Running {
  pid_t pid;
  size_t record;
  Clock::time_point start;
};

// The reason a job failed: the first "osmo: error:" line of its stderr (without the prefix),
// else its last line.
std::string FailureReason(const std::string& stderr_path) {
  std::ifstream in(stderr_path);
  const std::string prefix = "osmo: error: ";
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    if (!line.empty()) last = line;
  }
  return last;
}

// Holds an exclusive lock on the batch's work folder for the lifetime of the run, so that two
// `osmo batch` runs of one manifest cannot write the same checkpoints and summary.
class FolderLock {
 public:
  explicit FolderLock(const fs::path& folder) {
    const std::string path = (folder / ".lock").string();
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw InputError(path, "a lock file osmo batch can create", std::strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      close(fd_);
      throw InputError(folder.string(), "no other osmo batch running on this manifest",
                       "a batch holding its lock (wait for it, or stop it first)");
    }
  }
  ~FolderLock() { close(fd_); }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

void Merge(const BatchOptions& o) {
  if (o.merge_output.empty())
    throw InputError("--merge-summaries", "an output summary with -o", "none");
  std::map<std::string, Record> by_name;
  std::string manifest;
  for (const std::string& path : o.merge) {
    for (Record& r : ReadSummary(path)) {
      if (by_name.count(r.name)) {
        throw InputError(path + ": job \"" + r.name + "\"", "each job in one shard summary",
                         "a job in two summaries");
      }
      by_name[r.name] = std::move(r);
    }
    std::ifstream in(path);
    manifest = ParseJsonWithDepthLimit<Json>(in, path).value("manifest", manifest);
  }
  std::vector<Record> records;
  for (auto& [name, record] : by_name) records.push_back(record);
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.index < b.index; });
  CheckOutputLocation(o.merge_output);
  WriteSummary(o.merge_output, manifest, "", records);
  std::cout << "osmo batch: merged " << records.size() << " jobs from " << o.merge.size()
            << " summaries into " << o.merge_output << "\n";
}

}  // namespace

void RunBatch(const BatchOptions& o) {
  if (!o.merge.empty()) return Merge(o);
  if (o.manifest.empty())
    throw InputError("osmo batch", "a MANIFEST (or --merge-summaries)", "none");
  InstallStopHandlers();
  std::vector<BatchJob> jobs = ReadManifest(o.manifest);  // every job checked before anything runs
  int64_t shard = 0, shards = 1;
  if (!o.shard.empty()) ParseShard(o.shard, &shard, &shards);
  jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                            [&](const BatchJob& j) { return !InShard(j, shard, shards); }),
             jobs.end());
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (o.jobs < 0 || o.threads < 0)
    throw InputError("--jobs/--threads", "counts ≥ 1", "a negative count");
  // Default: fill the cores without oversubscribing (many small scans: one thread per job).
  const int threads = o.threads > 0 ? o.threads : (o.jobs > 0 ? std::max(1, cores / o.jobs) : 1);
  const int concurrent = o.jobs > 0 ? o.jobs : std::max(1, cores / threads);
  const fs::path manifest_path(o.manifest);
  const std::string stem = manifest_path.stem().string();
  const std::string shard_tag =
      o.shard.empty() ? "" : ".shard-" + std::to_string(shard) + "-of-" + std::to_string(shards);
  const std::string summary_path =
      !o.summary.empty()
          ? o.summary
          : (manifest_path.parent_path() / (stem + shard_tag + ".summary.json")).string();
  CheckOutputLocation(summary_path);
  std::vector<std::string> inputs = {o.manifest};
  for (const BatchJob& job : jobs) inputs.push_back(job.input);
  CheckNotAnInput(summary_path, "--summary", inputs);
  CheckNotAnInput(fs::path(summary_path).replace_extension(".csv").string(), "--summary (CSV)",
                  inputs);
  const fs::path work = manifest_path.parent_path() / (stem + ".osmo-batch");
  fs::create_directories(work);
  const FolderLock lock(work);
  const ProgressMode progress_mode = o.progress.Resolve();

  // Previous results: complete outputs (same command, same size and checksum) are skipped.
  std::map<std::string, Record> previous;
  if (fs::exists(summary_path)) {
    for (Record& r : ReadSummary(summary_path)) previous[r.name] = r;
  }
  const std::string self = SelfExecutable();
  std::vector<Record> records(jobs.size());
  std::vector<std::vector<std::string>> argvs(jobs.size());
  std::vector<size_t> pending;
  for (size_t n = 0; n < jobs.size(); ++n) {
    const BatchJob& job = jobs[n];
    const std::string checkpoint = (work / (job.name + ".checkpoint.h5")).string();
    std::vector<std::string> argv = {"recon", job.input, "-o", job.output};
    argv.insert(argv.end(), job.args.begin(), job.args.end());
    std::string command;
    for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
    argv.insert(argv.end(), {"--log", (work / (job.name + ".log.jsonl")).string(), "--checkpoint",
                             checkpoint, "--checkpoint-every", std::to_string(o.checkpoint_every),
                             "--threads", std::to_string(threads), "--progress", "off"});
    Record& r = records[n];
    r.index = job.index;
    r.name = job.name;
    r.output = job.output;
    r.command = command;
    const auto found = previous.find(job.name);
    const bool same_command = found != previous.end() && found->second.command == command;
    if (same_command && (found->second.status == "done" || found->second.status == "skipped") &&
        fs::exists(job.output) &&
        int64_t(fs::file_size(job.output)) == found->second.output_bytes &&
        FileChecksum(job.output) == found->second.checksum) {
      r = found->second;
      r.status = "skipped";
      r.message = "output complete from a previous run";
      continue;
    }
    if (!same_command) fs::remove(checkpoint);  // a checkpoint of other options cannot be resumed
    if (fs::exists(checkpoint)) argv.push_back("--resume");
    argvs[n] = argv;
    pending.push_back(n);
  }
  std::reverse(pending.begin(), pending.end());  // pop_back takes them in manifest order
  WriteSummary(summary_path, o.manifest, o.shard, records);

  std::vector<Running> running;
  int64_t done = 0, failed = 0, interrupted = 0;
  const int64_t total = int64_t(pending.size());
  bool stop_sent = false;
  Progress progress("osmo batch", progress_mode);
  // Jobs stop (SIGTERM: checkpoint, exit) when the batch dies, even by SIGKILL (see main.cpp).
  setenv("OSMO_PARENT_PID", std::to_string(getpid()).c_str(), 1);
  while (!pending.empty() || !running.empty()) {
    const bool stopping = StopRequested();
    if (stopping && !stop_sent) {
      for (const Running& job : running) kill(job.pid, SIGTERM);  // they checkpoint and exit
      pending.clear();  // recorded as "interrupted: not started" below
      stop_sent = true;
    }
    while (!stopping && !pending.empty() && int(running.size()) < concurrent) {
      const size_t n = pending.back();
      pending.pop_back();
      records[n].status = "running";
      const std::string base = (work / jobs[n].name).string();
      std::error_code folder_error;
      fs::create_directories(fs::path(jobs[n].output).parent_path(), folder_error);
      if (folder_error) {
        records[n].status = "failed";
        records[n].message = "cannot create the output folder " +
                             fs::path(jobs[n].output).parent_path().string() + ": " +
                             folder_error.message();
        ++failed;
        continue;
      }
      ChildOptions child;
      child.stdout_path = base + ".stdout";
      child.stderr_path = base + ".stderr";
      child.own_process_group = true;
      running.push_back({StartChild(self, argvs[n], child), n, Clock::now()});
      Note(o.verbose, "started " + jobs[n].name);
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      const int64_t finished = done + failed;
      progress.Update(
          finished, total,
          std::to_string(failed) + " failed, " + std::to_string(running.size()) + " running");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const auto it = std::find_if(running.begin(), running.end(),
                                 [&](const Running& r) { return r.pid == pid; });
    if (it == running.end()) continue;
    Record& r = records[it->record];
    r.wall_s += std::chrono::duration<double>(Clock::now() - it->start).count();
    const std::string base = (work / jobs[it->record].name).string();
    const std::string log_line = LastLine(base + ".log.jsonl");
    if (!log_line.empty()) {
      try {
        const Json last = Json::parse(log_line);
        r.iterations = last.value("iteration", int64_t(0));
        if (last["cost"].is_number()) r.final_cost = last["cost"].get<double>();
        if (last["rmsd_hu"].is_number()) r.final_rmsd_hu = last["rmsd_hu"].get<double>();
      } catch (const std::exception&) {
      }
    }
    const int code = ExitCodeOf(status);
    if (code == 0) {
      r.status = "done";
      r.message = "";
      r.output_bytes = int64_t(fs::file_size(r.output));
      r.checksum = FileChecksum(r.output);
      ++done;
    } else if (code == kExitInterrupted) {
      r.status = "interrupted";
      r.message = "stopped; rerun the manifest to resume from the checkpoint";
      ++interrupted;
    } else {
      r.status = "failed";
      std::string message = FailureReason(base + ".stderr");
      if (!WIFEXITED(status)) message = "killed by signal " + std::to_string(WTERMSIG(status));
      r.message = message.empty() ? "exit code " + std::to_string(code) : message;
      ++failed;
    }
    Note(o.verbose, r.name + ": " + r.status + (r.message.empty() ? "" : " (" + r.message + ")"));
    running.erase(it);
    WriteSummary(summary_path, o.manifest, o.shard, records);
  }
  for (Record& r : records) {
    if (r.status == "pending") {
      r.status = "interrupted";
      r.message = "not started";
      ++interrupted;
    }
  }
  WriteSummary(summary_path, o.manifest, o.shard, records);
  progress.Finish();
  int64_t skipped = 0;
  for (const Record& r : records) skipped += r.status == "skipped";
  std::cout << "osmo batch: " << done << " done, " << skipped << " skipped, " << failed
            << " failed, " << interrupted << " interrupted; summary " << summary_path << "\n";
  for (const Record& r : records) {
    if (r.status == "failed") std::cout << "  failed: " << r.name << ": " << r.message << "\n";
  }
  if (interrupted > 0 && StopRequested())
    throw Interrupted("batch interrupted; rerun it to continue");
  if (failed > 0)
    throw InputError(summary_path, "every job done", std::to_string(failed) + " failed job(s)");
}

void RegisterBatch(CLI::App& app) {
  auto o = std::make_shared<BatchOptions>();
  CLI::App* sub = app.add_subcommand(
      "batch",
      "Run the reconstructions of a manifest concurrently, isolated and resumable (docs/BATCH.md)");
  sub->add_option(
      "manifest", o->manifest,
      "Manifest (JSON): {\"defaults\": {recon options}, \"jobs\": [{\"input\", \"output\", …}]}");
  sub->add_option("--jobs", o->jobs, "Concurrent reconstructions J (default: cores / T)");
  sub->add_option("--threads", o->threads,
                  "OpenMP threads per reconstruction T (default: cores / J, or 1)");
  sub->add_option("--summary", o->summary,
                  "Summary JSON (default: MANIFEST-stem.summary.json; CSV beside it)");
  sub->add_option("--shard", o->shard,
                  "Run only shard I of N (I/N, 0-based; a stable partition by job name)");
  sub->add_option("--checkpoint-every", o->checkpoint_every, "Iterations between job checkpoints")
      ->capture_default_str();
  sub->add_option("--merge-summaries", o->merge,
                  "Merge shard summaries (with -o) instead of running");
  sub->add_option("-o,--output", o->merge_output, "Merged summary (with --merge-summaries)");
  sub->add_flag("-v,--verbose", o->verbose, "Report each job start and end on stderr");
  o->progress.Add(sub);
  sub->callback([o] { RunBatch(*o); });
}

}  // namespace osmo::cli
