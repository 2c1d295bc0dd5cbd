// Separable-footprint projector for rays without cone angle: parallel and fan beam, one slice or
// a stack of independent slices.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <vector>

#include "projectors/projector.h"
#include "projectors/transaxial_footprints.h"

namespace osmo {

// Transaxially a voxel's footprint is a trapezoid through its projected corners (exact strip
// integral for parallel beam; SF for fan with flat or arc detectors). Axially, rays of row r lie
// in the plane z = v_r; slice k covers [z_k − dz/2, z_k + dz/2], so the cell-averaged weight of
// slice k in row r is |slice ∩ row cell| / Δv (the identity when slices and rows coincide).
//
// Threads: Forward splits the listed views between threads, Back splits image rows; every
// output value is summed in a fixed order, so results do not depend on the thread count.
class SfSliceProjector final : public Projector {
 public:
  SfSliceProjector(const ImageGeometry& image, const ScanGeometry& scan);

  void Forward(const Image& image, Sinogram& sinogram, const ViewList& views) const override;
  void Back(const Sinogram& sinogram, Image& image, const ViewList& views) const override;
  using Projector::Back;
  using Projector::Forward;

 private:
  struct SliceToRow {
    int64_t slice;
    int64_t row;
    float weight;
  };

  void ForwardView(const Image& image, int64_t view, RowFootprints* row, std::vector<float>* buffer,
                   Sinogram& sinogram) const;
  void BackRows(const Sinogram& sinogram, int64_t view, int64_t j_begin, int64_t j_end,
                RowFootprints* row, std::vector<float>* buffer, std::vector<float>* sum,
                Image& image) const;

  TransaxialFootprints footprints_;
  std::vector<SliceToRow> slice_to_row_;
};

}  // namespace osmo
