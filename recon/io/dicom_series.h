// Writing a volume as a DICOM CT image series (one file per slice) through ITK's GDCM ImageIO,
// for DICOM viewers and PACS.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

#include "projectors/arrays.h"

namespace osmo {

struct DicomSeriesOptions {
  double mu_water_per_mm = 0.02;            // HU = 1000·(μ − μ_w)/μ_w
  std::string series_description = "osmo";  // (0008,103E): method and parameters
  std::string patient_position;             // (0018,5100) "HFS", …; empty: not written
};

struct DicomSeriesReport {
  int64_t files = 0;
  int64_t clamped_voxels = 0;  // HU outside the int16 range the series stores
};

// Throws InputError unless `folder` can receive a series: its parent folder exists and is
// writable, and `folder` is new or holds only .dcm files.
void CheckDicomSeriesOutput(const std::string& folder);

// Stored values: int16 = round(HU) + 1024 with RescaleSlope 1, RescaleIntercept −1024, RescaleType
// HU, so HU from −32768 to 31743 are exact to 1 HU (others are clamped and counted). Every slice
// gets PixelSpacing, SliceThickness and SpacingBetweenSlices (dz), ImagePositionPatient = the
// centre of its first voxel (osmo's x, y, z as the patient's LPS), ImageOrientationPatient
// 1\0\0\0\1\0, SliceLocation, InstanceNumber (1 = lowest z) and new Study, Series, Frame of
// Reference and SOP Instance UIDs. The files are named IM000001.dcm, … The series is written into
// a hidden folder beside `folder` and renamed into place when complete; an existing `folder` is
// replaced only if it holds nothing but .dcm files (an earlier series), else an InputError.
DicomSeriesReport WriteDicomSeries(const std::string& folder, const Image& image,
                                   const DicomSeriesOptions& options);

}  // namespace osmo
