// Small parsers for numbers and ranges typed by users or stored as text in files.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace osmo {

// "a:b:" → {"a", "b", ""}: every field, empty ones included.
std::vector<std::string> Split(const std::string& text, char separator);

// The finite number that is the whole of `text` (leading spaces allowed), else nullopt.
std::optional<double> ParseFinite(const std::string& text);

// ParseFinite, or a SettingError "where: expected `expected`, found "text"".
double ParseNumber(const std::string& text, const std::string& where, const std::string& expected);

}  // namespace osmo
