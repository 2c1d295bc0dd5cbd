// Tests of image and scan geometry: contract formulas and validation messages.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>

#include "projectors/error.h"
#include "projectors/geometry_presets.h"
#include "projectors/helical_trajectory.h"
#include "projectors/image_geometry.h"
#include "projectors/projector.h"
#include "projectors/scan_geometry.h"
#include "tests/support/test_geometries.h"

namespace osmo {
namespace {

using testing::FanScan;
using testing::ParallelScan;
using testing::SquareImage;

// Expects `fn` to throw InputError whose message contains `fragment`.
template <typename Fn>
void ExpectInputError(Fn fn, const std::string& fragment) {
  try {
    fn();
    ADD_FAILURE() << "no InputError; expected one mentioning \"" << fragment << "\"";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ImageGeometry, VoxelCentresFollowTheContract) {
  ImageGeometry g = SquareImage(4, 2.0, 3, 5.0);
  g.center_mm = {10.0, -1.0, 2.0};
  EXPECT_DOUBLE_EQ(g.X(0), -3.0 + 10.0);
  EXPECT_DOUBLE_EQ(g.Y(3), 3.0 - 1.0);
  EXPECT_DOUBLE_EQ(g.Z(1), 2.0);
  EXPECT_EQ(g.Index(1, 2, 1), (1 * 4 + 2) * 4 + 1);
}

TEST(ScanGeometry, ChannelAndRowCoordinatesFollowTheContract) {
  ScanGeometry s = ParallelScan(5, 3, 0.5, 1.25);
  EXPECT_DOUBLE_EQ(s.ChannelU(2), 1.25 * 0.5);
  EXPECT_DOUBLE_EQ(s.ChannelU(0), (-2 + 1.25) * 0.5);
  s.n_rows = 4;
  s.row_spacing_mm = 2.0;
  s.row_offset = -0.5;
  EXPECT_DOUBLE_EQ(s.RowV(0), (-1.5 - 0.5) * 2.0);
}

// ge1 (ALGORITHMS.md §7): the offset detector's nearer edge is channel −0.5, at
// u = (−0.5 − 443.5 + 1.25)·1.0239 = −453.331 mm, fan angle 453.331/949.075 = 0.477656 rad, so the
// field of view (every ray of a full scan) has radius 541·sin(0.477656) = 248.70 mm.
TEST(ScanGeometry, FieldOfViewOfGe1IsTheContractValue) {
  ScanGeometry s = FanScan(DetectorShape::kArc, 888, 984, 1.0239, 1.25, 541.0, 949.075);
  EXPECT_NEAR(s.FieldOfViewRadiusMm(), 541.0 * std::sin(442.75 * 1.0239 / 949.075), 1e-9);
  EXPECT_NEAR(s.FieldOfViewRadiusMm(), 248.70, 0.005);
}

TEST(ScanGeometry, RejectsBadValuesWithTheirNames) {
  ExpectInputError(
      [] {
        ScanGeometry s = FanScan(DetectorShape::kArc, 10, 4, 1.0, 0.0, -5.0, 100.0);
        s.Validate("scan.h5");
      },
      "source_to_isocenter_mm: expected a positive finite number, found -5");
  ExpectInputError(
      [] {
        ScanGeometry s = FanScan(DetectorShape::kFlat, 10, 4, 1.0, 0.0, 200.0, 150.0);
        s.Validate("scan.h5");
      },
      "source_to_detector_mm");
  ExpectInputError(
      [] {
        ScanGeometry s = ParallelScan(10, 4, 1.0);
        s.angles_rad.clear();
        s.Validate("scan.h5");
      },
      "at least one view");
  ExpectInputError(
      [] {
        ScanGeometry s = ParallelScan(0, 4, 1.0);
        s.Validate("scan.h5");
      },
      "n_channels");
  ExpectInputError(
      [] {
        ScanGeometry s = ParallelScan(10, 4, 0.0);
        s.Validate("x");
      },
      "channel_spacing_mm");
}

// Ray against the test's independent ray construction, on a helix with a flying focal spot,
// and the shifted source where DICOM-CT-PD puts it: at angle β + Δφ, radius R + Δρ, z_k + Δz.
TEST(ScanGeometry, HelicalRaysStartAtTheShiftedFocalSpotAndEndOnTheUnshiftedDetector) {
  for (DetectorShape shape : {DetectorShape::kArc, DetectorShape::kFlat}) {
    ScanGeometry s = testing::HelicalScan(shape, 30, 6, 10, 2.0, 1.0, 1.2, 7.0);
    testing::AddFlyingFocalSpot(&s, 2e-3, 0.5, -1.0);
    ASSERT_NO_THROW(s.Validate("helix"));
    for (int64_t k : {0, 3, 17}) {
      for (double u : {-9.0, 0.0, 4.5}) {
        double p[3], d[3], p_ref[3], d_ref[3];
        s.Ray(k, u, 2.5, p, d);
        testing::RayOf(s, k, u, 2.5, p_ref, d_ref);
        for (int n = 0; n < 3; ++n) {
          EXPECT_NEAR(p[n], p_ref[n], 1e-9);
          EXPECT_NEAR(d[n], d_ref[n], 1e-12);
        }
        const double beta = s.angles_rad[size_t(k)] + s.source_shift_angle_rad[size_t(k)];
        const double rho = 200.0 + s.source_shift_radius_mm[size_t(k)];
        EXPECT_NEAR(p[0], rho * std::sin(beta), 1e-9);
        EXPECT_NEAR(p[1], -rho * std::cos(beta), 1e-9);
        EXPECT_NEAR(p[2], s.source_z_mm[size_t(k)] + s.source_shift_z_mm[size_t(k)], 1e-12);
      }
    }
    // The shifted focal spot sits a = (R+Δρ)·sin Δφ along e_u and b = R − (R+Δρ)·cos Δφ along e_r
    // from the unshifted source.
    EXPECT_NEAR(s.ShiftAlongU(1), 199.0 * std::sin(2e-3), 1e-12);
    EXPECT_NEAR(s.ShiftAlongR(1), 200.0 - 199.0 * std::cos(2e-3), 1e-12);
  }
}

TEST(ScanGeometry, RejectsBadTrajectoriesWithTheirNames) {
  auto helix = [] {
    return testing::HelicalScan(DetectorShape::kArc, 30, 6, 10, 2.0, 1.0, 1.2, 7.0);
  };
  ExpectInputError(
      [&] {
        ScanGeometry s = helix();
        s.source_z_mm.pop_back();
        s.Validate("scan.h5: /geometry");
      },
      "scan.h5: /geometry: source_z_mm: expected 20 values (one per view), found 19");
  ExpectInputError(
      [&] {
        ScanGeometry s = helix();
        s.source_z_mm[4] = std::nan("");
        s.Validate("scan.h5");
      },
      "source_z_mm[4]: expected a finite number");
  ExpectInputError(
      [&] {
        ScanGeometry s = FanScan(DetectorShape::kArc, 10, 4, 1.0);
        s.source_z_mm.assign(4, 1.0);
        s.Validate("scan.h5");
      },
      "cone beam only");
  ExpectInputError(
      [&] {
        ScanGeometry s = helix();
        s.source_shift_radius_mm.assign(20, 0.0);
        s.source_shift_radius_mm[7] = -150.0;
        s.Validate("scan.h5");
      },
      "source shifts of view 7");
}

// The helical presets: sizes, the trajectory summary osmo info prints and the default grid over
// the complete-data range (docs/FORMATS.md: z_min + h·(R + r)/D … z_max − h·(R + r)/D).
TEST(HelicalPresets, TrajectoryPitchAndCompleteDataRange) {
  const ScanGeometry ge = GeometryPreset("ge-helical");
  EXPECT_EQ(ge.NumViews(), 2952);
  EXPECT_EQ(ge.n_rows, 64);
  EXPECT_NEAR(RowCoverageAtIsocenterMm(ge), 40.0, 1e-9);
  const TrajectorySummary t = SummarizeTrajectory(ge);
  EXPECT_NEAR(t.turns, 3.0, 1e-9);
  EXPECT_NEAR(t.pitch, 0.984, 1e-9);
  EXPECT_NEAR(t.feed_per_turn_mm, 39.36, 1e-9);
  EXPECT_NEAR(t.z_min_mm, -59.04, 1e-9);
  const double margin = 20.0 * (541.0 + ge.FieldOfViewRadiusMm()) / 541.0;
  const auto [z_lo, z_hi] = CompleteDataZRange(ge);
  EXPECT_NEAR(z_lo, t.z_min_mm + margin, 1e-6);
  EXPECT_NEAR(z_hi, t.z_max_mm - margin, 1e-6);
  const ImageGeometry grid = DefaultImageGeometry(ge);
  EXPECT_NEAR(grid.slice_thickness_mm, 0.625, 1e-12);
  EXPECT_EQ(grid.nz, int64_t(std::floor((z_hi - z_lo) / 0.625)));
  EXPECT_NEAR(grid.center_mm[2], 0.5 * (z_lo + z_hi), 1e-9);
  // A table moving the other way: negative feed and pitch, the same ranges mirrored.
  ScanGeometry reversed = GeometryPreset("helical-small");
  for (double& z : reversed.source_z_mm) z = -z;
  EXPECT_NEAR(SummarizeTrajectory(reversed).pitch, -1.0, 1e-9);
  const auto forward_range = CompleteDataZRange(GeometryPreset("helical-small"));
  const auto reversed_range = CompleteDataZRange(reversed);
  EXPECT_NEAR(reversed_range.first, -forward_range.second, 1e-9);
  EXPECT_NEAR(reversed_range.second, -forward_range.first, 1e-9);
  // A helix from its pitch: z_k = start + pitch · coverage · (β_k − β_0)/2π.
  const std::vector<double> z = HelicalSourceZ(ge, -0.5, 10.0);
  EXPECT_DOUBLE_EQ(z.front(), 10.0);
  EXPECT_NEAR(z[984], 10.0 - 20.0, 1e-9);
}

TEST(ScanGeometry, RejectsASourceInsideTheImage) {
  const ScanGeometry s = FanScan(DetectorShape::kArc, 64, 8, 1.0, 0.0, 100.0, 200.0);
  ExpectInputError([&] { MakeProjector(SquareImage(200, 1.0), s); }, "source would be inside");
  EXPECT_NO_THROW(MakeProjector(SquareImage(64, 1.0), s));
}

TEST(ImageGeometry, RejectsEmptyAndNonPositiveSizes) {
  ExpectInputError([] { SquareImage(0, 1.0).Validate("grid"); }, "nx");
  ExpectInputError([] { SquareImage(8, -1.0).Validate("grid"); }, "voxel size");
}

}  // namespace
}  // namespace osmo

namespace osmo {
namespace {

// A mismatched image or sinogram is a programming error, but its message must still say what
// was expected and what was found.
TEST(Projector, ShapeMismatchesNameBothShapes) {
  const auto projector =
      MakeProjector(testing::SquareImage(16, 1.0), testing::ParallelScan(24, 10, 1.0));
  Sinogram wrong(9, 1, 24);
  Image image(testing::SquareImage(16, 1.0));
  try {
    projector->Forward(image, wrong);
    FAIL() << "a 9-view sinogram was accepted for a 10-view scan";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expected a sinogram of 10 views × 1 rows × 24 channels, "
                                         "found 9 views × 1 rows × 24 channels"),
              std::string::npos)
        << e.what();
  }
  Image small(testing::SquareImage(15, 1.0));
  Sinogram right(10, 1, 24);
  try {
    projector->Forward(small, right);
    FAIL() << "a 15² image was accepted for a 16² grid";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expected an image on 16×16×1"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("found 15×15×1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace osmo
