// Reading, validating and writing osmo scan files.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/scan_file.h"

#include <cmath>

#include "projectors/error.h"
#include "recon/io/atomic_output.h"
#include "recon/io/dicom_ct_pd_frame.h"
#include "recon/io/hdf5_util.h"

namespace osmo {

namespace {

std::string ShapeText(const std::vector<hsize_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? "][" : "") + std::to_string(dims[i]);
  return text + "]";
}

ScanGeometry ReadGeometry(hid_t file, const std::string& path) {
  h5::Handle group = h5::OpenGroup(file, "/geometry", path);
  const std::string where = path + ": /geometry";
  ScanGeometry g;
  g.kind =
      ParseScanKind(h5::ReadStringAttribute(group.get(), "kind", where), where + " attribute kind");
  auto optional_number = [&](const char* name, double fallback) {
    return h5::HasAttribute(group.get(), name) ? h5::ReadNumberAttribute(group.get(), name, where)
                                               : fallback;
  };
  if (g.kind != ScanKind::kParallel) {
    g.detector_shape =
        ParseDetectorShape(h5::ReadStringAttribute(group.get(), "detector_shape", where),
                           where + " attribute detector_shape");
    g.source_to_isocenter_mm =
        h5::ReadNumberAttribute(group.get(), "source_to_isocenter_mm", where);
    g.source_to_detector_mm = h5::ReadNumberAttribute(group.get(), "source_to_detector_mm", where);
  }
  g.channel_spacing_mm = h5::ReadNumberAttribute(group.get(), "channel_spacing_mm", where);
  g.channel_offset = optional_number("channel_offset", 0.0);
  g.row_offset = optional_number("row_offset", 0.0);

  h5::Handle angles = h5::OpenDataset(file, "/geometry/angles_rad", path);
  const auto angle_dims = h5::Shape(angles.get());
  if (angle_dims.size() != 1) {
    throw InputError(path + ": /geometry/angles_rad", "a 1D array of view angles",
                     "shape " + ShapeText(angle_dims));
  }
  if (angle_dims[0] > hsize_t(kMaxViews)) {
    throw InputError(path + ": /geometry/angles_rad", "at most " + ToText(kMaxViews) + " views",
                     ToText(angle_dims[0]));
  }
  g.angles_rad.resize(angle_dims[0]);
  h5::ReadDoubles(angles.get(), g.angles_rad.data(), path + ": /geometry/angles_rad");
  return g;
}

// Version 2's optional per-view datasets (one value per view; ScanGeometry::Validate checks
// the kind and the values). Present in a version 1 file, they are refused: a v1 reader would
// silently reconstruct a helical scan as a circular one.
void ReadTrajectory(hid_t file, const std::string& path, int version, ScanGeometry* g) {
  const struct {
    const char* name;
    std::vector<double>* values;
  } datasets[] = {{"source_z_mm", &g->source_z_mm},
                  {"source_shift_angle_rad", &g->source_shift_angle_rad},
                  {"source_shift_z_mm", &g->source_shift_z_mm},
                  {"source_shift_radius_mm", &g->source_shift_radius_mm}};
  for (const auto& [name, values] : datasets) {
    const std::string object = std::string("/geometry/") + name;
    if (!h5::Exists(file, object)) continue;
    if (version < kScanFormatVersionTrajectory) {
      throw InputError(path + ": / attribute osmo_format_version",
                       "version 2 (the file has " + object + ", a version 2 dataset)",
                       std::to_string(version));
    }
    h5::Handle dataset = h5::OpenDataset(file, object, path);
    const auto shape = h5::Shape(dataset.get());
    if (shape.size() != 1 || shape[0] != hsize_t(g->NumViews())) {
      throw InputError(path + ": " + object,
                       "a 1D array of " + std::to_string(g->NumViews()) + " values (one per view)",
                       "shape " + ShapeText(shape));
    }
    values->resize(shape[0]);
    h5::ReadDoubles(dataset.get(), values->data(), path + ": " + object);
  }
}

// Checks the root attributes and returns the format version (1 or 2).
int CheckRoot(hid_t file, const std::string& path) {
  h5::Handle root = h5::OpenGroup(file, "/", path);
  const std::string where = path + ": /";
  if (!h5::HasAttribute(root.get(), "osmo_format")) {
    throw InputError(where + " attribute osmo_format", "\"scan\" (an osmo scan file)",
                     "nothing (missing attribute; a DXchange file needs `osmo import`)");
  }
  const std::string format = h5::ReadStringAttribute(root.get(), "osmo_format", where);
  if (format != "scan") {
    throw InputError(where + " attribute osmo_format", "\"scan\"", "\"" + format + "\"");
  }
  const double version = h5::ReadNumberAttribute(root.get(), "osmo_format_version", where);
  if (version != kScanFormatVersion && version != kScanFormatVersionTrajectory) {
    throw InputError(where + " attribute osmo_format_version",
                     "version " + std::to_string(kScanFormatVersion) + " or " +
                         std::to_string(kScanFormatVersionTrajectory),
                     ToText(version));
  }
  return int(version);
}

// Opens a [views][rows][channels] dataset and checks its shape; n_rows/n_channels are taken from
// the sinogram and must match for the others.
h5::Handle OpenSinogramLike(hid_t file, const std::string& name, const std::string& path,
                            std::vector<hsize_t>* dims) {
  h5::Handle dataset = h5::OpenDataset(file, name, path);
  const auto shape = h5::Shape(dataset.get());
  if (shape.size() != 3) {
    throw InputError(path + ": " + name, "a 3D array [views][rows][channels]",
                     "rank " + std::to_string(shape.size()) + " shape " + ShapeText(shape));
  }
  if (dims->empty()) {
    *dims = shape;
  } else if (shape != *dims) {
    throw InputError(path + ": " + name, "the sinogram's shape " + ShapeText(*dims),
                     ShapeText(shape));
  }
  return dataset;
}

void CheckFinite(const Sinogram& s, const std::string& where, bool non_negative) {
  for (int64_t n = 0; n < s.size(); ++n) {
    const float v = s.values[size_t(n)];
    if (!std::isfinite(v) || (non_negative && v < 0.0f)) {
      const int64_t view = n / (s.n_rows * s.n_channels);
      const int64_t row = (n / s.n_channels) % s.n_rows, channel = n % s.n_channels;
      throw InputError(where + " at [" + std::to_string(view) + "][" + std::to_string(row) + "][" +
                           std::to_string(channel) + "]",
                       non_negative ? "finite values ≥ 0" : "finite values", ToText(v));
    }
  }
}

Sinogram ReadSinogramLike(hid_t file, const std::string& name, const std::string& path,
                          std::vector<hsize_t>* dims, bool non_negative) {
  h5::Handle dataset = OpenSinogramLike(file, name, path, dims);
  Sinogram s{int64_t((*dims)[0]), int64_t((*dims)[1]), int64_t((*dims)[2])};
  h5::ReadFloats(dataset.get(), s.values.data(), path + ": " + name);
  CheckFinite(s, path + ": " + name, non_negative);
  return s;
}

ScanGeometry ReadAndCheckGeometry(hid_t file, const std::string& path, std::vector<hsize_t>* dims) {
  const int version = CheckRoot(file, path);
  ScanGeometry g = ReadGeometry(file, path);
  OpenSinogramLike(file, "/sinogram", path, dims);
  const std::string where = path + ": /geometry";
  g.n_channels = int64_t((*dims)[2]);
  g.n_rows = int64_t((*dims)[1]);
  if ((*dims)[0] == 0) throw InputError(path + ": /sinogram", "at least one view", "0 views");
  if (g.angles_rad.size() != (*dims)[0]) {
    throw InputError(path + ": /geometry/angles_rad",
                     std::to_string((*dims)[0]) + " angles (one per sinogram view)",
                     std::to_string(g.angles_rad.size()));
  }
  ReadTrajectory(file, path, version, &g);
  if (g.kind == ScanKind::kCone || g.n_rows > 1) {
    h5::Handle group = h5::OpenGroup(file, "/geometry", path);
    g.row_spacing_mm = h5::HasAttribute(group.get(), "row_spacing_mm") || g.kind == ScanKind::kCone
                           ? h5::ReadNumberAttribute(group.get(), "row_spacing_mm", where)
                           : 1.0;
  }
  g.Validate(where);
  return g;
}

}  // namespace

ScanGeometry ReadScanGeometry(const std::string& path) {
  h5::Handle file = h5::OpenFileReadOnly(path);
  std::vector<hsize_t> dims;
  return ReadAndCheckGeometry(file.get(), path, &dims);
}

ScanData ReadScanFile(const std::string& path) {
  h5::Handle file = h5::OpenFileReadOnly(path);
  std::vector<hsize_t> dims;
  ScanData scan;
  scan.geometry = ReadAndCheckGeometry(file.get(), path, &dims);
  scan.sinogram = ReadSinogramLike(file.get(), "/sinogram", path, &dims, false);
  if (h5::Exists(file.get(), "/weights")) {
    scan.weights = ReadSinogramLike(file.get(), "/weights", path, &dims, true);
  }
  if (h5::Exists(file.get(), "/counts")) {
    scan.counts = ReadSinogramLike(file.get(), "/counts", path, &dims, false);
  }
  h5::Handle root = h5::OpenGroup(file.get(), "/", path);
  if (h5::HasAttribute(root.get(), "incident_counts")) {
    const double i0 = h5::ReadNumberAttribute(root.get(), "incident_counts", path + ": /");
    if (!(i0 > 0))
      throw InputError(path + ": / attribute incident_counts", "a positive count", ToText(i0));
    scan.incident_counts = {float(i0)};
  } else if (h5::Exists(file.get(), "/incident_counts")) {
    h5::Handle i0 = h5::OpenDataset(file.get(), "/incident_counts", path);
    const auto shape = h5::Shape(i0.get());
    if (shape.size() != 1 || shape[0] != dims[2]) {
      throw InputError(path + ": /incident_counts",
                       "[" + std::to_string(dims[2]) + "] (one per channel)", ShapeText(shape));
    }
    scan.incident_counts.resize(shape[0]);
    h5::ReadFloats(i0.get(), scan.incident_counts.data(), path + ": /incident_counts");
    for (float v : scan.incident_counts) {
      if (!(v > 0.0f) || !std::isfinite(v)) {
        throw InputError(path + ": /incident_counts", "positive finite counts", ToText(v));
      }
    }
  }
  if (h5::HasAttribute(root.get(), "electronic_noise_std")) {
    const double sigma = h5::ReadNumberAttribute(root.get(), "electronic_noise_std", path + ": /");
    if (sigma < 0) {
      throw InputError(path + ": / attribute electronic_noise_std", "a value ≥ 0", ToText(sigma));
    }
    scan.electronic_noise_std = sigma;
  }
  if (h5::HasAttribute(root.get(), "mu_water_per_mm")) {
    const double mu = h5::ReadNumberAttribute(root.get(), "mu_water_per_mm", path + ": /");
    if (!(mu > 0) || !std::isfinite(mu)) {
      throw InputError(path + ": / attribute mu_water_per_mm", "a positive μ of water (1/mm)",
                       ToText(mu));
    }
    scan.mu_water_per_mm = mu;
  }
  if (h5::HasAttribute(root.get(), "patient_position")) {
    scan.patient_position = h5::ReadStringAttribute(root.get(), "patient_position", path + ": /");
    ParsePatientPosition(scan.patient_position, path + ": / attribute patient_position");
  }
  if (h5::Exists(file.get(), "/reference")) {
    h5::Handle ref = h5::OpenDataset(file.get(), "/reference", path);
    const auto shape = h5::Shape(ref.get());
    const std::string where = path + ": /reference";
    if (shape.size() != 3 || shape[0] == 0 || shape[1] == 0 || shape[2] == 0 ||
        shape[0] > (1u << 20) || shape[1] > (1u << 20) || shape[2] > (1u << 20)) {
      throw InputError(where, "a 3D array [nz][ny][nx] of 1 to 2^20 voxels per axis",
                       ShapeText(shape));
    }
    const auto spacing = h5::ReadNumberArrayAttribute(ref.get(), "spacing_mm", where);
    const auto origin = h5::ReadNumberArrayAttribute(ref.get(), "origin_mm", where);
    if (spacing.size() != 3 || origin.size() != 3) {
      throw InputError(where + " attributes spacing_mm/origin_mm", "3 values each (x, y, z)",
                       std::to_string(spacing.size()) + " and " + std::to_string(origin.size()));
    }
    if (std::abs(spacing[0] - spacing[1]) > 1e-6 * spacing[0] || !(spacing[0] > 0) ||
        !(spacing[2] > 0)) {
      throw InputError(where + " attribute spacing_mm", "positive spacing with dx = dy",
                       ToText(spacing[0]) + ", " + ToText(spacing[1]) + ", " + ToText(spacing[2]));
    }
    const ImageGeometry g =
        ImageGeometry::FromOrigin(int64_t(shape[2]), int64_t(shape[1]), int64_t(shape[0]),
                                  spacing[0], spacing[2], {origin[0], origin[1], origin[2]});
    g.Validate(where);
    Image image(g);
    h5::ReadFloats(ref.get(), image.data(), where);
    for (float v : image.values) {
      if (!std::isfinite(v)) throw InputError(where, "finite values", ToText(v));
    }
    scan.reference = std::move(image);
  }
  return scan;
}

void WriteScanFile(const std::string& path, const ScanData& scan) {
  scan.geometry.Validate("scan to write");
  const ScanGeometry& g = scan.geometry;
  WriteAtomically(path, [&](const std::string& temporary) {
    h5::Handle file = h5::CreateFile(temporary);
    h5::Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
    h5::WriteStringAttribute(root.get(), "osmo_format", "scan");
    const bool trajectory = g.HasSourceZ() || g.HasSourceShifts();
    h5::WriteIntAttribute(root.get(), "osmo_format_version",
                          trajectory ? kScanFormatVersionTrajectory : kScanFormatVersion);
    {
      h5::Handle group = h5::CreateGroup(file.get(), "geometry");
      h5::WriteStringAttribute(group.get(), "kind", ToString(g.kind));
      if (g.kind != ScanKind::kParallel) {
        h5::WriteStringAttribute(group.get(), "detector_shape", ToString(g.detector_shape));
        h5::WriteDoubleAttribute(group.get(), "source_to_isocenter_mm", g.source_to_isocenter_mm);
        h5::WriteDoubleAttribute(group.get(), "source_to_detector_mm", g.source_to_detector_mm);
      }
      h5::WriteDoubleAttribute(group.get(), "channel_spacing_mm", g.channel_spacing_mm);
      h5::WriteDoubleAttribute(group.get(), "row_spacing_mm", g.row_spacing_mm);
      h5::WriteDoubleAttribute(group.get(), "channel_offset", g.channel_offset);
      h5::WriteDoubleAttribute(group.get(), "row_offset", g.row_offset);
      h5::WriteDoubleDataset(group.get(), "angles_rad", {hsize_t(g.NumViews())},
                             g.angles_rad.data());
      for (const auto& [name, values] :
           {std::pair{"source_z_mm", &g.source_z_mm},
            std::pair{"source_shift_angle_rad", &g.source_shift_angle_rad},
            std::pair{"source_shift_z_mm", &g.source_shift_z_mm},
            std::pair{"source_shift_radius_mm", &g.source_shift_radius_mm}}) {
        if (!values->empty())
          h5::WriteDoubleDataset(group.get(), name, {hsize_t(g.NumViews())}, values->data());
      }
    }
    const std::vector<hsize_t> dims = {hsize_t(g.NumViews()), hsize_t(g.n_rows),
                                       hsize_t(g.n_channels)};
    // One view per chunk (capped at ~1 MiB), so a subset of views reads without the rest.
    const hsize_t rows_per_chunk =
        std::max<hsize_t>(1, std::min<hsize_t>(dims[1], (1u << 18) / dims[2]));
    const std::vector<hsize_t> chunk = {1, rows_per_chunk, dims[2]};
    auto write_sinogram = [&](const char* name, const Sinogram& s) {
      if (!s.SameShape(scan.sinogram)) {
        throw InputError(std::string("dataset ") + name, "the sinogram's shape", "another shape");
      }
      h5::WriteFloatDataset(file.get(), name, dims, s.values.data(), chunk);
    };
    if (scan.sinogram.n_views != g.NumViews() || scan.sinogram.n_rows != g.n_rows ||
        scan.sinogram.n_channels != g.n_channels) {
      throw InputError("sinogram to write", "the geometry's shape", "another shape");
    }
    write_sinogram("sinogram", scan.sinogram);
    if (scan.weights) write_sinogram("weights", *scan.weights);
    if (scan.counts) write_sinogram("counts", *scan.counts);
    if (scan.incident_counts.size() == 1) {
      h5::WriteDoubleAttribute(root.get(), "incident_counts", scan.incident_counts[0]);
    } else if (!scan.incident_counts.empty()) {
      bool uniform = true;
      for (float v : scan.incident_counts) uniform = uniform && v == scan.incident_counts[0];
      if (uniform) {
        h5::WriteDoubleAttribute(root.get(), "incident_counts", scan.incident_counts[0]);
      } else {
        h5::WriteFloatDataset(file.get(), "incident_counts", {hsize_t(scan.incident_counts.size())},
                              scan.incident_counts.data(), {hsize_t(scan.incident_counts.size())});
      }
    }
    if (scan.electronic_noise_std) {
      h5::WriteDoubleAttribute(root.get(), "electronic_noise_std", *scan.electronic_noise_std);
    }
    if (scan.mu_water_per_mm) {
      h5::WriteDoubleAttribute(root.get(), "mu_water_per_mm", *scan.mu_water_per_mm);
    }
    if (!scan.patient_position.empty()) {
      h5::WriteStringAttribute(root.get(), "patient_position", scan.patient_position);
    }
    if (scan.reference) {
      const ImageGeometry& r = scan.reference->geometry;
      const std::vector<hsize_t> ref_dims = {hsize_t(r.nz), hsize_t(r.ny), hsize_t(r.nx)};
      const std::vector<hsize_t> ref_chunk = {1, hsize_t(r.ny), hsize_t(r.nx)};
      h5::Handle ref = h5::WriteFloatDataset(file.get(), "reference", ref_dims,
                                             scan.reference->data(), ref_chunk);
      h5::WriteDoubleArrayAttribute(ref.get(), "spacing_mm",
                                    {r.voxel_size_mm, r.voxel_size_mm, r.slice_thickness_mm});
      h5::WriteDoubleArrayAttribute(ref.get(), "origin_mm", {r.X(0), r.Y(0), r.Z(0)});
    }
    root = h5::Handle();
    file.Close(path);  // flushed and closed with errors checked before the rename
  });
}

bool IsHdf5File(const std::string& path) {
  h5::SilenceErrors();
  return H5Fis_hdf5(path.c_str()) > 0;
}

bool IsDxchangeFile(const std::string& path) {
  h5::Handle file = h5::OpenFileReadOnly(path);
  return h5::Exists(file.get(), "/exchange/data");
}

}  // namespace osmo
