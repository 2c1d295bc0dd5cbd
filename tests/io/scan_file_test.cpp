// Tests of the scan file: round trip, and one clear message per malformed-file case.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/scan_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "projectors/error.h"
#include "recon/io/hdf5_util.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using namespace osmo::testing;
namespace fs = std::filesystem;

std::string TempPath(const std::string& name) { return ::testing::TempDir() + "osmo_" + name; }

ScanData SmallScan() {
  ScanData scan;
  scan.geometry = FanScan(DetectorShape::kArc, 12, 10, 1.5, 1.25, 500.0, 900.0);
  scan.sinogram = Sinogram(scan.geometry);
  scan.sinogram.values = RandomValues(scan.sinogram.size(), 1);
  scan.weights = Sinogram(scan.geometry);
  scan.weights->values = RandomValues(scan.sinogram.size(), 2);
  scan.counts = Sinogram(scan.geometry);
  scan.counts->values = RandomValues(scan.sinogram.size(), 3);
  scan.incident_counts = RandomValues(12, 4);
  for (float& v : scan.incident_counts) v = 1e4f * (1.0f + v);
  scan.electronic_noise_std = 5.0;
  ImageGeometry g = SquareImage(6, 2.5, 2, 1.5);
  g.center_mm = {1.0, -2.0, 3.0};
  scan.reference = Image(g);
  scan.reference->values = RandomValues(g.NumVoxels(), 5);
  return scan;
}

TEST(ScanFile, RoundTripKeepsEverything) {
  // A folder of its own: other test processes write temporaries into TempDir() meanwhile.
  const std::string folder = TempPath("roundtrip_folder");
  fs::remove_all(folder);
  fs::create_directories(folder);
  const std::string path = folder + "/roundtrip.h5";
  const ScanData scan = SmallScan();
  WriteScanFile(path, scan);
  const ScanData back = ReadScanFile(path);
  const ScanGeometry& a = scan.geometry;
  const ScanGeometry& b = back.geometry;
  EXPECT_EQ(b.kind, a.kind);
  EXPECT_EQ(b.detector_shape, a.detector_shape);
  EXPECT_EQ(b.source_to_isocenter_mm, a.source_to_isocenter_mm);
  EXPECT_EQ(b.source_to_detector_mm, a.source_to_detector_mm);
  EXPECT_EQ(b.n_channels, a.n_channels);
  EXPECT_EQ(b.n_rows, a.n_rows);
  EXPECT_EQ(b.channel_spacing_mm, a.channel_spacing_mm);
  EXPECT_EQ(b.channel_offset, a.channel_offset);
  EXPECT_EQ(b.angles_rad, a.angles_rad);
  EXPECT_EQ(back.sinogram.values, scan.sinogram.values);
  EXPECT_EQ(back.weights->values, scan.weights->values);
  EXPECT_EQ(back.counts->values, scan.counts->values);
  EXPECT_EQ(back.incident_counts, scan.incident_counts);
  EXPECT_EQ(*back.electronic_noise_std, 5.0);
  ASSERT_TRUE(back.reference.has_value());
  EXPECT_TRUE(back.reference->geometry == scan.reference->geometry);
  EXPECT_EQ(back.reference->values, scan.reference->values);
  // No temporary files are left beside the output.
  for (const auto& entry : fs::directory_iterator(fs::path(path).parent_path())) {
    EXPECT_EQ(entry.path().filename().string().find(".osmo-tmp"), std::string::npos);
  }
}

TEST(ScanFile, ConeGeometryAndUniformI0RoundTrip) {
  ScanData scan;
  scan.geometry = ConeScan(DetectorShape::kFlat, 8, 5, 4, 1.0, 1.2, 0.5, -0.25);
  scan.sinogram = Sinogram(scan.geometry, 0.5f);
  scan.incident_counts = {1e5f};
  const std::string path = TempPath("cone.h5");
  WriteScanFile(path, scan);
  const ScanData back = ReadScanFile(path);
  EXPECT_EQ(back.geometry.kind, ScanKind::kCone);
  EXPECT_EQ(back.geometry.row_spacing_mm, 1.2);
  EXPECT_EQ(back.geometry.row_offset, -0.25);
  EXPECT_EQ(back.incident_counts, std::vector<float>{1e5f});
  EXPECT_FALSE(back.weights.has_value());
  EXPECT_EQ(ReadScanGeometry(path).n_rows, 5);
}

ScanData HelicalScanData() {
  ScanData scan;
  scan.geometry = HelicalScan(DetectorShape::kArc, 8, 4, 10, 2.0, 1.0, 1.2, 6.0);
  AddFlyingFocalSpot(&scan.geometry, 1e-3, 0.3, -0.2);
  scan.sinogram = Sinogram(scan.geometry, 0.5f);
  return scan;
}

// Version 2: per-view source z and focal spot shifts round-trip exactly; a scan without them is
// still written as version 1.
TEST(ScanFile, HelicalTrajectoryAndFocalSpotShiftsRoundTripAsVersion2) {
  const std::string path = TempPath("helical.h5");
  const ScanData scan = HelicalScanData();
  WriteScanFile(path, scan);
  const ScanData back = ReadScanFile(path);
  EXPECT_EQ(back.geometry.source_z_mm, scan.geometry.source_z_mm);
  EXPECT_EQ(back.geometry.source_shift_angle_rad, scan.geometry.source_shift_angle_rad);
  EXPECT_EQ(back.geometry.source_shift_z_mm, scan.geometry.source_shift_z_mm);
  EXPECT_EQ(back.geometry.source_shift_radius_mm, scan.geometry.source_shift_radius_mm);
  auto version = [](const std::string& file) {
    h5::Handle f = h5::OpenFileReadOnly(file);
    h5::Handle root = h5::OpenGroup(f.get(), "/", file);
    return h5::ReadNumberAttribute(root.get(), "osmo_format_version", file);
  };
  EXPECT_EQ(version(path), 2.0);
  ScanData circular = scan;
  circular.geometry.source_z_mm.clear();
  circular.geometry.source_shift_angle_rad.clear();
  circular.geometry.source_shift_z_mm.clear();
  circular.geometry.source_shift_radius_mm.clear();
  const std::string circular_path = TempPath("circular_v1.h5");
  WriteScanFile(circular_path, circular);
  EXPECT_EQ(version(circular_path), 1.0);
  EXPECT_TRUE(ReadScanFile(circular_path).geometry.source_z_mm.empty());
}

// Writes a valid file (`valid`), lets `corrupt` edit it through the HDF5 API, then expects
// ReadScanFile to fail with a message containing `fragment` and the file name.
void ExpectRejected(const std::string& name, const std::function<void(hid_t)>& corrupt,
                    const std::string& fragment, const ScanData& valid = SmallScan()) {
  const std::string path = TempPath(name + ".h5");
  WriteScanFile(path, valid);
  {
    h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    ASSERT_TRUE(file.valid());
    corrupt(file.get());
  }
  try {
    ReadScanFile(path);
    ADD_FAILURE() << name << ": accepted";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(fragment), std::string::npos) << name << ": " << message;
    EXPECT_NE(message.find(path), std::string::npos) << name << ": " << message;
  }
}

TEST(ScanFile, RejectsBadTrajectoryDatasetsWithAClearMessage) {
  auto replace = [](hid_t f, const char* name, std::vector<double> values) {
    H5Ldelete(f, name, H5P_DEFAULT);
    h5::Handle g(H5Gopen2(f, "/geometry", H5P_DEFAULT), H5Gclose);
    h5::WriteDoubleDataset(g.get(), std::string(name).substr(10), {hsize_t(values.size())},
                           values.data());
  };
  ExpectRejected(
      "v1_with_source_z", [](hid_t f) { h5::WriteIntAttribute(f, "osmo_format_version", 1); },
      "osmo_format_version: expected version 2 (the file has /geometry/source_z_mm",
      HelicalScanData());
  ExpectRejected(
      "short_source_z",
      [&](hid_t f) {
        replace(f, "/geometry/source_z_mm", {1.0, 2.0});
      },
      "/geometry/source_z_mm: expected a 1D array of 20 values (one per view), found shape [2]",
      HelicalScanData());
  ExpectRejected(
      "nan_shift",
      [&](hid_t f) {
        std::vector<double> values(20, 0.0);
        values[3] = std::nan("");
        replace(f, "/geometry/source_shift_z_mm", values);
      },
      "source_shift_z_mm[3]: expected a finite number, found nan", HelicalScanData());
}

// μ_water and the patient position of imported clinical scans round-trip; bad values are refused.
TEST(ScanFile, ClinicalAttributesRoundTripAndBadOnesAreRefused) {
  ScanData scan = SmallScan();
  scan.mu_water_per_mm = 0.0193;
  scan.patient_position = "FFS";
  const std::string path = TempPath("clinical_attributes.h5");
  WriteScanFile(path, scan);
  const ScanData back = ReadScanFile(path);
  EXPECT_EQ(back.mu_water_per_mm, 0.0193);
  EXPECT_EQ(back.patient_position, "FFS");
  ExpectRejected(
      "patient_position", [](hid_t f) { h5::WriteStringAttribute(f, "patient_position", "HFDL"); },
      "patient_position: expected HFS, FFS, HFP or FFP, found \"HFDL\"");
  ExpectRejected(
      "mu_water", [](hid_t f) { h5::WriteDoubleAttribute(f, "mu_water_per_mm", -1.0); },
      "mu_water_per_mm: expected a positive μ of water (1/mm), found -1");
}

void ReplaceSinogramLike(hid_t file, const char* name, const std::vector<hsize_t>& dims,
                         std::vector<float> values) {
  H5Ldelete(file, name, H5P_DEFAULT);
  h5::WriteFloatDataset(file, name, dims, values.data());
}

// One case per kind of damage, each a mutation of a valid file and the message it must give: a
// table, long by nature (each case reads on its own).
TEST(ScanFile, RejectsEachKindOfBadContentWithAClearMessage) {
  const std::vector<hsize_t> dims = {10, 1, 12};
  ExpectRejected(
      "format", [](hid_t f) { h5::WriteStringAttribute(f, "osmo_format", "volume"); },
      "osmo_format: expected \"scan\", found \"volume\"");
  ExpectRejected(
      "version", [](hid_t f) { h5::WriteIntAttribute(f, "osmo_format_version", 3); },
      "osmo_format_version: expected version 1 or 2, found 3");
  ExpectRejected(
      "missing_attribute",
      [](hid_t f) {
        h5::Handle g(H5Gopen2(f, "/geometry", H5P_DEFAULT), H5Gclose);
        H5Adelete(g.get(), "channel_spacing_mm");
      },
      "/geometry attribute channel_spacing_mm: expected a number, found nothing (missing "
      "attribute)");
  ExpectRejected(
      "mistyped_attribute",
      [](hid_t f) {
        h5::Handle g(H5Gopen2(f, "/geometry", H5P_DEFAULT), H5Gclose);
        h5::WriteDoubleAttribute(g.get(), "kind", 3.0);
      },
      "attribute kind: expected a string, found floating-point data");
  ExpectRejected(
      "bad_kind",
      [](hid_t f) {
        h5::Handle g(H5Gopen2(f, "/geometry", H5P_DEFAULT), H5Gclose);
        h5::WriteStringAttribute(g.get(), "kind", "helical");
      },
      "expected \"parallel\", \"fan\" or \"cone\", found \"helical\"");
  ExpectRejected(
      "rank",
      [](hid_t f) {
        ReplaceSinogramLike(f, "/sinogram", {10, 12}, std::vector<float>(120, 1.0f));
      },
      "/sinogram: expected a 3D array [views][rows][channels], found rank 2");
  ExpectRejected(
      "integer_data",
      [](hid_t f) {
        H5Ldelete(f, "/sinogram", H5P_DEFAULT);
        const hsize_t d[3] = {10, 1, 12};
        h5::Handle space(H5Screate_simple(3, d, nullptr), H5Sclose);
        h5::Handle ds(H5Dcreate2(f, "/sinogram", H5T_STD_I32LE, space.get(), H5P_DEFAULT,
                                 H5P_DEFAULT, H5P_DEFAULT),
                      H5Dclose);
        std::vector<int32_t> v(120, 1);
        H5Dwrite(ds.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
      },
      "/sinogram: expected floating-point data (float32), found integer data");
  ExpectRejected(
      "nan",
      [&](hid_t f) {
        std::vector<float> v(120, 1.0f);
        v[37] = std::nanf("");
        ReplaceSinogramLike(f, "/sinogram", dims, v);
      },
      "/sinogram at [3][0][1]: expected finite values, found nan");
  ExpectRejected(
      "inf_weights",
      [&](hid_t f) {
        std::vector<float> v(120, 1.0f);
        v[5] = INFINITY;
        ReplaceSinogramLike(f, "/weights", dims, v);
      },
      "/weights at [0][0][5]: expected finite values ≥ 0, found inf");
  ExpectRejected(
      "negative_weights",
      [&](hid_t f) {
        std::vector<float> v(120, 1.0f);
        v[13] = -1.0f;
        ReplaceSinogramLike(f, "/weights", dims, v);
      },
      "/weights at [1][0][1]: expected finite values ≥ 0, found -1");
  ExpectRejected(
      "weights_shape",
      [&](hid_t f) {
        ReplaceSinogramLike(f, "/weights", {10, 1, 11}, std::vector<float>(110, 1.0f));
      },
      "/weights: expected the sinogram's shape [10][1][12], found [10][1][11]");
  ExpectRejected(
      "distance",
      [](hid_t f) {
        h5::Handle g(H5Gopen2(f, "/geometry", H5P_DEFAULT), H5Gclose);
        h5::WriteDoubleAttribute(g.get(), "source_to_isocenter_mm", 0.0);
      },
      "source_to_isocenter_mm: expected a positive finite number, found 0");
  ExpectRejected(
      "angle_count",
      [](hid_t f) {
        H5Ldelete(f, "/geometry/angles_rad", H5P_DEFAULT);
        std::vector<double> a(9, 0.1);
        h5::WriteDoubleDataset(f, "/geometry/angles_rad", {9}, a.data());
      },
      "/geometry/angles_rad: expected 10 angles (one per sinogram view), found 9");
  ExpectRejected(
      "zero_views",
      [](hid_t f) {
        ReplaceSinogramLike(f, "/sinogram", {0, 1, 12}, {});
        H5Ldelete(f, "/geometry/angles_rad", H5P_DEFAULT);
        h5::WriteDoubleDataset(f, "/geometry/angles_rad", {0}, nullptr);
      },
      "/sinogram: expected at least one view, found 0 views");
  ExpectRejected(
      "missing_sinogram", [](hid_t f) { H5Ldelete(f, "/sinogram", H5P_DEFAULT); },
      "/sinogram: expected a dataset, found nothing");
  ExpectRejected(
      "no_format", [](hid_t f) { H5Adelete(f, "osmo_format"); },
      "osmo_format: expected \"scan\" (an osmo scan file)");
}

TEST(ScanFile, NonHdf5TruncatedAndMissingFilesGiveErrorsNotCrashes) {
  const std::string text = TempPath("text.h5");
  std::ofstream(text) << "this is not HDF5\n";
  EXPECT_THROW(
      {
        try {
          ReadScanFile(text);
        } catch (const InputError& e) {
          EXPECT_NE(std::string(e.what()).find("expected an HDF5 file"), std::string::npos);
          throw;
        }
      },
      InputError);
  EXPECT_THROW(ReadScanFile(TempPath("does_not_exist.h5")), InputError);
  // Truncate a valid file at several lengths: always an InputError.
  const std::string path = TempPath("full.h5");
  WriteScanFile(path, SmallScan());
  const auto size = fs::file_size(path);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (double fraction : {0.1, 0.5, 0.9, 0.99}) {
    const std::string cut = TempPath("cut.h5");
    std::ofstream(cut, std::ios::binary)
        .write(bytes.data(), std::streamsize(double(size) * fraction));
    EXPECT_THROW(ReadScanFile(cut), InputError) << fraction;
  }
  // Inverted bytes inside the stored chunks of /sinogram (found through the chunk index): every
  // damaged copy is refused by the chunks' Fletcher-32 checksums or the decompressor (before the
  // checksums, some read as changed values).
  std::vector<size_t> offsets;
  {
    h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    h5::Handle dataset(H5Dopen2(file.get(), "/sinogram", H5P_DEFAULT), H5Dclose);
    h5::Handle space(H5Dget_space(dataset.get()), H5Sclose);
    for (hsize_t chunk : {0, 4, 9}) {
      hsize_t origin[3];
      unsigned mask = 0;
      haddr_t address = 0;
      hsize_t bytes_stored = 0;
      ASSERT_GE(H5Dget_chunk_info(dataset.get(), space.get(), chunk, origin, &mask, &address,
                                  &bytes_stored),
                0);
      offsets.push_back(size_t(address + bytes_stored / 2));
    }
  }
  for (size_t offset : offsets) {
    std::string damaged = bytes;
    for (size_t i = offset; i < std::min<size_t>(offset + 4, damaged.size()); ++i)
      damaged[i] = char(~damaged[i]);
    const std::string bad = TempPath("damaged.h5");
    std::ofstream(bad, std::ios::binary).write(damaged.data(), std::streamsize(damaged.size()));
    EXPECT_THROW(ReadScanFile(bad), InputError) << "bytes inverted at " << offset;
  }
}

TEST(ScanFile, WritingToAMissingFolderFails) {
  EXPECT_THROW(WriteScanFile("/nonexistent/folder/scan.h5", SmallScan()), InputError);
}

}  // namespace
}  // namespace osmo
