// DICOM CT image series writer (ITK GDCMImageIO, one single-frame file per slice).
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/dicom_series.h"

#include <gdcmTrace.h>
#include <gdcmUIDGenerator.h>
#include <itkGDCMImageIO.h>
#include <itkImage.h>
#include <itkImageFileWriter.h>
#include <itkMetaDataObject.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>

#include "projectors/error.h"
#include "recon/io/itk_mutex.h"
#include "recon/io/volume_io.h"

namespace osmo {

namespace {

namespace fs = std::filesystem;
using SliceImage = itk::Image<int16_t, 3>;

constexpr double kRescaleIntercept = -1024.0;
constexpr double kLowestHu = -32768.0, kHighestHu = 32767.0 + kRescaleIntercept;
constexpr const char* kCtImageStorage = "1.2.840.10008.5.1.4.1.1.2";

std::string Decimal(double value) {
  // DS values hold at most 16 characters.
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  std::string s = text;
  if (s.size() > 16) {
    std::snprintf(text, sizeof text, "%.8g", value);
    s = text;
  }
  return s;
}

std::string NowText(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, format, &local);
  return text;
}

// Refuses to replace anything but an earlier series.
void CheckReplaceable(const fs::path& folder) {
  std::error_code error;
  if (!fs::exists(folder, error)) return;
  if (!fs::is_directory(folder, error)) {
    throw InputError(folder.string(), "a folder for the DICOM series", "an existing file");
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".dcm") {
      throw InputError(folder.string(),
                       "a new folder, or one holding only an earlier series (.dcm files)",
                       "a folder holding " + entry.path().filename().string());
    }
  }
}

// "out/series/" → "out/series".
fs::path SeriesFolder(const std::string& folder) {
  fs::path target = fs::path(folder).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  if (target.empty() || target.filename() == "." || target.filename() == "..") {
    throw InputError(folder, "a folder name for the DICOM series", "\"" + folder + "\"");
  }
  return target;
}

// What every slice of one series shares.
struct SeriesHeader {
  std::string study, series, frame_of_reference;  // UIDs
  std::string date = NowText("%Y%m%d"), time = NowText("%H%M%S");
};

void WriteSlice(const Image& image, int64_t k, const std::string& path, const SeriesHeader& series,
                const DicomSeriesOptions& options, gdcm::UIDGenerator* generator,
                DicomSeriesReport* report) {
  const ImageGeometry& g = image.geometry;
  SliceImage::Pointer slice = SliceImage::New();
  SliceImage::RegionType region;
  region.SetSize({size_t(g.nx), size_t(g.ny), 1});
  slice->SetRegions(region);
  slice->Allocate();
  const double spacing[3] = {g.voxel_size_mm, g.voxel_size_mm, g.slice_thickness_mm};
  const double origin[3] = {g.X(0), g.Y(0), g.Z(k)};
  slice->SetSpacing(spacing);
  slice->SetOrigin(origin);
  int16_t* out = slice->GetBufferPointer();
  const float* in = image.data() + k * g.nx * g.ny;
  for (int64_t i = 0; i < g.nx * g.ny; ++i) {
    double hu = std::round(MuToHu(double(in[i]), options.mu_water_per_mm));
    if (!(hu >= kLowestHu && hu <= kHighestHu)) {
      ++report->clamped_voxels;
      hu = std::isnan(hu) ? kLowestHu : std::clamp(hu, kLowestHu, kHighestHu);
    }
    out[i] = int16_t(hu);  // ITK stores (value − intercept)/slope
  }

  itk::MetaDataDictionary& d = slice->GetMetaDataDictionary();
  const auto set = [&](const char* key, const std::string& value) {
    itk::EncapsulateMetaData<std::string>(d, key, value);
  };
  set("0008|0008", "DERIVED\\SECONDARY\\AXIAL");
  set("0008|0016", kCtImageStorage);
  set("0008|0018", generator->Generate());
  set("0008|0020", series.date);
  set("0008|0021", series.date);
  set("0008|0023", series.date);
  set("0008|0030", series.time);
  set("0008|0031", series.time);
  set("0008|0033", series.time);
  set("0008|0060", "CT");
  set("0008|0070", "osmo");
  set("0008|103e", options.series_description.substr(0, 64));
  set("0010|0010", "");
  set("0010|0020", "");
  set("0018|0050", Decimal(g.slice_thickness_mm));
  set("0018|0088", Decimal(g.slice_thickness_mm));
  set("0018|1020", "osmo");
  if (!options.patient_position.empty()) set("0018|5100", options.patient_position);
  set("0020|000d", series.study);
  set("0020|000e", series.series);
  set("0020|0052", series.frame_of_reference);
  set("0020|0011", "1");
  set("0020|0013", std::to_string(k + 1));
  set("0020|1041", Decimal(g.Z(k)));
  set("0028|0004", "MONOCHROME2");
  set("0028|1050", "40");
  set("0028|1051", "400");
  set("0028|1052", Decimal(kRescaleIntercept));
  set("0028|1053", "1");
  set("0028|1054", "HU");

  itk::GDCMImageIO::Pointer io = itk::GDCMImageIO::New();
  io->KeepOriginalUIDOn();
  using Writer = itk::ImageFileWriter<SliceImage>;
  Writer::Pointer writer = Writer::New();
  writer->SetInput(slice);
  writer->SetImageIO(io);
  writer->SetFileName(path);
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    throw InputError(path, "a writable DICOM file", e.GetDescription());
  }
  ++report->files;
}

}  // namespace

void CheckDicomSeriesOutput(const std::string& folder) {
  const fs::path target = SeriesFolder(folder);
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code error;
  if (!fs::is_directory(parent, error)) {
    throw InputError(folder, "a DICOM series folder in an existing folder",
                     "no folder " + parent.string());
  }
  if (access(parent.c_str(), W_OK) != 0) {
    throw InputError(folder, "a writable output folder",
                     "no write permission on " + parent.string());
  }
  CheckReplaceable(target);
}

DicomSeriesReport WriteDicomSeries(const std::string& folder, const Image& image,
                                   const DicomSeriesOptions& options) {
  const fs::path target = SeriesFolder(folder);
  CheckReplaceable(target);
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string tag = target.filename().string() + ".osmo-" + std::to_string(getpid());
  const fs::path partial = parent / ("." + tag + "-partial");
  const fs::path old = parent / ("." + tag + "-old");
  std::error_code error;
  fs::remove_all(partial, error);
  if (!fs::create_directory(partial, error)) {
    throw InputError(partial.string(), "a folder osmo can create", error.message());
  }
  DicomSeriesReport report;
  try {
    const std::lock_guard<std::mutex> lock(ItkMutex());
    gdcm::Trace::WarningOff();
    gdcm::UIDGenerator generator;
    SeriesHeader series;
    series.study = generator.Generate();
    series.series = generator.Generate();
    series.frame_of_reference = generator.Generate();
    const int64_t nz = image.geometry.nz;
    for (int64_t k = 0; k < nz; ++k) {
      char name[32];
      std::snprintf(name, sizeof name, "IM%06lld.dcm", static_cast<long long>(k) + 1);
      WriteSlice(image, k, (partial / name).string(), series, options, &generator, &report);
    }
    if (fs::exists(target)) fs::rename(target, old);
    fs::rename(partial, target);
  } catch (...) {
    fs::remove_all(partial, error);
    if (fs::exists(old, error) && !fs::exists(target, error)) fs::rename(old, target, error);
    throw;
  }
  fs::remove_all(old, error);
  return report;
}

}  // namespace osmo
