// Transaxial separable footprints (trapezoids through projected voxel corners).
// SPDX-License-Identifier: Apache-2.0
#include "projectors/transaxial_footprints.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "projectors/fast_math.h"
#include "projectors/footprint.h"
#include "projectors/multiversion.h"

namespace osmo {

TransaxialFootprints::TransaxialFootprints(const ImageGeometry& image, const ScanGeometry& scan,
                                           bool with_depths)
    : image_(image), scan_(scan), with_depths_(with_depths) {
  const double R = scan.source_to_isocenter_mm;
  for (int64_t k = 0; k < scan.NumViews(); ++k) {
    const double beta = scan.angles_rad[size_t(k)];
    cos_.push_back(std::cos(beta));
    sin_.push_back(std::sin(beta));
    const bool shifted =
        scan.HasSourceShifts() && (scan.ShiftAngle(k) != 0.0 || scan.ShiftRadius(k) != 0.0);
    shifted_.push_back(shifted);
    shift_u_.push_back(shifted ? scan.ShiftAlongU(k) : 0.0);
    shift_r_.push_back(shifted ? scan.ShiftAlongR(k) : 0.0);
    // The unshifted source is −R·e_r = (R sin β, −R cos β).
    const double angle = beta + scan.ShiftAngle(k), radius = R + scan.ShiftRadius(k);
    source_x_.push_back(shifted ? radius * std::sin(angle) : R * sin_.back());
    source_y_.push_back(shifted ? -radius * std::cos(angle) : -R * cos_.back());
  }
  for (int64_t e = 0; e <= image.nx; ++e) x_edges_.push_back(image.X(double(e) - 0.5));
  cell_origin_ = 0.5 * double(scan.n_channels - 1) - scan.channel_offset + 0.5;
  // Widest footprint (bounded by ScanGeometry::ValidateWithImage); two cells more cover the
  // alignment with the cell grid.
  max_span_ = int32_t(std::ceil(scan.MaxTransaxialFootprintCells(image))) + 2;
}

namespace {

// Scratch for the per-voxel trapezoids of one row (local coordinates relative to each voxel's
// first cell, half inverse edge widths, amplitudes), reused by each thread.
struct RowScratch {
  float *t0, *t1, *t2, *t3, *rise, *fall, *amplitude, *previous;
  explicit RowScratch(int64_t nx) {
    thread_local std::vector<float> scratch;
    scratch.resize(size_t(8 * nx));
    float* p = scratch.data();
    for (float** array : {&t0, &t1, &t2, &t3, &rise, &fall, &amplitude, &previous}) {
      *array = p;
      p += nx;
    }
  }
};

// A point seen from a shifted focal spot, projected onto the detector of the unshifted source S0.
// (s, t): the point's coordinates along e_u and e_r measured from S0; (a, b): the focal spot's
// offset from S0 in the same frame. The ray S' + λ·(P − S'), d = (s − a, t − b), meets
//   flat: the plane t = D at λ = (D − b)/(t − b), at u = a + λ·(s − a);
//   arc:  the circle |h| = D around S0, h = (a, b) + λ·d: λ the positive root of
//         |d|²λ² + 2(w·d)λ + |w|² − D² = 0, at u = D·atan(h_u / h_r).
// λ is also the axial magnification: the ray reaches height z_S' + λ·(z − z_S') at the detector.
// MagnificationFromFocalSpot is λ alone: without the atan (a libm call that may set errno, so
// the compiler keeps it even when u is unused) its loops vectorise.
inline double MagnificationFromFocalSpot(double s, double t, double a, double b, double D,
                                         bool arc) {
  const double ds = s - a, dt = t - b;
  if (!arc) return (D - b) / dt;
  const double wd = a * ds + b * dt, dd = ds * ds + dt * dt, ww = a * a + b * b;
  return (std::sqrt(wd * wd - dd * (ww - D * D)) - wd) / dd;
}
struct Projected {
  double u, lambda;
};
inline Projected ProjectFromFocalSpot(double s, double t, double a, double b, double D, bool arc) {
  const double ds = s - a, dt = t - b;
  const double lambda = MagnificationFromFocalSpot(s, t, a, b, D, arc);
  if (!arc) return {a + lambda * ds, lambda};
  return {D * std::atan((a + lambda * ds) / (b + lambda * dt)), lambda};
}

// The row's span: its widest footprint.
int32_t RowSpan(const RowFootprints& row) {
  int32_t span = 1;
  for (int32_t count : row.count) span = std::max(span, count);
  return span;
}

}  // namespace

// Parallel beam: every voxel of a view has the same trapezoid — half-widths
// (|cos β| ± |sin β|)·dx/2 around the centre's projection x·cos β + y·sin β, height
// dx / max(|cos β|, |sin β|) — so only its position changes from voxel to voxel (no corners,
// sorting or divisions per voxel).
OSMO_MULTIVERSIONED
void TransaxialFootprints::ComputeParallelRow(int64_t view, int64_t j, RowFootprints* out) const {
  const int64_t nx = image_.nx;
  const double dx = image_.voxel_size_mm;
  const double c = cos_[size_t(view)], s = sin_[size_t(view)];
  const double inv_du = 1.0 / scan_.channel_spacing_mm;
  const double ac = std::abs(c), as = std::abs(s);
  const double outer = 0.5 * dx * (ac + as) * inv_du, inner = 0.5 * dx * std::abs(ac - as) * inv_du;
  const float rise_width = float(outer - inner), plateau = float(2.0 * inner),
              full = float(2.0 * outer);
  const float amplitude = float(dx / std::max(ac, as));
  const double q_first = (image_.X(0.0) * c + image_.Y(double(j)) * s) * inv_du + cell_origin_;
  const double q_step = dx * c * inv_du;
  const RowScratch t(nx);
  out->first.resize(size_t(nx));
  out->count.resize(size_t(nx));
  int32_t* first = out->first.data();
  int32_t* count = out->count.data();
  const double n_channels = double(scan_.n_channels), max_span = double(max_span_);
#pragma omp simd
  for (int64_t i = 0; i < nx; ++i) {
    const double b0 = q_first + double(i) * q_step - outer;
    const double lo = std::floor(b0);
    const double width = std::ceil(b0 + 2.0 * outer) - lo;
    const bool touches = (lo < n_channels) & (lo + width > 0.0) & (width <= max_span);
    t.t0[i] = float(b0 - lo);
    t.amplitude[i] = touches ? amplitude : 0.0f;  // footprints off the detector weigh nothing
    first[i] = touches ? int32_t(lo) : 0;
    count[i] = touches ? int32_t(width) : 0;
  }
  out->span = RowSpan(*out);
  out->weights.resize(size_t(out->span * nx));
  footprint::ShiftedCellWeights(nx, out->span, t.t0, rise_width, plateau, full, t.amplitude,
                                t.previous, out->weights.data());
  out->cached_view = -1;  // no corner line cached
}

OSMO_MULTIVERSIONED
void TransaxialFootprints::ComputeRow(int64_t view, int64_t j, RowFootprints* out) const {
  if (scan_.kind == ScanKind::kParallel) return ComputeParallelRow(view, j, out);
  const int64_t nx = image_.nx;
  ProjectCornerLines(view, j, out);
  const RowScratch t(nx);
  SortCorners(view, j, out->corners.data(), t.t0, t.t1, t.t2, t.t3, t.rise, t.fall, t.amplitude,
              out);
  out->span = RowSpan(*out);
  out->weights.resize(size_t(out->span * nx));
  footprint::CellWeights(nx, out->span, t.t0, t.t1, t.t2, t.t3, t.rise, t.fall, t.amplitude,
                         t.previous, out->weights.data());
  if (with_depths_) ComputeDepths(view, j, out);
}

// Fan and cone beam: the cell coordinate q of every voxel corner on the row's two boundary lines,
// q = D·s/t/Δu (flat) or D·atan(s/t)/Δu (arc), with s = p·e_u and t = R + p·e_r > 0 the distance
// from the source along the central ray. The lower line of row j is the upper line of row j − 1:
// reused when rows come in order.
OSMO_MULTIVERSIONED
void TransaxialFootprints::ProjectCornerLines(int64_t view, int64_t j, RowFootprints* out) const {
  const int64_t nx = image_.nx;
  const double dx = image_.voxel_size_mm;
  const double c = cos_[size_t(view)], s = sin_[size_t(view)];
  const double inv_du = 1.0 / scan_.channel_spacing_mm;
  const double R = scan_.source_to_isocenter_mm, D = scan_.source_to_detector_mm;
  const bool arc = scan_.detector_shape == DetectorShape::kArc;
  const double y_c = image_.Y(double(j));
  const double origin = cell_origin_;
  out->corners.resize(size_t(2 * (nx + 1)));
  double* q = out->corners.data();
  const double* xe = x_edges_.data();
  const bool reuse = out->cached_view == view && out->cached_row == j - 1;
  if (reuse) std::copy(q + nx + 1, q + 2 * (nx + 1), q);
  for (int side = reuse ? 1 : 0; side < 2; ++side) {
    const double y = y_c + (side ? 0.5 : -0.5) * dx;
    double* qs = q + side * (nx + 1);
    if (shifted_[size_t(view)]) {
      ProjectShiftedLine(view, y, qs);
    } else if (arc) {
#pragma omp simd
      for (int64_t e = 0; e <= nx; ++e) {
        const double t = R - xe[e] * s + y * c;
        qs[e] = D * fast::Atan((xe[e] * c + y * s) / t) * inv_du + origin;
      }
    } else {
#pragma omp simd
      for (int64_t e = 0; e <= nx; ++e) {
        const double t = R - xe[e] * s + y * c;
        qs[e] = D * (xe[e] * c + y * s) / t * inv_du + origin;
      }
    }
  }
  out->cached_view = view;
  out->cached_row = j;
}

void TransaxialFootprints::ProjectShiftedLine(int64_t view, double y, double* q) const {
  const double c = cos_[size_t(view)], s = sin_[size_t(view)];
  const double a = shift_u_[size_t(view)], b = shift_r_[size_t(view)];
  const double R = scan_.source_to_isocenter_mm, D = scan_.source_to_detector_mm;
  const bool arc = scan_.detector_shape == DetectorShape::kArc;
  const double inv_du = 1.0 / scan_.channel_spacing_mm;
  const double* xe = x_edges_.data();
  for (int64_t e = 0; e <= image_.nx; ++e) {
    const double t = R - xe[e] * s + y * c;
    q[e] = ProjectFromFocalSpot(xe[e] * c + y * s, t, a, b, D, arc).u * inv_du + cell_origin_;
  }
}

// Per voxel: its four corner positions sorted (a sorting network), relative to its first cell,
// and the chord amplitude along the ray through its centre.
OSMO_MULTIVERSIONED
void TransaxialFootprints::SortCorners(int64_t view, int64_t j, const double* q, float* t0,
                                       float* t1, float* t2, float* t3, float* rise, float* fall,
                                       float* amplitude, RowFootprints* out) const {
  const int64_t nx = image_.nx;
  const double dx = image_.voxel_size_mm;
  const double source_x = source_x_[size_t(view)], source_y = source_y_[size_t(view)];
  const double y_c = image_.Y(double(j));
  const double* xe = x_edges_.data();
  out->first.resize(size_t(nx));
  out->count.resize(size_t(nx));
  int32_t* first = out->first.data();
  int32_t* span = out->count.data();
  const double* qlo = q;
  const double* qhi = q + nx + 1;
  const double n_channels = double(scan_.n_channels);
  const double max_span = double(max_span_);
#pragma omp simd
  for (int64_t i = 0; i < nx; ++i) {
    const footprint::PlacedTrapezoid p =
        footprint::PlaceTrapezoid(qlo[i], qlo[i + 1], qhi[i], qhi[i + 1]);
    // Footprints entirely off the detector (or absurdly wide) contribute nothing.
    // (& rather than &&: no branches, so the loop vectorises.)
    const bool touches = (p.base < n_channels) & (p.base + p.width > 0.0) & (p.width <= max_span);
    t0[i] = p.t0;
    t1[i] = p.t1;
    t2[i] = p.t2;
    t3[i] = p.t3;
    rise[i] = p.half_inverse_rise;
    fall[i] = p.half_inverse_fall;
    first[i] = touches ? int32_t(p.base) : 0;
    span[i] = touches ? int32_t(p.width) : 0;
    // The ray from the focal spot (R sin β, −R cos β when unshifted) through the voxel centre.
    const double x_c = 0.5 * (xe[i] + xe[i + 1]);
    const float ray_x = float(x_c - source_x), ray_y = float(y_c - source_y);
    const float a = float(dx) * std::sqrt(ray_x * ray_x + ray_y * ray_y) /
                    std::max(std::abs(ray_x), std::abs(ray_y));
    amplitude[i] = touches ? a : 0.0f;
  }
}

// Cone beam: per voxel column, the axial magnifications (detector rows per mm of z) at its centre
// and at its nearest and farthest corner, and 1/r_xy² for the polar amplitude.
OSMO_MULTIVERSIONED
void TransaxialFootprints::ComputeDepths(int64_t view, int64_t j, RowFootprints* out) const {
  const int64_t nx = image_.nx;
  const double dx = image_.voxel_size_mm;
  const double c = cos_[size_t(view)], s = sin_[size_t(view)];
  const double R = scan_.source_to_isocenter_mm, D = scan_.source_to_detector_mm;
  const bool arc = scan_.detector_shape == DetectorShape::kArc;
  const double y_c = image_.Y(double(j));
  const double* xe = x_edges_.data();
  out->rows_per_mm.resize(size_t(nx));
  out->rows_per_mm_near.resize(size_t(nx));
  out->rows_per_mm_far.resize(size_t(nx));
  out->inverse_radial_sq.resize(size_t(nx));
  const double inv_dv = 1.0 / scan_.row_spacing_mm;
  if (shifted_[size_t(view)]) return ComputeShiftedDepths(view, j, out);
  float *rows_per_mm = out->rows_per_mm.data(), *rows_per_mm_near = out->rows_per_mm_near.data();
  float* rows_per_mm_far = out->rows_per_mm_far.data();
  float* inverse_radial_sq = out->inverse_radial_sq.data();
  const double y_lo = y_c - 0.5 * dx, y_hi = y_c + 0.5 * dx;
  // The depth of a point: along e_r (flat) or from the source (arc). sqrt, not std::hypot:
  // distances of metres cannot overflow, and libm's hypot call (8.5 % of a helical forward
  // projection) kept this loop scalar. The four corners written out, not looped over, so that
  // the loop over the row vectorises (it ran scalar, a tenth of a helical back projection).
  const auto depth = [=](double x, double y) {
    const double t = R - x * s + y * c, u = x * c + y * s;
    return arc ? std::sqrt(u * u + t * t) : t;
  };
  const int32_t n_columns = int32_t(nx);
#pragma omp simd
  for (int32_t i = 0; i < n_columns; ++i) {
    const double x_lo = xe[i], x_hi = xe[i + 1];
    const double x_c = 0.5 * (x_lo + x_hi);
    const double t_c = R - x_c * s + y_c * c, s_c = x_c * c + y_c * s;
    const double radial_sq = t_c * t_c + s_c * s_c;
    const double d0 = depth(x_lo, y_lo), d1 = depth(x_lo, y_hi);
    const double d2 = depth(x_hi, y_lo), d3 = depth(x_hi, y_hi);
    const double near = std::min(std::min(d0, d1), std::min(d2, d3));
    const double far = std::max(std::max(d0, d1), std::max(d2, d3));
    const double depth_c = arc ? std::sqrt(radial_sq) : t_c;
    rows_per_mm[i] = float(D / depth_c * inv_dv);
    rows_per_mm_near[i] = float(D / near * inv_dv);
    rows_per_mm_far[i] = float(D / far * inv_dv);
    inverse_radial_sq[i] = float(1.0 / radial_sq);
  }
}

// ComputeDepths for a shifted focal spot: λ/Δv of ProjectFromFocalSpot at the centre and the
// extreme corners, and the radial distance from the focal spot.
OSMO_MULTIVERSIONED
void TransaxialFootprints::ComputeShiftedDepths(int64_t view, int64_t j, RowFootprints* out) const {
  const int64_t nx = image_.nx;
  const double dx = image_.voxel_size_mm;
  const double c = cos_[size_t(view)], s = sin_[size_t(view)];
  const double a = shift_u_[size_t(view)], b = shift_r_[size_t(view)];
  const double R = scan_.source_to_isocenter_mm, D = scan_.source_to_detector_mm;
  const bool arc = scan_.detector_shape == DetectorShape::kArc;
  const double y_c = image_.Y(double(j));
  const double* xe = x_edges_.data();
  const double inv_dv = 1.0 / scan_.row_spacing_mm;
  float *rows_per_mm = out->rows_per_mm.data(), *rows_per_mm_near = out->rows_per_mm_near.data();
  float* rows_per_mm_far = out->rows_per_mm_far.data();
  float* inverse_radial_sq = out->inverse_radial_sq.data();
  const double y_lo = y_c - 0.5 * dx, y_hi = y_c + 0.5 * dx;
  const auto lambda_at = [=](double x, double y) {
    return MagnificationFromFocalSpot(x * c + y * s, R - x * s + y * c, a, b, D, arc);
  };
  const int32_t n_columns = int32_t(nx);
#pragma omp simd
  for (int32_t i = 0; i < n_columns; ++i) {
    const double x_lo = xe[i], x_hi = xe[i + 1];
    const double x_c = 0.5 * (x_lo + x_hi);
    const double t_c = R - x_c * s + y_c * c, s_c = x_c * c + y_c * s;
    const double l0 = lambda_at(x_lo, y_lo), l1 = lambda_at(x_lo, y_hi);
    const double l2 = lambda_at(x_hi, y_lo), l3 = lambda_at(x_hi, y_hi);
    const double largest = std::max(std::max(l0, l1), std::max(l2, l3));
    const double smallest = std::min(std::min(l0, l1), std::min(l2, l3));
    const double radial_sq = (t_c - b) * (t_c - b) + (s_c - a) * (s_c - a);
    rows_per_mm[i] = float(MagnificationFromFocalSpot(s_c, t_c, a, b, D, arc) * inv_dv);
    rows_per_mm_near[i] = float(largest * inv_dv);
    rows_per_mm_far[i] = float(smallest * inv_dv);
    inverse_radial_sq[i] = float(1.0 / radial_sq);
  }
}

}  // namespace osmo
