// Synthetic DICOM-CT-PD files for tests (see the header).
// SPDX-License-Identifier: Apache-2.0
#include "tests/support/dicom_ct_pd_writer.h"

#include <gdcmFileMetaInformation.h>
#include <gdcmWriter.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <vector>

namespace osmo::test {

namespace {

constexpr double kPi = 3.14159265358979323846;

std::string FloatBytes(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}
std::string UShortBytes(uint16_t value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof value);
}
// Text values are padded to an even length (UI with NUL, the others with a space).
std::string Padded(std::string text, char pad = ' ') {
  if (text.size() % 2 != 0) text.push_back(pad);
  return text;
}

// The files store geometry as float32: rays are built from the stored values.
double F(double value) { return double(float(value)); }

}  // namespace

void PutElement(gdcm::DataSet& data_set, uint16_t group, uint16_t element, gdcm::VR vr,
                const std::string& bytes) {
  gdcm::DataElement e(gdcm::Tag(group, element));
  e.SetVR(vr);
  e.SetByteValue(bytes.data(), uint32_t(bytes.size()));
  data_set.Replace(e);
}

std::array<double, 3> PatientFromGantry(const std::string& position, std::array<double, 3> p) {
  const double x = p[0], y = p[1], z = p[2];
  if (position.empty() || position == "HFS") return {x, -y, z};
  if (position == "FFS") return {-x, -y, -z};  // viewer's right = patient's right; in = inferior
  if (position == "HFP") return {-x, y, z};    // up = posterior; rolled over: left on the left
  if (position == "FFP") return {x, y, -z};
  throw std::invalid_argument("patient position " + position);
}

CtPdViewPose ViewPose(const CtPdScanSpec& spec, int view) {
  const double turns = double(view) / spec.views_per_turn;
  CtPdViewPose pose{};
  pose.phi = spec.phi_start_rad + spec.phi_direction * 2.0 * kPi * turns;
  pose.z = spec.z_start_mm + spec.feed_per_turn_mm * turns;
  if (spec.flying_focal_spot) {
    const bool second = view % 2 == 1;
    pose.shift_phi = F(second ? 3.36e-4 : 3.33e-4);
    pose.shift_z = F(second ? -0.66 : 0.0);
    pose.shift_rho = F(second ? 5.45 : 0.0);
  }
  return pose;
}

double PhotonsOf(const CtPdScanSpec& spec, int view, int column) {
  // A bowtie-like profile and a tube current that changes from view to view.
  const double t = (column - 0.5 * (spec.n_columns + 1)) / (0.5 * spec.n_columns);
  return spec.dose_scale * 1.4e6 * (1.0 + 0.1 * (view % 3)) * std::exp(-1.5 * t * t);
}

void CtPdRay(const CtPdScanSpec& spec, int view, int column, int row, std::array<double, 3>* start,
             std::array<double, 3>* direction) {
  const CtPdViewPose pose = ViewPose(spec, view);
  const double rho = F(spec.rho_mm), d0 = F(spec.d0_mm);
  const double column_spacing = F(spec.column_spacing_mm), row_spacing = F(spec.row_spacing_mm);
  const double central_column = F(spec.central_column), central_row = F(spec.central_row);
  // x = −ρ sin φ, y = ρ cos φ: the focal centre F, and the focal spot at (ρ+Δρ, φ+Δφ, z+Δz).
  const double fx = -rho * std::sin(pose.phi), fy = rho * std::cos(pose.phi);
  const double rho_s = rho + pose.shift_rho, phi_s = pose.phi + pose.shift_phi;
  *start = {-rho_s * std::sin(phi_s), rho_s * std::cos(phi_s), pose.z + pose.shift_z};
  // With φ0 = 0 the detector is at 6 o'clock and column numbers grow to the viewer's right
  // (+x); row 1 is the farthest row (largest z). The whole gantry turns with φ.
  const double along_row = (central_row - row) * row_spacing;
  std::array<double, 3> cell;
  if (spec.cylindrical) {
    const double gamma = (column - central_column) * column_spacing / d0;
    cell = {fx + d0 * std::sin(pose.phi + gamma), fy - d0 * std::cos(pose.phi + gamma),
            pose.z + along_row};
  } else {
    const double across = (column - central_column) * column_spacing;
    cell = {fx + d0 * std::sin(pose.phi) + across * std::cos(pose.phi),
            fy - d0 * std::cos(pose.phi) + across * std::sin(pose.phi), pose.z + along_row};
  }
  double length = 0.0;
  for (int i = 0; i < 3; ++i) length += (cell[i] - (*start)[i]) * (cell[i] - (*start)[i]);
  length = std::sqrt(length);
  for (int i = 0; i < 3; ++i) (*direction)[i] = (cell[i] - (*start)[i]) / length;
}

void WriteCtPdScan(const std::string& folder, const CtPdScanSpec& spec,
                   const LineIntegralFn& line_integral) {
  std::filesystem::create_directories(folder);
  const bool tcia = spec.generation == CtPdGeneration::kTcia;
  const char* creator = tcia ? "CtProjectionData-MayoClinc-v1" : "CT IMG ACQUISITION";
  const char* sop_class = tcia ? "1.2.840.10008.5.1.4.1.1.66" : "1.2.840.10008.5.1.4.1.1.2";
  std::mt19937_64 random(spec.seed);
  for (int k = 0; k < spec.n_views; ++k) {
    gdcm::Writer writer;
    gdcm::File& file = writer.GetFile();
    file.GetHeader().SetDataSetTransferSyntax(tcia ? gdcm::TransferSyntax::ImplicitVRLittleEndian
                                                   : gdcm::TransferSyntax::ExplicitVRLittleEndian);
    gdcm::DataSet& ds = file.GetDataSet();
    const auto text = [&](uint16_t g, uint16_t e, gdcm::VR vr, const std::string& value) {
      PutElement(ds, g, e, vr, Padded(value, vr == gdcm::VR::UI ? '\0' : ' '));
    };
    const auto floats = [&](uint16_t g, uint16_t e, const std::vector<float>& values) {
      PutElement(ds, g, e, gdcm::VR::FL, FloatBytes(values));
    };
    const auto ushort = [&](uint16_t g, uint16_t e, uint16_t value) {
      PutElement(ds, g, e, gdcm::VR::US, UShortBytes(value));
    };
    const std::string instance_uid = spec.series_uid + "." + std::to_string(k + 1);
    text(0x0008, 0x0016, gdcm::VR::UI, sop_class);
    text(0x0008, 0x0018, gdcm::VR::UI, instance_uid);
    text(0x0008, 0x0060, gdcm::VR::CS, "CT");
    text(0x0008, 0x0070, gdcm::VR::LO, "SIEMENS");
    char water[32];
    std::snprintf(water, sizeof water, "%.6g", spec.mu_water_per_mm);
    if (!tcia) text(0x0018, 0x0061, gdcm::VR::DS, water);
    if (!spec.patient_position.empty()) text(0x0018, 0x5100, gdcm::VR::CS, spec.patient_position);
    text(0x0020, 0x000D, gdcm::VR::UI, spec.series_uid + ".0");
    text(0x0020, 0x000E, gdcm::VR::UI, spec.series_uid);
    text(0x0020, 0x0013, gdcm::VR::IS, std::to_string(k + 1));
    const int dicom_rows = spec.transposed_layout ? spec.n_rows : spec.n_columns;
    const int dicom_columns = spec.transposed_layout ? spec.n_columns : spec.n_rows;
    ushort(0x0028, 0x0002, 1);
    text(0x0028, 0x0004, gdcm::VR::CS, "MONOCHROME2");
    ushort(0x0028, 0x0010, uint16_t(dicom_rows));
    ushort(0x0028, 0x0011, uint16_t(dicom_columns));
    ushort(0x0028, 0x0100, 16);
    ushort(0x0028, 0x0101, 16);
    ushort(0x0028, 0x0102, 15);
    ushort(0x0028, 0x0103, 0);
    char number[32];
    std::snprintf(number, sizeof number, "%.13g", spec.rescale_intercept);
    text(0x0028, 0x1052, gdcm::VR::DS, number);
    std::snprintf(number, sizeof number, "%.11g", spec.rescale_slope);
    text(0x0028, 0x1053, gdcm::VR::DS, number);
    for (uint16_t group : {0x7029, 0x7031, 0x7033, 0x7037, 0x7039, 0x7041}) {
      text(group, 0x0010, gdcm::VR::LO, creator);
    }
    floats(0x7029, 0x1002, {float(spec.column_spacing_mm)});
    floats(0x7029, 0x1006, {float(spec.row_spacing_mm)});
    text(0x7029, 0x100B, gdcm::VR::CS, spec.cylindrical ? "CYLINDRICAL" : "FLAT");
    ushort(0x7029, 0x1010, uint16_t(spec.n_rows));
    ushort(0x7029, 0x1011, uint16_t(spec.n_columns));
    const CtPdViewPose pose = ViewPose(spec, k);
    // Stored as real files do: φ0 in float32, z0 rounded to 0.01 mm.
    floats(0x7031, 0x1001, {float(pose.phi)});
    floats(0x7031, 0x1002, {float(std::round(pose.z * 100.0) / 100.0)});
    floats(0x7031, 0x1003, {float(spec.rho_mm)});
    floats(0x7031, 0x1031, {float(spec.d0_mm)});
    floats(0x7031, 0x1033, {float(spec.central_column), float(spec.central_row)});
    // v3 (TCIA): 100B angular, 100C axial; v8 (2016): the reverse.
    floats(0x7033, 0x100B, {float(tcia ? pose.shift_phi : pose.shift_z)});
    floats(0x7033, 0x100C, {float(tcia ? pose.shift_z : pose.shift_phi)});
    floats(0x7033, 0x100D, {float(pose.shift_rho)});
    text(0x7033, 0x100E, gdcm::VR::CS, spec.flying_focal_spot ? "FFSZ" : "FFSNONE");
    ushort(0x7033, 0x1013, uint16_t(spec.views_per_turn));
    ushort(0x7033, 0x1063, 1);
    if (spec.photon_statistics) {
      std::vector<float> photons(size_t(spec.n_columns));
      for (int c = 1; c <= spec.n_columns; ++c)
        photons[size_t(c - 1)] = float(PhotonsOf(spec, k, c));
      floats(0x7033, 0x1065, photons);
    }
    text(0x7037, 0x1009, gdcm::VR::CS, "HELICAL");
    text(0x7039, 0x1009, gdcm::VR::CS, "YES");
    if (tcia) text(0x7041, 0x1001, gdcm::VR::DS, water);

    // Pixels: stored = (y − intercept)/slope as uint16; row-fastest in the released layout.
    std::vector<uint16_t> pixels(size_t(spec.n_rows) * size_t(spec.n_columns));
    for (int c = 1; c <= spec.n_columns; ++c) {
      for (int r = 1; r <= spec.n_rows; ++r) {
        std::array<double, 3> start, direction;
        CtPdRay(spec, k, c, r, &start, &direction);
        double y = line_integral(PatientFromGantry(spec.patient_position, start),
                                 PatientFromGantry(spec.patient_position, direction));
        if (spec.poisson_noise) {
          const double n0 = PhotonsOf(spec, k, c);
          std::poisson_distribution<int64_t> counts(n0 * std::exp(-y));
          y = -std::log(std::max(double(counts(random)), 0.5) / n0);
        }
        const double stored = std::round((y - spec.rescale_intercept) / spec.rescale_slope);
        const size_t index = spec.transposed_layout
                                 ? size_t(r - 1) * size_t(spec.n_columns) + size_t(c - 1)
                                 : size_t(c - 1) * size_t(spec.n_rows) + size_t(r - 1);
        pixels[index] = uint16_t(std::clamp(stored, 0.0, 65535.0));
      }
    }
    PutElement(ds, 0x7FE0, 0x0010, gdcm::VR::OW,
               std::string(reinterpret_cast<const char*>(pixels.data()), pixels.size() * 2));
    if (spec.tamper) spec.tamper(k, ds);

    char name[32];
    std::snprintf(name, sizeof name, "view%05d.dcm", spec.n_views - k);
    writer.SetFileName((std::filesystem::path(folder) / name).c_str());
    if (!writer.Write()) throw std::runtime_error("cannot write a DICOM-CT-PD test file");
  }
}

}  // namespace osmo::test
