// Transaxial separable footprints of one image row per view, shared by every SF projector.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "projectors/image_geometry.h"
#include "projectors/scan_geometry.h"

namespace osmo {

// The transaxial footprints of the nx voxels of one image row (fixed j) in one view. Every voxel
// gets the same number of cells, `span`: voxel i touches channels first[i] … first[i]+span−1
// with weights[m·nx + i] (m = 0 … span−1), the cell-averaged transaxial chord in mm (zero where
// the trapezoid ends early). first[i] may be negative or reach past the last channel: projectors
// pad each detector row by MaxSpan() cells on both sides. A voxel whose footprint misses the
// detector has all-zero weights and first[i] = 0.
struct RowFootprints {
  int32_t span = 0;
  std::vector<int32_t> first;
  std::vector<int32_t> count;  // cells of voxel i with (possibly) non-zero weight, ≤ span
  std::vector<float> weights;
  // Cone beam only (empty otherwise), per voxel column: axial magnification in detector rows per
  // mm of z at the voxel centre (flat: D/(t·Δv), arc: D/(r_xy·Δv); the general λ/Δv of
  // ProjectFromFocalSpot for a shifted focal spot), at the nearest and farthest corner (SF-TT),
  // and 1/r_xy² (r_xy measured from the focal spot) for the polar amplitude sqrt(1 + z²/r_xy²).
  std::vector<float> rows_per_mm;
  std::vector<float> rows_per_mm_near;
  std::vector<float> rows_per_mm_far;
  std::vector<float> inverse_radial_sq;

  // Cache of the corner line shared with the next row (rows of one view computed in order
  // reuse it: half the corner projections).
  int64_t cached_view = -1;
  int64_t cached_row = -1;
  std::vector<double> corners;  // 2 × (nx + 1) cell coordinates: lower then upper boundary line
};

// Computes RowFootprints for any (view, row). A footprint is the trapezoid through the
// projections of the voxel's four corners (exact for parallel beam) with amplitude equal to the
// chord through the voxel centre, dx / max(|cos φ|, |sin φ|) for the ray direction φ (Long et
// al. 2010, SF-TR). Corner positions are computed in double, per-voxel weights in float relative
// to the voxel's first cell, with branch-free loops that the compiler vectorises.
class TransaxialFootprints {
 public:
  TransaxialFootprints(const ImageGeometry& image, const ScanGeometry& scan, bool with_depths);

  // Overwrites `out` with the footprints of row j in view `view`.
  void ComputeRow(int64_t view, int64_t j, RowFootprints* out) const;
  // An upper bound of RowFootprints::span over all views and rows.
  int32_t MaxSpan() const { return max_span_; }

 private:
  void ComputeParallelRow(int64_t view, int64_t j, RowFootprints* out) const;
  void ProjectCornerLines(int64_t view, int64_t j, RowFootprints* out) const;
  // Per voxel: sorted corners relative to its first cell (t0 … t3), half inverse edge widths,
  // amplitude; first cell and count into `out`.
  void SortCorners(int64_t view, int64_t j, const double* corners, float* t0, float* t1, float* t2,
                   float* t3, float* rise, float* fall, float* amplitude, RowFootprints* out) const;
  void ComputeDepths(int64_t view, int64_t j, RowFootprints* out) const;
  void ComputeShiftedDepths(int64_t view, int64_t j, RowFootprints* out) const;
  // Cell coordinate q of the points (x_e, y) seen from a shifted focal spot (general path).
  void ProjectShiftedLine(int64_t view, double y, double* q) const;

  ImageGeometry image_;
  ScanGeometry scan_;
  bool with_depths_;
  std::vector<double> cos_;
  std::vector<double> sin_;
  // Per view: the focal spot (x, y) and its offset from the unshifted source along e_u and e_r
  // (ScanGeometry::ShiftAlongU/R; zero without a flying focal spot), and whether it is shifted.
  std::vector<double> source_x_;
  std::vector<double> source_y_;
  std::vector<double> shift_u_;
  std::vector<double> shift_r_;
  std::vector<char> shifted_;
  std::vector<double> x_edges_;  // x of the voxel boundaries, nx + 1 values
  double cell_origin_;           // q = u/Δu + cell_origin_ puts cell c on [c, c+1)
  int32_t max_span_;
};

}  // namespace osmo
