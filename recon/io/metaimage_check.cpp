// MetaImage header checks (the format: key = value lines, ElementDataFile last).
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/metaimage_check.h"

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "projectors/error.h"
#include "projectors/input_file.h"

namespace osmo {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxHeaderBytes = size_t{64} * 1024;

int64_t ElementBytes(const std::string& type) {
  static const std::map<std::string, int64_t> kElementBytes = {
      {"MET_CHAR", 1},      {"MET_UCHAR", 1},      {"MET_SHORT", 2}, {"MET_USHORT", 2},
      {"MET_INT", 4},       {"MET_UINT", 4},       {"MET_LONG", 4},  {"MET_ULONG", 4},
      {"MET_LONG_LONG", 8}, {"MET_ULONG_LONG", 8}, {"MET_FLOAT", 4}, {"MET_DOUBLE", 8}};
  const auto found = kElementBytes.find(type);
  return found == kElementBytes.end() ? 0 : found->second;
}

std::vector<int64_t> Integers(const std::string& text) {
  std::istringstream in(text);
  std::vector<int64_t> values;
  std::string word;
  while (in >> word) {
    char* end = nullptr;
    const long long v = std::strtoll(word.c_str(), &end, 10);
    if (end == word.c_str() || *end != '\0') return {};
    values.push_back(v);
  }
  return values;
}

int64_t FileSize(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? int64_t(info.st_size) : -1;
}

}  // namespace

void CheckMetaImageHeader(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "a readable MetaImage file", "no such file (or no permission)");
  std::map<std::string, std::string> keys;
  std::string line;
  size_t header_bytes = 0;
  bool found_data_key = false;
  while (!found_data_key && header_bytes < kMaxHeaderBytes && std::getline(in, line)) {
    header_bytes += line.size() + 1;
    const size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    auto trim = [](const std::string& t) {
      const size_t a = t.find_first_not_of(" \t\r"), b = t.find_last_not_of(" \t\r");
      return a == std::string::npos ? std::string() : t.substr(a, b - a + 1);
    };
    const std::string key = trim(line.substr(0, equals)), value = trim(line.substr(equals + 1));
    keys[key] = value;
    found_data_key = key == "ElementDataFile";
  }
  auto fail = [&](const std::string& key, const std::string& expected, const std::string& found) {
    throw InputError(path + ": header " + key, expected, found);
  };
  if (!found_data_key)
    fail("ElementDataFile", "a MetaImage header ending in ElementDataFile", "none");
  const std::vector<int64_t> ndims = Integers(keys["NDims"]);
  if (ndims.size() != 1 || ndims[0] < 2 || ndims[0] > 3) {
    fail("NDims", "2 or 3", "\"" + keys["NDims"] + "\"");
  }
  const std::vector<int64_t> sizes = Integers(keys["DimSize"]);
  if (int64_t(sizes.size()) != ndims[0]) {
    fail("DimSize", std::to_string(ndims[0]) + " sizes (NDims)", "\"" + keys["DimSize"] + "\"");
  }
  int64_t count = 1;
  for (int64_t n : sizes) {
    if (n < 1 || n > (int64_t(1) << 20)) fail("DimSize", "sizes from 1 to 2^20", ToText(n));
    count *= n;  // ≤ 2^60: no overflow
  }
  const int64_t element = ElementBytes(keys["ElementType"]);
  if (element == 0) fail("ElementType", "a numeric MET_ type", "\"" + keys["ElementType"] + "\"");
  if (keys.count("ElementNumberOfChannels") &&
      Integers(keys["ElementNumberOfChannels"]) != std::vector<int64_t>{1}) {
    fail("ElementNumberOfChannels", "1 (a scalar image)",
         "\"" + keys["ElementNumberOfChannels"] + "\"");
  }
  const bool compressed = keys["CompressedData"] == "True" || keys["CompressedData"] == "true";
  const std::string data_file = keys["ElementDataFile"];
  int64_t available = 0;
  if (data_file == "LOCAL") {
    available = FileSize(path) - int64_t(header_bytes);
  } else {
    const bool external_allowed = ExternalDataAllowed();
    const fs::path data(data_file);
    if (!external_allowed && (data_file == "LIST" || data.is_absolute() || data.has_parent_path() ||
                              data_file.find('%') != std::string::npos)) {
      fail("ElementDataFile",
           "a data file in the header's own folder (set OSMO_ALLOW_EXTERNAL_DATA=1 to read others)",
           "\"" + data_file + "\"");
    }
    const fs::path folder = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : ".";
    const std::string data_path = data.is_absolute() ? data_file : (folder / data).string();
    RequireRegularFile(data_path, "the data file named by " + path);
    available = FileSize(data_path);
  }
  const int64_t promised = compressed ? Integers(keys["CompressedDataSize"]).empty()
                                            ? -1
                                            : Integers(keys["CompressedDataSize"])[0]
                                      : count * element;
  if (compressed && promised <= 0) {
    fail("CompressedDataSize", "the size of the compressed data",
         "\"" + keys["CompressedDataSize"] + "\"");
  }
  if (available < promised) {
    throw InputError(path, std::to_string(promised) + " bytes of voxel data",
                     std::to_string(std::max<int64_t>(available, 0)) + " bytes (a truncated file)");
  }
}

}  // namespace osmo
