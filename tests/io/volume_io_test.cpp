// Tests of ITK volume I/O: round trips per format (values, spacing, origin), units, errors.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/volume_io.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "projectors/error.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using namespace osmo::testing;

Image TestVolume(int64_t nz) {
  ImageGeometry g = SquareImage(7, 0.75, nz, 2.5);
  g.ny = 5;
  g.center_mm = {10.5, -3.25, 40.0};
  Image image(g);
  image.values = RandomValues(g.NumVoxels(), 9);
  for (float& v : image.values) v *= 0.04f;
  return image;
}

class VolumeRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(VolumeRoundTrip, KeepsValuesSpacingAndOrigin) {
  for (int64_t nz : {1, 4}) {
    const Image image = TestVolume(nz);
    const std::string path = ::testing::TempDir() + "osmo_volume" + std::to_string(nz) + GetParam();
    WriteVolume(path, image);
    const Image back = ReadVolume(path);
    EXPECT_EQ(back.geometry.nx, 7);
    EXPECT_EQ(back.geometry.ny, 5);
    EXPECT_EQ(back.geometry.nz, nz);
    // NIfTI keeps spacing and origin as float32.
    EXPECT_NEAR(back.geometry.voxel_size_mm, 0.75, 1e-6);
    EXPECT_NEAR(back.geometry.slice_thickness_mm, 2.5, 1e-6);
    for (int a = 0; a < 3; ++a) {
      EXPECT_NEAR(back.geometry.center_mm[size_t(a)], image.geometry.center_mm[size_t(a)], 1e-4)
          << GetParam() << " axis " << a;
    }
    EXPECT_EQ(back.values, image.values) << GetParam();
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, VolumeRoundTrip,
                         ::testing::Values(".mha", ".mhd", ".nrrd", ".nii", ".nii.gz"),
                         [](const auto& p) {
                           std::string name = p.param.substr(1);
                           for (char& c : name) c = c == '.' ? '_' : c;
                           return name;
                         });

TEST(VolumeIo, HounsfieldUnitsAreWrittenAndReadBackAsMu) {
  Image image = TestVolume(2);
  image.values[0] = 0.02f;  // water: 0 HU
  image.values[1] = 0.0f;   // air: −1000 HU
  const std::string path = ::testing::TempDir() + "osmo_hu.mha";
  VolumeWriteOptions options;
  options.units = VolumeUnits::kHounsfield;
  WriteVolume(path, image, options);
  const Image back = ReadVolume(path);
  EXPECT_NEAR(back.values[0], 0.02f, 1e-7);
  EXPECT_NEAR(back.values[1], 0.0f, 1e-7);
  for (size_t n = 0; n < image.values.size(); ++n)
    EXPECT_NEAR(back.values[n], image.values[n], 1e-6);
  EXPECT_DOUBLE_EQ(MuToHu(0.0, 0.02), -1000.0);
}

// NIfTI has no free metadata keys: before the units went into its description, a HU NIfTI was read
// back as μ (values 1000× too large) with no warning.
TEST(VolumeIo, HounsfieldNiftiReadsBackAsMu) {
  Image image = TestVolume(3);
  image.values[0] = 0.0f;  // air: −1000 HU in the file
  for (const char* extension : {".nii", ".nii.gz", ".nrrd", ".mhd"}) {
    const std::string path = ::testing::TempDir() + "osmo_hu_units" + extension;
    VolumeWriteOptions options;
    options.units = VolumeUnits::kHounsfield;
    options.mu_water_per_mm = 0.019;
    WriteVolume(path, image, options);
    const VolumeFile back = ReadVolumeFile(path);
    EXPECT_TRUE(back.units_recorded) << extension;
    for (size_t n = 0; n < image.values.size(); ++n)
      ASSERT_NEAR(back.image.values[n], image.values[n], 1e-6) << extension << " voxel " << n;
  }
}

// A volume from another tool without units: μ-like values are taken as μ (and flagged as
// unrecorded), HU-like values are refused with a message that says why.
TEST(VolumeIo, VolumesWithoutUnitsAreTakenAsMuOrRefusedWhenHuLike) {
  const std::string folder = ::testing::TempDir() + "osmo_no_units";
  std::filesystem::create_directories(folder);
  auto write_raw = [&](const std::string& name, const std::vector<float>& values) {
    std::ofstream(folder + "/" + name + ".mhd")
        << "ObjectType = Image\nNDims = 3\nDimSize = 2 2 1\nElementSpacing = 1 1 1\n"
           "ElementType = MET_FLOAT\nElementDataFile = "
        << name << ".raw\n";
    std::ofstream(folder + "/" + name + ".raw", std::ios::binary)
        .write(reinterpret_cast<const char*>(values.data()), std::streamsize(4 * values.size()));
    return folder + "/" + name + ".mhd";
  };
  const VolumeFile mu = ReadVolumeFile(write_raw("mu", {0.0f, 0.02f, 0.019f, 0.05f}));
  EXPECT_FALSE(mu.units_recorded);
  EXPECT_FLOAT_EQ(mu.image.values[1], 0.02f);
  try {
    ReadVolumeFile(write_raw("hu", {-1000.0f, 0.0f, 40.0f, 1200.0f}));
    FAIL() << "a HU volume without units was read as μ";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("found values up to 1200: Hounsfield units?"),
              std::string::npos)
        << e.what();
  }
}

// Orientation: osmo's x, y, z are ITK's physical (LPS) axes: +x patient left, +y posterior,
// +z superior. NIfTI stores RAS, so its sform must flip x and y; MetaImage states RAI (ITK's code
// for the LPS frame) with an identity matrix. Viewers (3D Slicer, ITK-SNAP) then agree.
TEST(VolumeIo, AxesAreWrittenAsLpsInEveryFormat) {
  const Image image = TestVolume(2);  // spacing 0.75, 0.75, 2.5; centre (10.5, −3.25, 40)
  const ImageGeometry& g = image.geometry;
  const std::string nifti = ::testing::TempDir() + "osmo_orientation.nii";
  WriteVolume(nifti, image);
  std::ifstream in(nifti, std::ios::binary);
  char header[348];
  in.read(header, sizeof header);
  ASSERT_TRUE(in.good());
  auto float_at = [&](int offset) {
    float v;
    std::memcpy(&v, header + offset, 4);
    return v;
  };
  short sform_code;
  std::memcpy(&sform_code, header + 254, 2);
  EXPECT_GT(sform_code, 0);
  // srow_x, srow_y, srow_z (bytes 280, 296, 312): RAS = diag(−1, −1, 1)·LPS.
  EXPECT_NEAR(float_at(280), -g.voxel_size_mm, 1e-6);
  EXPECT_NEAR(float_at(292), -g.X(0), 1e-4);
  EXPECT_NEAR(float_at(296 + 4), -g.voxel_size_mm, 1e-6);
  EXPECT_NEAR(float_at(296 + 12), -g.Y(0), 1e-4);
  EXPECT_NEAR(float_at(312 + 8), g.slice_thickness_mm, 1e-6);
  EXPECT_NEAR(float_at(312 + 12), g.Z(0), 1e-4);

  const std::string meta = ::testing::TempDir() + "osmo_orientation.mha";
  WriteVolume(meta, image, {VolumeUnits::kMuPerMm, 0.02, false});
  std::ifstream meta_in(meta, std::ios::binary);
  std::string text(512, '\0');
  meta_in.read(text.data(), std::streamsize(text.size()));
  EXPECT_NE(text.find("TransformMatrix = 1 0 0 0 1 0 0 0 1"), std::string::npos) << text;
  EXPECT_NE(text.find("AnatomicalOrientation = RAI"), std::string::npos) << text;
  EXPECT_NE(text.find("Offset = 8.25 -4.75 38.75"), std::string::npos) << text;  // voxel 0,0,0
}

TEST(VolumeIo, MhdSidecarAppearsWithItsHeaderAndNoTemporariesRemain) {
  const std::string folder = ::testing::TempDir() + "osmo_mhd_folder";
  std::filesystem::create_directories(folder);
  WriteVolume(folder + "/v.mhd", TestVolume(1));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    ++files;
    EXPECT_EQ(entry.path().filename().string().find(".osmo-tmp"), std::string::npos);
  }
  EXPECT_EQ(files, 2);  // v.mhd and its data file
  EXPECT_EQ(ReadVolume(folder + "/v.mhd").values, TestVolume(1).values);
}

TEST(VolumeIo, ErrorsNameTheFile) {
  EXPECT_THROW(WriteVolume(::testing::TempDir() + "osmo_bad.xyz", TestVolume(1)), InputError);
  EXPECT_THROW(ReadVolume(::testing::TempDir() + "osmo_missing.mha"), InputError);
  Image bad = TestVolume(1);
  bad.values[3] = std::nanf("");
  try {
    WriteVolume(::testing::TempDir() + "osmo_nan.mha", bad);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(::testing::TempDir() + "osmo_nan.mha"));
  const std::string garbage = ::testing::TempDir() + "osmo_garbage.mha";
  std::ofstream(garbage) << "ObjectType = Image\nNDims = 3\nDimSize = 4 4\n";
  EXPECT_THROW(ReadVolume(garbage), InputError);
}

}  // namespace
}  // namespace osmo
