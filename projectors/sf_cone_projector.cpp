// Separable-footprint cone-beam projector (SF-TR / SF-TT).
// SPDX-License-Identifier: Apache-2.0
#include "projectors/sf_cone_projector.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "projectors/footprint.h"

namespace osmo {

SfConeProjector::SfConeProjector(const ImageGeometry& image, const ScanGeometry& scan,
                                 AxialFootprint axial)
    : Projector(image, scan), footprints_(image, scan, /*with_depths=*/true), axial_(axial) {
  row_origin_ = 0.5 * double(scan.n_rows - 1) - scan.row_offset + 0.5;
}

int SfConeProjector::AxialWeights(const RowFootprints& row, int64_t i, int64_t k, int32_t* first,
                                  float* weights) const {
  const double D = scan_.source_to_detector_mm;
  const double scale = D / scan_.row_spacing_mm;
  const double z = image_.Z(double(k));
  const double z_lo = z - 0.5 * image_.slice_thickness_mm;
  const double z_hi = z + 0.5 * image_.slice_thickness_mm;
  double b[4];
  if (axial_ == AxialFootprint::kRectangle) {
    const double m = scale / row.depth_center[size_t(i)];
    b[0] = b[1] = z_lo * m + row_origin_;
    b[2] = b[3] = z_hi * m + row_origin_;
  } else {
    const double near = scale / row.depth_min[size_t(i)], far = scale / row.depth_max[size_t(i)];
    b[0] = z_lo * near + row_origin_;
    b[1] = z_lo * far + row_origin_;
    b[2] = z_hi * near + row_origin_;
    b[3] = z_hi * far + row_origin_;
    footprint::Sort4(b);
  }
  const double tan_polar = z / row.radial_xy[size_t(i)];
  const double amplitude = std::sqrt(1.0 + tan_polar * tan_polar);
  return footprint::IntegrateOverCells(b, amplitude, scan_.n_rows, first, weights);
}

void SfConeProjector::Forward(const Image& image, Sinogram& sinogram, const ViewList& views) const {
  CheckArguments(image, sinogram, views);
  const int64_t nx = image_.nx, ny = image_.ny, nz = image_.nz, nc = scan_.n_channels;
  const int64_t n_list = int64_t(views.size());
#pragma omp parallel
  {
    RowFootprints row;
    std::vector<float> axial(static_cast<size_t>(scan_.n_rows));
#pragma omp for schedule(dynamic, 1)
    for (int64_t n = 0; n < n_list; ++n) {
      const int64_t view = views[size_t(n)];
      float* view_values = sinogram.View(view);
      std::fill(view_values, view_values + scan_.BinsPerView(), 0.0f);
      for (int64_t j = 0; j < ny; ++j) {
        footprints_.ComputeRow(view, j, &row);
        for (int64_t i = 0; i < nx; ++i) {
          const int32_t n_u = row.count[size_t(i)];
          if (n_u == 0) continue;
          const float* w_u = row.weights.data() + row.offset[size_t(i)];
          for (int64_t k = 0; k < nz; ++k) {
            const float value = image.values[size_t(image_.Index(i, j, k))];
            if (value == 0.0f) continue;
            int32_t first_row = 0;
            const int n_v = AxialWeights(row, i, k, &first_row, axial.data());
            for (int m = 0; m < n_v; ++m) {
              const float row_value = axial[size_t(m)] * value;
              float* y = view_values + (first_row + m) * nc + row.first[size_t(i)];
              for (int32_t c = 0; c < n_u; ++c) y[c] += w_u[c] * row_value;
            }
          }
        }
      }
    }
  }
}

void SfConeProjector::Back(const Sinogram& sinogram, Image& image, const ViewList& views) const {
  CheckArguments(image, sinogram, views);
  const int64_t nx = image_.nx, ny = image_.ny, nz = image_.nz, nc = scan_.n_channels;
  std::fill(image.values.begin(), image.values.end(), 0.0f);
#pragma omp parallel
  {
    RowFootprints row;
    std::vector<float> axial(static_cast<size_t>(scan_.n_rows));
#pragma omp for schedule(dynamic, 1)
    for (int64_t j = 0; j < ny; ++j) {
      for (int64_t view : views) {
        footprints_.ComputeRow(view, j, &row);
        const float* view_values = sinogram.View(view);
        for (int64_t i = 0; i < nx; ++i) {
          const int32_t n_u = row.count[size_t(i)];
          if (n_u == 0) continue;
          const float* w_u = row.weights.data() + row.offset[size_t(i)];
          for (int64_t k = 0; k < nz; ++k) {
            int32_t first_row = 0;
            const int n_v = AxialWeights(row, i, k, &first_row, axial.data());
            float sum = 0.0f;
            for (int m = 0; m < n_v; ++m) {
              const float* y = view_values + (first_row + m) * nc + row.first[size_t(i)];
              float row_sum = 0.0f;
              for (int32_t c = 0; c < n_u; ++c) row_sum += w_u[c] * y[c];
              sum += axial[size_t(m)] * row_sum;
            }
            image.values[size_t(image_.Index(i, j, k))] += sum;
          }
        }
      }
    }
  }
}

}  // namespace osmo
