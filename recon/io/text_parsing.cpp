// Number and field parsing.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/text_parsing.h"

#include <cmath>
#include <sstream>

#include "projectors/error.h"

namespace osmo {

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.push_back("");
  return parts;
}

std::optional<double> ParseFinite(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

double ParseNumber(const std::string& text, const std::string& where, const std::string& expected) {
  const std::optional<double> value = ParseFinite(text);
  if (!value) throw SettingError(where, expected, "\"" + text + "\"");
  return *value;
}

}  // namespace osmo
