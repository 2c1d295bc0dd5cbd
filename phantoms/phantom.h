// Analytic phantoms: sums of constant ellipses (2D) or ellipsoids (3D) with exact line integrals.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <string>
#include <vector>

#include "phantoms/ellipsoid.h"
#include "projectors/arrays.h"

namespace osmo {

// A phantom is a list of shapes whose values add where they overlap. In a 2D phantom every shape
// is an ellipse extended infinitely along z, so it can be scanned by any geometry.
struct Phantom {
  std::string name;
  bool is_3d = false;
  std::vector<Ellipsoid> shapes;

  // ∫ μ along the line {p + t·d}, |d| = 1 (1/mm × mm): Σ value·chord, exact.
  double LineIntegral(const std::array<double, 3>& p, const std::array<double, 3>& d) const;
  // μ at a point (1/mm).
  double ValueAt(double x, double y, double z) const;
};

// Attenuation of water, 1/mm (the HU reference of the built-in phantoms).
constexpr double kMuWaterPerMm = 0.02;
// μ (1/mm) of a material given in Hounsfield units: μ_w·(1 + HU/1000).
inline double MuFromHu(double hu) { return kMuWaterPerMm * (1.0 + hu / 1000.0); }

// Built-in phantoms: "shepp-logan", "shepp-logan-modified", "thorax" (2D) and the same names with
// "-3d" (3D). See docs/PHANTOMS.md for their shapes and values.
std::vector<std::string> BuiltinPhantomNames();
// Throws InputError for an unknown name.
Phantom BuiltinPhantom(const std::string& name);

// Parses the phantom JSON format ({"ellipses": [...]} or {"ellipsoids": [...]}, docs/FORMATS.md).
// `where` (a file name) prefixes every error message.
Phantom ParsePhantomJson(const std::string& text, const std::string& where);
// Reads a phantom JSON file; throws InputError if it cannot be read or is malformed.
Phantom LoadPhantomJson(const std::string& path);
// A built-in name, or else a JSON file path.
Phantom LoadPhantom(const std::string& name_or_path);

// The phantom on a voxel grid with partial-volume values: each voxel holds the mean of μ over
// s × s (× s in 3D) sub-voxel points; voxels entirely inside or outside a shape are exact.
// Threads over slices/rows; the result does not depend on the thread count.
Image Rasterize(const Phantom& phantom, const ImageGeometry& grid, int supersampling = 4);

}  // namespace osmo
