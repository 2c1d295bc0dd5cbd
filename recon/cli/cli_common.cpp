// Shared CLI options and helpers.
// SPDX-License-Identifier: Apache-2.0
#include "recon/cli/cli_common.h"

#include <omp.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "projectors/error.h"
#include "projectors/geometry_presets.h"
#include "recon/io/atomic_output.h"
#include "recon/io/dicom_series.h"
#include "recon/io/scan_file.h"
#include "recon/ring_filter.h"

namespace osmo::cli {

namespace {

std::vector<double> ParseList(const std::string& text, const std::string& option, size_t min_count,
                              size_t max_count) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(part, &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != part.size() || !std::isfinite(v)) {
      throw InputError(option, "comma-separated numbers", "\"" + text + "\"");
    }
    values.push_back(v);
  }
  if (values.size() < min_count || values.size() > max_count) {
    throw InputError(option,
                     std::to_string(min_count) + " to " + std::to_string(max_count) + " values",
                     "\"" + text + "\"");
  }
  return values;
}

}  // namespace

void GridOptions::Add(CLI::App* app) {
  app->add_option("--image-size", size,
                  "Image size NX[,NY[,NZ]] in voxels (default: the fewest, an even number, at the "
                  "detector pitch at the isocentre covering the field of view; NZ from the rows; "
                  "helical scans: the complete-data z range, docs/FORMATS.md)");
  app->add_option("--voxel-size-mm", voxel,
                  "Voxel size DX[,DZ] in mm (default: the detector pitch at the isocentre, or the "
                  "field-of-view diameter / NX when NX is given; DZ = DX for circular cone beam "
                  "and single slices, else the row pitch (helical: at the isocentre))");
  app->add_option("--image-center-mm", center,
                  "Image centre X,Y,Z in mm (default: 0,0,detector centre; helical: the middle of "
                  "the complete-data range)");
}

namespace {

// Circular cone beam and single slices: cubic voxels. Slice stacks and helical scans: slices as
// thick as a row (at the isocentre), whatever the transaxial voxel.
bool SliceFollowsVoxel(const ScanGeometry& scan) {
  return (scan.kind == ScanKind::kCone && !scan.HasSourceZ()) || scan.n_rows == 1;
}

}  // namespace

ImageGeometry GridOptions::Resolve(const ScanGeometry& scan) const {
  ImageGeometry g = DefaultImageGeometry(scan);
  if (!size.empty()) {
    const auto n = ParseList(size, "--image-size", 1, 3);
    for (double v : n) {  // range first: larger values cannot be converted to integers
      if (!(v >= 1 && v <= double(int64_t(1) << 20)) || v != std::floor(v))
        throw InputError("--image-size", "whole numbers from 1 to 1048576", "\"" + size + "\"");
    }
    const double fov = double(g.nx) * g.voxel_size_mm;
    g.nx = int64_t(n[0]);
    g.ny = n.size() > 1 ? int64_t(n[1]) : g.nx;
    if (n.size() > 2) g.nz = int64_t(n[2]);
    if (voxel.empty()) {
      g.voxel_size_mm = fov / double(std::max(g.nx, g.ny));  // keep covering the field of view
      if (SliceFollowsVoxel(scan) && n.size() <= 2) g.slice_thickness_mm = g.voxel_size_mm;
    }
  }
  if (!voxel.empty()) {
    const auto d = ParseList(voxel, "--voxel-size-mm", 1, 2);
    g.voxel_size_mm = d[0];
    if (d.size() > 1)
      g.slice_thickness_mm = d[1];
    else if (SliceFollowsVoxel(scan))
      g.slice_thickness_mm = d[0];
  }
  if (!center.empty()) {
    const auto c = ParseList(center, "--image-center-mm", 3, 3);
    g.center_mm = {c[0], c[1], c[2]};
  }
  g.Validate("image grid options");
  return g;
}

void DxchangeCliOptions::Add(CLI::App* app) {
  app->add_option("--angles-deg", angles,
                  "DXchange input: override /exchange/theta with COUNT views from START to STOP "
                  "degrees inclusive (START:STOP:COUNT)");
  app->add_option("--center-of-rotation", center_of_rotation,
                  "DXchange input: channel index (0-based, pixels) of the rotation axis "
                  "(default: the detector centre)");
  app->add_option("--rows", rows, "DXchange input: rows A to B−1 only (A:B; default: all)");
  app->add_option("--pixel-size-mm", pixel_size_mm,
                  "DXchange input: detector pixel size in mm (default: from the file, else 1.0)");
}

DxchangeOptions DxchangeCliOptions::Resolve() const {
  DxchangeOptions o;
  if (!angles.empty()) ParseAngleRange(angles, &o);
  if (!rows.empty()) ParseRowRange(rows, &o);
  o.center_of_rotation_px = center_of_rotation;
  o.pixel_size_mm = pixel_size_mm;
  return o;
}

void DicomCtPdCliOptions::Add(CLI::App* app) {
  app->add_option("--views", views,
                  "DICOM-CT-PD: views A ≤ k < B in acquisition order, 0-based (A: or :B allowed) "
                  "[default: all]");
  app->add_option("--z-range-mm", z_range,
                  "DICOM-CT-PD: only the views whose rays reach the slab Z0 ≤ z ≤ Z1 (mm, the "
                  "patient's z after import, superior positive); the scan's default grid then "
                  "covers the slab [default: all]");
  app->add_option("--patient-position", patient_position,
                  "DICOM-CT-PD: " + DescribeNames(kPatientPositions) +
                      " [default: (0018,5100) of the files, else HFS]");
  app->add_option("--ffs-tags", ffs_tags,
                  "DICOM-CT-PD flying focal spot tags: " + DescribeNames(kFfsTagOrders))
      ->capture_default_str();
}

DicomCtPdOptions DicomCtPdCliOptions::Resolve() const {
  DicomCtPdOptions o;
  if (!views.empty()) ParseViewRange(views, &o);
  if (!z_range.empty()) ParseZRange(z_range, &o);
  if (!patient_position.empty()) {
    o.patient_position = ParsePatientPosition(patient_position, "--patient-position");
  }
  o.ffs_tags = ParseEnum(kFfsTagOrders, ffs_tags, "--ffs-tags");
  return o;
}

void OutputImageOptions::Add(CLI::App* app) {
  app->add_option("--units", units,
                  "Output values: " + DescribeNames(kVolumeUnits) + " (a DICOM series is in HU)")
      ->check(CLI::IsMember({"mu", "hu"}))
      ->capture_default_str();
  app->add_option(
      "--mu-water-per-mm", mu_water_per_mm,
      "μ of water for HU, 1/mm [default: the scan's (imported DICOM-CT-PD), else 0.02]");
  app->add_option("--format", format,
                  "Output: volume (by the extension: .mha .mhd .nrrd .nhdr .nii .nii.gz), dicom "
                  "(a folder of CT image files, HU), or auto (dicom for a path ending in / or "
                  "without an extension)")
      ->check(CLI::IsMember({"auto", "volume", "dicom"}))
      ->capture_default_str();
}

void OutputImageOptions::Check(const std::string& output) const {
  ParseEnum(kVolumeUnits, units, "--units");
  if (mu_water_per_mm && (!(*mu_water_per_mm > 0) || !std::isfinite(*mu_water_per_mm))) {
    throw InputError("--mu-water-per-mm", "a positive μ in 1/mm", ToText(*mu_water_per_mm));
  }
  if (!WritesDicom(output)) CheckVolumeExtension(output);
}

bool OutputImageOptions::WritesDicom(const std::string& output) const {
  if (format != "auto") return format == "dicom";
  if (!output.empty() && output.back() == '/') return true;
  const size_t slash = output.find_last_of('/');
  const std::string name = slash == std::string::npos ? output : output.substr(slash + 1);
  return name.find('.') == std::string::npos;
}

void OutputImageOptions::CheckLocation(const std::string& output) const {
  if (WritesDicom(output)) {
    CheckDicomSeriesOutput(output);
  } else {
    CheckOutputLocation(output);
  }
}

double OutputImageOptions::MuWater(const ScanData& scan) const {
  return mu_water_per_mm.value_or(
      scan.mu_water_per_mm.value_or(VolumeWriteOptions{}.mu_water_per_mm));
}

void OutputImageOptions::Write(const std::string& output, const Image& image, const ScanData& scan,
                               const std::string& description, bool verbose) const {
  if (WritesDicom(output)) {
    DicomSeriesOptions dicom;
    dicom.mu_water_per_mm = MuWater(scan);
    dicom.series_description = description;
    dicom.patient_position = scan.patient_position;
    const DicomSeriesReport report = WriteDicomSeries(output, image, dicom);
    if (report.clamped_voxels > 0) {
      std::cerr << "osmo: warning: " << report.clamped_voxels
                << " voxels lie outside the HU range a DICOM series stores (-32768 to 31743) "
                   "and were clamped\n";
    }
    Note(verbose,
         "wrote a DICOM series of " + std::to_string(report.files) + " slices to " + output);
    return;
  }
  VolumeWriteOptions write;
  write.units = ParseEnum(kVolumeUnits, units, "--units");
  write.mu_water_per_mm = MuWater(scan);
  WriteVolume(output, image, write);
  Note(verbose, "wrote " + output);
}

void RunOptions::Add(CLI::App* app) {
  app->add_option("--threads", threads, "OpenMP threads (default: all cores, or OMP_NUM_THREADS)");
  app->add_flag("-v,--verbose", verbose, "Report each step on stderr");
}

void RunOptions::Apply() const {
  if (threads < 0)
    throw InputError("--threads", "a count ≥ 1 (0: all cores)", std::to_string(threads));
  if (threads > kMaxThreads) {
    throw InputError("--threads", "at most " + std::to_string(kMaxThreads) + " threads",
                     std::to_string(threads));
  }
  if (threads > 0) omp_set_num_threads(threads);
}

void RingFilterOptions::Add(CLI::App* app) {
  app->add_flag("--ring-filter", enabled,
                "Remove stripes from the sinogram before reconstruction (ring artefacts of "
                "detector cells with their own gain; docs/REAL_DATA.md)");
  app->add_option("--ring-filter-width", width,
                  "Widest stripe removed, channels (odd): the running median of the ring filter")
      ->capture_default_str();
}

void RingFilterOptions::Apply(ScanData& scan, bool verbose) const {
  if (!enabled) return;
  const double removed = RemoveStripes(scan.sinogram, width);
  Note(verbose, "ring filter: removed stripes of RMS " + ToText(removed) + " (width " +
                    std::to_string(width) + " channels)");
}

ScanData LoadScan(const std::string& path, const DxchangeCliOptions& dx) {
  if (IsDxchangeFile(path)) return ImportDxchange(path, dx.Resolve());
  if (!dx.angles.empty() || !dx.rows.empty() || dx.center_of_rotation || dx.pixel_size_mm) {
    throw InputError(path,
                     "a DXchange file for --angles-deg/--rows/--center-of-rotation/--pixel-size-mm",
                     "an osmo scan file");
  }
  return ReadScanFile(path);
}

Image ReadMuVolume(const std::string& path) {
  VolumeFile file = ReadVolumeFile(path);
  if (!file.units_recorded) {
    std::cerr << "osmo: warning: " << path
              << " records no units; its values are taken as μ in 1/mm\n";
  }
  return std::move(file.image);
}

ProgressMode ParseProgressMode(const std::string& text) {
  return ParseEnum(kProgressModes, text, "--progress");
}

void ProgressOptions::Add(CLI::App* app) {
  app->add_option("--progress", mode, "Progress on stderr: " + DescribeNames(kProgressModes))
      ->check(CLI::IsMember({"auto", "bar", "lines", "off"}))
      ->capture_default_str();
}

ProgressMode ProgressOptions::Resolve() const { return ParseProgressMode(mode); }

double ProgressLineIntervalS() {
  const char* text = std::getenv("OSMO_PROGRESS_INTERVAL_S");
  if (text == nullptr) return 10.0;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  return end != text && value >= 0.0 && std::isfinite(value) ? value : 10.0;
}

Progress::Progress(std::string label, ProgressMode mode)
    : label_(std::move(label)),
      mode_(mode),
      interval_s_(ProgressLineIntervalS()),
      start_(std::chrono::steady_clock::now()),
      last_line_(start_) {
  if (mode_ == ProgressMode::kAuto)
    mode_ = isatty(STDERR_FILENO) != 0 ? ProgressMode::kBar : ProgressMode::kLines;
}

void Progress::Update(int64_t step, int64_t total, const std::string& text) {
  if (mode_ == ProgressMode::kOff) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = step > 0 ? elapsed * double(total - step) / double(step) : 0.0;
  std::ostringstream line;
  line << label_ << ": " << step << "/" << total << (text.empty() ? "" : "  " + text) << "  "
       << int(elapsed) << " s elapsed, ~" << std::lround(eta) << " s left";
  if (mode_ == ProgressMode::kBar) {
    std::cerr << "\r\033[K" << line.str() << std::flush;
    return;
  }
  const bool due = !printed_any_ || step >= total ||
                   std::chrono::duration<double>(now - last_line_).count() >= interval_s_;
  if (!due) {
    pending_ = line.str();
    return;
  }
  std::cerr << line.str() << "\n" << std::flush;
  printed_any_ = true;
  last_line_ = now;
  pending_.clear();
}

void Progress::Finish() {
  if (mode_ == ProgressMode::kBar) std::cerr << "\r\033[K" << std::flush;
  if (mode_ == ProgressMode::kLines && !pending_.empty()) {
    std::cerr << pending_ << "\n" << std::flush;
    pending_.clear();
  }
}

void Note(bool verbose, const std::string& text) {
  if (verbose) std::cerr << "osmo: " << text << "\n";
}

namespace {
std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop.store(true); }
}  // namespace

void InstallStopHandlers() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

bool StopRequested() { return g_stop.load(); }

}  // namespace osmo::cli
