// `osmo batch`: many reconstructions from a manifest, concurrently, isolated, resumable, sharded.
// Unlike `osmo study`, whose images are made in-process, a batch runs each job as an `osmo recon`
// child process: user data needs the isolation (a crash, an out-of-memory kill or a diverging job
// cannot take the other jobs down), each job keeps its own stderr, log and checkpoint, and jobs
// can be stopped and resumed one by one.
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
#include "recon/cli/job_pool.h"
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
  records.reserve(by_name.size());
  for (auto& [name, record] : by_name) records.push_back(record);
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.index < b.index; });
  CheckOutputLocation(o.merge_output);
  WriteSummary(o.merge_output, manifest, "", records);
  std::cout << "osmo batch: merged " << records.size() << " jobs from " << o.merge.size()
            << " summaries into " << o.merge_output << "\n";
}

// What a batch run works through: every job of its shard, its summary record and command line,
// and the jobs still to run (back() next).
struct BatchPlan {
  std::vector<BatchJob> jobs;
  std::vector<Record> records;
  std::vector<std::vector<std::string>> argvs;
  std::vector<size_t> pending;
  fs::path work;  // <manifest>.osmo-batch: logs, checkpoints, job output, the lock
  std::string summary_path;
};

struct Tally {
  int64_t done = 0, failed = 0, interrupted = 0;
};

std::string SummaryPath(const BatchOptions& o, int64_t shard, int64_t shards) {
  if (!o.summary.empty()) return o.summary;
  const fs::path manifest(o.manifest);
  const std::string tag =
      o.shard.empty() ? "" : ".shard-" + std::to_string(shard) + "-of-" + std::to_string(shards);
  return (manifest.parent_path() / (manifest.stem().string() + tag + ".summary.json")).string();
}

// Each job's record and command line; complete outputs of a previous run (same command, same
// size and checksum) are skipped, checkpoints of the same command resumed.
void PlanJobs(const BatchOptions& o, int threads, BatchPlan* plan) {
  std::map<std::string, Record> previous;
  if (fs::exists(plan->summary_path)) {
    for (Record& r : ReadSummary(plan->summary_path)) previous[r.name] = r;
  }
  plan->records.resize(plan->jobs.size());
  plan->argvs.resize(plan->jobs.size());
  for (size_t n = 0; n < plan->jobs.size(); ++n) {
    const BatchJob& job = plan->jobs[n];
    const std::string checkpoint = (plan->work / (job.name + ".checkpoint.h5")).string();
    std::vector<std::string> argv = {"recon", job.input, "-o", job.output};
    argv.insert(argv.end(), job.args.begin(), job.args.end());
    std::string command;
    for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
    argv.insert(argv.end(),
                {"--log", (plan->work / (job.name + ".log.jsonl")).string(), "--checkpoint",
                 checkpoint, "--checkpoint-every", std::to_string(o.checkpoint_every), "--threads",
                 std::to_string(threads), "--progress", "off"});
    Record& r = plan->records[n];
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
    plan->argvs[n] = argv;
    plan->pending.push_back(n);
  }
  std::reverse(plan->pending.begin(), plan->pending.end());  // manifest order
}

// Starts job n as a child process (its own process group, output in the work folder); false
// (and the record failed) when its output folder cannot be made.
bool StartJob(const BatchPlan& plan, size_t n, const std::string& self,
              std::vector<Running>* running, Record* r) {
  const BatchJob& job = plan.jobs[n];
  r->status = "running";
  std::error_code folder_error;
  fs::create_directories(fs::path(job.output).parent_path(), folder_error);
  if (folder_error) {
    r->status = "failed";
    r->message = "cannot create the output folder " + fs::path(job.output).parent_path().string() +
                 ": " + folder_error.message();
    return false;
  }
  const std::string base = (plan.work / job.name).string();
  ChildOptions child;
  child.stdout_path = base + ".stdout";
  child.stderr_path = base + ".stderr";
  child.own_process_group = true;
  running->push_back({StartChild(self, plan.argvs[n], child), n, Clock::now()});
  return true;
}

// A finished job's record from its exit status and the last line of its convergence log.
void RecordOutcome(const BatchPlan& plan, size_t n, int status, Record* r, Tally* tally) {
  const std::string base = (plan.work / plan.jobs[n].name).string();
  const std::string log_line = LastLine(base + ".log.jsonl");
  if (!log_line.empty()) {
    try {
      const Json last = Json::parse(log_line);
      r->iterations = last.value("iteration", int64_t(0));
      if (last["cost"].is_number()) r->final_cost = last["cost"].get<double>();
      if (last["rmsd_hu"].is_number()) r->final_rmsd_hu = last["rmsd_hu"].get<double>();
    } catch (const std::exception&) {
    }
  }
  const int code = ExitCodeOf(status);
  if (code == 0) {
    r->status = "done";
    r->message = "";
    r->output_bytes = int64_t(fs::file_size(r->output));
    r->checksum = FileChecksum(r->output);
    ++tally->done;
  } else if (code == kExitInterrupted) {
    r->status = "interrupted";
    r->message = "stopped; rerun the manifest to resume from the checkpoint";
    ++tally->interrupted;
  } else {
    r->status = "failed";
    std::string message = FailureReason(base + ".stderr");
    if (!WIFEXITED(status)) message = "killed by signal " + std::to_string(WTERMSIG(status));
    r->message = message.empty() ? "exit code " + std::to_string(code) : message;
    ++tally->failed;
  }
}

// Runs the pending jobs, `concurrent` at a time, until all finished or a stop request: then the
// running jobs get SIGTERM (they checkpoint and exit) and no new one starts.
Tally RunJobs(const BatchOptions& o, int concurrent, BatchPlan* plan) {
  const std::string self = SelfExecutable();
  std::vector<Running> running;
  Tally tally;
  const int64_t total = int64_t(plan->pending.size());
  bool stop_sent = false;
  Progress progress("osmo batch", o.progress.Resolve());
  // Jobs stop (SIGTERM: checkpoint, exit) when the batch dies, even by SIGKILL (see main.cpp).
  setenv("OSMO_PARENT_PID", std::to_string(getpid()).c_str(), 1);
  while (!plan->pending.empty() || !running.empty()) {
    const bool stopping = StopRequested();
    if (stopping && !stop_sent) {
      for (const Running& job : running) kill(job.pid, SIGTERM);
      plan->pending.clear();  // recorded as "interrupted: not started" below
      stop_sent = true;
    }
    while (!stopping && !plan->pending.empty() && int(running.size()) < concurrent) {
      const size_t n = plan->pending.back();
      plan->pending.pop_back();
      if (StartJob(*plan, n, self, &running, &plan->records[n]))
        Note(o.verbose, "started " + plan->jobs[n].name);
      else
        ++tally.failed;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      progress.Update(
          tally.done + tally.failed, total,
          std::to_string(tally.failed) + " failed, " + std::to_string(running.size()) + " running");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const auto it = std::find_if(running.begin(), running.end(),
                                 [&](const Running& r) { return r.pid == pid; });
    if (it == running.end()) continue;
    Record& r = plan->records[it->record];
    r.wall_s += std::chrono::duration<double>(Clock::now() - it->start).count();
    RecordOutcome(*plan, it->record, status, &r, &tally);
    Note(o.verbose, r.name + ": " + r.status + (r.message.empty() ? "" : " (" + r.message + ")"));
    running.erase(it);
    WriteSummary(plan->summary_path, o.manifest, o.shard, plan->records);
  }
  for (Record& r : plan->records) {
    if (r.status == "pending") {
      r.status = "interrupted";
      r.message = "not started";
      ++tally.interrupted;
    }
  }
  progress.Finish();
  return tally;
}

}  // namespace

void RunBatch(const BatchOptions& o) {
  if (!o.merge.empty()) return Merge(o);
  if (o.manifest.empty())
    throw InputError("osmo batch", "a MANIFEST (or --merge-summaries)", "none");
  InstallStopHandlers();
  BatchPlan plan;
  plan.jobs = ReadManifest(o.manifest);  // every job checked before anything runs
  int64_t shard = 0, shards = 1;
  if (!o.shard.empty()) ParseShard(o.shard, &shard, &shards);
  plan.jobs.erase(std::remove_if(plan.jobs.begin(), plan.jobs.end(),
                                 [&](const BatchJob& j) { return !InShard(j, shard, shards); }),
                  plan.jobs.end());
  // Default: fill the cores without oversubscribing (many small scans: one thread per job).
  const Concurrency concurrency = ResolveConcurrency(o.jobs, o.threads);
  plan.summary_path = SummaryPath(o, shard, shards);
  CheckOutputLocation(plan.summary_path);
  std::vector<std::string> inputs = {o.manifest};
  for (const BatchJob& job : plan.jobs) inputs.push_back(job.input);
  CheckNotAnInput(plan.summary_path, "--summary", inputs);
  CheckNotAnInput(fs::path(plan.summary_path).replace_extension(".csv").string(), "--summary (CSV)",
                  inputs);
  const fs::path manifest_path(o.manifest);
  plan.work = manifest_path.parent_path() / (manifest_path.stem().string() + ".osmo-batch");
  fs::create_directories(plan.work);
  const FolderLock lock(plan.work);

  PlanJobs(o, concurrency.threads, &plan);
  WriteSummary(plan.summary_path, o.manifest, o.shard, plan.records);
  const Tally tally = RunJobs(o, concurrency.jobs, &plan);
  WriteSummary(plan.summary_path, o.manifest, o.shard, plan.records);

  int64_t skipped = 0;
  for (const Record& r : plan.records) skipped += r.status == "skipped";
  std::cout << "osmo batch: " << tally.done << " done, " << skipped << " skipped, " << tally.failed
            << " failed, " << tally.interrupted << " interrupted; summary " << plan.summary_path
            << "\n";
  for (const Record& r : plan.records) {
    if (r.status == "failed") std::cout << "  failed: " << r.name << ": " << r.message << "\n";
  }
  if (tally.interrupted > 0 && StopRequested())
    throw Interrupted("batch interrupted; rerun it to continue");
  if (tally.failed > 0) {
    throw InputError(plan.summary_path, "every job done",
                     std::to_string(tally.failed) + " failed job(s)");
  }
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
