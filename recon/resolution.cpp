// Local impulse response at the image centre and the β for a target resolution.
// SPDX-License-Identifier: Apache-2.0
#include "recon/resolution.h"

#include <fftw3.h>

#include <cmath>
#include <mutex>
#include <random>

#include "recon/fbp.h"

namespace osmo {

namespace {

// FFTW's planner is not thread-safe.
std::mutex& PlannerMutex() {
  static std::mutex mutex;
  return mutex;
}

int64_t CentreIndex(const ImageGeometry& g) { return g.Index(g.nx / 2, g.ny / 2, g.nz / 2); }

Image Impulse(const ImageGeometry& g) {
  Image e(g);
  e.values[size_t(CentreIndex(g))] = 1.0f;
  return e;
}

}  // namespace

std::vector<double> CentredSpectrum(const Image& image) {
  const ImageGeometry& g = image.geometry;
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz, hx = nx / 2 + 1;
  std::vector<double> shifted(size_t(g.NumVoxels()));
  for (int64_t k = 0; k < nz; ++k) {
    for (int64_t j = 0; j < ny; ++j) {
      for (int64_t i = 0; i < nx; ++i) {
        const int64_t si = (i - nx / 2 + nx) % nx, sj = (j - ny / 2 + ny) % ny,
                      sk = (k - nz / 2 + nz) % nz;
        shifted[size_t((sk * ny + sj) * nx + si)] = image.at(i, j, k);
      }
    }
  }
  std::vector<fftw_complex> spectrum(size_t(nz * ny * hx));
  fftw_plan plan;
  {
    std::lock_guard<std::mutex> lock(PlannerMutex());
    plan = fftw_plan_dft_r2c_3d(int(nz), int(ny), int(nx), shifted.data(), spectrum.data(),
                                FFTW_ESTIMATE);
  }
  fftw_execute(plan);
  {
    std::lock_guard<std::mutex> lock(PlannerMutex());
    fftw_destroy_plan(plan);
  }
  std::vector<double> real(spectrum.size());
  for (size_t n = 0; n < real.size(); ++n) real[n] = spectrum[n][0];
  return real;
}

double SpectrumFwhmVoxels(const std::vector<double>& spectrum, const ImageGeometry& g) {
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz, hx = nx / 2 + 1;
  // The profile along x through the centre: p(x) = (1/N) Σ_ω S(ω) e^{2πi ωx·x/nx}, a sum over
  // ωy, ωz first (the line spectrum), then a cosine series in x (S is real and even).
  std::vector<double> line(size_t(hx), 0.0);
  for (int64_t k = 0; k < nz * ny; ++k) {
    for (int64_t i = 0; i < hx; ++i) line[size_t(i)] += spectrum[size_t(k * hx + i)];
  }
  auto profile = [&](double x) {
    double sum = line[0];
    for (int64_t i = 1; i < hx; ++i) {
      const bool nyquist = nx % 2 == 0 && i == nx / 2;
      sum += (nyquist ? 1.0 : 2.0) * line[size_t(i)] * std::cos(2.0 * M_PI * double(i) * x / nx);
    }
    return sum;
  };
  const double peak = profile(0.0);
  if (!(peak > 0.0)) return 0.0;
  constexpr double kStep = 0.01;  // voxels
  double previous = peak;
  for (double x = kStep; x < double(nx) / 2; x += kStep) {
    const double value = profile(x);
    if (value <= 0.5 * peak) {
      const double t = (previous - 0.5 * peak) / (previous - value);  // linear between samples
      return 2.0 * (x - kStep + t * kStep);
    }
    previous = value;
  }
  return double(nx);
}

CentreImpulseResponse::CentreImpulseResponse(const Projector& projector, const Sinogram& weights,
                                             const Regularizer& stencil, double certainty_sq)
    : grid_(projector.image_geometry()) {
  Sinogram projection(projector.scan_geometry());
  projector.Forward(Impulse(grid_), projection);
  for (size_t i = 0; i < projection.values.size(); ++i) projection.values[i] *= weights.values[i];
  Image h(grid_);
  projector.Back(projection, h);
  data_ = CentredSpectrum(h);

  // R(ω) = c² Σ_{k∈N} κ_k (1 − cos ω·d_k): the prior's Hessian applied to an impulse, as a
  // spectrum (the same centring as h).
  RegularizerOptions quadratic = stencil.options();
  quadratic.potential = PotentialKind::kQuadratic;
  quadratic.beta = 1.0;
  Image impulse_gradient(grid_);
  Regularizer(grid_, quadratic).AddGradient(Impulse(grid_), impulse_gradient);
  penalty_ = CentredSpectrum(impulse_gradient);
  for (double& p : penalty_) p = std::max(p, 0.0) * certainty_sq;
  for (double& d : data_) d = std::max(d, 0.0);
}

double CentreImpulseResponse::FwhmMm(double beta) const {
  std::vector<double> response(data_.size());
  for (size_t n = 0; n < response.size(); ++n) {
    const double denominator = data_[n] + beta * penalty_[n];
    response[n] = denominator > 0.0 ? data_[n] / denominator : 0.0;
  }
  return SpectrumFwhmVoxels(response, grid_) * grid_.voxel_size_mm;
}

template <class Measure>
double CentreImpulseResponse::Solve(double target, Measure f) const {
  // Bracket in decades around a β that balances the two terms at the centre, then bisect.
  double scale = 0.0, penalty_scale = 0.0;
  for (size_t n = 0; n < data_.size(); ++n) {
    scale = std::max(scale, data_[n]);
    penalty_scale = std::max(penalty_scale, penalty_[n]);
  }
  if (!(scale > 0.0) || !(penalty_scale > 0.0)) return 0.0;
  double lo = scale / penalty_scale, hi = lo;
  for (int n = 0; n < 40 && f(lo) > target; ++n) lo /= 10.0;
  for (int n = 0; n < 40 && f(hi) < target; ++n) hi *= 10.0;
  if (f(lo) > target) return lo;  // beyond what the grid allows
  for (int n = 0; n < 60 && hi / lo > 1.001; ++n) {
    const double mid = std::sqrt(lo * hi);
    (f(mid) < target ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

double CentreImpulseResponse::BetaForFwhm(double fwhm_mm) const {
  return Solve(fwhm_mm, [this](double beta) { return FwhmMm(beta); });
}

double CentreImpulseResponse::NoiseStd(double beta) const {
  return std::sqrt(NoiseSpectrumSum(beta, [](double) { return 1.0; }));
}

double CentreImpulseResponse::NeighbourDifferenceStd(double beta) const {
  const double step = 2.0 * M_PI / double(grid_.nx);
  return std::sqrt(
      NoiseSpectrumSum(beta, [step](double kx) { return 2.0 * (1.0 - std::cos(step * kx)); }));
}

template <class Filter>
double CentreImpulseResponse::NoiseSpectrumSum(double beta, Filter filter) const {
  const int64_t nx = grid_.nx, hx = nx / 2 + 1;
  double sum = 0.0;
  for (size_t n = 0; n < data_.size(); ++n) {
    const int64_t kx = int64_t(n) % hx;
    const double multiplicity = (kx == 0 || (nx % 2 == 0 && kx == nx / 2)) ? 1.0 : 2.0;
    const double denominator = data_[n] + beta * penalty_[n];
    if (denominator > 0.0)
      sum += multiplicity * filter(double(kx)) * data_[n] / (denominator * denominator);
  }
  return sum / double(grid_.NumVoxels());
}

double CentreImpulseResponse::BetaForNoise(double noise_std) const {
  // Noise falls as β grows: solve −σ(β) = −target.
  return Solve(-noise_std, [this](double beta) { return -NoiseStd(beta); });
}

double FbpNoiseStd(const Projector& projector, const Sinogram& weights) {
  const ImageGeometry& grid = projector.image_geometry();
  Sinogram noise(projector.scan_geometry());
  std::mt19937 rng(12345);  // one realisation, sequential: the same for any thread count
  std::normal_distribution<double> normal(0.0, 1.0);
  for (size_t i = 0; i < noise.values.size(); ++i) {
    const double w = weights.values[i];
    noise.values[i] = w > 0.0 ? float(normal(rng) / std::sqrt(w)) : 0.0f;
  }
  const Image image = FilteredBackprojection(projector.scan_geometry(), noise, grid, {});
  const double radius = 0.25 * projector.scan_geometry().FieldOfViewRadiusMm();
  double sum = 0.0, sum_sq = 0.0;
  int64_t count = 0;
  for (int64_t k = 0; k < grid.nz; ++k) {
    for (int64_t j = 0; j < grid.ny; ++j) {
      for (int64_t i = 0; i < grid.nx; ++i) {
        if (std::hypot(grid.X(double(i)), grid.Y(double(j))) > radius) continue;
        const double v = image.at(i, j, k);
        sum += v;
        sum_sq += v * v;
        ++count;
      }
    }
  }
  if (count < 2) return 0.0;
  const double mean = sum / double(count);
  return std::sqrt(std::max(sum_sq / double(count) - mean * mean, 0.0));
}

double FbpFwhmMm(const Projector& projector, const FbpOptions& options) {
  const ImageGeometry& grid = projector.image_geometry();
  Sinogram projection(projector.scan_geometry());
  projector.Forward(Impulse(grid), projection);
  const Image psf = FilteredBackprojection(projector.scan_geometry(), projection, grid, options);
  return SpectrumFwhmVoxels(CentredSpectrum(psf), grid) * grid.voxel_size_mm;
}

}  // namespace osmo
