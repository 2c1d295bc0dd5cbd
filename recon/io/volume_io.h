// Reading and writing volumes through ITK (.mha, .mhd, .nrrd, .nhdr, .nii, .nii.gz).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "projectors/arrays.h"
#include "projectors/enum_table.h"

namespace osmo {

enum class VolumeUnits { kMuPerMm, kHounsfield };
inline constexpr EnumTable<VolumeUnits, 2> kVolumeUnits = {{
    {VolumeUnits::kMuPerMm, "mu", "attenuation μ, 1/mm"},
    {VolumeUnits::kHounsfield, "hu", "Hounsfield units"},
}};

// Parses "mu" | "hu"; InputError otherwise.

// Hounsfield units: HU = 1000·(μ − μ_w)/μ_w.
inline double MuToHu(double mu, double mu_water) { return 1000.0 * (mu - mu_water) / mu_water; }
inline double HuToMu(double hu, double mu_water) { return mu_water * (1.0 + hu / 1000.0); }

// File name extensions osmo writes (ITK chooses the format by extension).
std::vector<std::string> VolumeExtensions();
// Throws InputError naming the path if its extension is not a supported volume format.
void CheckVolumeExtension(const std::string& path);

struct VolumeWriteOptions {
  VolumeUnits units = VolumeUnits::kMuPerMm;
  double mu_water_per_mm = 0.02;
  bool compress = true;
};

// Writes the image atomically with spacing (dx, dx, dz), origin = centre of voxel (0,0,0) and
// identity direction (DESIGN.md §3). Values are μ (1/mm) or HU; the units are recorded in the
// file's metadata: key osmo_units (MetaImage, NRRD) and the aux_file field (NIfTI), so every
// format osmo writes reads back in the right units.
void WriteVolume(const std::string& path, const Image& image,
                 const VolumeWriteOptions& options = {});

// Values above this magnitude cannot be μ in 1/mm of a CT image (dense metal at CT energies stays
// below ~10/mm); a volume without recorded units holding such values is in Hounsfield units.
constexpr double kLargestPlausibleMuPerMm = 10.0;

struct VolumeFile {
  Image image;                  // μ in 1/mm
  bool units_recorded = false;  // the file said which units it holds (osmo_units)
};

// Reads a volume (2D images become one slice). The units come from the osmo_units key (MetaImage,
// NRRD) or the NIfTI aux_file field ("osmo:hu:<μ_water>"); HU are converted
// back to μ with the recorded water value. A volume without recorded units is taken as μ unless
// its values are HU-like (beyond ±kLargestPlausibleMuPerMm): then an InputError says so.
// Rejects anisotropic transaxial spacing, non-identity directions and non-finite values.
VolumeFile ReadVolumeFile(const std::string& path);
// ReadVolumeFile(path).image.
Image ReadVolume(const std::string& path);

}  // namespace osmo
