// Atomic output via a temporary folder and rename(2).
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/atomic_output.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "projectors/error.h"

namespace osmo {

namespace fs = std::filesystem;

void CheckOutputLocation(const std::string& path) {
  if (path.empty()) throw InputError("output path", "a file name", "an empty string");
  const fs::path target(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw InputError(path, "an output path in an existing folder", "no folder " + folder.string());
  }
  if (access(folder.c_str(), W_OK) != 0) {
    throw InputError(path, "a writable output folder", "no write permission on " + folder.string());
  }
  if (fs::is_directory(target, ec)) throw InputError(path, "a file name", "a folder");
}

void CheckNotAnInput(const std::string& output, const std::string& option,
                     const std::vector<std::string>& inputs) {
  if (output.empty()) return;
  std::error_code ec;
  const fs::path out = fs::weakly_canonical(fs::absolute(output), ec);
  for (const std::string& input : inputs) {
    if (input.empty()) continue;
    const fs::path in = fs::weakly_canonical(fs::absolute(input), ec);
    std::error_code same_error;
    const bool same =
        out == in || (fs::exists(output, same_error) && fs::exists(input, same_error) &&
                      fs::equivalent(output, input, same_error));
    if (same) {
      throw InputError(option + " " + output, "an output that is not one of the inputs",
                       "the input " + input + " (it would be overwritten)");
    }
  }
}

void WriteAtomically(const std::string& path,
                     const std::function<void(const std::string&)>& write) {
  CheckOutputLocation(path);
  const fs::path target(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string pattern = (folder / ".osmo-tmp-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw InputError(path, "a temporary folder beside the output", "mkdtemp failed");
  }
  const fs::path temporary_folder(pattern);
  const fs::path temporary_file = temporary_folder / target.filename();
  std::error_code ec;
  try {
    write(temporary_file.string());
    // Sidecar files first (e.g. the .raw of a .mhd header), the named file last.
    for (const auto& entry : fs::directory_iterator(temporary_folder)) {
      if (entry.path().filename() == target.filename()) continue;
      fs::rename(entry.path(), folder / entry.path().filename());
    }
    fs::rename(temporary_file, target);
  } catch (...) {
    fs::remove_all(temporary_folder, ec);
    throw;
  }
  fs::remove_all(temporary_folder, ec);
}

}  // namespace osmo
