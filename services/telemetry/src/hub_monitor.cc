#include "peergrid/telemetry/hub_monitor.h"

#include <utility>

#include "peergrid/convert/hub_convert.h"

namespace peergrid::telemetry {

HubMonitor::HubMonitor(hub::AlarmConfig config, int32_t stale_after_periods)
    : monitor_(std::move(config), stale_after_periods) {}

void HubMonitor::WatchHub(const std::string& hub_id, int32_t reporting_period_s,
                          int64_t now_unix_ms) {
  absl::MutexLock lock(&mu_);
  monitor_.WatchHub(hub_id, reporting_period_s, now_unix_ms);
}

void HubMonitor::Observe(const hub::HubSample& report, int64_t now_unix_ms) {
  std::vector<hub::AlarmEvent> events;
  {
    absl::MutexLock lock(&mu_);
    events = monitor_.Observe(report, now_unix_ms);
  }
  Publish(events);
}

void HubMonitor::CheckStaleness(int64_t now_unix_ms) {
  std::vector<hub::AlarmEvent> events;
  {
    absl::MutexLock lock(&mu_);
    events = monitor_.CheckStaleness(now_unix_ms);
  }
  Publish(events);
}

std::vector<hub::Alarm> HubMonitor::ActiveAlarms(const std::string& hub_id) const {
  absl::MutexLock lock(&mu_);
  return monitor_.ActiveAlarms(hub_id);
}

bool HubMonitor::IsStale(const std::string& hub_id, int64_t now_unix_ms) const {
  absl::MutexLock lock(&mu_);
  return monitor_.IsStale(hub_id, now_unix_ms);
}

void HubMonitor::Publish(const std::vector<hub::AlarmEvent>& events) {
  for (const hub::AlarmEvent& e : events) {
    v1::AlarmEvent p;
    convert::ToProto(e, &p);
    events_.Publish(std::move(p));
  }
}

}  // namespace peergrid::telemetry
