// Separable-footprint projector for parallel and fan beam (single slices and slice stacks).
// SPDX-License-Identifier: Apache-2.0
#include "projectors/sf_slice_projector.h"

#include <algorithm>
#include <cstring>

namespace osmo {

SfSliceProjector::SfSliceProjector(const ImageGeometry& image, const ScanGeometry& scan)
    : Projector(image, scan), footprints_(image, scan, /*with_depths=*/false) {
  if (image.nz == 1 && scan.n_rows == 1) {
    // A single slice and a single row: the row sees the slice whatever its thickness.
    slice_to_row_.push_back({0, 0, 1.0f});
    return;
  }
  const double dz = image.slice_thickness_mm, dv = scan.row_spacing_mm;
  for (int64_t k = 0; k < image.nz; ++k) {
    for (int64_t r = 0; r < scan.n_rows; ++r) {
      const double lo = std::max(image.Z(double(k)) - 0.5 * dz, scan.RowV(double(r)) - 0.5 * dv);
      const double hi = std::min(image.Z(double(k)) + 0.5 * dz, scan.RowV(double(r)) + 0.5 * dv);
      if (hi > lo) slice_to_row_.push_back({k, r, float((hi - lo) / dv)});
    }
  }
}

void SfSliceProjector::Forward(const Image& image, Sinogram& sinogram,
                               const ViewList& views) const {
  CheckArguments(image, sinogram, views);
  const int64_t nx = image_.nx, ny = image_.ny, nc = scan_.n_channels;
  const int64_t n_list = int64_t(views.size());
#pragma omp parallel
  {
    RowFootprints row;
#pragma omp for schedule(dynamic, 1)
    for (int64_t n = 0; n < n_list; ++n) {
      const int64_t view = views[size_t(n)];
      float* view_values = sinogram.View(view);
      std::fill(view_values, view_values + scan_.BinsPerView(), 0.0f);
      for (int64_t j = 0; j < ny; ++j) {
        footprints_.ComputeRow(view, j, &row);
        for (const SliceToRow& pair : slice_to_row_) {
          const float* x = image.data() + image_.Index(0, j, pair.slice);
          float* y = view_values + pair.row * nc;
          for (int64_t i = 0; i < nx; ++i) {
            const float value = pair.weight * x[i];
            if (value == 0.0f) continue;
            const float* w = row.weights.data() + row.offset[size_t(i)];
            float* y_cells = y + row.first[size_t(i)];
            for (int32_t m = 0; m < row.count[size_t(i)]; ++m) y_cells[m] += w[m] * value;
          }
        }
      }
    }
  }
}

void SfSliceProjector::Back(const Sinogram& sinogram, Image& image, const ViewList& views) const {
  CheckArguments(image, sinogram, views);
  const int64_t nx = image_.nx, ny = image_.ny, nc = scan_.n_channels;
  std::fill(image.values.begin(), image.values.end(), 0.0f);
#pragma omp parallel
  {
    RowFootprints row;
#pragma omp for schedule(dynamic, 1)
    for (int64_t j = 0; j < ny; ++j) {
      for (int64_t view : views) {
        footprints_.ComputeRow(view, j, &row);
        const float* view_values = sinogram.View(view);
        for (const SliceToRow& pair : slice_to_row_) {
          float* x = image.data() + image_.Index(0, j, pair.slice);
          const float* y = view_values + pair.row * nc;
          for (int64_t i = 0; i < nx; ++i) {
            const float* w = row.weights.data() + row.offset[size_t(i)];
            const float* y_cells = y + row.first[size_t(i)];
            float sum = 0.0f;
            for (int32_t m = 0; m < row.count[size_t(i)]; ++m) sum += w[m] * y_cells[m];
            x[i] += pair.weight * sum;
          }
        }
      }
    }
  }
}

}  // namespace osmo
