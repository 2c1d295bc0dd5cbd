// Transaxial separable footprints (trapezoids through projected voxel corners).
// SPDX-License-Identifier: Apache-2.0
#include "projectors/transaxial_footprints.h"

#include <cmath>

#include "projectors/footprint.h"

namespace osmo {

TransaxialFootprints::TransaxialFootprints(const ImageGeometry& image, const ScanGeometry& scan,
                                           bool with_depths)
    : image_(image), scan_(scan), with_depths_(with_depths) {
  for (double beta : scan.angles_rad) {
    cos_.push_back(std::cos(beta));
    sin_.push_back(std::sin(beta));
  }
  for (int64_t e = 0; e <= image.nx; ++e) x_edges_.push_back(image.X(double(e) - 0.5));
  cell_origin_ = 0.5 * double(scan.n_channels - 1) - scan.channel_offset + 0.5;
}

void TransaxialFootprints::ComputeRow(int64_t view, int64_t j, RowFootprints* out) const {
  const int64_t nx = image_.nx;
  const double dx = image_.voxel_size_mm;
  const double c = cos_[size_t(view)], s = sin_[size_t(view)];
  const double inv_du = 1.0 / scan_.channel_spacing_mm;
  const double R = scan_.source_to_isocenter_mm, D = scan_.source_to_detector_mm;
  const bool parallel = scan_.kind == ScanKind::kParallel;
  const bool arc = scan_.detector_shape == DetectorShape::kArc;
  const double y_c = image_.Y(double(j));
  const double y_edge[2] = {y_c - 0.5 * dx, y_c + 0.5 * dx};

  // Detector cell coordinate of a point (x, y): parallel u = p·e_u; fan u = D·s/t (flat) or
  // D·atan2(s, t) (arc) with s = p·e_u and t = R + p·e_r the distance from the source along e_r.
  auto cell_of = [&](double x, double y) {
    const double along_u = x * c + y * s;
    if (parallel) return along_u * inv_du + cell_origin_;
    const double t = R - x * s + y * c;
    const double u = arc ? D * std::atan2(along_u, t) : D * along_u / t;
    return u * inv_du + cell_origin_;
  };

  thread_local std::vector<double> corner_cells;
  corner_cells.resize(size_t(2 * (nx + 1)));
  for (int64_t e = 0; e <= nx; ++e) {
    corner_cells[size_t(e)] = cell_of(x_edges_[size_t(e)], y_edge[0]);
    corner_cells[size_t(nx + 1 + e)] = cell_of(x_edges_[size_t(e)], y_edge[1]);
  }

  out->first.resize(size_t(nx));
  out->count.resize(size_t(nx));
  out->offset.resize(size_t(nx));
  if (with_depths_) {
    out->depth_center.resize(size_t(nx));
    out->depth_min.resize(size_t(nx));
    out->depth_max.resize(size_t(nx));
    out->radial_xy.resize(size_t(nx));
  }
  // Parallel beam: every voxel has the chord dx / max(|cos β|, |sin β|).
  const double parallel_amplitude = dx / std::max(std::abs(c), std::abs(s));
  size_t used = 0;
  for (int64_t i = 0; i < nx; ++i) {
    double b[4] = {corner_cells[size_t(i)], corner_cells[size_t(i + 1)],
                   corner_cells[size_t(nx + 1 + i)], corner_cells[size_t(nx + 2 + i)]};
    footprint::Sort4(b);
    double amplitude = parallel_amplitude;
    if (!parallel) {
      // Ray from the source S = −R·e_r = (R sin β, −R cos β) through the voxel centre.
      const double x_c = 0.5 * (x_edges_[size_t(i)] + x_edges_[size_t(i + 1)]);
      const double ray_x = x_c - R * s, ray_y = y_c + R * c;
      const double length = std::hypot(ray_x, ray_y);
      amplitude = dx * length / std::max(std::abs(ray_x), std::abs(ray_y));
      if (with_depths_) {
        const double t_c = R - x_c * s + y_c * c;
        out->radial_xy[size_t(i)] = length;
        out->depth_center[size_t(i)] = arc ? length : t_c;
        double lo = 1e300, hi = -1e300;
        for (double xe : {x_edges_[size_t(i)], x_edges_[size_t(i + 1)]}) {
          for (double ye : y_edge) {
            const double t = R - xe * s + ye * c;
            const double d = arc ? std::hypot(xe * c + ye * s, t) : t;
            lo = std::min(lo, d);
            hi = std::max(hi, d);
          }
        }
        out->depth_min[size_t(i)] = lo;
        out->depth_max[size_t(i)] = hi;
      }
    }
    int64_t c_lo = 0, c_hi = 0;
    const size_t span = size_t(std::max<int64_t>(
        0, footprint::ClippedCellRange(b, scan_.n_channels, &c_lo, &c_hi)));
    if (out->weights.size() < used + span) out->weights.resize(2 * (used + span));
    int32_t first = 0;
    const int n = footprint::IntegrateOverCells(b, amplitude, scan_.n_channels, &first,
                                                out->weights.data() + used);
    out->first[size_t(i)] = first;
    out->count[size_t(i)] = n;
    out->offset[size_t(i)] = int32_t(used);
    used += size_t(n);
  }
}

}  // namespace osmo
