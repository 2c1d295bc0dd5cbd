// Helical scans to fan-beam slices: the analytic baseline `osmo fbp` uses for helical data.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "projectors/arrays.h"
#include "projectors/scan_geometry.h"

namespace osmo {

// Weighted multi-row helical interpolation to one fan-beam turn per slice (the fan-beam form of
// the row weighting in Stierstorfer et al., Phys. Med. Biol. 49, 2004, without its cone-beam
// backprojection): for slice z and each view angle of one turn, every turn's view at that angle
// contributes the detector row that passes through z at the isocentre, v = (z − z_k)·D/R
// (linear interpolation between rows), with weight W(q), q = v / (half the detector height):
//   W = 1 for |q| ≤ 0.5, cos²(π/2 · (|q| − 0.5)/0.5) up to |q| = 1, 0 beyond;
// the contributions are normalised by ΣW. The result is a fan-beam slice stack (row r at
// grid.Z(r), one turn of views) for the fan FBP.
// Limits: the cone angle is ignored (each row is treated as lying in its slice's plane: exact at
// the isocentre, a z error of v·(L − R)/D at distance L from the source, ≤ 0.3 mm for ge-helical
// at the edge of a 250 mm field); the flying focal spot is ignored (its shifts are below a
// detector cell); needs a whole number of equally spaced views per turn and a pitch up to
// about 1.5 (every angle must have a turn whose detector covers the slice). Slices without such
// a turn take the nearest turn's edge row (outside the complete-data range); `incomplete`
// counts them.
struct RebinnedSlices {
  ScanGeometry geometry;  // fan, stacked rows at the grid's slice centres
  Sinogram sinogram;
  int64_t incomplete_slices = 0;
};
RebinnedSlices RebinHelicalToFanSlices(const ScanGeometry& scan, const Sinogram& sinogram,
                                       const ImageGeometry& grid);

}  // namespace osmo
