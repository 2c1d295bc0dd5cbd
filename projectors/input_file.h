// Checks that an input path names a readable regular file before anything opens it: a FIFO
// would block the reader for ever, a folder or a device would be read as garbage.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <utility>

#include "projectors/error.h"

namespace osmo {

// Throws InputError "path: expected <what>, found …" unless `path` is a readable regular file
// (symbolic links are followed).
inline void RequireRegularFile(const std::string& path, const std::string& what) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) throw InputError(path, what, "no such file");
  if (S_ISDIR(info.st_mode)) throw InputError(path, what, "a folder");
  if (S_ISFIFO(info.st_mode)) throw InputError(path, what, "a FIFO (named pipe)");
  if (!S_ISREG(info.st_mode)) throw InputError(path, what, "a device or socket, not a file");
  if (access(path.c_str(), R_OK) != 0)
    throw InputError(path, what, "a file without read permission");
}

// Whether inputs may read data from other files than the one named (HDF5 external links and
// storage, MetaImage data files elsewhere): only with OSMO_ALLOW_EXTERNAL_DATA=1, since such
// references could expose any file of the machine as data.
inline bool ExternalDataAllowed() {
  const char* allow = std::getenv("OSMO_ALLOW_EXTERNAL_DATA");
  return allow != nullptr && std::string(allow) == "1";
}

// JSON inputs (manifests, configurations, phantoms, geometries) nest a few levels; deeper input
// is refused while parsing, before anything recursive (printing a value) can exhaust the stack.
constexpr int kMaxJsonDepth = 64;

// Json::parse(input) for nlohmann::json (a template, so this header needs no JSON include) with
// the depth bound; syntax errors propagate as Json::parse_error.
template <class Json, class Input>
Json ParseJsonWithDepthLimit(Input&& input, const std::string& where) {
  auto limit = [&where](int depth, typename Json::parse_event_t, Json&) {
    if (depth > kMaxJsonDepth) {
      throw InputError(where, "JSON nested at most " + std::to_string(kMaxJsonDepth) + " levels",
                       "deeper nesting");
    }
    return true;
  };
  return Json::parse(std::forward<Input>(input), limit);
}

}  // namespace osmo
