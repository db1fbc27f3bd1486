#include "peergrid/telemetry/hub_monitor.h"

#include <utility>

#include "peergrid/convert/hub_convert.h"
#include "peergrid/runtime/json_log.h"

namespace peergrid::telemetry {

HubMonitor::HubMonitor(hub::AlarmConfig config, int32_t stale_after_periods)
    : monitor_(std::move(config), stale_after_periods) {}

void HubMonitor::AttachLog(AlarmLog* log) {
  absl::MutexLock lock(&mu_);
  log_ = log;
}

void HubMonitor::Restore(const std::vector<std::pair<hub::HubSample, int64_t>>& latest_reports,
                         const std::vector<hub::AlarmEvent>& active) {
  absl::MutexLock lock(&mu_);
  for (const auto& [report, received_ms] : latest_reports) {
    monitor_.RestoreHub(report.hub_id, received_ms);
  }
  for (const hub::AlarmEvent& e : active) monitor_.RestoreAlarm(e);
  for (const auto& [report, received_ms] : latest_reports) {
    Record(monitor_.Reevaluate(report, received_ms));
  }
}

void HubMonitor::WatchHub(const std::string& hub_id, int32_t reporting_period_s,
                          int64_t now_unix_ms) {
  absl::MutexLock lock(&mu_);
  monitor_.WatchHub(hub_id, reporting_period_s, now_unix_ms);
}

void HubMonitor::Observe(const hub::HubSample& report, int64_t received_unix_ms) {
  absl::MutexLock lock(&mu_);
  Record(monitor_.Observe(report, received_unix_ms));
}

void HubMonitor::CheckStaleness(int64_t now_unix_ms) {
  absl::MutexLock lock(&mu_);
  Record(monitor_.CheckStaleness(now_unix_ms));
}

std::vector<hub::Alarm> HubMonitor::ActiveAlarms(const std::string& hub_id) const {
  absl::MutexLock lock(&mu_);
  return monitor_.ActiveAlarms(hub_id);
}

bool HubMonitor::IsStale(const std::string& hub_id, int64_t now_unix_ms) const {
  absl::MutexLock lock(&mu_);
  return monitor_.IsStale(hub_id, now_unix_ms);
}

void HubMonitor::Record(const std::vector<hub::AlarmEvent>& events) {
  if (events.empty()) return;
  if (log_ != nullptr) {
    if (absl::Status stored = log_->Append(events); !stored.ok()) {
      runtime::LogJson("error", "alarm history not stored",
                       {{"error", std::string(stored.message())},
                        {"transitions", static_cast<int64_t>(events.size())}});
    }
  }
  for (const hub::AlarmEvent& e : events) {
    v1::AlarmEvent p;
    convert::ToProto(e, &p);
    events_.Publish(std::move(p));
  }
}

}  // namespace peergrid::telemetry
