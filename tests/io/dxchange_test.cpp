// Tests of DXchange import: a synthetic file with known counts, option handling, the real tooth.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/dxchange.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "projectors/error.h"
#include "recon/io/hdf5_util.h"
#include "tests/support/real_data.h"

namespace osmo {
namespace {

// A DXchange file with 5 angles, 3 rows, 8 channels: data = dark + flat·t with known t.
std::string WriteSyntheticDxchange(bool with_flats = true) {
  // One file per test: ctest runs test cases as parallel processes.
  const std::string path = ::testing::TempDir() + "osmo_dx_" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".h5";
  h5::Handle file = h5::CreateFile(path);
  h5::Handle exchange = h5::CreateGroup(file.get(), "exchange");
  std::vector<float> data(5 * 3 * 8), white(2 * 3 * 8), dark(2 * 3 * 8);
  for (size_t p = 0; p < 24; ++p) {
    white[p] = 1000.0f + float(p);
    white[24 + p] = 1002.0f + float(p);  // flat mean 1001 + p
    dark[p] = 10.0f;
    dark[24 + p] = 12.0f;  // dark mean 11
  }
  for (size_t v = 0; v < 5; ++v) {
    for (size_t p = 0; p < 24; ++p) {
      const double t = std::exp(-0.1 * double(v + 1) - 0.01 * double(p));
      data[v * 24 + p] = float(11.0 + (1001.0 + double(p) - 11.0) * t);
    }
  }
  h5::WriteFloatDataset(exchange.get(), "data", {5, 3, 8}, data.data());
  if (with_flats) h5::WriteFloatDataset(exchange.get(), "data_white", {2, 3, 8}, white.data());
  h5::WriteFloatDataset(exchange.get(), "data_dark", {2, 3, 8}, dark.data());
  const double theta[5] = {0, 45, 90, 135, 180};
  h5::WriteDoubleDataset(exchange.get(), "theta", {5}, theta);
  return path;
}

TEST(Dxchange, NormalisesLogsAndWeighsSyntheticCounts) {
  const std::string path = WriteSyntheticDxchange();
  DxchangeOptions options;
  options.center_of_rotation_px = 3.0;
  ParseRowRange("1:3", &options);
  const ScanData scan = ImportDxchange(path, options);
  EXPECT_EQ(scan.geometry.kind, ScanKind::kParallel);
  EXPECT_EQ(scan.geometry.n_rows, 2);
  EXPECT_EQ(scan.geometry.n_channels, 8);
  EXPECT_DOUBLE_EQ(scan.geometry.channel_offset, 3.5 - 3.0);
  EXPECT_DOUBLE_EQ(scan.geometry.row_offset, 0.5);  // rows 1, 2 of 0..2
  EXPECT_NEAR(scan.geometry.angles_rad[2], M_PI / 2, 1e-15);
  for (int64_t v = 0; v < 5; ++v) {
    for (int64_t r = 0; r < 2; ++r) {
      for (int64_t c = 0; c < 8; ++c) {
        const size_t p = size_t((r + 1) * 8 + c);
        EXPECT_NEAR(scan.sinogram.at(v, r, c), 0.1 * double(v + 1) + 0.01 * double(p), 2e-5);
        const double counts =
            (1001.0 + double(p) - 11.0) * std::exp(-0.1 * double(v + 1) - 0.01 * double(p));
        EXPECT_NEAR(scan.weights->at(v, r, c), counts, 1e-3 * counts);
      }
    }
  }
}

TEST(Dxchange, AngleOverrideIsInclusiveAndChecked) {
  const std::string path = WriteSyntheticDxchange();
  DxchangeOptions options;
  ParseAngleRange("0:180:5", &options);
  const ScanData scan = ImportDxchange(path, options);
  EXPECT_NEAR(scan.geometry.angles_rad[4], M_PI, 1e-15);
  ParseAngleRange("0:180:6", &options);
  EXPECT_THROW(ImportDxchange(path, options), InputError);
  EXPECT_THROW(ParseAngleRange("0:180", &options), InputError);
  EXPECT_THROW(ParseAngleRange("a:180:5", &options), InputError);
  EXPECT_THROW(ParseRowRange("3:1", &options), InputError);
}

TEST(Dxchange, MissingFlatsAreReported) {
  try {
    ImportDxchange(WriteSyntheticDxchange(false), {});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/exchange/data_white: expected a dataset, found nothing"),
              std::string::npos)
        << e.what();
  }
}

// The real APS tooth scan: every value equals −log((I − D)/(F − D)) with D and F the mean dark and
// flat, computed here independently from the raw datasets.
TEST(Dxchange, RealToothFileImportsWithTheIndependentlyComputedValues) {
  const std::string path = testing::RealDataFile("tomopy-tooth/tooth.h5");
  if (path.empty())
    GTEST_SKIP() << "real data (tomopy-tooth/tooth.h5) not found; set OSMO_REAL_DATA";
  DxchangeOptions options;
  ParseAngleRange("0:180:181", &options);
  options.center_of_rotation_px = 295.6;
  const ScanData scan = ImportDxchange(path, options);
  ASSERT_EQ(scan.geometry.NumViews(), 181);
  ASSERT_EQ(scan.geometry.n_rows, 2);
  ASSERT_EQ(scan.geometry.n_channels, 640);
  EXPECT_NEAR(scan.geometry.channel_offset, 319.5 - 295.6, 1e-12);
  h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  auto read = [&](const char* name, size_t n) {
    std::vector<double> v(n);
    h5::Handle ds(H5Dopen2(file.get(), name, H5P_DEFAULT), H5Dclose);
    H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    return v;
  };
  const auto data = read("/exchange/data", 181 * 2 * 640);
  const auto white = read("/exchange/data_white", 10 * 2 * 640);
  const auto dark = read("/exchange/data_dark", 10 * 2 * 640);
  double max_error = 0.0;
  for (size_t p = 0; p < 2 * 640; ++p) {
    double f = 0, d = 0;
    for (size_t k = 0; k < 10; ++k) {
      f += white[k * 1280 + p] / 10;
      d += dark[k * 1280 + p] / 10;
    }
    for (size_t v = 0; v < 181; ++v) {
      const double expected = -std::log((data[v * 1280 + p] - d) / (f - d));
      max_error = std::max(max_error, std::abs(scan.sinogram.values[v * 1280 + p] - expected));
    }
  }
  EXPECT_LT(max_error, 1e-5);
}

}  // namespace
}  // namespace osmo
