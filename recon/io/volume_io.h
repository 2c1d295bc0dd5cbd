// Reading and writing volumes through ITK (.mha, .mhd, .nrrd, .nhdr, .nii, .nii.gz).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "projectors/arrays.h"

namespace osmo {

enum class VolumeUnits { kMuPerMm, kHounsfield };

// Parses "mu" | "hu"; InputError otherwise.
VolumeUnits ParseVolumeUnits(const std::string& text);

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
// file's metadata (key osmo_units) where the format keeps it (MetaImage, NRRD).
void WriteVolume(const std::string& path, const Image& image,
                 const VolumeWriteOptions& options = {});

// Reads a volume (2D images become one slice). Values recorded as HU (osmo_units = hu) are
// converted back to μ with the recorded water value; others are taken as μ in 1/mm.
// Rejects anisotropic transaxial spacing, non-identity directions and non-finite values.
Image ReadVolume(const std::string& path);

}  // namespace osmo
