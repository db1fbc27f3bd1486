// The auditor's state file (--state): the last checkpoint a passing audit
// trusted, as JSON {"origin", "tree_size", "root_hash" (base64),
// "verifier_key" (C2SP), "note"}. Written atomically (temporary file, fsync,
// rename), so a crash leaves the old state or the new one.
//
// Thread-safety: free functions; callers serialize access to one file.
// Errors: InvalidArgument for a malformed file (naming the field), Unavailable
// when it cannot be written.
#ifndef PEERGRID_AUDIT_STATE_H_
#define PEERGRID_AUDIT_STATE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "peergrid/audit/report.h"

namespace peergrid::audit {

// Returns the trusted checkpoint in `path`; nullopt when the file does not
// exist yet (the first audit trusts on first use).
absl::StatusOr<std::optional<TrustedCheckpoint>> ReadTrustedState(const std::string& path);

// Replaces `path` with `trusted`, atomically.
absl::Status WriteTrustedState(const std::string& path, const TrustedCheckpoint& trusted);

// Reads a whole file; NotFound when it does not exist.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);
// Writes a whole file atomically (temporary file, fsync, rename).
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

}  // namespace peergrid::audit

#endif  // PEERGRID_AUDIT_STATE_H_
