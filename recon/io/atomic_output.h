// Atomic output files: write under a temporary name in the target folder, rename when complete.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace osmo {

// Calls write(temporary_path) where temporary_path lies in a fresh hidden folder beside `path`
// with the same file name (so extension-driven writers behave), then renames every file the
// writer produced into the target folder — the one named `path` last, so it appears only once
// everything it refers to is complete. On any exception the temporary files are removed and the
// exception propagates; an existing file at `path` is replaced only on success.
void WriteAtomically(const std::string& path, const std::function<void(const std::string&)>& write);

// Writes `text` to `path` atomically; throws InputError naming the path if any byte cannot be
// written (disk full, quota), leaving the previous file, if any, in place.
void WriteTextAtomically(const std::string& path, const std::string& text);

// Whether `path`'s folder exists and is writable; throws InputError naming the path otherwise.
void CheckOutputLocation(const std::string& path);

// Throws InputError if `output` (the value of option `option`) names the same file as one of
// `inputs` — after resolving relative paths, "..", and symbolic or hard links — so that no
// output can overwrite what the command reads. Empty paths are ignored.
void CheckNotAnInput(const std::string& output, const std::string& option,
                     const std::vector<std::string>& inputs);

}  // namespace osmo
