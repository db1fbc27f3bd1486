#include "ledger_store.h"

#include "absl/status/statusor.h"
#include "peergrid/storage/key_codec.h"

namespace peergrid::ledger::store {

std::string Key(char kind, uint64_t n) { return storage::KeyU64(absl::string_view(&kind, 1), n); }

bool ParseKey(absl::string_view key, char kind, uint64_t* n) {
  if (key.empty() || key[0] != kind) return false;
  absl::StatusOr<uint64_t> parsed = storage::ParseKeyU64(key, absl::string_view(&kind, 1));
  if (!parsed.ok()) return false;
  *n = *parsed;
  return true;
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
