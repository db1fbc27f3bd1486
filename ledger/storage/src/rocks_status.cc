#include "peergrid/storage/rocks_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace peergrid::storage {

absl::StatusCode RocksCode(const rocksdb::Status& s) {
  if (s.ok()) return absl::StatusCode::kOk;
  if (s.IsNotFound()) return absl::StatusCode::kNotFound;
  if (s.IsCorruption()) return absl::StatusCode::kDataLoss;
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsShutdownInProgress()) {
    return absl::StatusCode::kUnavailable;
  }
  if (s.IsInvalidArgument()) return absl::StatusCode::kFailedPrecondition;
  if (s.IsNotSupported()) return absl::StatusCode::kUnimplemented;
  if (s.IsAborted()) return absl::StatusCode::kAborted;
  return absl::StatusCode::kInternal;
}

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(RocksCode(s), absl::StrCat(what, ": rocksdb: ", s.ToString()));
}

}  // namespace peergrid::storage
