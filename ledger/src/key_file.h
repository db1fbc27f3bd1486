// Small POSIX file helpers for the ledger's key file: written to a temporary
// file with mode 0600, fsynced, renamed into place, directory fsynced.
// Thread-safety: pure functions on the file system.
#ifndef PEERGRID_LEDGER_SRC_KEY_FILE_H_
#define PEERGRID_LEDGER_SRC_KEY_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace peergrid::ledger {

// Returns the file's contents; NotFound when it does not exist.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);
// Atomically replaces `path` with `contents`, mode 0600, durably.
absl::Status WritePrivateFile(const std::string& path, absl::string_view contents);
// Durably renames `from` to `to` (same directory).
absl::Status DurableRename(const std::string& from, const std::string& to);
bool FileExists(const std::string& path);

}  // namespace peergrid::ledger

#endif  // PEERGRID_LEDGER_SRC_KEY_FILE_H_
