// Tests of the phantom JSON format: a valid file and each kind of error message.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "phantoms/phantom.h"
#include "projectors/error.h"

namespace osmo {
namespace {

TEST(PhantomJson, Parses2DAnd3D) {
  const Phantom p2 = ParsePhantomJson(R"({"ellipses": [
      {"center_mm": [1, 2], "semi_axes_mm": [30, 20], "angle_deg": 90, "value_per_mm": 0.02},
      {"center_mm": [0, 0], "semi_axes_mm": [5, 5], "value_per_mm": -0.01}]})",
                                      "p.json");
  ASSERT_EQ(p2.shapes.size(), 2u);
  EXPECT_FALSE(p2.is_3d);
  EXPECT_TRUE(std::isinf(p2.shapes[0].semi_axes_mm[2]));
  EXPECT_NEAR(p2.shapes[0].angle_rad, M_PI / 2, 1e-15);
  // Rotated by 90°: the 30 mm semi-axis points along y.
  EXPECT_TRUE(p2.shapes[0].Contains(1, 2 + 29, 0));
  EXPECT_FALSE(p2.shapes[0].Contains(1 + 29, 2, 0));
  const Phantom p3 = ParsePhantomJson(R"({"ellipsoids": [
      {"center_mm": [1, 2, 3], "semi_axes_mm": [3, 2, 1], "angle_deg": 0, "value_per_mm": 1}]})",
                                      "q.json");
  EXPECT_TRUE(p3.is_3d);
  EXPECT_DOUBLE_EQ(p3.shapes[0].semi_axes_mm[2], 1.0);
}

void ExpectError(const std::string& text, const std::string& fragment) {
  try {
    ParsePhantomJson(text, "bad.json");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
  }
}

TEST(PhantomJson, RejectsMalformedFilesWithPreciseMessages) {
  ExpectError(R"({"ellipses": [{"center_mm": [0, 0], "value_per_mm": 1}]})",
              "ellipses[0].semi_axes_mm: expected 2 numbers, found nothing (missing field)");
  ExpectError(
      R"({"ellipses": [{"center_mm": [0, 0], "semi_axes_mm": [3, -1], "value_per_mm": 1}]})",
      "ellipses[0].semi_axes_mm: expected positive numbers of magnitude at most 1e6, found [3,-1]");
  ExpectError(
      R"({"ellipses": [{"center_mm": [0, 0, 1], "semi_axes_mm": [3, 1], "value_per_mm": 1}]})",
      "center_mm: expected an array of 2 numbers");
  ExpectError(R"({"ellipsoids": [{"center_mm": [0, 0, 0], "semi_axes_mm": [3, 1, 1], "valu": 1}]})",
              "ellipsoids[0].valu");
  ExpectError(R"({"ellipses": []})", "a non-empty array");
  ExpectError(R"({"shapes": []})", "exactly one of the keys");
  ExpectError(R"({"ellipses": [)", "valid JSON");
  ExpectError(
      R"({"ellipses": [{"center_mm": [0, 0], "semi_axes_mm": [1, 1], "value_per_mm": "x"}]})",
      "value_per_mm: expected finite number");
}

TEST(PhantomJson, LoadsFromAFileAndReportsUnreadableFiles) {
  const std::string path = ::testing::TempDir() + "/osmo_phantom.json";
  {
    std::ofstream out(path);
    out << R"({"ellipses": [{"center_mm": [0, 0], "semi_axes_mm": [4, 4], "value_per_mm": 0.5}]})";
  }
  EXPECT_EQ(LoadPhantom(path).shapes.size(), 1u);
  std::remove(path.c_str());
  EXPECT_THROW(LoadPhantomJson(path), InputError);
}

}  // namespace
}  // namespace osmo
