#include "peergrid/hub/alarm_rules.h"

#include <cmath>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace peergrid::hub {

std::vector<AlarmRule> DefaultBankAlarmRules() {
  using K = AlarmKind;
  using S = AlarmSeverity;
  using Q = AlarmQuantity;
  using C = AlarmCompare;
  // clang-format off
  return {
    // kind                      severity     quantity                         compare        raise  clear  dwell  Prometheus alert
    {K::kSocLow,                 S::kWarning,  Q::kSocPct,                     C::kBelow,     20,    22,    120,   "PeergridBatterySocLow"},
    {K::kSocLow,                 S::kCritical, Q::kSocPct,                     C::kBelow,     10,    12,    60,    "PeergridBatterySocCritical"},
    {K::kSocBelowReserve,        S::kWarning,  Q::kSocOverReservePct,          C::kBelow,     0,     2,     0,     ""},
    {K::kSohLow,                 S::kWarning,  Q::kSohPct,                     C::kBelow,     80,    81,    600,   "PeergridBatterySohLow"},
    {K::kSohLow,                 S::kCritical, Q::kSohPct,                     C::kAtOrBelow, 70,    71,    600,   "PeergridBatterySohCritical"},
    {K::kCellTempHigh,           S::kWarning,  Q::kCellTempMaxC,               C::kAtOrAbove, 45,    43,    60,    "PeergridBatteryHot"},
    {K::kCellTempHigh,           S::kCritical, Q::kCellTempMaxC,               C::kAtOrAbove, 55,    53,    0,     "PeergridBatteryOverheat"},
    {K::kChargingBelowFreezing,  S::kCritical, Q::kCellTempMinWhileChargingC,  C::kBelow,     0,     2,     0,     ""},
    {K::kCellVoltageOutOfRange,  S::kCritical, Q::kLfpCellVoltageMinV,         C::kBelow,     2.50,  2.55,  0,     ""},
    {K::kCellVoltageOutOfRange,  S::kCritical, Q::kLfpCellVoltageMaxV,         C::kAbove,     3.65,  3.60,  0,     ""},
    {K::kDeviceAlarm,            S::kWarning,  Q::kDeviceEventBits,            C::kAtOrAbove, 1,     1,     0,     ""},
    {K::kDeviceAlarm,            S::kCritical, Q::kDeviceAlarmBits,            C::kAtOrAbove, 1,     1,     0,     ""},
  };
  // clang-format on
}

AlarmRule HubStaleRule(int32_t stale_after_periods) {
  AlarmRule r;
  r.kind = AlarmKind::kHubStale;
  r.severity = AlarmSeverity::kWarning;
  r.quantity = AlarmQuantity::kSilentPeriods;
  r.compare = AlarmCompare::kAbove;
  r.raise_at = stale_after_periods;
  r.clear_at = stale_after_periods;  // silence shrinks only when a report is stored
  r.alert = "PeergridHubStale";
  return r;
}

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

const char* AlarmSeverityName(AlarmSeverity severity) {
  switch (severity) {
    case AlarmSeverity::kWarning:
      return "warning";
    case AlarmSeverity::kCritical:
      return "critical";
    default:
      return "none";
  }
}

bool IsPast(AlarmCompare compare, double value, double threshold) {
  switch (compare) {
    case AlarmCompare::kBelow:
      return value < threshold;
    case AlarmCompare::kAtOrBelow:
      return value <= threshold;
    case AlarmCompare::kAtOrAbove:
      return value >= threshold;
    case AlarmCompare::kAbove:
      return value > threshold;
  }
  return false;
}

const char* AlarmCompareWords(AlarmCompare compare) {
  switch (compare) {
    case AlarmCompare::kBelow:
      return "below";
    case AlarmCompare::kAtOrBelow:
      return "at or below";
    case AlarmCompare::kAtOrAbove:
      return "at or above";
    case AlarmCompare::kAbove:
      return "above";
  }
  return "?";
}

absl::Status ValidateAlarmRules(absl::Span<const AlarmRule> rules) {
  std::set<std::tuple<AlarmKind, AlarmSeverity, AlarmQuantity>> seen;
  for (const AlarmRule& r : rules) {
    const std::string name =
        absl::StrCat("alarm rule ", AlarmKindName(r.kind), "/", AlarmSeverityName(r.severity));
    if (r.kind == AlarmKind::kUnspecified || r.severity == AlarmSeverity::kNone) {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs a kind and a severity"));
    }
    if (!std::isfinite(r.raise_at) || !std::isfinite(r.clear_at)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " has a threshold that is not finite"));
    }
    const bool low_is_bad =
        r.compare == AlarmCompare::kBelow || r.compare == AlarmCompare::kAtOrBelow;
    if (low_is_bad ? r.clear_at < r.raise_at : r.clear_at > r.raise_at) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " clears at ", r.clear_at, ", on the bad side of its raise threshold ",
                       r.raise_at, " (", AlarmCompareWords(r.compare), " is bad)"));
    }
    if (r.dwell_s < 0 || r.dwell_s > 86'400) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " dwell_s ", r.dwell_s, " is outside [0, 86400]"));
    }
    if (!seen.emplace(r.kind, r.severity, r.quantity).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, " appears twice for one quantity"));
    }
  }
  return absl::OkStatus();
}

AlarmRule* FindAlarmRule(std::vector<AlarmRule>* rules, AlarmKind kind, AlarmSeverity severity) {
  for (AlarmRule& r : *rules) {
    if (r.kind == kind && r.severity == severity) return &r;
  }
  return nullptr;
}

}  // namespace peergrid::hub
