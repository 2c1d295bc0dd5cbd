// Filtered backprojection: angular weights, Parker weights, pre-weighting, filtering,
// voxel-driven backprojection (Kak & Slaney ch. 3; Feldkamp, Davis & Kress 1984).
// SPDX-License-Identifier: Apache-2.0
#include "recon/fbp.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <numeric>

#include "projectors/error.h"
#include "projectors/fast_math.h"
#include "projectors/multiversion.h"
#include "projectors/window_gather.h"
#include "recon/helical_rebinning.h"
#include "recon/ramp_filter.h"

namespace osmo {

const char* ToString(FbpWindow w) { return NameOf(kFbpWindows, w); }

void FbpOptions::Validate() const {
  if (!(cutoff > 0.0 && cutoff <= 1.0)) {
    throw SettingError("fbp.cutoff", "a fraction of the Nyquist frequency in (0, 1]",
                       ToText(cutoff));
  }
}

namespace {

// Fan angle of channel c (fan/cone).
double ChannelGamma(const ScanGeometry& scan, double c) { return scan.FanAngle(scan.ChannelU(c)); }

double HalfFanAngle(const ScanGeometry& scan) {
  if (scan.kind == ScanKind::kParallel) return 0.0;
  return std::max(std::abs(ChannelGamma(scan, -0.5)),
                  std::abs(ChannelGamma(scan, double(scan.n_channels) - 0.5)));
}

}  // namespace

AngularWeights ComputeAngularWeights(const ScanGeometry& scan) {
  const int64_t n = scan.NumViews();
  AngularWeights result;
  result.weights.assign(size_t(n), 0.0);
  result.half_fan_rad = HalfFanAngle(scan);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return scan.angles_rad[size_t(a)] < scan.angles_rad[size_t(b)];
  });
  auto angle = [&](int64_t sorted) { return scan.angles_rad[size_t(order[size_t(sorted)])]; };
  result.start_rad = angle(0);
  if (n == 1) {
    result.weights[0] = scan.kind == ScanKind::kParallel ? M_PI : 2 * M_PI;
    result.coverage_rad = result.weights[0];
    return result;
  }
  // Each view stands for the interval between the midpoints to its neighbours; the end views
  // extend by half their only gap on the open side.
  for (int64_t s = 0; s < n; ++s) {
    const double before = s > 0 ? angle(s) - angle(s - 1) : angle(1) - angle(0);
    const double after = s + 1 < n ? angle(s + 1) - angle(s) : angle(n - 1) - angle(n - 2);
    result.weights[size_t(order[size_t(s)])] = 0.5 * (before + after);
    result.coverage_rad += 0.5 * (before + after);
  }
  const double span = angle(n - 1) - angle(0);
  double normalisation = 1.0;
  if (scan.kind == ScanKind::kParallel) {
    result.complete_rad = M_PI;
    result.limited = result.coverage_rad < M_PI * (1.0 - 1e-3);
    // Every line once over π; a limited range keeps its weights (the missing angles count as 0).
    if (!result.limited) normalisation = M_PI / result.coverage_rad;
  } else if (result.coverage_rad >= 2 * M_PI * (1.0 - 1e-3)) {
    result.complete_rad = 2 * M_PI;
    normalisation = 2 * M_PI / result.coverage_rad;  // full scan: every line twice (the ½ of g)
  } else {
    const double needed = M_PI + 2 * result.half_fan_rad;
    result.complete_rad = needed;
    if (span < needed - 1e-6) {
      // Shorter than a short scan: each measured ray once, the missing angles as zeros.
      result.limited = true;
      for (double& w : result.weights) w *= 2.0;
      return result;
    }
    result.short_scan = true;
    // Overscans beyond π + 2δ spread the Parker transitions over the extra range.
    result.parker_half_fan_rad = 0.5 * (span - M_PI);
    normalisation = 2.0;  // Parker weights sum to 1 over conjugate pairs; g carries a ½
  }
  for (double& w : result.weights) w *= normalisation;
  return result;
}

double ParkerWeight(double beta, double gamma, double half_fan) {
  // Parker's weights are written for the conjugate (β + π + 2γ, −γ); the contract's θ = β − γ
  // has the conjugate (β + π − 2γ, −γ), so γ enters with the opposite sign.
  const double g = -gamma, d = half_fan;
  if (beta < 0.0) return 0.0;
  if (beta < 2 * d - 2 * g) {  // implies d − g > 0
    const double s = std::sin(M_PI / 4 * beta / (d - g));
    return s * s;
  }
  if (beta <= M_PI - 2 * g) return 1.0;
  if (beta <= M_PI + 2 * d) {
    if (d + g <= 0.0) return 0.0;  // the edge ray γ = δ: this end of its range has zero width
    const double s = std::sin(M_PI / 4 * (M_PI + 2 * d - beta) / (d + g));
    return s * s;
  }
  return 0.0;
}

namespace {

// The ramp kernel of the detector's sampling variable and its sample spacing (step 1 below).
struct RampSampling {
  double sample;
  std::function<double(int64_t)> kernel;
};

//  parallel: the ramp in u.
//  arc (equiangular): g(nα) = ½ (nα/sin nα)² h(nα) in angle α = Δu/D (Kak & Slaney eq. 3.90).
//  flat: ½h on the virtual detector at the isocentre, s = u·R/D (Kak & Slaney eq. 3.113; FDK).
RampSampling RampSamplingFor(const ScanGeometry& scan) {
  const double R = scan.source_to_isocenter_mm, D = scan.source_to_detector_mm;
  if (scan.kind == ScanKind::kParallel) return {scan.channel_spacing_mm, RampKernel};
  if (scan.detector_shape == DetectorShape::kArc) {
    const double alpha = scan.channel_spacing_mm / D;
    return {alpha, [alpha](int64_t m) {
              if (m == 0) return 0.5 * RampKernel(0);
              const double a = double(m) * alpha;
              return 0.5 * (a / std::sin(a)) * (a / std::sin(a)) * RampKernel(m);
            }};
  }
  return {scan.channel_spacing_mm * R / D, [](int64_t m) { return 0.5 * RampKernel(m); }};
}

}  // namespace

int64_t TruncationExtension(const Sinogram& sinogram) {
  const int64_t nc = sinogram.n_channels, lines = sinogram.n_views * sinogram.n_rows;
  if (nc < 8 || lines == 0) return 0;
  double edge = 0.0, peak = 0.0;
  for (int64_t line = 0; line < lines; ++line) {
    const float* row = sinogram.values.data() + line * nc;
    edge += 0.5 * (std::abs(row[0]) + std::abs(row[nc - 1])) / double(lines);
    for (int64_t c = 0; c < nc; ++c) peak = std::max(peak, double(std::abs(row[c])));
  }
  return peak > 0.0 && edge > 0.02 * peak ? nc / 2 : 0;
}

namespace {

// Step 1: every detector row pre-weighted — arc p·R·cos γ [·D/sqrt(D² + v²) for cone], flat
// p·R/sqrt(R² + s² [+ v_s²]), short scans times their Parker weights — and ramp-filtered.
Sinogram WeightedFilteredRows(const ScanGeometry& scan, const Sinogram& sinogram,
                              const AngularWeights& angular, const FbpOptions& options) {
  const int64_t nc = scan.n_channels, nr = scan.n_rows, nv = scan.NumViews();
  const double R = scan.source_to_isocenter_mm, D = scan.source_to_detector_mm;
  const bool parallel = scan.kind == ScanKind::kParallel;
  const bool cone = scan.kind == ScanKind::kCone;
  const bool arc = !parallel && scan.detector_shape == DetectorShape::kArc;
  const RampSampling ramp = RampSamplingFor(scan);
  const int64_t extension = options.extend_truncated ? TruncationExtension(sinogram) : 0;
  const RowFilter filter(nc + 2 * extension, 1.0 / ramp.sample, ramp.kernel, options);
  Sinogram filtered = sinogram;
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t line = 0; line < nv * nr; ++line) {
    const int64_t v = line / nr, r = line % nr;
    float* row = filtered.View(v) + r * nc;
    const double beta_rel = scan.angles_rad[size_t(v)] - angular.start_rad;
    const double v_mm = cone ? scan.RowV(double(r)) : 0.0;
    for (int64_t c = 0; c < nc && !parallel; ++c) {
      const double u = scan.ChannelU(double(c));
      double weight;
      if (arc) {
        weight = R * std::cos(u / D) * D / std::sqrt(D * D + v_mm * v_mm);
      } else {
        const double s = u * R / D, vs = v_mm * R / D;
        weight = R / std::sqrt(R * R + s * s + vs * vs);
      }
      if (angular.short_scan)
        weight *= ParkerWeight(beta_rel, scan.FanAngle(u), angular.parker_half_fan_rad);
      row[c] = float(row[c] * weight);
    }
    if (extension == 0) {
      filter.Apply(row);
      continue;
    }
    // The row continued on both sides by a cosine taper from its edge values to zero.
    thread_local std::vector<float> extended;
    extended.assign(size_t(nc + 2 * extension), 0.0f);
    std::copy_n(row, nc, extended.data() + extension);
    for (int64_t k = 1; k <= extension; ++k) {
      const float taper = float(std::cos(0.5 * M_PI * double(k) / double(extension + 1)));
      extended[size_t(extension - k)] = row[0] * taper;
      extended[size_t(extension + nc - 1 + k)] = row[nc - 1] * taper;
    }
    filter.Apply(extended.data());
    std::copy_n(extended.data() + extension, nc, row);
  }
  return filtered;
}

// The filtered views in a zero-padded layout — 2 channels and 1–2 rows of zeros around each
// view — so that interpolation needs no branches: positions are clamped into the padding, where
// the signal fades to zero.
struct PaddedViews {
  int64_t stride = 0, view_size = 0;
  std::vector<float> values;
  const float* View(int64_t v) const { return values.data() + v * view_size; }
};

// Row-major (slice stacks): row r, channel c at (r + 1)·stride + c + 2.
PaddedViews PadViews(const Sinogram& filtered) {
  const int64_t nc = filtered.n_channels, nr = filtered.n_rows, nv = filtered.n_views;
  PaddedViews p;
  p.stride = nc + 4;
  p.view_size = p.stride * (nr + 3);
  p.values.assign(static_cast<size_t>(nv * p.view_size), 0.0f);
#pragma omp parallel for schedule(static)
  for (int64_t v = 0; v < nv; ++v) {
    for (int64_t r = 0; r < nr; ++r) {
      std::copy_n(filtered.View(v) + r * nc, nc,
                  p.values.data() + v * p.view_size + (r + 1) * p.stride + 2);
    }
  }
  return p;
}

// Channel-major (cone beam): channel c, row r at (c + 2)·stride + r + 1, so that a voxel column
// reads its two channels row after row (window_gather::AddConeColumn), with the window's slack
// after each view.
PaddedViews PadViewsByChannel(const Sinogram& filtered) {
  const int64_t nc = filtered.n_channels, nr = filtered.n_rows, nv = filtered.n_views;
  PaddedViews p;
  p.stride = nr + 3;
  p.view_size = p.stride * (nc + 4) + window_gather::kReadablePast;
  p.values.assign(static_cast<size_t>(nv * p.view_size), 0.0f);
#pragma omp parallel for schedule(static)
  for (int64_t v = 0; v < nv; ++v) {
    const float* in = filtered.View(v);
    float* out = p.values.data() + v * p.view_size;
    for (int64_t c = 0; c < nc; ++c) {
      for (int64_t r = 0; r < nr; ++r) out[(c + 2) * p.stride + r + 1] = in[r * nc + c];
    }
  }
  return p;
}

// Where the voxels of an image row fall on one view: channel position (clamped into the
// padding), backprojection weight and axial magnification (detector rows per mm of z):
//  parallel u = p·e_u; arc γ = atan(s/t), weight 1/L² (Kak & Slaney eq. 3.88), v = z·D/L_xy;
//  flat u = D·s/t, weight 1/U² = R²/t², v = z·D/t.
// Single precision is plenty here: positions to 1e-4 channel, weights to 1e-7.
struct ViewSampler {
  bool parallel, arc;
  float x0, dx, channel_origin, channels_per_mm, rows_per_mm, R, D, channel_max;

  ViewSampler(const ScanGeometry& scan, const ImageGeometry& grid)
      : parallel(scan.kind == ScanKind::kParallel),
        arc(!parallel && scan.detector_shape == DetectorShape::kArc),
        x0(float(grid.X(0.0))),
        dx(float(grid.voxel_size_mm)),
        channel_origin(float(0.5 * double(scan.n_channels - 1) - scan.channel_offset)),
        channels_per_mm(float(1.0 / scan.channel_spacing_mm)),
        rows_per_mm(float(1.0 / scan.row_spacing_mm)),
        R(float(scan.source_to_isocenter_mm)),
        D(float(scan.source_to_detector_mm)),
        channel_max(float(scan.n_channels)) {}

  OSMO_MULTIVERSIONED
  void Sample(double beta, double y, double view_weight, int64_t nx, float* ch, float* wt,
              float* mg) const {
    const float cf = float(std::cos(beta)), sf = float(std::sin(beta)), yf = float(y);
    const float vw = float(view_weight), below = -1.0f;
    if (parallel) {
#pragma omp simd
      for (int64_t i = 0; i < nx; ++i) {
        const float x = x0 + float(i) * dx;
        ch[i] =
            fast::Clamp((x * cf + yf * sf) * channels_per_mm + channel_origin, below, channel_max);
        wt[i] = vw;
        mg[i] = 0.0f;
      }
    } else if (arc) {
#pragma omp simd
      for (int64_t i = 0; i < nx; ++i) {
        const float x = x0 + float(i) * dx;
        const float s = x * cf + yf * sf, t = R - x * sf + yf * cf;
        const float l2 = s * s + t * t;
        ch[i] = fast::Clamp(D * fast::AtanF(s / t) * channels_per_mm + channel_origin, below,
                            channel_max);
        wt[i] = vw / l2;
        mg[i] = D / std::sqrt(l2) * rows_per_mm;
      }
    } else {
#pragma omp simd
      for (int64_t i = 0; i < nx; ++i) {
        const float x = x0 + float(i) * dx;
        const float s = x * cf + yf * sf, t = R - x * sf + yf * cf;
        ch[i] = fast::Clamp(D * s / t * channels_per_mm + channel_origin, below, channel_max);
        wt[i] = vw * R * R / (t * t);
        mg[i] = D / t * rows_per_mm;
      }
    }
  }
};

// out[i] += wt[i] · the view interpolated at (row p, channel ch[i]): slice stacks, where every
// voxel of the row reads the same detector row position p (one-row scans: row 0).
OSMO_MULTIVERSIONED
void AddSliceRow(const float* view, int64_t stride, int64_t n_rows, float p, int64_t nx,
                 const float* ch, const float* wt, float* out) {
  const float r_floor = std::floor(p);
  const float fr = p - r_floor;
  const float* row0 = view + (int64_t(r_floor) + 1) * stride + 2;
  const float* row1 = row0 + stride;
  if (n_rows == 1) {
#pragma omp simd
    for (int64_t i = 0; i < nx; ++i) {
      const float c_floor = std::floor(ch[i]);
      const int32_t c0 = int32_t(c_floor);
      out[i] += wt[i] * (row0[c0] + (ch[i] - c_floor) * (row0[c0 + 1] - row0[c0]));
    }
    return;
  }
#pragma omp simd
  for (int64_t i = 0; i < nx; ++i) {
    const float c_floor = std::floor(ch[i]);
    const int32_t c0 = int32_t(c_floor);
    const float fc = ch[i] - c_floor;
    const float a = row0[c0] + fc * (row0[c0 + 1] - row0[c0]);
    const float b = row1[c0] + fc * (row1[c0 + 1] - row1[c0]);
    out[i] += wt[i] * (a + fr * (b - a));
  }
}

// FDK's voxel-driven backprojection (Feldkamp, Davis & Kress 1984), threaded over image rows y:
// for each row, every view is added to each voxel column (fixed x, y) along z, where the voxels
// read two neighbouring channels of the view at rows z·mg + row_origin (window_gather), into a
// z-fastest copy of the row that is then stored. Each voxel sums the views in order, so the
// thread count changes nothing.
void BackprojectCone(const ScanGeometry& scan, const PaddedViews& views,
                     const AngularWeights& angular, const FbpProgress& progress, Image* image) {
  const ImageGeometry& grid = image->geometry;
  const int64_t nx = grid.nx, ny = grid.ny, nz = grid.nz, nv = scan.NumViews();
  const ViewSampler sampler(scan, grid);
  const float row_origin = float(0.5 * double(scan.n_rows - 1) - scan.row_offset);
  const float row_max = float(scan.n_rows);
  std::vector<float> z(static_cast<size_t>(nz));
  for (int64_t k = 0; k < nz; ++k) z[size_t(k)] = float(grid.Z(double(k)));
  // Image rows in blocks of kRowsPerBlock, each view added to the whole block before the next:
  // every view is read once per block instead of once per row (with one row per pass the two
  // threads of the benchmark VM shared the memory traffic of all views per image row and scaled
  // 1.3×).
  constexpr int64_t kRowsPerBlock = 4;
  const int64_t n_blocks = (ny + kRowsPerBlock - 1) / kRowsPerBlock;
  std::atomic<int64_t> rows_done{0};
#pragma omp parallel
  {
    std::vector<float> channel(static_cast<size_t>(nx)), weight(static_cast<size_t>(nx)),
        magnification(static_cast<size_t>(nx)),
        columns(static_cast<size_t>(kRowsPerBlock * nx * nz));
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; ++b) {
      const int64_t j_first = b * kRowsPerBlock, j_end = std::min(ny, j_first + kRowsPerBlock);
      std::fill(columns.begin(), columns.end(), 0.0f);
      for (int64_t v = 0; v < nv; ++v) {
        for (int64_t j = j_first; j < j_end; ++j) {
          sampler.Sample(scan.angles_rad[size_t(v)], grid.Y(double(j)), angular.weights[size_t(v)],
                         nx, channel.data(), weight.data(), magnification.data());
          float* row_columns = columns.data() + (j - j_first) * nx * nz;
          for (int64_t i = 0; i < nx; ++i) {
            const float c_floor = std::floor(channel[size_t(i)]);
            const float* column0 = views.View(v) + (int64_t(c_floor) + 2) * views.stride;
            window_gather::AddConeColumn(column0, column0 + views.stride,
                                         channel[size_t(i)] - c_floor, weight[size_t(i)],
                                         magnification[size_t(i)], row_origin, row_max, z.data(),
                                         int32_t(nz), row_columns + i * nz);
          }
        }
      }
      for (int64_t j = j_first; j < j_end; ++j) {
        const float* row_columns = columns.data() + (j - j_first) * nx * nz;
        for (int64_t k = 0; k < nz; ++k) {
          float* out = image->data() + grid.Index(0, j, k);
          for (int64_t i = 0; i < nx; ++i) out[i] = row_columns[size_t(i * nz + k)];
        }
      }
      // Progress from the master thread only (the callback need not be thread-safe).
      const int64_t finished = rows_done.fetch_add(j_end - j_first) + (j_end - j_first);
      if (progress && omp_get_thread_num() == 0) progress(finished, ny);
    }
  }
}

}  // namespace

Image FilteredBackprojection(const ScanGeometry& scan, const Sinogram& sinogram,
                             const ImageGeometry& grid, const FbpOptions& options,
                             const FbpProgress& progress) {
  options.Validate();
  if (scan.HasSourceZ()) {  // helical: rebinned to fan-beam slices first (helical_rebinning.h)
    scan.ValidateWithImage(grid, "fbp");
    const RebinnedSlices slices = RebinHelicalToFanSlices(scan, sinogram, grid);
    return FilteredBackprojection(slices.geometry, slices.sinogram, grid, options, progress);
  }
  scan.ValidateWithImage(grid, "fbp");
  if (sinogram.n_views != scan.NumViews() || sinogram.n_rows != scan.n_rows ||
      sinogram.n_channels != scan.n_channels) {
    throw std::invalid_argument("FilteredBackprojection: sinogram does not match the geometry");
  }
  const AngularWeights angular = ComputeAngularWeights(scan);
  // The filtered views are a temporary of the padding statement (one filtered copy of the
  // sinogram in memory during the backprojection, not two).
  Image image(grid);
  if (scan.kind == ScanKind::kCone) {
    const PaddedViews by_channel =
        PadViewsByChannel(WeightedFilteredRows(scan, sinogram, angular, options));
    BackprojectCone(scan, by_channel, angular, progress, &image);
    if (progress) progress(grid.ny, grid.ny);
    return image;
  }
  const PaddedViews views = PadViews(WeightedFilteredRows(scan, sinogram, angular, options));

  // Step 2: voxel-driven backprojection of slice stacks, threaded over image rows y (each voxel
  // sums its views in order: thread-count invariant). Every voxel of a slice reads the rows at
  // its z (one row: that row for every slice).
  const int64_t nx = grid.nx, ny = grid.ny, nz = grid.nz, nr = scan.n_rows, nv = scan.NumViews();
  const ViewSampler sampler(scan, grid);
  const double row_origin = 0.5 * double(nr - 1) - scan.row_offset;
  const double rows_per_mm = 1.0 / scan.row_spacing_mm;
  const float row_max = float(nr);
  std::atomic<int64_t> rows_done{0};
#pragma omp parallel
  {
    std::vector<float> channel(static_cast<size_t>(nx)), weight(static_cast<size_t>(nx)),
        magnification(static_cast<size_t>(nx));
#pragma omp for schedule(dynamic, 1)
    for (int64_t j = 0; j < ny; ++j) {
      for (int64_t v = 0; v < nv; ++v) {
        sampler.Sample(scan.angles_rad[size_t(v)], grid.Y(double(j)), angular.weights[size_t(v)],
                       nx, channel.data(), weight.data(), magnification.data());
        for (int64_t k = 0; k < nz; ++k) {
          const float z = float(grid.Z(double(k)));
          const float p =
              nr == 1 ? 0.0f : fast::Clamp(float(z * rows_per_mm + row_origin), -1.0f, row_max);
          AddSliceRow(views.View(v), views.stride, nr, p, nx, channel.data(), weight.data(),
                      image.data() + grid.Index(0, j, k));
        }
      }
      // Progress from the master thread only (the callback need not be thread-safe).
      const int64_t finished = rows_done.fetch_add(1) + 1;
      if (progress && omp_get_thread_num() == 0) progress(finished, ny);
    }
  }
  if (progress) progress(ny, ny);
  return image;
}

}  // namespace osmo
