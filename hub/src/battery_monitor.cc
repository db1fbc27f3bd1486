#include "peergrid/hub/battery_monitor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace peergrid::hub {
namespace {

// SunSpec 802 Evt1 bits that are alarms or errors (the rest are warnings).
constexpr uint32_t kDeviceAlarmMask = (1u << 0) | (1u << 1) | (1u << 3) | (1u << 5) | (1u << 7) |
                                      (1u << 9) | (1u << 11) | (1u << 13) | (1u << 15) |
                                      (1u << 18) | (1u << 20) | (1u << 21) | (1u << 22) |
                                      (1u << 23) | (1u << 25) | (1u << 28);

// Severity of a rule where low values are bad (SoC, SoH).
AlarmSeverity LowRule(double v, double warn, double crit, bool crit_inclusive, double hyst,
                      AlarmSeverity cur) {
  const bool crit_now = crit_inclusive ? v <= crit : v < crit;
  if (crit_now || (cur == AlarmSeverity::kCritical && v < crit + hyst)) {
    return AlarmSeverity::kCritical;
  }
  if (v < warn || (cur != AlarmSeverity::kNone && v < warn + hyst)) return AlarmSeverity::kWarning;
  return AlarmSeverity::kNone;
}

// Severity of a rule where high values are bad (temperature).
AlarmSeverity HighRule(double v, double warn, double crit, double hyst, AlarmSeverity cur) {
  if (v >= crit || (cur == AlarmSeverity::kCritical && v > crit - hyst)) {
    return AlarmSeverity::kCritical;
  }
  if (v >= warn || (cur != AlarmSeverity::kNone && v > warn - hyst)) return AlarmSeverity::kWarning;
  return AlarmSeverity::kNone;
}

const char* SeverityName(AlarmSeverity s) {
  return s == AlarmSeverity::kCritical ? "critical" : "warning";
}

}  // namespace

const char* AlarmKindName(AlarmKind kind) {
  switch (kind) {
    case AlarmKind::kSocLow:
      return "SOC_LOW";
    case AlarmKind::kSocBelowReserve:
      return "SOC_BELOW_RESERVE";
    case AlarmKind::kSohLow:
      return "SOH_LOW";
    case AlarmKind::kCellTempHigh:
      return "CELL_TEMP_HIGH";
    case AlarmKind::kChargingBelowFreezing:
      return "CHARGING_BELOW_FREEZING";
    case AlarmKind::kCellVoltageOutOfRange:
      return "CELL_VOLTAGE_OUT_OF_RANGE";
    case AlarmKind::kDeviceAlarm:
      return "DEVICE_ALARM";
    case AlarmKind::kHubStale:
      return "HUB_STALE";
    default:
      return "ALARM_KIND_UNSPECIFIED";
  }
}

bool IsHubStale(int64_t last_report_unix_ms, int64_t since_unix_ms, int64_t now_unix_ms,
                int32_t reporting_period_s, int32_t periods) {
  const int64_t from = std::max(last_report_unix_ms, since_unix_ms);
  return now_unix_ms - from > static_cast<int64_t>(periods) * reporting_period_s * 1000;
}

BatteryMonitor::BatteryMonitor(AlarmConfig config, int32_t stale_after_periods)
    : config_(std::move(config)), stale_after_periods_(stale_after_periods) {}

void BatteryMonitor::WatchHub(const std::string& hub_id, int32_t reporting_period_s,
                              int64_t now_unix_ms) {
  auto [it, inserted] = hubs_.try_emplace(hub_id);
  it->second.reporting_period_s = std::max<int32_t>(1, reporting_period_s);
  if (inserted) it->second.since_unix_ms = now_unix_ms;
}

const AlarmThresholds& BatteryMonitor::ThresholdsFor(const std::string& hub_id,
                                                     const std::string& bank_id) const {
  auto it = config_.overrides.find({hub_id, bank_id});
  return it == config_.overrides.end() ? config_.defaults : it->second;
}

AlarmSeverity BatteryMonitor::Current(const Key& key) const {
  auto it = active_.find(key);
  return it == active_.end() ? AlarmSeverity::kNone : it->second.severity;
}

void BatteryMonitor::Apply(const std::string& hub_id, const std::string& bank_id, AlarmKind kind,
                           AlarmSeverity severity, double value, double threshold,
                           std::string message, int64_t now_unix_ms,
                           std::vector<AlarmEvent>* events) {
  Key key{hub_id, bank_id, kind};
  auto it = active_.find(key);
  if (severity == AlarmSeverity::kNone) {
    if (it == active_.end()) return;
    AlarmEvent ev{it->second, AlarmTransition::kCleared, now_unix_ms};
    ev.alarm.value = value;
    ev.alarm.message = std::move(message);
    events->push_back(std::move(ev));
    active_.erase(it);
    return;
  }
  if (it == active_.end()) {
    Alarm a{hub_id, bank_id, kind, severity, std::move(message), value, threshold, now_unix_ms};
    events->push_back({a, AlarmTransition::kRaised, now_unix_ms});
    active_.emplace(std::move(key), std::move(a));
    return;
  }
  Alarm& a = it->second;
  const bool changed = a.severity != severity;
  a.severity = severity;
  a.value = value;
  a.threshold = threshold;
  a.message = std::move(message);
  if (changed) events->push_back({a, AlarmTransition::kEscalated, now_unix_ms});
}

void BatteryMonitor::EvaluateBank(const std::string& hub_id, const BankSample& b,
                                  int64_t now_unix_ms, std::vector<AlarmEvent>* events) {
  const AlarmThresholds& t = ThresholdsFor(hub_id, b.bank_id);
  auto cur = [&](AlarmKind k) { return Current({hub_id, b.bank_id, k}); };

  AlarmSeverity s = LowRule(b.soc_pct, t.soc_warning_pct, t.soc_critical_pct, false,
                            t.soc_hysteresis_pct, cur(AlarmKind::kSocLow));
  double th = s == AlarmSeverity::kCritical ? t.soc_critical_pct : t.soc_warning_pct;
  Apply(hub_id, b.bank_id, AlarmKind::kSocLow, s, b.soc_pct, th,
        absl::StrFormat("bank %s SoC %.1f %% is below the %s threshold %.1f %%", b.bank_id,
                        b.soc_pct, SeverityName(s), th),
        now_unix_ms, events);

  s = AlarmSeverity::kNone;
  if (b.soc_reserve_pct > 0) {
    s = LowRule(b.soc_pct, b.soc_reserve_pct, -1, false, t.soc_hysteresis_pct,
                cur(AlarmKind::kSocBelowReserve));
  }
  Apply(hub_id, b.bank_id, AlarmKind::kSocBelowReserve, s, b.soc_pct, b.soc_reserve_pct,
        absl::StrFormat("bank %s SoC %.1f %% is below its reserve %.1f %%", b.bank_id, b.soc_pct,
                        b.soc_reserve_pct),
        now_unix_ms, events);

  s = LowRule(b.soh_pct, t.soh_warning_pct, t.soh_critical_pct, true, t.soh_hysteresis_pct,
              cur(AlarmKind::kSohLow));
  th = s == AlarmSeverity::kCritical ? t.soh_critical_pct : t.soh_warning_pct;
  Apply(hub_id, b.bank_id, AlarmKind::kSohLow, s, b.soh_pct, th,
        absl::StrFormat("bank %s SoH %.1f %% has reached the %s threshold %.1f %%", b.bank_id,
                        b.soh_pct, SeverityName(s), th),
        now_unix_ms, events);

  s = HighRule(b.cell_temp_max_c, t.temp_warning_c, t.temp_critical_c, t.temp_hysteresis_c,
               cur(AlarmKind::kCellTempHigh));
  th = s == AlarmSeverity::kCritical ? t.temp_critical_c : t.temp_warning_c;
  Apply(hub_id, b.bank_id, AlarmKind::kCellTempHigh, s, b.cell_temp_max_c, th,
        absl::StrFormat("bank %s max cell temperature %.1f °C is at or above the %s threshold "
                        "%.1f °C",
                        b.bank_id, b.cell_temp_max_c, SeverityName(s), th),
        now_unix_ms, events);

  const bool was_freezing = cur(AlarmKind::kChargingBelowFreezing) != AlarmSeverity::kNone;
  const double freeze_limit = was_freezing ? t.freezing_c + t.temp_hysteresis_c : t.freezing_c;
  s = (b.power_w < 0 && b.cell_temp_min_c < freeze_limit) ? AlarmSeverity::kCritical
                                                          : AlarmSeverity::kNone;
  Apply(hub_id, b.bank_id, AlarmKind::kChargingBelowFreezing, s, b.cell_temp_min_c, t.freezing_c,
        absl::StrFormat("bank %s is charging at %d W with a cell at %.1f °C (below %.1f °C)",
                        b.bank_id, -b.power_w, b.cell_temp_min_c, t.freezing_c),
        now_unix_ms, events);

  s = AlarmSeverity::kNone;
  double v_bad = 0;
  double v_bound = 0;
  if (b.chemistry == Chemistry::kLfp) {
    const bool was = cur(AlarmKind::kCellVoltageOutOfRange) != AlarmSeverity::kNone;
    const double h = was ? t.voltage_hysteresis_v : 0;
    if (b.cell_voltage_min_v < t.lfp_cell_min_v + h) {
      s = AlarmSeverity::kCritical;
      v_bad = b.cell_voltage_min_v;
      v_bound = t.lfp_cell_min_v;
    } else if (b.cell_voltage_max_v > t.lfp_cell_max_v - h) {
      s = AlarmSeverity::kCritical;
      v_bad = b.cell_voltage_max_v;
      v_bound = t.lfp_cell_max_v;
    }
  }
  Apply(hub_id, b.bank_id, AlarmKind::kCellVoltageOutOfRange, s, v_bad, v_bound,
        absl::StrFormat("bank %s LFP cell voltage %.3f V is outside %.2f–%.2f V", b.bank_id, v_bad,
                        t.lfp_cell_min_v, t.lfp_cell_max_v),
        now_unix_ms, events);

  s = AlarmSeverity::kNone;
  if (b.alarm_bits != 0) {
    s = (b.alarm_bits & kDeviceAlarmMask) != 0 ? AlarmSeverity::kCritical : AlarmSeverity::kWarning;
  }
  Apply(hub_id, b.bank_id, AlarmKind::kDeviceAlarm, s, static_cast<double>(b.alarm_bits), 0,
        absl::StrFormat("bank %s reports SunSpec 802 event bits 0x%08x", b.bank_id, b.alarm_bits),
        now_unix_ms, events);
}

std::vector<AlarmEvent> BatteryMonitor::Observe(const HubSample& report, int64_t now_unix_ms) {
  std::vector<AlarmEvent> events;
  HubWatch& hub = hubs_[report.hub_id];
  if (hub.since_unix_ms == 0) hub.since_unix_ms = now_unix_ms;
  hub.last_report_unix_ms = now_unix_ms;
  Apply(report.hub_id, "", AlarmKind::kHubStale, AlarmSeverity::kNone, 0, 0,
        absl::StrCat("hub ", report.hub_id, " reported again"), now_unix_ms, &events);
  std::vector<const BankSample*> banks;
  for (const BankSample& b : report.banks) banks.push_back(&b);
  std::sort(banks.begin(), banks.end(),
            [](const BankSample* a, const BankSample* b) { return a->bank_id < b->bank_id; });
  for (const BankSample* b : banks) EvaluateBank(report.hub_id, *b, now_unix_ms, &events);
  return events;
}

std::vector<AlarmEvent> BatteryMonitor::CheckStaleness(int64_t now_unix_ms) {
  std::vector<AlarmEvent> events;
  for (const auto& [hub_id, watch] : hubs_) {
    const int32_t periods = stale_after_periods_;
    if (!IsHubStale(watch.last_report_unix_ms, watch.since_unix_ms, now_unix_ms,
                    watch.reporting_period_s, periods)) {
      continue;
    }
    const int64_t from = std::max(watch.last_report_unix_ms, watch.since_unix_ms);
    const double silent_s = static_cast<double>(now_unix_ms - from) / 1000.0;
    const double limit_s = static_cast<double>(periods) * watch.reporting_period_s;
    Apply(hub_id, "", AlarmKind::kHubStale, AlarmSeverity::kWarning, silent_s, limit_s,
          absl::StrFormat("hub %s has not reported for %.1f s (stale after %.0f s: %d periods "
                          "of %d s)",
                          hub_id, silent_s, limit_s, periods, watch.reporting_period_s),
          now_unix_ms, &events);
  }
  return events;
}

std::vector<Alarm> BatteryMonitor::ActiveAlarms(const std::string& hub_id) const {
  std::vector<Alarm> out;
  for (const auto& [key, alarm] : active_) {
    if (hub_id.empty() || std::get<0>(key) == hub_id) out.push_back(alarm);
  }
  return out;
}

bool BatteryMonitor::IsStale(const std::string& hub_id, int64_t now_unix_ms) const {
  auto it = hubs_.find(hub_id);
  if (it == hubs_.end()) return true;
  return IsHubStale(it->second.last_report_unix_ms, it->second.since_unix_ms, now_unix_ms,
                    it->second.reporting_period_s, stale_after_periods_);
}

}  // namespace peergrid::hub
