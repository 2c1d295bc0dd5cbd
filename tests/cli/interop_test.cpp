// Files written the way users write them — h5py with its defaults, MATLAB-style fixed strings,
// DXchange from Python — read by the real osmo binary, with the conventions checked on an
// off-centre disc (a flipped angle or channel axis would move it).
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "recon/io/volume_io.h"
#include "tests/support/osmo_process.h"

namespace osmo {
namespace {

using testing::Osmo;
using testing::ProcessResult;
using testing::RunProcess;
namespace fs = std::filesystem;

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with python3-h5py (scripts/setup)

std::string Folder() { return testing::FreshTestFolder("osmo_interop_"); }

// Runs a Python script (text) with arguments; fails the test if it does not succeed.
void RunPython(const std::string& folder, const std::string& script,
               const std::vector<std::string>& args) {
  ASSERT_TRUE(fs::exists(kPython)) << "scripts/setup installs /usr/bin/python3 with h5py";
  const std::string path = folder + "/writer.py";
  std::ofstream(path) << script;
  std::vector<std::string> argv = {path};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = RunProcess(kPython, argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// Mean of the image over a disc of radius `radius_mm` around (x, y), in the first slice.
double DiscMean(const Image& image, double x_mm, double y_mm, double radius_mm) {
  const ImageGeometry& g = image.geometry;
  double sum = 0.0;
  int count = 0;
  for (int64_t j = 0; j < g.ny; ++j) {
    for (int64_t i = 0; i < g.nx; ++i) {
      if (std::hypot(g.X(i) - x_mm, g.Y(j) - y_mm) > radius_mm) continue;
      sum += image.values[size_t(j * g.nx + i)];
      ++count;
    }
  }
  EXPECT_GT(count, 0);
  return count > 0 ? sum / count : 0.0;
}

// The guide's example writes a disc of μ = 0.02/mm and radius 12 mm centred at (20, −10) mm.
void ExpectTheGuideDisc(const std::string& volume) {
  const Image image = ReadVolume(volume);
  EXPECT_NEAR(DiscMean(image, 20.0, -10.0, 8.0), 0.02, 0.02 * 0.03);
  // Where a flipped x or y axis, or a point reflection (angles off by π), would put the disc.
  for (const auto& [x, y] : {std::pair{-20.0, -10.0}, {20.0, 10.0}, {-20.0, 10.0}}) {
    EXPECT_NEAR(DiscMean(image, x, y, 5.0), 0.0, 0.001) << "at " << x << ", " << y;
  }
}

TEST(Interop, GuideExampleWrittenWithH5pyDefaultsReconstructsTheDisc) {
  const std::string folder = Folder();
  const std::string writer = std::string(OSMO_SOURCE_DIR) + "/scripts/examples/write_scan_h5py.py";
  for (const char* kind : {"fan", "parallel"}) {
    const std::string scan = folder + "/" + kind + ".h5";
    const ProcessResult write = RunProcess(kPython, {writer, scan, "--kind", kind});
    ASSERT_EQ(write.exit_code, 0) << write.err;
    const ProcessResult info = Osmo({"info", scan});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_NE(info.out.find(kind), std::string::npos) << info.out;
    const std::string fbp = folder + "/" + kind + "_fbp.mha";
    const ProcessResult r = Osmo({"fbp", scan, "-o", fbp, "--image-size", "96", "--voxel-size-mm",
                                  "1", "--filter", "ram-lak"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    SCOPED_TRACE(kind);
    ExpectTheGuideDisc(fbp);
    const ProcessResult recon =
        Osmo({"recon", scan, "-o", folder + "/" + kind + "_pwls.mha", "--image-size", "96",
              "--voxel-size-mm", "1", "--iterations", "3", "--subsets", "6"});
    EXPECT_EQ(recon.exit_code, 0) << recon.err;
  }
}

// Every string storage h5py, NumPy and MATLAB produce, on the attributes osmo reads.
TEST(Interop, FixedLengthAndByteStringsFromPythonAreRead) {
  const std::string folder = Folder();
  const std::string script = R"(import sys, h5py, numpy as np
out, variant = sys.argv[1], sys.argv[2]
def text(s):
    if variant == "numpy_bytes":     # np.bytes_: fixed length, ASCII, no terminator
        return np.bytes_(s)
    if variant == "fixed_utf8":      # fixed length UTF-8, null padded
        return np.array(s.encode(), dtype=h5py.string_dtype("utf-8", len(s) + 3))
    if variant == "matlab":          # h5writeatt(char): fixed length, null terminated ASCII
        t = h5py.h5t.C_S1.copy(); t.set_size(len(s) + 1); t.set_strpad(h5py.h5t.STR_NULLTERM)
        return ("matlab", t, s.encode() + b"\0")
    if variant == "variable_ascii":
        return np.array(s.encode(), dtype=h5py.string_dtype("ascii"))
    return s                         # h5py default: variable length UTF-8
def put(obj, name, value):
    value = text(value)
    if isinstance(value, tuple):
        space = h5py.h5s.create(h5py.h5s.SCALAR)
        a = h5py.h5a.create(obj.id, name.encode(), value[1], space)
        a.write(np.frombuffer(value[2], dtype="S%d" % len(value[2])).reshape(()), mtype=value[1])
    else:
        obj.attrs[name] = value
n_views, n_ch = 60, 32
with h5py.File(out, "w") as f:
    put(f, "osmo_format", "scan")
    f.attrs["osmo_format_version"] = np.array([1], dtype=np.int64)  # MATLAB: a 1-element array
    g = f.create_group("geometry")
    put(g, "kind", "fan")
    put(g, "detector_shape", "flat")
    g.attrs["source_to_isocenter_mm"] = 500.0
    g.attrs["source_to_detector_mm"] = 900.0
    g.attrs["channel_spacing_mm"] = 2.0
    g.create_dataset("angles_rad", data=np.linspace(0, 2 * np.pi, n_views, endpoint=False))
    f.create_dataset("sinogram", data=np.zeros((n_views, 1, n_ch), np.float32))
)";
  for (const char* variant : {"default", "numpy_bytes", "fixed_utf8", "matlab", "variable_ascii"}) {
    const std::string scan = folder + "/" + variant + ".h5";
    RunPython(folder, script, {scan, variant});
    const ProcessResult info = Osmo({"info", scan});
    EXPECT_EQ(info.exit_code, 0) << variant << ": " << info.err;
    EXPECT_NE(info.out.find("flat detector"), std::string::npos) << variant << ": " << info.out;
  }
}

// A version 2 (helical) scan as a user writes it: h5py defaults, the per-view source z in single
// precision (as MATLAB writes it) and an alternating flying focal spot.
TEST(Interop, HelicalVersion2WrittenWithH5pyShowsItsTrajectory) {
  const std::string folder = Folder();
  const std::string script = R"(import sys, h5py, numpy as np
n_turns, per_turn, rows, ch = 2, 60, 4, 48
n = n_turns * per_turn
beta = 2 * np.pi * np.arange(n) / per_turn
coverage = rows * 8.0 * 541.0 / 949.075          # rows × Δv × R / D at the isocentre
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["osmo_format"] = "scan"
    f.attrs["osmo_format_version"] = 2
    g = f.create_group("geometry")
    g.attrs["kind"] = "cone"
    g.attrs["detector_shape"] = "arc"
    g.attrs["source_to_isocenter_mm"] = 541.0
    g.attrs["source_to_detector_mm"] = 949.075
    g.attrs["channel_spacing_mm"] = 10.0
    g.attrs["row_spacing_mm"] = 8.0
    g.create_dataset("angles_rad", data=beta)
    g.create_dataset("source_z_mm", data=(-10.0 - 0.8 * coverage * beta / (2 * np.pi)).astype(np.float32))
    sign = np.where(np.arange(n) % 2 == 0, -1.0, 1.0)
    g.create_dataset("source_shift_angle_rad", data=1e-3 * sign)
    g.create_dataset("source_shift_z_mm", data=0.25 * sign)
    f.create_dataset("sinogram", data=np.zeros((n, rows, ch), np.float32))
)";
  const std::string scan = folder + "/helix.h5";
  RunPython(folder, script, {scan});
  const ProcessResult info = Osmo({"info", scan});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  // The table moves towards −z at pitch 0.8 (a negative feed), from −10 mm.
  EXPECT_NE(info.out.find("2 turns"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("pitch -0.8"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("source z -"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("to -10 mm"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("flying: |Δφ| ≤ 0.001 rad, |Δz| ≤ 0.25 mm"), std::string::npos)
      << info.out;
}

TEST(Interop, DxchangeWrittenWithH5pyImportsWithItsPixelSizeUnits) {
  const std::string folder = Folder();
  const std::string script = R"(import sys, h5py, numpy as np
out, units = sys.argv[1], sys.argv[2]
n_angles, n_rows, n_ch = 30, 2, 40
flat = np.full((2, n_rows, n_ch), 1000, np.uint16)
dark = np.full((2, n_rows, n_ch), 100, np.uint16)
x = np.arange(n_ch) - (n_ch - 1) / 2
transmission = np.exp(-0.5 * np.clip(1 - (x / 10) ** 2, 0, None))
data = (100 + 900 * np.broadcast_to(transmission, (n_angles, n_rows, n_ch))).astype(np.uint16)
with h5py.File(out, "w") as f:
    f.create_dataset("exchange/data", data=data)
    f.create_dataset("exchange/data_white", data=flat)
    f.create_dataset("exchange/data_dark", data=dark)
    f.create_dataset("exchange/theta", data=np.linspace(0, 180, n_angles, endpoint=False))
    d = f.create_dataset("measurement/instrument/detector/x_pixel_size", data=np.array([2.5]))
    d.attrs["units"] = units   # h5py default: a variable-length UTF-8 string
)";
  struct Case {
    const char* units;
    const char* spacing;  // as `osmo info` prints the channel spacing
  };
  for (const Case& c :
       {Case{"um", " 0.0025 × "}, Case{"mm", " 2.5 × "}, Case{"\u00b5m", " 0.0025 × "}}) {
    const std::string raw = folder + "/raw.h5";
    RunPython(folder, script, {raw, c.units});
    const std::string scan = folder + "/imported.h5";
    const ProcessResult import = Osmo({"import", raw, "-o", scan});
    ASSERT_EQ(import.exit_code, 0) << c.units << ": " << import.err;
    const ProcessResult info = Osmo({"info", scan});
    EXPECT_NE(info.out.find(c.spacing), std::string::npos) << c.units << ": " << info.out;
  }
  RunPython(folder, script, {folder + "/raw.h5", "furlong"});
  const ProcessResult bad = Osmo({"import", folder + "/raw.h5", "-o", folder + "/bad.h5"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("x_pixel_size attribute units: expected m, mm, um"), std::string::npos)
      << bad.err;
}

// A volume from another tool records no units: μ-like values are used with a warning, HU-like
// values are refused (a HU NIfTI used as --init once gave an RMSD of 1.5e6 HU silently).
TEST(Interop, VolumesWithoutUnitsWarnOrAreRefused) {
  const std::string folder = Folder();
  const std::string writer = std::string(OSMO_SOURCE_DIR) + "/scripts/examples/write_scan_h5py.py";
  const std::string scan = folder + "/scan.h5";
  ASSERT_EQ(RunProcess(kPython, {writer, scan, "--kind", "parallel"}).exit_code, 0);
  const std::string script = R"(import sys, numpy as np
name, value = sys.argv[1], float(sys.argv[2])
open(name + ".mhd", "w").write("ObjectType = Image\nNDims = 3\nDimSize = 32 32 1\n"
    "ElementSpacing = 3 3 1.5\nOffset = -46.5 -46.5 0\nElementType = MET_FLOAT\n"
    "ElementDataFile = " +
    name.split("/")[-1] + ".raw\n")
np.full((1, 32, 32), value, np.float32).tofile(name + ".raw")
)";
  RunPython(folder, script, {folder + "/mu", "0.02"});
  RunPython(folder, script, {folder + "/hu", "-1000"});
  const std::vector<std::string> recon = {
      "recon", scan,           "-o", folder + "/r.mha", "--image-size", "32", "--voxel-size-mm",
      "3,1.5", "--iterations", "1",  "--init"};
  std::vector<std::string> with_mu = recon, with_hu = recon;
  with_mu.push_back(folder + "/mu.mhd");
  with_hu.push_back(folder + "/hu.mhd");
  const ProcessResult mu = Osmo(with_mu);
  EXPECT_EQ(mu.exit_code, 0) << mu.err;
  EXPECT_NE(mu.err.find("mu.mhd records no units; its values are taken as μ in 1/mm"),
            std::string::npos)
      << mu.err;
  // A volume on another grid (here shifted by half the field) was accepted on its size alone.
  std::string shifted = testing::ReadWholeFile(folder + "/mu.mhd");
  shifted.replace(shifted.find("Offset = -46.5 -46.5 0"), 22, "Offset = 0 0 0");
  std::ofstream(folder + "/mu_shifted.mhd") << shifted;
  fs::copy_file(folder + "/mu.raw", folder + "/mu_shifted.raw");
  std::vector<std::string> with_shifted = recon;
  with_shifted.push_back(folder + "/mu_shifted.mhd");
  const ProcessResult moved = Osmo(with_shifted);
  EXPECT_EQ(moved.exit_code, 1);
  EXPECT_NE(moved.err.find("the initial image's grid: expected 32×32×1 voxels of 3 × 1.5 mm "
                           "centred at (0, 0, 0) mm, found 32×32×1 voxels of 3 × 1.5 mm centred "
                           "at (46.5, 46.5, 0) mm"),
            std::string::npos)
      << moved.err;
  const ProcessResult hu = Osmo(with_hu);
  EXPECT_EQ(hu.exit_code, 1) << hu.err;
  EXPECT_NE(hu.err.find("Hounsfield units?"), std::string::npos) << hu.err;
}

}  // namespace
}  // namespace osmo
