// DICOM CT series output, read back with ITK's own GDCM series reader (an independent path from
// the writer's per-slice files) and GDCM directly.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/dicom_series.h"

#include <gdcmReader.h>
#include <gdcmStringFilter.h>
#include <gtest/gtest.h>
#include <itkGDCMImageIO.h>
#include <itkGDCMSeriesFileNames.h>
#include <itkImage.h>
#include <itkImageSeriesReader.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "projectors/error.h"
#include "recon/io/volume_io.h"

namespace osmo {
namespace {

namespace fs = std::filesystem;

std::string FreshFolder(const std::string& name) {
  const std::string folder = ::testing::TempDir() + "dicom_series_" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                             name;
  fs::remove_all(folder);
  return folder;
}

// A 12 × 10 × 5 volume off the origin, with a ramp in every axis so that a flipped or shifted
// axis shows, including HU far beyond the usual range.
Image RampVolume() {
  ImageGeometry g;
  g.nx = 12;
  g.ny = 10;
  g.nz = 5;
  g.voxel_size_mm = 0.75;
  g.slice_thickness_mm = 2.5;
  g.center_mm = {10.0, -20.0, 100.0};
  Image image(g);
  for (int64_t k = 0; k < g.nz; ++k) {
    for (int64_t j = 0; j < g.ny; ++j) {
      for (int64_t i = 0; i < g.nx; ++i) {
        image.at(i, j, k) =
            float(0.02 * (1.0 + (double(i) - 2.0 * double(j) + 40.0 * double(k)) / 100.0));
      }
    }
  }
  return image;
}

using SeriesImage = itk::Image<float, 3>;

SeriesImage::Pointer ReadSeriesWithItk(const std::string& folder) {
  auto names = itk::GDCMSeriesFileNames::New();
  names->SetDirectory(folder);
  const std::vector<std::string> series = names->GetSeriesUIDs();
  EXPECT_EQ(series.size(), 1u);
  auto reader = itk::ImageSeriesReader<SeriesImage>::New();
  reader->SetImageIO(itk::GDCMImageIO::New());
  reader->SetFileNames(names->GetFileNames(series.front()));
  reader->Update();
  return reader->GetOutput();
}

std::string TagText(const std::string& file, uint16_t group, uint16_t element) {
  gdcm::Reader reader;
  reader.SetFileName(file.c_str());
  EXPECT_TRUE(reader.Read());
  gdcm::StringFilter filter;
  filter.SetFile(reader.GetFile());
  std::string text = filter.ToString(gdcm::Tag(group, element));
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  return text;
}

TEST(DicomSeries, ReadsBackWithItkAsHuAtTheRightPositions) {
  const Image image = RampVolume();
  const std::string folder = FreshFolder("out");
  DicomSeriesOptions options;
  options.mu_water_per_mm = 0.02;
  options.series_description = "osmo test ramp";
  options.patient_position = "FFS";
  const DicomSeriesReport report = WriteDicomSeries(folder + "/", image, options);
  EXPECT_EQ(report.files, 5);
  EXPECT_EQ(report.clamped_voxels, 0);

  const SeriesImage::Pointer back = ReadSeriesWithItk(folder);
  const ImageGeometry& g = image.geometry;
  const auto size = back->GetLargestPossibleRegion().GetSize();
  ASSERT_EQ(size[0], 12u);
  ASSERT_EQ(size[1], 10u);
  ASSERT_EQ(size[2], 5u);
  EXPECT_NEAR(back->GetSpacing()[0], 0.75, 1e-6);
  EXPECT_NEAR(back->GetSpacing()[1], 0.75, 1e-6);
  EXPECT_NEAR(back->GetSpacing()[2], 2.5, 1e-6);
  EXPECT_NEAR(back->GetOrigin()[0], g.X(0), 1e-6);
  EXPECT_NEAR(back->GetOrigin()[1], g.Y(0), 1e-6);
  EXPECT_NEAR(back->GetOrigin()[2], g.Z(0), 1e-6);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(back->GetDirection()[r][c], r == c ? 1.0 : 0.0, 1e-9);
  }
  double worst = 0.0;
  for (int64_t k = 0; k < g.nz; ++k) {
    for (int64_t j = 0; j < g.ny; ++j) {
      for (int64_t i = 0; i < g.nx; ++i) {
        const double hu = MuToHu(image.at(i, j, k), 0.02);
        const double read = back->GetPixel({i, j, k});
        worst = std::max(worst, std::abs(read - hu));
      }
    }
  }
  EXPECT_LE(worst, 0.5 + 1e-3);  // stored to the nearest HU

  // The header: one study and series, a new SOP instance per slice, positions along z.
  std::set<std::string> studies, series, instances;
  for (int k = 1; k <= 5; ++k) {
    char name[32];
    std::snprintf(name, sizeof name, "/IM%06d.dcm", k);
    const std::string file = folder + name;
    studies.insert(TagText(file, 0x0020, 0x000D));
    series.insert(TagText(file, 0x0020, 0x000E));
    instances.insert(TagText(file, 0x0008, 0x0018));
    EXPECT_EQ(TagText(file, 0x0020, 0x0013), std::to_string(k));
    EXPECT_NEAR(std::stod(TagText(file, 0x0020, 0x1041)), g.Z(k - 1), 1e-6);
  }
  EXPECT_EQ(studies.size(), 1u);
  EXPECT_EQ(series.size(), 1u);
  EXPECT_EQ(instances.size(), 5u);
  const std::string first = folder + "/IM000001.dcm";
  EXPECT_EQ(TagText(first, 0x0008, 0x0060), "CT");
  EXPECT_EQ(TagText(first, 0x0008, 0x103E), "osmo test ramp");
  EXPECT_EQ(TagText(first, 0x0018, 0x5100), "FFS");
  EXPECT_EQ(TagText(first, 0x0028, 0x1054), "HU");
  EXPECT_EQ(TagText(first, 0x0028, 0x1052), "-1024");
  EXPECT_EQ(TagText(first, 0x0020, 0x0037), "1\\0\\0\\0\\1\\0");
  EXPECT_NEAR(std::stod(TagText(first, 0x0018, 0x0050)), 2.5, 1e-9);
}

TEST(DicomSeries, ReplacesAnEarlierSeriesButNothingElse) {
  const Image image = RampVolume();
  const std::string folder = FreshFolder("out");
  WriteDicomSeries(folder, image, {});
  Image thinner = image;
  thinner.geometry.nz = 2;
  thinner.values.resize(size_t(thinner.geometry.NumVoxels()));
  WriteDicomSeries(folder, thinner, {});  // the earlier 5 files are gone, not mixed in
  int files = 0;
  for (const auto& entry : fs::directory_iterator(folder)) files += entry.is_regular_file();
  EXPECT_EQ(files, 2);

  std::ofstream(folder + "/notes.txt") << "mine\n";
  EXPECT_THROW(WriteDicomSeries(folder, image, {}), InputError);
  EXPECT_TRUE(fs::exists(folder + "/notes.txt"));
  EXPECT_THROW(CheckDicomSeriesOutput(folder), InputError);
  EXPECT_THROW(CheckDicomSeriesOutput(folder + "/no/such/parent"), InputError);
  // No temporary folder is left beside it.
  for (const auto& entry : fs::directory_iterator(::testing::TempDir())) {
    EXPECT_EQ(entry.path().filename().string().find(".dicom_series_Replaces"), std::string::npos);
  }
}

TEST(DicomSeries, ClampsAndCountsValuesOutsideTheStoredRange) {
  Image image = RampVolume();
  image.at(0, 0, 0) = 2.0f;  // 99 000 HU
  image.at(1, 0, 0) = std::nanf("");
  const DicomSeriesReport report = WriteDicomSeries(FreshFolder("out"), image, {});
  EXPECT_EQ(report.clamped_voxels, 2);
}

}  // namespace
}  // namespace osmo
