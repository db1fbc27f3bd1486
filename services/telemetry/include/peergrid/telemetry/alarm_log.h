// The exchange's durable alarm history (DESIGN.md §6): every transition of
// the battery monitor (RAISED, ESCALATED, CLEARED; never ACTIVE), numbered
// zone-wide in the order they happened, the newest `history_per_hub` of each
// hub kept; and the active alarms (each one's last transition), from which a
// restart rebuilds the monitor. It lives in the telemetry store's RocksDB, in
// keys of its own:
//   e/<hub>/<seq>              v1::AlarmHistoryEntry (seq big-endian)
//   a/<hub>/<bank>/<kind>      v1::AlarmEvent: an active alarm's last transition
// (HUB_STALE has an empty bank). Every Append is one write batch, synced when
// options.sync. A stored value or key that does not decode is DataLoss naming
// its key, from Open and History.
//
// Thread-safety: thread-safe.
#ifndef PEERGRID_TELEMETRY_ALARM_LOG_H_
#define PEERGRID_TELEMETRY_ALARM_LOG_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "peergrid/hub/battery_monitor.h"
#include "peergrid/v1/operator.pb.h"

namespace rocksdb {
class DB;
}

namespace peergrid::telemetry {

struct AlarmLogOptions {
  // Transitions kept per hub; older ones are deleted as new ones arrive.
  int32_t history_per_hub = 1000;
  bool sync = true;
};

class AlarmLog {
 public:
  // Reads the active alarms and the retained history's seqs from `db`
  // (borrowed: it must outlive the log). InvalidArgument when
  // history_per_hub < 1; DataLoss for a value that does not decode.
  static absl::StatusOr<std::unique_ptr<AlarmLog>> Open(rocksdb::DB* db, AlarmLogOptions options);

  // Returns the active alarms as Open found them (their last transitions),
  // ordered by (hub, bank, kind).
  const std::vector<hub::AlarmEvent>& stored_active() const { return stored_active_; }
  // Stores `events` in order, moves the active set with them and drops each
  // hub's oldest transitions beyond history_per_hub. Unavailable when the
  // write fails (nothing stored).
  absl::Status Append(absl::Span<const hub::AlarmEvent> events);
  // Returns the newest `limit` stored transitions (of one hub when `hub_id` is
  // non-empty), oldest first.
  absl::StatusOr<std::vector<v1::AlarmHistoryEntry>> History(const std::string& hub_id,
                                                             int32_t limit) const;
  int32_t history_per_hub() const { return options_.history_per_hub; }

 private:
  AlarmLog(rocksdb::DB* db, AlarmLogOptions options) : db_(db), options_(options) {}
  absl::Status Load();

  rocksdb::DB* const db_;
  const AlarmLogOptions options_;
  std::vector<hub::AlarmEvent> stored_active_;
  mutable absl::Mutex mu_;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // The retained seqs of each hub, ascending.
  std::map<std::string, std::deque<uint64_t>> seqs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace peergrid::telemetry

#endif  // PEERGRID_TELEMETRY_ALARM_LOG_H_
