// Ramp filtering of detector rows with FFTW: band-limited discrete ramp kernels and windows.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "recon/fbp_options.h"

namespace osmo {

// Filters rows of n samples: q = scale · (p ⊛ k) with the dimensionless spatial kernel k(n),
// zero-padded to a power of two P ≥ 2n; the kernel's frequency response is multiplied by the
// window. For a ramp on samples of spacing Δ, k = RampKernel and scale = 1/Δ
// (q = Δ Σ h(nΔ) p with h(nΔ) = RampKernel(n)/Δ²). Apply() is thread-safe.
class RowFilter {
 public:
  RowFilter(int64_t n, double scale, const std::function<double(int64_t)>& kernel,
            const FbpOptions& options);
  ~RowFilter();
  RowFilter(const RowFilter&) = delete;
  RowFilter& operator=(const RowFilter&) = delete;

  // Filters `row` (n values) in place.
  void Apply(float* row) const;
  // The windowed frequency response H(k), k = 0..P/2 (including scale/P).
  const std::vector<float>& response() const { return response_; }
  int64_t padded_size() const { return padded_; }

 private:
  int64_t n_;
  int64_t padded_;
  std::vector<float> response_;
  void* forward_plan_ = nullptr;
  void* inverse_plan_ = nullptr;
};

// The discrete band-limited ramp kernel for unit sample spacing (Kak & Slaney eq. 3.61, Δ = 1):
// h(0) = 1/4, h(n odd) = −1/(π²n²), h(n even ≠ 0) = 0. For spacing Δ it scales by 1/Δ².
double RampKernel(int64_t n);

}  // namespace osmo
