// `osmo info`: describe a scan file (geometry, sizes, value ranges) or a volume.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>

#include "projectors/error.h"
#include "projectors/helical_trajectory.h"
#include "projectors/input_file.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/commands.h"
#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"

namespace osmo::cli {

namespace {

struct InfoOptions {
  std::string path;
  RunOptions run;
};

void PrintRange(const std::string& name, const std::vector<float>& values) {
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  for (float v : values) {
    lo = std::min(lo, double(v));
    hi = std::max(hi, double(v));
    sum += v;
  }
  std::cout << "  " << std::left << std::setw(14) << name << "min " << lo << "  max " << hi
            << "  mean " << (values.empty() ? 0.0 : sum / double(values.size())) << "\n";
}

void PrintScan(const std::string& path, const ScanData& s, bool dxchange) {
  const ScanGeometry& g = s.geometry;
  std::cout << path << ": "
            << (dxchange                                ? "DXchange file (imported view)"
                : g.HasSourceZ() || g.HasSourceShifts() ? "osmo scan file (v2)"
                                                        : "osmo scan file (v1)")
            << "\n";
  std::cout << "  geometry      " << ToString(g.kind);
  if (g.kind != ScanKind::kParallel) {
    std::cout << ", " << ToString(g.detector_shape) << " detector, source–isocentre "
              << g.source_to_isocenter_mm << " mm, source–detector " << g.source_to_detector_mm
              << " mm";
  }
  std::cout << "\n  detector      " << g.n_channels << " channels × " << g.n_rows << " rows, "
            << g.channel_spacing_mm << " × " << g.row_spacing_mm << " mm, offsets "
            << g.channel_offset << ", " << g.row_offset << " cells\n";
  const auto [lo, hi] = std::minmax_element(g.angles_rad.begin(), g.angles_rad.end());
  std::cout << "  views         " << g.NumViews() << " from " << *lo * 180 / M_PI << "° to "
            << *hi * 180 / M_PI << "°\n";
  const TrajectorySummary t = SummarizeTrajectory(g);
  if (g.HasSourceZ() || g.HasSourceShifts()) {
    std::cout << "  trajectory    " << t.turns << " turns, table feed " << t.feed_per_turn_mm
              << " mm per turn, pitch " << t.pitch << " (row coverage "
              << RowCoverageAtIsocenterMm(g) << " mm at the isocentre), source z " << t.z_min_mm
              << " to " << t.z_max_mm << " mm\n";
    const auto [z_lo, z_hi] = CompleteDataZRange(g);
    std::cout << "  complete data z " << z_lo << " to " << z_hi << " mm"
              << (z_lo > z_hi ? " (none: the scan is shorter than the detector's shadow)" : "")
              << "\n";
  }
  if (g.HasSourceShifts()) {
    std::cout << "  focal spot    flying: |Δφ| ≤ " << t.max_shift_angle_rad << " rad, |Δz| ≤ "
              << t.max_shift_z_mm << " mm, |Δρ| ≤ " << t.max_shift_radius_mm << " mm\n";
  }
  std::cout << "  field of view radius " << g.FieldOfViewRadiusMm() << " mm\n";
  PrintRange("sinogram", s.sinogram.values);
  if (s.weights) PrintRange("weights", s.weights->values);
  if (s.counts) PrintRange("counts", s.counts->values);
  if (!s.incident_counts.empty()) PrintRange("I0", s.incident_counts);
  if (s.electronic_noise_std)
    std::cout << "  electronic σ  " << *s.electronic_noise_std << " counts\n";
  if (s.mu_water_per_mm) std::cout << "  μ water       " << *s.mu_water_per_mm << " /mm (for HU)\n";
  if (!s.patient_position.empty()) {
    std::cout << "  patient       " << s.patient_position
              << " (axes: x to the patient's left, y posterior, z superior)\n";
  }
  if (s.reference) {
    const ImageGeometry& r = s.reference->geometry;
    std::cout << "  reference     " << r.nx << "×" << r.ny << "×" << r.nz << " voxels of "
              << r.voxel_size_mm << " × " << r.slice_thickness_mm << " mm\n";
    PrintRange("reference", s.reference->values);
  }
  std::cout << "  present       sinogram" << (s.weights ? ", weights" : "")
            << (s.counts ? ", counts" : "")
            << (s.incident_counts.empty() ? "" : ", incident_counts")
            << (s.electronic_noise_std ? ", electronic_noise_std" : "")
            << (s.reference ? ", reference" : "") << "\n";
}

void RunInfo(const InfoOptions& o) {
  o.run.Apply();
  RequireRegularFile(o.path, "a scan file or volume");
  if (IsHdf5File(o.path)) {
    const bool dxchange = IsDxchangeFile(o.path);
    PrintScan(o.path, dxchange ? LoadScan(o.path, {}) : ReadScanFile(o.path), dxchange);
    return;
  }
  const VolumeFile file = ReadVolumeFile(o.path);
  const Image& image = file.image;
  const ImageGeometry& g = image.geometry;
  std::cout << o.path << ": volume\n  size          " << g.nx << " × " << g.ny << " × " << g.nz
            << " voxels\n  spacing       " << g.voxel_size_mm << ", " << g.voxel_size_mm << ", "
            << g.slice_thickness_mm << " mm\n  origin        " << g.X(0) << ", " << g.Y(0) << ", "
            << g.Z(0) << " mm (centre of voxel 0,0,0)\n"
            << "  axes          +x → patient left, +y → posterior, +z → superior (LPS, as ITK "
               "and DICOM; docs/FORMATS.md)\n"
            << "  units         "
            << (file.units_recorded ? "recorded in the file (values shown as μ)"
                                    : "not recorded (values taken as μ in 1/mm)")
            << "\n";
  PrintRange("values (μ)", image.values);
}

}  // namespace

void RegisterInfo(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* sub =
      app.add_subcommand("info", "Describe a scan file (geometry, sizes, ranges) or a volume");
  sub->add_option("file", o->path, "Scan file (.h5: osmo or DXchange) or volume")->required();
  o->run.Add(sub);
  sub->callback([o] { RunInfo(*o); });
}

}  // namespace osmo::cli
