// Solver checkpoints (HDF5): iterate, momentum state and counters, to resume a run exactly.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "recon/os_solver.h"

namespace osmo {

// Writes the state atomically. `fingerprint` describes the problem and options the state belongs
// to (everything but the iteration budget); resuming checks it.
void WriteCheckpoint(const std::string& path, const SolverState& state,
                     const std::string& fingerprint);

// Reads a checkpoint; throws InputError for a malformed file or one whose fingerprint differs
// from `expected_fingerprint` (naming both), or whose image grid differs from `grid`.
SolverState ReadCheckpoint(const std::string& path, const std::string& expected_fingerprint,
                           const ImageGeometry& grid);

}  // namespace osmo
