// Projector argument checks and the projector factory.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/projector.h"

#include <stdexcept>

#include "projectors/error.h"
#include "projectors/sf_cone_projector.h"
#include "projectors/sf_slice_projector.h"

namespace osmo {

void Projector::CheckArguments(const Image& image, const Sinogram& sinogram,
                               const ViewList& views) const {
  if (!(image.geometry == image_) || image.size() != image_.NumVoxels()) {
    throw std::invalid_argument("projector: expected an image on " + image_.Describe() +
                                ", found " + image.geometry.Describe() + " (" +
                                std::to_string(image.size()) + " values)");
  }
  if (sinogram.n_views != scan_.NumViews() || sinogram.n_rows != scan_.n_rows ||
      sinogram.n_channels != scan_.n_channels || sinogram.size() != scan_.NumBins()) {
    throw std::invalid_argument(
        "projector: expected a sinogram of " + std::to_string(scan_.NumViews()) + " views × " +
        std::to_string(scan_.n_rows) + " rows × " + std::to_string(scan_.n_channels) +
        " channels, found " + sinogram.DescribeShape());
  }
  for (int64_t v : views) {
    if (v < 0 || v >= scan_.NumViews()) {
      throw std::invalid_argument("projector: view " + std::to_string(v) + " out of range");
    }
  }
}

std::unique_ptr<Projector> MakeProjector(const ImageGeometry& image, const ScanGeometry& scan,
                                         const ProjectorOptions& options) {
  scan.ValidateWithImage(image, "projector geometry");
  if (scan.kind == ScanKind::kCone) {
    return std::make_unique<SfConeProjector>(image, scan, options.axial);
  }
  return std::make_unique<SfSliceProjector>(image, scan);
}

}  // namespace osmo
