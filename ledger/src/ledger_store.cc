#include "ledger_store.h"

#include "absl/strings/str_cat.h"

namespace peergrid::ledger::store {

std::string BigEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  return out;
}

uint64_t ReadBigEndian64(absl::string_view b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

std::string Key(char kind, uint64_t n) {
  return absl::StrCat(absl::string_view(&kind, 1), BigEndian64(n));
}

bool ParseKey(absl::string_view key, char kind, uint64_t* n) {
  if (key.size() != 9 || key[0] != kind) return false;
  *n = ReadBigEndian64(key.substr(1));
  return true;
}

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, ": rocksdb: ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsIOError() || s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    return absl::UnavailableError(msg);
  }
  if (s.IsInvalidArgument()) return absl::FailedPreconditionError(msg);
  return absl::InternalError(msg);
}

rocksdb::Options DbOptions(bool create_if_missing) {
  rocksdb::Options options;
  options.create_if_missing = create_if_missing;
  options.paranoid_checks = true;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  options.track_and_verify_wals_in_manifest = true;
  // Two cores: one flush and one compaction at a time.
  options.max_background_jobs = 2;
  options.write_buffer_size = size_t{64} << 20;
  return options;
}

}  // namespace peergrid::ledger::store
