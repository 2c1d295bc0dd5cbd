// ImageGeometry validation and derived quantities.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/image_geometry.h"

#include <algorithm>
#include <cmath>

#include "projectors/error.h"

namespace osmo {

double ImageGeometry::MaxCornerRadiusMm() const {
  const double x_lo = X(-0.5), x_hi = X(double(nx) - 0.5);
  const double y_lo = Y(-0.5), y_hi = Y(double(ny) - 0.5);
  const double x_max = std::max(std::abs(x_lo), std::abs(x_hi));
  const double y_max = std::max(std::abs(y_lo), std::abs(y_hi));
  return std::hypot(x_max, y_max);
}

void ImageGeometry::Validate(const std::string& where) const {
  auto require_size = [&](int64_t n, const char* name) {
    if (n < 1 || n > (int64_t(1) << 20)) {
      throw InputError(where + ": image " + name, "a size from 1 to 1048576", ToText(n));
    }
  };
  require_size(nx, "nx");
  require_size(ny, "ny");
  require_size(nz, "nz");
  if (!(voxel_size_mm > 0.0) || !std::isfinite(voxel_size_mm)) {
    throw InputError(where + ": image voxel size", "a positive number of mm",
                     ToText(voxel_size_mm));
  }
  if (!(slice_thickness_mm > 0.0) || !std::isfinite(slice_thickness_mm)) {
    throw InputError(where + ": image slice thickness", "a positive number of mm",
                     ToText(slice_thickness_mm));
  }
  for (double c : center_mm) {
    if (!std::isfinite(c)) throw InputError(where + ": image centre", "finite mm", ToText(c));
  }
  if (NumVoxels() > (int64_t(1) << 34)) {
    throw InputError(where + ": image size", "at most 2^34 voxels", ToText(NumVoxels()));
  }
}

ImageGeometry ImageGeometry::FromOrigin(int64_t nx, int64_t ny, int64_t nz, double dx_mm,
                                        double dz_mm, const std::array<double, 3>& origin_mm) {
  ImageGeometry g;
  g.nx = nx;
  g.ny = ny;
  g.nz = nz;
  g.voxel_size_mm = dx_mm;
  g.slice_thickness_mm = dz_mm;
  g.center_mm = {origin_mm[0] + 0.5 * double(nx - 1) * dx_mm,
                 origin_mm[1] + 0.5 * double(ny - 1) * dx_mm,
                 origin_mm[2] + 0.5 * double(nz - 1) * dz_mm};
  return g;
}

bool ImageGeometry::operator==(const ImageGeometry& other) const {
  return nx == other.nx && ny == other.ny && nz == other.nz &&
         voxel_size_mm == other.voxel_size_mm && slice_thickness_mm == other.slice_thickness_mm &&
         center_mm == other.center_mm;
}

std::string ImageGeometry::Describe() const {
  return ToText(nx) + "×" + ToText(ny) + "×" + ToText(nz) + " voxels of " + ToText(voxel_size_mm) +
         " × " + ToText(slice_thickness_mm) + " mm centred at (" + ToText(center_mm[0]) + ", " +
         ToText(center_mm[1]) + ", " + ToText(center_mm[2]) + ") mm";
}

bool SameGrid(const ImageGeometry& expected, const ImageGeometry& found) {
  auto close = [](double a, double b, double tolerance) { return std::abs(a - b) <= tolerance; };
  const double dx = expected.voxel_size_mm, dz = expected.slice_thickness_mm;
  return expected.nx == found.nx && expected.ny == found.ny && expected.nz == found.nz &&
         close(found.voxel_size_mm, dx, 1e-5 * dx) &&
         close(found.slice_thickness_mm, dz, 1e-5 * dz) &&
         close(found.center_mm[0], expected.center_mm[0], 1e-3 * dx) &&
         close(found.center_mm[1], expected.center_mm[1], 1e-3 * dx) &&
         close(found.center_mm[2], expected.center_mm[2], 1e-3 * dz);
}

void CheckSameGrid(const ImageGeometry& expected, const ImageGeometry& found,
                   const std::string& what) {
  if (!SameGrid(expected, found)) throw InputError(what, expected.Describe(), found.Describe());
}

}  // namespace osmo
