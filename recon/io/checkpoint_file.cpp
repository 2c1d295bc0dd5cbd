// Solver checkpoint files.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/checkpoint_file.h"

#include <cmath>

#include "projectors/error.h"
#include "recon/io/atomic_output.h"
#include "recon/io/hdf5_util.h"

namespace osmo {

namespace {

constexpr int kCheckpointVersion = 1;

void WriteImage(hid_t file, const char* name, const Image& image) {
  if (image.values.empty()) return;
  const ImageGeometry& g = image.geometry;
  h5::WriteFloatDataset(file, name, {hsize_t(g.nz), hsize_t(g.ny), hsize_t(g.nx)}, image.data(),
                        {1, hsize_t(g.ny), hsize_t(g.nx)});
}

Image ReadImage(hid_t file, const char* name, const ImageGeometry& grid, const std::string& path) {
  if (!h5::Exists(file, std::string("/") + name)) return Image();
  h5::Handle ds = h5::OpenDataset(file, std::string("/") + name, path);
  const auto shape = h5::Shape(ds.get());
  if (shape.size() != 3 || int64_t(shape[0]) != grid.nz || int64_t(shape[1]) != grid.ny ||
      int64_t(shape[2]) != grid.nx) {
    throw InputError(path + ": /" + name, "the reconstruction grid's shape", "another shape");
  }
  Image image(grid);
  h5::ReadFloats(ds.get(), image.data(), path + ": /" + name);
  for (float v : image.values) {
    if (!std::isfinite(v)) throw InputError(path + ": /" + name, "finite values", ToText(v));
  }
  return image;
}

}  // namespace

void WriteCheckpoint(const std::string& path, const SolverState& s,
                     const std::string& fingerprint) {
  WriteAtomically(path, [&](const std::string& temporary) {
    h5::Handle file = h5::CreateFile(temporary);
    h5::Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
    h5::WriteStringAttribute(root.get(), "osmo_format", "checkpoint");
    h5::WriteIntAttribute(root.get(), "osmo_format_version", kCheckpointVersion);
    h5::WriteStringAttribute(root.get(), "fingerprint", fingerprint);
    h5::WriteDoubleAttribute(root.get(), "iteration", double(s.iteration));
    h5::WriteDoubleAttribute(root.get(), "subiteration", double(s.subiteration));
    h5::WriteDoubleAttribute(root.get(), "momentum_k", double(s.momentum_k));
    h5::WriteDoubleAttribute(root.get(), "t", s.t);
    h5::WriteDoubleAttribute(root.get(), "t_sum", s.t_sum);
    h5::WriteDoubleAttribute(root.get(), "elapsed_s", s.elapsed_s);
    h5::WriteDoubleAttribute(root.get(), "restarts", double(s.restarts));
    h5::WriteDoubleAttribute(root.get(), "previous_cost", s.previous_cost);
    h5::WriteDoubleAttribute(root.get(), "initial_cost", s.initial_cost);
    h5::WriteDoubleAttribute(root.get(), "initial_gradient_norm", s.initial_gradient_norm);
    h5::WriteDoubleAttribute(root.get(), "subsets", double(s.subsets));
    h5::WriteDoubleAttribute(root.get(), "relax_origin", double(s.relax_origin));
    if (std::isfinite(s.pass_step))  // absent: no pass yet at this subset count
      h5::WriteDoubleAttribute(root.get(), "pass_step", s.pass_step);
    WriteImage(file.get(), "x", s.x);
    WriteImage(file.get(), "z", s.z);
    WriteImage(file.get(), "anchor", s.anchor);
    WriteImage(file.get(), "accumulated", s.accumulated);
    WriteImage(file.get(), "denominator", s.denominator);
    WriteImage(file.get(), "lalm_average", s.lalm_average);
    WriteImage(file.get(), "lalm_linearisation", s.lalm_linearisation);
    root = h5::Handle();
    file.Close(path);
  });
}

SolverState ReadCheckpoint(const std::string& path, const std::string& expected_fingerprint,
                           const ImageGeometry& grid) {
  h5::Handle file = h5::OpenFileReadOnly(path);
  h5::Handle root = h5::OpenGroup(file.get(), "/", path);
  const std::string where = path + ": /";
  const std::string format = h5::ReadStringAttribute(root.get(), "osmo_format", where);
  if (format != "checkpoint") {
    throw InputError(where + " attribute osmo_format", "\"checkpoint\"", "\"" + format + "\"");
  }
  const double version = h5::ReadNumberAttribute(root.get(), "osmo_format_version", where);
  if (version != kCheckpointVersion) {
    throw InputError(where + " attribute osmo_format_version", std::to_string(kCheckpointVersion),
                     ToText(version));
  }
  const std::string fingerprint = h5::ReadStringAttribute(root.get(), "fingerprint", where);
  if (fingerprint != expected_fingerprint) {
    throw InputError(path, "a checkpoint of this reconstruction (" + expected_fingerprint + ")",
                     "one of another (" + fingerprint + ")");
  }
  auto number = [&](const char* name) {
    return h5::ReadNumberAttribute(root.get(), name, where);  // finite, one value
  };
  // Counters: whole numbers in [0, 2^40] (a NaN or 1e300 iteration once made --resume loop).
  auto counter = [&](const char* name) {
    const double v = number(name);
    if (!(v >= 0.0 && v <= 1099511627776.0 && v == std::floor(v))) {
      throw InputError(where + " attribute " + name, "a whole number from 0 to 2^40", ToText(v));
    }
    return int64_t(v);
  };
  SolverState s;
  s.iteration = counter("iteration");
  s.subiteration = counter("subiteration");
  s.momentum_k = counter("momentum_k");
  s.t = number("t");
  s.t_sum = number("t_sum");
  s.elapsed_s = number("elapsed_s");
  s.restarts = counter("restarts");
  // Costs are NaN until computed; anything else must be finite.
  auto cost = [&](const char* name) {
    const auto v = h5::ReadNumberArrayAttribute(root.get(), name, where);
    if (v.size() != 1 || std::isinf(v[0])) {
      throw InputError(where + " attribute " + name, "one finite cost (or NaN: not computed)",
                       v.size() == 1 ? ToText(v[0]) : std::to_string(v.size()) + " values");
    }
    return v[0];
  };
  s.previous_cost = cost("previous_cost");
  s.initial_cost = cost("initial_cost");
  // Checkpoints written before the convergence certificate lack it: computed afresh then.
  if (h5::HasAttribute(root.get(), "initial_gradient_norm"))
    s.initial_gradient_norm = cost("initial_gradient_norm");
  // The adaptive subset schedule's state; checkpoints written before it existed resume with the
  // options' subset count.
  if (h5::HasAttribute(root.get(), "subsets")) {
    s.subsets = counter("subsets");
    s.relax_origin = counter("relax_origin");
    if (h5::HasAttribute(root.get(), "pass_step")) s.pass_step = number("pass_step");
  }
  if (!(s.pass_step >= 0.0) || s.relax_origin > s.subiteration) {
    throw InputError(where, "pass_step ≥ 0 and relax_origin ≤ subiteration",
                     ToText(s.pass_step) + ", " + std::to_string(s.relax_origin));
  }
  if (!(s.t >= 1.0) || !(s.t_sum >= 0.0) || !(s.elapsed_s >= 0.0)) {
    throw InputError(where, "momentum t ≥ 1, t_sum ≥ 0 and elapsed_s ≥ 0",
                     ToText(s.t) + ", " + ToText(s.t_sum) + ", " + ToText(s.elapsed_s));
  }
  s.x = ReadImage(file.get(), "x", grid, path);
  if (s.x.values.empty()) throw InputError(path + ": /x", "the iterate", "nothing");
  s.z = ReadImage(file.get(), "z", grid, path);
  s.anchor = ReadImage(file.get(), "anchor", grid, path);
  s.accumulated = ReadImage(file.get(), "accumulated", grid, path);
  s.denominator = ReadImage(file.get(), "denominator", grid, path);
  s.lalm_average = ReadImage(file.get(), "lalm_average", grid, path);
  s.lalm_linearisation = ReadImage(file.get(), "lalm_linearisation", grid, path);
  if (s.lalm_average.values.empty() != s.lalm_linearisation.values.empty()) {
    throw InputError(path, "both OS-LALM images /lalm_average and /lalm_linearisation, or neither",
                     "one");
  }
  for (float d : s.denominator.values) {
    if (!(d > 0.0f)) throw InputError(path + ": /denominator", "positive values", ToText(d));
  }
  return s;
}

}  // namespace osmo
