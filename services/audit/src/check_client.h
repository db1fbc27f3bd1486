// The auditor's reads from an AuditService, each with its own deadline and
// errors that name the RPC ("GetEntries [1000, 2000): ..."). Nothing read here
// is trusted: callers verify it.
//
// Thread-safety: thread-safe (the stub is).
// Errors: the gRPC status of the call, converted to absl; DataLoss when the
// server's answer is malformed (a short page, a hash of the wrong length).
#ifndef PEERGRID_AUDIT_CHECK_CLIENT_H_
#define PEERGRID_AUDIT_CHECK_CLIENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "peergrid/ledger/hash.h"
#include "peergrid/v1/audit.grpc.pb.h"

namespace peergrid::audit::internal {

inline constexpr uint64_t kEntriesPerPage = 1000;

// Returns the latest checkpoint (tree_size 0) or the one of `tree_size`.
absl::StatusOr<v1::Checkpoint> FetchCheckpoint(v1::AuditService::StubInterface* stub,
                                               uint64_t tree_size);

// Returns the server's checkpoints with 0 < tree_size <= up_to, in order of
// size: GetCheckpoint(1) and WatchCheckpoints(after_tree_size=1), read until
// a checkpoint of size up_to arrives or `wait` passes.
absl::StatusOr<std::vector<v1::Checkpoint>> FetchCheckpointHistory(
    v1::AuditService::StubInterface* stub, uint64_t up_to, absl::Duration wait);

// Fetches entries from [start, end) (end - start <= kEntriesPerPage) and
// appends them to `out`: at least one, possibly fewer than asked (the server
// clamps pages; a page over the message size limit is asked again by halves).
// DataLoss when the server returns another range.
absl::Status FetchEntries(v1::AuditService::StubInterface* stub, uint64_t start, uint64_t end,
                          std::vector<std::string>* out);

// Returns the server's consistency proof between the two sizes.
absl::StatusOr<std::vector<ledger::Hash>> FetchConsistencyProof(
    v1::AuditService::StubInterface* stub, uint64_t from_size, uint64_t to_size);

}  // namespace peergrid::audit::internal

#endif  // PEERGRID_AUDIT_CHECK_CLIENT_H_
