#include "peergrid/hub/battery_monitor.h"

#include <algorithm>
#include <bitset>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace peergrid::hub {
namespace {

// SunSpec 802 Evt1 bits that are alarms or errors (the rest are warnings).
constexpr uint32_t kDeviceAlarmMask = (1u << 0) | (1u << 1) | (1u << 3) | (1u << 5) | (1u << 7) |
                                      (1u << 9) | (1u << 11) | (1u << 13) | (1u << 15) |
                                      (1u << 18) | (1u << 20) | (1u << 21) | (1u << 22) |
                                      (1u << 23) | (1u << 25) | (1u << 28);

std::string TimeText(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

// Returns the value a bank rule compares, or nullopt when the rule does not
// apply to the bank now (no reserve, not charging, not LFP).
std::optional<double> BankValue(const AlarmRule& r, const BankSample& b) {
  switch (r.quantity) {
    case AlarmQuantity::kSocPct:
      return b.soc_pct;
    case AlarmQuantity::kSocOverReservePct:
      if (b.soc_reserve_pct <= 0) return std::nullopt;
      return b.soc_pct - b.soc_reserve_pct;
    case AlarmQuantity::kSohPct:
      return b.soh_pct;
    case AlarmQuantity::kCellTempMaxC:
      return b.cell_temp_max_c;
    case AlarmQuantity::kCellTempMinWhileChargingC:
      if (b.power_w >= 0) return std::nullopt;
      return b.cell_temp_min_c;
    case AlarmQuantity::kLfpCellVoltageMinV:
      if (b.chemistry != Chemistry::kLfp) return std::nullopt;
      return b.cell_voltage_min_v;
    case AlarmQuantity::kLfpCellVoltageMaxV:
      if (b.chemistry != Chemistry::kLfp) return std::nullopt;
      return b.cell_voltage_max_v;
    case AlarmQuantity::kDeviceEventBits:
      return static_cast<double>(std::bitset<32>(b.alarm_bits).count());
    case AlarmQuantity::kDeviceAlarmBits:
      return static_cast<double>(std::bitset<32>(b.alarm_bits & kDeviceAlarmMask).count());
    case AlarmQuantity::kSilentPeriods:
      return std::nullopt;  // a hub's, not a bank's
  }
  return std::nullopt;
}

// How a plain quantity reads in a message.
struct QuantityText {
  const char* label;
  const char* unit;
  int decimals;
};
QuantityText TextOf(AlarmQuantity q) {
  switch (q) {
    case AlarmQuantity::kSocPct:
      return {"SoC", "%", 1};
    case AlarmQuantity::kSohPct:
      return {"SoH", "%", 1};
    case AlarmQuantity::kCellTempMaxC:
      return {"max cell temperature", "°C", 1};
    case AlarmQuantity::kLfpCellVoltageMinV:
      return {"lowest LFP cell voltage", "V", 3};
    case AlarmQuantity::kLfpCellVoltageMaxV:
      return {"highest LFP cell voltage", "V", 3};
    default:
      return {"value", "", 2};
  }
}

// Returns what an alarm from rule `r` says about bank `b`: raised (or
// stepped) by it, or cleared past its clear threshold.
std::string BankMessage(const AlarmRule& r, const BankSample& b, bool clearing) {
  const std::optional<double> v = BankValue(r, b);
  const char* severity = AlarmSeverityName(r.severity);
  switch (r.quantity) {
    case AlarmQuantity::kSocOverReservePct:
      if (!v) return absl::StrFormat("bank %s has no reserve now", b.bank_id);
      return clearing ? absl::StrFormat("bank %s SoC %.1f %% is back above its reserve %.1f %%",
                                        b.bank_id, b.soc_pct, b.soc_reserve_pct)
                      : absl::StrFormat("bank %s SoC %.1f %% is below its reserve %.1f %%",
                                        b.bank_id, b.soc_pct, b.soc_reserve_pct);
    case AlarmQuantity::kCellTempMinWhileChargingC:
      if (!v) return absl::StrFormat("bank %s is no longer charging", b.bank_id);
      return absl::StrFormat("bank %s is charging at %d W with a cell at %.1f °C (%s %.1f °C)",
                             b.bank_id, -b.power_w, b.cell_temp_min_c,
                             clearing ? "no longer below" : "below",
                             clearing ? r.clear_at : r.raise_at);
    case AlarmQuantity::kDeviceEventBits:
    case AlarmQuantity::kDeviceAlarmBits:
      return absl::StrFormat("bank %s reports SunSpec 802 event bits 0x%08x", b.bank_id,
                             b.alarm_bits);
    default:
      break;
  }
  if (!v) return absl::StrFormat("bank %s: the rule no longer applies", b.bank_id);
  const QuantityText t = TextOf(r.quantity);
  if (clearing) {
    return absl::StrFormat("bank %s %s %.*f %s is no longer %s %.*f %s", b.bank_id, t.label,
                           t.decimals, *v, t.unit, AlarmCompareWords(r.compare), t.decimals,
                           r.clear_at, t.unit);
  }
  return absl::StrFormat("bank %s %s %.*f %s is %s the %s threshold %.*f %s", b.bank_id, t.label,
                         t.decimals, *v, t.unit, AlarmCompareWords(r.compare), severity, t.decimals,
                         r.raise_at, t.unit);
}

}  // namespace

bool IsHubStale(int64_t last_report_unix_ms, int64_t since_unix_ms, int64_t now_unix_ms,
                int32_t reporting_period_s, int32_t periods) {
  const int64_t from = last_report_unix_ms > 0 ? last_report_unix_ms : since_unix_ms;
  return now_unix_ms - from > static_cast<int64_t>(periods) * reporting_period_s * 1000;
}

BatteryMonitor::BatteryMonitor(AlarmConfig config, int32_t stale_after_periods)
    : config_(std::move(config)),
      stale_after_periods_(stale_after_periods),
      hub_rule_(HubStaleRule(stale_after_periods)) {}

int64_t BatteryMonitor::Advance(int64_t now_unix_ms) {
  clock_ms_ = std::max(clock_ms_, now_unix_ms);
  return clock_ms_;
}

void BatteryMonitor::WatchHub(const std::string& hub_id, int32_t reporting_period_s,
                              int64_t now_unix_ms) {
  HubWatch& w = hubs_[hub_id];
  w.reporting_period_s = std::max<int32_t>(1, reporting_period_s);
  if (!w.watched) {
    w.watched = true;
    if (w.since_unix_ms == 0) w.since_unix_ms = now_unix_ms;
  }
}

const std::vector<AlarmRule>& BatteryMonitor::RulesFor(const std::string& hub_id,
                                                       const std::string& bank_id) const {
  auto it = config_.overrides.find({hub_id, bank_id});
  return it == config_.overrides.end() ? config_.bank_rules : it->second;
}

void BatteryMonitor::Apply(const Key& key, AlarmSeverity severity, Description d,
                           int64_t now_unix_ms, std::vector<AlarmEvent>* events) {
  auto it = active_.find(key);
  if (severity == AlarmSeverity::kNone) {
    if (it == active_.end()) return;
    AlarmEvent ev{it->second, AlarmTransition::kCleared, now_unix_ms};
    ev.alarm.value = d.value;
    ev.alarm.threshold = d.threshold;
    ev.alarm.message = std::move(d.message);
    events->push_back(std::move(ev));
    active_.erase(it);
    return;
  }
  if (it == active_.end()) {
    const auto& [hub_id, bank_id, kind] = key;
    Alarm a{hub_id,
            bank_id,
            kind,
            severity,
            std::move(d.message),
            d.value,
            d.threshold,
            now_unix_ms,
            d.since_unix_ms.value_or(now_unix_ms)};
    events->push_back({a, AlarmTransition::kRaised, now_unix_ms});
    active_.emplace(key, std::move(a));
    return;
  }
  Alarm& a = it->second;
  const bool changed = a.severity != severity;
  a.severity = severity;
  a.value = d.value;
  a.threshold = d.threshold;
  a.message = std::move(d.message);
  if (changed) events->push_back({a, AlarmTransition::kEscalated, now_unix_ms});
}

void BatteryMonitor::EvaluateRules(const std::string& hub_id, const std::string& bank_id,
                                   const std::vector<AlarmRule>& rules, const ValueFn& value_of,
                                   const DescribeFn& describe, int64_t now_unix_ms,
                                   std::vector<AlarmEvent>* events) {
  std::map<AlarmKind, const AlarmRule*> worst;  // per kind, the highest raised rule
  std::map<AlarmKind, std::vector<const AlarmRule*>> of_kind;
  for (const AlarmRule& r : rules) {
    of_kind[r.kind].push_back(&r);
    const RuleKey rule_key{hub_id, bank_id, r.kind, r.severity, r.quantity};
    auto it = conditions_.find(rule_key);
    const bool was_on = it != conditions_.end();
    const std::optional<double> v = value_of(r);
    // Off unless past raise_at; once on, on until back past clear_at.
    if (!v.has_value() || !IsPast(r.compare, *v, was_on ? r.clear_at : r.raise_at)) {
      if (was_on) conditions_.erase(it);
      continue;
    }
    if (!was_on) it = conditions_.emplace(rule_key, Condition{now_unix_ms, false}).first;
    Condition& c = it->second;
    if (!c.raised && now_unix_ms - c.on_since_unix_ms >= int64_t{r.dwell_s} * 1000) {
      c.raised = true;
    }
    if (!c.raised) continue;
    const AlarmRule*& w = worst[r.kind];
    if (w == nullptr || r.severity > w->severity) w = &r;
  }
  for (const auto& [kind, kind_rules] : of_kind) {
    const Key key{hub_id, bank_id, kind};
    auto w = worst.find(kind);
    if (w != worst.end()) {
      const AlarmRule& r = *w->second;
      Description d = describe(r, false);
      if (!d.since_unix_ms.has_value()) {
        d.since_unix_ms =
            conditions_.at({hub_id, bank_id, kind, r.severity, r.quantity}).on_since_unix_ms;
      }
      Apply(key, r.severity, std::move(d), now_unix_ms, events);
      continue;
    }
    auto active = active_.find(key);
    if (active == active_.end()) continue;
    // The message names the rule that held it: its severity, its threshold.
    const AlarmRule* held = kind_rules.front();
    for (const AlarmRule* r : kind_rules) {
      if (r->severity != active->second.severity) continue;
      if (held->severity != r->severity || r->raise_at == active->second.threshold) held = r;
    }
    Apply(key, AlarmSeverity::kNone, describe(*held, true), now_unix_ms, events);
  }
  if (bank_id.empty()) return;
  // An alarm of a kind these rules lack (restored under other rules) clears.
  std::vector<Key> orphans;
  for (auto it = active_.lower_bound({hub_id, bank_id, AlarmKind::kUnspecified});
       it != active_.end() && std::get<0>(it->first) == hub_id && std::get<1>(it->first) == bank_id;
       ++it) {
    if (!of_kind.contains(std::get<2>(it->first))) orphans.push_back(it->first);
  }
  for (const Key& key : orphans) {
    Description d;
    d.message = absl::StrCat("bank ", bank_id, ": no ", AlarmKindName(std::get<2>(key)),
                             " rule applies to it any more");
    Apply(key, AlarmSeverity::kNone, std::move(d), now_unix_ms, events);
  }
}

void BatteryMonitor::EvaluateBanks(const HubSample& report, int64_t now_unix_ms,
                                   std::vector<AlarmEvent>* events) {
  std::vector<const BankSample*> banks;
  for (const BankSample& b : report.banks) banks.push_back(&b);
  std::sort(banks.begin(), banks.end(),
            [](const BankSample* a, const BankSample* b) { return a->bank_id < b->bank_id; });
  for (const BankSample* b : banks) {
    EvaluateRules(
        report.hub_id, b->bank_id, RulesFor(report.hub_id, b->bank_id),
        [b](const AlarmRule& r) { return BankValue(r, *b); },
        [b](const AlarmRule& r, bool clearing) {
          Description d;
          const std::optional<double> v = BankValue(r, *b);
          d.value = v.value_or(0);
          d.threshold = clearing ? r.clear_at : r.raise_at;
          if (r.quantity == AlarmQuantity::kSocOverReservePct) {
            d.value = b->soc_pct;  // as the operator reads it: SoC against the reserve
            d.threshold = b->soc_reserve_pct + d.threshold;
          } else if (r.quantity == AlarmQuantity::kDeviceEventBits ||
                     r.quantity == AlarmQuantity::kDeviceAlarmBits) {
            d.value = static_cast<double>(b->alarm_bits);
            d.threshold = 0;
          }
          d.message = BankMessage(r, *b, clearing);
          return d;
        },
        now_unix_ms, events);
  }
}

void BatteryMonitor::EvaluateHub(const std::string& hub_id, const HubWatch& watch,
                                 int64_t now_unix_ms, std::vector<AlarmEvent>* events) {
  const bool reported = watch.last_report_unix_ms > 0;
  const int64_t from = reported ? watch.last_report_unix_ms : watch.since_unix_ms;
  const int64_t period_ms = int64_t{watch.reporting_period_s} * 1000;
  const int64_t silent_ms = now_unix_ms - from;
  const std::vector<AlarmRule> rules = {hub_rule_};
  EvaluateRules(
      hub_id, "", rules,
      [&](const AlarmRule&) {
        return std::optional<double>(static_cast<double>(silent_ms) /
                                     static_cast<double>(period_ms));
      },
      [&](const AlarmRule& r, bool clearing) {
        Description d;
        d.value = static_cast<double>(silent_ms) / 1000.0;
        d.threshold = r.raise_at * watch.reporting_period_s;
        d.since_unix_ms = from;
        const std::string since =
            reported ? absl::StrCat("its last report, received ", TimeText(from))
                     : absl::StrCat("the exchange began watching it ", TimeText(from));
        d.message = clearing ? absl::StrFormat("hub %s reported again (last report received %s)",
                                               hub_id, TimeText(from))
                             : absl::StrFormat(
                                   "hub %s has not reported for %.1f s, since %s (stale after "
                                   "%.0f s: %.0f periods of %d s)",
                                   hub_id, d.value, since, d.threshold, r.raise_at,
                                   watch.reporting_period_s);
        return d;
      },
      now_unix_ms, events);
}

std::vector<AlarmEvent> BatteryMonitor::Observe(const HubSample& report, int64_t received_unix_ms) {
  std::vector<AlarmEvent> events;
  const int64_t now = Advance(received_unix_ms);
  HubWatch& hub = hubs_[report.hub_id];
  hub.last_report_unix_ms = std::max(hub.last_report_unix_ms, received_unix_ms);
  EvaluateHub(report.hub_id, hub, now, &events);
  EvaluateBanks(report, now, &events);
  return events;
}

std::vector<AlarmEvent> BatteryMonitor::CheckStaleness(int64_t now_unix_ms) {
  std::vector<AlarmEvent> events;
  const int64_t now = Advance(now_unix_ms);
  for (const auto& [hub_id, watch] : hubs_) {
    if (watch.watched) EvaluateHub(hub_id, watch, now, &events);
  }
  return events;
}

void BatteryMonitor::RestoreHub(const std::string& hub_id, int64_t last_report_unix_ms) {
  HubWatch& hub = hubs_[hub_id];
  hub.last_report_unix_ms = std::max(hub.last_report_unix_ms, last_report_unix_ms);
}

void BatteryMonitor::RestoreAlarm(const AlarmEvent& last) {
  const Alarm& a = last.alarm;
  if (last.transition != AlarmTransition::kRaised &&
      last.transition != AlarmTransition::kEscalated) {
    return;
  }
  if (a.severity == AlarmSeverity::kNone || a.kind == AlarmKind::kUnspecified) return;
  Advance(std::max(last.at_unix_ms, a.raised_at_unix_ms));
  active_[{a.hub_id, a.bank_id, a.kind}] = a;
  const int64_t since = a.condition_since_unix_ms > 0 && a.kind != AlarmKind::kHubStale
                            ? a.condition_since_unix_ms
                            : a.raised_at_unix_ms;
  if (a.kind == AlarmKind::kHubStale && a.condition_since_unix_ms > 0) {
    // A hub that never reported stays silent since it was first watched.
    HubWatch& hub = hubs_[a.hub_id];
    if (hub.since_unix_ms == 0 || a.condition_since_unix_ms < hub.since_unix_ms) {
      hub.since_unix_ms = a.condition_since_unix_ms;
    }
  }
  const std::vector<AlarmRule> hub_rules = {hub_rule_};
  const std::vector<AlarmRule>& rules =
      a.kind == AlarmKind::kHubStale ? hub_rules : RulesFor(a.hub_id, a.bank_id);
  for (const AlarmRule& r : rules) {
    if (r.kind != a.kind || r.severity > a.severity) continue;
    conditions_[{a.hub_id, a.bank_id, r.kind, r.severity, r.quantity}] = Condition{since, true};
  }
}

std::vector<AlarmEvent> BatteryMonitor::Reevaluate(const HubSample& report,
                                                   int64_t received_unix_ms) {
  std::vector<AlarmEvent> events;
  RestoreHub(report.hub_id, received_unix_ms);
  EvaluateBanks(report, Advance(received_unix_ms), &events);
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
