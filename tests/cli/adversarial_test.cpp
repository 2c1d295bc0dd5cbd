// Regression tests of an adversarial run's findings (issue "never crash, never hang, never lie,
// never destroy"): each case once crashed, hung, gave a wrong result with exit 0 or destroyed
// data; now each gives exit 1 and a message naming the file, object, expected and found.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "recon/io/hdf5_util.h"
#include "recon/io/scan_file.h"
#include "tests/support/osmo_process.h"

namespace osmo {
namespace {

using testing::Osmo;
using testing::ProcessResult;
using testing::ReadWholeFile;
using testing::RunProcess;
namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string Folder() { return testing::FreshTestFolder("osmo_adversarial_"); }

using testing::kSmallFanGeometryJson;
using testing::SimulateSmallScan;
using testing::WriteSmallFanGeometry;

std::string Simulate(const std::string& folder, const std::string& name = "scan.h5",
                     const std::string& seed = "1") {
  return SimulateSmallScan(folder, name, seed);
}

// A DXchange file of 10 projections of 2 × 16 pixels (counts 500) with the given flat and dark
// counts, written by /usr/bin/python3 + h5py.
void WriteDxchangeWithPython(const std::string& path, int flat, int dark) {
  const std::string script = path + ".py";
  std::ofstream(script) << R"(import sys, h5py, numpy as np
path, flat, dark = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with h5py.File(path, "w") as f:
    f.create_dataset("exchange/data", data=np.full((10, 2, 16), 500, np.uint16))
    f.create_dataset("exchange/data_white", data=np.full((2, 2, 16), flat, np.uint16))
    f.create_dataset("exchange/data_dark", data=np.full((2, 2, 16), dark, np.uint16))
    f.create_dataset("exchange/theta", data=np.linspace(0, 180, 10, endpoint=False))
)";
  const ProcessResult r =
      RunProcess("/usr/bin/python3", {script, path, std::to_string(flat), std::to_string(dark)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

void ExpectError(const ProcessResult& r, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("osmo: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

// Runs osmo under a file-size limit (bash: SIGXFSZ ignored, so writes fail with EFBIG like on a
// full disk).
ProcessResult OsmoWithFileLimit(int kilobytes, const std::vector<std::string>& args) {
  std::string command = "trap '' XFSZ; ulimit -f " + std::to_string(kilobytes) + "; exec \"$0\"";
  for (size_t n = 0; n < args.size(); ++n) command += " \"$" + std::to_string(n + 1) + "\"";
  std::vector<std::string> argv = {"-c", command, OSMO_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess("/bin/bash", argv);
}

void ExpectNoTemporaries(const std::string& folder) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    EXPECT_EQ(entry.path().filename().string().find(".osmo-tmp"), std::string::npos)
        << entry.path();
  }
}

TEST(Adversarial, HdfExternalLinksAndExternalStorageAreRefused) {
  const std::string folder = Folder();
  const std::string scan = Simulate(folder);
  std::ofstream(folder + "/secret.bin") << std::string(90 * 64 * 4, 'x');
  fs::copy_file(scan, folder + "/linked.h5");
  fs::copy_file(scan, folder + "/stored.h5");
  {
    h5::SilenceErrors();
    h5::Handle file(H5Fopen((folder + "/linked.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    H5Ldelete(file.get(), "weights", H5P_DEFAULT);
    ASSERT_GE(
        H5Lcreate_external("other.h5", "/data", file.get(), "weights", H5P_DEFAULT, H5P_DEFAULT),
        0);
  }
  {
    h5::Handle file(H5Fopen((folder + "/stored.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    H5Ldelete(file.get(), "weights", H5P_DEFAULT);
    h5::Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_external(properties.get(), (folder + "/secret.bin").c_str(), 0, 90 * 64 * 4);
    const hsize_t dims[3] = {90, 1, 64};
    h5::Handle space(H5Screate_simple(3, dims, nullptr), H5Sclose);
    h5::Handle dataset(H5Dcreate2(file.get(), "weights", H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                  properties.get(), H5P_DEFAULT),
                       H5Dclose);
    ASSERT_TRUE(dataset.valid());
  }
  ExpectError(Osmo({"info", folder + "/linked.h5"}),
              "/weights: expected an object inside the file");
  ExpectError(Osmo({"info", folder + "/stored.h5"}),
              "/weights: expected data stored in the file itself");
}

TEST(Adversarial, MetaImageHeadersAreCheckedBeforeItkReadsThem) {
  const std::string folder = Folder();
  auto header = [&](const std::string& name, const std::string& text) {
    std::ofstream(folder + "/" + name) << text;
    return folder + "/" + name;
  };
  ExpectError(Osmo({"info", header("ndims0.mha",
                                   "ObjectType = Image\nNDims = 0\nDimSize = \n"
                                   "ElementType = MET_FLOAT\n"
                                   "ElementDataFile = LOCAL\n")}),
              "header NDims: expected 2 or 3, found \"0\"");
  ExpectError(Osmo({"info", header("passwd.mhd",
                                   "ObjectType = Image\nNDims = 3\nDimSize = 4 4 1\n"
                                   "ElementType = MET_UCHAR\n"
                                   "ElementDataFile = /etc/passwd\n")}),
              "header ElementDataFile: expected a data file in the header's own folder");
  // A truncated volume: ITK read it with exit 0 (zeros or uninitialised voxels).
  const std::string scan = Simulate(folder);
  const std::string volume = folder + "/fbp.mha";
  ASSERT_EQ(Osmo({"fbp", scan, "-o", volume, "--image-size", "64"}).exit_code, 0);
  const std::string bytes = ReadWholeFile(volume);
  std::ofstream(folder + "/cut.mha", std::ios::binary)
      .write(bytes.data(), std::streamsize(bytes.size() * 6 / 10));
  ExpectError(Osmo({"info", folder + "/cut.mha"}), "(a truncated file)");
  ExpectError(Osmo({"recon", scan, "-o", folder + "/r.mha", "--init", folder + "/cut.mha"}),
              "(a truncated file)");
}

TEST(Adversarial, AbsurdSizesAreRefusedBeforeAllocating) {
  const std::string folder = Folder();
  Json huge = Json::parse(kSmallFanGeometryJson);
  huge["n_channels"] = 536870912;
  std::ofstream(folder + "/huge.json") << huge.dump();
  ExpectError(Osmo({"simulate", "--geometry", folder + "/huge.json", "-o", folder + "/s.h5"}),
              "n_channels: expected 1 to 16777216 channels, found 536870912");
  const std::string scan = Simulate(folder);
  ExpectError(
      Osmo({"fbp", scan, "-o", folder + "/f.mha", "--image-size", "8", "--voxel-size-mm", "1e12"}),
      "image extent");  // the source would sit inside such an image
  ExpectError(
      Osmo({"project", folder + "/none.mha", "--geometry-from", scan, "-o", folder + "/p.h5"}),
      "no such file");
  // A 5 KB file declaring a sinogram of 90 × 100000 × 64 values whose chunks were never written:
  // it read as zeros (and 2 GB of memory) with exit 0.
  const std::string sparse = folder + "/sparse.h5";
  {
    h5::Handle source(H5Fopen(scan.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    h5::Handle file = h5::CreateFile(sparse);
    h5::Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
    h5::WriteStringAttribute(root.get(), "osmo_format", "scan");
    h5::WriteIntAttribute(root.get(), "osmo_format_version", 1);
    ASSERT_GE(H5Ocopy(source.get(), "geometry", file.get(), "geometry", H5P_DEFAULT, H5P_DEFAULT),
              0);
    h5::Handle group(H5Gopen2(file.get(), "geometry", H5P_DEFAULT), H5Gclose);
    h5::WriteDoubleAttribute(group.get(), "row_spacing_mm", 1.0);
    const hsize_t dims[3] = {90, 100000, 64}, chunk[3] = {1, 1000, 64};
    h5::Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(properties.get(), 3, chunk);
    h5::Handle space(H5Screate_simple(3, dims, nullptr), H5Sclose);
    h5::Handle dataset(H5Dcreate2(file.get(), "sinogram", H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                  properties.get(), H5P_DEFAULT),
                       H5Dclose);
  }
  EXPECT_LT(fs::file_size(sparse), 64u * 1024);
  ExpectError(Osmo({"info", sparse}), "/sinogram: expected data for every element");
}

TEST(Adversarial, DeeplyNestedJsonIsRefusedNotOverflowingTheStack) {
  const std::string folder = Folder();
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::ofstream(folder + "/deep.json") << R"({"jobs": )" << deep << "}";
  ExpectError(Osmo({"batch", folder + "/deep.json"}), "expected JSON nested at most 64 levels");
  std::ofstream(folder + "/deep_geometry.json") << R"({"kind": )" << deep << "}";
  ExpectError(
      Osmo({"simulate", "--geometry", folder + "/deep_geometry.json", "-o", folder + "/s.h5"}),
      "expected JSON nested at most 64 levels");
}

TEST(Adversarial, AbsurdDosesAndNegativePhantomsEndPromptly) {
  const std::string folder = Folder();
  WriteSmallFanGeometry(folder);
  const auto start = std::chrono::steady_clock::now();
  ExpectError(Osmo({"simulate", "--geometry", folder + "/small.json", "--incident-counts", "1e19",
                    "-o", folder + "/s.h5"}),
              "--incident-counts: expected a positive number of counts up to 1e+12");
  // Above 1e7 counts the normal approximation is drawn: finite values, quickly.
  ASSERT_EQ(Osmo({"simulate", "--geometry", folder + "/small.json", "--incident-counts", "1e11",
                  "-o", folder + "/high.h5"})
                .exit_code,
            0);
  const ScanData high = ReadScanFile(folder + "/high.h5");
  for (float v : high.sinogram.values) ASSERT_TRUE(std::isfinite(v));
  std::ofstream(folder + "/negative.json")
      << R"({"ellipses": [{"center_mm": [0, 0], "semi_axes_mm": [50, 50], "value_per_mm": -0.02}]})";
  ExpectError(Osmo({"simulate", "--geometry", folder + "/small.json", "--phantom",
                    folder + "/negative.json", "-o", folder + "/n.h5"}),
              "expected finite line integrals ≥ 0");
  ExpectError(Osmo({"simulate", "--geometry", folder + "/small.json", "--bowtie-mm", "1e6", "-o",
                    folder + "/b.h5"}),
              "--bowtie-mm");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 60.0);
  EXPECT_FALSE(fs::exists(folder + "/s.h5"));
}

TEST(Adversarial, CheckpointsAreValidatedAndTiedToTheirData) {
  const std::string folder = Folder();
  const std::string scan = Simulate(folder);
  const std::string checkpoint = folder + "/state.h5";
  const std::vector<std::string> recon = {"recon",        scan, "-o",           folder + "/r.mha",
                                          "--image-size", "32", "--checkpoint", checkpoint};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = recon;
    args.insert(args.end(), extra.begin(), extra.end());
    return Osmo(args);
  };
  ASSERT_EQ(with({"--iterations", "2"}).exit_code, 0);
  fs::copy_file(checkpoint, folder + "/good.h5");
  for (double bad : {std::nan(""), 1e300, -3.0}) {
    fs::copy_file(folder + "/good.h5", checkpoint, fs::copy_options::overwrite_existing);
    {
      h5::Handle file(H5Fopen(checkpoint.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
      h5::Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
      h5::WriteDoubleAttribute(root.get(), "iteration", bad);
    }
    ExpectError(with({"--iterations", "4", "--resume"}), "attribute iteration: expected a");
  }
  // Another scan under the same name: its checkpoint is not this reconstruction's.
  fs::copy_file(folder + "/good.h5", checkpoint, fs::copy_options::overwrite_existing);
  fs::remove(scan);
  Simulate(folder, "scan.h5", "2");
  ExpectError(with({"--iterations", "4", "--resume"}),
              "expected a checkpoint of this reconstruction");
}

TEST(Adversarial, AResumedLogHasOneLinePerIteration) {
  const std::string folder = Folder();
  const std::string scan = Simulate(folder);
  const std::string log = folder + "/log.jsonl", checkpoint = folder + "/state.h5";
  const std::vector<std::string> base = {"recon",        scan, "-o",           folder + "/r.mha",
                                         "--image-size", "32", "--checkpoint", checkpoint,
                                         "--log",        log};
  std::vector<std::string> first = base;
  first.insert(first.end(), {"--iterations", "2"});
  ASSERT_EQ(Osmo(first).exit_code, 0);
  // A run killed after its checkpoint had logged two more iterations and half a line.
  std::ofstream(log, std::ios::app) << R"({"iteration":3,"time_s":1})"
                                    << "\n"
                                    << R"({"iteration":4,"time_s":2})"
                                    << "\n{\"itera";
  std::vector<std::string> resumed = base;
  resumed.insert(resumed.end(), {"--iterations", "4", "--resume"});
  ASSERT_EQ(Osmo(resumed).exit_code, 0);
  std::ifstream in(log);
  std::string line;
  int expected = 0;
  while (std::getline(in, line)) EXPECT_EQ(Json::parse(line)["iteration"].get<int>(), expected++);
  EXPECT_EQ(expected, 5);
}

TEST(Adversarial, FifosAndFoldersAreRefusedNotWaitedOn) {
  const std::string folder = Folder();
  ASSERT_EQ(mkfifo((folder + "/pipe.h5").c_str(), 0644), 0);
  ExpectError(Osmo({"info", folder + "/pipe.h5"}), "found a FIFO (named pipe)");
  ExpectError(Osmo({"recon", folder + "/pipe.h5", "-o", folder + "/r.mha"}), "FIFO");
  ExpectError(Osmo({"info", folder}), "found a folder");
}

// One flipped bit inside a stored chunk: in the compressed sinogram the decompressor may notice,
// but in the uncompressed angles only the Fletcher-32 checksum does (without it an angle
// changed silently).
TEST(Adversarial, AFlippedBitInTheDataFailsItsChecksum) {
  const std::string folder = Folder();
  const std::string scan = Simulate(folder);
  const std::string bytes = ReadWholeFile(scan);
  for (const char* name : {"/sinogram", "/geometry/angles_rad"}) {
    haddr_t address = 0;
    hsize_t size = 0;
    {
      h5::Handle file(H5Fopen(scan.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
      h5::Handle dataset(H5Dopen2(file.get(), name, H5P_DEFAULT), H5Dclose);
      hsize_t offset[3];
      unsigned mask = 0;
      h5::Handle space(H5Dget_space(dataset.get()), H5Sclose);
      const hsize_t chunk = std::string(name) == "/sinogram" ? 45 : 0;
      ASSERT_GE(
          H5Dget_chunk_info(dataset.get(), space.get(), chunk, offset, &mask, &address, &size), 0)
          << name;
    }
    std::string damaged = bytes;
    ASSERT_LT(address + size, damaged.size());
    damaged[size_t(address + size / 2)] ^= 0x10;
    std::ofstream(folder + "/flipped.h5", std::ios::binary)
        .write(damaged.data(), std::streamsize(damaged.size()));
    ExpectError(Osmo({"info", folder + "/flipped.h5"}), "a failed checksum");
  }
}

TEST(Adversarial, AFullDiskNeverLeavesAFileUnderTheFinalName) {
  const std::string folder = Folder();
  WriteSmallFanGeometry(folder);
  const ProcessResult simulate =
      OsmoWithFileLimit(8, {"simulate", "--geometry", folder + "/small.json", "--reference-size",
                            "128", "-o", folder + "/s.h5"});
  EXPECT_EQ(simulate.exit_code, 1) << simulate.err;
  EXPECT_FALSE(fs::exists(folder + "/s.h5"));
  const std::string scan = Simulate(folder);
  for (const char* name : {"/r.mha", "/r.nii.gz", "/r.nrrd"}) {
    const ProcessResult recon = OsmoWithFileLimit(
        8, {"fbp", scan, "-o", folder + name, "--image-size", "256", "--filter", "ram-lak"});
    EXPECT_EQ(recon.exit_code, 1) << name << ": " << recon.err;
    EXPECT_NE(recon.err.find("osmo: error: " + folder + name), std::string::npos) << recon.err;
    EXPECT_FALSE(fs::exists(folder + name)) << name;
  }
  ExpectNoTemporaries(folder);
}

TEST(Adversarial, StaleTemporariesOfKilledProcessesAreRemoved) {
  const std::string folder = Folder();
  const std::string scan = Simulate(folder);
  // pid 2^22 + 1 is above Linux's largest pid, so it belongs to no running process.
  fs::create_directories(folder + "/.osmo-tmp-4194305-AbCdEf");
  ASSERT_EQ(Osmo({"fbp", scan, "-o", folder + "/f.mha", "--image-size", "32"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(folder + "/.osmo-tmp-4194305-AbCdEf"));
}

TEST(Adversarial, MeaninglessGeometriesAndInputsAreRefused) {
  const std::string folder = Folder();
  Json offset = Json::parse(kSmallFanGeometryJson);
  offset["channel_offset"] = 1e6;
  std::ofstream(folder + "/offset.json") << offset.dump();
  ExpectError(Osmo({"simulate", "--geometry", folder + "/offset.json", "-o", folder + "/s.h5"}),
              "channel_offset: expected cells within ±31.5");
  Json same = Json::parse(kSmallFanGeometryJson);
  same["angle_span_deg"] = 0;
  std::ofstream(folder + "/same.json") << same.dump();
  ExpectError(Osmo({"simulate", "--geometry", folder + "/same.json", "-o", folder + "/s.h5"}),
              "expected views at different angles");
  std::ofstream(folder + "/big.json")
      << R"({"ellipses": [{"center_mm": [0, 0], "semi_axes_mm": [1e150, 1e150], "value_per_mm": 0.02}]})";
  ExpectError(Osmo({"simulate", "--geometry", folder + "/small.json", "--phantom",
                    folder + "/big.json", "-o", folder + "/s.h5"}),
              "magnitude at most 1e6");
  const std::string scan = Simulate(folder);
  // Values beyond the integer range were cast (undefined behaviour) before they were checked.
  ExpectError(Osmo({"fbp", scan, "-o", folder + "/f.mha", "--image-size", "1e30"}),
              "--image-size: expected whole numbers from 1 to 1048576");
  ExpectError(Osmo({"import", scan, "-o", folder + "/i.h5", "--angles-deg", "0:180:1e300"}),
              "--angles-deg");
  // An upper-case extension passed the check and failed after the whole reconstruction.
  const ProcessResult upper = Osmo({"recon", scan, "-o", folder + "/r.MHA"});
  ExpectError(upper, "(lowercase)");
}

TEST(Adversarial, DxchangeFlatsDarkerThanDarksAreRefused) {
  const std::string folder = Folder();
  WriteDxchangeWithPython(folder + "/swapped.h5", 100, 1000);
  ExpectError(Osmo({"import", folder + "/swapped.h5", "-o", folder + "/s.h5"}),
              "expected flat fields brighter than the dark fields");
}

TEST(Adversarial, StudyAndManifestProblemsAreFoundBeforeAnyWork) {
  const std::string folder = Folder();
  WriteSmallFanGeometry(folder);
  Json config = Json::parse(R"({"phantom": "thorax", "geometry": "small.json",
    "doses": [10000], "realisations": 1, "image_size": 32,
    "methods": [{"name": "fbp", "kind": "fbp"}],
    "rois": [{"name": "outside", "center_mm": [900, 900], "radius_mm": 5}]})");
  std::ofstream(folder + "/roi.json") << config.dump();
  ExpectError(Osmo({"study", folder + "/roi.json", "-o", folder + "/out"}),
              "ROI \"outside\": expected a disc containing at least one voxel centre");
  EXPECT_FALSE(fs::exists(folder + "/out/scans"));
  config.erase("rois");
  config["mu_water_per_mm"] = 0;
  std::ofstream(folder + "/water.json") << config.dump();
  ExpectError(Osmo({"study", folder + "/water.json", "-o", folder + "/out"}),
              "mu_water_per_mm: expected a positive μ of water");
  std::ofstream(folder + "/m.json")
      << R"({"jobs": [{"input": "missing.h5", "output": "out.mha"}]})";
  ExpectError(Osmo({"batch", folder + "/m.json"}), "field \"input\": " + folder + "/missing.h5");
  EXPECT_FALSE(fs::exists(folder + "/m.osmo-batch"));
}

TEST(Adversarial, HugeSpacingsAndAxisOffsetsFromFilesAndOptionsAreRefused) {
  const std::string folder = Folder();
  const std::string scan = Simulate(folder);
  std::ofstream(folder + "/huge.mhd") << "ObjectType = Image\nNDims = 3\nDimSize = 4 4 1\n"
                                         "ElementSpacing = 1e300 1e300 1\n"
                                         "ElementType = MET_FLOAT\nElementDataFile = huge.raw\n";
  std::ofstream(folder + "/huge.raw", std::ios::binary) << std::string(64, '\0');
  const ProcessResult project =
      Osmo({"project", folder + "/huge.mhd", "--geometry-from", scan, "-o", folder + "/p.h5"});
  EXPECT_EQ(project.exit_code, 1) << project.err;
  EXPECT_NE(project.err.find("osmo: error: "), std::string::npos) << project.err;
  WriteDxchangeWithPython(folder + "/dx.h5", 1000, 100);
  ExpectError(
      Osmo({"import", folder + "/dx.h5", "-o", folder + "/i.h5", "--center-of-rotation", "1e9"}),
      "channel_offset: expected cells within ±7.5");
}

// A rerun with another configuration in the same folder reused the old scans and images.
TEST(Adversarial, StudyRerunWithAChangedConfigurationRecomputes) {
  const std::string folder = Folder();
  WriteSmallFanGeometry(folder);
  Json config = Json::parse(R"({"phantom": "thorax", "geometry": "small.json",
    "doses": [10000], "realisations": 1, "image_size": 32,
    "methods": [{"name": "fbp", "kind": "fbp"}]})");
  auto run = [&] {
    std::ofstream(folder + "/study.json") << config.dump();
    const ProcessResult r = Osmo({"study", folder + "/study.json", "-o", folder + "/out"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ReadScanFile(folder + "/out/scans/dose0_r0.h5").incident_counts.at(0);
  };
  EXPECT_EQ(run(), 1e4f);
  config["doses"] = {1e6};
  EXPECT_EQ(run(), 1e6f);
}

}  // namespace
}  // namespace osmo
