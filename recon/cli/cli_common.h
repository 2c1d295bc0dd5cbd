// Options and helpers shared by the osmo subcommands: image grid, DXchange import, units,
// threads, scan loading, progress display.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "projectors/scan_data.h"
#include "recon/io/dicom_ct_pd.h"
#include "recon/io/dxchange.h"
#include "recon/io/volume_io.h"

namespace osmo::cli {

// Exit codes (DESIGN.md §5): 0 success, 1 bad input or failed run, 2 usage error; 130 when a
// run was interrupted by SIGINT/SIGTERM (after writing its checkpoint, if asked to).
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

// Thrown by a subcommand that stopped on a signal; main() exits with kExitInterrupted.
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// --image-size NX[,NY[,NZ]], --voxel-size-mm DX[,DZ], --image-center-mm X,Y,Z.
struct GridOptions {
  std::string size, voxel, center;
  void Add(CLI::App* app);
  // The grid from the options, each unset part from DefaultImageGeometry(scan).
  ImageGeometry Resolve(const ScanGeometry& scan) const;
};

// --angles-deg, --center-of-rotation, --rows, --pixel-size-mm (DXchange input).
struct DxchangeCliOptions {
  std::string angles, rows;
  std::optional<double> center_of_rotation, pixel_size_mm;
  void Add(CLI::App* app);
  DxchangeOptions Resolve() const;
};

// --views, --z-range-mm, --patient-position, --ffs-tags (DICOM-CT-PD input).
struct DicomCtPdCliOptions {
  std::string views, z_range, patient_position, ffs_tags = "auto";
  void Add(CLI::App* app);
  bool AnyGiven() const { return !views.empty() || !z_range.empty() || !patient_position.empty(); }
  DicomCtPdOptions Resolve() const;
};

// The output image of `osmo recon` and `osmo fbp`: --units mu|hu, --mu-water-per-mm and
// --format auto|volume|dicom.
struct OutputImageOptions {
  std::string units = "mu";
  std::optional<double> mu_water_per_mm;  // unset: the scan's (imported clinical data), else 0.02
  std::string format = "auto";
  void Add(CLI::App* app);
  // Checks the flags and that `output` suits the format (an extension ITK writes, or a folder
  // name for a DICOM series); InputError naming the flag otherwise.
  void Check(const std::string& output) const;
  // A DICOM series: --format dicom, or (auto) a path ending in '/' or without an extension.
  bool WritesDicom(const std::string& output) const;
  // The output's folder exists and is writable (and a DICOM folder is new or an earlier series).
  void CheckLocation(const std::string& output) const;
  double MuWater(const ScanData& scan) const;
  // Writes the image (μ, 1/mm) as a volume in the chosen units or as a DICOM CT series (HU)
  // described by `description`; a note with `verbose`.
  void Write(const std::string& output, const Image& image, const ScanData& scan,
             const std::string& description, bool verbose) const;
};

// The most OpenMP threads osmo accepts (--threads); larger counts are refused, not passed to the
// OpenMP runtime (which crashes on absurd counts).
constexpr int kMaxThreads = 1024;

// --threads N (default: all cores) and -v/--verbose.
struct RunOptions {
  int threads = 0;
  bool verbose = false;
  void Add(CLI::App* app);
  // Sets the OpenMP thread count (the CLI's choice; library code never does).
  void Apply() const;
};

// --ring-filter, --ring-filter-width N: stripe removal before reconstruction (recon/ring_filter.h).
struct RingFilterOptions {
  bool enabled = false;
  int64_t width = 21;
  void Add(CLI::App* app);
  // Filters the scan's sinogram in place when enabled (a note with -v).
  void Apply(ScanData& scan, bool verbose) const;
};

// An osmo scan file, or a DXchange file imported on the fly with `dx`.
ScanData LoadScan(const std::string& path, const DxchangeCliOptions& dx);

// A volume in μ (1/mm) for a role where units matter (--init, --reference, projection): warns on
// stderr when the file records no units (its values are then taken as μ).
Image ReadMuVolume(const std::string& path);

// How long work reports progress on stderr: kBar redraws one line (a terminal), kLines prints a
// plain line at the first update, then every `line_interval_s` and at the end (log files, Slurm),
// kAuto picks kBar on a terminal and kLines otherwise, kOff prints nothing.
enum class ProgressMode { kAuto, kBar, kLines, kOff };
inline constexpr EnumTable<ProgressMode, 4> kProgressModes = {{
    {ProgressMode::kAuto, "auto", "a bar on a terminal, else a line every ~10 s"},
    {ProgressMode::kBar, "bar", "one redrawn line"},
    {ProgressMode::kLines, "lines", "plain lines, for log files and Slurm"},
    {ProgressMode::kOff, "off", "nothing"},
}};
ProgressMode ParseProgressMode(const std::string& text);

// --progress auto|bar|lines|off.
struct ProgressOptions {
  std::string mode = "auto";
  void Add(CLI::App* app);
  ProgressMode Resolve() const;
};

// Seconds between progress lines in kLines mode (OSMO_PROGRESS_INTERVAL_S overrides, for tests).
double ProgressLineIntervalS();

class Progress {
 public:
  explicit Progress(std::string label, ProgressMode mode = ProgressMode::kAuto);
  // Shows "label: step/total  text  elapsed, time left".
  void Update(int64_t step, int64_t total, const std::string& text);
  // Clears the bar (kBar); in kLines mode prints the last update if it was not printed yet.
  void Finish();
  bool IsBar() const { return mode_ == ProgressMode::kBar; }

 private:
  std::string label_;
  ProgressMode mode_;
  double interval_s_;
  std::chrono::steady_clock::time_point start_, last_line_;
  bool printed_any_ = false;
  std::string pending_;  // the last update not yet printed as a line
};

// Message to stderr when verbose.
void Note(bool verbose, const std::string& text);

// Installs SIGINT/SIGTERM handlers that set a flag (checked between iterations).
void InstallStopHandlers();
bool StopRequested();

}  // namespace osmo::cli
