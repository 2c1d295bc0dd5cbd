// Tests of `osmo study` through the real binary: validation, a tiny study end to end, resumption,
// reproducibility, and bias and noise falling as the dose grows.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/osmo_process.h"

namespace osmo {
namespace {

using testing::ProcessResult;
using testing::ReadWholeFile;
using testing::RunProcess;
namespace fs = std::filesystem;
using Json = nlohmann::json;

using testing::Osmo;

std::string Folder() { return testing::FreshTestFolder("osmo_study_"); }

// Three doses × two realisations × {FBP, OS-SQS} on a 64-channel fan scan, 32² image.
Json TinyConfig(const std::string& folder) {
  std::ofstream(folder + "/small.json") << R"({"kind": "fan", "detector_shape": "arc",
    "source_to_isocenter_mm": 541, "source_to_detector_mm": 949.075, "channel_spacing_mm": 12.0,
    "channel_offset": 1.25, "n_channels": 64, "n_views": 90, "angle_start_deg": 0, "angle_span_deg": 360})";
  return Json::parse(
      R"({"phantom": "thorax", "geometry": "small.json", "doses": [1000, 10000, 1000000],
    "electronic_noise_std": 2, "realisations": 2, "seed": 3, "image_size": 32,
    "methods": [{"name": "fbp", "kind": "fbp", "filter": "hann"},
                {"name": "os-sqs", "kind": "recon", "options": {"algorithm": "os-sqs", "subsets": 6, "iterations": 2}}],
    "rois": [{"name": "muscle", "center_mm": [0, 40], "radius_mm": 20}, {"name": "lung", "center_mm": [-100, 20], "radius_mm": 30}],
    "contrasts": [{"lesion": "muscle", "background": "lung"}]})");
}

void Write(const std::string& path, const Json& j) { std::ofstream(path) << j.dump(2); }

double Metric(const Json& metrics, const std::string& method, const std::string& metric, int dose,
              const std::string& roi = "") {
  for (const Json& row : metrics) {
    if (row["method"] == method && row["metric"] == metric && row["dose_index"] == dose &&
        row["roi"] == roi) {
      return row["mean"].get<double>();
    }
  }
  ADD_FAILURE() << "no " << metric << " for " << method << " dose " << dose;
  return 0.0;
}

TEST(Study, ConfigurationErrorsAreReportedBeforeAnythingRuns) {
  const std::string folder = Folder();
  auto expect_rejected = [&](Json config, const std::string& fragment) {
    Write(folder + "/c.json", config);
    const ProcessResult r = Osmo({"study", folder + "/c.json", "-o", folder + "/out"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(folder + "/out/scans/dose0_r0.h5"));
  };
  Json c = TinyConfig(folder);
  c["dose"] = 3;
  expect_rejected(c, "key \"dose\"");
  c = TinyConfig(folder);
  c["methods"][1]["kind"] = "mlem";
  expect_rejected(c, "methods[1].kind");
  c = TinyConfig(folder);
  c["methods"][1]["options"]["subsets"] = "many";
  expect_rejected(c, "methods[1].options.subsets");
  // Library settings errors in the file's terms, never a flag the user did not type.
  c = TinyConfig(folder);
  c["methods"][1]["options"]["delta"] = -1;
  expect_rejected(c, "methods[1].options.delta: expected δ > 0");
  c = TinyConfig(folder);
  c["methods"][1]["options"]["algorithm"] = "os-ogm3";
  expect_rejected(c, "methods[1].options.algorithm: expected sqs, os-sqs");
  c = TinyConfig(folder);
  c["methods"][1]["options"]["log"] = "x.jsonl";  // outputs are the study's own
  expect_rejected(c, "methods[1].options.log: expected a reconstruction setting");
  c = TinyConfig(folder);
  c["methods"][0]["cutoff"] = 2;
  expect_rejected(c, "methods[0].cutoff: expected a fraction of the Nyquist frequency");
  c = TinyConfig(folder);
  c["doses"][1] = -5;
  expect_rejected(c, "doses[1].incident_counts: expected a positive number");
  c = TinyConfig(folder);
  c["contrasts"][0]["lesion"] = "liver";
  expect_rejected(c, "contrasts[0].lesion");
}

// A list of values for one option sweeps it: one method per value, and a trade-off table where
// noise falls and bias rises with β.
TEST(Study, SweepsAnOptionForTheNoiseResolutionTradeoff) {
  const std::string folder = Folder();
  Json c = TinyConfig(folder);
  c["doses"] = Json::array({10000});
  c["image_size"] = 64;
  c["methods"] = Json::parse(R"([{"name": "fbp", "kind": "fbp"},
    {"name": "sqs", "kind": "recon",
     "options": {"algorithm": "os-sqs", "subsets": 6, "iterations": 10, "beta-relative": [0.1, 30]}}])");
  Write(folder + "/c.json", c);
  const ProcessResult r = Osmo({"study", folder + "/c.json", "-o", folder + "/out"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json metrics = Json::parse(ReadWholeFile(folder + "/out/metrics.json"));
  EXPECT_GT(Metric(metrics, "sqs@beta-relative=0.1", "noise_hu", 0),
            2.0 * Metric(metrics, "sqs@beta-relative=30", "noise_hu", 0));
  const std::string report = ReadWholeFile(folder + "/out/report.md");
  EXPECT_NE(report.find("## Trade-off: sqs over beta-relative (I0 = 10000)"), std::string::npos)
      << report;
  EXPECT_NE(report.find("| 0.1 | "), std::string::npos) << report;
  if (fs::exists("/usr/bin/python3"))
    EXPECT_TRUE(fs::exists(folder + "/out/tradeoff.png"))
        << ReadWholeFile(folder + "/out/plots.log");

  c["methods"][1]["options"]["delta"] = Json::array({0.0001, 0.001});  // a second list
  Write(folder + "/c.json", c);
  const ProcessResult two = Osmo({"study", folder + "/c.json", "-o", folder + "/out2"});
  EXPECT_EQ(two.exit_code, 1);
  EXPECT_NE(two.err.find("one key may be a list"), std::string::npos) << two.err;
}

TEST(Study, TinyStudyRunsResumesReproducesAndImprovesWithDose) {
  const std::string folder = Folder();
  Write(folder + "/c.json", TinyConfig(folder));
  const ProcessResult first =
      Osmo({"study", folder + "/c.json", "-o", folder + "/a", "--jobs", "2", "--threads", "1"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (const char* file : {"metrics.csv", "metrics.json", "metrics_per_image.csv", "report.md",
                           "images/fbp/dose2_r1.mha", "images/os-sqs/dose0_r0.mha"}) {
    EXPECT_TRUE(fs::exists(folder + "/a/" + file)) << file;
  }
  if (fs::exists("/usr/bin/python3")) {
    EXPECT_TRUE(fs::exists(folder + "/a/rmse_vs_dose.png"))
        << ReadWholeFile(folder + "/a/plots.log");
  }
  // A rerun computes nothing again: outputs keep their times, reconstructions are skipped.
  const auto scan_time = fs::last_write_time(folder + "/a/scans/dose1_r1.h5");
  const auto image_time = fs::last_write_time(folder + "/a/images/fbp/dose1_r1.mha");
  const ProcessResult again = Osmo({"study", folder + "/c.json", "-o", folder + "/a"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(fs::last_write_time(folder + "/a/scans/dose1_r1.h5"), scan_time);
  EXPECT_EQ(fs::last_write_time(folder + "/a/images/fbp/dose1_r1.mha"), image_time);
  EXPECT_NE(again.out.find("images: 0 done, 12 skipped"), std::string::npos) << again.out;
  // The same configuration elsewhere gives identical numbers.
  ASSERT_EQ(Osmo({"study", folder + "/c.json", "-o", folder + "/b"}).exit_code, 0);
  EXPECT_EQ(ReadWholeFile(folder + "/a/metrics.csv"), ReadWholeFile(folder + "/b/metrics.csv"));

  std::ifstream in(folder + "/a/metrics.json");
  const Json metrics = Json::parse(in);
  for (const std::string method : {"fbp", "os-sqs"}) {
    // Noise and bias fall monotonically as the dose grows.
    EXPECT_GT(Metric(metrics, method, "noise_hu", 0), Metric(metrics, method, "noise_hu", 1))
        << method;
    EXPECT_GT(Metric(metrics, method, "noise_hu", 1), Metric(metrics, method, "noise_hu", 2))
        << method;
    EXPECT_GT(Metric(metrics, method, "bias_hu", 0), Metric(metrics, method, "bias_hu", 1))
        << method;
    EXPECT_GT(Metric(metrics, method, "bias_hu", 1), Metric(metrics, method, "bias_hu", 2))
        << method;
    EXPECT_GT(std::abs(Metric(metrics, method, "roi_bias_hu", 0, "muscle")),
              std::abs(Metric(metrics, method, "roi_bias_hu", 2, "muscle")))
        << method;
  }
  // The highest dose is nearly noise-free.
  EXPECT_LT(Metric(metrics, "fbp", "noise_hu", 2), 0.1 * Metric(metrics, "fbp", "noise_hu", 0));
}

}  // namespace
}  // namespace osmo
