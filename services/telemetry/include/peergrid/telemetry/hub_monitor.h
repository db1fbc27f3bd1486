// The exchange's battery monitoring: hub::BatteryMonitor (pure alarm rules)
// behind a mutex, with its alarm transitions published to WatchAlarms
// subscribers through a Broadcaster. Thread-safe.
#ifndef PEERGRID_TELEMETRY_HUB_MONITOR_H_
#define PEERGRID_TELEMETRY_HUB_MONITOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "peergrid/common/market_time.h"
#include "peergrid/hub/battery_monitor.h"
#include "peergrid/hub/telemetry.h"
#include "peergrid/runtime/broadcaster.h"
#include "peergrid/v1/operator.pb.h"

namespace peergrid::telemetry {

class HubMonitor {
 public:
  // `stale_after_periods`: the zone's MarketTiming::stale_after_periods.
  explicit HubMonitor(hub::AlarmConfig config = {},
                      int32_t stale_after_periods = MarketTiming().stale_after_periods);

  // Watches a registered hub (idempotent; updates its reporting period).
  void WatchHub(const std::string& hub_id, int32_t reporting_period_s, int64_t now_unix_ms);
  // Evaluates a stored report received at `now_unix_ms`; publishes transitions.
  void Observe(const hub::HubSample& report, int64_t now_unix_ms);
  // Raises HUB_STALE for silent hubs; publishes transitions.
  void CheckStaleness(int64_t now_unix_ms);

  std::vector<hub::Alarm> ActiveAlarms(const std::string& hub_id = "") const;
  bool IsStale(const std::string& hub_id, int64_t now_unix_ms) const;
  // The stream of alarm transitions (for WatchAlarms and metrics).
  runtime::Broadcaster<v1::AlarmEvent>& events() { return events_; }

 private:
  void Publish(const std::vector<hub::AlarmEvent>& events);

  mutable absl::Mutex mu_;
  hub::BatteryMonitor monitor_ ABSL_GUARDED_BY(mu_);
  runtime::Broadcaster<v1::AlarmEvent> events_;
};

}  // namespace peergrid::telemetry

#endif  // PEERGRID_TELEMETRY_HUB_MONITOR_H_
