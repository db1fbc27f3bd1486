// Child processes for the demo and the end-to-end tests: start a binary with
// arguments, its stdout/stderr appended to a log file, then signal, kill or
// wait for it. The destructor kills (SIGKILL) and reaps a child still running.
// Thread-compatible.
#ifndef PEERGRID_RUNTIME_SUBPROCESS_H_
#define PEERGRID_RUNTIME_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace peergrid::runtime {

class Subprocess {
 public:
  // Starts `argv[0]` (a path) with `argv`; output goes to `log_path`
  // (appended; /dev/null when empty). Errors: NotFound when the binary does not
  // exist, Internal when fork/exec fails.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const std::vector<std::string>& argv,
                                                           const std::string& log_path);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal` (e.g. SIGTERM, SIGKILL).
  void Signal(int signal) const;
  // Returns the exit status once the child ended, without blocking.
  std::optional<int> Poll();
  // Waits up to `timeout` for the child to end; returns its wait status
  // (use WIFEXITED/WEXITSTATUS), or DeadlineExceeded.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the wait status.
  int Stop(absl::Duration grace);

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> status_;
};

// Waits until `path` exists and holds a whole line (a port file written by a
// daemon), up to `timeout`; returns its first line.
absl::StatusOr<std::string> WaitForFileLine(const std::string& path, absl::Duration timeout);

}  // namespace peergrid::runtime

#endif  // PEERGRID_RUNTIME_SUBPROCESS_H_
