// Battery monitoring for operators (DESIGN.md §6), pure: alarm rules over the
// banks of each report, with per-bank overrides, hysteresis and hub staleness.
// Times are arguments (exchange-clock Unix milliseconds), so the same inputs
// give the same transitions.
//
// Default rules (AlarmThresholds):
//   SOC_LOW                  warning SoC < 20 %, critical < 10 %
//   SOC_BELOW_RESERVE        warning SoC < the bank's reported reserve
//   SOH_LOW                  warning SoH < 80 %, critical ≤ 70 %
//   CELL_TEMP_HIGH           warning max cell ≥ 45 °C, critical ≥ 55 °C
//   CHARGING_BELOW_FREEZING  critical: charging (power < 0) with a cell < 0 °C
//   CELL_VOLTAGE_OUT_OF_RANGE critical: LFP cell outside 2.50–3.65 V
//   DEVICE_ALARM             any SunSpec 802 Evt1 bit: critical for alarm and
//                            error bits, warning for warning bits
//   HUB_STALE                warning: no report for the zone's
//                            MarketTiming::stale_after_periods reporting periods
// Hysteresis: an active alarm clears, or steps down from critical, only once
// the value is back past its threshold by the kind's hysteresis band; raising
// and escalating happen at the threshold itself.
//
// Thread-safety: thread-compatible; services/ wraps it with a mutex.
#ifndef PEERGRID_HUB_BATTERY_MONITOR_H_
#define PEERGRID_HUB_BATTERY_MONITOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "peergrid/common/market_time.h"
#include "peergrid/hub/telemetry.h"

namespace peergrid::hub {

// Numbers match peergrid.v1.AlarmKind / AlarmSeverity / AlarmTransition.
enum class AlarmKind {
  kUnspecified = 0,
  kSocLow = 1,
  kSocBelowReserve = 2,
  kSohLow = 3,
  kCellTempHigh = 4,
  kChargingBelowFreezing = 5,
  kCellVoltageOutOfRange = 6,
  kDeviceAlarm = 7,
  kHubStale = 8,
};
enum class AlarmSeverity { kNone = 0, kWarning = 1, kCritical = 2 };
enum class AlarmTransition {
  kUnspecified = 0,
  kRaised = 1,
  kEscalated = 2,
  kCleared = 3,
  kActive = 4
};

// Returns the kind's name as in the proto ("SOC_LOW", …).
const char* AlarmKindName(AlarmKind kind);

struct AlarmThresholds {
  double soc_warning_pct = 20;  // SoC below
  double soc_critical_pct = 10;
  double soh_warning_pct = 80;   // SoH below
  double soh_critical_pct = 70;  // SoH at or below
  double temp_warning_c = 45;    // max cell at or above
  double temp_critical_c = 55;
  double freezing_c = 0;         // no charging with a cell below
  double lfp_cell_min_v = 2.50;  // LFP cell voltage window
  double lfp_cell_max_v = 3.65;
  double soc_hysteresis_pct = 2;
  double soh_hysteresis_pct = 1;
  double temp_hysteresis_c = 2;
  double voltage_hysteresis_v = 0.05;
};

struct AlarmConfig {
  AlarmThresholds defaults;
  // Per-bank thresholds, keyed by (hub_id, bank_id); they replace the defaults.
  std::map<std::pair<std::string, std::string>, AlarmThresholds> overrides;
};

struct Alarm {
  std::string hub_id;
  std::string bank_id;  // empty for HUB_STALE
  AlarmKind kind = AlarmKind::kUnspecified;
  AlarmSeverity severity = AlarmSeverity::kNone;
  std::string message;  // names the value and the threshold
  double value = 0;
  double threshold = 0;
  int64_t raised_at_unix_ms = 0;
};

struct AlarmEvent {
  Alarm alarm;
  AlarmTransition transition = AlarmTransition::kUnspecified;
  int64_t at_unix_ms = 0;
};

// Returns whether a hub whose last report arrived at `last_report_unix_ms`
// (0: never) is stale at `now_unix_ms`: silent for more than `periods` ×
// `reporting_period_s` since max(last report, `since_unix_ms`). `periods` is
// the zone's MarketTiming::stale_after_periods: every caller passes it.
bool IsHubStale(int64_t last_report_unix_ms, int64_t since_unix_ms, int64_t now_unix_ms,
                int32_t reporting_period_s, int32_t periods);

class BatteryMonitor {
 public:
  // `stale_after_periods`: the zone's MarketTiming::stale_after_periods.
  explicit BatteryMonitor(AlarmConfig config = {},
                          int32_t stale_after_periods = MarketTiming().stale_after_periods);

  // Starts (or updates) watching a hub that reports every
  // `reporting_period_s`; its staleness clock starts at `now_unix_ms`.
  void WatchHub(const std::string& hub_id, int32_t reporting_period_s, int64_t now_unix_ms);
  // Evaluates every bank of `report`, received at `now_unix_ms`, and clears
  // the hub's HUB_STALE. Returns the transitions, in (bank, kind) order.
  std::vector<AlarmEvent> Observe(const HubSample& report, int64_t now_unix_ms);
  // Raises HUB_STALE for every watched hub silent for too long at `now_unix_ms`.
  std::vector<AlarmEvent> CheckStaleness(int64_t now_unix_ms);

  // Returns the active alarms (of one hub when `hub_id` is non-empty), ordered
  // by (hub, bank, kind).
  std::vector<Alarm> ActiveAlarms(const std::string& hub_id = "") const;
  // Returns whether the hub is stale at `now_unix_ms` (unknown hubs are).
  bool IsStale(const std::string& hub_id, int64_t now_unix_ms) const;
  // Returns the thresholds that apply to a bank.
  const AlarmThresholds& ThresholdsFor(const std::string& hub_id, const std::string& bank_id) const;

 private:
  struct HubWatch {
    int32_t reporting_period_s = 5;
    int64_t since_unix_ms = 0;
    int64_t last_report_unix_ms = 0;
  };
  using Key = std::tuple<std::string, std::string, AlarmKind>;

  // Moves one alarm to `severity` (kNone clears), appending the transition.
  void Apply(const std::string& hub_id, const std::string& bank_id, AlarmKind kind,
             AlarmSeverity severity, double value, double threshold, std::string message,
             int64_t now_unix_ms, std::vector<AlarmEvent>* events);
  void EvaluateBank(const std::string& hub_id, const BankSample& bank, int64_t now_unix_ms,
                    std::vector<AlarmEvent>* events);
  AlarmSeverity Current(const Key& key) const;

  AlarmConfig config_;
  int32_t stale_after_periods_;
  std::map<std::string, HubWatch> hubs_;
  std::map<Key, Alarm> active_;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_BATTERY_MONITOR_H_
