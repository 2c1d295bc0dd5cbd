// Plain contiguous float buffers with a shape: Image (x fastest) and Sinogram (view, row, channel).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "projectors/image_geometry.h"
#include "projectors/scan_geometry.h"

namespace osmo {

// Voxel values (μ in 1/mm unless a name says otherwise) on an ImageGeometry grid.
struct Image {
  Image() = default;
  explicit Image(const ImageGeometry& g, float fill = 0.0f)
      : geometry(g), values(size_t(g.NumVoxels()), fill) {}

  float& at(int64_t i, int64_t j, int64_t k) { return values[size_t(geometry.Index(i, j, k))]; }
  float at(int64_t i, int64_t j, int64_t k) const {
    return values[size_t(geometry.Index(i, j, k))];
  }
  int64_t size() const { return int64_t(values.size()); }
  float* data() { return values.data(); }
  const float* data() const { return values.data(); }

  ImageGeometry geometry;
  std::vector<float> values;
};

// Sinogram values stored [view][row][channel], channel fastest.
struct Sinogram {
  Sinogram() = default;
  Sinogram(int64_t views, int64_t rows, int64_t channels, float fill = 0.0f)
      : n_views(views),
        n_rows(rows),
        n_channels(channels),
        values(size_t(views * rows * channels), fill) {}
  explicit Sinogram(const ScanGeometry& scan, float fill = 0.0f)
      : Sinogram(scan.NumViews(), scan.n_rows, scan.n_channels, fill) {}

  int64_t Index(int64_t view, int64_t row, int64_t channel) const {
    return (view * n_rows + row) * n_channels + channel;
  }
  float& at(int64_t v, int64_t r, int64_t c) { return values[size_t(Index(v, r, c))]; }
  float at(int64_t v, int64_t r, int64_t c) const { return values[size_t(Index(v, r, c))]; }
  float* View(int64_t v) { return values.data() + v * n_rows * n_channels; }
  const float* View(int64_t v) const { return values.data() + v * n_rows * n_channels; }
  int64_t size() const { return int64_t(values.size()); }
  bool SameShape(const Sinogram& o) const {
    return n_views == o.n_views && n_rows == o.n_rows && n_channels == o.n_channels;
  }
  // "V views × R rows × C channels", for messages.
  std::string DescribeShape() const {
    return std::to_string(n_views) + " views × " + std::to_string(n_rows) + " rows × " +
           std::to_string(n_channels) + " channels";
  }

  int64_t n_views = 0;
  int64_t n_rows = 0;
  int64_t n_channels = 0;
  std::vector<float> values;
};

}  // namespace osmo
