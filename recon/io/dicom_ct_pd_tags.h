// The DICOM tags osmo reads from DICOM-CT-PD files, and typed access to their values through
// GDCM. Values are decoded from the element's bytes with the tag's expected VR, because files in
// Implicit VR Little Endian (the TCIA generation) carry no VR and no dictionary knows the private
// tags; an explicit VR that differs from the expected one is an error.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gdcmDataSet.h>
#include <gdcmVR.h>

#include <cstdint>
#include <string>
#include <vector>

namespace osmo::ctpd {

struct TagInfo {
  uint16_t group, element;
  const char* name;
  gdcm::VR::VRType vr;
};

// "(7029,1010) NumberofDetectorRows".
std::string Describe(const TagInfo& tag);

// Standard tags.
inline constexpr TagInfo kSopClassUid{0x0008, 0x0016, "SOPClassUID", gdcm::VR::UI};
inline constexpr TagInfo kModality{0x0008, 0x0060, "Modality", gdcm::VR::CS};
inline constexpr TagInfo kHuCalibrationFactor{0x0018, 0x0061, "HUCalibrationFactor", gdcm::VR::DS};
inline constexpr TagInfo kPatientPosition{0x0018, 0x5100, "PatientPosition", gdcm::VR::CS};
inline constexpr TagInfo kSeriesInstanceUid{0x0020, 0x000E, "SeriesInstanceUID", gdcm::VR::UI};
inline constexpr TagInfo kInstanceNumber{0x0020, 0x0013, "InstanceNumber", gdcm::VR::IS};
inline constexpr TagInfo kRows{0x0028, 0x0010, "Rows", gdcm::VR::US};
inline constexpr TagInfo kColumns{0x0028, 0x0011, "Columns", gdcm::VR::US};
inline constexpr TagInfo kBitsAllocated{0x0028, 0x0100, "BitsAllocated", gdcm::VR::US};
inline constexpr TagInfo kPixelRepresentation{0x0028, 0x0103, "PixelRepresentation", gdcm::VR::US};
inline constexpr TagInfo kRescaleIntercept{0x0028, 0x1052, "RescaleIntercept", gdcm::VR::DS};
inline constexpr TagInfo kRescaleSlope{0x0028, 0x1053, "RescaleSlope", gdcm::VR::DS};
inline constexpr TagInfo kPixelData{0x7FE0, 0x0010, "PixelData", gdcm::VR::OW};

// DICOM-CT-PD private tags (Moen et al. 2021, Table IV; the 2016 dictionary v8 for the names).
inline constexpr TagInfo kColumnSpacing{0x7029, 0x1002, "DetectorElementTransverseSpacing",
                                        gdcm::VR::FL};
inline constexpr TagInfo kRowSpacing{0x7029, 0x1006, "DetectorElementAxialSpacing", gdcm::VR::FL};
inline constexpr TagInfo kDetectorShape{0x7029, 0x100B, "DetectorShape", gdcm::VR::CS};
inline constexpr TagInfo kDetectorRows{0x7029, 0x1010, "NumberofDetectorRows", gdcm::VR::US};
inline constexpr TagInfo kDetectorColumns{0x7029, 0x1011, "NumberofDetectorColumns", gdcm::VR::US};
inline constexpr TagInfo kFocalCenterAngle{0x7031, 0x1001, "DetectorFocalCenterAngularPosition",
                                           gdcm::VR::FL};
inline constexpr TagInfo kFocalCenterZ{0x7031, 0x1002, "DetectorFocalCenterAxialPosition",
                                       gdcm::VR::FL};
inline constexpr TagInfo kFocalCenterRadius{0x7031, 0x1003, "DetectorFocalCenterRadialDistance",
                                            gdcm::VR::FL};
inline constexpr TagInfo kFocalCenterToDetector{0x7031, 0x1031, "ConstantRadialDistance",
                                                gdcm::VR::FL};
inline constexpr TagInfo kCentralElement{0x7031, 0x1033, "DetectorCentralElement", gdcm::VR::FL};
// 100B and 100C swap meanings between generations (v3 names here; see FfsTagOrder).
inline constexpr TagInfo kShift100B{0x7033, 0x100B, "SourceAngularPositionShift (v3)",
                                    gdcm::VR::FL};
inline constexpr TagInfo kShift100C{0x7033, 0x100C, "SourceAxialPositionShift (v3)", gdcm::VR::FL};
inline constexpr TagInfo kShiftRadius{0x7033, 0x100D, "SourceRadialDistanceShift", gdcm::VR::FL};
inline constexpr TagInfo kFfsMode{0x7033, 0x100E, "FlyingFocalSpotMode", gdcm::VR::CS};
inline constexpr TagInfo kAngularSteps{0x7033, 0x1013, "NumberofSourceAngularSteps", gdcm::VR::US};
inline constexpr TagInfo kSpectrumIndex{0x7033, 0x1063, "SpectrumIndex", gdcm::VR::US};
inline constexpr TagInfo kPhotonStatistics{0x7033, 0x1065, "PhotonStatistics", gdcm::VR::FL};
inline constexpr TagInfo kProjectionType{0x7037, 0x1009, "TypeofProjectionData", gdcm::VR::CS};
inline constexpr TagInfo kLogFlag{0x7039, 0x1009, "LogFlag", gdcm::VR::CS};
inline constexpr TagInfo kWaterAttenuation{0x7041, 0x1001, "WaterAttenuationCoefficient",
                                           gdcm::VR::DS};

// Reads the tags of one file's data set; every error names the file and the tag.
class TagReader {
 public:
  TagReader(const gdcm::DataSet& data_set, std::string file)
      : data_set_(data_set), file_(std::move(file)) {}

  bool Has(const TagInfo& tag) const;
  // The raw value bytes (VR checked); InputError when missing or empty.
  const char* Bytes(const TagInfo& tag, size_t* length) const;
  // FL: `count` float32 values (count 0: any positive number of them).
  std::vector<float> Floats(const TagInfo& tag, size_t count) const;
  float Float(const TagInfo& tag) const { return Floats(tag, 1)[0]; }
  uint16_t UnsignedShort(const TagInfo& tag) const;
  // DS and IS: one number.
  double Number(const TagInfo& tag) const;
  // CS, UI, LO: the text without padding (spaces, NULs).
  std::string Text(const TagInfo& tag) const;

  const std::string& file() const { return file_; }
  // "<file>: (gggg,eeee) Name".
  std::string Where(const TagInfo& tag) const;

 private:
  const gdcm::DataSet& data_set_;
  std::string file_;
};

}  // namespace osmo::ctpd
