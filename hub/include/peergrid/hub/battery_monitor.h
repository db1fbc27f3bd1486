// Battery monitoring for operators (DESIGN.md §6), pure: the alarm rules of
// alarm_rules.h over the banks of each stored report, with per-bank
// overrides, hysteresis, dwell and hub staleness. Times are arguments
// (exchange-clock Unix milliseconds), so the same inputs give the same
// transitions.
//
// One clock. Every time is the exchange's injected clock: a report counts at
// the time the exchange received (stored) it, never at its measurement time
// (the hub's clock). The monitor keeps the latest time it was given and stamps
// every transition with max(the time given, that time): transitions come out
// in time order, and for every alarm raised_at ≤ ESCALATED ≤ CLEARED, even
// when a report received at t1 is observed after a staleness check at t2 > t1
// (its CLEARED is then stamped t2).
//
// Staleness is silence: a hub is stale when its last stored report was
// received more than stale_after_periods × its reporting period ago (before
// its first report: since the monitor began watching it), exactly as
// IsHubStale says for every other user. HUB_STALE rises at that boundary and
// clears when a report is stored (Observe), or at a check that finds the hub
// fresh again.
//
// Restart: RestoreHub, RestoreAlarm and Reevaluate rebuild the state from the
// telemetry store (the last report of each hub and the stored active alarms),
// so an alarm active before a restart stays active with its raise time, and
// HUB_STALE counts silence from the last stored report, not from the restart.
// A condition that was still inside its dwell (not yet raised) starts over.
//
// Thread-safety: thread-compatible; services/ wraps it with a mutex.
#ifndef PEERGRID_HUB_BATTERY_MONITOR_H_
#define PEERGRID_HUB_BATTERY_MONITOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "peergrid/common/market_time.h"
#include "peergrid/hub/alarm_rules.h"
#include "peergrid/hub/telemetry.h"

namespace peergrid::hub {

// Numbers match peergrid.v1.AlarmTransition.
enum class AlarmTransition {
  kUnspecified = 0,
  kRaised = 1,
  kEscalated = 2,
  kCleared = 3,
  kActive = 4
};

struct AlarmConfig {
  // The bank rules (alarm_rules.h); every bank without an override uses them.
  std::vector<AlarmRule> bank_rules = DefaultBankAlarmRules();
  // Per-bank rules, keyed by (hub_id, bank_id); they replace bank_rules.
  std::map<std::pair<std::string, std::string>, std::vector<AlarmRule>> overrides;
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
  // When its condition began: for HUB_STALE the receipt of the hub's last
  // stored report (the start of the silence); else the first report past the
  // raise threshold (raised_at − since ≥ the rule's dwell).
  int64_t condition_since_unix_ms = 0;
};

struct AlarmEvent {
  Alarm alarm;
  AlarmTransition transition = AlarmTransition::kUnspecified;
  int64_t at_unix_ms = 0;
};

// Returns whether a hub whose last stored report was received at
// `last_report_unix_ms` (0: never) is stale at `now_unix_ms`: silent for more
// than `periods` × `reporting_period_s` since that report, or, before its
// first report, since `since_unix_ms`. `periods` is the zone's
// MarketTiming::stale_after_periods: every caller passes it.
bool IsHubStale(int64_t last_report_unix_ms, int64_t since_unix_ms, int64_t now_unix_ms,
                int32_t reporting_period_s, int32_t periods);

class BatteryMonitor {
 public:
  // `stale_after_periods`: the zone's MarketTiming::stale_after_periods. The
  // config's rules must pass ValidateAlarmRules.
  explicit BatteryMonitor(AlarmConfig config = {},
                          int32_t stale_after_periods = MarketTiming().stale_after_periods);

  // Starts (or updates) watching a hub that reports every
  // `reporting_period_s`. Before its first report its silence counts from the
  // first WatchHub; only watched hubs can go stale.
  void WatchHub(const std::string& hub_id, int32_t reporting_period_s, int64_t now_unix_ms);
  // Evaluates every bank of `report`, stored at `received_unix_ms`, and clears
  // the hub's HUB_STALE. Returns the transitions, in (bank, kind) order.
  std::vector<AlarmEvent> Observe(const HubSample& report, int64_t received_unix_ms);
  // Raises HUB_STALE for every watched hub silent for too long at
  // `now_unix_ms`, and clears it for one that is not.
  std::vector<AlarmEvent> CheckStaleness(int64_t now_unix_ms);

  // After a restart: the hub's last stored report was received at
  // `last_report_unix_ms`.
  void RestoreHub(const std::string& hub_id, int64_t last_report_unix_ms);
  // After a restart: an alarm whose last stored transition is `last` (RAISED
  // or ESCALATED; others are ignored) is active again, with its severity,
  // raise time and since-time; its rules hold it by their clear thresholds.
  void RestoreAlarm(const AlarmEvent& last);
  // After RestoreHub/RestoreAlarm: evaluates the banks of the hub's last
  // stored report again, so the state matches it (what a crash between
  // storing the report and storing its transitions lost). HUB_STALE is left
  // to CheckStaleness. Returns the transitions.
  std::vector<AlarmEvent> Reevaluate(const HubSample& report, int64_t received_unix_ms);

  // Returns the active alarms (of one hub when `hub_id` is non-empty), ordered
  // by (hub, bank, kind).
  std::vector<Alarm> ActiveAlarms(const std::string& hub_id = "") const;
  // Returns whether the hub is stale at `now_unix_ms` (unknown hubs are).
  bool IsStale(const std::string& hub_id, int64_t now_unix_ms) const;
  // Returns the rules that apply to a bank.
  const std::vector<AlarmRule>& RulesFor(const std::string& hub_id,
                                         const std::string& bank_id) const;
  // Returns the HUB_STALE rule.
  const AlarmRule& HubRule() const { return hub_rule_; }
  // Returns the latest exchange time the monitor was given.
  int64_t clock_unix_ms() const { return clock_ms_; }

 private:
  struct HubWatch {
    bool watched = false;
    int32_t reporting_period_s = 5;
    int64_t since_unix_ms = 0;
    int64_t last_report_unix_ms = 0;
  };
  // A rule's condition that is on: since when, and whether past its dwell.
  struct Condition {
    int64_t on_since_unix_ms = 0;
    bool raised = false;
  };
  // What an alarm from a rule says about the value now.
  struct Description {
    double value = 0;
    double threshold = 0;
    std::string message;
    std::optional<int64_t> since_unix_ms;  // none: the condition's own start
  };
  using Key = std::tuple<std::string, std::string, AlarmKind>;
  using RuleKey = std::tuple<std::string, std::string, AlarmKind, AlarmSeverity, AlarmQuantity>;
  using ValueFn = std::function<std::optional<double>(const AlarmRule&)>;
  using DescribeFn = std::function<Description(const AlarmRule&, bool clearing)>;

  // Moves the clock to max(its time, `now_unix_ms`) and returns it.
  int64_t Advance(int64_t now_unix_ms);
  // Evaluates `rules` for (hub, bank) and moves each of their kinds' alarms.
  void EvaluateRules(const std::string& hub_id, const std::string& bank_id,
                     const std::vector<AlarmRule>& rules, const ValueFn& value_of,
                     const DescribeFn& describe, int64_t now_unix_ms,
                     std::vector<AlarmEvent>* events);
  void EvaluateBanks(const HubSample& report, int64_t now_unix_ms, std::vector<AlarmEvent>* events);
  void EvaluateHub(const std::string& hub_id, const HubWatch& watch, int64_t now_unix_ms,
                   std::vector<AlarmEvent>* events);
  // Moves one alarm to `severity` (kNone clears), appending the transition.
  void Apply(const Key& key, AlarmSeverity severity, Description description, int64_t now_unix_ms,
             std::vector<AlarmEvent>* events);

  AlarmConfig config_;
  int32_t stale_after_periods_;
  AlarmRule hub_rule_;
  int64_t clock_ms_ = 0;
  std::map<std::string, HubWatch> hubs_;
  std::map<RuleKey, Condition> conditions_;
  std::map<Key, Alarm> active_;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_BATTERY_MONITOR_H_
