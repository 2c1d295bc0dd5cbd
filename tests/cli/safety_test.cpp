// Safety and usability of the commands that write many files: no output may destroy an input,
// batch job names stay inside their folder, one batch per manifest, no shell in `osmo study`,
// visible failures and progress without a terminal.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "recon/io/volume_io.h"
#include "tests/support/osmo_process.h"

namespace osmo {
namespace {

using testing::Osmo;
using testing::ProcessResult;
using testing::ReadWholeFile;
namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string Folder() { return testing::FreshTestFolder("osmo_safety_"); }

std::string SmallGeometry(const std::string& folder) {
  return testing::WriteSmallFanGeometry(folder);
}

std::string Simulate(const std::string& folder) { return testing::SimulateSmallScan(folder); }

void ExpectError(const ProcessResult& r, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

TEST(Safety, OutputsThatWouldOverwriteAnInputAreRefused) {
  const std::string folder = Folder();
  const std::string scan = Simulate(folder);
  const std::string before = ReadWholeFile(scan);
  const std::vector<std::string> recon = {"recon", scan, "--image-size", "32", "--iterations", "1"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = recon;
    args.insert(args.end(), extra.begin(), extra.end());
    return Osmo(args);
  };
  ExpectError(with({"-o", folder + "/r.mha", "--log", scan}), "--log " + scan);
  ExpectError(with({"-o", folder + "/r.mha", "--checkpoint", folder + "/./scan.h5"}),
              "expected an output that is not one of the inputs");
  ExpectError(with({"-o", folder + "/r.mha", "--log", folder + "/r.mha"}), "--log");
  // A symbolic link to the scan is the scan.
  fs::create_symlink(scan, folder + "/link.h5");
  ExpectError(
      Osmo({"project", folder + "/dummy.mha", "--geometry-from", scan, "-o", folder + "/link.h5"}),
      "the input " + scan);
  ExpectError(Osmo({"import", scan, "-o", scan}), "not one of the inputs");
  EXPECT_EQ(ReadWholeFile(scan), before);
}

TEST(Safety, ThreadCountsBeyondTheMaximumAreRefusedNotCrashed) {
  const std::string folder = Folder();
  const std::string scan = Simulate(folder);
  ExpectError(Osmo({"fbp", scan, "-o", folder + "/f.mha", "--threads", "100000"}),
              "--threads: expected at most 1024 threads, found 100000");
}

Json Manifest(const std::vector<Json>& jobs) {
  return {{"defaults", {{"subsets", 6}, {"iterations", 1}, {"image-size", "32"}}}, {"jobs", jobs}};
}

void Write(const std::string& path, const Json& j) { std::ofstream(path) << j.dump(2); }

TEST(Safety, BatchJobNamesCannotLeaveTheBatchFolder) {
  const std::string folder = Folder();
  Simulate(folder);
  fs::create_directories(folder + "/victim");
  std::ofstream(folder + "/victim/data.checkpoint.h5") << "precious";
  for (const char* name : {"../victim/data", "../../x", ".hidden", "a/b", "name with space"}) {
    Write(folder + "/m.json",
          Manifest({{{"input", "scan.h5"}, {"output", "out.mha"}, {"name", name}}}));
    const ProcessResult r = Osmo({"batch", folder + "/m.json"});
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_NE(r.err.find("field \"name\": expected a safe file name"), std::string::npos)
        << name << ": " << r.err;
  }
  EXPECT_EQ(ReadWholeFile(folder + "/victim/data.checkpoint.h5"), "precious");
  EXPECT_FALSE(fs::exists(folder + "/out.mha"));
}

TEST(Safety, BatchRefusesASummaryOrOutputThatIsAnInput) {
  const std::string folder = Folder();
  Simulate(folder);
  const Json manifest = Manifest({{{"input", "scan.h5"}, {"output", "out.mha"}}});
  Write(folder + "/m.json", manifest);
  const std::string before = ReadWholeFile(folder + "/m.json");
  ExpectError(Osmo({"batch", folder + "/m.json", "--summary", folder + "/m.json"}),
              "not one of the inputs");
  EXPECT_EQ(ReadWholeFile(folder + "/m.json"), before);
  // An output with a volume extension that is the scan under another name.
  fs::create_symlink(folder + "/scan.h5", folder + "/alias.mha");
  Write(folder + "/m2.json", Manifest({{{"input", "scan.h5"}, {"output", "alias.mha"}}}));
  ExpectError(Osmo({"batch", folder + "/m2.json"}), "field \"output\" " + folder + "/alias.mha");
  Write(folder + "/m3.json", Manifest({{{"input", "scan.h5"}, {"output", "scan.h5"}}}));
  ExpectError(Osmo({"batch", folder + "/m3.json"}), "field \"output\": " + folder + "/scan.h5");
}

// Output folders are created; a failed job's reason is printed, not only counted.
TEST(Safety, BatchCreatesOutputFoldersAndPrintsEachFailure) {
  const std::string folder = Folder();
  Simulate(folder);
  std::ofstream(folder + "/broken.h5") << "not an HDF5 file";
  Write(folder + "/m.json", Manifest({{{"input", "scan.h5"}, {"output", "results/deep/out.mha"}},
                                      {{"input", "broken.h5"}, {"output", "results/broken.mha"}}}));
  const ProcessResult r = Osmo({"batch", folder + "/m.json", "--jobs", "1", "--threads", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(fs::exists(folder + "/results/deep/out.mha")) << r.out << r.err;
  EXPECT_NE(r.out.find("failed: broken: " + folder + "/broken.h5: expected an HDF5 file"),
            std::string::npos)
      << r.out;
}

TEST(Safety, TwoBatchesOnOneManifestCannotRunAtOnce) {
  const std::string folder = Folder();
  Simulate(folder);
  Json manifest = Manifest({{{"input", "scan.h5"}, {"output", "out.mha"}}});
  manifest["defaults"]["iterations"] = 400;
  Write(folder + "/m.json", manifest);
  const pid_t first = testing::StartProcess(
      OSMO_BINARY, {"batch", folder + "/m.json", "--jobs", "1", "--threads", "1"});
  // Wait until the first batch holds its lock (its job has started).
  for (int n = 0; n < 200 && !fs::exists(folder + "/m.osmo-batch/scan.stderr"); ++n)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const ProcessResult second = Osmo({"batch", folder + "/m.json"});
  kill(first, SIGTERM);
  testing::WaitForExit(first);
  ExpectError(second, "expected no other osmo batch running on this manifest");
}

// A SIGKILLed batch leaves no job running: the job sees its parent die and stops.
TEST(Safety, JobsOfAKilledBatchStop) {
  const std::string folder = Folder();
  Simulate(folder);
  Json manifest = Manifest({{{"input", "scan.h5"}, {"output", "out.mha"}}});
  manifest["defaults"]["iterations"] = 100000;
  Write(folder + "/m.json", manifest);
  const pid_t batch = testing::StartProcess(
      OSMO_BINARY, {"batch", folder + "/m.json", "--jobs", "1", "--threads", "1"});
  for (int n = 0; n < 200 && !fs::exists(folder + "/m.osmo-batch/scan.log.jsonl"); ++n)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(batch, SIGKILL);
  testing::WaitForExit(batch);
  // The job writes its log every iteration while it runs; once stopped, the log stays the same.
  std::string log;
  bool stopped = false;
  for (int n = 0; n < 100 && !stopped; ++n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string now = ReadWholeFile(folder + "/m.osmo-batch/scan.log.jsonl");
    stopped =
        now == log && ReadWholeFile(folder + "/m.osmo-batch/scan.stderr").find("interrupted") !=
                          std::string::npos;
    log = now;
  }
  EXPECT_TRUE(stopped) << ReadWholeFile(folder + "/m.osmo-batch/scan.stderr");
}

TEST(Safety, ProgressLinesWithoutATerminal) {
  const std::string folder = Folder();
  const std::string scan = Simulate(folder);
  setenv("OSMO_PROGRESS_INTERVAL_S", "0", 1);
  const ProcessResult lines = Osmo({"recon", scan, "-o", folder + "/r.mha", "--image-size", "32",
                                    "--iterations", "3", "--progress", "lines"});
  unsetenv("OSMO_PROGRESS_INTERVAL_S");
  EXPECT_EQ(lines.exit_code, 0) << lines.err;
  for (const char* step : {"osmo recon: 1/3", "osmo recon: 2/3", "osmo recon: 3/3"})
    EXPECT_NE(lines.err.find(step), std::string::npos) << lines.err;
  EXPECT_EQ(lines.err.find('\r'), std::string::npos);  // plain lines, no bar redraws
  // auto without a terminal: lines at the first update and the end (10 s apart otherwise).
  const ProcessResult automatic =
      Osmo({"recon", scan, "-o", folder + "/r2.mha", "--image-size", "32", "--iterations", "3"});
  EXPECT_NE(automatic.err.find("osmo recon: 1/3"), std::string::npos) << automatic.err;
  EXPECT_NE(automatic.err.find("osmo recon: 3/3"), std::string::npos) << automatic.err;
  const ProcessResult off = Osmo({"recon", scan, "-o", folder + "/r3.mha", "--image-size", "32",
                                  "--iterations", "3", "--progress", "off"});
  EXPECT_EQ(off.err, "");
  const ProcessResult fbp = Osmo({"fbp", scan, "-o", folder + "/f.mha", "--progress", "lines"});
  EXPECT_NE(fbp.err.find("osmo fbp: "), std::string::npos) << fbp.err;
}

// The plots were started through a shell string: a quote in the output folder ran a command.
TEST(Safety, StudyRunsNoShellWhateverTheFolderName) {
  const std::string folder = Folder();
  SmallGeometry(folder);
  const Json config = Json::parse(R"({"phantom": "thorax", "geometry": "small.json",
    "doses": [10000], "realisations": 2, "image_size": [32, 32],
    "methods": [{"name": "fbp", "kind": "fbp"}],
    "rois": [{"name": "heart", "center_mm": [-2, -2], "radius_mm": 15}]})");
  Write(folder + "/study.json", config);
  const std::string out = folder + "/inj';touch PWNED;'";
  const ProcessResult r = Osmo({"study", folder + "/study.json", "-o", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(folder + "/PWNED"));
  EXPECT_FALSE(fs::exists("PWNED"));  // the shell would have run in the test's folder
  const std::string report = ReadWholeFile(out + "/report.md");
  EXPECT_NE(report.find("## ROI heart"), std::string::npos) << report;
  EXPECT_NE(report.find("| method | I0 | mean | bias | noise |"), std::string::npos) << report;
  EXPECT_NE(report.find("![RMSE vs dose](rmse_vs_dose.png)"), std::string::npos)
      << ReadWholeFile(out + "/plots.log");
}

}  // namespace
}  // namespace osmo
