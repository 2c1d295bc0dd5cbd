// Gathers from a short window: vector loads and register permutes instead of one load per lane.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace osmo::window_gather {

// The back projections read, for each voxel of a column, a few neighbouring entries of a row
// profile: rows[first[k]], rows[first[k] + 1], … with first[k] nondecreasing in small steps. A
// vectorised loop over k then needs a gather, which compilers emulate with one scalar load and
// one insert per lane (their generic tuning avoids the gather instructions, slow on many x86
// cores): 32 loads for 16 voxels and two rows. Sixteen consecutive voxels of such a column read at
// most 32 consecutive entries, though, so two vector loads and one two-source permute per row
// (AVX-512 vpermt2ps; AVX2: two vpermps and a blend over 16 entries for 8 voxels) give the same
// values, with a real gather only where a chunk's entries do not fit in the window. The forward
// projection's transpose (adding each voxel's weighted value into its rows) uses the same window
// the other way: AccumulateShortStepRows.
//
// The kernels are compiled for AVX2 and AVX-512 with target attributes and chosen once at run
// time from the CPU (with GCC's target_clones a function cannot tell which clone it is in).

// The widest of the kernels the running CPU supports (kNone: plain loops).
enum class Isa { kNone, kAvx2, kAvx512 };
Isa DetectedIsa();

// Entries a caller must keep readable past every index it passes: the window's width.
constexpr int64_t kReadablePast = 32;

// x[k] = ((x[k] + w0[k]·rows[f]) + w1[k]·rows[f + 1]) + w2[k]·rows[f + 2] for k < n, f = first[k],
// w_n = w + n·stride (the third term only for span 3), each step a fused multiply-add (the plain
// loop of a CPU without AVX2 rounds twice): the short-step columns of the cone-beam projector
// (SfConeProjector::ColumnBack). rows must be readable from every first[k] to first[k] +
// kReadablePast − 1. `isa` (tests) must be one the CPU supports.
void AddShortStepRows(int32_t span, int32_t n, int64_t stride, const int32_t* first, const float* w,
                      const float* rows, float* x, Isa isa = DetectedIsa());

// The transpose: rows[r] = Σ_k Σ_m w_m[k]·x[k]·[first[k] + m = r], m < span (2 or 3), w_m = w +
// m·stride, for every r from first[0] to first[n − 1] + span − 1 (assigned; no other row is
// written), for n ≥ 1 voxels whose first rows rise by 0 … span − 1 from each voxel to the next
// (the short-step columns of SfConeProjector::ColumnForward). AVX-512 only: it sums each chunk
// of 16 voxels' runs as a tree (deterministic, not the order of a scalar loop). False, and nothing
// written, for any other `isa` (AVX2 has neither compress nor expand instructions; the caller's
// scalar loop does the work).
bool AccumulateShortStepRows(int32_t span, int32_t n, int64_t stride, const int32_t* first,
                             const float* w, const float* x, float* rows, Isa isa = DetectedIsa());

// FDK's bilinear read of one voxel column (fixed x, y) in one view: for k < n,
//   p = clamp(z[k]·mg + row_origin, −1, row_max),  f = ⌊p⌋ + 1,  fr = p − ⌊p⌋,
//   out[k] += wt·(a + fr·(b − a)),  a = L[f], b = L[f + 1],
//   L[r] = column0[r] + fc·(column1[r] − column0[r]),
// the two detector channels around the voxel stored row after row with one row of padding below
// (so f ≥ 0), each product-sum fused as above. p rises with k when mg > 0 (the slices in order):
// 16 voxels then read at most 32 consecutive rows. Both columns must be readable kReadablePast
// entries past every f.
void AddConeColumn(const float* column0, const float* column1, float fc, float wt, float mg,
                   float row_origin, float row_max, const float* z, int32_t n, float* out,
                   Isa isa = DetectedIsa());

}  // namespace osmo::window_gather
