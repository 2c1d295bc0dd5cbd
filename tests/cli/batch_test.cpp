// Tests of `osmo batch` through the real binary: validation before running, failure isolation,
// kill and resume, shards and merged summaries.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "recon/io/volume_io.h"
#include "tests/support/osmo_process.h"

namespace osmo {
namespace {

using testing::ProcessResult;
using testing::RunProcess;
namespace fs = std::filesystem;
using Json = nlohmann::json;

using testing::Osmo;

std::string Folder() { return testing::FreshTestFolder("osmo_batch_"); }

// Simulates `count` small scans scan0.h5 … in `folder` (different seeds).
void SimulateScans(const std::string& folder, int count) {
  std::ofstream(folder + "/small.json") << R"({"kind": "fan", "detector_shape": "arc",
    "source_to_isocenter_mm": 541, "source_to_detector_mm": 949.075, "channel_spacing_mm": 12.0,
    "channel_offset": 1.25, "n_channels": 64, "n_views": 90, "angle_start_deg": 0, "angle_span_deg": 360})";
  for (int n = 0; n < count; ++n) {
    const ProcessResult r =
        Osmo({"simulate", "--geometry", folder + "/small.json", "--incident-counts", "1e4",
              "--seed", std::to_string(n + 1), "--reference-size", "32", "-o",
              folder + "/scan" + std::to_string(n) + ".h5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

Json Manifest(int count, int iterations) {
  Json jobs = Json::array();
  for (int n = 0; n < count; ++n) {
    jobs.push_back({{"input", "scan" + std::to_string(n) + ".h5"},
                    {"output", "out" + std::to_string(n) + ".mha"}});
  }
  return {{"defaults",
           {{"algorithm", "os-ogm2"},
            {"subsets", 6},
            {"iterations", iterations},
            {"image-size", "32"}}},
          {"jobs", jobs}};
}

void Write(const std::string& path, const Json& j) { std::ofstream(path) << j.dump(2); }

Json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

TEST(Batch, MalformedManifestsAreRejectedBeforeAnythingRuns) {
  const std::string folder = Folder();
  SimulateScans(folder, 2);
  auto expect_rejected = [&](Json manifest, const std::string& fragment) {
    Write(folder + "/m.json", manifest);
    const ProcessResult r = Osmo({"batch", folder + "/m.json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(folder + "/out0.mha"));
  };
  Json m = Manifest(2, 1);
  m["jobs"][1]["subset"] = 4;
  expect_rejected(m, "job 1 (\"scan1\"): field \"subset\"");
  m = Manifest(2, 1);
  m["jobs"][0]["iterations"] = "many";
  expect_rejected(m, "job 0 (\"scan0\"): field \"iterations\"");
  m = Manifest(2, 1);
  m["defaults"]["algorithm"] = "os-ogm9";
  expect_rejected(m, "field \"algorithm\"");
  m = Manifest(2, 1);
  m["jobs"][1]["output"] = "out0.mha";
  expect_rejected(m, "job 1 (\"scan1\"): field \"output\": expected an output no other job writes");
  m = Manifest(2, 1);
  m["jobs"][0]["threads"] = 4;
  expect_rejected(m, "field \"threads\"");
  m = Manifest(2, 1);
  m["jobs"][0].erase("output");
  expect_rejected(m, "job 0: field \"output\"");
  m = Manifest(2, 1);
  m["job"] = Json::array();
  expect_rejected(m, "key \"job\"");
}

TEST(Batch, ACorruptScanFailsAloneAndTheSummaryIsComplete) {
  const std::string folder = Folder();
  SimulateScans(folder, 3);
  std::ofstream(folder + "/scan3.h5") << "corrupt";
  Write(folder + "/m.json", Manifest(4, 2));
  const ProcessResult r = Osmo({"batch", folder + "/m.json", "--jobs", "2", "--threads", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const Json summary = ReadJson(folder + "/m.summary.json");
  ASSERT_EQ(summary["jobs"].size(), 4u);
  for (int n = 0; n < 3; ++n) {
    const Json& job = summary["jobs"][size_t(n)];
    EXPECT_EQ(job["status"], "done") << job.dump();
    EXPECT_EQ(job["iterations"], 2);
    EXPECT_TRUE(job["final_rmsd_hu"].is_number());
    EXPECT_TRUE(fs::exists(folder + "/out" + std::to_string(n) + ".mha"));
  }
  EXPECT_EQ(summary["jobs"][3]["status"], "failed");
  EXPECT_NE(summary["jobs"][3]["message"].get<std::string>().find("expected an HDF5 file"),
            std::string::npos)
      << summary["jobs"][3].dump();
  EXPECT_TRUE(fs::exists(folder + "/m.summary.csv"));
}

TEST(Batch, KilledBatchResumesToTheUninterruptedOutputs) {
  const std::string folder = Folder();
  SimulateScans(folder, 4);
  const std::string reference = folder + "/reference";
  fs::create_directories(reference);
  for (int n = 0; n < 4; ++n)
    fs::copy_file(folder + "/scan" + std::to_string(n) + ".h5",
                  reference + "/scan" + std::to_string(n) + ".h5");
  Json manifest = Manifest(4, 400);
  manifest["defaults"]["image-size"] = "64";
  Write(folder + "/m.json", manifest);
  Write(reference + "/m.json", manifest);
  ASSERT_EQ(Osmo({"batch", reference + "/m.json", "--jobs", "2", "--threads", "1"}).exit_code, 0);

  const pid_t pid = testing::StartProcess(
      OSMO_BINARY,
      {"batch", folder + "/m.json", "--jobs", "2", "--threads", "1", "--checkpoint-every", "20"});
  sleep(2);
  kill(pid, SIGTERM);
  EXPECT_EQ(testing::WaitForExit(pid), 130);
  const Json first = ReadJson(folder + "/m.summary.json");
  int finished = 0;
  for (const Json& job : first["jobs"]) {
    EXPECT_TRUE(job["status"] == "done" || job["status"] == "interrupted") << job.dump();
    finished += job["status"] == "done";
    // No truncated output under a final name.
    if (job["status"] != "done") {
      EXPECT_FALSE(fs::exists(job["output"].get<std::string>())) << job.dump();
    }
  }
  EXPECT_LT(finished, 4) << "the batch finished before it could be interrupted";

  const ProcessResult rerun = Osmo({"batch", folder + "/m.json", "--jobs", "2", "--threads", "1"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  const Json second = ReadJson(folder + "/m.summary.json");
  int skipped = 0;
  for (size_t n = 0; n < 4; ++n) {
    const std::string status_now = second["jobs"][n]["status"];
    EXPECT_TRUE(status_now == "done" || status_now == "skipped");
    if (first["jobs"][n]["status"] == "done") {
      EXPECT_EQ(status_now, "skipped");
    }
    skipped += status_now == "skipped";
    const std::string name = "/out" + std::to_string(n) + ".mha";
    EXPECT_EQ(ReadVolume(folder + name).values, ReadVolume(reference + name).values) << name;
  }
  EXPECT_EQ(skipped, finished);
}

TEST(Batch, ShardsCoverEveryJobOnceAndMergeIntoTheUnshardedSummary) {
  const std::string folder = Folder();
  SimulateScans(folder, 7);
  Write(folder + "/m.json", Manifest(7, 1));
  ASSERT_EQ(Osmo({"batch", folder + "/m.json", "--summary", folder + "/all.json"}).exit_code, 0);
  const Json all = ReadJson(folder + "/all.json");
  auto comparable = [](Json summary) {
    for (Json& job : summary["jobs"]) job.erase("wall_s");
    return summary["jobs"];
  };
  for (int shards : {2, 3, 5}) {
    std::vector<std::string> merge_args = {"batch", "--merge-summaries"};
    int covered = 0;
    for (int shard = 0; shard < shards; ++shard) {
      const std::string summary =
          folder + "/s" + std::to_string(shard) + "of" + std::to_string(shards) + ".json";
      for (int n = 0; n < 7; ++n) fs::remove(folder + "/out" + std::to_string(n) + ".mha");
      const ProcessResult r =
          Osmo({"batch", folder + "/m.json", "--shard",
                std::to_string(shard) + "/" + std::to_string(shards), "--summary", summary});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      covered += int(ReadJson(summary)["jobs"].size());
      merge_args.push_back(summary);
    }
    EXPECT_EQ(covered, 7) << shards << " shards";
    merge_args.insert(merge_args.end(), {"-o", folder + "/merged.json"});
    ASSERT_EQ(Osmo(merge_args).exit_code, 0);
    EXPECT_EQ(comparable(ReadJson(folder + "/merged.json")), comparable(all))
        << shards << " shards";
  }
  EXPECT_EQ(Osmo({"batch", folder + "/m.json", "--shard", "3/3"}).exit_code, 1);
}

}  // namespace
}  // namespace osmo
