// Transaxial separable footprints of one image row per view, shared by every SF projector.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "projectors/image_geometry.h"
#include "projectors/scan_geometry.h"

namespace osmo {

// The transaxial footprints of the nx voxels of one image row (fixed j) in one view: voxel i
// touches channels first[i] … first[i]+count[i]−1 with weights weights[offset[i] + n], each the
// cell-averaged transaxial chord (mm) of the voxel. For cone beam the row also carries the
// source distances that set the axial magnification of each voxel column.
struct RowFootprints {
  std::vector<int32_t> first;
  std::vector<int32_t> count;
  std::vector<int32_t> offset;
  std::vector<float> weights;
  // Cone beam only (empty otherwise), per voxel column, in mm:
  std::vector<double> depth_center;  // flat: distance along e_r; arc: distance in the xy-plane
  std::vector<double> depth_min;     // smallest and largest depth over the four corners (SF-TT)
  std::vector<double> depth_max;
  std::vector<double> radial_xy;     // source-to-centre distance in the xy-plane
};

// Computes RowFootprints for any (view, row). Footprints are trapezoids through the projections
// of the voxel's four corners (exact for parallel beam); the amplitude is the chord through the
// voxel centre, dx / max(|cos φ|, |sin φ|) for the ray direction φ (Long et al. 2010, SF-TR).
class TransaxialFootprints {
 public:
  TransaxialFootprints(const ImageGeometry& image, const ScanGeometry& scan, bool with_depths);

  // Overwrites `out` with the footprints of row j in view `view`.
  void ComputeRow(int64_t view, int64_t j, RowFootprints* out) const;

 private:
  ImageGeometry image_;
  ScanGeometry scan_;
  bool with_depths_;
  std::vector<double> cos_;
  std::vector<double> sin_;
  std::vector<double> x_edges_;  // x of the voxel boundaries, nx + 1 values
  double cell_origin_;           // q = u/Δu + cell_origin_ puts cell c on [c, c+1)
};

}  // namespace osmo
