// One table per enumeration — value, name, help text — from which parsing, printing, `--help`
// and error messages are all derived, so they cannot disagree.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "projectors/error.h"

namespace osmo {

template <class E>
struct EnumName {
  E value;
  const char* name;
  const char* help;  // a few words for --help
};

template <class E, std::size_t N>
using EnumTable = std::array<EnumName<E>, N>;

// "a, b or c" (each in double quotes when `quoted`).
template <class E, std::size_t N>
std::string ListNames(const EnumTable<E, N>& table, bool quoted = false) {
  std::string text;
  for (std::size_t n = 0; n < N; ++n) {
    if (n > 0) text += n + 1 == N ? " or " : ", ";
    text += quoted ? "\"" + std::string(table[n].name) + "\"" : std::string(table[n].name);
  }
  return text;
}

// "a (help), b (help), …" for --help.
template <class E, std::size_t N>
std::string DescribeNames(const EnumTable<E, N>& table) {
  std::string text;
  for (std::size_t n = 0; n < N; ++n) {
    text += (n ? ", " : "") + std::string(table[n].name) + " (" + table[n].help + ")";
  }
  return text;
}

// The value named `text`; SettingError "where: expected <names>, found "text"" otherwise (`where`:
// the settings field or, in a front end, its own name for it).
template <class E, std::size_t N>
E ParseEnum(const EnumTable<E, N>& table, const std::string& text, const std::string& where,
            bool quoted = false) {
  for (const EnumName<E>& entry : table) {
    if (text == entry.name) return entry.value;
  }
  throw SettingError(where, ListNames(table, quoted), "\"" + text + "\"");
}

template <class E, std::size_t N>
const char* NameOf(const EnumTable<E, N>& table, E value) {
  for (const EnumName<E>& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

}  // namespace osmo
