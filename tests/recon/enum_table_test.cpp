// Every enumeration table: each name parses to its value and prints back, names are unique, and
// an unknown name is refused with the list of names.
// SPDX-License-Identifier: Apache-2.0
#include "projectors/enum_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "projectors/scan_geometry.h"
#include "recon/fbp.h"
#include "recon/io/volume_io.h"
#include "recon/os_solver.h"
#include "recon/regularizer.h"

namespace osmo {
namespace {

template <class E, std::size_t N>
void CheckTable(const EnumTable<E, N>& table) {
  std::set<std::string> names;
  for (const EnumName<E>& entry : table) {
    EXPECT_TRUE(names.insert(entry.name).second) << "duplicate " << entry.name;
    EXPECT_EQ(ParseEnum(table, entry.name, "test"), entry.value) << entry.name;
    EXPECT_STREQ(NameOf(table, entry.value), entry.name);
    EXPECT_GT(std::string(entry.help).size(), 2u) << entry.name;
  }
  try {
    ParseEnum(table, "no-such-name", "--option");
    FAIL() << "an unknown name was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--option: expected " + ListNames(table) +
                                         ", found \"no-such-name\""),
              std::string::npos)
        << e.what();
  }
}

TEST(EnumTable, EveryTableParsesPrintsAndRefuses) {
  CheckTable(kScanKinds);
  CheckTable(kDetectorShapes);
  CheckTable(kPotentials);
  CheckTable(kNeighborhoods);
  CheckTable(kFbpWindows);
  CheckTable(kAlgorithms);
  CheckTable(kRestartRules);
  CheckTable(kCurvatureRules);
  CheckTable(kVolumeUnits);
}

TEST(EnumTable, ListsReadAsEnglish) {
  EXPECT_EQ(ListNames(kDetectorShapes), "flat or arc");
  EXPECT_EQ(ListNames(kScanKinds, true), "\"parallel\", \"fan\" or \"cone\"");
  EXPECT_EQ(ListNames(kAlgorithms), "sqs, os-sqs, os-nes83, os-nes05, os-ogm1, os-ogm2 or os-lalm");
}

}  // namespace
}  // namespace osmo
