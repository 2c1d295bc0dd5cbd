// DICOM-CT-PD frame → osmo frame (the formulas are in dicom_ct_pd_frame.h).
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/dicom_ct_pd_frame.h"

#include <cmath>

#include "projectors/error.h"

namespace osmo {

namespace {

constexpr double kPi = 3.14159265358979323846;
// ρ0 may differ between views only by float round-off: osmo's detector has one radius.
constexpr double kRadiusToleranceMm = 1e-3;

// The half turn from the gantry frame (LPS for a head-first supine patient) to the patient's LPS.
struct HalfTurn {
  int sy = 1, sz = 1;
};

HalfTurn HalfTurnOf(PatientPosition position) {
  switch (position) {
    case PatientPosition::kHfs:
      return {1, 1};
    case PatientPosition::kFfs:
      return {1, -1};  // about y: x and z reverse
    case PatientPosition::kHfp:
      return {-1, 1};  // about z: x and y reverse
    case PatientPosition::kFfp:
      return {-1, -1};  // about x: y and z reverse
  }
  return {};
}

}  // namespace

PatientPosition ParsePatientPosition(const std::string& text, const std::string& where) {
  return ParseEnum(kPatientPositions, text, where);
}

CtPdMapping MapCtPdGeometry(const CtPdDetector& detector, const std::vector<CtPdView>& views,
                            PatientPosition position, const std::string& where) {
  if (views.empty()) throw InputError(where, "at least one projection view", "none");
  const double rho = views.front().rho_mm;
  for (size_t k = 0; k < views.size(); ++k) {
    if (std::abs(views[k].rho_mm - rho) > kRadiusToleranceMm) {
      throw InputError(
          where + ": (7031,1003) DetectorFocalCenterRadialDistance of view " + std::to_string(k),
          "the same focal-centre radius in every view (" + ToText(rho) + " mm)",
          ToText(views[k].rho_mm) + " mm");
    }
  }
  const HalfTurn turn = HalfTurnOf(position);
  const double sz = turn.sz;
  const double angle_origin = turn.sy < 0 ? kPi : 0.0;

  CtPdMapping m;
  ScanGeometry& g = m.geometry;
  g.kind = ScanKind::kCone;
  g.detector_shape = detector.shape;
  g.source_to_isocenter_mm = rho;
  g.source_to_detector_mm = detector.focal_center_to_detector_mm;
  g.n_channels = detector.n_columns;
  g.n_rows = detector.n_rows;
  g.channel_spacing_mm = detector.column_spacing_mm;
  g.row_spacing_mm = detector.row_spacing_mm;
  // u_c' = sz·(c − C_col)·Δcol with c the 1-based column of osmo channel c' (see the header).
  g.channel_offset = sz * (0.5 * double(detector.n_columns + 1) - detector.central_column);
  g.row_offset = sz * (detector.central_row - 0.5 * double(detector.n_rows + 1));
  m.cells = {sz<0, sz> 0, detector.n_rows, detector.n_columns};

  bool any_shift = false;
  for (const CtPdView& v : views) {
    g.angles_rad.push_back(sz * -v.phi_rad + angle_origin);
    g.source_z_mm.push_back(sz * v.z_mm);
    g.source_shift_angle_rad.push_back(-sz * v.shift_phi_rad);
    g.source_shift_z_mm.push_back(sz * v.shift_z_mm);
    g.source_shift_radius_mm.push_back(v.shift_rho_mm);
    any_shift = any_shift || v.shift_phi_rad != 0.0 || v.shift_z_mm != 0.0 || v.shift_rho_mm != 0.0;
  }
  if (!any_shift) {
    g.source_shift_angle_rad.clear();
    g.source_shift_z_mm.clear();
    g.source_shift_radius_mm.clear();
  }
  g.Validate(where);
  return m;
}

}  // namespace osmo
