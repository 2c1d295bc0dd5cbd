// Starting child programs without a shell (posix_spawn): `osmo batch` jobs and the study's plot
// script. Arguments are passed as they are, so no file name can inject a command.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace osmo::cli {

struct ChildOptions {
  std::string stdout_path = "/dev/null";  // truncated and written by the child
  std::string stderr_path = "/dev/null";
  // Start the child in a process group of its own: a terminal's Ctrl-C then reaches only the
  // parent, which stops its children in order; the parent can signal the whole group.
  bool own_process_group = false;
};

// Starts `program args…` (program: an absolute path) and returns its pid; InputError naming the
// program if it cannot be started.
pid_t StartChild(const std::string& program, const std::vector<std::string>& args,
                 const ChildOptions& options = {});

// Waits for a child to end: its exit code, or 128 + the signal that ended it.
int WaitForChild(pid_t pid);

// Exit code of a waitpid() status: the exit code, or 128 + the signal.
int ExitCodeOf(int wait_status);

}  // namespace osmo::cli
