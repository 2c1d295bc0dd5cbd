// A synthetic DICOM-CT-PD writer for tests: one DICOM file per view, written with GDCM, holding
// exact line integrals of a phantom through rays built from the format's own definitions
// (Chen et al. 2015; Moen et al. 2021; ../shared/research/dicom-ct-pd.md §1.5), in its
// left-handed gantry frame — independently of osmo's importer and its mapping.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gdcmDataSet.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>

namespace osmo::test {

// The two generations of files: the 2016 Grand Challenge files (Explicit VR Little Endian, CT
// Image Storage, private creator "CT IMG ACQUISITION", (7033,100B) axial and (7033,100C) angular
// shift as in dictionary v8, μ_water in (0018,0061)) and the TCIA library files (Implicit VR
// Little Endian, Raw Data Storage, "CtProjectionData-MayoClinc-v1", 100B angular and 100C axial as
// in manual v3, μ_water in (7041,1001)).
enum class CtPdGeneration { k2016, kTcia };

struct CtPdScanSpec {
  CtPdGeneration generation = CtPdGeneration::kTcia;
  bool transposed_layout = false;  // DICOM Rows = detector rows (the released files: columns)
  bool cylindrical = true;
  int n_rows = 64, n_columns = 736;
  double column_spacing_mm = 1.2858393, row_spacing_mm = 1.0947227;  // at the detector
  double rho_mm = 595.0, d0_mm = 1085.6;
  double central_column = 369.625, central_row = 32.5;  // 1-based
  int views_per_turn = 2304;
  int n_views = 4;
  double phi_start_rad = 4.6796641;
  double phi_direction = -1.0;  // φ0 decreases with the view number (the L067 scan turns CW)
  double z_start_mm = 48.51;
  double feed_per_turn_mm = 23.04;  // pitch 0.6 × 38.4 mm
  // z flying focal spot as in a TCIA scan: Δφ alternating 3.33e-4/3.36e-4 rad, Δz 0/−0.66 mm,
  // Δρ 0/+5.45 mm (the spot moves along the 7° anode).
  bool flying_focal_spot = false;
  bool photon_statistics = true;  // (7033,1065), N0 per column, rising towards the centre
  std::string patient_position;   // (0018,5100); empty: not written
  double rescale_slope = 1.4143614681e-4, rescale_intercept = -0.2077793795;
  // μ_water (1/mm): (7041,1001) in TCIA files, (0018,0061) in 2016 files.
  double mu_water_per_mm = 0.01926;
  std::string series_uid = "1.2.826.0.1.3680043.2.1143.999.1";
  // Measured, not exact, line integrals: counts ~ Poisson(N0·e^(−y)) with N0 of PhotonsOf scaled
  // by dose_scale (also what PhotonStatistics then holds), y = −log(max(counts, 0.5)/N0).
  bool poisson_noise = false;
  double dose_scale = 1.0;
  uint64_t seed = 1;
  // Called on each view's data set just before it is written: tests break files with it.
  std::function<void(int view, gdcm::DataSet&)> tamper;
};

// The patient's LPS coordinates of a point given in the format's gantry frame (x_L to the right
// and y_L up for a viewer at the table looking into the gantry, z into the gantry), for a
// patient lying as `position` says ("" = "HFS"), derived from anatomy: supine, up is anterior;
// head first, into the gantry is superior; head-first supine, the viewer's right is the
// patient's left.
std::array<double, 3> PatientFromGantry(const std::string& position, std::array<double, 3> p);

// Line integral of μ (1/mm) along the ray from `start` in unit direction `direction`, both in
// the patient's LPS frame (mm).
using LineIntegralFn = std::function<double(const std::array<double, 3>& start,
                                            const std::array<double, 3>& direction)>;

// The format's ray of view k (0-based), column c and row r (1-based), in its gantry frame.
void CtPdRay(const CtPdScanSpec& spec, int view, int column, int row, std::array<double, 3>* start,
             std::array<double, 3>* direction);
// The focal centre's φ0 and z0 and the focal spot's shifts (Δφ, Δz, Δρ) of view k: the exact
// positions the rays start from; the files store φ0 in float32 and z0 rounded to 0.01 mm.
struct CtPdViewPose {
  double phi, z, shift_phi, shift_z, shift_rho;
};
CtPdViewPose ViewPose(const CtPdScanSpec& spec, int view);
// N0 of detector column c (1-based) in view k.
double PhotonsOf(const CtPdScanSpec& spec, int view, int column);

// Writes spec.n_views files into `folder` (created), named in the reverse of the acquisition
// order so that only InstanceNumber sorts them. Values are quantised to uint16 with the rescale.
void WriteCtPdScan(const std::string& folder, const CtPdScanSpec& spec,
                   const LineIntegralFn& line_integral);

// Replaces (or adds) a tag's value with raw bytes and a VR.
void PutElement(gdcm::DataSet& data_set, uint16_t group, uint16_t element, gdcm::VR vr,
                const std::string& bytes);

}  // namespace osmo::test
