// DXchange import: flat/dark normalisation, −log, weights from counts.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/dxchange.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "projectors/error.h"
#include "recon/io/hdf5_util.h"
#include "recon/io/text_parsing.h"

namespace osmo {

void ParseAngleRange(const std::string& text, DxchangeOptions* options) {
  const std::string where = "dxchange.angles";
  const auto parts = Split(text, ':');
  if (parts.size() != 3) throw SettingError(where, "START:STOP:COUNT", "\"" + text + "\"");
  options->angle_start_deg = ParseNumber(parts[0], where, "a START angle in degrees");
  options->angle_stop_deg = ParseNumber(parts[1], where, "a STOP angle in degrees");
  const double count = ParseNumber(parts[2], where, "a COUNT of views");
  if (!(count >= 1 && count <= double(kMaxViews)) || count != std::floor(count)) {
    throw SettingError(where, "a whole COUNT from 1 to " + ToText(kMaxViews), parts[2]);
  }
  options->angle_count = int64_t(count);
}

void ParseRowRange(const std::string& text, DxchangeOptions* options) {
  const std::string where = "dxchange.rows";
  const auto parts = Split(text, ':');
  if (parts.size() != 2) throw SettingError(where, "A:B (rows A to B−1)", "\"" + text + "\"");
  const double a = ParseNumber(parts[0], where, "a first row A"),
               b = ParseNumber(parts[1], where, "an end row B");
  if (a < 0 || b <= a || a != std::floor(a) || b != std::floor(b) || b > double(kMaxRows)) {
    throw SettingError(where, "whole numbers 0 ≤ A < B", "\"" + text + "\"");
  }
  options->row_begin = int64_t(a);
  options->row_end = int64_t(b);
}

namespace {

// Pixel size from the file: /measurement/instrument/detector/{x_pixel_size, pixel_size} with a
// `units` attribute (m, mm, um/micron, nm; micrometres when absent, DXchange's usual unit).
std::optional<double> PixelSizeFromFile(hid_t file, const std::string& path) {
  for (const char* name : {"/measurement/instrument/detector/x_pixel_size",
                           "/measurement/instrument/detector/pixel_size"}) {
    if (!h5::Exists(file, name)) continue;
    h5::Handle dataset = h5::OpenDataset(file, name, path);
    if (h5::TypeClass(dataset.get()) != H5T_FLOAT && h5::TypeClass(dataset.get()) != H5T_INTEGER)
      continue;
    {
      h5::Handle type(H5Dget_type(dataset.get()), H5Tclose);
      h5::CheckStandardNumericType(type.get(), path + ": " + name);
    }
    double value = 0.0;
    const auto shape = h5::Shape(dataset.get());
    size_t n = 1;
    for (hsize_t d : shape) n *= d;
    std::vector<double> values(n);
    if (n == 0 ||
        H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
      continue;
    value = values[0];
    std::string units = "um";
    if (h5::HasAttribute(dataset.get(), "units")) {
      units = h5::ReadStringAttribute(dataset.get(), "units", path + ": " + name);
    }
    double scale = 0.0;  // mm per unit
    if (units == "m")
      scale = 1e3;
    else if (units == "mm")
      scale = 1.0;
    else if (units == "um" || units == "micron" || units == "microns" || units == "\u00b5m" ||
             units == "\u03bcm")  // micro sign or Greek mu, UTF-8
      scale = 1e-3;
    else if (units == "nm")
      scale = 1e-6;
    else
      throw InputError(path + ": " + name + " attribute units", "m, mm, um (µm, micron) or nm",
                       "\"" + units + "\"");
    if (value > 0 && std::isfinite(value)) return value * scale;
  }
  return std::nullopt;
}

// Per-pixel mean over the frames of a [frames][rows][channels] dataset (rows already selected).
std::vector<double> MeanFrame(hid_t file, const std::string& name, const std::string& path,
                              int64_t row_begin, int64_t row_end, int64_t n_channels) {
  h5::Handle dataset = h5::OpenDataset(file, name, path);
  const auto shape = h5::Shape(dataset.get());
  const int64_t rows = row_end - row_begin;
  if (shape.size() != 3 || shape[0] == 0 || int64_t(shape[2]) != n_channels ||
      int64_t(shape[1]) < row_end) {
    throw InputError(path + ": " + name,
                     "[frames ≥ 1][≥ " + std::to_string(row_end) + " rows][" +
                         std::to_string(n_channels) + " channels]",
                     shape.size() == 3
                         ? "[" + std::to_string(shape[0]) + "][" + std::to_string(shape[1]) + "][" +
                               std::to_string(shape[2]) + "]"
                         : "rank " + std::to_string(shape.size()));
  }
  std::vector<float> frames(static_cast<size_t>(shape[0] * hsize_t(rows * n_channels)));
  h5::ReadFloatSlab(dataset.get(), row_begin, row_end, frames.data(), path + ": " + name);
  std::vector<double> mean(static_cast<size_t>(rows * n_channels), 0.0);
  for (hsize_t f = 0; f < shape[0]; ++f) {
    for (size_t p = 0; p < mean.size(); ++p) mean[p] += frames[f * mean.size() + p];
  }
  for (double& m : mean) {
    m /= double(shape[0]);
    if (!std::isfinite(m)) throw InputError(path + ": " + name, "finite values", ToText(m));
  }
  return mean;
}

}  // namespace

namespace {

// The projection angles (radians): COUNT values from START to STOP inclusive when given, else
// /exchange/theta (degrees).
std::vector<double> DxchangeAngles(hid_t file, const std::string& path, int64_t n_views,
                                   const DxchangeOptions& options) {
  std::vector<double> angles;
  if (options.angle_count) {
    if (*options.angle_count != n_views) {
      throw SettingError("dxchange.angle_count",
                         std::to_string(n_views) + " (the file's projections)",
                         std::to_string(*options.angle_count));
    }
    const double start = *options.angle_start_deg, stop = *options.angle_stop_deg;
    for (int64_t i = 0; i < n_views; ++i) {
      const double f = n_views > 1 ? double(i) / double(n_views - 1) : 0.0;
      angles.push_back((start + f * (stop - start)) * M_PI / 180.0);
    }
  } else {
    h5::Handle theta = h5::OpenDataset(file, "/exchange/theta", path);
    const auto theta_shape = h5::Shape(theta.get());
    if (theta_shape.size() != 1 || int64_t(theta_shape[0]) != n_views) {
      throw InputError(path + ": /exchange/theta",
                       std::to_string(n_views) + " angles (one per projection)",
                       theta_shape.size() == 1 ? std::to_string(theta_shape[0]) : "another shape");
    }
    angles.resize(size_t(n_views));
    h5::ReadDoubles(theta.get(), angles.data(), path + ": /exchange/theta");
    for (double& a : angles) {
      if (!std::isfinite(a))
        throw InputError(path + ": /exchange/theta", "finite angles", ToText(a));
      a *= M_PI / 180.0;
    }
  }
  return angles;
}

// Flats darker than darks (swapped datasets, or a dead detector) would make every line integral
// meaningless: refused when that holds for most pixels, naming the counts.
void CheckFlatsAboveDarks(const std::vector<double>& flat, const std::vector<double>& dark,
                          const std::string& path) {
  size_t inverted = 0;
  double flat_sum = 0.0, dark_sum = 0.0;
  for (size_t p = 0; p < flat.size(); ++p) {
    inverted += flat[p] <= dark[p];
    flat_sum += flat[p];
    dark_sum += dark[p];
  }
  if (2 * inverted > flat.size()) {
    throw InputError(path + ": /exchange/data_white", "flat fields brighter than the dark fields",
                     "flats not above darks in " + std::to_string(inverted) + " of " +
                         std::to_string(flat.size()) + " pixels (mean flat " +
                         ToText(flat_sum / double(flat.size())) + ", mean dark " +
                         ToText(dark_sum / double(flat.size())) + "; swapped datasets?)");
  }
}

// y = −log(max(c − dark, ε) / max(flat − dark, ε)) in place, weights w = max(c − dark, ε).
void LogNormalise(const std::vector<double>& flat, const std::vector<double>& dark, double eps,
                  const std::string& path, ScanData* scan) {
  const ScanGeometry& g = scan->geometry;
  scan->weights = Sinogram(g);
  const size_t per_view = size_t(g.n_rows * g.n_channels);
  for (int64_t v = 0; v < g.NumViews(); ++v) {
    float* y = scan->sinogram.View(v);
    float* w = scan->weights->View(v);
    for (size_t p = 0; p < per_view; ++p) {
      if (!std::isfinite(y[p])) {
        throw InputError(path + ": /exchange/data", "finite values",
                         ToText(y[p]) + " in projection " + std::to_string(v));
      }
      const double counts = std::max(double(y[p]) - dark[p], eps);
      const double open = std::max(flat[p] - dark[p], eps);
      y[p] = float(-std::log(counts / open));
      w[p] = float(counts);
    }
  }
}

}  // namespace

ScanData ImportDxchange(const std::string& path, const DxchangeOptions& options) {
  h5::Handle file = h5::OpenFileReadOnly(path);
  h5::Handle data = h5::OpenDataset(file.get(), "/exchange/data", path);
  const auto shape = h5::Shape(data.get());
  if (shape.size() != 3 || shape[0] == 0 || shape[1] == 0 || shape[2] == 0) {
    throw InputError(path + ": /exchange/data",
                     "a 3D array [angles][rows][channels] with no empty axis",
                     "rank " + std::to_string(shape.size()));
  }
  const int64_t n_views = int64_t(shape[0]), n_rows_all = int64_t(shape[1]),
                n_channels = int64_t(shape[2]);
  const int64_t row_begin = options.row_begin.value_or(0);
  const int64_t row_end = options.row_end.value_or(n_rows_all);
  if (row_begin < 0 || row_end > n_rows_all || row_end <= row_begin) {
    throw SettingError("dxchange.rows",
                       "a range within the file's " + std::to_string(n_rows_all) + " rows",
                       std::to_string(row_begin) + ":" + std::to_string(row_end));
  }
  const int64_t n_rows = row_end - row_begin;

  ScanGeometry g;
  g.kind = ScanKind::kParallel;
  g.n_channels = n_channels;
  g.n_rows = n_rows;
  g.angles_rad = DxchangeAngles(file.get(), path, n_views, options);
  const double pixel =
      options.pixel_size_mm.value_or(PixelSizeFromFile(file.get(), path).value_or(1.0));
  if (!(pixel > 0) || !std::isfinite(pixel))
    throw SettingError("dxchange.pixel_size_mm", "a positive size", ToText(pixel));
  g.channel_spacing_mm = pixel;
  g.row_spacing_mm = pixel;
  // Keep the rows where they were on the full detector: v of file row R is (R − (N−1)/2)·Δv.
  g.row_offset = double(row_begin) + 0.5 * double(n_rows - 1) - 0.5 * double(n_rows_all - 1);
  const double center = options.center_of_rotation_px.value_or(0.5 * double(n_channels - 1));
  g.channel_offset = 0.5 * double(n_channels - 1) - center;
  g.Validate(path);

  const std::vector<double> flat =
      MeanFrame(file.get(), "/exchange/data_white", path, row_begin, row_end, n_channels);
  const std::vector<double> dark =
      MeanFrame(file.get(), "/exchange/data_dark", path, row_begin, row_end, n_channels);

  CheckFlatsAboveDarks(flat, dark, path);
  ScanData scan;
  scan.geometry = g;
  scan.sinogram = Sinogram(g);
  h5::ReadFloatSlab(data.get(), row_begin, row_end, scan.sinogram.values.data(),
                    path + ": /exchange/data");
  LogNormalise(flat, dark, options.min_counts, path, &scan);
  return scan;
}

}  // namespace osmo
