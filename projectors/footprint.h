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

// A trapezoid prepared for repeated evaluation of its cumulative integral, in local coordinates.
struct Trapezoid {
  float t0, t1, t2, t3;
  float half_inverse_rise;  // 1/(2(t1 − t0)), 0 for a vertical edge
  float half_inverse_fall;  // 1/(2(t3 − t2)), 0 for a vertical edge

  static Trapezoid FromSorted(float t0, float t1, float t2, float t3) {
    return {t0, t1, t2, t3, t1 > t0 ? 0.5f / (t1 - t0) : 0.0f, t3 > t2 ? 0.5f / (t3 - t2) : 0.0f};
  }

  float Cdf(float t) const {
    return TrapezoidCdf(t, t0, t1, t2, t3, half_inverse_rise, half_inverse_fall);
  }
};

}  // namespace osmo::footprint
