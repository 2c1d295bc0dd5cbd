// Forward and back projection speed on the cases of docs/BENCHMARKS.md.
// SPDX-License-Identifier: Apache-2.0
#include <benchmark/benchmark.h>
#include <omp.h>

#include <random>

#include "projectors/geometry_presets.h"
#include "projectors/projector.h"
#include "projectors/view_subsets.h"

namespace osmo {
namespace {

struct Case {
  ImageGeometry image;
  ScanGeometry scan;
  AxialFootprint axial = AxialFootprint::kRectangle;
};

// 1. fan "ge1" (arc, 888 × 984), 512² at 0.9765625 mm; 2. parallel 729 × 720 over 180°, 512² at
// 1 mm; 3. cone, flat 256 × 256 cells of 1 mm, R 1000, D 1536, 360 views, 256³ of 0.5 mm;
// 4. helical "ge-helical" (arc, 888 × 64 rows, 2952 views over 3 turns), a 512² × 64 slab of
// 0.977 × 0.625 mm centred at z = 0; 5. case 3 on an arc detector (1 mm of arc at D, the cells
// of a cylindrical detector of radius D); 6. case 3 with SF-TT; 7. case 5 with SF-TT.
Case MakeCase(int which) {
  Case c;
  if (which >= 5) {
    c = MakeCase(3);
    if (which != 6) c.scan.detector_shape = DetectorShape::kArc;
    if (which != 5) c.axial = AxialFootprint::kTrapezoid;
    return c;
  }
  if (which == 4) {
    c.scan = GeometryPreset("ge-helical");
    c.image.nx = c.image.ny = 512;
    c.image.nz = 64;
    c.image.voxel_size_mm = 0.9765625;
    c.image.slice_thickness_mm = 0.625;
  } else if (which == 1) {
    c.scan = GeometryPreset("ge1");
    c.image.nx = c.image.ny = 512;
    c.image.voxel_size_mm = 0.9765625;
  } else if (which == 2) {
    c.scan.kind = ScanKind::kParallel;
    c.scan.n_channels = 729;
    c.scan.channel_spacing_mm = 1.0;
    c.scan.angles_rad = EquallySpacedAngles(720, 0.0, M_PI);
    c.image.nx = c.image.ny = 512;
    c.image.voxel_size_mm = 1.0;
  } else {
    c.scan = GeometryPreset("cone-bench");
    c.image.nx = c.image.ny = c.image.nz = 256;
    c.image.voxel_size_mm = c.image.slice_thickness_mm = 0.5;
  }
  return c;
}

Image RandomImage(const ImageGeometry& g) {
  Image x(g);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.0f, 0.03f);
  for (float& v : x.values) v = u(rng);
  return x;
}

// Voxel-view updates per second over `n_views` views (all of the case's by default).
void Report(benchmark::State& state, const Case& c, int64_t n_views = -1) {
  if (n_views < 0) n_views = c.scan.NumViews();
  const double updates = double(c.image.NumVoxels()) * double(n_views);
  state.counters["voxel_views_per_s"] =
      benchmark::Counter(updates, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = omp_get_max_threads();
}

// One forward (back) projection of `views` per iteration: a random image (an all-ones sinogram).
void TimeForward(benchmark::State& state, const Case& c, const ViewList& views) {
  auto projector = MakeProjector(c.image, c.scan, ProjectorOptions{c.axial});
  const Image x = RandomImage(c.image);
  Sinogram y(c.scan);
  for (auto _ : state) {
    projector->Forward(x, y, views);
    benchmark::DoNotOptimize(y.values.data());
  }
}

void TimeBack(benchmark::State& state, const Case& c, const ViewList& views) {
  auto projector = MakeProjector(c.image, c.scan, ProjectorOptions{c.axial});
  Sinogram y(c.scan, 1.0f);
  Image x(c.image);
  for (auto _ : state) {
    projector->Back(y, x, views);
    benchmark::DoNotOptimize(x.values.data());
  }
}

void BM_Forward(benchmark::State& state) {
  const Case c = MakeCase(int(state.range(0)));
  TimeForward(state, c, AllViews(c.scan.NumViews()));
  Report(state, c);
}

void BM_Back(benchmark::State& state) {
  const Case c = MakeCase(int(state.range(0)));
  TimeBack(state, c, AllViews(c.scan.NumViews()));
  Report(state, c);
}

// A helical view only visits the slab of slices its detector sees: one turn of ge-helical's
// views (the middle one) projected onto 256² volumes of 64, 256 and 1024 slices of 0.625 mm
// (40 to 640 mm long) should take the same time.
void BM_HelicalSlab(benchmark::State& state) {
  Case c;
  c.scan = GeometryPreset("ge-helical");
  c.image.nx = c.image.ny = 256;
  c.image.nz = state.range(0);
  c.image.voxel_size_mm = 1.953125;
  c.image.slice_thickness_mm = 0.625;
  auto projector = MakeProjector(c.image, c.scan);
  const Image x = RandomImage(c.image);
  Sinogram y(c.scan);
  ViewList turn;
  const int64_t per_turn = 984;
  for (int64_t k = per_turn; k < 2 * per_turn; ++k) turn.push_back(k);
  for (auto _ : state) {
    projector->Forward(x, y, turn);
    benchmark::DoNotOptimize(y.values.data());
  }
  state.counters["views_per_s"] =
      benchmark::Counter(double(turn.size()), benchmark::Counter::kIsIterationInvariantRate);
}

// The same cases through 8 of their views, spread evenly over the scan, on one iteration: a run
// short enough for valgrind's instruction counts (bench/instruction_counts.sh), with the per-view
// work of the full case.
ViewList EightViews(const ScanGeometry& scan) {
  ViewList views;
  for (int64_t n = 0; n < 8; ++n) views.push_back(n * scan.NumViews() / 8);
  return views;
}

void ReportEightViews(benchmark::State& state, const Case& c) {
  state.counters["voxel_views"] = double(c.image.NumVoxels()) * 8.0;
  state.counters["threads"] = omp_get_max_threads();
}

void BM_ForwardEightViews(benchmark::State& state) {
  const Case c = MakeCase(int(state.range(0)));
  TimeForward(state, c, EightViews(c.scan));
  ReportEightViews(state, c);
}

void BM_BackEightViews(benchmark::State& state) {
  const Case c = MakeCase(int(state.range(0)));
  TimeBack(state, c, EightViews(c.scan));
  ReportEightViews(state, c);
}

// Case 4 through every 8th view of its middle turn (123 views, each seeing the whole slab): a run
// of one to two seconds for comparing helical changes, where case 4 in full takes half a minute.
ViewList MiddleTurnSample(const ScanGeometry& scan) {
  const int64_t per_turn = scan.NumViews() / 3;
  ViewList views;
  for (int64_t k = per_turn; k < 2 * per_turn; k += 8) views.push_back(k);
  return views;
}

void BM_ForwardHelicalSample(benchmark::State& state) {
  const Case c = MakeCase(4);
  const ViewList views = MiddleTurnSample(c.scan);
  TimeForward(state, c, views);
  Report(state, c, int64_t(views.size()));
}

void BM_BackHelicalSample(benchmark::State& state) {
  const Case c = MakeCase(4);
  const ViewList views = MiddleTurnSample(c.scan);
  TimeBack(state, c, views);
  Report(state, c, int64_t(views.size()));
}

BENCHMARK(BM_Forward)->DenseRange(1, 7)->Unit(benchmark::kSecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_Back)->DenseRange(1, 7)->Unit(benchmark::kSecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_ForwardEightViews)->DenseRange(1, 7)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_BackEightViews)->DenseRange(1, 7)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_ForwardHelicalSample)->Unit(benchmark::kSecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_BackHelicalSample)->Unit(benchmark::kSecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_HelicalSlab)
    ->Arg(64)
    ->Arg(256)
    ->Arg(1024)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->MinTime(1.0);

}  // namespace
}  // namespace osmo
