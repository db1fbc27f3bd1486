// The exchange's durable telemetry store (DESIGN.md §6), in its own RocksDB
// directory (e.g. <data-dir>/telemetry): every accepted hub report, each
// participant's interval reads, downsampled battery history, and per hub the
// highest processed seq. A report is stored with sync before Ingest returns,
// so an acknowledgement built from Ingest's result is durable. It also keeps
// in memory the latest state of every hub (meters, banks, grid) and feeds the
// battery monitor (alarms), whose transitions it keeps durably (AlarmLog, in
// the same RocksDB): on Open the monitor gets back every active alarm and
// each hub's last stored report with its receipt time, so alarms survive a
// restart and HUB_STALE counts silence from the hub's last report.
//
// Staleness, for every user (IsStale, the monitor's HUB_STALE, the
// exchange's sell check, the peergrid_hub_stale gauge): no report *stored*
// for more than stale_after_periods reporting periods of the exchange clock,
// judged from HubSnapshot::received_at_unix_ms by hub::IsHubStale.
// Duplicates and rejected reports do not make a hub fresh.
//
// Ingest rules per report, in order (hub::telemetry_rules.h for the checks):
//   seq ≤ LastSeq(hub) and the same measurement time as the stored report (or
//     no stored report under that seq: one skipped or rejected before)
//                                          → duplicate: acknowledged, dropped;
//   seq ≤ LastSeq(hub) with a different measurement time → rejected,
//     FAILED_PRECONDITION (the hub's seq went backwards);
//   the caller's precheck failed → rejected with it;
//   seq more than limits::kMaxSeqAdvance past LastSeq → rejected, INVALID_ARGUMENT;
//   a value invalid by itself (SoC outside 0–100, an interval read above the
//     meter's max power × interval, measured_at more than 5 min ahead of
//     `now_unix_ms` …) → rejected, INVALID_ARGUMENT;
//   a counter below the previous report's, time going back → FAILED_PRECONDITION;
//   otherwise stored, and LastSeq becomes its seq.
// A rejected report never moves LastSeq (DESIGN.md §9), so no report, however
// wrong, can make the hub's later reports look like duplicates; a resent
// rejected report is checked again (and normally rejected again).
//
// A stored value that does not decode is DataLoss naming its key, from every
// reader (Open, Ingest, IntervalReads, History, StoredSeqs): never skipped.
//
// Thread-safety: thread-safe. Ingests for different hubs run concurrently and
// share RocksDB's group commit; ingests for one hub are serialized.
#ifndef PEERGRID_TELEMETRY_TELEMETRY_STORE_H_
#define PEERGRID_TELEMETRY_TELEMETRY_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "peergrid/common/market_time.h"
#include "peergrid/exchange/market_telemetry.h"
#include "peergrid/hub/battery_monitor.h"
#include "peergrid/telemetry/alarm_log.h"
#include "peergrid/telemetry/hub_monitor.h"
#include "peergrid/v1/hub.pb.h"
#include "peergrid/v1/operator.pb.h"

namespace rocksdb {
class DB;
}

namespace peergrid::telemetry {

// The latest stored report of a hub and when it was received.
using HubSnapshot = exchange::HubLatest;

struct TelemetryOptions {
  // Battery history bucket length, seconds of hub measurement time.
  int32_t history_resolution_s = 60;
  // The zone's market timing: interval reads must be aligned to
  // timing.interval_s, and a hub is stale (IsStale, the monitor's HUB_STALE)
  // after timing.stale_after_periods reporting periods without a report.
  MarketTiming timing;
  // Alarm rules and per-bank overrides (hub/alarm_rules.h).
  hub::AlarmConfig alarms;
  // Alarm transitions kept per hub (AlarmLog).
  int32_t alarm_history_per_hub = 1000;
  // Sync every write (the durability contract); tests of other things may
  // turn it off.
  bool sync = true;
};

// What happened to one report.
struct IngestResult {
  enum class Outcome { kStored, kDuplicate, kRejected };
  uint64_t seq = 0;
  Outcome outcome = Outcome::kStored;
  absl::Status rejection;  // set when kRejected
};

class TelemetryStore final : public exchange::MarketTelemetry {
 public:
  // Opens (creating if needed) the store in `dir`, reloads every hub's
  // latest state and rebuilds the monitor's alarms. Unavailable/DataLoss when
  // RocksDB cannot open it, InvalidArgument when options.timing, the alarm
  // rules or alarm_history_per_hub are invalid.
  static absl::StatusOr<std::unique_ptr<TelemetryStore>> Open(const std::string& dir,
                                                              TelemetryOptions options = {});
  ~TelemetryStore() override;

  // Returns a meter's max power, W, by participant id (limits::MeterMaxPowerW
  // of its registration); see hub::SampleContext.
  using MeterMaxPowerFn = std::function<int64_t(const std::string& participant_id)>;

  // Ingests reports of `hub_id` (the caller has checked the hub may report),
  // in order, at exchange time `now_unix_ms`, in one synced write. A non-OK
  // `prechecks[i]` (the caller's own checks; empty = none) rejects report i
  // with that status. `meter_max_power_w` bounds each meter's power and
  // interval reads (empty: every meter as a household without PV). Returns
  // one result per report, Unavailable when the write failed, or DataLoss when
  // a stored report or history bucket it had to read back does not decode
  // (nothing stored either way).
  absl::StatusOr<std::vector<IngestResult>> Ingest(const std::string& hub_id,
                                                   absl::Span<const v1::HubReport* const> reports,
                                                   int64_t now_unix_ms,
                                                   absl::Span<const absl::Status> prechecks = {},
                                                   const MeterMaxPowerFn& meter_max_power_w = {});

  // MarketTelemetry: the latest stored report (NotFound if none) and every
  // participant's read for one interval (durable; survives restart).
  absl::StatusOr<HubSnapshot> Latest(const std::string& hub_id) const override;
  absl::StatusOr<std::map<std::string, v1::IntervalRead>> IntervalReads(
      int64_t interval_start) const override;
  absl::StatusOr<exchange::HubMeterReads> HubReads(int64_t interval_start) const override;

  // Returns the seq of the hub's latest stored report, 0 if none: what its
  // acknowledgements carry. Rejected reports never move it.
  uint64_t LastSeq(const std::string& hub_id) const;
  // Returns whether the hub is stale at `now_unix_ms`: its latest stored
  // report was received more than options().timing.stale_after_periods ×
  // `reporting_period_s` ago (a hub that never reported is stale).
  bool IsStale(const std::string& hub_id, int32_t reporting_period_s, int64_t now_unix_ms) const;
  // Returns a bank's downsampled history in [from, to] (Unix ms; 0, 0 = all).
  absl::StatusOr<std::vector<v1::BatteryHistoryPoint>> History(const std::string& hub_id,
                                                               const std::string& bank_id,
                                                               int64_t from_unix_ms,
                                                               int64_t to_unix_ms) const;
  // Returns the seqs of every stored (accepted) report of a hub, ascending.
  absl::StatusOr<std::vector<uint64_t>> StoredSeqs(const std::string& hub_id) const;
  // Returns the ids of every hub that ever reported, ordered.
  std::vector<std::string> ReportingHubs() const;
  // Returns the newest `limit` stored alarm transitions (of one hub when
  // `hub_id` is non-empty), oldest first (AlarmLog::History).
  absl::StatusOr<std::vector<v1::AlarmHistoryEntry>> AlarmHistory(const std::string& hub_id,
                                                                  int32_t limit) const;
  // Returns how many alarm transitions are kept per hub.
  int32_t alarm_history_per_hub() const { return options_.alarm_history_per_hub; }

  HubMonitor& monitor() { return monitor_; }
  const TelemetryOptions& options() const { return options_; }

 private:
  struct HubState;
  TelemetryStore(std::unique_ptr<rocksdb::DB> db, TelemetryOptions options);
  absl::Status Load();
  // Opens the alarm log and hands the monitor what it needs after a restart.
  absl::Status RestoreAlarms();
  HubState& StateFor(const std::string& hub_id);
  const HubState* FindState(const std::string& hub_id) const;

  std::unique_ptr<rocksdb::DB> db_;
  const TelemetryOptions options_;
  std::unique_ptr<AlarmLog> alarm_log_;  // set by Load; outlives monitor_
  HubMonitor monitor_;
  mutable absl::Mutex mu_;  // guards hubs_ (the map, not the states)
  std::map<std::string, std::unique_ptr<HubState>> hubs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace peergrid::telemetry

#endif  // PEERGRID_TELEMETRY_TELEMETRY_STORE_H_
