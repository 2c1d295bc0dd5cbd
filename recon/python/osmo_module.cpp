// `import osmo`: geometries, scan and volume files, phantoms and simulation, the matched projector
// pair, FBP, the PWLS problem and `reconstruct` with the options of `osmo recon` (docs/PYTHON.md).
// Every call into C++ releases the GIL; osmo's exceptions become osmo.InputError (a ValueError)
// and osmo.DivergenceError with osmo's messages.
// SPDX-License-Identifier: Apache-2.0
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "phantoms/phantom.h"
#include "phantoms/scan_simulation.h"
#include "projectors/error.h"
#include "projectors/geometry_presets.h"
#include "projectors/view_subsets.h"
#include "recon/cli/cli_common.h"
#include "recon/cli/recon_command.h"
#include "recon/cli/setting_flags.h"
#include "recon/fbp.h"
#include "recon/io/dicom_ct_pd.h"
#include "recon/io/geometry_json.h"
#include "recon/io/scan_file.h"
#include "recon/io/volume_io.h"
#include "recon/os_solver.h"
#include "recon/pipeline/reconstruction.h"
#include "recon/python/numpy_arrays.h"

namespace osmo::python {
namespace {

using py::arg;

// ---- geometries -------------------------------------------------------------------------------

ScanGeometry MakeScanGeometry(const std::string& kind, int64_t n_channels,
                              const std::vector<double>& angles_rad, int64_t n_rows,
                              double channel_spacing_mm, double row_spacing_mm,
                              double channel_offset, double row_offset,
                              double source_to_isocenter_mm, double source_to_detector_mm,
                              const std::string& detector_shape) {
  ScanGeometry g;
  g.kind = ParseEnum(kScanKinds, kind, "kind");
  g.detector_shape = ParseEnum(kDetectorShapes, detector_shape, "detector_shape");
  g.n_channels = n_channels;
  g.n_rows = n_rows;
  g.channel_spacing_mm = channel_spacing_mm;
  g.row_spacing_mm = row_spacing_mm;
  g.channel_offset = channel_offset;
  g.row_offset = row_offset;
  g.source_to_isocenter_mm = source_to_isocenter_mm;
  g.source_to_detector_mm = source_to_detector_mm;
  g.angles_rad = angles_rad;
  g.Validate("ScanGeometry");
  return g;
}

ImageGeometry MakeImageGeometry(int64_t nx, int64_t ny, int64_t nz, double voxel_size_mm,
                                std::optional<double> slice_thickness_mm,
                                const std::array<double, 3>& center_mm) {
  ImageGeometry g;
  g.nx = nx;
  g.ny = ny > 0 ? ny : nx;
  g.nz = nz;
  g.voxel_size_mm = voxel_size_mm;
  g.slice_thickness_mm = slice_thickness_mm.value_or(voxel_size_mm);
  g.center_mm = center_mm;
  g.Validate("ImageGeometry");
  return g;
}

void BindGeometries(py::module_& m) {
  py::class_<ScanGeometry>(m, "ScanGeometry",
                           "Scan geometry (docs/FORMATS.md): parallel, fan or cone beam")
      .def(py::init(&MakeScanGeometry), arg("kind"), arg("n_channels"), arg("angles_rad"),
           arg("n_rows") = 1, arg("channel_spacing_mm") = 1.0, arg("row_spacing_mm") = 1.0,
           arg("channel_offset") = 0.0, arg("row_offset") = 0.0,
           arg("source_to_isocenter_mm") = 0.0, arg("source_to_detector_mm") = 0.0,
           arg("detector_shape") = "flat")
      .def_property_readonly(
          "kind", [](const ScanGeometry& g) -> std::string { return NameOf(kScanKinds, g.kind); })
      .def_property_readonly("detector_shape",
                             [](const ScanGeometry& g) -> std::string {
                               return NameOf(kDetectorShapes, g.detector_shape);
                             })
      .def_readonly("n_channels", &ScanGeometry::n_channels)
      .def_readonly("n_rows", &ScanGeometry::n_rows)
      .def_readonly("channel_spacing_mm", &ScanGeometry::channel_spacing_mm)
      .def_readonly("row_spacing_mm", &ScanGeometry::row_spacing_mm)
      .def_readonly("channel_offset", &ScanGeometry::channel_offset)
      .def_readonly("row_offset", &ScanGeometry::row_offset)
      .def_readonly("source_to_isocenter_mm", &ScanGeometry::source_to_isocenter_mm)
      .def_readonly("source_to_detector_mm", &ScanGeometry::source_to_detector_mm)
      .def_readonly("angles_rad", &ScanGeometry::angles_rad)
      .def_readonly("source_z_mm", &ScanGeometry::source_z_mm)
      .def_readonly("source_shift_angle_rad", &ScanGeometry::source_shift_angle_rad)
      .def_readonly("source_shift_z_mm", &ScanGeometry::source_shift_z_mm)
      .def_readonly("source_shift_radius_mm", &ScanGeometry::source_shift_radius_mm)
      .def_property_readonly("n_views", &ScanGeometry::NumViews)
      .def_property_readonly("sinogram_shape",
                             [](const ScanGeometry& g) { return SinogramShape(g); })
      .def_property_readonly("field_of_view_radius_mm", &ScanGeometry::FieldOfViewRadiusMm)
      .def("__repr__", [](const ScanGeometry& g) {
        return std::string("<osmo.ScanGeometry ") + NameOf(kScanKinds, g.kind) + ", " +
               std::to_string(g.NumViews()) + " views × " + std::to_string(g.n_rows) + " rows × " +
               std::to_string(g.n_channels) + " channels>";
      });
  py::class_<ImageGeometry>(m, "ImageGeometry",
                            "Voxel grid: nx × ny × nz voxels of voxel_size_mm (x, y) × "
                            "slice_thickness_mm (z) centred at center_mm")
      .def(py::init(&MakeImageGeometry), arg("nx"), arg("ny") = 0, arg("nz") = 1,
           arg("voxel_size_mm") = 1.0, arg("slice_thickness_mm") = py::none(),
           arg("center_mm") = std::array<double, 3>{0.0, 0.0, 0.0})
      .def_readonly("nx", &ImageGeometry::nx)
      .def_readonly("ny", &ImageGeometry::ny)
      .def_readonly("nz", &ImageGeometry::nz)
      .def_readonly("voxel_size_mm", &ImageGeometry::voxel_size_mm)
      .def_readonly("slice_thickness_mm", &ImageGeometry::slice_thickness_mm)
      .def_readonly("center_mm", &ImageGeometry::center_mm)
      .def_property_readonly("shape", [](const ImageGeometry& g) { return ImageShape(g); })
      .def("__repr__",
           [](const ImageGeometry& g) { return "<osmo.ImageGeometry " + g.Describe() + ">"; });
  m.def("geometry_preset", &GeometryPreset, arg("name"),
        "A built-in scan geometry: ge1, ge1-half, parallel, cone-small, cone-bench, helical-small, "
        "ge-helical");
  m.def("geometry_presets", &GeometryPresetNames);
  m.def("load_geometry", &LoadGeometry, arg("preset_or_path"),
        "A scan geometry: a preset name or a geometry JSON file");
  m.def("default_grid", &DefaultImageGeometry, arg("scan_geometry"),
        "osmo's default grid: voxels at the detector's pitch at the isocentre, covering the field "
        "of view");
}

// ---- scans ------------------------------------------------------------------------------------

std::optional<py::array_t<float>> OptionalSinogram(const std::optional<Sinogram>& s) {
  if (!s) return std::nullopt;
  Sinogram copy = *s;
  return FromSinogram(std::move(copy));
}

ScanData MakeScan(const ScanGeometry& geometry, const FloatArray& sinogram,
                  const std::optional<FloatArray>& weights, const std::optional<FloatArray>& counts,
                  const std::vector<float>& incident_counts,
                  std::optional<double> electronic_noise_std) {
  ScanData scan;
  scan.geometry = geometry;
  scan.sinogram = ToSinogram(sinogram, geometry, "sinogram");
  if (weights) scan.weights = ToSinogram(*weights, geometry, "weights");
  if (counts) scan.counts = ToSinogram(*counts, geometry, "counts");
  scan.incident_counts = incident_counts;
  scan.electronic_noise_std = electronic_noise_std;
  return scan;
}

void BindScans(py::module_& m) {
  py::class_<ScanData>(m, "Scan",
                       "A scan: geometry, sinogram (views, rows, channels) and optional weights, "
                       "counts, I0, electronic σ and reference image")
      .def(py::init(&MakeScan), arg("geometry"), arg("sinogram"), arg("weights") = py::none(),
           arg("counts") = py::none(), arg("incident_counts") = std::vector<float>{},
           arg("electronic_noise_std") = py::none())
      .def_readonly("geometry", &ScanData::geometry)
      .def_property_readonly("sinogram",
                             [](const ScanData& s) {
                               Sinogram copy = s.sinogram;
                               return FromSinogram(std::move(copy));
                             })
      .def_property_readonly("weights",
                             [](const ScanData& s) { return OptionalSinogram(s.weights); })
      .def_property_readonly("counts", [](const ScanData& s) { return OptionalSinogram(s.counts); })
      .def_readonly("incident_counts", &ScanData::incident_counts)
      .def_readonly("electronic_noise_std", &ScanData::electronic_noise_std)
      .def_readonly("mu_water_per_mm", &ScanData::mu_water_per_mm)
      .def_readonly("patient_position", &ScanData::patient_position)
      .def_property_readonly("reference",
                             [](const ScanData& s) -> std::optional<py::array_t<float>> {
                               if (!s.reference) return std::nullopt;
                               Image copy = *s.reference;
                               return FromImage(std::move(copy));
                             })
      .def_property_readonly("reference_grid",
                             [](const ScanData& s) -> std::optional<ImageGeometry> {
                               if (!s.reference) return std::nullopt;
                               return s.reference->geometry;
                             });
  m.def(
      "read_scan",
      [](const std::string& path, const std::string& angles_deg,
         std::optional<double> center_of_rotation, const std::string& rows,
         std::optional<double> pixel_size_mm) {
        cli::DxchangeCliOptions dx;
        dx.angles = angles_deg;
        dx.center_of_rotation = center_of_rotation;
        dx.rows = rows;
        dx.pixel_size_mm = pixel_size_mm;
        py::gil_scoped_release release;
        return cli::LoadScan(path, dx);
      },
      arg("path"), arg("angles_deg") = "", arg("center_of_rotation") = py::none(), arg("rows") = "",
      arg("pixel_size_mm") = py::none(),
      "Reads an osmo scan file (HDF5, docs/FORMATS.md) or a DXchange file; the keywords are "
      "`osmo recon`'s DXchange options (angles_deg='0:180:181', center_of_rotation=295.6, "
      "rows='A:B', pixel_size_mm)");
  m.def(
      "import_dicom_ct_pd",
      [](const std::string& folder, const std::string& views, const std::string& z_range_mm,
         const std::string& patient_position, const std::string& ffs_tags) {
        cli::DicomCtPdCliOptions flags;
        flags.views = views;
        flags.z_range = z_range_mm;
        flags.patient_position = patient_position;
        flags.ffs_tags = ffs_tags;
        const DicomCtPdOptions options = flags.Resolve();
        DicomCtPdImport imported;
        {
          py::gil_scoped_release release;
          imported = ImportDicomCtPd(folder, options);
        }
        return py::make_tuple(std::move(imported.scan), imported.notes);
      },
      arg("folder"), arg("views") = "", arg("z_range_mm") = "", arg("patient_position") = "",
      arg("ffs_tags") = "auto",
      "Imports a folder of DICOM-CT-PD files (docs/CLINICAL_DATA.md) as `osmo import` does; "
      "views='A:B', z_range_mm='Z0:Z1', patient_position='HFS'|'FFS'|'HFP'|'FFP', "
      "ffs_tags='auto'|'v3'|'v8'. Returns (scan, notes): notes say what was found and assumed");
  m.def(
      "write_scan",
      [](const std::string& path, const ScanData& scan) {
        py::gil_scoped_release release;
        WriteScanFile(path, scan);
      },
      arg("path"), arg("scan"), "Writes an osmo scan file (atomically)");
}

// ---- volumes, phantoms, simulation ------------------------------------------------------------

void BindVolumesAndPhantoms(py::module_& m) {
  m.def(
      "read_volume",
      [](const std::string& path) {
        Image image;
        {
          py::gil_scoped_release release;
          image = ReadVolume(path);
        }
        const ImageGeometry grid = image.geometry;
        return py::make_tuple(FromImage(std::move(image)), grid);
      },
      arg("path"), "Reads a volume (.mha .mhd .nrrd .nii .nii.gz) as (μ array, ImageGeometry)");
  m.def(
      "write_volume",
      [](const std::string& path, const FloatArray& values, const ImageGeometry& grid,
         const std::string& units, double mu_water_per_mm) {
        const Image image = ToImage(values, grid, "write_volume: values");
        VolumeWriteOptions options;
        options.units = ParseEnum(kVolumeUnits, units, "units");
        options.mu_water_per_mm = mu_water_per_mm;
        py::gil_scoped_release release;
        WriteVolume(path, image, options);
      },
      arg("path"), arg("values"), arg("grid"), arg("units") = "mu", arg("mu_water_per_mm") = 0.02,
      "Writes μ (1/mm) as a volume through ITK, in μ or HU");
  m.def("phantoms", &BuiltinPhantomNames, "Names of the built-in phantoms");
  m.def(
      "rasterize",
      [](const std::string& phantom, const ImageGeometry& grid, int supersampling) {
        Image image;
        {
          py::gil_scoped_release release;
          image = Rasterize(LoadPhantom(phantom), grid, supersampling);
        }
        return FromImage(std::move(image));
      },
      arg("phantom"), arg("grid"), arg("supersampling") = 4,
      "A phantom (built-in name or JSON file) as μ on the grid, partial-volume voxels by s³ "
      "supersampling");
  m.def(
      "simulate",
      [](const std::string& phantom, const ScanGeometry& geometry, double incident_counts,
         double electronic_noise_std, uint64_t seed, bool noiseless, int rays_per_cell,
         std::optional<ImageGeometry> reference_grid) {
        DoseOptions dose;
        dose.incident_counts = incident_counts;
        dose.electronic_noise_std = electronic_noise_std;
        dose.seed = seed;
        dose.noiseless = noiseless;
        dose.Validate();
        py::gil_scoped_release release;
        const Phantom shapes = LoadPhantom(phantom);
        ScanData scan =
            SimulateMeasurement(geometry, AnalyticSinogram(shapes, geometry, rays_per_cell), dose);
        scan.reference = Rasterize(shapes, reference_grid.value_or(DefaultImageGeometry(geometry)));
        return scan;
      },
      arg("phantom"), arg("geometry"), arg("incident_counts") = 1e5,
      arg("electronic_noise_std") = 0.0, arg("seed") = 1, arg("noiseless") = false,
      arg("rays_per_cell") = 4, arg("reference_grid") = py::none(),
      "A simulated scan as `osmo simulate` makes it: exact line integrals of the phantom "
      "(rays_per_cell per detector cell), Poisson counts of I0 plus Gaussian electronic noise, "
      "and the phantom rasterised on reference_grid (default: the default grid) as its reference");
}

// ---- projector and FBP ------------------------------------------------------------------------

// The projector pair of a grid and a scan geometry; `views` (a list of view indices) or
// `subset` (m, M): views m, m+M, … restrict a projection to those views.
class PythonProjector {
 public:
  PythonProjector(const ImageGeometry& grid, const ScanGeometry& scan)
      : projector_(MakeProjector(grid, scan)) {}

  py::array_t<float> Forward(const FloatArray& x, const std::optional<ViewList>& views,
                             const std::optional<std::pair<int64_t, int64_t>>& subset) const {
    const Image image = ToImage(x, projector_->image_geometry(), "forward: x");
    Sinogram y(projector_->scan_geometry());
    const ViewList list = Views(views, subset);
    {
      py::gil_scoped_release release;
      projector_->Forward(image, y, list);
    }
    return FromSinogram(std::move(y));
  }

  py::array_t<float> Back(const FloatArray& y, const std::optional<ViewList>& views,
                          const std::optional<std::pair<int64_t, int64_t>>& subset) const {
    const Sinogram sinogram = ToSinogram(y, projector_->scan_geometry(), "back: y");
    Image image(projector_->image_geometry());
    const ViewList list = Views(views, subset);
    {
      py::gil_scoped_release release;
      projector_->Back(sinogram, image, list);
    }
    return FromImage(std::move(image));
  }

  const ImageGeometry& grid() const { return projector_->image_geometry(); }
  const ScanGeometry& scan() const { return projector_->scan_geometry(); }

 private:
  std::unique_ptr<Projector> projector_;

  ViewList Views(const std::optional<ViewList>& views,
                 const std::optional<std::pair<int64_t, int64_t>>& subset) const {
    const int64_t n = projector_->scan_geometry().NumViews();
    if (views && subset) throw InputError("views and subset", "one of them", "both");
    if (subset) {
      const auto [index, count] = *subset;
      if (count < 1 || count > n || index < 0 || index >= count)
        throw InputError("subset", "(m, M) with 0 ≤ m < M ≤ " + std::to_string(n),
                         "(" + std::to_string(index) + ", " + std::to_string(count) + ")");
      ViewList list;
      for (int64_t v = index; v < n; v += count) list.push_back(v);
      return list;
    }
    if (!views) return AllViews(n);
    for (int64_t v : *views)
      if (v < 0 || v >= n)
        throw InputError("views", "view indices from 0 to " + std::to_string(n - 1),
                         std::to_string(v));
    return *views;
  }
};

void BindProjectorAndFbp(py::module_& m) {
  py::class_<PythonProjector>(m, "Projector",
                              "The matched separable-footprint projector pair A, Aᵀ of a grid "
                              "and a scan geometry")
      .def(py::init<const ImageGeometry&, const ScanGeometry&>(), arg("grid"), arg("geometry"))
      .def("forward", &PythonProjector::Forward, arg("x"), arg("views") = py::none(),
           arg("subset") = py::none(),
           "A x: float32 (nz, ny, nx) → (views, rows, channels); other views stay 0")
      .def("back", &PythonProjector::Back, arg("y"), arg("views") = py::none(),
           arg("subset") = py::none(), "Aᵀ y: (views, rows, channels) → (nz, ny, nx)")
      .def_property_readonly("grid", &PythonProjector::grid)
      .def_property_readonly("geometry", &PythonProjector::scan);
  m.def(
      "fbp",
      [](const ScanData& scan, std::optional<ImageGeometry> grid, const std::string& filter,
         double cutoff) {
        FbpOptions options;
        options.window = ParseEnum(kFbpWindows, filter, "filter");
        options.cutoff = cutoff;
        options.Validate();
        Image image;
        {
          py::gil_scoped_release release;
          image =
              FilteredBackprojection(scan.geometry, scan.sinogram,
                                     grid.value_or(DefaultImageGeometry(scan.geometry)), options);
        }
        return FromImage(std::move(image));
      },
      arg("scan"), arg("grid") = py::none(), arg("filter") = "hann", arg("cutoff") = 1.0,
      "FBP (fan, parallel) or FDK (cone) as `osmo fbp` makes it, μ in 1/mm");
}

// ---- reconstruction ---------------------------------------------------------------------------

// Keyword options → the words `osmo recon` would get, parsed by the CLI's own parser, so the same
// options give the same settings, grid and ring filter as on the command line.
std::vector<std::string> OptionWords(const std::string& keyword, const py::handle& value) {
  std::string key = keyword;
  for (char& c : key)
    if (c == '_') c = '-';
  const std::string flag = "--" + key;
  if (py::isinstance<py::bool_>(value))
    return value.cast<bool>() ? std::vector{flag} : std::vector<std::string>{};
  if (value.is_none()) return {};
  std::string text;
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    for (const auto& item : value) text += (text.empty() ? "" : ",") + std::string(py::str(item));
  } else if (py::isinstance<py::float_>(value)) {
    text = py::str(py::repr(value));  // shortest round-trip text: the same double as given
  } else {
    text = py::str(value);
  }
  return {flag, text};
}

cli::ReconOptions ParseOptions(const py::kwargs& options) {
  const std::vector<std::string> head = {"scan.h5", "-o", "image.mha"};
  std::vector<std::string> words = head;
  for (const auto& [key_handle, value] : options) {
    const std::string keyword = py::str(key_handle);
    std::vector<std::string> alone = head;  // parsed alone first, to blame this keyword
    const std::vector<std::string> option = OptionWords(keyword, value);
    alone.insert(alone.end(), option.begin(), option.end());
    try {
      cli::ParseReconWords(alone);
    } catch (const CLI::ParseError& e) {
      throw InputError(keyword,
                       "a keyword option of osmo recon with a valid value (osmo recon "
                       "--help; docs/PYTHON.md)",
                       std::string(py::str(py::repr(value))) + ": " + e.what());
    }
    words.insert(words.end(), option.begin(), option.end());
  }
  return cli::ParseReconWords(words);
}

// Runs fn, rewording a SettingError with the keyword of its field ("solver.subsets" → "subsets").
template <class Fn>
auto WithKeywordNames(Fn&& fn) {
  try {
    return fn();
  } catch (const SettingError& e) {
    std::string keyword = cli::FlagForSetting(e.field());
    if (keyword.empty()) throw;
    keyword = keyword.substr(2);
    for (char& c : keyword)
      if (c == '-') c = '_';
    throw e.Reworded(keyword);
  }
}

void CheckPythonOptions(const cli::ReconOptions& o) {
  auto refuse = [](bool given, const std::string& key, const std::string& instead) {
    if (given) throw InputError(key, "an option of the Python call", "a file option; " + instead);
  };
  refuse(!o.log.empty(), "log", "use the callback");
  refuse(!o.checkpoint.empty() || o.resume, "checkpoint", "use the callback and start=");
  refuse(!o.reference.empty(), "reference", "pass reference= as an array");
  refuse(o.init != "fbp" && o.init != "zero", "init", "pass start= as an array");
}

py::dict RecordDict(const IterationRecord& r) {
  py::dict d;
  d["iteration"] = r.iteration;
  d["time_s"] = r.time_s;
  d["cost"] = r.cost ? py::cast(*r.cost) : py::none();
  d["rmsd_hu"] = r.rmsd_hu ? py::cast(*r.rmsd_hu) : py::none();
  d["restarted"] = r.restarted;
  d["subsets"] = r.subsets;
  d["relative_change"] = r.relative_change;
  d["gradient_norm"] = r.gradient_norm ? py::cast(*r.gradient_norm) : py::none();
  return d;
}

py::tuple Reconstruct(const ScanData& scan_in, const std::optional<FloatArray>& start,
                      const std::optional<FloatArray>& reference, const py::object& callback,
                      const py::kwargs& options) {
  const cli::ReconOptions o = ParseOptions(options);
  CheckPythonOptions(o);
  o.run.Apply();
  ReconSettings settings = WithKeywordNames([&] { return cli::SettingsFrom(o); });
  if (start) settings.start = StartKind::kImage;
  WithKeywordNames([&] {
    settings.Validate();
    return 0;
  });
  ScanData scan = scan_in;
  o.rings.Apply(scan, o.run.verbose);
  const ImageGeometry grid = o.grid.Resolve(scan.geometry);
  std::optional<Image> start_image, reference_image;
  if (start) start_image = ToImage(*start, grid, "start");
  if (reference)
    reference_image = ToImage(*reference, grid, "reference");
  else if (scan.reference && SameGrid(scan.reference->geometry, grid))
    reference_image = scan.reference;

  ReconHooks hooks;
  std::vector<std::string> notes;
  hooks.note = [&](const std::string& text) { notes.push_back(text); };
  py::object error;  // a Python exception raised by the callback, re-raised after the run
  hooks.iteration = [&](const IterationRecord& record, const SolverState&) {
    if (callback.is_none()) return true;
    py::gil_scoped_acquire acquire;
    try {
      const py::object answer = callback(RecordDict(record));
      return answer.is_none() || answer.cast<bool>();
    } catch (py::error_already_set& e) {
      error = e.value();
      return false;
    }
  };
  ReconResult result;
  {
    py::gil_scoped_release release;
    result = WithKeywordNames([&] {
      return Reconstruct(
          scan, grid, settings,
          {start_image ? &*start_image : nullptr, reference_image ? &*reference_image : nullptr},
          hooks);
    });
  }
  if (error) PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
  if (error) throw py::error_already_set();
  py::dict info;
  info["beta"] = result.beta;
  info["iterations"] = result.summary.iterations;
  info["stopped"] = result.summary.termination == Termination::kStopped;
  info["message"] = result.summary.message;
  info["elapsed_s"] = result.elapsed_s;
  info["final_rmsd_hu"] = result.final_rmsd_hu ? py::cast(*result.final_rmsd_hu) : py::none();
  info["notes"] = notes;
  info["grid"] = grid;
  return py::make_tuple(FromImage(std::move(result.image)), info);
}

// The PWLS problem of a scan with `osmo recon`'s options: its cost and gradient.
class PythonProblem {
 public:
  PythonProblem(const ScanData& scan, const py::kwargs& options) : scan_(scan) {
    const cli::ReconOptions o = ParseOptions(options);
    CheckPythonOptions(o);
    o.rings.Apply(scan_, false);
    prepared_ = WithKeywordNames([&] {
      return std::make_unique<PreparedReconstruction>(scan_, o.grid.Resolve(scan_.geometry),
                                                      cli::SettingsFrom(o));
    });
  }
  double Cost(const FloatArray& x) const {
    const Image image = ToImage(x, prepared_->grid(), "cost: x");
    py::gil_scoped_release release;
    return prepared_->problem().Cost(image);
  }
  py::array_t<float> Gradient(const FloatArray& x) const {
    const Image image = ToImage(x, prepared_->grid(), "gradient: x");
    Image gradient(prepared_->grid());
    {
      py::gil_scoped_release release;
      prepared_->problem().Gradient(image, gradient);
    }
    return FromImage(std::move(gradient));
  }
  const ImageGeometry& grid() const { return prepared_->grid(); }
  double beta() const { return prepared_->beta(); }
  double delta() const { return prepared_->regularizer().options().delta; }

 private:
  ScanData scan_;  // PreparedReconstruction refers to it
  std::unique_ptr<PreparedReconstruction> prepared_;
};

void BindReconstruction(py::module_& m) {
  m.def("reconstruct", &Reconstruct, arg("scan"), py::kw_only(), arg("start") = py::none(),
        arg("reference") = py::none(), arg("callback") = py::none(),
        "PWLS reconstruction with the options of `osmo recon` as keywords (algorithm='os-ogm2', "
        "subsets=12, iterations=20, beta_relative=..., image_size=256, ring_filter=True, "
        "threads=2, …; docs/PYTHON.md). callback(record) gets each iteration's record (a dict: "
        "iteration, time_s, cost, rmsd_hu, restarted, subsets, relative_change) and may return "
        "False to "
        "stop. Returns (image (nz, ny, nx) μ in 1/mm, info dict)");
  py::class_<PythonProblem>(m, "Problem",
                            "The PWLS cost Ψ(x) = ½‖y − Ax‖²_W + R(x) of a scan with the options "
                            "of `osmo recon`")
      .def(py::init<const ScanData&, const py::kwargs&>(), arg("scan"))
      .def("cost", &PythonProblem::Cost, arg("x"))
      .def("gradient", &PythonProblem::Gradient, arg("x"))
      .def_property_readonly("grid", &PythonProblem::grid)
      .def_property_readonly("beta", &PythonProblem::beta)
      .def_property_readonly("delta", &PythonProblem::delta);
}

}  // namespace
}  // namespace osmo::python

PYBIND11_MODULE(osmo, m) {
  namespace py = pybind11;
  m.doc() = "osmo: statistical X-ray CT reconstruction (PWLS, OS-SQS with momentum) from Python";
  // osmo.InputError (a ValueError): bad input or settings; osmo.DivergenceError: the iterates ran
  // away. Other C++ exceptions keep pybind11's mapping (RuntimeError, MemoryError, …).
  static py::exception<osmo::InputError> input_error(m, "InputError", PyExc_ValueError);
  static py::exception<osmo::DivergenceError> divergence_error(m, "DivergenceError",
                                                               PyExc_ArithmeticError);
  // pybind11 fixes the translator's signature (by value).
  py::register_exception_translator(
      [](std::exception_ptr p) {  // NOLINT(performance-unnecessary-value-param)
        try {
          if (p) std::rethrow_exception(p);
        } catch (const osmo::InputError& e) {
          input_error(e.what());
        } catch (const osmo::DivergenceError& e) {
          divergence_error(e.what());
        }
      });
  osmo::python::BindGeometries(m);
  osmo::python::BindScans(m);
  osmo::python::BindVolumesAndPhantoms(m);
  osmo::python::BindProjectorAndFbp(m);
  osmo::python::BindReconstruction(m);
}
