// The Projector interface: a matched forward/back projector pair for one image and scan geometry.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include "projectors/arrays.h"
#include "projectors/image_geometry.h"
#include "projectors/scan_geometry.h"
#include "projectors/view_subsets.h"

namespace osmo {

// A system matrix A (cell-averaged line integrals, DESIGN.md §3) with its exact transpose.
// Forward and Back take any list of views, so ordered subsets need no copies.
// Implementations are thread-parallel (OpenMP) and give results independent of the thread count.
class Projector {
 public:
  Projector(const ImageGeometry& image, const ScanGeometry& scan) : image_(image), scan_(scan) {}
  virtual ~Projector() = default;
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // Overwrites the listed views of `sinogram` with A·image; other views are left untouched.
  virtual void Forward(const Image& image, Sinogram& sinogram, const ViewList& views) const = 0;
  // Overwrites `image` with A_viewsᵀ·sinogram, using only the listed views.
  virtual void Back(const Sinogram& sinogram, Image& image, const ViewList& views) const = 0;

  // All views.
  void Forward(const Image& image, Sinogram& sinogram) const {
    Forward(image, sinogram, AllViews(scan_.NumViews()));
  }
  void Back(const Sinogram& sinogram, Image& image) const {
    Back(sinogram, image, AllViews(scan_.NumViews()));
  }

  const ImageGeometry& image_geometry() const { return image_; }
  const ScanGeometry& scan_geometry() const { return scan_; }

 protected:
  // Throws std::invalid_argument if the buffers do not match the geometries or a view is out of
  // range (a programming error, not bad user input).
  void CheckArguments(const Image& image, const Sinogram& sinogram, const ViewList& views) const;

  ImageGeometry image_;
  ScanGeometry scan_;
};

// Axial footprint model of the cone-beam separable-footprint projector (Long et al. 2010).
enum class AxialFootprint {
  kRectangle,  // SF-TR: rectangle axially, magnified at the voxel centre
  kTrapezoid,  // SF-TT: trapezoid through the nearest and farthest voxel corners
};

struct ProjectorOptions {
  AxialFootprint axial = AxialFootprint::kRectangle;
};

// The separable-footprint projector for the scan's family: parallel and fan (2D, or stacks of
// slices) or cone. Validates both geometries (InputError).
std::unique_ptr<Projector> MakeProjector(const ImageGeometry& image, const ScanGeometry& scan,
                                         const ProjectorOptions& options = {});

}  // namespace osmo
