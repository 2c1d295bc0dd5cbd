// Error type for bad input at osmo's boundaries (files, options, geometry).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace osmo {

// Thrown when input (a file, an option, a geometry) is unusable. The message names where the
// problem is (file and object), what was expected and what was found, e.g.
//   "scan.h5: /geometry/source_to_isocenter_mm: expected a positive distance, found -3".
class InputError : public std::runtime_error {
 public:
  InputError(const std::string& where, const std::string& expected, const std::string& found)
      : std::runtime_error(where + ": expected " + expected + ", found " + found) {}
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// A setting out of range, thrown by library code, which names the setting by its settings-struct
// field ("solver.subsets", "prior.delta"), never by a front end's name for it. Front ends reword
// it in their own terms (osmo's CLI with its flag, `osmo study` with the JSON key): Reworded().
class SettingError : public InputError {
 public:
  SettingError(std::string field, std::string expected, std::string found)
      : InputError(field, expected, found),
        field_(std::move(field)),
        expected_(std::move(expected)),
        found_(std::move(found)) {}
  const std::string& field() const { return field_; }
  const std::string& expected() const { return expected_; }
  const std::string& found() const { return found_; }
  // The same error with the field replaced by `name` (a flag, a configuration key).
  InputError Reworded(const std::string& name) const { return InputError(name, expected_, found_); }

 private:
  std::string field_, expected_, found_;
};

// Formats any streamable value for an error message.
template <typename T>
std::string ToText(const T& value) {
  std::ostringstream out;
  out.precision(10);
  out << value;
  return out.str();
}

// Joins a file name and an object path ("file: object"); either may be empty.
inline std::string Where(const std::string& file, const std::string& object) {
  if (file.empty()) return object;
  if (object.empty()) return file;
  return file + ": " + object;
}

}  // namespace osmo
