// Runs a program as a real child process and captures its exit code, stdout and stderr.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "recon/cli/child_process.h"

namespace osmo::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts `program args…` (an absolute path) in a child process with stdout and stderr sent to
// the given files, through osmo's own spawning helper; returns its pid.
inline pid_t StartProcess(const std::string& program, const std::vector<std::string>& args,
                          const std::string& out_path = "/dev/null",
                          const std::string& err_path = "/dev/null") {
  cli::ChildOptions options;
  options.stdout_path = out_path;
  options.stderr_path = err_path;
  return cli::StartChild(program, args, options);
}

// Waits for a child; its exit code, or 128 + the signal that killed it.
inline int WaitForExit(pid_t pid) { return cli::WaitForChild(pid); }

// Runs `program args…`, waits, returns the exit code (128 + signal if killed) and the output.
inline ProcessResult RunProcess(const std::string& program, const std::vector<std::string>& args) {
  static int counter = 0;
  const std::string base =
      "/tmp/osmo_process_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  const std::string out_path = base + ".out", err_path = base + ".err";
  ProcessResult result;
  result.exit_code = WaitForExit(StartProcess(program, args, out_path, err_path));
  result.out = ReadWholeFile(out_path);
  result.err = ReadWholeFile(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return result;
}

}  // namespace osmo::testing
