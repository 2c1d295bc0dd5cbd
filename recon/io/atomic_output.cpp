// Atomic output via a temporary folder and rename(2).
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/atomic_output.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

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

namespace {

// Temporary folders are named .osmo-tmp-<pid>-XXXXXX; those of processes that no longer exist
// (killed by SIGKILL or a power cut mid-write) are removed before the next write in the folder.
void RemoveStaleTemporaries(const fs::path& folder) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".osmo-tmp-", 0) != 0 || !entry.is_directory(ec)) continue;
    const std::string rest = name.substr(10);
    const size_t dash = rest.find('-');
    if (dash == std::string::npos) continue;
    char* end = nullptr;
    const long pid = std::strtol(rest.c_str(), &end, 10);
    if (end != rest.c_str() + dash || pid <= 0) continue;
    if (kill(pid_t(pid), 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

}  // namespace

void WriteTextAtomically(const std::string& path, const std::string& text) {
  WriteAtomically(path, [&](const std::string& temporary) {
    std::ofstream out(temporary, std::ios::binary);
    out.write(text.data(), std::streamsize(text.size()));
    out.close();
    if (!out) {
      throw InputError(path, "a written file",
                       std::string("a write error: ") + std::strerror(errno) + " (disk full?)");
    }
  });
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
  RemoveStaleTemporaries(folder);
  std::string pattern = (folder / (".osmo-tmp-" + std::to_string(getpid()) + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw InputError(path, "a temporary folder beside the output",
                     std::string("mkdtemp failed: ") + std::strerror(errno));
  }
  const fs::path temporary_folder(pattern);
  const fs::path temporary_file = temporary_folder / target.filename();
  std::error_code ec;
  try {
    write(temporary_file.string());
    if (!fs::exists(temporary_file)) {
      throw InputError(path, "a written file", "nothing written (the writer failed silently)");
    }
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
