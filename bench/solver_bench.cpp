// Solver speed: one os-ogm2 iteration (12 subsets: one forward and one back projection of all
// views, the fair regulariser's gradient and the momentum update) on ge1-half → 256², and the
// regulariser's gradient alone (8 and 26 neighbours).
// SPDX-License-Identifier: Apache-2.0
#include <benchmark/benchmark.h>

#include <cmath>

#include "projectors/geometry_presets.h"
#include "projectors/projector.h"
#include "recon/os_solver.h"
#include "recon/pwls_problem.h"
#include "recon/regularizer.h"

namespace osmo {
namespace {

// A water disc of radius 100 mm with a denser insert.
Image Disc(const ImageGeometry& grid) {
  Image x(grid);
  for (int64_t k = 0; k < grid.nz; ++k) {
    for (int64_t j = 0; j < grid.ny; ++j) {
      for (int64_t i = 0; i < grid.nx; ++i) {
        const double r = std::hypot(grid.X(double(i)), grid.Y(double(j)));
        const double insert = std::hypot(grid.X(double(i)) - 30.0, grid.Y(double(j)));
        x.at(i, j, k) = float((r < 100.0 ? 0.02 : 0.0) + (insert < 15.0 ? 0.01 : 0.0));
      }
    }
  }
  return x;
}

void BM_SolverIteration(benchmark::State& state) {
  const ScanGeometry scan = GeometryPreset("ge1-half");
  ImageGeometry grid = DefaultImageGeometry(scan);  // 256² over the field of view, as before the
  grid.voxel_size_mm *= double(grid.nx) / 256.0;    // default grid followed the detector pitch
  grid.nx = grid.ny = 256;
  auto projector = MakeProjector(grid, scan);
  Sinogram y(scan), w(scan, 1e4f);
  projector->Forward(Disc(grid), y);
  const Regularizer regularizer(grid, {PotentialKind::kFair, 1e3, 0.0002, Neighborhood::k8});
  const PwlsProblem problem(*projector, y, w, regularizer);
  SolverOptions options;
  options.iterations = 1;
  const OsSolver solver(problem, options, {});
  for (auto _ : state) {
    SolverState s = solver.Start(Image(grid));
    solver.Run(s, nullptr);
    benchmark::DoNotOptimize(s.x.values.data());
  }
}

void BM_RegularizerGradient(benchmark::State& state) {
  const bool three_d = state.range(0) == 26;
  ImageGeometry grid;
  grid.nx = grid.ny = 256;
  grid.nz = three_d ? 64 : 1;
  grid.voxel_size_mm = grid.slice_thickness_mm = 1.0;
  const Regularizer regularizer(
      grid, {PotentialKind::kFair, 1.0, 0.0002, three_d ? Neighborhood::k26 : Neighborhood::k8});
  const Image x = Disc(grid);
  Image gradient(grid);
  for (auto _ : state) {
    regularizer.AddGradient(x, gradient);
    benchmark::DoNotOptimize(gradient.values.data());
  }
}

BENCHMARK(BM_SolverIteration)->Unit(benchmark::kSecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_RegularizerGradient)
    ->Arg(8)
    ->Arg(26)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);

}  // namespace
}  // namespace osmo
