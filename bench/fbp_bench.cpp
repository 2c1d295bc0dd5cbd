// FBP / FDK speed: fan "ge1" (888 × 984 → 512²) and a 256³ cone case.
// SPDX-License-Identifier: Apache-2.0
#include <benchmark/benchmark.h>

#include "projectors/geometry_presets.h"
#include "recon/fbp.h"

namespace osmo {
namespace {

void BM_Fbp(benchmark::State& state) {
  ScanGeometry scan = GeometryPreset(state.range(0) == 1 ? "ge1" : "cone-bench");
  ImageGeometry grid;
  if (state.range(0) == 1) {
    grid.nx = grid.ny = 512;
    grid.voxel_size_mm = 0.9765625;
  } else {
    grid.nx = grid.ny = grid.nz = 256;
    grid.voxel_size_mm = grid.slice_thickness_mm = 0.5;
  }
  Sinogram sinogram(scan, 1.0f);
  for (auto _ : state) {
    Image image = FilteredBackprojection(scan, sinogram, grid);
    benchmark::DoNotOptimize(image.values.data());
  }
}

BENCHMARK(BM_Fbp)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace osmo
