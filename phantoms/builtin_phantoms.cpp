// Built-in phantoms: Shepp–Logan (original and modified contrast) and a low-dose thorax, 2D/3D.
// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <limits>

#include "phantoms/phantom.h"
#include "projectors/error.h"

namespace osmo {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kDeg = M_PI / 180.0;

// One row of the Shepp–Logan table in its unit coordinates (the head spans about ±0.92), with
// the z centre and z semi-axis used by osmo's 3D version (same units).
struct SheppLoganRow {
  double x, y, a, b, angle_deg, original, modified, z, c;
};

// Shepp & Logan, IEEE Trans. Nucl. Sci. 21, 1974 (original values); modified contrast as
// popularised by Toft (1996). The z columns are osmo's own 3D extension: every ellipse meets the
// central slice z = 0, so that slice equals the 2D phantom's.
constexpr SheppLoganRow kSheppLogan[] = {
    {0.0, 0.0, 0.69, 0.92, 0, 2.0, 1.0, 0.0, 0.90},
    {0.0, -0.0184, 0.6624, 0.874, 0, -0.98, -0.8, 0.0, 0.88},
    {0.22, 0.0, 0.11, 0.31, -18, -0.02, -0.2, 0.0, 0.25},
    {-0.22, 0.0, 0.16, 0.41, 18, -0.02, -0.2, 0.0, 0.30},
    {0.0, 0.35, 0.21, 0.25, 0, 0.01, 0.1, 0.10, 0.25},
    {0.0, 0.1, 0.046, 0.046, 0, 0.01, 0.1, 0.0, 0.046},
    {0.0, -0.1, 0.046, 0.046, 0, 0.01, 0.1, 0.0, 0.046},
    {-0.08, -0.605, 0.046, 0.023, 0, 0.01, 0.1, -0.02, 0.04},
    {0.0, -0.605, 0.023, 0.023, 0, 0.01, 0.1, 0.0, 0.023},
    {0.06, -0.605, 0.023, 0.046, 0, 0.01, 0.1, 0.02, 0.04},
};

// One unit of the Shepp–Logan coordinates in mm (head about 177 × 236 mm) and of its values in
// 1/mm (1 = water, so the original's skull is 0.04/mm and its brain 0.0204/mm).
constexpr double kSheppLoganScaleMm = 128.0;

Phantom SheppLogan(bool modified, bool is_3d) {
  Phantom p;
  p.name = std::string(modified ? "shepp-logan-modified" : "shepp-logan") + (is_3d ? "-3d" : "");
  p.is_3d = is_3d;
  for (const SheppLoganRow& r : kSheppLogan) {
    Ellipsoid e;
    e.center_mm = {r.x * kSheppLoganScaleMm, r.y * kSheppLoganScaleMm,
                   is_3d ? r.z * kSheppLoganScaleMm : 0.0};
    e.semi_axes_mm = {r.a * kSheppLoganScaleMm, r.b * kSheppLoganScaleMm,
                      is_3d ? r.c * kSheppLoganScaleMm : kInf};
    e.angle_rad = r.angle_deg * kDeg;
    e.value_per_mm = (modified ? r.modified : r.original) * kMuWaterPerMm;
    p.shapes.push_back(e);
  }
  return p;
}

// One shape of the thorax phantom: absolute HU of the material, and the HU of the material it
// is embedded in (its value adds the difference).
struct ThoraxShape {
  double x, y, z, a, b, c, angle_deg, hu, hu_below;
};

// osmo's thorax phantom (mm, HU): fat-covered body 400 × 260 mm, muscle, two lungs, heart,
// aorta, spine, sternum, four ribs, three low-contrast heart lesions (+5, +10, +20 HU) and a
// lung nodule. z columns are used by the 3D version only (c = 0 means "long": 400 mm).
// Axes are the patient's LPS axes, as ITK and DICOM viewers read osmo's volumes: +x towards the
// patient's left, +y posterior (spine at +y, sternum at −y), +z superior; so the phantom opens
// the right way up (anterior at the top, patient's right on the viewer's left).
constexpr ThoraxShape kThorax[] = {
    {0, 0, 0, 200, 130, 0, 0, -100, -1000},    // body, subcutaneous fat
    {0, 5, 0, 188, 118, 0, 0, 40, -100},       // muscle and soft tissue
    {-100, 0, 10, 62, 85, 150, -8, -850, 40},  // right lung
    {100, 0, 10, 62, 85, 150, 8, -850, 40},    // left lung
    {0, -25, 0, 36, 32, 60, -30, 55, 40},      // heart
    {22, 52, 0, 11, 11, 0, 0, 50, 40},         // descending aorta (left of the spine)
    {0, 78, 0, 20, 17, 0, 0, 400, 40},         // vertebral body
    {0, 106, 0, 7, 10, 0, 0, 700, 40},         // vertebral arch
    {0, -104, 0, 14, 6, 0, 0, 600, 40},        // sternum
    {-70, -94, 0, 6, 4, 0, -20, 900, 40},      // ribs
    {70, -94, 0, 6, 4, 0, 20, 900, 40},
    {-150, 70, 0, 5, 5, 0, 0, 900, 40},
    {150, 70, 0, 5, 5, 0, 0, 900, 40},
    {-15, -22, 0, 8, 8, 8, 0, 60, 55},  // low-contrast lesions: +5, +10, +20 HU
    {15, -22, 8, 6, 6, 6, 0, 65, 55},
    {0, -42, -6, 4, 4, 4, 0, 75, 55},
    {-95, -30, 12, 6, 6, 6, 0, 0, -850},  // lung nodule
};

Phantom Thorax(bool is_3d) {
  Phantom p;
  p.name = is_3d ? "thorax-3d" : "thorax";
  p.is_3d = is_3d;
  for (const ThoraxShape& s : kThorax) {
    Ellipsoid e;
    e.center_mm = {s.x, s.y, is_3d ? s.z : 0.0};
    const double c = s.c > 0 ? s.c : 400.0;
    e.semi_axes_mm = {s.a, s.b, is_3d ? c : kInf};
    e.angle_rad = s.angle_deg * kDeg;
    e.value_per_mm = MuFromHu(s.hu) - MuFromHu(s.hu_below);
    p.shapes.push_back(e);
  }
  return p;
}

}  // namespace

std::vector<std::string> BuiltinPhantomNames() {
  return {"shepp-logan",    "shepp-logan-modified",    "thorax",
          "shepp-logan-3d", "shepp-logan-modified-3d", "thorax-3d"};
}

Phantom BuiltinPhantom(const std::string& name) {
  if (name == "shepp-logan") return SheppLogan(false, false);
  if (name == "shepp-logan-modified") return SheppLogan(true, false);
  if (name == "shepp-logan-3d") return SheppLogan(false, true);
  if (name == "shepp-logan-modified-3d") return SheppLogan(true, true);
  if (name == "thorax") return Thorax(false);
  if (name == "thorax-3d") return Thorax(true);
  std::string names;
  for (const auto& n : BuiltinPhantomNames()) names += (names.empty() ? "" : ", ") + n;
  throw InputError("phantom", "a JSON file or one of " + names, "\"" + name + "\"");
}

}  // namespace osmo
