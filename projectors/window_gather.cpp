// Gathers from a short window (see window_gather.h).
// SPDX-License-Identifier: Apache-2.0
#include "projectors/window_gather.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define OSMO_WINDOW_GATHER_X86 1
// GCC 12 warns about its own AVX-512 headers (their _mm512_undefined_* placeholders,
// -Wmaybe-uninitialized, a false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif

namespace osmo::window_gather {

#if defined(OSMO_WINDOW_GATHER_X86)

namespace {

// AVX-512, 16 voxels per step. A chunk whose entries rows[f0 … f0 + 31] (f0 its first voxel's
// first row) hold all it reads uses the window; any other (a column's steps too long for it, or
// rows that decrease) uses the gather instruction. The last chunk is masked.
template <int32_t kSpan>
__attribute__((target("avx512f"))) void ShortStepRowsAvx512(int32_t n, int64_t stride,
                                                            const int32_t* first, const float* w,
                                                            const float* rows, float* x) {
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i last_in_window = _mm512_set1_epi32(32 - kSpan);
  for (int32_t k = 0; k < n; k += 16) {
    const __mmask16 lanes = n - k >= 16 ? __mmask16(0xFFFF) : __mmask16((1U << (n - k)) - 1U);
    const __m512i f = _mm512_maskz_loadu_epi32(lanes, first + k);
    const int32_t f0 = first[k];
    const __m512i at0 = _mm512_sub_epi32(f, _mm512_set1_epi32(f0));
    const __m512i at1 = _mm512_add_epi32(at0, one);
    __m512 r0, r1, r2 = _mm512_setzero_ps();
    if (_mm512_mask_cmple_epu32_mask(lanes, at0, last_in_window) == lanes) {
      const __m512 low = _mm512_loadu_ps(rows + f0), high = _mm512_loadu_ps(rows + f0 + 16);
      r0 = _mm512_permutex2var_ps(low, at0, high);
      r1 = _mm512_permutex2var_ps(low, at1, high);
      if constexpr (kSpan == 3) r2 = _mm512_permutex2var_ps(low, _mm512_add_epi32(at1, one), high);
    } else {
      const __m512 none = _mm512_setzero_ps();
      r0 = _mm512_mask_i32gather_ps(none, lanes, f, rows, 4);
      r1 = _mm512_mask_i32gather_ps(none, lanes, _mm512_add_epi32(f, one), rows, 4);
      if constexpr (kSpan == 3) {
        r2 = _mm512_mask_i32gather_ps(none, lanes, _mm512_add_epi32(f, _mm512_set1_epi32(2)), rows,
                                      4);
      }
    }
    __m512 sum = _mm512_maskz_loadu_ps(lanes, x + k);
    sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes, w + k), r0, sum);
    sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes, w + stride + k), r1, sum);
    if constexpr (kSpan == 3) {
      sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes, w + 2 * stride + k), r2, sum);
    }
    _mm512_mask_storeu_ps(x + k, lanes, sum);
  }
}

// 8 of the 16 entries low[0 … 7], high[0 … 7] at `at` (0 … 15): vpermps reads the low three bits.
__attribute__((target("avx2"))) inline __m256 Permute16(__m256 low, __m256 high, __m256i at) {
  const __m256 from_high = _mm256_castsi256_ps(_mm256_cmpgt_epi32(at, _mm256_set1_epi32(7)));
  return _mm256_blendv_ps(_mm256_permutevar8x32_ps(low, at), _mm256_permutevar8x32_ps(high, at),
                          from_high);
}

// AVX2, 8 voxels per step and a 16-entry window; the last chunk (n need not be a multiple of 8)
// goes through masked loads and stores.
template <int32_t kSpan>
__attribute__((target("avx2,fma"))) void ShortStepRowsAvx2(int32_t n, int64_t stride,
                                                           const int32_t* first, const float* w,
                                                           const float* rows, float* x) {
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i lane_index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int32_t k = 0; k < n; k += 8) {
    // All ones in the lanes below n − k (the mask of the masked loads and stores).
    const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - k), lane_index);
    const __m256i f = _mm256_maskload_epi32(first + k, lanes);
    const int32_t f0 = first[k];
    const __m256i at0 = _mm256_sub_epi32(f, _mm256_set1_epi32(f0));
    const __m256i at1 = _mm256_add_epi32(at0, one);
    // at0 in [0, 16 − span] in every active lane (unsigned: via the minimum)
    const __m256i limit = _mm256_set1_epi32(16 - kSpan);
    const __m256i inside = _mm256_cmpeq_epi32(_mm256_min_epu32(at0, limit), at0);
    __m256 r0, r1, r2 = _mm256_setzero_ps();
    if (_mm256_testc_si256(inside, lanes) != 0) {  // every active lane inside
      const __m256 low = _mm256_loadu_ps(rows + f0), high = _mm256_loadu_ps(rows + f0 + 8);
      r0 = Permute16(low, high, at0);
      r1 = Permute16(low, high, at1);
      if constexpr (kSpan == 3) r2 = Permute16(low, high, _mm256_add_epi32(at1, one));
    } else {
      const __m256 none = _mm256_setzero_ps(), mask = _mm256_castsi256_ps(lanes);
      r0 = _mm256_mask_i32gather_ps(none, rows, f, mask, 4);
      r1 = _mm256_mask_i32gather_ps(none, rows, _mm256_add_epi32(f, one), mask, 4);
      if constexpr (kSpan == 3) {
        r2 = _mm256_mask_i32gather_ps(none, rows, _mm256_add_epi32(f, _mm256_set1_epi32(2)), mask,
                                      4);
      }
    }
    __m256 sum = _mm256_maskload_ps(x + k, lanes);
    sum = _mm256_fmadd_ps(_mm256_maskload_ps(w + k, lanes), r0, sum);
    sum = _mm256_fmadd_ps(_mm256_maskload_ps(w + stride + k, lanes), r1, sum);
    if constexpr (kSpan == 3) {
      sum = _mm256_fmadd_ps(_mm256_maskload_ps(w + 2 * stride + k, lanes), r2, sum);
    }
    _mm256_maskstore_ps(x + k, lanes, sum);
  }
}

// AVX-512 FDK column (see AddConeColumn), 16 voxels per step: where a chunk's rows f … f + 1 lie
// within 32 of its first voxel's row, the interpolated window L is built from two loads per
// channel and read by permutes; otherwise four gathers and the same arithmetic per lane.
__attribute__((target("avx512f"))) void ConeColumnAvx512(const float* column0, const float* column1,
                                                         float fc, float wt, float mg,
                                                         float row_origin, float row_max,
                                                         const float* z, int32_t n, float* out) {
  const __m512 fc_v = _mm512_set1_ps(fc), wt_v = _mm512_set1_ps(wt), mg_v = _mm512_set1_ps(mg);
  const __m512 origin_v = _mm512_set1_ps(row_origin);
  const __m512 lowest = _mm512_set1_ps(-1.0f), highest = _mm512_set1_ps(row_max);
  const __m512i one = _mm512_set1_epi32(1), last_in_window = _mm512_set1_epi32(30);
  for (int32_t k = 0; k < n; k += 16) {
    const __mmask16 lanes = n - k >= 16 ? __mmask16(0xFFFF) : __mmask16((1U << (n - k)) - 1U);
    const __m512 p = _mm512_min_ps(
        _mm512_max_ps(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes, z + k), mg_v, origin_v), lowest),
        highest);
    const __m512 p_floor = _mm512_roundscale_ps(p, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512 fr = _mm512_sub_ps(p, p_floor);
    const __m512i f = _mm512_add_epi32(_mm512_cvttps_epi32(p_floor), one);
    const int32_t f0 = _mm_cvtsi128_si32(_mm512_castsi512_si128(f));
    const __m512i at = _mm512_sub_epi32(f, _mm512_set1_epi32(f0));
    __m512 a, b;
    if (_mm512_mask_cmple_epu32_mask(lanes, at, last_in_window) == lanes) {
      const __m512 low0 = _mm512_loadu_ps(column0 + f0), high0 = _mm512_loadu_ps(column0 + f0 + 16);
      const __m512 low1 = _mm512_loadu_ps(column1 + f0), high1 = _mm512_loadu_ps(column1 + f0 + 16);
      const __m512 low = _mm512_fmadd_ps(fc_v, _mm512_sub_ps(low1, low0), low0);
      const __m512 high = _mm512_fmadd_ps(fc_v, _mm512_sub_ps(high1, high0), high0);
      a = _mm512_permutex2var_ps(low, at, high);
      b = _mm512_permutex2var_ps(low, _mm512_add_epi32(at, one), high);
    } else {
      const __m512 none = _mm512_setzero_ps();
      const __m512i f1 = _mm512_add_epi32(f, one);
      const __m512 a0 = _mm512_mask_i32gather_ps(none, lanes, f, column0, 4);
      const __m512 a1 = _mm512_mask_i32gather_ps(none, lanes, f, column1, 4);
      const __m512 b0 = _mm512_mask_i32gather_ps(none, lanes, f1, column0, 4);
      const __m512 b1 = _mm512_mask_i32gather_ps(none, lanes, f1, column1, 4);
      a = _mm512_fmadd_ps(fc_v, _mm512_sub_ps(a1, a0), a0);
      b = _mm512_fmadd_ps(fc_v, _mm512_sub_ps(b1, b0), b0);
    }
    const __m512 value = _mm512_fmadd_ps(fr, _mm512_sub_ps(b, a), a);
    _mm512_mask_storeu_ps(out + k, lanes,
                          _mm512_fmadd_ps(wt_v, value, _mm512_maskz_loadu_ps(lanes, out + k)));
  }
}

// AVX2 FDK column, 8 voxels per step and a 16-row window.
__attribute__((target("avx2,fma"))) void ConeColumnAvx2(const float* column0, const float* column1,
                                                        float fc, float wt, float mg,
                                                        float row_origin, float row_max,
                                                        const float* z, int32_t n, float* out) {
  const __m256 fc_v = _mm256_set1_ps(fc), wt_v = _mm256_set1_ps(wt), mg_v = _mm256_set1_ps(mg);
  const __m256 origin_v = _mm256_set1_ps(row_origin);
  const __m256 lowest = _mm256_set1_ps(-1.0f), highest = _mm256_set1_ps(row_max);
  const __m256i one = _mm256_set1_epi32(1), last_in_window = _mm256_set1_epi32(14);
  const __m256i lane_index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int32_t k = 0; k < n; k += 8) {
    const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - k), lane_index);
    const __m256 p = _mm256_min_ps(
        _mm256_max_ps(_mm256_fmadd_ps(_mm256_maskload_ps(z + k, lanes), mg_v, origin_v), lowest),
        highest);
    const __m256 p_floor = _mm256_floor_ps(p);
    const __m256 fr = _mm256_sub_ps(p, p_floor);
    const __m256i f = _mm256_add_epi32(_mm256_cvttps_epi32(p_floor), one);
    const int32_t f0 = _mm_cvtsi128_si32(_mm256_castsi256_si128(f));
    const __m256i at = _mm256_sub_epi32(f, _mm256_set1_epi32(f0));
    const __m256i inside = _mm256_cmpeq_epi32(_mm256_min_epu32(at, last_in_window), at);
    __m256 a, b;
    if (_mm256_testc_si256(inside, lanes) != 0) {
      const __m256 low0 = _mm256_loadu_ps(column0 + f0), high0 = _mm256_loadu_ps(column0 + f0 + 8);
      const __m256 low1 = _mm256_loadu_ps(column1 + f0), high1 = _mm256_loadu_ps(column1 + f0 + 8);
      const __m256 low = _mm256_fmadd_ps(fc_v, _mm256_sub_ps(low1, low0), low0);
      const __m256 high = _mm256_fmadd_ps(fc_v, _mm256_sub_ps(high1, high0), high0);
      a = Permute16(low, high, at);
      b = Permute16(low, high, _mm256_add_epi32(at, one));
    } else {
      const __m256 none = _mm256_setzero_ps(), mask = _mm256_castsi256_ps(lanes);
      const __m256i f1 = _mm256_add_epi32(f, one);
      const __m256 a0 = _mm256_mask_i32gather_ps(none, column0, f, mask, 4);
      const __m256 a1 = _mm256_mask_i32gather_ps(none, column1, f, mask, 4);
      const __m256 b0 = _mm256_mask_i32gather_ps(none, column0, f1, mask, 4);
      const __m256 b1 = _mm256_mask_i32gather_ps(none, column1, f1, mask, 4);
      a = _mm256_fmadd_ps(fc_v, _mm256_sub_ps(a1, a0), a0);
      b = _mm256_fmadd_ps(fc_v, _mm256_sub_ps(b1, b0), b0);
    }
    const __m256 value = _mm256_fmadd_ps(fr, _mm256_sub_ps(b, a), a);
    _mm256_maskstore_ps(out + k, lanes,
                        _mm256_fmadd_ps(wt_v, value, _mm256_maskload_ps(out + k, lanes)));
  }
}

// One step of a segmented inclusive scan over runs of equal `at`: lane j adds lane j − kShift
// where both lie in one run. (alignr(v, fill, 16 − d) is v shifted up by d lanes.)
template <int kShift>
__attribute__((target("avx512f"))) inline void RunScanStep(__m512i at,
                                                           std::initializer_list<__m512*> sums) {
  const __mmask16 same =
      _mm512_cmpeq_epi32_mask(_mm512_alignr_epi32(at, _mm512_set1_epi32(-1), 16 - kShift), at);
  const __m512i none = _mm512_setzero_si512();
  for (__m512* sum : sums) {
    const __m512i below = _mm512_alignr_epi32(_mm512_castps_si512(*sum), none, 16 - kShift);
    *sum = _mm512_mask_add_ps(*sum, same, *sum, _mm512_castsi512_ps(below));
  }
}

// Stores the first `count` lanes of v (none if count ≤ 0) at out.
__attribute__((target("avx512f"))) inline void StoreFirstLanes(float* out, int32_t count,
                                                               __m512 v) {
  if (count > 0) {
    _mm512_mask_storeu_ps(out, __mmask16(count >= 16 ? 0xFFFFU : (1U << count) - 1U), v);
  }
}

// v moved up by kLanes lanes (1 or 2), the lanes below filled from the top of `below`.
template <int kLanes>
__attribute__((target("avx512f"))) inline __m512 ShiftUp(__m512 v, __m512 below) {
  return _mm512_castsi512_ps(
      _mm512_alignr_epi32(_mm512_castps_si512(v), _mm512_castps_si512(below), 16 - kLanes));
}

// The transpose of ShortStepRowsAvx512 (see AccumulateShortStepRows), 16 voxels per step.
// Within a chunk the voxels' rows at = first − f0 rise by 0 … kSpan − 1, so the voxels form runs
// of equal rows: a segmented scan (four shifted adds within runs) leaves each run's sum in its
// last lane, and compressing the last lanes puts the runs' sums in row order (vcompressps).
// Span 2: the runs cover 0 … at[15] without gaps, so the compressed sums are the rows' sums, the
// second rows' one lane higher. Span 3: rows skipped by a step of 2 have no run, so the sums are
// expanded (vexpandps) to the rows present, a bit mask of the runs' rows. The window of rows
// f0 … f0 + 16·kSpan − 1 stays in registers: rows below the next chunk's first row are final and
// stored, the rest shifted down to the next chunk's origin.
template <int32_t kSpan>
__attribute__((target("avx512f,popcnt"))) void ShortStepRowsForwardAvx512(
    int32_t n, int64_t stride, const int32_t* first, const float* w, const float* x, float* rows) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i no_row = _mm512_set1_epi32(-1);  // below every row of a chunk: ends a run
  const __m512 zero = _mm512_setzero_ps();
  // Rows f0 + 0 … 15, 16 … 31 and (span 3) 32 … 47.
  __m512 low = zero, high = zero, top = zero;
  int32_t f0 = first[0];
  for (int32_t k = 0; k < n; k += 16) {
    const int32_t valid = n - k < 16 ? n - k : 16;
    const __mmask16 lanes = __mmask16((1U << valid) - 1U);
    const int32_t at_last = first[k + valid - 1] - f0;
    // Lanes past n join the last voxel's run with nothing to add.
    const __m512i at = _mm512_mask_blend_epi32(
        lanes, _mm512_set1_epi32(at_last),
        _mm512_sub_epi32(_mm512_maskz_loadu_epi32(lanes, first + k), _mm512_set1_epi32(f0)));
    const __m512 xs = _mm512_maskz_loadu_ps(lanes, x + k);
    __m512 sum0 = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, w + k), xs);
    __m512 sum1 = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, w + stride + k), xs);
    // The last lane of each run (lane 15 always: a run that goes on is continued by the next
    // chunk in the window).
    const __mmask16 run_ends = _mm512_cmpneq_epi32_mask(at, _mm512_alignr_epi32(no_row, at, 1));
    if constexpr (kSpan == 2) {
      RunScanStep<1>(at, {&sum0, &sum1});
      RunScanStep<2>(at, {&sum0, &sum1});
      RunScanStep<4>(at, {&sum0, &sum1});
      RunScanStep<8>(at, {&sum0, &sum1});
      const __m512 rows0 = _mm512_maskz_compress_ps(run_ends, sum0);
      const __m512 rows1 = _mm512_maskz_compress_ps(run_ends, sum1);  // for rows 1 … at[15] + 1
      low = _mm512_add_ps(_mm512_add_ps(low, rows0), ShiftUp<1>(rows1, zero));
      high = _mm512_add_ps(high, ShiftUp<1>(zero, rows1));
    } else {
      __m512 sum2 = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, w + 2 * stride + k), xs);
      RunScanStep<1>(at, {&sum0, &sum1, &sum2});
      RunScanStep<2>(at, {&sum0, &sum1, &sum2});
      RunScanStep<4>(at, {&sum0, &sum1, &sum2});
      RunScanStep<8>(at, {&sum0, &sum1, &sum2});
      // The runs' rows (at ≤ 30) as bits, split at 16; the sums expanded onto them, the upper
      // half from the compressed sums that follow the lower half's.
      const uint32_t present = uint32_t(
          _mm512_reduce_or_epi32(_mm512_maskz_sllv_epi32(run_ends, _mm512_set1_epi32(1), at)));
      const __mmask16 present_low = __mmask16(present), present_high = __mmask16(present >> 16);
      const __m512i after_low =
          _mm512_add_epi32(lane, _mm512_set1_epi32(_mm_popcnt_u32(present & 0xFFFFU)));
      __m512 expanded[3][2];
      const __m512 sums[3] = {sum0, sum1, sum2};
      for (int m = 0; m < 3; ++m) {
        const __m512 runs = _mm512_maskz_compress_ps(run_ends, sums[m]);
        expanded[m][0] = _mm512_maskz_expand_ps(present_low, runs);
        expanded[m][1] =
            _mm512_maskz_expand_ps(present_high, _mm512_permutexvar_ps(after_low, runs));
      }
      // Row at + m gets the m-th sums: the second sums one row up, the third two.
      low = _mm512_add_ps(
          _mm512_add_ps(_mm512_add_ps(low, expanded[0][0]), ShiftUp<1>(expanded[1][0], zero)),
          ShiftUp<2>(expanded[2][0], zero));
      high = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(high, expanded[0][1]),
                                         ShiftUp<1>(expanded[1][1], expanded[1][0])),
                           ShiftUp<2>(expanded[2][1], expanded[2][0]));
      top = _mm512_add_ps(_mm512_add_ps(top, ShiftUp<1>(zero, expanded[1][1])),
                          ShiftUp<2>(zero, expanded[2][1]));
    }
    if (k + 16 < n) {
      // Rows below the next chunk's first are final; the window moves up to it (0 … 16·(kSpan −
      // 1) rows): by a whole register if more than 16, then by the rest (0 … 16) through
      // permutes.
      int32_t shift = first[k + 16] - f0;
      f0 += shift;
      if (shift > 16) {
        _mm512_storeu_ps(rows + f0 - shift, low);
        low = high;
        high = top;
        top = zero;
        shift -= 16;
      }
      _mm512_mask_storeu_ps(rows + f0 - shift, __mmask16((1U << shift) - 1U), low);
      const __m512i from = _mm512_add_epi32(lane, _mm512_set1_epi32(shift));
      const __m512 next_low = _mm512_permutex2var_ps(low, from, high);
      const __m512 next_high = _mm512_permutex2var_ps(high, from, top);
      top = _mm512_permutex2var_ps(top, from, zero);
      low = next_low;
      high = next_high;
    } else {
      const int32_t n_rows = at_last + kSpan;  // rows f0 … f0 + at_last + kSpan − 1
      StoreFirstLanes(rows + f0, n_rows, low);
      StoreFirstLanes(rows + f0 + 16, n_rows - 16, high);
      StoreFirstLanes(rows + f0 + 32, n_rows - 32, top);
    }
  }
}

Isa Detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
  return Isa::kNone;
}

}  // namespace

Isa DetectedIsa() {
  static const Isa kDetected = Detect();
  return kDetected;
}

#else  // not x86-64: the plain loops

Isa DetectedIsa() { return Isa::kNone; }

#endif

namespace {

void ShortStepRowsPlain(int32_t span, int32_t n, int64_t stride, const int32_t* first,
                        const float* w, const float* rows, float* x) {
  const float *w0 = w, *w1 = w + stride, *w2 = w + 2 * stride;
  for (int32_t k = 0; k < n; ++k) {
    const int32_t f = first[k];
    const float sum = (x[k] + w0[k] * rows[f]) + w1[k] * rows[f + 1];
    x[k] = span == 3 ? sum + w2[k] * rows[f + 2] : sum;
  }
}

void ConeColumnPlain(const float* column0, const float* column1, float fc, float wt, float mg,
                     float row_origin, float row_max, const float* z, int32_t n, float* out) {
  for (int32_t k = 0; k < n; ++k) {
    const float p = std::min(std::max(z[k] * mg + row_origin, -1.0f), row_max);
    const float p_floor = std::floor(p), fr = p - p_floor;
    const int32_t f = int32_t(p_floor) + 1;
    const float a = column0[f] + fc * (column1[f] - column0[f]);
    const float b = column0[f + 1] + fc * (column1[f + 1] - column0[f + 1]);
    out[k] += wt * (a + fr * (b - a));
  }
}

}  // namespace

void AddShortStepRows(int32_t span, int32_t n, int64_t stride, const int32_t* first, const float* w,
                      const float* rows, float* x, Isa isa) {
  switch (isa) {
#if defined(OSMO_WINDOW_GATHER_X86)
    case Isa::kAvx512:
      (span == 2 ? ShortStepRowsAvx512<2> : ShortStepRowsAvx512<3>)(n, stride, first, w, rows, x);
      return;
    case Isa::kAvx2:
      (span == 2 ? ShortStepRowsAvx2<2> : ShortStepRowsAvx2<3>)(n, stride, first, w, rows, x);
      return;
#endif
    default:
      ShortStepRowsPlain(span, n, stride, first, w, rows, x);
  }
}

bool AccumulateShortStepRows(int32_t span, int32_t n, int64_t stride, const int32_t* first,
                             const float* w, const float* x, float* rows, Isa isa) {
#if defined(OSMO_WINDOW_GATHER_X86)
  if (isa == Isa::kAvx512) {
    (span == 2 ? ShortStepRowsForwardAvx512<2> : ShortStepRowsForwardAvx512<3>)(n, stride, first, w,
                                                                                x, rows);
    return true;
  }
#endif
  return false;
}

void AddConeColumn(const float* column0, const float* column1, float fc, float wt, float mg,
                   float row_origin, float row_max, const float* z, int32_t n, float* out,
                   Isa isa) {
  switch (isa) {
#if defined(OSMO_WINDOW_GATHER_X86)
    case Isa::kAvx512:
      ConeColumnAvx512(column0, column1, fc, wt, mg, row_origin, row_max, z, n, out);
      return;
    case Isa::kAvx2:
      ConeColumnAvx2(column0, column1, fc, wt, mg, row_origin, row_max, z, n, out);
      return;
#endif
    default:
      ConeColumnPlain(column0, column1, fc, wt, mg, row_origin, row_max, z, n, out);
  }
}

}  // namespace osmo::window_gather
