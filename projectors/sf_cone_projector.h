// Separable-footprint cone-beam projector (SF-TR, optionally SF-TT) for circular orbits.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "projectors/projector.h"
#include "projectors/transaxial_footprints.h"

namespace osmo {

// A voxel's footprint is separable (Long, Fessler & Balter, IEEE TMI 29(11), 2010): transaxially
// the trapezoid of TransaxialFootprints, axially a rectangle between the projections of the
// voxel's top and bottom faces magnified at the voxel centre (SF-TR) or a trapezoid through the
// projections at the nearest and farthest corners (SF-TT). The amplitude is the transaxial chord
// times 1/cos θ, θ the polar angle of the ray through the voxel centre:
//   a = chord_xy · sqrt(1 + z²/r_xy²) · (cell average of the transaxial footprint)
//                                     · (cell average of the axial footprint).
// Magnification: flat detector v = D·z/t (t the distance along e_r), arc detector v = D·z/r_xy.
//
// Threads: Forward splits views, Back splits image rows (y); fixed summation order.
class SfConeProjector final : public Projector {
 public:
  SfConeProjector(const ImageGeometry& image, const ScanGeometry& scan, AxialFootprint axial);

  void Forward(const Image& image, Sinogram& sinogram, const ViewList& views) const override;
  void Back(const Sinogram& sinogram, Image& image, const ViewList& views) const override;
  using Projector::Back;
  using Projector::Forward;

 private:
  // Axial footprint of voxel (column, k): rows first … first+count−1 with weights (including the
  // polar amplitude). Returns count.
  int AxialWeights(const RowFootprints& row, int64_t i, int64_t k, int32_t* first,
                   float* weights) const;

  TransaxialFootprints footprints_;
  AxialFootprint axial_;
  double row_origin_;  // p = v/Δv + row_origin_ puts row r on [r, r+1)
};

}  // namespace osmo
