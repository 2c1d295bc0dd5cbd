// FFTW-based row filtering with windowed ramp kernels.
// SPDX-License-Identifier: Apache-2.0
#include "recon/ramp_filter.h"

#include <fftw3.h>

#include <cmath>
#include <mutex>

namespace osmo {

namespace {

// FFTW's planner is not thread-safe; execution with new arrays is.
std::mutex& PlannerMutex() {
  static std::mutex mutex;
  return mutex;
}

double Window(FbpWindow window, double ratio) {
  switch (window) {
    case FbpWindow::kRamLak:
      return 1.0;
    case FbpWindow::kSheppLogan: {
      const double a = M_PI * ratio / 2.0;
      return a == 0.0 ? 1.0 : std::sin(a) / a;
    }
    case FbpWindow::kCosine:
      return std::cos(M_PI * ratio / 2.0);
    case FbpWindow::kHamming:
      return 0.54 + 0.46 * std::cos(M_PI * ratio);
    case FbpWindow::kHann:
      return 0.5 + 0.5 * std::cos(M_PI * ratio);
  }
  return 1.0;
}

}  // namespace

double RampKernel(int64_t n) {
  if (n == 0) return 0.25;
  if (n % 2 == 0) return 0.0;
  return -1.0 / (M_PI * M_PI * double(n) * double(n));
}

RowFilter::RowFilter(int64_t n, double scale, const std::function<double(int64_t)>& kernel,
                     const FbpOptions& options)
    : n_(n) {
  padded_ = 64;
  while (padded_ < 2 * n) padded_ *= 2;
  const int64_t bins = padded_ / 2 + 1;
  float* real = fftwf_alloc_real(size_t(padded_));
  fftwf_complex* spectrum = fftwf_alloc_complex(size_t(bins));
  {
    std::lock_guard<std::mutex> lock(PlannerMutex());
    forward_plan_ = fftwf_plan_dft_r2c_1d(int(padded_), real, spectrum, FFTW_ESTIMATE);
    inverse_plan_ = fftwf_plan_dft_c2r_1d(int(padded_), spectrum, real, FFTW_ESTIMATE);
  }
  // Kernel arranged circularly: k(0), k(1), …, k(P/2 − 1), k(−P/2) … k(−1); its (real, even)
  // transform is computed in double precision directly.
  response_.assign(size_t(bins), 0.0f);
  for (int64_t k = 0; k < bins; ++k) {
    double sum = kernel(0);
    for (int64_t m = 1; m < padded_ / 2; ++m) {
      sum += 2.0 * kernel(m) * std::cos(2.0 * M_PI * double(k * m) / double(padded_));
    }
    sum += kernel(padded_ / 2) * std::cos(M_PI * double(k));
    const double ratio = double(k) / double(padded_) / (0.5 * options.cutoff);
    const double window = ratio > 1.0 ? 0.0 : Window(options.window, ratio);
    response_[size_t(k)] = float(sum * window * scale / double(padded_));
  }
  fftwf_free(real);
  fftwf_free(spectrum);
}

RowFilter::~RowFilter() {
  std::lock_guard<std::mutex> lock(PlannerMutex());
  fftwf_destroy_plan(static_cast<fftwf_plan>(forward_plan_));
  fftwf_destroy_plan(static_cast<fftwf_plan>(inverse_plan_));
}

void RowFilter::Apply(float* row) const {
  const int64_t bins = padded_ / 2 + 1;
  float* real = fftwf_alloc_real(size_t(padded_));
  fftwf_complex* spectrum = fftwf_alloc_complex(size_t(bins));
  for (int64_t i = 0; i < padded_; ++i) real[i] = i < n_ ? row[i] : 0.0f;
  fftwf_execute_dft_r2c(static_cast<fftwf_plan>(forward_plan_), real, spectrum);
  for (int64_t k = 0; k < bins; ++k) {
    spectrum[k][0] *= response_[size_t(k)];
    spectrum[k][1] *= response_[size_t(k)];
  }
  fftwf_execute_dft_c2r(static_cast<fftwf_plan>(inverse_plan_), spectrum, real);
  for (int64_t i = 0; i < n_; ++i) row[i] = real[i];
  fftwf_free(real);
  fftwf_free(spectrum);
}

}  // namespace osmo
