// FBP / FDK speed: fan "ge1" (888 × 984 → 512²) and a 256³ cone case.
// SPDX-License-Identifier: Apache-2.0
#include <benchmark/benchmark.h>

#include <cmath>

#include "projectors/geometry_presets.h"
#include "recon/fbp.h"

namespace osmo {
namespace {

// The cone case: 256³ of 0.5 mm.
ImageGeometry Cube256() {
  ImageGeometry grid;
  grid.nx = grid.ny = grid.nz = 256;
  grid.voxel_size_mm = grid.slice_thickness_mm = 0.5;
  return grid;
}

void TimeFbp(benchmark::State& state, const ScanGeometry& scan, const ImageGeometry& grid) {
  Sinogram sinogram(scan, 1.0f);
  for (auto _ : state) {
    Image image = FilteredBackprojection(scan, sinogram, grid);
    benchmark::DoNotOptimize(image.values.data());
  }
}

void BM_Fbp(benchmark::State& state) {
  if (state.range(0) == 1) {
    ImageGeometry grid;
    grid.nx = grid.ny = 512;
    grid.voxel_size_mm = 0.9765625;
    TimeFbp(state, GeometryPreset("ge1"), grid);
  } else {
    TimeFbp(state, GeometryPreset("cone-bench"), Cube256());
  }
}

BENCHMARK(BM_Fbp)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->MinTime(2.0);

// FDK of the 256³ case from 8 of its 360 views (the same per-view work), one iteration: for
// valgrind's instruction counts (bench/instruction_counts.sh).
void BM_FdkEightViews(benchmark::State& state) {
  ScanGeometry scan = GeometryPreset("cone-bench");
  scan.angles_rad = EquallySpacedAngles(8, 0.0, 2 * M_PI);
  const ImageGeometry grid = Cube256();
  TimeFbp(state, scan, grid);
  state.counters["voxel_views"] = double(grid.NumVoxels()) * 8.0;
}

BENCHMARK(BM_FdkEightViews)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace osmo
