// DICOM-CT-PD geometry → osmo's coordinate contract: the one place where the format's
// left-handed, gantry-fixed cylindrical frame is mapped onto osmo's right-handed frame, which
// osmo writes as the patient's LPS frame (docs/FORMATS.md, docs/CLINICAL_DATA.md).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "projectors/enum_table.h"
#include "projectors/scan_geometry.h"

namespace osmo {

// How the patient lies on the table (DICOM (0018,5100)): head or feet first into the gantry,
// supine or prone. Decubitus positions are not supported.
enum class PatientPosition { kHfs, kFfs, kHfp, kFfp };
inline constexpr EnumTable<PatientPosition, 4> kPatientPositions = {{
    {PatientPosition::kHfs, "HFS", "head first, supine"},
    {PatientPosition::kFfs, "FFS", "feet first, supine"},
    {PatientPosition::kHfp, "HFP", "head first, prone"},
    {PatientPosition::kFfp, "FFP", "feet first, prone"},
}};
// Parses "HFS" | "FFS" | "HFP" | "FFP"; InputError naming `where` otherwise.
PatientPosition ParsePatientPosition(const std::string& text, const std::string& where);

// The detector as the format describes it (Chen et al. 2015; Moen et al. 2021, Table IV).
struct CtPdDetector {
  int64_t n_rows = 0;              // (7029,1010) detector rows (axial)
  int64_t n_columns = 0;           // (7029,1011) detector columns (channels)
  double column_spacing_mm = 0.0;  // (7029,1002) at the detector (arc length if cylindrical)
  double row_spacing_mm = 0.0;     // (7029,1006) at the detector
  DetectorShape shape = DetectorShape::kArc;  // (7029,100B) CYLINDRICAL → arc, FLAT → flat
  double focal_center_to_detector_mm = 0.0;   // d0, (7031,1031)
  double central_column = 0.0;  // (7031,1033)[0]: 1-based, fractional column on the central ray
  double central_row = 0.0;     // (7031,1033)[1]: 1-based, fractional row on the central ray
};

// One view's focal centre and focal spot, in the format's frame (mm, rad).
struct CtPdView {
  double phi_rad = 0.0;        // φ0, (7031,1001)
  double z_mm = 0.0;           // z0, (7031,1002)
  double rho_mm = 0.0;         // ρ0, (7031,1003)
  double shift_phi_rad = 0.0;  // Δφ of the flying focal spot
  double shift_z_mm = 0.0;     // Δz
  double shift_rho_mm = 0.0;   // Δρ
};

// Which DICOM-CT-PD cell lands in osmo's (row, channel): the mapping reverses the column order,
// the row order, both or neither. Indices are 0-based on both sides.
struct CtPdCellOrder {
  bool reverse_columns = false;
  bool reverse_rows = false;
  int64_t n_rows = 0, n_columns = 0;
  int64_t Column(int64_t osmo_channel) const {
    return reverse_columns ? n_columns - 1 - osmo_channel : osmo_channel;
  }
  int64_t Row(int64_t osmo_row) const { return reverse_rows ? n_rows - 1 - osmo_row : osmo_row; }
};

struct CtPdMapping {
  ScanGeometry geometry;  // cone beam, per-view source z and (if any are non-zero) shifts
  CtPdCellOrder cells;
};

// The mapping (derivation in docs/CLINICAL_DATA.md). The format's frame: φ = 0 at 12 o'clock,
// φ grows counter-clockwise seen from the table, x_L = −ρ sin φ, y_L = ρ cos φ, z into the gantry
// (left-handed: x_L points right and y_L up for a viewer at the table looking into the gantry);
// detector row 1 has the largest z, column 1 is on the viewer's left with the detector at
// 6 o'clock. The gantry frame (x, y, z) = (x_L, −y_L, z) is right-handed and, for a head-first
// supine patient, is LPS: x to the patient's left, y posterior, z superior. Another position P
// is a half turn M_P = diag(sx, sy, sz) of it (HFS I, FFS diag(−1,1,−1), HFP diag(−1,−1,1),
// FFP diag(1,−1,−1)), so that osmo's frame is always the patient's LPS frame:
//   β = sz·(−φ0) + (sy < 0 ? π : 0),  Δβ = −sz·Δφ,  z_k = sz·z0,  Δz_k = sz·Δz,  Δρ_k = Δρ,
//   u = sz·(c − C_col)·Δcol,  v = sz·(C_row − r)·Δrow   (c, r: 1-based column and row).
// So columns keep their order and rows reverse for sz = +1, and the opposite for sz = −1.
// Throws InputError naming `where` for an empty or inconsistent description.
CtPdMapping MapCtPdGeometry(const CtPdDetector& detector, const std::vector<CtPdView>& views,
                            PatientPosition position, const std::string& where);

}  // namespace osmo
