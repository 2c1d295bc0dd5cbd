// One lock for all of osmo's ITK use.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <mutex>

namespace osmo {

// ITK 5.2's global state (object factories, the default multithreader, the MetaIO, NIfTI and
// GDCM libraries' own statics) is not safe to set up or use from two threads at once: `osmo study
// --jobs 2` writing two images at a time corrupted the heap (a crash, or a hang in malloc, in 2
// of 7 runs here). Volumes and series are read and written one at a time under this lock; the
// work between runs in parallel.
std::mutex& ItkMutex();

}  // namespace osmo
