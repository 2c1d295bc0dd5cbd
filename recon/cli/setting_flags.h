// The command-line flag of each library setting, so that an error from the library names the flag
// the user typed ("--subsets", not "solver.subsets").
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <utility>

#include "projectors/error.h"

namespace osmo::cli {

// The flag that sets `field` (a SettingError field), or "" if no flag sets it.
std::string FlagForSetting(const std::string& field);

// The error in the CLI's words: the field replaced by its flag when one sets it.
InputError InFlagTerms(const SettingError& error);

// Runs `fn`, rethrowing any SettingError in the CLI's words.
template <class Fn>
auto WithFlagNames(Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (const SettingError& e) {
    throw InFlagTerms(e);
  }
}

}  // namespace osmo::cli
