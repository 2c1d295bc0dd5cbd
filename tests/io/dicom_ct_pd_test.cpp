// DICOM-CT-PD import: files written by a synthetic writer that builds its rays from the format's
// own definitions, in both tag generations and both pixel layouts, with and without a flying
// focal spot, for each patient position; and every malformed file.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/dicom_ct_pd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "phantoms/phantom.h"
#include "phantoms/scan_simulation.h"
#include "projectors/error.h"
#include "projectors/geometry_presets.h"
#include "projectors/helical_trajectory.h"
#include "recon/fbp.h"
#include "recon/io/dicom_series.h"
#include "tests/support/dicom_ct_pd_writer.h"

namespace osmo {
namespace {

using test::CtPdGeneration;
using test::CtPdScanSpec;

constexpr double kPi = 3.14159265358979323846;

// A removed folder named after the test case (parameterised names nest: "…/0").
std::string FreshFolder(const std::string& name) {
  const std::string folder = ::testing::TempDir() + "ctpd_" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                             name;
  std::filesystem::remove_all(folder);
  return folder;
}

// An asymmetric phantom in the patient's LPS frame (mm, 1/mm): a water body, a dense ellipsoid
// at the patient's left, anterior and superior, a smaller one right, posterior and inferior.
Phantom AsymmetricPhantom() {
  Phantom p;
  p.name = "asymmetric";
  p.is_3d = true;
  p.shapes.push_back({{0, 0, 0}, {130, 95, 70}, 0.0, 0.02});
  p.shapes.push_back({{50, -35, 15}, {28, 20, 18}, 0.0, 0.01});
  p.shapes.push_back({{-60, 40, -10}, {15, 15, 25}, 0.0, 0.02});
  return p;
}

test::LineIntegralFn Integrals(const Phantom& phantom) {
  return [phantom](const std::array<double, 3>& p, const std::array<double, 3>& d) {
    return phantom.LineIntegral(p, d);
  };
}

// The real detector scaled down 8× across and 8× along (the same fan and cone angles), 144 views
// per turn, 1.5 turns at pitch 0.6 centred on z = 0; the central element off centre as in L067.
CtPdScanSpec SmallSpec() {
  CtPdScanSpec s;
  s.n_columns = 92;
  s.n_rows = 8;
  s.column_spacing_mm = 1.2858393 * 8;
  s.row_spacing_mm = 1.0947227 * 8;
  s.central_column = 46.5 + 1.125;
  s.central_row = 4.5 + 0.25;
  s.views_per_turn = 144;
  s.n_views = 216;
  s.feed_per_turn_mm = 23.04;
  s.z_start_mm = -0.75 * 23.04;
  return s;
}

// Imports and compares every value with osmo's own exact line integrals on the imported
// geometry: both are single rays through the cell centres, so they agree to the 16-bit
// quantisation only if the mapping reproduces every ray.
void ExpectImportReproducesRays(const CtPdScanSpec& spec, const std::string& folder) {
  const Phantom phantom = AsymmetricPhantom();
  test::WriteCtPdScan(folder, spec, Integrals(phantom));
  const DicomCtPdImport imported = ImportDicomCtPd(folder, {});
  const ScanData& scan = imported.scan;
  ASSERT_EQ(scan.geometry.NumViews(), spec.n_views);
  const Sinogram exact = AnalyticSinogram(phantom, scan.geometry, 1);
  const double tolerance = 0.51 * spec.rescale_slope + 1e-6;
  double worst = 0.0, largest = 0.0;
  for (size_t i = 0; i < exact.values.size(); ++i) {
    worst = std::max(worst, std::abs(double(scan.sinogram.values[i]) - double(exact.values[i])));
    largest = std::max(largest, double(exact.values[i]));
  }
  EXPECT_LE(worst, tolerance) << "largest line integral " << largest;
  EXPECT_GT(largest, 3.0);
  // Weights N0·exp(−y), N0 of the cell's own detector column: u = sz·(column − C_col)·Δcol,
  // sz = −1 for feet-first positions.
  ASSERT_TRUE(scan.weights.has_value());
  const bool feet_first = !spec.patient_position.empty() && spec.patient_position[0] == 'F';
  double worst_weight = 0.0;
  for (int64_t k = 0; k < scan.geometry.NumViews(); k += 37) {
    for (int64_t c = 0; c < spec.n_columns; ++c) {
      const double along = scan.geometry.ChannelU(double(c)) / spec.column_spacing_mm;
      const double column = spec.central_column + (feet_first ? -along : along);
      const double n0 = test::PhotonsOf(spec, int(k), int(std::lround(column)));
      const double expected = n0 * std::exp(-double(scan.sinogram.at(k, 0, c)));
      worst_weight = std::max(worst_weight, std::abs(scan.weights->at(k, 0, c) / expected - 1.0));
    }
  }
  EXPECT_LT(worst_weight, 1e-5);
}

using RayCase = std::tuple<CtPdGeneration, bool /*transposed*/, bool /*ffs*/, std::string>;

class CtPdRays : public ::testing::TestWithParam<RayCase> {};

TEST_P(CtPdRays, ImportedGeometryReproducesEveryRay) {
  const auto& [generation, transposed, ffs, position] = GetParam();
  CtPdScanSpec spec = SmallSpec();
  spec.generation = generation;
  spec.transposed_layout = transposed;
  spec.flying_focal_spot = ffs;
  spec.patient_position = position;
  ExpectImportReproducesRays(spec, FreshFolder("scan"));
}

INSTANTIATE_TEST_SUITE_P(GenerationsLayoutsShiftsPositions, CtPdRays,
                         ::testing::Values(RayCase{CtPdGeneration::kTcia, false, true, ""},
                                           RayCase{CtPdGeneration::k2016, false, true, "HFS"},
                                           RayCase{CtPdGeneration::kTcia, true, false, "FFS"},
                                           RayCase{CtPdGeneration::k2016, true, true, "FFS"},
                                           RayCase{CtPdGeneration::kTcia, false, true, "HFP"},
                                           RayCase{CtPdGeneration::kTcia, false, false, "FFP"}));

TEST(CtPdImport, FlatDetectorReproducesEveryRay) {
  CtPdScanSpec spec = SmallSpec();
  spec.cylindrical = false;
  spec.flying_focal_spot = true;
  ExpectImportReproducesRays(spec, FreshFolder("scan"));
}

// The published L067 header values (736 × 64 cells of 1.2858 × 1.0947 mm, ρ0 595 mm, d0 1085.6
// mm, central element (369.625, 32.5), 2304 views per turn) map to the expected osmo geometry.
TEST(CtPdImport, PublishedHeaderValuesGiveTheExpectedGeometry) {
  for (CtPdGeneration generation : {CtPdGeneration::k2016, CtPdGeneration::kTcia}) {
    CtPdScanSpec spec;  // the real values
    spec.generation = generation;
    spec.flying_focal_spot = true;
    spec.mu_water_per_mm = generation == CtPdGeneration::kTcia ? 0.01926 : 0.0192;
    const std::string folder = FreshFolder(generation == CtPdGeneration::kTcia ? "tcia" : "2016");
    test::WriteCtPdScan(folder, spec, [](const auto&, const auto&) { return 1.0; });
    const DicomCtPdImport imported = ImportDicomCtPd(folder, {});
    const ScanGeometry& g = imported.scan.geometry;
    EXPECT_EQ(g.kind, ScanKind::kCone);
    EXPECT_EQ(g.detector_shape, DetectorShape::kArc);
    EXPECT_EQ(g.n_channels, 736);
    EXPECT_EQ(g.n_rows, 64);
    EXPECT_NEAR(g.source_to_isocenter_mm, 595.0, 1e-4);
    EXPECT_NEAR(g.source_to_detector_mm, 1085.6, 1e-4);
    EXPECT_NEAR(g.channel_spacing_mm, 1.2858393, 1e-6);
    EXPECT_NEAR(g.row_spacing_mm, 1.0947227, 1e-6);
    EXPECT_NEAR(g.channel_offset, -1.125, 1e-6);  // (N + 1)/2 − ColX, 1-based
    EXPECT_NEAR(g.row_offset, 0.0, 1e-6);
    // Head first supine (assumed): β = −φ0; z = z0; Δβ = −Δφ.
    EXPECT_NEAR(g.angles_rad[0], -4.6796641, 1e-6);
    EXPECT_NEAR(g.angles_rad[1] - g.angles_rad[0], 2 * kPi / 2304, 1e-6);
    EXPECT_NEAR(g.SourceZ(0), 48.51, 1e-4);
    EXPECT_NEAR(g.ShiftAngle(0), -3.33e-4, 1e-9);
    EXPECT_NEAR(g.ShiftZ(1), -0.66, 1e-6);
    EXPECT_NEAR(g.ShiftRadius(1), 5.45, 1e-5);
    EXPECT_NEAR(*imported.scan.mu_water_per_mm,
                generation == CtPdGeneration::kTcia ? 0.01926 : 0.0192, 1e-9);
    EXPECT_EQ(imported.scan.patient_position, "HFS");
    // The note says which tag order was found, by magnitude.
    std::string notes;
    for (const std::string& n : imported.notes) notes += n + "\n";
    EXPECT_NE(notes.find(generation == CtPdGeneration::kTcia ? "v3 tag order" : "v8 tag order"),
              std::string::npos)
        << notes;
    EXPECT_NE(notes.find("assumed HFS"), std::string::npos) << notes;
  }
}

// Reconstructed, the imported scan shows the phantom where the patient is: FBP of a feet-first
// scan (z reversed, channels reversed) against the rasterised LPS phantom.
TEST(CtPdImport, ReconstructionShowsThePhantomInThePatientFrame) {
  CtPdScanSpec spec = SmallSpec();
  spec.patient_position = "FFS";
  spec.n_views = 720;  // 5 turns: complete data for −30 < z < 30 mm
  spec.z_start_mm = -2.5 * 23.04;
  const std::string folder = FreshFolder("scan");
  const Phantom phantom = AsymmetricPhantom();
  test::WriteCtPdScan(folder, spec, Integrals(phantom));
  const ScanData scan = ImportDicomCtPd(folder, {}).scan;
  const auto [z_lo, z_hi] = CompleteDataZRange(scan.geometry);
  ImageGeometry grid = DefaultImageGeometry(scan.geometry);
  grid.nx = grid.ny = 64;
  grid.voxel_size_mm = 4.5;
  grid.nz = 4;
  grid.slice_thickness_mm = 5.0;
  grid.center_mm = {0.0, 0.0, 15.0};  // through the dense ellipsoid (z 15 ± 18)
  ASSERT_LT(z_lo, 5.0);
  ASSERT_GT(z_hi, 25.0);
  const Image image = FilteredBackprojection(scan.geometry, scan.sinogram, grid, {});
  const Image truth = Rasterize(phantom, grid);
  double error = 0.0, left = 0.0, right = 0.0;
  int64_t n = 0, n_left = 0, n_right = 0;
  for (int64_t k = 0; k < grid.nz; ++k) {
    for (int64_t j = 0; j < grid.ny; ++j) {
      for (int64_t i = 0; i < grid.nx; ++i) {
        const double x = grid.X(i), y = grid.Y(j);
        if (x * x + y * y > 140.0 * 140.0) continue;
        const double v = image.at(i, j, k);
        error += (v - truth.at(i, j, k)) * (v - truth.at(i, j, k));
        ++n;
        // The dense ellipsoid's centre (50, −35) and its mirror images across x and y.
        if (std::hypot(x - 50, y + 35) < 12) left += v, ++n_left;
        if (std::hypot(x + 50, y + 35) < 12 || std::hypot(x - 50, y - 35) < 12)
          right += v, ++n_right;
      }
    }
  }
  const double rmsd = std::sqrt(error / double(n));
  EXPECT_LT(rmsd, 0.0025) << "RMSD " << rmsd << " /mm (water 0.02)";
  EXPECT_GT(left / double(n_left), 0.028);    // water 0.02 + 0.01 inside the dense ellipsoid
  EXPECT_LT(right / double(n_right), 0.023);  // its mirror images hold water
}

TEST(CtPdImport, ViewAndZRangesSelectViews) {
  CtPdScanSpec spec = SmallSpec();
  spec.n_views = 576;  // 4 turns: the far-edge shadow is ±27 mm
  spec.z_start_mm = -2 * 23.04;
  const std::string folder = FreshFolder("scan");
  test::WriteCtPdScan(folder, spec, [](const auto&, const auto&) { return 0.5; });
  DicomCtPdOptions options;
  ParseViewRange("10:50", &options);
  ScanData scan = ImportDicomCtPd(folder, options).scan;
  ASSERT_EQ(scan.geometry.NumViews(), 40);
  EXPECT_NEAR(scan.geometry.angles_rad[0], -test::ViewPose(spec, 10).phi, 1e-6);

  DicomCtPdOptions slab;
  ParseZRange("-2:4", &slab);
  scan = ImportDicomCtPd(folder, slab).scan;
  EXPECT_LT(scan.geometry.NumViews(), spec.n_views);
  EXPECT_GT(scan.geometry.NumViews(), 300);
  const auto [z_lo, z_hi] = CompleteDataZRange(scan.geometry);
  EXPECT_NEAR(z_lo, -2.0, 0.2);  // the views cover exactly the slab, to a view's feed
  EXPECT_NEAR(z_hi, 4.0, 0.2);

  EXPECT_THROW(ParseViewRange("50:10", &options), InputError);
  EXPECT_THROW(ParseViewRange("a:b", &options), InputError);
  EXPECT_THROW(ParseZRange("4:-2", &options), InputError);
  DicomCtPdOptions outside;
  ParseZRange("500:600", &outside);
  EXPECT_THROW(ImportDicomCtPd(folder, outside), InputError);
}

// A malformed scan: the import fails with an InputError whose text names the file and says
// `expected`.
void ExpectRejected(const CtPdScanSpec& spec, const std::string& file_part,
                    const std::string& expected) {
  const std::string folder = FreshFolder("bad");
  test::WriteCtPdScan(folder, spec, [](const auto&, const auto&) { return 0.5; });
  try {
    ImportDicomCtPd(folder, {});
    FAIL() << "accepted; expected an error with " << expected;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file_part), std::string::npos) << what;
    EXPECT_NE(what.find(expected), std::string::npos) << what;
  }
}

CtPdScanSpec TinySpec(CtPdGeneration generation = CtPdGeneration::kTcia) {
  CtPdScanSpec s = SmallSpec();
  s.n_views = 6;
  s.generation = generation;
  return s;
}

// In the writer, view k is file view%05d with the number n_views − k.
TEST(CtPdImport, MalformedFilesAreRejectedNamingFileAndTag) {
  CtPdScanSpec spec = TinySpec();
  spec.tamper = [](int k, gdcm::DataSet& ds) {
    if (k == 2) ds.Remove(gdcm::Tag(0x7031, 0x1001));
  };
  ExpectRejected(spec, "view00004.dcm: (7031,1001) DetectorFocalCenterAngularPosition",
                 "no such tag");

  spec = TinySpec(CtPdGeneration::k2016);  // explicit VR: a VR can be wrong
  spec.tamper = [](int k, gdcm::DataSet& ds) {
    if (k == 0) test::PutElement(ds, 0x7029, 0x1010, gdcm::VR::DS, "64");
  };
  ExpectRejected(spec, "view00006.dcm: (7029,1010) NumberofDetectorRows", "expected VR US");

  spec = TinySpec();
  spec.tamper = [](int k, gdcm::DataSet& ds) {
    if (k == 1) test::PutElement(ds, 0x7031, 0x1033, gdcm::VR::FL, std::string(4, '\0'));
  };
  ExpectRejected(spec, "(7031,1033) DetectorCentralElement", "2 float32 value(s)");

  spec = TinySpec();  // DICOM Rows that fit neither layout
  spec.tamper = [](int, gdcm::DataSet& ds) {
    const uint16_t rows = 90;
    test::PutElement(ds, 0x0028, 0x0010, gdcm::VR::US,
                     std::string(reinterpret_cast<const char*>(&rows), 2));
  };
  ExpectRejected(spec, "Rows", "92 × 8 or 8 × 92");

  spec = TinySpec();  // pixel data cut short
  spec.tamper = [](int k, gdcm::DataSet& ds) {
    if (k == 3) test::PutElement(ds, 0x7FE0, 0x0010, gdcm::VR::OW, std::string(100, '\0'));
  };
  ExpectRejected(spec, "view00003.dcm: (7FE0,0010) PixelData", "1472 bytes");

  spec = TinySpec();
  spec.tamper = [](int k, gdcm::DataSet& ds) {
    if (k == 4) test::PutElement(ds, 0x0020, 0x000E, gdcm::VR::UI, "1.2.3.4");
  };
  ExpectRejected(spec, "view00002.dcm: (0020,000E) SeriesInstanceUID", "a mixed series");

  spec = TinySpec();
  spec.tamper = [](int k, gdcm::DataSet& ds) {
    if (k == 4) test::PutElement(ds, 0x0020, 0x0013, gdcm::VR::IS, "4 ");
  };
  ExpectRejected(spec, "(0020,0013) InstanceNumber", "a number no other view has");

  spec = TinySpec();
  spec.tamper = [](int, gdcm::DataSet& ds) {
    test::PutElement(ds, 0x7039, 0x1009, gdcm::VR::CS, "NO");
  };
  ExpectRejected(spec, "(7039,1009) LogFlag", "YES (log-converted");

  spec = TinySpec();
  spec.tamper = [](int k, gdcm::DataSet& ds) {
    if (k == 5) test::PutElement(ds, 0x7033, 0x1065, gdcm::VR::FL, std::string(8, '\0'));
  };
  ExpectRejected(spec, "view00001.dcm: (7033,1065) PhotonStatistics", "92 float32 value(s)");

  spec = TinySpec();
  spec.tamper = [](int k, gdcm::DataSet& ds) {
    if (k == 5) test::PutElement(ds, 0x7029, 0x1002, gdcm::VR::FL, std::string(4, '\0'));
  };
  ExpectRejected(spec, "(7029,1002) DetectorElementTransverseSpacing", "as in");
}

TEST(CtPdImport, OtherFilesAreRejected) {
  // Not DICOM.
  std::string folder = FreshFolder("text");
  std::filesystem::create_directories(folder);
  std::ofstream(folder + "/notes.txt") << "not a DICOM file\n";
  EXPECT_THROW(
      {
        try {
          ImportDicomCtPd(folder, {});
        } catch (const InputError& e) {
          EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos);
          EXPECT_NE(std::string(e.what()).find("not DICOM"), std::string::npos);
          throw;
        }
      },
      InputError);
  // A DICOM image series (osmo's own CT output), not projection data.
  folder = FreshFolder("images");
  ImageGeometry small;
  small.nx = small.ny = 8;
  small.nz = 2;
  Image image(small, 0.02f);
  WriteDicomSeries(folder, image, {});
  try {
    ImportDicomCtPd(folder, {});
    FAIL() << "an image series was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("DICOM-CT-PD projection data"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("modality CT"), std::string::npos) << e.what();
  }
  // An empty folder and a missing one.
  folder = FreshFolder("empty");
  std::filesystem::create_directories(folder);
  EXPECT_THROW(ImportDicomCtPd(folder, {}), InputError);
  EXPECT_THROW(ImportDicomCtPd(folder + "/missing", {}), InputError);
}

}  // namespace
}  // namespace osmo
