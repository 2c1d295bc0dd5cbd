// Tests of ITK volume I/O: round trips per format (values, spacing, origin), units, errors.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/volume_io.h"

#include <gtest/gtest.h>

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
  EXPECT_THROW(ParseVolumeUnits("kelvin"), InputError);
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
