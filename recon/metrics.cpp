// Image quality metrics.
// SPDX-License-Identifier: Apache-2.0
#include "recon/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>

#include "recon/reductions.h"

namespace osmo {

double RmsdHu(const Image& x, const Image& reference, const std::vector<uint8_t>& mask,
              double mu_water_per_mm) {
  if (x.size() != reference.size() || (!mask.empty() && int64_t(mask.size()) != x.size())) {
    throw std::invalid_argument("RmsdHu: image, reference and mask sizes differ");
  }
  const double scale = 1000.0 / mu_water_per_mm;
  const double sum = DeterministicSum(x.size(), [&](int64_t n) {
    if (!mask.empty() && !mask[size_t(n)]) return 0.0;
    const double d = scale * (double(x.values[size_t(n)]) - double(reference.values[size_t(n)]));
    return d * d;
  });
  const double count = mask.empty() ? double(x.size()) : DeterministicSum(x.size(), [&](int64_t n) {
    return double(mask[size_t(n)] != 0);
  });
  return count > 0 ? std::sqrt(sum / count) : 0.0;
}

double RobustNoiseStd(const Image& x, const std::vector<uint8_t>& mask) {
  const ImageGeometry& g = x.geometry;
  std::vector<double> residual;
  for (int64_t k = 0; k < g.nz; ++k) {
    for (int64_t j = 1; j + 1 < g.ny; ++j) {
      for (int64_t i = 1; i + 1 < g.nx; ++i) {
        if (!mask[size_t(g.Index(i, j, k))]) continue;
        double box = 0.0;
        for (int64_t dj = -1; dj <= 1; ++dj)
          for (int64_t di = -1; di <= 1; ++di) box += x.at(i + di, j + dj, k);
        residual.push_back(double(x.at(i, j, k)) - box / 9.0);
      }
    }
  }
  if (residual.empty()) return 0.0;
  auto median = [](std::vector<double>& v) {
    const auto middle = v.begin() + ptrdiff_t(v.size() / 2);
    std::nth_element(v.begin(), middle, v.end());
    return *middle;
  };
  const double centre = median(residual);
  for (double& r : residual) r = std::abs(r - centre);
  return 1.4826 * median(residual) * 3.0 / (2.0 * std::sqrt(2.0));
}

std::vector<uint8_t> CircularMask(const ImageGeometry& grid, double radius_mm) {
  std::vector<uint8_t> mask(static_cast<size_t>(grid.NumVoxels()), 0);
  for (int64_t k = 0; k < grid.nz; ++k) {
    for (int64_t j = 0; j < grid.ny; ++j) {
      for (int64_t i = 0; i < grid.nx; ++i) {
        mask[size_t(grid.Index(i, j, k))] =
            std::hypot(grid.X(double(i)), grid.Y(double(j))) <= radius_mm;
      }
    }
  }
  return mask;
}

}  // namespace osmo

namespace osmo {

namespace {

// Separable Gaussian smoothing with mirrored borders (scipy.ndimage "reflect").
std::vector<double> Smooth(const std::vector<double>& image, int64_t nx, int64_t ny) {
  constexpr int kRadius = 5;
  constexpr double kSigma = 1.5;
  double kernel[2 * kRadius + 1], total = 0.0;
  for (int d = -kRadius; d <= kRadius; ++d) {
    kernel[d + kRadius] = std::exp(-0.5 * double(d * d) / (kSigma * kSigma));
    total += kernel[d + kRadius];
  }
  for (double& k : kernel) k /= total;
  auto mirror = [](int64_t i, int64_t n) {
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
    return i;
  };
  std::vector<double> rows(image.size()), out(image.size());
  for (int64_t j = 0; j < ny; ++j) {
    for (int64_t i = 0; i < nx; ++i) {
      double sum = 0.0;
      for (int d = -kRadius; d <= kRadius; ++d)
        sum += kernel[d + kRadius] * image[size_t(j * nx + mirror(i + d, nx))];
      rows[size_t(j * nx + i)] = sum;
    }
  }
  for (int64_t j = 0; j < ny; ++j) {
    for (int64_t i = 0; i < nx; ++i) {
      double sum = 0.0;
      for (int d = -kRadius; d <= kRadius; ++d)
        sum += kernel[d + kRadius] * rows[size_t(mirror(j + d, ny) * nx + i)];
      out[size_t(j * nx + i)] = sum;
    }
  }
  return out;
}

}  // namespace

double Ssim2D(const float* a, const float* b, int64_t nx, int64_t ny, double data_range) {
  constexpr int64_t kBorder = 5;
  if (nx <= 2 * kBorder || ny <= 2 * kBorder) {
    throw std::invalid_argument("Ssim2D: images need more than 10 pixels per side");
  }
  const size_t n = size_t(nx * ny);
  std::vector<double> x(n), y(n), xx(n), yy(n), xy(n);
  for (size_t p = 0; p < n; ++p) {
    x[p] = a[p];
    y[p] = b[p];
    xx[p] = x[p] * x[p];
    yy[p] = y[p] * y[p];
    xy[p] = x[p] * y[p];
  }
  const auto mx = Smooth(x, nx, ny), my = Smooth(y, nx, ny), mxx = Smooth(xx, nx, ny),
             myy = Smooth(yy, nx, ny), mxy = Smooth(xy, nx, ny);
  const double c1 = (0.01 * data_range) * (0.01 * data_range),
               c2 = (0.03 * data_range) * (0.03 * data_range);
  double sum = 0.0;
  int64_t count = 0;
  for (int64_t j = kBorder; j < ny - kBorder; ++j) {
    for (int64_t i = kBorder; i < nx - kBorder; ++i) {
      const size_t p = size_t(j * nx + i);
      const double vx = mxx[p] - mx[p] * mx[p], vy = myy[p] - my[p] * my[p],
                   vxy = mxy[p] - mx[p] * my[p];
      sum += ((2 * mx[p] * my[p] + c1) * (2 * vxy + c2)) /
             ((mx[p] * mx[p] + my[p] * my[p] + c1) * (vx + vy + c2));
      ++count;
    }
  }
  return sum / double(count);
}

double SsimVolume(const Image& a, const Image& b, double data_range) {
  if (!(a.geometry == b.geometry))
    throw std::invalid_argument("SsimVolume: images on different grids");
  const ImageGeometry& g = a.geometry;
  double sum = 0.0;
  for (int64_t k = 0; k < g.nz; ++k) {
    sum += Ssim2D(a.data() + g.Index(0, 0, k), b.data() + g.Index(0, 0, k), g.nx, g.ny, data_range);
  }
  return sum / double(g.nz);
}

std::vector<uint8_t> DiscMask(const ImageGeometry& grid, double x_mm, double y_mm,
                              double radius_mm) {
  std::vector<uint8_t> mask(static_cast<size_t>(grid.NumVoxels()), 0);
  for (int64_t k = 0; k < grid.nz; ++k) {
    for (int64_t j = 0; j < grid.ny; ++j) {
      for (int64_t i = 0; i < grid.nx; ++i) {
        mask[size_t(grid.Index(i, j, k))] =
            std::hypot(grid.X(double(i)) - x_mm, grid.Y(double(j)) - y_mm) <= radius_mm;
      }
    }
  }
  return mask;
}

RegionStatistics Statistics(const Image& image, const std::vector<uint8_t>& mask) {
  RegionStatistics s;
  double sum = 0.0, sum_sq = 0.0;
  for (size_t n = 0; n < image.values.size(); ++n) {
    if (!mask[n]) continue;
    sum += image.values[n];
    sum_sq += double(image.values[n]) * image.values[n];
    ++s.count;
  }
  if (s.count == 0) return s;
  s.mean = sum / double(s.count);
  s.sd = std::sqrt(std::max(0.0, sum_sq / double(s.count) - s.mean * s.mean));
  return s;
}

}  // namespace osmo
