// The one conversion of a rocksdb::Status to an absl::Status (STYLE.md:
// convert once at each edge), shared by every store that keeps its data in
// RocksDB: the ledger, the exchange's telemetry and the hub's buffer.
//
//   ok                                   -> OK
//   NotFound                             -> NotFound
//   Corruption                           -> DataLoss
//   IOError (incl. NoSpace, PathNotFound), Busy, TimedOut, TryAgain,
//   ShutdownInProgress                   -> Unavailable (transient I/O: retry)
//   InvalidArgument                      -> FailedPrecondition (the database is
//                                           not in the state the call needs, e.g.
//                                           missing or already there; callers'
//                                           own bad input is checked before)
//   NotSupported                         -> Unimplemented
//   Aborted                              -> Aborted
//   anything else                        -> Internal
//
// The message is "<what>: rocksdb: <rocksdb's text>", so it says what was
// being done and what RocksDB answered.
//
// Thread-safety: pure functions.
#ifndef PEERGRID_STORAGE_ROCKS_STATUS_H_
#define PEERGRID_STORAGE_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace peergrid::storage {

// Returns the canonical code for `s` (table above).
absl::StatusCode RocksCode(const rocksdb::Status& s);

// Converts `s`; `what` names what was being done ("reading entry 7").
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

// Views a RocksDB slice as an absl::string_view (Debian's Abseil has its own).
inline absl::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

}  // namespace peergrid::storage

#endif  // PEERGRID_STORAGE_ROCKS_STATUS_H_
