// The exchange's battery monitoring: hub::BatteryMonitor (pure alarm rules)
// behind a mutex. Every transition is stored in the AlarmLog (when one is
// attached) and then published to WatchAlarms subscribers through a
// Broadcaster, in the order the monitor made them, under the one mutex: the
// history, the stream and the monitor agree on the order.
//
// A transition the log fails to store is still published (and logged as an
// error): the live view stays right, the history misses it.
// Thread-safety: thread-safe.
#ifndef PEERGRID_TELEMETRY_HUB_MONITOR_H_
#define PEERGRID_TELEMETRY_HUB_MONITOR_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "peergrid/common/market_time.h"
#include "peergrid/hub/battery_monitor.h"
#include "peergrid/hub/telemetry.h"
#include "peergrid/runtime/broadcaster.h"
#include "peergrid/telemetry/alarm_log.h"
#include "peergrid/v1/operator.pb.h"

namespace peergrid::telemetry {

class HubMonitor {
 public:
  // `stale_after_periods`: the zone's MarketTiming::stale_after_periods.
  explicit HubMonitor(hub::AlarmConfig config = {},
                      int32_t stale_after_periods = MarketTiming().stale_after_periods);

  // Stores every later transition in `log` (borrowed; it must outlive the
  // monitor), before publishing it.
  void AttachLog(AlarmLog* log);
  // After a restart: restores each hub's last stored report (and its receipt
  // time) and the stored active alarms, then evaluates those reports again
  // (hub::BatteryMonitor::RestoreHub, RestoreAlarm, Reevaluate); stores and
  // publishes what that changes.
  void Restore(const std::vector<std::pair<hub::HubSample, int64_t>>& latest_reports,
               const std::vector<hub::AlarmEvent>& active);
  // Watches a registered hub (idempotent; updates its reporting period).
  void WatchHub(const std::string& hub_id, int32_t reporting_period_s, int64_t now_unix_ms);
  // Evaluates a report stored at `received_unix_ms`; stores and publishes transitions.
  void Observe(const hub::HubSample& report, int64_t received_unix_ms);
  // Raises (or clears) HUB_STALE for silent hubs; stores and publishes transitions.
  void CheckStaleness(int64_t now_unix_ms);

  std::vector<hub::Alarm> ActiveAlarms(const std::string& hub_id = "") const;
  bool IsStale(const std::string& hub_id, int64_t now_unix_ms) const;
  // The stream of alarm transitions (for WatchAlarms and metrics).
  runtime::Broadcaster<v1::AlarmEvent>& events() { return events_; }

 private:
  // Stores (in the log) and publishes `events`.
  void Record(const std::vector<hub::AlarmEvent>& events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  hub::BatteryMonitor monitor_ ABSL_GUARDED_BY(mu_);
  AlarmLog* log_ ABSL_GUARDED_BY(mu_) = nullptr;
  runtime::Broadcaster<v1::AlarmEvent> events_;
};

}  // namespace peergrid::telemetry

#endif  // PEERGRID_TELEMETRY_HUB_MONITOR_H_
