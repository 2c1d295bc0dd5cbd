// Separable-footprint building blocks: exact integrals of trapezoid footprints over detector cells.
// SPDX-License-Identifier: Apache-2.0
//
// A voxel's footprint on the detector (Long, Fessler & Balter, IEEE TMI 29(11), 2010) is modelled
// as a trapezoid of unit height in detector-cell units: it rises linearly from t0 to t1, is flat
// from t1 to t2 and falls from t2 to t3 (a rectangle when t0 = t1 and t2 = t3). Cell c covers
// [c, c + 1). The system-matrix entry is amplitude × ∫_c^{c+1} T(t) dt, the cell average of the
// footprint because cells have unit width in these coordinates. Forward and back projection take
// their weights from the same functions here, so the back projector is the exact transpose.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace osmo::footprint {

// G(t) = ∫_{−∞}^{t} T(s) ds for the unit-height trapezoid t0 ≤ t1 ≤ t2 ≤ t3, branch-free: the
// rising ramp (a − t0)²/(2(t1 − t0)) with a = clamp(t, t0, t1), the plateau clamp(t, t1, t2) − t1
// and the falling ramp (c − t2) − (c − t2)²/(2(t3 − t2)) with c = clamp(t, t2, t3). The half
// inverse widths are 0 for vertical edges.
inline float TrapezoidCdf(float t, float t0, float t1, float t2, float t3, float half_inverse_rise,
                          float half_inverse_fall) {
  const float a = std::min(std::max(t, t0), t1) - t0;
  const float b = std::min(std::max(t, t1), t2) - t1;
  const float c = std::min(std::max(t, t2), t3) - t2;
  return a * a * half_inverse_rise + b + c - c * c * half_inverse_fall;
}

// A footprint's trapezoid from the projections of its four corners (cell coordinates, any order),
// placed on the cell grid: `base` is the cell of the lowest corner, `width` the number of cells
// it touches, t0 ≤ t1 ≤ t2 ≤ t3 its corners relative to `base` (a sorting network, branch-free)
// and the half inverse edge widths, 0 for vertical edges. Shared by the transaxial (fan, cone)
// and the axial (cone SF-TT) footprints.
struct PlacedTrapezoid {
  double base, width;
  float t0, t1, t2, t3, half_inverse_rise, half_inverse_fall;
};

inline PlacedTrapezoid PlaceTrapezoid(double a, double b, double c, double d) {
  const double low_ab = std::min(a, b), high_ab = std::max(a, b);
  const double low_cd = std::min(c, d), high_cd = std::max(c, d);
  const double q0 = std::min(low_ab, low_cd), q3 = std::max(high_ab, high_cd);
  const double m1 = std::max(low_ab, low_cd), m2 = std::min(high_ab, high_cd);
  const double q1 = std::min(m1, m2), q2 = std::max(m1, m2);
  PlacedTrapezoid p;
  p.base = std::floor(q0);
  p.width = std::ceil(q3) - p.base;
  p.t0 = float(q0 - p.base);
  p.t1 = float(q1 - p.base);
  p.t2 = float(q2 - p.base);
  p.t3 = float(q3 - p.base);
  p.half_inverse_rise = p.t1 > p.t0 ? 0.5f / (p.t1 - p.t0) : 0.0f;
  p.half_inverse_fall = p.t3 > p.t2 ? 0.5f / (p.t3 - p.t2) : 0.0f;
  return p;
}

// Cell weights of n trapezoids given as arrays (local coordinates, t0 ≥ 0, their half inverse
// edge widths and amplitudes): weights[m·n + i] = amplitude_i·(G_i(m + 1) − G_i(m)) for the cells
// m = 0 … span − 1, stored m-major so that each m is one vectorised pass. `previous` is scratch
// of n values.
inline void CellWeights(int64_t n, int32_t span, const float* t0, const float* t1, const float* t2,
                        const float* t3, const float* half_inverse_rise,
                        const float* half_inverse_fall, const float* amplitude, float* previous,
                        float* weights) {
  for (int64_t i = 0; i < n; ++i) previous[i] = 0.0f;  // G(0) = 0 since t0 ≥ 0
  for (int32_t m = 0; m < span; ++m) {
    float* w = weights + int64_t(m) * n;
    const float boundary = float(m + 1);
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      const float next = TrapezoidCdf(boundary, t0[i], t1[i], t2[i], t3[i], half_inverse_rise[i],
                                      half_inverse_fall[i]);
      w[i] = amplitude[i] * (next - previous[i]);
      previous[i] = next;
    }
  }
}

// The same for n copies of one trapezoid shape shifted to t0[i] (parallel beam: every voxel of a
// view has the same footprint), edges at t0[i] + {0, rise, rise + plateau, full}. Kept apart from
// CellWeights because one shape needs two loads per voxel and cell instead of seven.
inline void ShiftedCellWeights(int64_t n, int32_t span, const float* t0, float rise, float plateau,
                               float full, const float* amplitude, float* previous,
                               float* weights) {
  const float half_inverse_edge = rise > 0.0f ? 0.5f / rise : 0.0f;
  for (int64_t i = 0; i < n; ++i) previous[i] = 0.0f;
  for (int32_t m = 0; m < span; ++m) {
    float* w = weights + int64_t(m) * n;
    const float boundary = float(m + 1);
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      const float next = TrapezoidCdf(boundary, t0[i], t0[i] + rise, t0[i] + rise + plateau,
                                      t0[i] + full, half_inverse_edge, half_inverse_edge);
      w[i] = amplitude[i] * (next - previous[i]);
      previous[i] = next;
    }
  }
}

}  // namespace osmo::footprint
