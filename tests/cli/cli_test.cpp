// CLI tests: the real osmo binary run as a process (success paths, --help, bad flags, bad files,
// exit codes, checkpoint/resume, the real tooth scan).
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"
#include "tests/support/osmo_process.h"
#include "tests/support/real_data.h"

namespace osmo {
namespace {

using testing::ProcessResult;
using testing::RunProcess;
namespace fs = std::filesystem;

using testing::Osmo;

std::string Folder() { return testing::FreshTestFolder("osmo_cli_"); }

// A small fan-beam geometry (64 channels, 90 views) so every command runs in well under a second.
std::string SmallGeometry(const std::string& folder) {
  const std::string path = folder + "/small.json";
  std::ofstream(path) << R"({"kind": "fan", "detector_shape": "arc", "source_to_isocenter_mm": 541,
    "source_to_detector_mm": 949.075, "channel_spacing_mm": 12.0, "channel_offset": 1.25,
    "n_channels": 64, "n_views": 90, "angle_start_deg": 0, "angle_span_deg": 360})";
  return path;
}

std::string SimulateSmall(const std::string& folder) {
  const std::string scan = folder + "/scan.h5";
  const ProcessResult r = Osmo(
      {"simulate", "--phantom", "thorax", "--geometry", SmallGeometry(folder), "--incident-counts",
       "1e4", "--electronic-noise-std", "5", "--reference-size", "64", "-o", scan});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return scan;
}

void ExpectError(const ProcessResult& r, int code, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

TEST(Cli, HelpAndVersion) {
  const ProcessResult help = Osmo({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* sub :
       {"simulate", "recon", "fbp", "project", "import", "info", "batch", "study"}) {
    EXPECT_NE(help.out.find(sub), std::string::npos) << sub;
    const ProcessResult sub_help = Osmo({sub, "--help"});
    EXPECT_EQ(sub_help.exit_code, 0) << sub;
    EXPECT_NE(sub_help.out.find("--threads"), std::string::npos) << sub;
  }
  const ProcessResult recon_help = Osmo({"recon", "--help"});
  EXPECT_NE(recon_help.out.find("--algorithm TEXT=os-ogm2"), std::string::npos) << recon_help.out;
  EXPECT_NE(recon_help.out.find("1/mm"), std::string::npos);
  const ProcessResult version = Osmo({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("osmo "), std::string::npos);
}

TEST(Cli, UsageErrorsExitWith2) {
  EXPECT_EQ(Osmo({}).exit_code, 2);
  EXPECT_EQ(Osmo({"reconstruct"}).exit_code, 2);
  EXPECT_EQ(Osmo({"recon", "scan.h5", "-o", "x.mha", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(Osmo({"recon", "scan.h5", "-o", "x.mha", "--iterations", "many"}).exit_code, 2);
  EXPECT_EQ(Osmo({"recon", "scan.h5"}).exit_code, 2);  // -o is required
  EXPECT_EQ(Osmo({"fbp", "scan.h5", "-o", "x.mha", "--units", "kelvin"}).exit_code, 2);
}

TEST(Cli, SimulateInfoFbpReconProjectEndToEnd) {
  const std::string folder = Folder();
  const std::string scan = SimulateSmall(folder);
  const ProcessResult info = Osmo({"info", scan});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("fan, arc detector"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("reference"), std::string::npos);

  const ProcessResult fbp = Osmo({"fbp", scan, "-o", folder + "/fbp.nii.gz", "--image-size", "64",
                                  "--units", "hu", "--filter", "hamming"});
  EXPECT_EQ(fbp.exit_code, 0) << fbp.err;
  EXPECT_EQ(ReadVolume(folder + "/fbp.nii.gz").geometry.nx, 64);

  const std::string log = folder + "/log.jsonl";
  const ProcessResult recon =
      Osmo({"recon", scan, "-o", folder + "/recon.mha", "--image-size", "64", "--subsets", "6",
            "--iterations", "4", "--log", log, "--cost-every", "2", "--threads", "2"});
  ASSERT_EQ(recon.exit_code, 0) << recon.err;
  EXPECT_NE(recon.out.find("RMSD"), std::string::npos) << recon.out;
  std::ifstream in(log);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    const auto record = nlohmann::json::parse(line);
    EXPECT_EQ(record.size(), 7u) << line;
    for (const char* key :
         {"iteration", "time_s", "cost", "rmsd_hu", "restarted", "subsets", "gradient_norm"}) {
      EXPECT_TRUE(record.contains(key)) << key << " in " << line;
    }
    EXPECT_EQ(record["iteration"].get<int>(), lines);
    EXPECT_EQ(record["cost"].is_null(), lines % 2 == 1) << line;
    // The certificate comes with the cost: 1 at the start, smaller as the iterates converge.
    EXPECT_EQ(record["gradient_norm"].is_null(), lines % 2 == 1) << line;
    if (lines == 0) EXPECT_EQ(record["gradient_norm"].get<double>(), 1.0);
    if (lines == 4) EXPECT_LT(record["gradient_norm"].get<double>(), 1.0);
    EXPECT_TRUE(record["rmsd_hu"].is_number()) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 5);  // the initial image and 4 iterations

  const ProcessResult project = Osmo(
      {"project", folder + "/recon.mha", "--geometry-from", scan, "-o", folder + "/projected.h5"});
  ASSERT_EQ(project.exit_code, 0) << project.err;
  const ScanData projected = ReadScanFile(folder + "/projected.h5");
  const ScanData measured = ReadScanFile(scan);
  EXPECT_EQ(projected.sinogram.n_channels, 64);
  // The reconstruction's projection is close to the measured line integrals.
  double diff = 0, norm = 0;
  for (int64_t n = 0; n < projected.sinogram.size(); ++n) {
    diff += std::pow(projected.sinogram.values[size_t(n)] - measured.sinogram.values[size_t(n)], 2);
    norm += std::pow(measured.sinogram.values[size_t(n)], 2);
  }
  EXPECT_LT(std::sqrt(diff / norm), 0.05);
  // The volume can be re-placed, but not resized.
  ExpectError(Osmo({"project", folder + "/recon.mha", "--geometry-from", scan, "-o",
                    folder + "/p2.h5", "--image-size", "32"}),
              1, "--image-size: expected the volume's size 64,64,1, found 32");
  EXPECT_EQ(Osmo({"project", folder + "/recon.mha", "--geometry-from", scan, "-o",
                  folder + "/p3.h5", "--image-center-mm", "10,0,0"})
                .exit_code,
            0);
}

// The whole reconstruction (FBP start, OS-OGM2 with relaxation and restart, regulariser, cost)
// gives the same volume and log for any thread count.
// A helix from a geometry JSON (pitch 1, 3 turns of 4 rows): simulate, info shows the trajectory,
// fbp and recon reconstruct the complete-data range by default, and the volume's slices sit
// where the phantom's are.
TEST(Cli, HelicalScanFromAGeometryJsonEndToEnd) {
  const std::string folder = Folder();
  const std::string geometry = folder + "/helix.json";
  std::ofstream(geometry) << R"({"kind": "cone", "detector_shape": "arc",
    "source_to_isocenter_mm": 541, "source_to_detector_mm": 949.075, "channel_spacing_mm": 12.0,
    "channel_offset": 1.25, "n_channels": 64, "n_rows": 4, "row_spacing_mm": 8.771488,
    "n_views": 135, "angle_span_deg": 1080, "source_z_mm": {"pitch": 1, "start_mm": -30}})";
  const std::string scan = folder + "/helix.h5";
  ASSERT_EQ(Osmo({"simulate", "--phantom", "thorax-3d", "--geometry", geometry, "-o", scan,
                  "--rays-per-cell", "1"})
                .exit_code,
            0);
  const ProcessResult info = Osmo({"info", scan});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("osmo scan file (v2)"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("3 turns, table feed 20 mm per turn, pitch 1"), std::string::npos)
      << info.out;
  EXPECT_NE(info.out.find("source z -30 to"), std::string::npos) << info.out;
  const ProcessResult fbp = Osmo({"fbp", scan, "-o", folder + "/fbp.mha"});
  ASSERT_EQ(fbp.exit_code, 0) << fbp.err;
  const ProcessResult recon = Osmo(
      {"recon", scan, "-o", folder + "/recon.mha", "--subsets", "9", "--iterations", "3", "-v"});
  ASSERT_EQ(recon.exit_code, 0) << recon.err;
  EXPECT_NE(recon.err.find("helical scan: the rays cross z"), std::string::npos) << recon.err;
  // Complete data: source z from −30 to +30 mm less the detector's shadow at the far edge of
  // the field (10 mm × (541 + 248.7)/541 = 14.6 mm) at each end: about 31 mm of 5 mm slices.
  for (const char* name : {"/fbp.mha", "/recon.mha"}) {
    const Image image = ReadVolume(folder + name);
    EXPECT_EQ(image.geometry.nz, 6) << name;
    EXPECT_NEAR(image.geometry.slice_thickness_mm, 5.0, 1e-6) << name;
    EXPECT_NEAR(image.geometry.center_mm[2], 0.0, 2.5) << name;
    for (float v : image.values) ASSERT_TRUE(std::isfinite(v)) << name;
  }
  // A helix needs a cone-beam geometry.
  std::ofstream(folder + "/fan_helix.json")
      << R"({"kind": "fan", "detector_shape": "arc", "source_to_isocenter_mm": 541,
    "source_to_detector_mm": 949.075, "channel_spacing_mm": 12.0, "n_channels": 64,
    "n_views": 90, "source_z_mm": {"pitch": 1}})";
  ExpectError(Osmo({"simulate", "--geometry", folder + "/fan_helix.json", "-o", folder + "/x.h5"}),
              1, "source_z_mm: expected a cone-beam geometry");
}

TEST(Cli, ReconstructionsDoNotDependOnTheThreadCount) {
  const std::string folder = Folder();
  const std::string scan = SimulateSmall(folder);
  for (const char* threads : {"1", "2", "3"}) {
    const ProcessResult r =
        Osmo({"recon", scan, "-o", folder + "/t" + std::string(threads) + ".mha", "--image-size",
              "64", "--subsets", "6", "--iterations", "5", "--restart", "gradient", "--cost-every",
              "1", "--threads", threads, "--log", folder + "/t" + std::string(threads) + ".jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const Image one = ReadVolume(folder + "/t1.mha");
  EXPECT_EQ(ReadVolume(folder + "/t2.mha").values, one.values);
  EXPECT_EQ(ReadVolume(folder + "/t3.mha").values, one.values);
  // Costs and RMSDs agree to the last digit (time_s differs).
  auto without_time = [&](const std::string& path) {
    std::ifstream in(path);
    std::string line, all;
    while (std::getline(in, line)) {
      auto record = nlohmann::json::parse(line);
      record.erase("time_s");
      all += record.dump() + "\n";
    }
    return all;
  };
  EXPECT_EQ(without_time(folder + "/t2.jsonl"), without_time(folder + "/t1.jsonl"));
}

TEST(Cli, BadInputExitsWith1AndAClearMessage) {
  const std::string folder = Folder();
  const std::string text = folder + "/notes.h5";
  std::ofstream(text) << "not a scan\n";
  ExpectError(
      Osmo({"recon", text, "-o", folder + "/x.mha"}), 1,
      "osmo: error: " + text + ": expected an HDF5 file, found a file without the HDF5 signature");
  ExpectError(Osmo({"fbp", folder + "/missing.h5", "-o", folder + "/x.mha"}), 1, "no such file");
  const std::string scan = SimulateSmall(folder);
  ExpectError(Osmo({"recon", scan, "-o", folder + "/x.mha", "--algorithm", "os-ogm3"}), 1,
              "--algorithm: expected sqs, os-sqs, os-nes83, os-nes05, os-ogm1, os-ogm2 or os-lalm, "
              "found "
              "\"os-ogm3\"");
  ExpectError(Osmo({"recon", scan, "-o", folder + "/x.mha", "--subsets", "500"}), 1, "--subsets");
  ExpectError(Osmo({"recon", scan, "-o", folder + "/x.png"}), 1, "expected a volume file name");
  ExpectError(Osmo({"recon", scan, "-o", "/nonexistent/dir/x.mha"}), 1, "existing folder");
  ExpectError(Osmo({"simulate", "--phantom", "head", "-o", folder + "/s.h5"}), 1, "thorax");
  ExpectError(Osmo({"simulate", "--geometry", "ge7", "-o", folder + "/s.h5"}), 1, "preset");
  ExpectError(Osmo({"recon", scan, "-o", folder + "/x.mha", "--resume"}), 1, "--checkpoint");
  // A scan that lost an attribute (deleted with the HDF5 C API).
  const std::string damaged = folder + "/damaged.h5";
  fs::copy_file(scan, damaged);
  {
    const hid_t file = H5Fopen(damaged.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t geometry = H5Gopen2(file, "/geometry", H5P_DEFAULT);
    ASSERT_GE(H5Adelete(geometry, "source_to_detector_mm"), 0);
    H5Gclose(geometry);
    H5Fclose(file);
  }
  ExpectError(Osmo({"info", damaged}), 1,
              damaged +
                  ": /geometry attribute source_to_detector_mm: expected a number, found "
                  "nothing (missing attribute)");
  ExpectError(Osmo({"info", damaged + "x"}), 1, "no such file");
  EXPECT_FALSE(fs::exists(folder + "/x.mha"));
}

TEST(Cli, CheckpointAndResumeGiveTheUninterruptedResult) {
  const std::string folder = Folder();
  const std::string scan = SimulateSmall(folder);
  const std::vector<std::string> common = {"--image-size", "64",      "--subsets", "6",
                                           "--restart",    "gradient"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return Osmo(args);
  };
  ASSERT_EQ(with({"recon", scan, "-o", folder + "/full.mha", "--iterations", "6"}).exit_code, 0);
  const std::string checkpoint = folder + "/state.h5";
  ASSERT_EQ(with({"recon", scan, "-o", folder + "/part.mha", "--iterations", "3", "--checkpoint",
                  checkpoint})
                .exit_code,
            0);
  ASSERT_TRUE(fs::exists(checkpoint));
  const ProcessResult resumed = with({"recon", scan, "-o", folder + "/resumed.mha", "--iterations",
                                      "6", "--checkpoint", checkpoint, "--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(ReadVolume(folder + "/resumed.mha").values, ReadVolume(folder + "/full.mha").values);
  // A checkpoint of other options is refused.
  ExpectError(Osmo({"recon", scan, "-o", folder + "/other.mha", "--image-size", "64", "--subsets",
                    "3", "--iterations", "6", "--checkpoint", checkpoint, "--resume"}),
              1, "expected a checkpoint of this reconstruction");
}

// os-lalm through the real command: a run checkpointed after 2 iterations and resumed with
// another thread count ends on the bits of an uninterrupted one (its g and h travel in the
// checkpoint file); a relaxation outside [1, 2) is refused naming the flag.
TEST(Cli, OsLalmResumesFromItsCheckpointWhateverTheThreadCount) {
  const std::string folder = Folder();
  const std::string scan = SimulateSmall(folder);
  auto recon = [&](const std::string& out, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"recon", scan,        "-o", folder + out,  "--image-size",
                                     "64",    "--subsets", "8",  "--algorithm", "os-lalm"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Osmo(args);
  };
  ASSERT_EQ(recon("/full.mha", {"--iterations", "4", "--threads", "1"}).exit_code, 0);
  const std::string checkpoint = folder + "/lalm_state.h5";
  ASSERT_EQ(recon("/part.mha", {"--iterations", "2", "--checkpoint", checkpoint}).exit_code, 0);
  const ProcessResult resumed = recon("/resumed.mha", {"--iterations", "4", "--checkpoint",
                                                       checkpoint, "--resume", "--threads", "2"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const Image full = ReadVolume(folder + "/full.mha");
  EXPECT_EQ(ReadVolume(folder + "/resumed.mha").values, full.values);
  EXPECT_NE(ReadVolume(folder + "/part.mha").values, full.values);
  ExpectError(recon("/x.mha", {"--lalm-relax", "2"}), 1, "--lalm-relax: expected α in [1, 2)");
}

// The log's `subsets` field follows the adaptive schedule: it starts at --subsets, only falls,
// and reaches 1; --subset-schedule fixed keeps it.
TEST(Cli, TheSubsetScheduleShowsInTheLogAndCanBeFixed) {
  const std::string folder = Folder();
  const std::string scan = SimulateSmall(folder);
  auto subsets_in_log = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"recon",        scan, "-o",        folder + "/x.mha",
                                     "--image-size", "64", "--subsets", "6",
                                     "--iterations", "80", "--log",     folder + "/log.jsonl"};
    args.insert(args.end(), extra.begin(), extra.end());
    const ProcessResult r = Osmo(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<int> subsets;
    std::ifstream in(folder + "/log.jsonl");
    for (std::string line; std::getline(in, line);)
      subsets.push_back(nlohmann::json::parse(line)["subsets"].get<int>());
    return subsets;
  };
  const std::vector<int> adaptive = subsets_in_log({});
  ASSERT_EQ(adaptive.size(), 81u);
  EXPECT_EQ(adaptive.front(), 6);
  EXPECT_EQ(adaptive.back(), 1);
  EXPECT_TRUE(std::is_sorted(adaptive.rbegin(), adaptive.rend()));  // never rises
  const std::vector<int> fixed = subsets_in_log({"--subset-schedule", "fixed"});
  EXPECT_EQ(fixed, std::vector<int>(81, 6));
  ExpectError(Osmo({"recon", scan, "-o", folder + "/y.mha", "--subset-schedule", "halving"}), 1,
              "--subset-schedule: expected fixed or adaptive");
}

TEST(Cli, SigintStopsAfterAnIterationWithACheckpoint) {
  const std::string folder = Folder();
  const std::string scan = SimulateSmall(folder);
  const std::string checkpoint = folder + "/state.h5";
  const pid_t pid = testing::StartProcess(
      OSMO_BINARY, {"recon", scan, "-o", folder + "/x.mha", "--image-size", "64", "--iterations",
                    "100000", "--checkpoint", checkpoint, "--checkpoint-every", "1000000"});
  // Let the run start iterating, then stop it: it finishes the iteration, checkpoints, exits 130.
  sleep(2);
  kill(pid, SIGINT);
  EXPECT_EQ(testing::WaitForExit(pid), 130);
  EXPECT_TRUE(fs::exists(checkpoint));
  EXPECT_FALSE(fs::exists(folder + "/x.mha"));
}

// The real APS tooth: import matches −log((I − D)/(F − D)) (tested in io), and the FBP shows the
// object: the mean inside the tooth's support clearly exceeds the mean of the air around it.
TEST(Cli, RealToothImportsAndItsFbpShowsTheTooth) {
  const std::string tooth = testing::RealDataFile("tomopy-tooth/tooth.h5");
  if (tooth.empty())
    GTEST_SKIP() << "real data (tomopy-tooth/tooth.h5) not found; set OSMO_REAL_DATA";
  const std::string folder = Folder();
  const ProcessResult imported = Osmo({"import", tooth, "-o", folder + "/tooth.h5", "--angles-deg",
                                       "0:180:181", "--center-of-rotation", "295.6"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const ProcessResult fbp = Osmo({"fbp", folder + "/tooth.h5", "-o", folder + "/tooth.mha"});
  ASSERT_EQ(fbp.exit_code, 0) << fbp.err;
  const Image image = ReadVolume(folder + "/tooth.mha");
  std::vector<float> sorted = image.values;
  std::sort(sorted.begin(), sorted.end());
  const float p99 = sorted[size_t(0.99 * double(sorted.size()))];
  double inside = 0, outside = 0;
  int64_t n_in = 0, n_out = 0;
  for (float v : image.values) {
    if (v > 0.5f * p99) {
      inside += v;
      ++n_in;
    } else if (v < 0.1f * p99) {
      outside += v;
      ++n_out;
    }
  }
  const double fraction = double(n_in) / double(image.size());
  EXPECT_GT(fraction, 0.02);  // an object, not a few hot pixels
  EXPECT_LT(fraction, 0.5);
  EXPECT_GT(inside / double(n_in), 10.0 * std::abs(outside / double(n_out)));
  // Reconstructing the DXchange file directly works too.
  const ProcessResult recon =
      Osmo({"recon", tooth, "--angles-deg", "0:180:181", "--center-of-rotation", "295.6", "-o",
            folder + "/tooth_recon.mha", "--image-size", "128", "--voxel-size-mm", "4.5",
            "--iterations", "2", "--subsets", "4"});
  EXPECT_EQ(recon.exit_code, 0) << recon.err;
}

}  // namespace
}  // namespace osmo
