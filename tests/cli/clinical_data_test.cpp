// Clinical data through the real osmo binary: DICOM-CT-PD folders written by pydicom (as Python
// users and the TCIA files write them) imported with `osmo import`, and DICOM series out.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "recon/io/scan_file.h"
#include "tests/support/osmo_process.h"

namespace osmo {
namespace {

using testing::Osmo;
using testing::ProcessResult;
using testing::RunProcess;
namespace fs = std::filesystem;

constexpr const char* kPython = "/usr/bin/python3";  // with python3-pydicom (scripts/setup)

// Writes the pydicom folder (tests/support/write_ct_pd_pydicom.py: 24 views, 16 columns × 4 rows).
std::string WritePydicomFolder(const std::string& folder,
                               const std::vector<std::string>& extra = {}) {
  const std::string target = folder + "/ctpd";
  std::vector<std::string> args = {OSMO_SOURCE_DIR "/tests/support/write_ct_pd_pydicom.py", target};
  args.insert(args.end(), extra.begin(), extra.end());
  const ProcessResult r = RunProcess(kPython, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return target;
}

TEST(ClinicalData, PydicomFolderImportsWithEveryCellInPlace) {
  const std::string folder = testing::FreshTestFolder("osmo_clinical_");
  const std::string input = WritePydicomFolder(folder);
  const std::string scan_path = folder + "/scan.h5";
  const ProcessResult r = Osmo({"import", input, "-o", scan_path, "--progress", "off"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("v3 tag order"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("patient position: HFS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.193 /cm"), std::string::npos) << r.out;

  const ScanData scan = ReadScanFile(scan_path);
  const ScanGeometry& g = scan.geometry;
  ASSERT_EQ(g.NumViews(), 24);
  ASSERT_EQ(g.n_channels, 16);
  ASSERT_EQ(g.n_rows, 4);
  EXPECT_NEAR(*scan.mu_water_per_mm, 0.0193, 1e-9);
  EXPECT_EQ(scan.patient_position, "HFS");
  EXPECT_NEAR(g.channel_offset, 8.5 - 8.75, 1e-6);  // (N + 1)/2 − ColX
  EXPECT_NEAR(g.ShiftZ(1), -0.6, 1e-6);
  EXPECT_NEAR(g.ShiftAngle(1), -3.3e-4, 1e-9);  // β = −φ0 (head first supine)
  // Head first: osmo channel c is DICOM column c + 1, osmo row r is detector row 4 − r (row 1
  // is the farthest, largest z); stored = 1000 + 100·k + 10·column + row.
  for (int64_t k : {0, 7, 23}) {
    for (int64_t row = 0; row < 4; ++row) {
      for (int64_t c = 0; c < 16; ++c) {
        const double stored = 1000 + 100 * k + 10 * (c + 1) + (4 - row);
        EXPECT_NEAR(scan.sinogram.at(k, row, c), stored * 1e-4 - 0.1, 1e-6)
            << "view " << k << " row " << row << " channel " << c;
      }
    }
  }

  const ProcessResult info = Osmo({"info", scan_path});
  EXPECT_NE(info.out.find("patient       HFS"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("μ water       0.0193"), std::string::npos) << info.out;

  // FBP to a DICOM series named by a folder path; its HU use the scan's μ_water.
  const ProcessResult fbp =
      Osmo({"fbp", scan_path, "-o", folder + "/images/", "--image-size", "16,16,3"});
  ASSERT_EQ(fbp.exit_code, 0) << fbp.err;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(folder + "/images")) {
    files += entry.path().extension() == ".dcm";
  }
  EXPECT_EQ(files, 3);
}

TEST(ClinicalData, BadFoldersAndFlagsExitOneNamingTheProblem) {
  const std::string folder = testing::FreshTestFolder("osmo_clinical_");
  const std::string input = WritePydicomFolder(folder, {"--drop", "7031,1002"});
  ProcessResult r = Osmo({"import", input, "-o", folder + "/scan.h5", "--progress", "off"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("proj_0004.dcm: (7031,1002) DetectorFocalCenterAxialPosition"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(folder + "/scan.h5"));

  const std::string good = WritePydicomFolder(folder + "/good");
  r = Osmo({"import", good, "-o", folder + "/scan.h5", "--views", "30:40"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--views"), std::string::npos) << r.err;
  r = Osmo({"import", good, "-o", folder + "/scan.h5", "--patient-position", "HFDL"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("HFS"), std::string::npos) << r.err;
  // A DICOM output folder that holds other files is not replaced.
  r = Osmo({"import", good, "-o", folder + "/scan.h5", "--progress", "off"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::create_directories(folder + "/busy");
  std::ofstream(folder + "/busy/notes.txt") << "keep\n";
  r = Osmo({"fbp", folder + "/scan.h5", "-o", folder + "/busy", "--format", "dicom"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("notes.txt"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(folder + "/busy/notes.txt"));
}

}  // namespace
}  // namespace osmo
