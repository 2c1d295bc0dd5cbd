// Import of DICOM-CT-PD projection data (one DICOM file per view; Chen et al., Med. Phys. 42(12),
// 2015; tags after Moen et al., Med. Phys. 48(2), 2021, Table IV), as used by the Mayo/TCIA
// "LDCT and Projection Data" library and the AAPM 2016 Low Dose CT Grand Challenge.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "projectors/enum_table.h"
#include "projectors/scan_data.h"
#include "recon/io/dicom_ct_pd_frame.h"

namespace osmo {

// Which of (7033,100B)/(7033,100C) holds the angular focal-spot shift: the 2016 dictionary (v8)
// has 100B = axial, 100C = angular; the 2020 manual (v3) and the TCIA files the reverse.
enum class FfsTagOrder { kAuto, kV3, kV8 };
inline constexpr EnumTable<FfsTagOrder, 3> kFfsTagOrders = {{
    {FfsTagOrder::kAuto, "auto", "decide by magnitude: the angular shift is < 0.01 rad"},
    {FfsTagOrder::kV3, "v3", "100B angular (rad), 100C axial (mm): TCIA files, manual v3"},
    {FfsTagOrder::kV8, "v8", "100B axial (mm), 100C angular (rad): 2016 challenge files"},
}};

struct DicomCtPdOptions {
  // Views [view_begin, view_end) in acquisition order (0-based); default all.
  std::optional<int64_t> view_begin, view_end;
  // Only the views whose rays can reach the slab z_min ≤ z ≤ z_max (osmo's z, after the mapping
  // to the patient frame): the source z within the slab widened by the detector's half height
  // magnified to the far edge of the field of view, so the imported scan's complete-data range
  // covers the slab.
  std::optional<double> z_min_mm, z_max_mm;
  // Overrides (0018,5100) PatientPosition; without either, head first supine is assumed.
  std::optional<PatientPosition> patient_position;
  FfsTagOrder ffs_tags = FfsTagOrder::kAuto;
  // Called after each file read: (files done, files in this pass, pass name).
  std::function<void(int64_t, int64_t, const std::string&)> progress;
};

struct DicomCtPdImport {
  ScanData scan;
  std::vector<std::string> notes;  // what was found and assumed, one line each
};

// Parses "A:B" (either side may be empty) and "Z0:Z1"; InputError on bad text.
void ParseViewRange(const std::string& text, DicomCtPdOptions* options);
void ParseZRange(const std::string& text, DicomCtPdOptions* options);

// Reads every regular file in `folder` (not its subfolders; hidden files are skipped): views are
// sorted by InstanceNumber; line integrals y = stored·RescaleSlope + RescaleIntercept (the files
// hold log-converted data); weights w = N0·exp(−y) from (7033,1065) PhotonStatistics (N0 per
// view and detector column) when present; μ_water from (7041,1001), else (0018,0061) (cm⁻¹ values
// are recognised and converted). The geometry is mapped by MapCtPdGeometry. Any problem gives an
// InputError naming the file, the tag, what was expected and what was found: a file that is not
// DICOM or not DICOM-CT-PD, a missing tag, a wrong VR, sizes that disagree with the pixel data,
// views from different series or with different detectors, duplicate instance numbers,
// compressed pixel data, data not log-converted ((7039,1009) LogFlag NO).
DicomCtPdImport ImportDicomCtPd(const std::string& folder, const DicomCtPdOptions& options);

}  // namespace osmo
