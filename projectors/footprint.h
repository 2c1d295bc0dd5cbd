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

// Sorts four values ascending (a sorting network; no branches on data beyond min/max).
inline void Sort4(double v[4]) {
  auto order = [](double& a, double& b) {
    const double lo = std::min(a, b), hi = std::max(a, b);
    a = lo;
    b = hi;
  };
  order(v[0], v[1]);
  order(v[2], v[3]);
  order(v[0], v[2]);
  order(v[1], v[3]);
  order(v[1], v[2]);
}

// G(t) = ∫_{−∞}^{t} T(s) ds for the unit-height trapezoid with sorted breakpoints b[0..3].
inline double TrapezoidCdf(double t, const double b[4]) {
  const double total = 0.5 * (b[3] + b[2] - b[1] - b[0]);
  if (t <= b[0]) return 0.0;
  if (t >= b[3]) return total;
  if (t < b[1]) {
    const double d = t - b[0];
    return d * d / (2.0 * (b[1] - b[0]));
  }
  if (t <= b[2]) return 0.5 * (b[1] - b[0]) + (t - b[1]);
  const double d = b[3] - t;
  return total - d * d / (2.0 * (b[3] - b[2]));
}

// The cells [*lo, *hi] of [0, n_cells) that a footprint with breakpoints b touches; returns the
// count (≤ 0 when it misses the detector).
inline int64_t ClippedCellRange(const double b[4], int64_t n_cells, int64_t* lo, int64_t* hi) {
  *lo = std::max<int64_t>(0, int64_t(std::floor(b[0])));
  *hi = std::min<int64_t>(n_cells - 1, int64_t(std::ceil(b[3])) - 1);
  return *hi - *lo + 1;
}

// Writes weights[n] = amplitude · ∫_{c}^{c+1} T for the cells c = first, first+1, … that the
// trapezoid covers inside [0, n_cells), and returns their count (0 when the footprint misses the
// detector). `weights` must hold ClippedCellRange(b, n_cells) values.
inline int IntegrateOverCells(const double b[4], double amplitude, int64_t n_cells,
                              int32_t* first, float* weights) {
  int64_t c_lo = 0, c_hi = 0;
  if (ClippedCellRange(b, n_cells, &c_lo, &c_hi) <= 0) return 0;
  *first = int32_t(c_lo);
  double previous = TrapezoidCdf(double(c_lo), b);
  for (int64_t c = c_lo; c <= c_hi; ++c) {
    const double next = TrapezoidCdf(double(c + 1), b);
    weights[c - c_lo] = float(amplitude * (next - previous));
    previous = next;
  }
  return int(c_hi - c_lo + 1);
}

}  // namespace osmo::footprint
