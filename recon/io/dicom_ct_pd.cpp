// DICOM-CT-PD import: two passes over the folder. The first reads every file's header (up to the
// pixel data), sorts and checks the views and decides the flying-focal-spot tag order; the second
// reads the pixel data of the selected views.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/dicom_ct_pd.h"

#include <gdcmReader.h>
#include <gdcmTrace.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "projectors/error.h"
#include "projectors/helical_trajectory.h"
#include "recon/io/dicom_ct_pd_tags.h"
#include "recon/io/text_parsing.h"

namespace osmo {

namespace {

namespace fs = std::filesystem;
using ctpd::TagInfo;
using ctpd::TagReader;

constexpr double kPi = 3.14159265358979323846;
// The angular focal-spot shift is ~1e-4..1e-3 rad; the axial one tenths of a mm.
constexpr double kLargestAngularShiftRad = 0.01;
// μ_water of a CT spectrum is ~0.015–0.03 /mm; ten times that is the same value in 1/cm.
constexpr double kMuWaterMinPerMm = 0.005, kMuWaterMaxPerMm = 0.05;
// Geometry values may differ between files only by float round-off.
constexpr double kRelativeTolerance = 1e-6;
// Stored φ0 (float32) and z0 (rounded to 0.01 mm in real files) within these of a uniform
// trajectory are taken as the uniform trajectory they round.
constexpr double kAngleJitterRad = 1e-4, kZJitterMm = 0.02;

// Everything osmo needs from one file's header.
struct ViewHeader {
  std::string file;
  int64_t instance = 0;
  std::string series_uid;
  CtPdDetector detector;
  int64_t dicom_rows = 0, dicom_columns = 0;
  int pixel_representation = 0;
  double slope = 1.0, intercept = 0.0;
  CtPdView view;  // the shifts are filled in after the tag order is decided
  double shift_100b = 0.0, shift_100c = 0.0;
  std::vector<float> photons;  // N0 per DICOM column; empty if absent
  int64_t spectrum_index = 1;
  int64_t views_per_turn = 0;  // (7033,1013); 0 if absent
  std::string patient_position, ffs_mode;
  std::optional<double> water_private, water_standard;
};

// Reads one file up to (and without) the pixel data, or in full.
void ReadDicom(const std::string& path, bool with_pixels, gdcm::Reader* reader) {
  reader->SetFileName(path.c_str());
  const bool ok = with_pixels
                      ? reader->Read()
                      : reader->ReadUpToTag(gdcm::Tag(0x7FE0, 0x0010), std::set<gdcm::Tag>{});
  if (!ok) throw InputError(path, "a DICOM file (one DICOM-CT-PD projection view)", "not DICOM");
  const gdcm::TransferSyntax& syntax = reader->GetFile().GetHeader().GetDataSetTransferSyntax();
  if (syntax.GetSwapCode() == gdcm::SwapCode::BigEndian) {
    throw InputError(path + ": transfer syntax", "little endian", syntax.GetString());
  }
}

ViewHeader ReadHeader(const std::string& path) {
  gdcm::Reader reader;
  ReadDicom(path, false, &reader);
  const TagReader tags(reader.GetFile().GetDataSet(), path);
  if (!tags.Has(ctpd::kDetectorRows) && !tags.Has(ctpd::kFocalCenterAngle)) {
    const std::string modality = tags.Has(ctpd::kModality) ? tags.Text(ctpd::kModality) : "";
    throw InputError(path,
                     "DICOM-CT-PD projection data (private tags " +
                         ctpd::Describe(ctpd::kDetectorRows) + ", " +
                         ctpd::Describe(ctpd::kFocalCenterAngle) + ", …)",
                     "a DICOM file without them" +
                         (modality.empty() ? std::string() : " (modality " + modality + ")") +
                         ": an image series rather than projection data?");
  }
  ViewHeader h;
  h.file = path;
  h.instance = int64_t(std::llround(tags.Number(ctpd::kInstanceNumber)));
  h.series_uid = tags.Text(ctpd::kSeriesInstanceUid);

  CtPdDetector& d = h.detector;
  d.n_rows = tags.UnsignedShort(ctpd::kDetectorRows);
  d.n_columns = tags.UnsignedShort(ctpd::kDetectorColumns);
  d.column_spacing_mm = tags.Float(ctpd::kColumnSpacing);
  d.row_spacing_mm = tags.Float(ctpd::kRowSpacing);
  const std::string shape = tags.Text(ctpd::kDetectorShape);
  if (shape == "CYLINDRICAL") {
    d.shape = DetectorShape::kArc;
  } else if (shape == "FLAT") {
    d.shape = DetectorShape::kFlat;
  } else {
    throw InputError(tags.Where(ctpd::kDetectorShape), "CYLINDRICAL or FLAT", "\"" + shape + "\"");
  }
  d.focal_center_to_detector_mm = tags.Float(ctpd::kFocalCenterToDetector);
  const std::vector<float> central = tags.Floats(ctpd::kCentralElement, 2);
  d.central_column = central[0];
  d.central_row = central[1];

  h.dicom_rows = tags.UnsignedShort(ctpd::kRows);
  h.dicom_columns = tags.UnsignedShort(ctpd::kColumns);
  const uint16_t bits = tags.UnsignedShort(ctpd::kBitsAllocated);
  if (bits != 16) throw InputError(tags.Where(ctpd::kBitsAllocated), "16", std::to_string(bits));
  h.pixel_representation = tags.UnsignedShort(ctpd::kPixelRepresentation);
  h.slope = tags.Has(ctpd::kRescaleSlope) ? tags.Number(ctpd::kRescaleSlope) : 1.0;
  h.intercept = tags.Has(ctpd::kRescaleIntercept) ? tags.Number(ctpd::kRescaleIntercept) : 0.0;

  h.view.phi_rad = tags.Float(ctpd::kFocalCenterAngle);
  h.view.z_mm = tags.Float(ctpd::kFocalCenterZ);
  h.view.rho_mm = tags.Float(ctpd::kFocalCenterRadius);
  h.shift_100b = tags.Has(ctpd::kShift100B) ? tags.Float(ctpd::kShift100B) : 0.0;
  h.shift_100c = tags.Has(ctpd::kShift100C) ? tags.Float(ctpd::kShift100C) : 0.0;
  h.view.shift_rho_mm = tags.Has(ctpd::kShiftRadius) ? tags.Float(ctpd::kShiftRadius) : 0.0;
  if (tags.Has(ctpd::kFfsMode)) h.ffs_mode = tags.Text(ctpd::kFfsMode);
  if (tags.Has(ctpd::kPhotonStatistics)) {
    h.photons = tags.Floats(ctpd::kPhotonStatistics, size_t(d.n_columns));
    for (float n0 : h.photons) {
      if (!(n0 > 0.0f) || !std::isfinite(n0)) {
        throw InputError(tags.Where(ctpd::kPhotonStatistics), "positive photon counts",
                         ToText(double(n0)));
      }
    }
  }
  if (tags.Has(ctpd::kAngularSteps)) h.views_per_turn = tags.UnsignedShort(ctpd::kAngularSteps);
  if (tags.Has(ctpd::kSpectrumIndex)) h.spectrum_index = tags.UnsignedShort(ctpd::kSpectrumIndex);
  if (tags.Has(ctpd::kLogFlag) && tags.Text(ctpd::kLogFlag) != "YES") {
    throw InputError(tags.Where(ctpd::kLogFlag), "YES (log-converted line integrals)",
                     "\"" + tags.Text(ctpd::kLogFlag) + "\"");
  }
  if (tags.Has(ctpd::kPatientPosition)) h.patient_position = tags.Text(ctpd::kPatientPosition);
  if (tags.Has(ctpd::kWaterAttenuation)) h.water_private = tags.Number(ctpd::kWaterAttenuation);
  if (tags.Has(ctpd::kHuCalibrationFactor)) {
    h.water_standard = tags.Number(ctpd::kHuCalibrationFactor);
  }
  const double finite_check[] = {
      d.column_spacing_mm, d.row_spacing_mm, d.focal_center_to_detector_mm,
      d.central_column,    d.central_row,    h.view.phi_rad,
      h.view.z_mm,         h.view.rho_mm,    h.slope,
      h.intercept,         h.shift_100b,     h.shift_100c};
  for (double v : finite_check) {
    if (!std::isfinite(v))
      throw InputError(path, "finite geometry and rescale values", "NaN or Inf");
  }
  return h;
}

std::vector<CtPdView> ViewsOf(const std::vector<ViewHeader>& headers) {
  std::vector<CtPdView> views;
  views.reserve(headers.size());
  for (const ViewHeader& h : headers) views.push_back(h.view);
  return views;
}

bool Near(double a, double b) {
  return std::abs(a - b) <= kRelativeTolerance * std::max({1.0, std::abs(a), std::abs(b)});
}

// Every file must come from one series and describe the same detector and pixel format.
void CheckSameScan(const ViewHeader& first, const ViewHeader& h) {
  const auto differ = [&](const TagInfo& tag, const std::string& expected,
                          const std::string& found) {
    throw InputError(h.file + ": " + ctpd::Describe(tag),
                     expected + " as in " + first.file + " (all views of one scan)", found);
  };
  if (h.series_uid != first.series_uid) {
    differ(ctpd::kSeriesInstanceUid, first.series_uid, h.series_uid + ": a mixed series");
  }
  const CtPdDetector &a = first.detector, &b = h.detector;
  const std::pair<const TagInfo*, std::pair<double, double>> values[] = {
      {&ctpd::kDetectorRows, {double(a.n_rows), double(b.n_rows)}},
      {&ctpd::kDetectorColumns, {double(a.n_columns), double(b.n_columns)}},
      {&ctpd::kColumnSpacing, {a.column_spacing_mm, b.column_spacing_mm}},
      {&ctpd::kRowSpacing, {a.row_spacing_mm, b.row_spacing_mm}},
      {&ctpd::kFocalCenterToDetector,
       {a.focal_center_to_detector_mm, b.focal_center_to_detector_mm}},
      {&ctpd::kCentralElement, {a.central_column, b.central_column}},
      {&ctpd::kCentralElement, {a.central_row, b.central_row}},
      {&ctpd::kRows, {double(first.dicom_rows), double(h.dicom_rows)}},
      {&ctpd::kColumns, {double(first.dicom_columns), double(h.dicom_columns)}},
      {&ctpd::kPixelRepresentation,
       {double(first.pixel_representation), double(h.pixel_representation)}},
      {&ctpd::kSpectrumIndex, {double(first.spectrum_index), double(h.spectrum_index)}},
  };
  for (const auto& [tag, pair] : values) {
    if (!Near(pair.first, pair.second)) differ(*tag, ToText(pair.first), ToText(pair.second));
  }
  if (a.shape != b.shape) differ(ctpd::kDetectorShape, ToString(a.shape), ToString(b.shape));
  if (first.photons.empty() != h.photons.empty()) {
    differ(ctpd::kPhotonStatistics, first.photons.empty() ? "absent" : "present",
           h.photons.empty() ? "absent" : "present");
  }
}

// Which pixel layout the files use: the released files have DICOM Rows = detector columns
// (channels) and Columns = detector rows, so the detector row varies fastest; some tools write
// the transpose.
struct PixelLayout {
  bool rows_are_channels = true;
  bool ambiguous = false;
};

PixelLayout DetectLayout(const ViewHeader& h) {
  const CtPdDetector& d = h.detector;
  const bool released = h.dicom_rows == d.n_columns && h.dicom_columns == d.n_rows;
  const bool transposed = h.dicom_rows == d.n_rows && h.dicom_columns == d.n_columns;
  if (!released && !transposed) {
    throw InputError(
        h.file + ": " + ctpd::Describe(ctpd::kRows) + " × " + ctpd::Describe(ctpd::kColumns),
        std::to_string(d.n_columns) + " × " + std::to_string(d.n_rows) + " or " +
            std::to_string(d.n_rows) + " × " + std::to_string(d.n_columns) +
            " (detector columns × rows from (7029,1011)/(7029,1010), either layout)",
        std::to_string(h.dicom_rows) + " × " + std::to_string(h.dicom_columns));
  }
  return {released, released && transposed};
}

struct FfsDecision {
  bool angle_in_100b = true;
  std::string note;
};

double MaxAbs(const std::vector<ViewHeader>& headers, double ViewHeader::*field) {
  double m = 0.0;
  for (const ViewHeader& h : headers) m = std::max(m, std::abs(h.*field));
  return m;
}

// The angular shift is the entry below kLargestAngularShiftRad in every view; when both are, the
// one that is not identically zero (a scan with only in-plane focal-spot motion), else v3.
FfsDecision DecideFfsTagOrder(const std::vector<ViewHeader>& headers, FfsTagOrder order) {
  const double b = MaxAbs(headers, &ViewHeader::shift_100b);
  const double c = MaxAbs(headers, &ViewHeader::shift_100c);
  const std::string mode =
      headers.front().ffs_mode.empty() ? "" : " (mode " + headers.front().ffs_mode + ")";
  const std::string found =
      "max |(7033,100B)| = " + ToText(b) + ", max |(7033,100C)| = " + ToText(c);
  if (order != FfsTagOrder::kAuto) {
    const bool v3 = order == FfsTagOrder::kV3;
    return {v3, std::string("flying focal spot") + mode + ": tags read as " +
                    (v3 ? "v3 (100B angular, 100C axial)" : "v8 (100B axial, 100C angular)") +
                    " as asked; " + found};
  }
  if (b == 0.0 && c == 0.0) return {true, "flying focal spot: none (all shifts are zero)"};
  const bool b_angle = b < kLargestAngularShiftRad, c_angle = c < kLargestAngularShiftRad;
  if (!b_angle && !c_angle) {
    throw InputError(headers.front().file + ": (7033,100B)/(7033,100C) focal-spot shifts",
                     "one of them an angle below " + ToText(kLargestAngularShiftRad) +
                         " rad in every view (pass --ffs-tags v3|v8 if you know the generation)",
                     found);
  }
  if (b_angle != c_angle) {
    const bool v3 = b_angle;
    return {v3, std::string("flying focal spot") + mode + ": " +
                    (v3 ? "v3 tag order (100B angular, 100C axial)"
                        : "v8 tag order (100B axial, 100C angular)") +
                    ", decided by magnitude: " + found};
  }
  if ((b == 0.0) != (c == 0.0)) {
    const bool v3 = c == 0.0;
    return {v3, std::string("flying focal spot") + mode + ": only in-plane shifts, " +
                    (v3 ? "in 100B (v3 order)" : "in 100C (v8 order)") + ": " + found};
  }
  return {true, std::string("flying focal spot") + mode +
                    ": both shifts are small; assumed the v3 tag order (100B angular) — pass "
                    "--ffs-tags v8 for 2016-generation files: " +
                    found};
}

std::vector<std::string> ListFiles(const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    throw InputError(folder, "a folder of DICOM-CT-PD files", "not a folder");
  }
  std::vector<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_regular_file()) continue;
    files.push_back(entry.path().string());
  }
  if (error) throw InputError(folder, "a readable folder", error.message());
  if (files.empty()) throw InputError(folder, "DICOM-CT-PD files", "an empty folder");
  std::sort(files.begin(), files.end());
  return files;
}

// φ0 may be stored wrapped: unwrap so that consecutive views differ by less than π, then check
// that the gantry turns one way.
void UnwrapAngles(std::vector<ViewHeader>& headers) {
  for (size_t k = 1; k < headers.size(); ++k) {
    double& phi = headers[k].view.phi_rad;
    const double previous = headers[k - 1].view.phi_rad;
    phi += 2.0 * kPi * std::round((previous - phi) / (2.0 * kPi));
  }
  if (headers.size() < 3) return;
  const double direction = headers.back().view.phi_rad - headers.front().view.phi_rad;
  for (size_t k = 1; k < headers.size(); ++k) {
    const double step = headers[k].view.phi_rad - headers[k - 1].view.phi_rad;
    if (step * direction < 0.0) {
      throw InputError(headers[k].file + ": " + ctpd::Describe(ctpd::kFocalCenterAngle),
                       "angles turning one way in instance order (as " + headers[k - 1].file + ")",
                       "a step of " + ToText(step) + " rad");
    }
  }
}

// Views equally spaced in angle (2π/N per view with N = (7033,1013)) and table position, up to
// the rounding of the stored values, get the exact uniform values: the helical FBP needs equal
// steps, and a fitted z is more accurate than z0 rounded to 0.01 mm. Otherwise the stored values
// are kept.
void RegulariseTrajectory(std::vector<ViewHeader>& views, std::vector<std::string>* notes) {
  const size_t n = views.size();
  const int64_t per_turn = views.front().views_per_turn;
  if (n < 3) return;
  if (per_turn < 2) {
    notes->push_back(
        "trajectory: no (7033,1013) NumberofSourceAngularSteps; the stored φ0 and z0 "
        "are used (the helical FBP needs exactly equal angular steps)");
    return;
  }
  const double direction = views.back().view.phi_rad > views.front().view.phi_rad ? 1.0 : -1.0;
  const double step = direction * 2.0 * kPi / double(per_turn);
  double phi0 = 0.0;
  for (size_t k = 0; k < n; ++k) phi0 += views[k].view.phi_rad - double(k) * step;
  phi0 /= double(n);
  // Least-squares line z = a + b·k.
  const double k_mean = 0.5 * double(n - 1);
  double z_mean = 0.0, kz = 0.0, kk = 0.0;
  for (size_t k = 0; k < n; ++k) z_mean += views[k].view.z_mm / double(n);
  for (size_t k = 0; k < n; ++k) {
    kz += (double(k) - k_mean) * (views[k].view.z_mm - z_mean);
    kk += (double(k) - k_mean) * (double(k) - k_mean);
  }
  const double slope = kz / kk;
  double angle_dev = 0.0, z_dev = 0.0;
  for (size_t k = 0; k < n; ++k) {
    angle_dev = std::max(angle_dev, std::abs(views[k].view.phi_rad - (phi0 + double(k) * step)));
    z_dev = std::max(z_dev, std::abs(views[k].view.z_mm - (z_mean + (double(k) - k_mean) * slope)));
  }
  if (angle_dev > kAngleJitterRad || z_dev > kZJitterMm) {
    notes->push_back("trajectory: irregular (largest deviation from " + std::to_string(per_turn) +
                     " equal steps per turn and a constant feed: " + ToText(angle_dev) + " rad, " +
                     ToText(z_dev) + " mm); the stored positions are used");
    return;
  }
  for (size_t k = 0; k < n; ++k) {
    views[k].view.phi_rad = phi0 + double(k) * step;
    views[k].view.z_mm = z_mean + (double(k) - k_mean) * slope;
  }
  notes->push_back("trajectory: " + std::to_string(per_turn) + " views per turn, " +
                   ToText(slope * double(per_turn)) + " mm feed per turn; stored φ0 and z0 " +
                   "deviate from it by at most " + ToText(angle_dev) + " rad and " + ToText(z_dev) +
                   " mm (rounding)");
}

std::optional<double> WaterPerMm(const ViewHeader& h, std::vector<std::string>* notes) {
  const bool is_private = h.water_private.has_value();
  const std::optional<double> raw = is_private ? h.water_private : h.water_standard;
  const std::string tag = is_private ? ctpd::Describe(ctpd::kWaterAttenuation)
                                     : ctpd::Describe(ctpd::kHuCalibrationFactor);
  if (!raw) {
    notes->push_back("μ_water: not in the files; HU use --mu-water-per-mm (default 0.02 /mm)");
    return std::nullopt;
  }
  if (*raw >= kMuWaterMinPerMm && *raw <= kMuWaterMaxPerMm) {
    notes->push_back("μ_water: " + ToText(*raw) + " /mm from " + tag);
    return *raw;
  }
  if (*raw >= 10 * kMuWaterMinPerMm && *raw <= 10 * kMuWaterMaxPerMm) {
    notes->push_back("μ_water: " + ToText(*raw) + " /cm from " + tag + " = " + ToText(*raw / 10) +
                     " /mm");
    return *raw / 10;
  }
  throw InputError(h.file + ": " + tag,
                   "μ of water in 1/mm (" + ToText(kMuWaterMinPerMm) + "–" +
                       ToText(kMuWaterMaxPerMm) + ") or 1/cm",
                   ToText(*raw));
}

// Decodes one view's pixels into the scan's [row][channel] layout as line integrals, and its
// weights N0·exp(−y).
void ReadPixels(const ViewHeader& h, const PixelLayout& layout, const CtPdCellOrder& cells,
                int64_t view, ScanData* scan) {
  gdcm::Reader reader;
  ReadDicom(h.file, true, &reader);
  const TagReader tags(reader.GetFile().GetDataSet(), h.file);
  size_t length = 0;
  const char* bytes = tags.Bytes(ctpd::kPixelData, &length);
  const int64_t n_rows = h.detector.n_rows, n_columns = h.detector.n_columns;
  const size_t expected = size_t(n_rows * n_columns) * 2;
  if (length < expected || length > expected + 1) {
    throw InputError(tags.Where(ctpd::kPixelData),
                     std::to_string(expected) + " bytes (" + std::to_string(h.dicom_rows) + " × " +
                         std::to_string(h.dicom_columns) + " × 16 bits)",
                     std::to_string(length) + " bytes");
  }
  std::vector<uint16_t> stored(size_t(n_rows * n_columns));
  std::memcpy(stored.data(), bytes, expected);
  const bool is_signed = h.pixel_representation == 1;
  for (int64_t r = 0; r < n_rows; ++r) {
    const int64_t dicom_row = cells.Row(r);
    for (int64_t c = 0; c < n_columns; ++c) {
      const int64_t dicom_column = cells.Column(c);
      const size_t index = layout.rows_are_channels ? size_t(dicom_column * n_rows + dicom_row)
                                                    : size_t(dicom_row * n_columns + dicom_column);
      const double value = is_signed ? double(int16_t(stored[index])) : double(stored[index]);
      const double y = value * h.slope + h.intercept;
      scan->sinogram.at(view, r, c) = float(y);
      if (scan->weights) {
        scan->weights->at(view, r, c) =
            float(double(h.photons[size_t(dicom_column)]) * std::exp(-y));
      }
    }
  }
}

}  // namespace

void ParseViewRange(const std::string& text, DicomCtPdOptions* options) {
  const std::vector<std::string> parts = Split(text, ':');
  const auto bad = [&] {
    throw InputError("--views", "A:B (0-based views A ≤ k < B; either side may be empty)",
                     "\"" + text + "\"");
  };
  if (parts.size() != 2) bad();
  std::optional<int64_t> ends[2];
  for (int i = 0; i < 2; ++i) {
    if (parts[size_t(i)].empty()) continue;
    const std::optional<double> value = ParseFinite(parts[size_t(i)]);
    if (!value || *value < 0 || *value != std::floor(*value) || *value > double(kMaxViews)) bad();
    ends[i] = int64_t(*value);
  }
  if (ends[0] && ends[1] && *ends[1] <= *ends[0]) bad();
  options->view_begin = ends[0];
  options->view_end = ends[1];
}

void ParseZRange(const std::string& text, DicomCtPdOptions* options) {
  const std::vector<std::string> parts = Split(text, ':');
  const auto bad = [&] {
    throw InputError("--z-range-mm", "Z0:Z1 with Z0 < Z1 (mm)", "\"" + text + "\"");
  };
  if (parts.size() != 2) bad();
  const std::optional<double> z0 = ParseFinite(parts[0]), z1 = ParseFinite(parts[1]);
  if (!z0 || !z1 || !(*z0 < *z1)) bad();
  options->z_min_mm = *z0;
  options->z_max_mm = *z1;
}

DicomCtPdImport ImportDicomCtPd(const std::string& folder, const DicomCtPdOptions& options) {
  gdcm::Trace::WarningOff();
  gdcm::Trace::DebugOff();
  const std::vector<std::string> files = ListFiles(folder);
  DicomCtPdImport result;
  std::vector<std::string>& notes = result.notes;

  // Pass 1: headers.
  std::vector<ViewHeader> headers;
  headers.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    headers.push_back(ReadHeader(files[i]));
    if (options.progress) options.progress(int64_t(i + 1), int64_t(files.size()), "headers");
  }
  std::sort(headers.begin(), headers.end(),
            [](const ViewHeader& a, const ViewHeader& b) { return a.instance < b.instance; });
  for (size_t k = 0; k < headers.size(); ++k) {
    CheckSameScan(headers.front(), headers[k]);
    if (k > 0 && headers[k].instance == headers[k - 1].instance) {
      throw InputError(headers[k].file + ": " + ctpd::Describe(ctpd::kInstanceNumber),
                       "a number no other view has",
                       std::to_string(headers[k].instance) + ", as in " + headers[k - 1].file);
    }
  }
  UnwrapAngles(headers);
  const PixelLayout layout = DetectLayout(headers.front());
  notes.push_back(std::to_string(headers.size()) + " views of " +
                  std::to_string(headers.front().detector.n_rows) + " rows × " +
                  std::to_string(headers.front().detector.n_columns) + " columns, " +
                  (headers.front().detector.shape == DetectorShape::kArc ? "cylindrical" : "flat") +
                  " detector");
  notes.push_back(std::string("pixel layout: ") +
                  (layout.rows_are_channels ? "DICOM Rows = detector columns (as released)"
                                            : "DICOM Rows = detector rows (transposed)") +
                  (layout.ambiguous ? ", assumed: the detector is square" : ""));

  const FfsDecision ffs = DecideFfsTagOrder(headers, options.ffs_tags);
  notes.push_back(ffs.note);
  for (ViewHeader& h : headers) {
    h.view.shift_phi_rad = ffs.angle_in_100b ? h.shift_100b : h.shift_100c;
    h.view.shift_z_mm = ffs.angle_in_100b ? h.shift_100c : h.shift_100b;
  }

  PatientPosition position = PatientPosition::kHfs;
  const std::string& stored_position = headers.front().patient_position;
  if (options.patient_position) {
    position = *options.patient_position;
    notes.push_back(std::string("patient position: ") + NameOf(kPatientPositions, position) +
                    " as asked" +
                    (stored_position.empty() ? "" : " (files: " + stored_position + ")"));
  } else if (!stored_position.empty()) {
    position = ParsePatientPosition(
        stored_position, headers.front().file + ": " + ctpd::Describe(ctpd::kPatientPosition));
    notes.push_back("patient position: " + stored_position + " from (0018,5100)");
  } else {
    notes.push_back("patient position: not in the files, assumed HFS (--patient-position)");
  }

  // The selection: a view range, then a z range (through the mapped geometry of all views).
  const int64_t n_all = int64_t(headers.size());
  const int64_t begin = options.view_begin.value_or(0);
  const int64_t end = std::min(options.view_end.value_or(n_all), n_all);
  if (begin >= end) {
    throw InputError(folder + ": --views", "a range within the " + std::to_string(n_all) + " views",
                     std::to_string(begin) + ":" + std::to_string(end));
  }
  std::vector<ViewHeader> selected(headers.begin() + begin, headers.begin() + end);
  if (options.z_min_mm) {
    const CtPdMapping all =
        MapCtPdGeometry(selected.front().detector, ViewsOf(selected), position, folder);
    const auto [below, above] = FarEdgeShadow(all.geometry);
    std::vector<ViewHeader> in_slab;
    for (size_t k = 0; k < selected.size(); ++k) {
      const double z = all.geometry.SourceZ(int64_t(k));
      if (z + below <= *options.z_max_mm && z + above >= *options.z_min_mm) {
        in_slab.push_back(selected[k]);
      }
    }
    if (in_slab.empty()) {
      const auto [z_lo, z_hi] = IlluminatedZRange(all.geometry);
      throw InputError(
          folder + ": --z-range-mm",
          "a slab the scan's rays reach (" + ToText(z_lo) + " to " + ToText(z_hi) + " mm)",
          ToText(*options.z_min_mm) + ":" + ToText(*options.z_max_mm));
    }
    selected = std::move(in_slab);
  }
  if (int64_t(selected.size()) != n_all) {
    notes.push_back("selected " + std::to_string(selected.size()) + " of " + std::to_string(n_all) +
                    " views (instances " + std::to_string(selected.front().instance) + " to " +
                    std::to_string(selected.back().instance) + ")");
  }

  RegulariseTrajectory(selected, &notes);
  const CtPdMapping mapping =
      MapCtPdGeometry(selected.front().detector, ViewsOf(selected), position, folder);
  ScanData& scan = result.scan;
  scan.geometry = mapping.geometry;
  scan.sinogram = Sinogram(scan.geometry);
  if (!selected.front().photons.empty()) {
    scan.weights = Sinogram(scan.geometry);
    notes.push_back("weights: N0·exp(−y) from (7033,1065) PhotonStatistics");
  } else {
    notes.push_back("weights: no (7033,1065) PhotonStatistics; osmo derives them from the data");
  }
  scan.mu_water_per_mm = WaterPerMm(selected.front(), &notes);
  scan.patient_position = NameOf(kPatientPositions, position);

  // Pass 2: pixels.
  for (size_t k = 0; k < selected.size(); ++k) {
    ReadPixels(selected[k], layout, mapping.cells, int64_t(k), &scan);
    if (options.progress) options.progress(int64_t(k + 1), int64_t(selected.size()), "pixels");
  }
  return result;
}

}  // namespace osmo
