// PWLS on a helical scan: the solver's grid holds every slice the rays cross (the long object
// problem), ordered subsets stay stable at the ends of the helix, and the output is close to the
// phantom.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "phantoms/phantom.h"
#include "phantoms/scan_simulation.h"
#include "projectors/geometry_presets.h"
#include "projectors/helical_trajectory.h"
#include "recon/fbp.h"
#include "recon/metrics.h"
#include "recon/pipeline/reconstruction.h"

namespace osmo {
namespace {

struct HelicalCase {
  ScanData scan;
  ImageGeometry grid;
  Image truth;
};

// The helical-small preset (3 turns, 8 rows of 5 mm, pitch 1) of the thorax-3d phantom.
const HelicalCase& Case() {
  static const HelicalCase kCase = [] {
    HelicalCase h;
    const ScanGeometry geometry = GeometryPreset("helical-small");
    const Phantom phantom = BuiltinPhantom("thorax-3d");
    DoseOptions dose;
    dose.incident_counts = 1e6;
    h.scan = SimulateMeasurement(geometry, AnalyticSinogram(phantom, geometry, 2), dose);
    h.grid = DefaultImageGeometry(geometry);
    h.truth = Rasterize(phantom, h.grid, 2);
    return h;
  }();
  return kCase;
}

// The largest |x| in the slices of the solver's grid outside the output's (the helix's ends),
// over all iterations, and the output's RMSD.
struct Outcome {
  double end_peak = 0.0;
  double rmsd_hu = 0.0;
  int64_t solver_slices = 0;
};

Outcome RunWithSubsets(int64_t subsets) {
  const HelicalCase& c = Case();
  ReconSettings settings;
  settings.start = StartKind::kZero;
  settings.solver.subsets = subsets;
  settings.solver.iterations = 12;
  settings.solver.subset_schedule = SubsetSchedule::kFixed;
  Outcome outcome;
  ReconHooks hooks;
  hooks.iteration = [&](const IterationRecord&, const SolverState& s) {
    const ImageGeometry& g = s.x.geometry;
    outcome.solver_slices = g.nz;
    const int64_t extra = (g.nz - c.grid.nz) / 2, slice = g.nx * g.ny;
    for (int64_t k = 0; k < g.nz; ++k) {
      if (k >= extra && k < g.nz - extra) continue;
      for (int64_t j = k * slice; j < (k + 1) * slice; ++j)
        outcome.end_peak = std::max(outcome.end_peak, double(std::abs(s.x.values[size_t(j)])));
    }
    return true;
  };
  const ReconResult result = Reconstruct(c.scan, c.grid, settings, {nullptr, &c.truth}, hooks);
  outcome.rmsd_hu = result.final_rmsd_hu.value_or(1e9);
  return outcome;
}

TEST(HelicalRecon, TheSolverGridCoversTheHelixAndTheEndsStayStableWith24Subsets) {
  const double mu_max = *std::max_element(Case().truth.values.begin(), Case().truth.values.end());
  const Outcome many = RunWithSubsets(24);
  std::printf("solver slices %lld (output %lld); end peak / max μ %.2f; RMSD %.1f HU\n",
              (long long)many.solver_slices, (long long)Case().grid.nz, many.end_peak / mu_max,
              many.rmsd_hu);
  // The grid reaches every slice the rays cross: 12 output slices of 5 mm and the detector's
  // shadow beyond the helix at both ends.
  const auto [z_lo, z_hi] = IlluminatedZRange(Case().scan.geometry);
  EXPECT_GE(double(many.solver_slices) * 5.0, z_hi - z_lo);
  // Measured: 0.99 × the phantom's largest μ at the ends, 76 HU after 12 iterations from zero
  // (os-ogm2, 24 subsets throughout). Solving on the output's slices only, the attenuation from
  // outside them piles up in the end slices (189 HU after 10 iterations from FBP).
  EXPECT_LT(many.end_peak, 1.5 * mu_max);
  EXPECT_LT(many.rmsd_hu, 100.0);
}

// The analytic baseline: helical rows rebinned to fan-beam slices, then fan FBP (Hann), against
// the rasterised phantom on the object, noise included (I0 = 1e6).
TEST(HelicalRecon, RebinnedFbpMatchesThePhantomOverTheCompleteDataRange) {
  const HelicalCase& c = Case();
  const Image fbp = FilteredBackprojection(c.scan.geometry, c.scan.sinogram, c.grid);  // Hann
  std::vector<uint8_t> object(c.truth.values.size());
  for (size_t j = 0; j < object.size(); ++j) object[j] = c.truth.values[j] > 0.0f;
  const double rmsd = RmsdHu(fbp, c.truth, object);
  // The same detector as one circular fan-beam turn of the 2D thorax: what FBP reaches without
  // a helix (the blur of 8 mm channels at the thorax's edges dominates both).
  ScanGeometry fan = c.scan.geometry;
  fan.kind = ScanKind::kFan;
  fan.n_rows = 1;
  fan.angles_rad.resize(123);
  fan.source_z_mm.clear();
  const Phantom thorax = BuiltinPhantom("thorax");
  DoseOptions dose;
  dose.incident_counts = 1e6;
  const ScanData fan_scan = SimulateMeasurement(fan, AnalyticSinogram(thorax, fan, 2), dose);
  ImageGeometry slice = c.grid;
  slice.nz = 1;
  slice.center_mm[2] = 0.0;
  const Image fan_truth = Rasterize(thorax, slice, 2);
  std::vector<uint8_t> fan_object(fan_truth.values.size());
  for (size_t j = 0; j < fan_object.size(); ++j) fan_object[j] = fan_truth.values[j] > 0.0f;
  const double circular =
      RmsdHu(FilteredBackprojection(fan, fan_scan.sinogram, slice), fan_truth, fan_object);
  std::printf("FBP RMSD: helical %.1f HU, circular fan %.1f HU\n", rmsd, circular);
  // Measured 86.4 vs 89.2 HU; rows taken from the wrong side of the source (z mirrored) give
  // 96.3 HU, so the bound is tight.
  EXPECT_LT(rmsd, 1.03 * circular);
  // Every slice, the first and last included, is as good as the middle one.
  const ImageGeometry& g = c.grid;
  auto slice_rmsd = [&](int64_t k) {
    std::vector<uint8_t> mask(object.size(), 0);
    for (int64_t j = k * g.nx * g.ny; j < (k + 1) * g.nx * g.ny; ++j)
      mask[size_t(j)] = object[size_t(j)];
    return RmsdHu(fbp, c.truth, mask);
  };
  const double middle = slice_rmsd(g.nz / 2);
  EXPECT_LT(slice_rmsd(0), 1.5 * middle);
  EXPECT_LT(slice_rmsd(g.nz - 1), 1.5 * middle);
}

}  // namespace
}  // namespace osmo
