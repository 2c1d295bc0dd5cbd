// Separable-footprint cone-beam projector (SF-TR / SF-TT) with column resampling.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/sf_cone_projector.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <type_traits>

#include "projectors/footprint.h"
#include "projectors/multiversion.h"
#include "projectors/window_gather.h"

namespace osmo {

namespace {

// Scratch arrays are read through data() and sized per column: they only ever grow, so that a
// column longer than the previous one does not pay for zero-filling the difference each time.
template <class T>
void GrowTo(std::vector<T>* v, int64_t n) {
  if (int64_t(v->size()) < n) v->resize(size_t(n));
}

}  // namespace

// The axial footprints of one voxel column in one view: voxel k adds weights[m·stride + k] (the
// cell-averaged axial footprint times the polar amplitude) to rows first_row[k] + m,
// m = 0 … span − 1. Both directions read these arrays, so forward and back use bit-identical
// weights. Rows outside the detector land in the row profile's padding.
struct SfConeProjector::Column {
  int64_t k_first = 0, n_k = 0;     // the column's slab: weights and scratch hold ≥ n_k entries
  int64_t stride = 0;               // weights of the voxels' row m start at m·stride (≥ n_k)
  int64_t row_lo = 0, row_hi = -1;  // detector rows touched, inclusive
  int32_t span = 0;
  // first_row steps by at most span − 1 from each voxel to the next (the columns of
  // AxialRectanglesShortSteps, span 2 or 3): ColumnForward and ColumnBack then keep the rows in
  // flight in registers.
  bool short_steps = false;
  std::vector<int32_t> first_row;
  std::vector<float> weights;
  std::vector<float> t0, t1, t2, t3, rise, fall, amplitude, previous;  // scratch
  // Of every column of the current image row (ColumnSlabs): the column's slices within the
  // view's slab, the first's offset and their count.
  std::vector<int32_t> slab_first, slab_count;
  // BackRow's list of a column's channels with a non-zero weight: their detector data, weights.
  std::vector<const float*> channels;
  std::vector<float> channel_weights;

  // Sizes weights (three rows) and first_row for a short-step pass over n_k voxels, which runs
  // to a multiple of 16, the widest vector's lanes (AVX-512): a scalar remainder of up to 15
  // voxels took as long as the vector iterations of a short helical column. Returns the padded
  // count, the weights' stride.
  int32_t PadForShortSteps(int64_t n_voxels) {
    const int32_t n_padded = int32_t((n_voxels + 15) / 16 * 16);
    stride = n_padded;
    GrowTo(&weights, 3 * int64_t(n_padded));
    GrowTo(&first_row, n_padded);
    return n_padded;
  }
  // The end of a short-step pass over n_voxels ≥ 1: false if a voxel failed its check, else the
  // row range set. first_row rises along the column, so the range runs from the first voxel's row
  // to the last's + max_step, clamped to the detector. (Voxels that miss the detector have zero
  // weights, so rows they alone reach only add zeros; a reduction over the touching voxels in the
  // pass, for a tighter range, cost 5 of its ~90 instructions per vector.)
  bool FinishShortSteps(bool failed, int64_t n_voxels, int32_t max_step, int64_t n_rows) {
    if (failed) return false;
    short_steps = true;
    row_lo = std::max<int64_t>(0, first_row[0]);
    row_hi = std::min<int64_t>(n_rows - 1, first_row[size_t(n_voxels - 1)] + max_step);
    return true;
  }
};

SfConeProjector::SfConeProjector(const ImageGeometry& image, const ScanGeometry& scan,
                                 AxialFootprint axial)
    : Projector(image, scan), footprints_(image, scan, /*with_depths=*/true), axial_(axial) {
  row_origin_ = 0.5 * double(scan.n_rows - 1) - scan.row_offset + 0.5;
  // A voxel's axial footprint spans at most ScanGeometry::MaxAxialFootprintRows rows (SF-TT's
  // spread of the magnification over the voxel included), plus two for the alignment with rows.
  max_axial_span_ = int32_t(std::ceil(scan.MaxAxialFootprintRows(image))) + 2;
  row_padding_ = (max_axial_span_ + kZeroBlock - 1) / kZeroBlock * kZeroBlock;
  for (int64_t k = 0; k < scan.NumViews(); ++k) slabs_.push_back(SlabOfView(k));
}

// A slice can reach the detector only if λ·(z − z_S') + Δz lies on the rows for some axial
// magnification λ of the view: λ ∈ [(D − w)/(R + w + r), (D + w)·sec γ_max/(R − w − r)], with w
// the focal spot's shift, r the image's corner radius and γ_max the widest ray angle of a flat
// detector. The slab is widened by one slice each way; slices in it that miss the detector get
// zero weights, so the slab only has to contain every slice that is seen.
SfConeProjector::ViewSlab SfConeProjector::SlabOfView(int64_t view) const {
  const double R = scan_.source_to_isocenter_mm, D = scan_.source_to_detector_mm;
  const double r = image_.MaxCornerRadiusMm(), dz = image_.slice_thickness_mm;
  const double w =
      scan_.HasSourceShifts() ? std::hypot(scan_.ShiftAlongU(view), scan_.ShiftAlongR(view)) : 0.0;
  double secant = 1.0;
  if (scan_.detector_shape == DetectorShape::kFlat) {
    const double u_max = std::max(std::abs(scan_.ChannelU(-0.5)),
                                  std::abs(scan_.ChannelU(double(scan_.n_channels) - 0.5))) +
                         scan_.MaxTransaxialFootprintCells(image_) * scan_.channel_spacing_mm;
    secant = std::hypot(1.0, (u_max + w) / (D - w));
  }
  const double lambda_lo = 0.95 * (D - w) / (R + w + r);
  const double lambda_hi = 1.05 * (D + w) * secant / (R - w - r);
  const double shift_z = scan_.ShiftZ(view);
  const double v_lo = scan_.RowV(-0.5) - shift_z,
               v_hi = scan_.RowV(double(scan_.n_rows) - 0.5) - shift_z;
  const double bound_lo = std::min(v_lo / lambda_lo, v_lo / lambda_hi);
  const double bound_hi = std::max(v_hi / lambda_lo, v_hi / lambda_hi);
  const double z_source = scan_.SourceZ(view) + shift_z;
  int64_t first = image_.nz, last = -1;
  for (int64_t k = 0; k < image_.nz; ++k) {
    const double bottom = image_.Z(double(k) - 0.5) - z_source;
    if (bottom + dz > bound_lo && bottom < bound_hi) {
      first = std::min(first, k);
      last = k;
    }
  }
  ViewSlab slab;
  slab.origin = row_origin_ + shift_z / scan_.row_spacing_mm;
  if (last < 0) return slab;  // the view sees none of the image
  slab.k_first = std::max<int64_t>(0, first - 1);
  slab.n_k = std::min(image_.nz - 1, last + 1) - slab.k_first + 1;
  slab.z_first = image_.Z(double(slab.k_first) - 0.5) - z_source;
  return slab;
}

// The part of the view's slab that each voxel column of `row` can project onto the detector rows:
// a slice whose faces z_lo < z_hi (relative to the focal spot) reach row coordinates z·m + origin
// in [0, n_rows) for a magnification m of the column (SF-TR's centre value, or SF-TT's near and
// far ones) needs z_hi·m + origin > 0 and z_lo·m + origin < n_rows. One slice of margin on each
// side keeps every slice whose footprint could touch a row despite float rounding; the others
// would only add zeros. A helical view's slab is bounded by the extreme magnifications of the
// whole image; one column's range is up to (R + r)/(R − r) times narrower. One vectorised pass
// per image row (done per column, in scalar code, it was a tenth of a helical back projection).
OSMO_MULTIVERSIONED
void SfConeProjector::ColumnSlabs(const ViewSlab& slab, const RowFootprints& row,
                                  Column* col) const {
  const int32_t nx = int32_t(image_.nx);
  col->slab_first.resize(size_t(nx));
  col->slab_count.resize(size_t(nx));
  int32_t *slab_first = col->slab_first.data(), *slab_count = col->slab_count.data();
  const bool rectangle = axial_ == AxialFootprint::kRectangle;
  const float* near = rectangle ? row.rows_per_mm.data() : row.rows_per_mm_near.data();
  const float* far = rectangle ? row.rows_per_mm.data() : row.rows_per_mm_far.data();
  const double dz = image_.slice_thickness_mm, rows = double(scan_.n_rows);
  const double origin = slab.origin, z_first = slab.z_first, n_k = double(slab.n_k);
#pragma omp simd
  for (int32_t i = 0; i < nx; ++i) {
    // (A column that misses the detector may have m = 0: kept finite; PrepareColumn skips it.)
    const double m_near = std::max(double(near[i]), 1e-30), m_far = std::max(double(far[i]), 1e-30);
    const double lo = std::min(std::floor((-origin / m_near - z_first) / dz),
                               std::floor((-origin / m_far - z_first) / dz)) -
                      1.0;
    const double hi = std::max(std::ceil(((rows - origin) / m_near - z_first) / dz),
                               std::ceil(((rows - origin) / m_far - z_first) / dz)) +
                      1.0;
    const int32_t first = int32_t(std::min(std::max(lo, 0.0), n_k));
    const int32_t last = int32_t(std::min(std::max(hi, -1.0), n_k - 1.0));
    slab_first[i] = first;
    slab_count[i] = std::max(last - first + 1, 0);
  }
  // The scratch for the longest column (once per row, not per column).
  for (auto* v : {&col->t0, &col->t1, &col->t2, &col->t3, &col->rise, &col->fall, &col->amplitude,
                  &col->previous}) {
    GrowTo(v, slab.n_k);
  }
  GrowTo(&col->first_row, slab.n_k);
  GrowTo(&col->channels, row.span);
  GrowTo(&col->channel_weights, row.span);
}

// SF-TR for a column whose voxels each project onto less than `max_step` rows (1 or 2): the
// face-to-face step dz·m < max_step, most columns of cone and helical scans with slices no
// thicker than the rows (max_step 1) and the columns nearer the source than the isocentre when the
// slices are as thick as the rows at the isocentre (max_step 2, helical scans). A voxel then
// touches at most max_step + 1 rows, and the next voxel starts at most max_step rows above. One
// pass gives the three rows' weights, the values AxialRectangles's general passes compute with
// 0 ≤ t0 < 1 and t3 < t0 + max_step:
//   w(k, first + n) = a·(clamp(t3 − n, 0, 1) − clamp(t0 − n, 0, 1)), n = 0, 1, 2
//                   = a·(min(t3, 1) − t0),  a·clamp(t3 − 1, 0, 1),  a·max(t3 − 2, 0),
// and the column's row range. first_row of a voxel that misses the detector is its row clamped
// to [−2, n_rows] (zero weights; the padding holds the three rows), so first_row steps by 0 …
// max_step all along the column: ColumnForward and ColumnBack rely on that (short_steps). The
// step is checked per voxel in float (hi − lo < max_step implies floor(hi) − floor(lo) ≤ max_step);
// false, and nothing promised, if a voxel fails it after rounding. (With max_step 1 the third
// weights are not written: only two rows are read.)
OSMO_INLINE_INTO_CLONES
bool SfConeProjector::AxialRectanglesShortSteps(const ViewSlab& slab, float inv_r2, float b_first,
                                                float step, int32_t max_step, Column* col) const {
  const int32_t n_slices = int32_t(slab.n_k);
  const float z_centre = float(slab.z_first + 0.5 * image_.slice_thickness_mm);
  const float dz = float(image_.slice_thickness_mm), rows = float(scan_.n_rows);
  const int32_t n_padded =
      col->PadForShortSteps(n_slices);  // the voxels past the slab touch nothing
  float *w0 = col->weights.data(), *w1 = w0 + n_padded, *w2 = w1 + n_padded;
  int32_t* first = col->first_row.data();
  // The pass, for max_step known at compile time: with max_step 1 (circular cone's columns) it
  // neither clamps the second weight nor stores the third. Inlined, so that it is compiled into
  // each clone of this function (out of line, a lambda runs the baseline x86-64 code).
  const auto pass = [=](auto max_step_constant) OSMO_LAMBDA_INLINE_INTO_CLONES {
    constexpr int32_t kMaxStep = decltype(max_step_constant)::value;
    int32_t long_steps = 0;
#pragma omp simd reduction(max : long_steps)
    for (int32_t k = 0; k < n_padded; ++k) {
      const float kf = float(k);
      const float lo = b_first + kf * step, hi = b_first + (kf + 1.0f) * step;
      const float base = std::floor(lo);
      const float t0 = lo - base, t3 = hi - base;
      const bool touches = (base < rows) & (std::ceil(hi) > 0.0f) & (k < n_slices);
      const float z = z_centre + kf * dz;
      const float amplitude = touches ? std::sqrt(1.0f + z * z * inv_r2) : 0.0f;
      w0[k] = amplitude * (std::min(t3, 1.0f) - t0);
      if constexpr (kMaxStep == 1) {
        w1[k] = amplitude * std::max(t3 - 1.0f, 0.0f);
      } else {
        w1[k] = amplitude * std::min(std::max(t3 - 1.0f, 0.0f), 1.0f);
        w2[k] = amplitude * std::max(t3 - 2.0f, 0.0f);
      }
      const int32_t f = int32_t(std::min(std::max(base, -2.0f), rows));
      first[k] = f;
      long_steps = std::max(long_steps, int32_t(hi - lo >= float(kMaxStep)));
    }
    return long_steps != 0;
  };
  return col->FinishShortSteps(max_step == 1 ? pass(std::integral_constant<int32_t, 1>{})
                                             : pass(std::integral_constant<int32_t, 2>{}),
                               n_slices, max_step, scan_.n_rows);
}

// SF-TR axial footprints of column i (the scratch arrays sized); returns the span.
OSMO_INLINE_INTO_CLONES
int32_t SfConeProjector::AxialRectangles(const ViewSlab& slab, const RowFootprints& row, int64_t i,
                                         Column* col) const {
  const int64_t nz = slab.n_k;
  const double dz = image_.slice_thickness_mm;
  const double z_first = slab.z_first;
  const float inv_r2 = row.inverse_radial_sq[size_t(i)];
  const double origin = slab.origin;
  const float max_span = float(max_axial_span_), rows = float(scan_.n_rows);
  int32_t span = 1;
  const double m = row.rows_per_mm[size_t(i)];
  // SF-TR: face k (the bottom of voxel k, the top of voxel k − 1) projects to b_first + k·step
  // (the magnification at the voxel centre): both neighbours read the same float, so the
  // voxels tile the detector column exactly. The cell-averaged rectangle over row n of the
  // voxel's local interval [t0, t3] is clamp(t3 − n, 0, 1) − clamp(t0 − n, 0, 1).
  const float step = float(dz * m), b_first = float(z_first * m + origin);
  for (const int32_t max_step : {1, 2}) {
    if (step < float(max_step) * kShortStepLimit &&
        AxialRectanglesShortSteps(slab, inv_r2, b_first, step, max_step, col)) {
      return max_step + 1;
    }
  }
  // (The scratch pointers only now: a short-step pass that failed may have grown first_row.)
  float *t0 = col->t0.data(), *t3 = col->t3.data(), *amplitude = col->amplitude.data();
  int32_t* first = col->first_row.data();
  // The slice centres in float from a 32-bit counter: x86 has no packed 64-bit integer to float
  // conversion before AVX-512, and with it this loop did not vectorise (41 % of a helical forward
  // projection, most of it waiting on one scalar sqrt per voxel-view).
  const float z_centre = float(z_first + 0.5 * dz), dz_f = float(dz);
  const int32_t n_slices = int32_t(nz);
  thread_local std::vector<int32_t> widths;
  GrowTo(&widths, nz);
  int32_t* width_of = widths.data();
#pragma omp simd
  for (int32_t k = 0; k < n_slices; ++k) {
    const float kf = float(k);
    const float lo = b_first + kf * step, hi = b_first + (kf + 1.0f) * step;
    const float base = std::floor(lo);
    const float width = std::ceil(hi) - base;
    const bool touches = (base < rows) & (base + width > 0.0f) & (width <= max_span);
    t0[k] = lo - base;
    t3[k] = hi - base;
    first[k] = touches ? int32_t(base) : 0;
    const float z = z_centre + kf * dz_f;
    amplitude[k] = touches ? std::sqrt(1.0f + z * z * inv_r2) : 0.0f;
    width_of[k] = touches ? int32_t(width) : 1;
  }
  // (The maximum in its own loop: a max-reduction inside the loop above stops it vectorising.)
  for (int64_t k = 0; k < nz; ++k) span = std::max(span, width_of[k]);
  col->stride = nz;
  GrowTo(&col->weights, span * nz);
  for (int32_t n = 0; n < span; ++n) {
    float* w = col->weights.data() + int64_t(n) * nz;
    const float cell = float(n);
#pragma omp simd
    for (int64_t k = 0; k < nz; ++k) {
      const float top = std::min(std::max(t3[k] - cell, 0.0f), 1.0f);
      const float bottom = std::min(std::max(t0[k] - cell, 0.0f), 1.0f);
      w[k] = amplitude[k] * (top - bottom);
    }
  }
  return span;
}

// SF-TT for a column whose voxels each touch at most max_step + 1 rows (1 or 2) with the next
// voxel starting at most max_step rows above: the same contract as AxialRectanglesShortSteps, so
// the same accumulation paths. Voxel k's faces project through the near and far magnifications to
//   a0 = b_near + k·s_near, a1 = b_far + k·s_far (bottom), a2, a3 the same at k + 1 (top),
// in float (as SF-TR's faces); the trapezoid is their sorted values (a0 ≤ a2 and a1 ≤ a3, both
// magnifications being positive: min(a0, a1) is the lowest and max(a2, a3) the highest), and its
// cells' weights are
//   w_n = a·(G(n + 1) − G(n)), n = 0, 1, 2, G the trapezoid's integral (footprint::TrapezoidCdf)
// in coordinates relative to the voxel's first row, G(0) = 0 and G(max_step + 1) the area. Each
// voxel's width is checked; its step to the next voxel, min(a2, a3) − min(a0, a1) ≤
// max(s_near, s_far), is below max_step because the caller only tries a max_step above that (with
// a 0.1 % margin against rounding). False, and nothing promised, if a voxel is too wide. One
// pass, no double precision: the general path (PlaceTrapezoid in double, then one pass per cell)
// took 2.5× SF-TR's time.
OSMO_INLINE_INTO_CLONES
bool SfConeProjector::AxialTrapezoidsShortSteps(const ViewSlab& slab, float inv_r2, float near,
                                                float far, int32_t max_step, Column* col) const {
  const int32_t n_slices = int32_t(slab.n_k);
  const float z_centre = float(slab.z_first + 0.5 * image_.slice_thickness_mm);
  const float dz = float(image_.slice_thickness_mm), rows = float(scan_.n_rows);
  const float b_near = float(slab.z_first * near + slab.origin), s_near = dz * near;
  const float b_far = float(slab.z_first * far + slab.origin), s_far = dz * far;
  const int32_t n_padded = col->PadForShortSteps(n_slices);
  float *w0 = col->weights.data(), *w1 = w0 + n_padded, *w2 = w1 + n_padded;
  int32_t* first = col->first_row.data();
  // The pass for max_step known at compile time: the weights of the last row come from the
  // trapezoid's area, 0.5·(t3 + t2 − t1 − t0), so two rows need one integral and three need two.
  const auto pass = [=](auto max_step_constant) OSMO_LAMBDA_INLINE_INTO_CLONES {
    constexpr int32_t kMaxStep = decltype(max_step_constant)::value;
    constexpr float kLimit = float(kMaxStep);
    int32_t long_steps = 0;
#pragma omp simd reduction(max : long_steps)
    for (int32_t k = 0; k < n_padded; ++k) {
      const float kf = float(k);
      const float a0 = b_near + kf * s_near, a1 = b_far + kf * s_far;
      const float a2 = b_near + (kf + 1.0f) * s_near, a3 = b_far + (kf + 1.0f) * s_far;
      const float q0 = std::min(a0, a1), q3 = std::max(a2, a3);
      const float inner_low = std::max(a0, a1), inner_high = std::min(a2, a3);
      const float q1 = std::min(inner_low, inner_high), q2 = std::max(inner_low, inner_high);
      const float base = std::floor(q0), top = std::ceil(q3);
      const float t0 = q0 - base, t1 = q1 - base, t2 = q2 - base, t3 = q3 - base;
      // 1/(2·rise width) and 1/(2·fall width) from one division (the divider, shared with the
      // square root below, bounds this loop); vertical edges get 0.
      const float rise_width = std::max(t1 - t0, 1e-12f), fall_width = std::max(t3 - t2, 1e-12f);
      const float half_inverse_product = 0.5f / (rise_width * fall_width);
      const float rise = t1 > t0 ? half_inverse_product * fall_width : 0.0f;
      const float fall = t3 > t2 ? half_inverse_product * rise_width : 0.0f;
      const bool inside = k < n_slices;
      const bool touches = (base < rows) & (top > 0.0f) & inside;
      const float z = z_centre + kf * dz;
      const float amplitude = touches ? std::sqrt(1.0f + z * z * inv_r2) : 0.0f;
      const float area = 0.5f * ((t3 + t2) - (t1 + t0));
      const float g1 = footprint::TrapezoidCdf(1.0f, t0, t1, t2, t3, rise, fall);
      w0[k] = amplitude * g1;
      if constexpr (kMaxStep == 1) {
        w1[k] = amplitude * (area - g1);
      } else {
        const float g2 = footprint::TrapezoidCdf(2.0f, t0, t1, t2, t3, rise, fall);
        w1[k] = amplitude * (g2 - g1);
        w2[k] = amplitude * (area - g2);
      }
      const int32_t f = int32_t(std::min(std::max(base, -2.0f), rows));
      first[k] = f;
      long_steps = std::max(long_steps, int32_t(touches & (top - base > kLimit + 1.0f)));
    }
    return long_steps != 0;
  };
  return col->FinishShortSteps(max_step == 1 ? pass(std::integral_constant<int32_t, 1>{})
                                             : pass(std::integral_constant<int32_t, 2>{}),
                               n_slices, max_step, scan_.n_rows);
}

// SF-TT axial footprints of column i (the scratch arrays sized); returns the span.
OSMO_INLINE_INTO_CLONES
int32_t SfConeProjector::AxialTrapezoids(const ViewSlab& slab, const RowFootprints& row, int64_t i,
                                         Column* col) const {
  const int64_t nz = slab.n_k;
  const double dz = image_.slice_thickness_mm;
  const double z_first = slab.z_first;
  const float inv_r2 = row.inverse_radial_sq[size_t(i)];
  const double origin = slab.origin;
  const float max_span = float(max_axial_span_), rows = float(scan_.n_rows);
  int32_t span = 1;
  const double near = row.rows_per_mm_near[size_t(i)], far = row.rows_per_mm_far[size_t(i)];
  const double largest_step = dz * std::max(near, far);  // a voxel steps by less than this
  for (const int32_t max_step : {1, 2}) {
    if (largest_step < double(max_step) * kShortStepLimit &&
        AxialTrapezoidsShortSteps(slab, inv_r2, float(near), float(far), max_step, col)) {
      return max_step + 1;
    }
  }
  // (The scratch pointers only now: a short-step pass that failed may have grown first_row.)
  float *t0 = col->t0.data(), *t1 = col->t1.data(), *t2 = col->t2.data(), *t3 = col->t3.data();
  float *rise = col->rise.data(), *fall = col->fall.data(), *amplitude = col->amplitude.data();
  float* previous = col->previous.data();
  int32_t* first = col->first_row.data();
  // SF-TT: each face projects to z·m_near + o and z·m_far + o; the four values bound the
  // trapezoid (faces below z = 0 magnify downwards, hence the sort). A 32-bit counter, as in
  // AxialRectangles: its conversion to double vectorises.
  const int32_t n_slices = int32_t(nz);
#pragma omp simd reduction(max : span)
  for (int32_t k = 0; k < n_slices; ++k) {
    const double lo = z_first + double(k) * dz, hi = z_first + double(k + 1) * dz;
    const double a0 = lo * near + origin, a1 = lo * far + origin;
    const double a2 = hi * near + origin, a3 = hi * far + origin;
    const footprint::PlacedTrapezoid p = footprint::PlaceTrapezoid(a0, a1, a2, a3);
    const bool touches =
        (p.base < double(rows)) & (p.base + p.width > 0.0) & (p.width <= double(max_span));
    t0[k] = p.t0;
    t1[k] = p.t1;
    t2[k] = p.t2;
    t3[k] = p.t3;
    rise[k] = p.half_inverse_rise;
    fall[k] = p.half_inverse_fall;
    first[k] = touches ? int32_t(p.base) : 0;
    const float z = float(0.5 * (lo + hi));
    amplitude[k] = touches ? std::sqrt(1.0f + z * z * inv_r2) : 0.0f;
    span = std::max(span, touches ? int32_t(p.width) : 1);
  }
  col->stride = nz;
  GrowTo(&col->weights, span * nz);
  footprint::CellWeights(nz, span, t0, t1, t2, t3, rise, fall, amplitude, previous,
                         col->weights.data());
  return span;
}

OSMO_INLINE_INTO_CLONES
bool SfConeProjector::PrepareColumn(const ViewSlab& view_slab, const RowFootprints& row, int64_t i,
                                    Column* col) const {
  const int64_t nr = scan_.n_rows, nx = image_.nx;
  bool seen = false;  // a column whose transaxial footprint misses the detector is skipped
  for (int32_t m = 0; m < row.span; ++m) seen = seen || row.weights[size_t(m * nx + i)] != 0.0f;
  if (!seen) return false;
  ViewSlab slab = view_slab;
  slab.k_first += col->slab_first[size_t(i)];
  slab.n_k = col->slab_count[size_t(i)];
  slab.z_first += double(col->slab_first[size_t(i)]) * image_.slice_thickness_mm;
  const int64_t nz = slab.n_k;
  if (nz == 0) return false;
  col->k_first = slab.k_first;
  col->n_k = nz;
  col->short_steps = false;
  const int32_t span = axial_ == AxialFootprint::kRectangle ? AxialRectangles(slab, row, i, col)
                                                            : AxialTrapezoids(slab, row, i, col);
  col->span = span;
  if (col->short_steps) return col->row_lo <= col->row_hi;  // the row range is set
  const float* amplitude = col->amplitude.data();
  const int32_t* first = col->first_row.data();
  int32_t lowest = int32_t(nr), highest = -1;
#pragma omp simd reduction(min : lowest) reduction(max : highest)
  for (int64_t k = 0; k < nz; ++k) {
    const bool touches = amplitude[k] != 0.0f;
    lowest = std::min(lowest, touches ? first[k] : int32_t(nr));
    highest = std::max(highest, touches ? first[k] + span - 1 : -1);
  }
  col->row_lo = std::max<int64_t>(0, lowest);
  col->row_hi = std::min<int64_t>(nr - 1, highest);
  return col->row_lo <= col->row_hi;
}

namespace {

// Accumulation along a column whose first_row steps by 0 or 1: rows `current` and current + 1
// stay in registers, and a row is stored once the voxels have moved past it (no later voxel
// reaches it).
struct TwoRowsInFlight {
  static constexpr int32_t kRows = 2;
  int32_t current;
  float low = 0.0f, high = 0.0f;  // rows current and current + 1

  void Add(int32_t first, float w_low, float w_high, float /*w_top*/, float x, float* out) {
    if (first != current) {
      out[current] = low;
      low = high;
      high = 0.0f;
      current = first;
    }
    low += w_low * x;
    high += w_high * x;
  }
  void Finish(float* out) const {
    out[current] = low;
    out[current + 1] = high;
  }
};

// The same for first_row steps of 0, 1 or 2 and three rows per voxel.
struct ThreeRowsInFlight {
  static constexpr int32_t kRows = 3;
  int32_t current;
  float low = 0.0f, middle = 0.0f, high = 0.0f;  // rows current … current + 2

  void Add(int32_t first, float w_low, float w_middle, float w_high, float x, float* out) {
    if (first != current) {
      out[current] = low;
      if (first == current + 1) {
        low = middle;
        middle = high;
      } else {
        out[current + 1] = middle;
        low = high;
        middle = 0.0f;
      }
      high = 0.0f;
      current = first;
    }
    low += w_low * x;
    middle += w_middle * x;
    high += w_high * x;
  }
  void Finish(float* out) const {
    out[current] = low;
    out[current + 1] = middle;
    out[current + 2] = high;
  }
};

// rows[r] = Σ_k w_n[k]·x[k] over r = first[k] + n for a short-step column, as two halves in one
// loop, the upper half into `upper`: two independent chains of multiply-adds, where one would
// wait on each previous one. Each half writes every row from its first voxel's to its last
// voxel's + kRows − 1, so only the rows where the halves meet get two partial sums; every sum has
// a fixed order.
template <class InFlight>
OSMO_INLINE_INTO_CLONES void AccumulateInHalves(int64_t nz, int64_t stride, const int32_t* first,
                                                const float* w, const float* x, float* rows,
                                                float* upper) {
  const float *w0 = w, *w1 = w + stride, *w2 = w + 2 * stride;
  const int64_t half = nz / 2;
  InFlight lower_half{first[0]}, upper_half{first[half]};
  for (int64_t k = 0; k < half; ++k) {
    const int64_t u = half + k;
    lower_half.Add(first[k], w0[k], w1[k], w2[k], x[k], rows);
    upper_half.Add(first[u], w0[u], w1[u], w2[u], x[u], upper);
  }
  const int64_t last = nz - 1;
  if (nz % 2 != 0) upper_half.Add(first[last], w0[last], w1[last], w2[last], x[last], upper);
  lower_half.Finish(rows);
  upper_half.Finish(upper);
  for (int64_t r = first[half]; r < upper_half.current + InFlight::kRows; ++r) rows[r] += upper[r];
}

// rows[r] = w[0]·src[0][r] + w[1]·src[1][r] + … for lo ≤ r ≤ hi, added in that order (the first
// term a product, the others multiply-adds; 0 for n = 0): a voxel column's row profile from the
// view's channels under its transaxial footprint. For up to four channels all terms in one loop,
// whose vector remainder is one block of 16 rows moved back to end at hi, recomputing rows the
// loop already stored (to the same values): no scalar remainder runs on a range of ≥ 16 rows.
// (Channel by channel, each with a load and a store of the rows and scalar remainders, this took
// a quarter of a helical back projection, whose columns span ~60 rows.)
template <int32_t kChannels>
OSMO_INLINE_INTO_CLONES void WeightedChannelSum(const float* const* src, const float* w, int64_t lo,
                                                int64_t hi, float* rows) {
  constexpr int64_t kBlock = 16;
  const float *s0 = src[0], *s1 = src[kChannels > 1 ? 1 : 0], *s2 = src[kChannels > 2 ? 2 : 0],
              *s3 = src[kChannels > 3 ? 3 : 0];
  const float w0 = w[0], w1 = w[kChannels > 1 ? 1 : 0], w2 = w[kChannels > 2 ? 2 : 0],
              w3 = w[kChannels > 3 ? 3 : 0];
  const auto sum = [=](int64_t first, int64_t count) OSMO_LAMBDA_INLINE_INTO_CLONES {
#pragma omp simd
    for (int64_t r = first; r < first + count; ++r) {
      float value = w0 * s0[r];
      if constexpr (kChannels > 1) value += w1 * s1[r];
      if constexpr (kChannels > 2) value += w2 * s2[r];
      if constexpr (kChannels > 3) value += w3 * s3[r];
      rows[r] = value;
    }
  };
  const int64_t n = hi - lo + 1;
  if (n < kBlock) {
    sum(lo, n);
    return;
  }
  sum(lo, n / kBlock * kBlock);
  if (n % kBlock != 0) sum(hi - kBlock + 1, kBlock);
}

OSMO_INLINE_INTO_CLONES void WeightedChannelSum(int32_t n, const float* const* src, const float* w,
                                                int64_t lo, int64_t hi, float* rows) {
  switch (n) {
    case 0:
      std::fill(rows + lo, rows + hi + 1, 0.0f);
      return;
    case 1:
      return WeightedChannelSum<1>(src, w, lo, hi, rows);
    case 2:
      return WeightedChannelSum<2>(src, w, lo, hi, rows);
    case 3:
      return WeightedChannelSum<3>(src, w, lo, hi, rows);
    case 4:
      return WeightedChannelSum<4>(src, w, lo, hi, rows);
    default:
      WeightedChannelSum<4>(src, w, lo, hi, rows);
      for (int32_t m = 4; m < n; ++m) {
        const float* sm = src[m];
        const float wm = w[m];
#pragma omp simd
        for (int64_t r = lo; r <= hi; ++r) rows[r] += wm * sm[r];
      }
  }
}

}  // namespace

// rows[r] = Σ_k a_axial(k, r)·x[k] over the slab (x points at its first slice); `rows` is padded by
// max_axial_span_ on both sides and followed by a second profile of the same size (scratch);
// only [row_lo, row_hi] is meaningful afterwards.
OSMO_INLINE_INTO_CLONES
void SfConeProjector::ColumnForward(const Column& col, const float* x, float* rows) const {
  const int64_t nz = col.n_k, pad = max_axial_span_;
  const int32_t* first = col.first_row.data();
  const float* w = col.weights.data();
  // Short-step columns on AVX-512: vectorised, every row from first[0] to first[nz − 1] + span −
  // 1 (all of [row_lo, row_hi]) assigned.
  if (col.short_steps && window_gather::AccumulateShortStepRows(col.span, int32_t(nz), col.stride,
                                                                first, w, x, rows)) {
    return;
  }
  std::fill(rows + col.row_lo - pad, rows + col.row_hi + 1 + pad, 0.0f);
  if (col.short_steps) {
    float* upper = rows + scan_.n_rows + 2 * pad;  // the second profile Forward allocates
    if (col.span == 2) {
      AccumulateInHalves<TwoRowsInFlight>(nz, col.stride, first, w, x, rows, upper);
    } else {
      AccumulateInHalves<ThreeRowsInFlight>(nz, col.stride, first, w, x, rows, upper);
    }
    return;
  }
  // The general path (steps over two rows, or voxels wider than three: thick slices, or SF-TT
  // far from the transaxial plane); every short-step column took the branch above.
  for (int64_t k = 0; k < nz; ++k) {
    float* r = rows + first[k];
    for (int32_t n = 0; n < col.span; ++n) r[n] += w[n * nz + k] * x[k];
  }
}

// x[k] += Σ_r a_axial(k, r)·rows[r] over the slab (x at its first slice); rows outside [row_lo,
// row_hi] must be zero (padding too).
OSMO_INLINE_INTO_CLONES
void SfConeProjector::ColumnBack(const Column& col, const float* rows, float* x) const {
  const int64_t nz = col.n_k;
  const int32_t* first = col.first_row.data();
  if (col.short_steps) {  // the rows in one pass, in the order of the passes below
    window_gather::AddShortStepRows(col.span, int32_t(nz), col.stride, first, col.weights.data(),
                                    rows, x);
    return;
  }
  for (int32_t n = 0; n < col.span; ++n) {
    const float* w = col.weights.data() + int64_t(n) * nz;
    const float* rn = rows + n;
#pragma omp simd
    for (int64_t k = 0; k < nz; ++k) x[k] += w[k] * rn[first[k]];
  }
}

void SfConeProjector::Forward(const Image& image, Sinogram& sinogram, const ViewList& views) const {
  CheckArguments(image, sinogram, views);
  const int64_t nx = image_.nx, ny = image_.ny, nz = image_.nz;
  const int64_t nc = scan_.n_channels, nr = scan_.n_rows;
  const int64_t pad = footprints_.MaxSpan();
  // z-fastest copy of the image: column (i, j) is contiguous. Columns of zeros (outside the
  // support, an impulse's surroundings) add nothing and are skipped. (Not value-initialised: the
  // parallel loop below writes every entry, so its pages are first touched by the threads.)
  const std::unique_ptr<float[]> columns(new float[size_t(image_.NumVoxels())]);
  std::vector<char> nonzero(static_cast<size_t>(nx * ny), 0);
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < ny; ++j) {
    for (int64_t k = 0; k < nz; ++k) {
      const float* src = image.data() + image_.Index(0, j, k);
      for (int64_t i = 0; i < nx; ++i) {
        columns[size_t((j * nx + i) * nz + k)] = src[i];
        nonzero[size_t(j * nx + i)] |= char(src[i] != 0.0f);
      }
    }
  }
  // Views in blocks (ForwardViews), as many as keep every thread busy, at most
  // kForwardViewsPerBlock.
  const int64_t n_list = int64_t(views.size());
  const int64_t per_block =
      std::clamp<int64_t>(n_list / (2 * int64_t(omp_get_max_threads())), 1, kForwardViewsPerBlock);
  const int64_t n_blocks = (n_list + per_block - 1) / per_block, view_size = (nc + 2 * pad) * nr;
#pragma omp parallel
  {
    std::vector<RowFootprints> row(static_cast<size_t>(per_block));
    std::vector<Column> column(static_cast<size_t>(per_block));
    std::vector<float> detector(static_cast<size_t>(per_block * view_size));  // [channel][row]
    // Two padded row profiles back to back: ColumnForward accumulates a column's halves apart.
    std::vector<float> padded_rows(static_cast<size_t>(2 * (nr + 2 * int64_t(max_axial_span_))),
                                   0.0f);
    float* rows = padded_rows.data() + max_axial_span_;
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; ++b) {
      const int64_t n_first = b * per_block;
      ForwardViews(columns.get(), nonzero.data(), views.data() + n_first,
                   std::min(per_block, n_list - n_first), row.data(), column.data(),
                   detector.data(), rows, sinogram);
    }
  }
}

void SfConeProjector::Back(const Sinogram& sinogram, Image& image, const ViewList& views) const {
  CheckArguments(image, sinogram, views);
  const int64_t nx = image_.nx, ny = image_.ny, nz = image_.nz;
  const int64_t nc = scan_.n_channels, nr = scan_.n_rows;
  const int64_t pad = footprints_.MaxSpan(), view_size = (nc + 2 * pad) * nr;
  const int64_t n_list = int64_t(views.size());
  // Channel-major, padded copies of the listed views, at most kBackChunkBytes of them at a time: a
  // copy of every view is as large as the sinogram (680 MB for ge-helical, gigabytes for a
  // clinical scan), and on a VM its first touch alone took 2 s of a 22 s back projection. The
  // padding channels are never written and stay zero.
  const int64_t per_chunk = std::max<int64_t>(
      1, std::min(n_list, kBackChunkBytes / (int64_t(sizeof(float)) * view_size)));
  std::vector<float> detector(static_cast<size_t>(per_chunk * view_size), 0.0f);
  const std::unique_ptr<float[]> columns(new float[size_t(image_.NumVoxels())]);
#pragma omp parallel
  {
    // The z-fastest volume zeroed by the threads (its first touch in parallel too).
#pragma omp for schedule(static)
    for (int64_t j = 0; j < ny; ++j) std::fill_n(columns.get() + j * nx * nz, nx * nz, 0.0f);
    RowFootprints row;
    Column column;
    // (ColumnBack reads windows of rows past the padding: window_gather::kReadablePast.)
    std::vector<float> padded_rows(
        static_cast<size_t>(nr + 2 * int64_t(row_padding_) + window_gather::kReadablePast), 0.0f);
    float* rows = padded_rows.data() + row_padding_;
    const int64_t n_blocks = (ny + kBackRowsPerBlock - 1) / kBackRowsPerBlock;
    for (int64_t first_view = 0; first_view < n_list; first_view += per_chunk) {
      const int64_t n_views = std::min(per_chunk, n_list - first_view);
#pragma omp for schedule(static)
      for (int64_t n = 0; n < n_views; ++n) {
        const float* in = sinogram.View(views[size_t(first_view + n)]);
        float* dst = detector.data() + n * view_size;
        for (int64_t r = 0; r < nr; ++r) {
          for (int64_t c = 0; c < nc; ++c) dst[(c + pad) * nr + r] = in[r * nc + c];
        }
      }
      // Image rows in blocks, each view applied to the whole block before the next: the view is
      // read from memory once per block instead of once per row (and the corner lines that
      // neighbouring rows share are projected once). Each voxel sums the views in list order,
      // chunk after chunk (the loops' barriers keep the chunks apart).
#pragma omp for schedule(dynamic, 1)
      for (int64_t b = 0; b < n_blocks; ++b) {
        const int64_t j_end = std::min(ny, (b + 1) * kBackRowsPerBlock);
        for (int64_t n = 0; n < n_views; ++n) {
          for (int64_t j = b * kBackRowsPerBlock; j < j_end; ++j) {
            BackRow(detector.data() + n * view_size, views[size_t(first_view + n)], j, &row,
                    &column, rows, columns.get());
          }
        }
      }
    }
  }
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < ny; ++j) {
    for (int64_t k = 0; k < nz; ++k) {
      float* dst = image.data() + image_.Index(0, j, k);
      for (int64_t i = 0; i < nx; ++i) dst[i] = columns[size_t((j * nx + i) * nz + k)];
    }
  }
}

// A block of views: every voxel column resampled onto detector rows and added to its footprint's
// channels in each view's `detector` ([channel][row], padded; view_size apart), then copied out.
// Each column is applied to all the views of the block before the next: the forward projection
// streams the whole image once per pass, and with one view per pass it waited on those loads
// (perf, session 11: half the accumulation's samples on the column's load). Each view's detector
// still sums the columns in the same order, so the block size changes no result.
OSMO_MULTIVERSIONED
void SfConeProjector::ForwardViews(const float* columns, const char* nonzero, const int64_t* views,
                                   int64_t n_views, RowFootprints* row, Column* column,
                                   float* detector, float* rows, Sinogram& sinogram) const {
  const int64_t nx = image_.nx, ny = image_.ny, nz = image_.nz;
  const int64_t nc = scan_.n_channels, nr = scan_.n_rows;
  const int64_t pad = footprints_.MaxSpan(), view_size = (nc + 2 * pad) * nr;
  std::fill(detector, detector + n_views * view_size, 0.0f);
  for (int64_t j = 0; j < ny; ++j) {
    for (int64_t v = 0; v < n_views; ++v) {
      const ViewSlab& slab = slabs_[size_t(views[v])];
      if (slab.n_k == 0) continue;
      footprints_.ComputeRow(views[v], j, &row[v]);
      ColumnSlabs(slab, row[v], &column[v]);
    }
    for (int64_t i = 0; i < nx; ++i) {
      if (nonzero[j * nx + i] == 0) continue;
      for (int64_t v = 0; v < n_views; ++v) {
        const ViewSlab& slab = slabs_[size_t(views[v])];
        if (slab.n_k == 0 || !PrepareColumn(slab, row[v], i, &column[v])) continue;
        ColumnForward(column[v], columns + (j * nx + i) * nz + column[v].k_first, rows);
        const RowFootprints& footprint = row[v];
        for (int32_t m = 0; m < footprint.span; ++m) {
          const float w = footprint.weights[size_t(m * nx + i)];
          if (w == 0.0f) continue;
          float* dst = detector + v * view_size + (footprint.first[size_t(i)] + m + pad) * nr;
#pragma omp simd
          for (int64_t r = column[v].row_lo; r <= column[v].row_hi; ++r) dst[r] += w * rows[r];
        }
      }
    }
  }
  for (int64_t v = 0; v < n_views; ++v) {
    float* out = sinogram.View(views[v]);
    for (int64_t c = 0; c < nc; ++c) {
      const float* src = detector + v * view_size + (c + pad) * nr;
      for (int64_t r = 0; r < nr; ++r) out[r * nc + c] = src[r];
    }
  }
}

// Image row j's voxel columns += one view (`view_data`: [channel][row], padded) gathered
// through their footprints.
OSMO_MULTIVERSIONED
void SfConeProjector::BackRow(const float* view_data, int64_t view, int64_t j, RowFootprints* row,
                              Column* column, float* rows, float* columns) const {
  const int64_t nx = image_.nx, nz = image_.nz, nr = scan_.n_rows;
  const int64_t pad = footprints_.MaxSpan();
  const ViewSlab& slab = slabs_[size_t(view)];
  if (slab.n_k == 0) return;
  footprints_.ComputeRow(view, j, row);
  ColumnSlabs(slab, *row, column);
  // (Plain pointers: read through *column and *row, every column reloaded them.)
  const float** channels = column->channels.data();
  float* weights = column->channel_weights.data();
  const float* footprint_weights = row->weights.data();
  const int32_t* footprint_first = row->first.data();
  const int32_t span = row->span;
  for (int64_t i = 0; i < nx; ++i) {
    if (!PrepareColumn(slab, *row, i, column)) continue;
    // Only [row_lo, row_hi] (and zero padding around it) is read back. The padding in blocks of
    // kZeroBlock inlined stores: two memset calls per column were 4 % of a helical back
    // projection.
    const int64_t lo = column->row_lo, hi = column->row_hi;
    for (int32_t o = 0; o < row_padding_; o += kZeroBlock) {
      std::fill_n(rows + lo - row_padding_ + o, kZeroBlock, 0.0f);
      std::fill_n(rows + hi + 1 + o, kZeroBlock, 0.0f);
    }
    int32_t n_channels = 0;
    for (int32_t m = 0; m < span; ++m) {
      const float w = footprint_weights[m * nx + i];
      if (w == 0.0f) continue;
      weights[n_channels] = w;
      channels[n_channels++] = view_data + (footprint_first[i] + m + pad) * nr;
    }
    WeightedChannelSum(n_channels, channels, weights, lo, hi, rows);
    ColumnBack(*column, rows, columns + (j * nx + i) * nz + column->k_first);
  }
}

}  // namespace osmo
