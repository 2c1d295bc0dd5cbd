// Separable-footprint cone-beam projector (SF-TR, optionally SF-TT) for any source trajectory.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <vector>

#include "projectors/projector.h"
#include "projectors/transaxial_footprints.h"

namespace osmo {

// A voxel's footprint is separable (Long, Fessler & Balter, IEEE TMI 29(11), 2010): transaxially
// the trapezoid of TransaxialFootprints, axially a rectangle between the projections of the
// voxel's bottom and top faces magnified at the voxel centre (SF-TR) or a trapezoid through the
// projections at the nearest and farthest corners (SF-TT). The amplitude is the transaxial chord
// times 1/cos θ, θ the polar angle of the ray through the voxel centre:
//   a = chord_xy · sqrt(1 + z²/r_xy²) · (cell average of the transaxial footprint)
//                                     · (cell average of the axial footprint).
// Magnification: flat detector v = D·z/t (t the distance along e_r), arc detector v = D·z/r_xy.
//
// A voxel column (fixed x, y) has one transaxial footprint per view, so the column is first
// resampled onto detector rows (each voxel adds its few axial weights to a row profile), then
// the profile is added to the footprint's channels. The kernels work on a z-fastest copy of the
// image and channel-major detector buffers, so these column operations are contiguous and
// vectorise. Forward splits views between threads, Back splits image rows (y); fixed summation
// order, so results do not depend on the thread count.
//
// Helical and multi-turn scans: in view k the source and the detector sit at z_k, the focal spot
// possibly shifted (ScanGeometry); z enters the axial footprints relative to the focal spot. Each
// view only touches the slab of slices its detector can see (ViewSlab), so the cost of a view is
// proportional to the slab, not to the length of the volume.
class SfConeProjector final : public Projector {
 public:
  SfConeProjector(const ImageGeometry& image, const ScanGeometry& scan, AxialFootprint axial);

  void Forward(const Image& image, Sinogram& sinogram, const ViewList& views) const override;
  void Back(const Sinogram& sinogram, Image& image, const ViewList& views) const override;
  using Projector::Back;
  using Projector::Forward;

 private:
  struct Column;  // axial geometry of one voxel column in one view
  // The slices [k_first, k_first + n_k) that can project onto the detector in one view, the
  // bottom face of slice k_first relative to the focal spot's z, and the row coordinate origin
  // (p = λ·(z − z_S')/Δv + origin puts row r on [r, r+1)).
  struct ViewSlab {
    int64_t k_first = 0, n_k = 0;
    double z_first = 0.0;
    double origin = 0.0;
  };
  ViewSlab SlabOfView(int64_t view) const;
  // The slices of `slab` that each voxel column of `row` can project onto the detector rows, into
  // column->slab_first and slab_count.
  void ColumnSlabs(const ViewSlab& slab, const RowFootprints& row, Column* column) const;
  // Fills `column` for voxel column i of `row` (after ColumnSlabs for the row); false if the
  // column misses the detector. This and the per-column functions below are inlined into
  // ForwardViews and BackRow (OSMO_INLINE_INTO_CLONES): as multi-versioned functions of their
  // own, each of their calls per column went through the clone resolver, with a register save and
  // a vzeroupper (3 % of a helical projection, whose columns are short).
  bool PrepareColumn(const ViewSlab& slab, const RowFootprints& row, int64_t i,
                     Column* column) const;
  int32_t AxialRectangles(const ViewSlab& slab, const RowFootprints& row, int64_t i,
                          Column* column) const;
  bool AxialRectanglesShortSteps(const ViewSlab& slab, float inv_r2, float b_first, float step,
                                 int32_t max_step, Column* column) const;
  bool AxialTrapezoidsShortSteps(const ViewSlab& slab, float inv_r2, float near, float far,
                                 int32_t max_step, Column* column) const;
  int32_t AxialTrapezoids(const ViewSlab& slab, const RowFootprints& row, int64_t i,
                          Column* column) const;
  void ColumnForward(const Column& column, const float* x, float* rows) const;
  void ColumnBack(const Column& column, const float* rows, float* x) const;
  // Views views[0 … n_views) of the z-fastest `columns` (row, column: one per view); columns
  // with nonzero[j·nx + i] == 0 are skipped.
  void ForwardViews(const float* columns, const char* nonzero, const int64_t* views,
                    int64_t n_views, RowFootprints* row, Column* column, float* detector,
                    float* rows, Sinogram& sinogram) const;
  void BackRow(const float* view_data, int64_t view, int64_t j, RowFootprints* row, Column* column,
               float* rows, float* columns) const;

  // AxialRectanglesShortSteps(max_step) is tried for face-to-face steps below max_step times this
  // (rows): it checks each voxel's step after rounding, and the margin makes that check fail
  // only on corner cases.
  static constexpr float kShortStepLimit = 0.999f;
  // Back projects this many image rows per view at a time (see Back).
  static constexpr int64_t kBackRowsPerBlock = 4;
  // Back copies the listed views channel-major in chunks of at most this many bytes (at least
  // one view).
  static constexpr int64_t kBackChunkBytes = int64_t(32) << 20;
  // Forward projects up to this many views per pass over the image (see ForwardViews).
  static constexpr int64_t kForwardViewsPerBlock = 4;
  // Zero padding of the back projection's row profiles is written in blocks of this many rows.
  static constexpr int32_t kZeroBlock = 16;

  TransaxialFootprints footprints_;
  AxialFootprint axial_;
  double row_origin_;            // p = v/Δv + row_origin_ puts row r on [r, r+1)
  int32_t max_axial_span_;       // bound on the rows one voxel touches: padding of row profiles
  int32_t row_padding_;          // max_axial_span_ rounded up to whole kZeroBlock
  std::vector<ViewSlab> slabs_;  // per view
};

}  // namespace osmo
