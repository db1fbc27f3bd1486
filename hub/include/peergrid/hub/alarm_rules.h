// The alarm rules (DESIGN.md §6), pure: every threshold the battery monitor
// applies, in one table. The Prometheus alert rules are generated from the
// same table (`peergridctl alert-rules` prints deploy/prometheus/
// peergrid-alerts.yml; deploy/check-deploy.sh fails when the checked-in file
// differs), so the monitor and Prometheus cannot disagree on a threshold.
//
// A rule watches one quantity of a bank (or a hub's silence) and has two
// thresholds and a dwell:
//   - its condition turns on when the value is past `raise_at` (`compare`);
//   - it stays on while the value is still past `clear_at` the same way: the
//     band between the two is the hysteresis, so a value wobbling around one
//     threshold cannot flap the alarm;
//   - the alarm is raised once the condition has been on for `dwell_s`
//     (exchange clock: the times reports are received); 0 raises at once.
// An alarm (hub, bank, kind) has the highest severity of its kind's raised
// rules, and clears when none is raised. The same rule in Prometheus is
//   expr: Q <raise> or (Q <clear> and on(hub, bank) ALERTS{alertname="A"})
//   for:  dwell_s
//
// The default table (DefaultBankAlarmRules, HubStaleRule):
//   kind                       severity  quantity                  raise     clear    dwell
//   SOC_LOW                    warning   SoC %                     < 20      ≥ 22     2 min
//   SOC_LOW                    critical  SoC %                     < 10      ≥ 12     1 min
//   SOC_BELOW_RESERVE          warning   SoC − reserve, % points   < 0       ≥ 2      0
//   SOH_LOW                    warning   SoH %                     < 80      ≥ 81     10 min
//   SOH_LOW                    critical  SoH %                     ≤ 70      > 71     10 min
//   CELL_TEMP_HIGH             warning   max cell °C               ≥ 45      < 43     1 min
//   CELL_TEMP_HIGH             critical  max cell °C               ≥ 55      < 53     0
//   CHARGING_BELOW_FREEZING    critical  min cell °C, charging     < 0       ≥ 2      0
//   CELL_VOLTAGE_OUT_OF_RANGE  critical  min LFP cell V            < 2.50    ≥ 2.55   0
//   CELL_VOLTAGE_OUT_OF_RANGE  critical  max LFP cell V            > 3.65    ≤ 3.60   0
//   DEVICE_ALARM               warning   SunSpec 802 Evt1 bits set ≥ 1       < 1      0
//   DEVICE_ALARM               critical  alarm/error bits set      ≥ 1       < 1      0
//   HUB_STALE                  warning   silent reporting periods  > N       ≤ N      0
// N is the zone's MarketTiming::stale_after_periods (default 3). A hub's
// silence only shrinks when one of its reports is stored, so HUB_STALE clears
// on the first fresh report and on nothing else.
//
// Thread-safety: values and pure functions.
#ifndef PEERGRID_HUB_ALARM_RULES_H_
#define PEERGRID_HUB_ALARM_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace peergrid::hub {

// Numbers match peergrid.v1.AlarmKind / AlarmSeverity.
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

// Returns the kind's name as in the proto ("SOC_LOW", …).
const char* AlarmKindName(AlarmKind kind);
// Returns "warning" or "critical" ("none" for kNone).
const char* AlarmSeverityName(AlarmSeverity severity);

// What a rule watches.
enum class AlarmQuantity {
  kSocPct,                     // state of charge, %
  kSocOverReservePct,          // SoC − the bank's reported reserve (banks with one), % points
  kSohPct,                     // state of health, %
  kCellTempMaxC,               // hottest cell, °C
  kCellTempMinWhileChargingC,  // coldest cell while charging (power < 0), °C
  kLfpCellVoltageMinV,         // lowest cell voltage of an LFP bank, V
  kLfpCellVoltageMaxV,         // highest cell voltage of an LFP bank, V
  kDeviceEventBits,            // SunSpec 802 Evt1 bits set, any
  kDeviceAlarmBits,            // SunSpec 802 Evt1 alarm and error bits set
  kSilentPeriods,              // reporting periods since the hub's last stored report
};

// How a bad value compares with a threshold.
enum class AlarmCompare { kBelow, kAtOrBelow, kAtOrAbove, kAbove };

struct AlarmRule {
  AlarmKind kind = AlarmKind::kUnspecified;
  AlarmSeverity severity = AlarmSeverity::kNone;
  AlarmQuantity quantity = AlarmQuantity::kSocPct;
  AlarmCompare compare = AlarmCompare::kBelow;
  double raise_at = 0;
  double clear_at = 0;  // on the healthy side of raise_at, or equal to it
  int32_t dwell_s = 0;
  // The Prometheus alert generated from the rule; empty when the exchange
  // exports no metric of the quantity.
  std::string alert;
};

// Returns the bank rules of the table above: the defaults that
// AlarmConfig::overrides may replace per bank.
std::vector<AlarmRule> DefaultBankAlarmRules();
// Returns the HUB_STALE rule for the zone's `stale_after_periods`.
AlarmRule HubStaleRule(int32_t stale_after_periods);

// Returns whether `value` is past `threshold` the way `compare` says.
bool IsPast(AlarmCompare compare, double value, double threshold);
// Returns the comparison in words ("below", "at or above", …).
const char* AlarmCompareWords(AlarmCompare compare);

// Returns OK when every rule has a kind and a severity, a finite clear_at on
// the healthy side of (or at) its raise_at, a dwell in [0, 1 day], and no two
// rules share (kind, severity, quantity). InvalidArgument naming the rule
// otherwise.
absl::Status ValidateAlarmRules(absl::Span<const AlarmRule> rules);

// Returns the first rule of `kind` and `severity`, or nullptr.
AlarmRule* FindAlarmRule(std::vector<AlarmRule>* rules, AlarmKind kind, AlarmSeverity severity);

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_ALARM_RULES_H_
