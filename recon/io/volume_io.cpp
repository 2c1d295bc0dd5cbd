// ITK volume reader and writer: the only code in osmo that includes ITK.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/volume_io.h"

#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkMetaDataObject.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIOFactory.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>

#include "projectors/error.h"
#include "projectors/input_file.h"
#include "recon/io/atomic_output.h"
#include "recon/io/itk_mutex.h"
#include "recon/io/metaimage_check.h"

namespace osmo {

namespace {

using ItkVolume = itk::Image<float, 3>;

// ITK finds readers and writers through factories; osmo registers the formats it supports once.
void RegisterImageFormats() {
  static const bool registered = [] {
    itk::MetaImageIOFactory::RegisterOneFactory();
    itk::NrrdImageIOFactory::RegisterOneFactory();
    itk::NiftiImageIOFactory::RegisterOneFactory();
    return true;
  }();
  (void)registered;
}

// Case-sensitive: ITK chooses its writer by the lowercase extension, so "x.MHA" would pass a
// case-insensitive check and fail only after the whole reconstruction.
bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && std::equal(suffix.rbegin(), suffix.rend(), text.rbegin());
}

}  // namespace

std::mutex& ItkMutex() {
  static std::mutex mutex;
  return mutex;
}

std::vector<std::string> VolumeExtensions() {
  return {".mha", ".mhd", ".nrrd", ".nhdr", ".nii", ".nii.gz"};
}

void CheckVolumeExtension(const std::string& path) {
  for (const std::string& ext : VolumeExtensions()) {
    if (EndsWith(path, ext)) return;
  }
  throw InputError(path,
                   "a volume file name ending in .mha, .mhd, .nrrd, .nhdr, .nii or .nii.gz "
                   "(lowercase)",
                   "another extension");
}

void WriteVolume(const std::string& path, const Image& image, const VolumeWriteOptions& options) {
  CheckVolumeExtension(path);
  const std::lock_guard<std::mutex> lock(ItkMutex());
  RegisterImageFormats();
  const ImageGeometry& g = image.geometry;
  auto volume = ItkVolume::New();
  ItkVolume::RegionType region;
  region.SetSize({{itk::SizeValueType(g.nx), itk::SizeValueType(g.ny), itk::SizeValueType(g.nz)}});
  volume->SetRegions(region);
  const double spacing[3] = {g.voxel_size_mm, g.voxel_size_mm, g.slice_thickness_mm};
  const double origin[3] = {g.X(0), g.Y(0), g.Z(0)};
  volume->SetSpacing(spacing);
  volume->SetOrigin(origin);
  volume->Allocate();
  float* out = volume->GetBufferPointer();
  const bool hu = options.units == VolumeUnits::kHounsfield;
  for (int64_t n = 0; n < image.size(); ++n) {
    const float mu = image.values[size_t(n)];
    if (!std::isfinite(mu)) {
      throw InputError(path, "finite voxel values to write",
                       "a non-finite value at voxel " + std::to_string(n));
    }
    out[n] = hu ? float(MuToHu(mu, options.mu_water_per_mm)) : mu;
  }
  itk::MetaDataDictionary& dictionary = volume->GetMetaDataDictionary();
  itk::EncapsulateMetaData<std::string>(dictionary, "osmo_units", hu ? "hu" : "mu_per_mm");
  itk::EncapsulateMetaData<std::string>(dictionary, "osmo_mu_water_per_mm",
                                        ToText(options.mu_water_per_mm));
  // NIfTI keeps no free keys, and ITK 5.2 writes only its 24-byte aux_file field from the
  // dictionary: "osmo:hu:<μ_water>" or "osmo:mu_per_mm" (μ_water with 9 significant digits).
  char water_text[32];
  std::snprintf(water_text, sizeof water_text, "%.9g", options.mu_water_per_mm);
  itk::EncapsulateMetaData<std::string>(
      dictionary, "aux_file", hu ? std::string("osmo:hu:") + water_text : "osmo:mu_per_mm");
  WriteAtomically(path, [&](const std::string& temporary) {
    auto writer = itk::ImageFileWriter<ItkVolume>::New();
    writer->SetFileName(temporary);
    writer->SetInput(volume);
    writer->SetUseCompression(options.compress);
    try {
      writer->Update();
    } catch (const itk::ExceptionObject& e) {
      throw InputError(path, "a written volume",
                       std::string("an ITK error: ") + e.GetDescription());
    }
    // ITK does not report every failed write (a full disk can leave a short file): read the
    // temporary back and compare before it is renamed to the final name.
    auto check = itk::ImageFileReader<ItkVolume>::New();
    check->SetFileName(temporary);
    try {
      check->Update();
    } catch (const itk::ExceptionObject& e) {
      throw InputError(path, "a complete written volume",
                       std::string("an unreadable file (disk full?): ") + e.GetDescription());
    }
    const ItkVolume* back = check->GetOutput();
    if (back->GetLargestPossibleRegion().GetNumberOfPixels() != size_t(image.size()) ||
        !std::equal(out, out + image.size(), back->GetBufferPointer())) {
      throw InputError(path, "a complete written volume",
                       "different voxels when read back (disk full?)");
    }
  });
}

namespace {

struct RecordedUnits {
  std::string units;       // "hu", "mu_per_mm" or empty (not recorded)
  std::string water_text;  // μ_water for HU, as written
};

// osmo_units / osmo_mu_water_per_mm from their own keys (MetaImage, NRRD), else from NIfTI's
// aux_file field ("osmo:hu:<μ_water>" or "osmo:mu_per_mm", see WriteVolume).
RecordedUnits UnitsOf(const itk::MetaDataDictionary& dictionary) {
  RecordedUnits r;
  itk::ExposeMetaData<std::string>(dictionary, "osmo_units", r.units);
  itk::ExposeMetaData<std::string>(dictionary, "osmo_mu_water_per_mm", r.water_text);
  std::string aux;
  if (r.units.empty() && itk::ExposeMetaData<std::string>(dictionary, "aux_file", aux) &&
      aux.rfind("osmo:", 0) == 0) {
    const std::string rest = aux.substr(5);
    const size_t colon = rest.find(':');
    r.units = rest.substr(0, colon);
    if (colon != std::string::npos) r.water_text = rest.substr(colon + 1);
  }
  return r;
}

}  // namespace

VolumeFile ReadVolumeFile(const std::string& path) {
  RequireRegularFile(path, "a readable volume file");
  CheckVolumeExtension(path);
  if (EndsWith(path, ".mha") || EndsWith(path, ".mhd")) CheckMetaImageHeader(path);
  const std::lock_guard<std::mutex> lock(ItkMutex());
  RegisterImageFormats();
  auto reader = itk::ImageFileReader<ItkVolume>::New();
  reader->SetFileName(path);
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw InputError(path, "a readable volume", std::string("an ITK error: ") + e.GetDescription());
  }
  ItkVolume::Pointer volume = reader->GetOutput();
  const auto size = volume->GetLargestPossibleRegion().GetSize();
  const auto spacing = volume->GetSpacing();
  const auto origin = volume->GetOrigin();
  const auto direction = volume->GetDirection();
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      if (std::abs(direction[r][c] - (r == c ? 1.0 : 0.0)) > 1e-6) {
        throw InputError(path + ": direction", "the identity (axis-aligned volume)",
                         "a rotated volume");
      }
    }
  }
  if (std::abs(spacing[0] - spacing[1]) > 1e-6 * spacing[0]) {
    throw InputError(path + ": spacing", "equal x and y spacing",
                     ToText(spacing[0]) + " × " + ToText(spacing[1]) + " mm");
  }
  const ImageGeometry g =
      ImageGeometry::FromOrigin(int64_t(size[0]), int64_t(size[1]), int64_t(size[2]), spacing[0],
                                spacing[2], {origin[0], origin[1], origin[2]});
  g.Validate(path);
  VolumeFile file{Image(g), false};
  Image& image = file.image;
  std::copy(volume->GetBufferPointer(), volume->GetBufferPointer() + image.size(),
            image.values.begin());
  const RecordedUnits recorded = UnitsOf(volume->GetMetaDataDictionary());
  if (recorded.units == "hu") {
    double water = 0.02;
    if (!recorded.water_text.empty()) {
      size_t used = 0;
      try {
        water = std::stod(recorded.water_text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || !(water > 0.0) || !std::isfinite(water)) {
        throw InputError(path + ": osmo_mu_water_per_mm", "a positive μ of water (1/mm)",
                         "\"" + recorded.water_text + "\"");
      }
    }
    for (float& v : image.values) v = float(HuToMu(v, water));
    file.units_recorded = true;
  } else if (recorded.units == "mu_per_mm") {
    file.units_recorded = true;
  } else if (!recorded.units.empty()) {
    throw InputError(path + ": osmo_units", "hu or mu_per_mm", "\"" + recorded.units + "\"");
  }
  float largest = 0.0f;
  for (float v : image.values) {
    if (!std::isfinite(v)) throw InputError(path, "finite voxel values", ToText(v));
    largest = std::max(largest, std::abs(v));
  }
  if (!file.units_recorded && largest > kLargestPlausibleMuPerMm) {
    throw InputError(path,
                     "μ in 1/mm (the file records no units, so osmo reads μ; |μ| ≤ " +
                         ToText(kLargestPlausibleMuPerMm) + ")",
                     "values up to " + ToText(largest) +
                         ": Hounsfield units? Convert to μ = μ_water·(1 + HU/1000) or write the "
                         "volume with osmo (which records its units)");
  }
  return file;
}

Image ReadVolume(const std::string& path) { return ReadVolumeFile(path).image; }

}  // namespace osmo
