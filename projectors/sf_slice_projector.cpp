// Separable-footprint projector for parallel and fan beam (single slices and slice stacks).
// SPDX-License-Identifier: Apache-2.0
#include "projectors/sf_slice_projector.h"

#include <algorithm>
#include <cstring>

#include "projectors/multiversion.h"

namespace osmo {

namespace {

// y[first_i + m] += weight·w_m,i·x_i over the voxels of a row, unrolled for the row's span
// (a compile-time constant for the common widths; zero weights past a footprint's end are added
// harmlessly).
template <int kSpan>
void ScatterFixed(const RowFootprints& row, const float* x, float weight, int64_t nx, float* y) {
  const int32_t* first = row.first.data();
  const float* w = row.weights.data();
  for (int64_t i = 0; i < nx; ++i) {
    const float value = weight * x[i];
    if (value == 0.0f) continue;
    float* cells = y + first[i];
    for (int m = 0; m < kSpan; ++m) cells[m] += w[m * nx + i] * value;
  }
}

OSMO_MULTIVERSIONED
void ScatterRow(const RowFootprints& row, const float* x, float weight, int64_t nx, float* y) {
  switch (row.span) {
    case 1:
      return ScatterFixed<1>(row, x, weight, nx, y);
    case 2:
      return ScatterFixed<2>(row, x, weight, nx, y);
    case 3:
      return ScatterFixed<3>(row, x, weight, nx, y);
    case 4:
      return ScatterFixed<4>(row, x, weight, nx, y);
    case 5:
      return ScatterFixed<5>(row, x, weight, nx, y);
    case 6:
      return ScatterFixed<6>(row, x, weight, nx, y);
    default:
      break;
  }
  const int32_t* first = row.first.data();
  const int32_t* count = row.count.data();
  for (int64_t i = 0; i < nx; ++i) {
    const float value = weight * x[i];
    if (value == 0.0f) continue;
    float* cells = y + first[i];
    for (int32_t m = 0; m < count[i]; ++m) cells[m] += row.weights[size_t(m * nx + i)] * value;
  }
}

}  // namespace

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

// Detector rows are accumulated in buffers padded by MaxSpan() cells on both sides, so that
// footprints hanging over the detector edges need no clipping (the padding is discarded).
void SfSliceProjector::Forward(const Image& image, Sinogram& sinogram,
                               const ViewList& views) const {
  CheckArguments(image, sinogram, views);
  const int64_t nc = scan_.n_channels, nr = scan_.n_rows;
  const int64_t padded = nc + 2 * int64_t(footprints_.MaxSpan());
  const int64_t n_list = int64_t(views.size());
#pragma omp parallel
  {
    RowFootprints row;
    std::vector<float> buffer(static_cast<size_t>(nr * padded));
#pragma omp for schedule(dynamic, 1)
    for (int64_t n = 0; n < n_list; ++n)
      ForwardView(image, views[size_t(n)], &row, &buffer, sinogram);
  }
}

void SfSliceProjector::Back(const Sinogram& sinogram, Image& image, const ViewList& views) const {
  CheckArguments(image, sinogram, views);
  const int64_t nx = image_.nx, ny = image_.ny, nc = scan_.n_channels, nr = scan_.n_rows;
  const int64_t pad = footprints_.MaxSpan(), padded = nc + 2 * pad;
  std::fill(image.values.begin(), image.values.end(), 0.0f);
  // Threads own blocks of image rows; within a block, rows of one view are computed in order so
  // that consecutive rows share their corner line.
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (ny + kBlock - 1) / kBlock;
#pragma omp parallel
  {
    RowFootprints row;
    std::vector<float> buffer(static_cast<size_t>(nr * padded), 0.0f);
    std::vector<float> sum(static_cast<size_t>(nx));
#pragma omp for schedule(dynamic, 1)
    for (int64_t block = 0; block < blocks; ++block) {
      const int64_t j_end = std::min(ny, (block + 1) * kBlock);
      for (int64_t view : views)
        BackRows(sinogram, view, block * kBlock, j_end, &row, &buffer, &sum, image);
    }
  }
}

// One view: every image row's footprints scattered into the padded detector rows (`buffer`),
// then copied out.
OSMO_MULTIVERSIONED
void SfSliceProjector::ForwardView(const Image& image, int64_t view, RowFootprints* row,
                                   std::vector<float>* buffer, Sinogram& sinogram) const {
  const int64_t nx = image_.nx, ny = image_.ny, nc = scan_.n_channels, nr = scan_.n_rows;
  const int64_t pad = footprints_.MaxSpan(), padded = nc + 2 * pad;
  std::fill(buffer->begin(), buffer->end(), 0.0f);
  for (int64_t j = 0; j < ny; ++j) {
    footprints_.ComputeRow(view, j, row);
    for (const SliceToRow& pair : slice_to_row_) {
      const float* x = image.data() + image_.Index(0, j, pair.slice);
      float* y = buffer->data() + pair.row * padded + pad;
      ScatterRow(*row, x, pair.weight, nx, y);
    }
  }
  float* out = sinogram.View(view);
  for (int64_t r = 0; r < nr; ++r) std::copy_n(buffer->data() + r * padded + pad, nc, out + r * nc);
}

// Image rows [j_begin, j_end) += the view gathered through their footprints (`buffer`: the
// padded detector rows, `sum`: one row of scratch).
OSMO_MULTIVERSIONED
void SfSliceProjector::BackRows(const Sinogram& sinogram, int64_t view, int64_t j_begin,
                                int64_t j_end, RowFootprints* row, std::vector<float>* buffer,
                                std::vector<float>* sum, Image& image) const {
  const int64_t nx = image_.nx, nc = scan_.n_channels, nr = scan_.n_rows;
  const int64_t pad = footprints_.MaxSpan(), padded = nc + 2 * pad;
  const float* in = sinogram.View(view);
  for (int64_t r = 0; r < nr; ++r) std::copy_n(in + r * nc, nc, buffer->data() + r * padded + pad);
  for (int64_t j = j_begin; j < j_end; ++j) {
    footprints_.ComputeRow(view, j, row);
    const int32_t span = row->span;
    const int32_t* first = row->first.data();
    for (const SliceToRow& pair : slice_to_row_) {
      float* x = image.data() + image_.Index(0, j, pair.slice);
      const float* y = buffer->data() + pair.row * padded + pad;
      float* s = sum->data();
      std::fill_n(s, nx, 0.0f);
      for (int32_t m = 0; m < span; ++m) {
        const float* w = row->weights.data() + int64_t(m) * nx;
        const float* ym = y + m;  // int32 indices into ym: the loop compiles to gathers
#pragma omp simd
        for (int64_t i = 0; i < nx; ++i) s[i] += w[i] * ym[first[i]];
      }
#pragma omp simd
      for (int64_t i = 0; i < nx; ++i) x[i] += pair.weight * s[i];
    }
  }
}

}  // namespace osmo
