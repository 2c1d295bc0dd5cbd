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
#include <fstream>

#include "projectors/error.h"
#include "recon/io/atomic_output.h"

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

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         std::equal(suffix.rbegin(), suffix.rend(), text.rbegin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); });
}

}  // namespace

VolumeUnits ParseVolumeUnits(const std::string& text) {
  if (text == "mu") return VolumeUnits::kMuPerMm;
  if (text == "hu") return VolumeUnits::kHounsfield;
  throw InputError("--units", "\"mu\" (1/mm) or \"hu\" (Hounsfield units)", "\"" + text + "\"");
}

std::vector<std::string> VolumeExtensions() {
  return {".mha", ".mhd", ".nrrd", ".nhdr", ".nii", ".nii.gz"};
}

void CheckVolumeExtension(const std::string& path) {
  for (const std::string& ext : VolumeExtensions()) {
    if (EndsWith(path, ext)) return;
  }
  throw InputError(path, "a volume file name ending in .mha, .mhd, .nrrd, .nhdr, .nii or .nii.gz",
                   "another extension");
}

void WriteVolume(const std::string& path, const Image& image, const VolumeWriteOptions& options) {
  CheckVolumeExtension(path);
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
  });
}

Image ReadVolume(const std::string& path) {
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw InputError(path, "a readable volume file", "no such file (or no permission)");
  }
  CheckVolumeExtension(path);
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
  Image image(g);
  std::copy(volume->GetBufferPointer(), volume->GetBufferPointer() + image.size(),
            image.values.begin());
  std::string units;
  const itk::MetaDataDictionary& dictionary = volume->GetMetaDataDictionary();
  if (itk::ExposeMetaData<std::string>(dictionary, "osmo_units", units) && units == "hu") {
    std::string water_text;
    double water = 0.02;
    if (itk::ExposeMetaData<std::string>(dictionary, "osmo_mu_water_per_mm", water_text)) {
      try {
        water = std::stod(water_text);
      } catch (const std::exception&) {
        throw InputError(path + ": osmo_mu_water_per_mm", "a number", "\"" + water_text + "\"");
      }
    }
    for (float& v : image.values) v = float(HuToMu(v, water));
  }
  for (float v : image.values) {
    if (!std::isfinite(v)) throw InputError(path, "finite voxel values", ToText(v));
  }
  return image;
}

}  // namespace osmo
