// The window-gather kernels against scalar references, for every instruction set the CPU has:
// columns that fit the window, columns that need the gather fallback, and ragged ends.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/window_gather.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace osmo {
namespace {

using window_gather::Isa;

std::vector<Isa> SupportedIsas() {
  std::vector<Isa> isas = {Isa::kNone};
  if (window_gather::DetectedIsa() != Isa::kNone) isas.push_back(Isa::kAvx2);
  if (window_gather::DetectedIsa() == Isa::kAvx512) isas.push_back(Isa::kAvx512);
  return isas;
}

const char* Name(Isa isa) {
  return isa == Isa::kAvx512 ? "AVX-512" : isa == Isa::kAvx2 ? "AVX2" : "plain";
}

// The vector kernels fuse each product-sum: a reference with std::fma matches them exactly. The
// plain loop (CPUs without FMA) rounds twice: within a few float ulps.
void ExpectMatches(Isa isa, const std::vector<float>& expected, const std::vector<float>& found,
                   const char* what) {
  ASSERT_EQ(expected.size(), found.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    if (isa == Isa::kNone) {
      ASSERT_NEAR(found[k], expected[k], 1e-5f * (1.0f + std::abs(expected[k])))
          << what << " " << Name(isa) << " at " << k;
    } else {
      ASSERT_EQ(found[k], expected[k]) << what << " " << Name(isa) << " at " << k;
    }
  }
}

enum class Steps { kUpToOne, kUpToTwo, kLong, kRandom };

// first[k] for n voxels: nondecreasing with random steps of 0–1 (always within the window), 0–2
// (some 8-voxel chunks outside AVX2's 16-entry window with span 3), 0–5 (most chunks outside), or
// random rows (decreasing too: the gather fallback).
std::vector<int32_t> FirstRows(int32_t n, Steps steps, int32_t n_rows, std::mt19937* rng) {
  std::vector<int32_t> first(static_cast<size_t>(n));
  const int32_t max_step = steps == Steps::kUpToOne ? 1 : steps == Steps::kUpToTwo ? 2 : 5;
  std::uniform_int_distribution<int32_t> step(0, max_step), any_row(0, n_rows - 4);
  int32_t f = 1;
  for (int32_t k = 0; k < n; ++k) {
    first[size_t(k)] = steps == Steps::kRandom ? any_row(*rng) : std::min(f, n_rows - 4);
    f += step(*rng);
  }
  return first;
}

// first[k] = ⌊k·slope⌋: the last voxel of each chunk at the edge of the window. With slope
// 28/15 … 32/15 the 16th voxel of an AVX-512 chunk reads entry 28 … 32 past the first's (span 2
// fits up to 30, span 3 up to 29); with 12/7 … 16/7 the 8th of an AVX2 chunk reads 12 … 16
// (fits up to 14 and 13).
std::vector<int32_t> FirstRowsAlongASlope(int32_t n, double slope) {
  std::vector<int32_t> first(static_cast<size_t>(n));
  for (int32_t k = 0; k < n; ++k) first[size_t(k)] = int32_t(std::floor(double(k) * slope));
  return first;
}

TEST(WindowGather, ShortStepRowsMatchTheScalarSums) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  constexpr int32_t kRows = 400;
  std::vector<float> rows(static_cast<size_t>(kRows + window_gather::kReadablePast));
  for (float& r : rows) r = value(rng);
  const auto check = [&](Isa isa, int32_t span, int32_t n, const std::vector<int32_t>& first) {
    const int64_t stride = n + 3;
    std::vector<float> w(static_cast<size_t>(3 * stride));
    for (float& v : w) v = value(rng);
    // x runs 5 entries past n: the kernels must leave them alone.
    std::vector<float> x(static_cast<size_t>(n + 5));
    for (float& v : x) v = value(rng);
    std::vector<float> expected(x);
    for (int32_t k = 0; k < n; ++k) {
      const int32_t f = first[size_t(k)];
      float sum = expected[size_t(k)];
      for (int32_t m = 0; m < span; ++m) {
        sum = std::fma(w[size_t(m * stride + k)], rows[size_t(f + m)], sum);
      }
      expected[size_t(k)] = sum;
    }
    window_gather::AddShortStepRows(span, n, stride, first.data(), w.data(), rows.data(), x.data(),
                                    isa);
    ExpectMatches(isa, expected, x, "short-step rows");
  };
  for (const Isa isa : SupportedIsas()) {
    for (const int32_t span : {2, 3}) {
      for (const Steps steps : {Steps::kUpToOne, Steps::kUpToTwo, Steps::kLong, Steps::kRandom}) {
        for (const int32_t n : {1, 7, 8, 16, 37, 64, 100}) {
          const std::vector<int32_t> first = FirstRows(n, steps, kRows, &rng);
          check(isa, span, n, first);
        }
      }
      for (const double lane_steps : {12.0, 13.0, 14.0, 15.0, 16.0}) {
        check(isa, span, 64, FirstRowsAlongASlope(64, lane_steps / 7.0));
      }
      for (const double lane_steps : {28.0, 29.0, 30.0, 31.0, 32.0}) {
        check(isa, span, 64, FirstRowsAlongASlope(64, lane_steps / 15.0));
      }
    }
  }
}

// The forward transpose: every row from first[0] to first[n − 1] + span − 1 gets its voxels'
// weighted values and no other row is written. Span 2: steps of one row with probability 0 (one
// run over every chunk), 0.05 (runs across chunk ends), 0.5, 0.77 (cone case 3) and 1 (the window
// moves 16 rows per chunk). Span 3: steps of 0, 1 or 2 rows (rows without a run of their own),
// from only 2s (the window moves 32 rows per chunk, half the rows skipped) to rare 2s; ragged
// ends. The AVX-512 kernel (the only one) sums as a tree: compared with sums in double to float
// round-off of the summed magnitudes.
TEST(WindowGather, ShortStepRowsForwardMatchTheSumsPerRow) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> value(0.0f, 1.0f), uniform(0.0f, 1.0f);
  // Probabilities of a step of 1 and of 2 from one voxel to the next.
  struct StepOdds {
    int32_t span;
    float p_one, p_two;
  };
  const StepOdds odds[] = {{2, 0.0f, 0.0f}, {2, 0.05f, 0.0f}, {2, 0.5f, 0.0f}, {2, 0.77f, 0.0f},
                           {2, 1.0f, 0.0f}, {3, 0.0f, 1.0f},  {3, 0.5f, 0.5f}, {3, 0.1f, 0.9f},
                           {3, 0.9f, 0.1f}, {3, 0.3f, 0.05f}, {3, 0.0f, 0.3f}};
  for (const Isa isa : SupportedIsas()) {
    for (const StepOdds& step : odds) {
      const int32_t span = step.span;
      for (const int32_t n : {1, 5, 16, 17, 31, 32, 33, 100, 256}) {
        std::vector<int32_t> first(static_cast<size_t>(n));
        int32_t f = 3;
        for (int32_t k = 0; k < n; ++k) {
          first[size_t(k)] = f;
          const float u = uniform(rng);
          f += u < step.p_two ? 2 : u < step.p_two + step.p_one ? 1 : 0;
        }
        const int64_t stride = n + 1;
        std::vector<float> w(static_cast<size_t>(3 * stride)), x(static_cast<size_t>(n));
        for (float& v : w) v = value(rng);
        for (float& v : x) v = value(rng);
        const int32_t last_row = first.back() + span - 1;
        const int32_t n_rows = last_row + 1 + 8;  // 8 rows of margin above the last
        constexpr float kSentinel = -7.0f;
        std::vector<float> rows(static_cast<size_t>(n_rows), kSentinel);
        std::vector<double> expected(rows.size(), 0.0), magnitude(rows.size(), 0.0);
        for (int32_t k = 0; k < n; ++k) {
          for (int32_t m = 0; m < span; ++m) {
            const double term = double(w[size_t(m * stride + k)]) * double(x[size_t(k)]);
            expected[size_t(first[size_t(k)] + m)] += term;
            magnitude[size_t(first[size_t(k)] + m)] += std::abs(term);
          }
        }
        const bool done = window_gather::AccumulateShortStepRows(
            span, n, stride, first.data(), w.data(), x.data(), rows.data(), isa);
        // Only AVX-512 has the kernel; for the others nothing may be written.
        ASSERT_EQ(done, isa == Isa::kAvx512) << Name(isa);
        if (!done) {
          for (const float row : rows) ASSERT_EQ(row, kSentinel) << Name(isa);
          continue;
        }
        for (int32_t r = 0; r < n_rows; ++r) {
          if (r < first.front() || r > last_row) {
            ASSERT_EQ(rows[size_t(r)], kSentinel) << Name(isa) << " wrote row " << r;
          } else {
            ASSERT_NEAR(rows[size_t(r)], expected[size_t(r)], 1e-6 * (1.0 + magnitude[size_t(r)]))
                << Name(isa) << " span " << span << " row " << r << " n " << n << " steps of 1 "
                << step.p_one << " of 2 " << step.p_two;
          }
        }
      }
    }
  }
}

// FDK's column: z increasing by 0.5 mm, rows per mm 0.1 (all in one window), 1.3 and 3.0 (steps
// of 0.65 and 1.5 rows, within the windows), 3.8 … 4.4 (1.9 … 2.2 rows: chunks at the edges of
// both windows, see FirstRowsAlongASlope), 5.0 (2.5 rows: the gather fallback), negative
// (decreasing rows: the fallback), with rows clamped at both ends of the detector.
TEST(WindowGather, ConeColumnsMatchTheScalarInterpolation) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  constexpr int32_t kRows = 60;  // detector rows; the columns hold kRows + 3 with the padding
  const int64_t column_size = kRows + 3;
  std::vector<float> columns(static_cast<size_t>(2 * column_size + window_gather::kReadablePast));
  for (float& v : columns) v = value(rng);
  const float *column0 = columns.data(), *column1 = column0 + column_size;
  const float row_origin = 29.5f, row_max = float(kRows), fc = 0.3f, wt = 1.7f;
  for (const Isa isa : SupportedIsas()) {
    for (const float mg : {0.1f, 1.3f, 3.0f, 3.8f, 4.0f, 4.1333f, 4.2857f, 4.4f, 5.0f, -0.7f}) {
      for (const int32_t n : {1, 9, 16, 45, 90}) {
        std::vector<float> z(static_cast<size_t>(n));
        const int32_t middle = n / 2;
        for (int32_t k = 0; k < n; ++k) z[size_t(k)] = 0.5f * float(k - middle) + 0.11f;
        std::vector<float> out(static_cast<size_t>(n + 5));
        for (float& v : out) v = value(rng);
        std::vector<float> expected(out);
        for (int32_t k = 0; k < n; ++k) {
          const float p =
              std::min(std::max(std::fma(z[size_t(k)], mg, row_origin), -1.0f), row_max);
          const float p_floor = std::floor(p), fr = p - p_floor;
          const size_t f = size_t(p_floor + 1.0f);
          const float a = std::fma(fc, column1[f] - column0[f], column0[f]);
          const float b = std::fma(fc, column1[f + 1] - column0[f + 1], column0[f + 1]);
          expected[size_t(k)] = std::fma(wt, std::fma(fr, b - a, a), expected[size_t(k)]);
        }
        window_gather::AddConeColumn(column0, column1, fc, wt, mg, row_origin, row_max, z.data(), n,
                                     out.data(), isa);
        ExpectMatches(isa, expected, out, "cone column");
      }
    }
  }
}

}  // namespace
}  // namespace osmo
