// Tests of geometry JSON files and presets.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/geometry_json.h"

#include <gtest/gtest.h>

#include <cmath>

#include "projectors/error.h"
#include "projectors/geometry_presets.h"

namespace osmo {
namespace {

TEST(GeometryJson, TheIssueExampleEqualsTheGe1Preset) {
  const ScanGeometry g = ParseGeometryJson(R"({"kind": "fan", "detector_shape": "arc",
      "source_to_isocenter_mm": 541, "source_to_detector_mm": 949.075,
      "channel_spacing_mm": 1.0239, "channel_offset": 1.25, "n_channels": 888, "n_rows": 1,
      "n_views": 984, "angle_start_deg": 0, "angle_span_deg": 360})",
                                           "g.json");
  const ScanGeometry ge1 = GeometryPreset("ge1");
  EXPECT_EQ(g.kind, ge1.kind);
  EXPECT_EQ(g.detector_shape, ge1.detector_shape);
  EXPECT_EQ(g.n_channels, ge1.n_channels);
  EXPECT_EQ(g.channel_offset, ge1.channel_offset);
  ASSERT_EQ(g.NumViews(), ge1.NumViews());
  for (int64_t v = 0; v < g.NumViews(); ++v)
    EXPECT_NEAR(g.angles_rad[size_t(v)], ge1.angles_rad[size_t(v)], 1e-12);
}

TEST(GeometryJson, ExplicitAnglesAndErrors) {
  const ScanGeometry g = ParseGeometryJson(
      R"({"kind": "parallel", "channel_spacing_mm": 1, "n_channels": 4, "angles_rad": [0, 0.5, 1]})",
      "p.json");
  EXPECT_EQ(g.NumViews(), 3);
  EXPECT_EQ(g.angles_rad[1], 0.5);
  auto expect_error = [](const std::string& text, const std::string& fragment) {
    try {
      ParseGeometryJson(text, "bad.json");
      ADD_FAILURE() << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error(R"({"kind": "fan", "channel_spacing_mm": 1, "n_channels": 4, "n_views": 3})",
               "bad.json: detector_shape: expected a string, found nothing (missing key)");
  expect_error(R"({"kind": "parallel", "channel_spacing_mm": -1, "n_channels": 4, "n_views": 3})",
               "channel_spacing_mm: expected a positive finite number, found -1");
  expect_error(R"({"kind": "parallel", "channel_spacing_mm": 1, "n_channels": 4, "n_view": 3})",
               "bad.json: n_view: expected a geometry key, found an unknown key");
  expect_error(R"({"kind": "parallel", "channel_spacing_mm": 1, "n_channels": 2.5, "n_views": 3})",
               "n_channels: expected a whole number");
}

TEST(GeometryPresets, DefaultGridsCoverTheFieldOfView) {
  // Voxels at the detector's pitch at the isocentre (ge1: 1.0239 mm × 541/949.075), the fewest
  // (an even number) covering the field of view.
  for (const std::string name : {"ge1", "ge1-half", "parallel", "cone-small"}) {
    SCOPED_TRACE(name);
    const ScanGeometry scan = GeometryPreset(name);
    const ImageGeometry grid = DefaultImageGeometry(scan);
    const double magnification = scan.kind == ScanKind::kParallel
                                     ? 1.0
                                     : scan.source_to_detector_mm / scan.source_to_isocenter_mm;
    const double pitch = scan.channel_spacing_mm / magnification;
    EXPECT_EQ(grid.nx % 2, 0);
    EXPECT_NEAR(grid.voxel_size_mm * double(grid.nx), 2 * scan.FieldOfViewRadiusMm(), 1e-9);
    EXPECT_LE(grid.voxel_size_mm, pitch);
    EXPECT_GT(grid.voxel_size_mm * double(grid.nx + 2), 2 * scan.FieldOfViewRadiusMm());
    EXPECT_GT(grid.voxel_size_mm, pitch * double(grid.nx - 2) / double(grid.nx));
  }
  EXPECT_EQ(DefaultImageGeometry(GeometryPreset("ge1")).nx, 854);
  EXPECT_EQ(DefaultImageGeometry(GeometryPreset("ge1-half")).nx, 426);
  const ImageGeometry cone = DefaultImageGeometry(GeometryPreset("cone-small"));
  EXPECT_GT(cone.nz, 1);
  EXPECT_THROW(GeometryPreset("ge2"), InputError);
  EXPECT_THROW(LoadGeometry("no_such_file.json"), InputError);
}

}  // namespace
}  // namespace osmo
