#include "peergrid/hub/battery_monitor.h"

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace peergrid::hub {
namespace {

BankSample Bank(const std::string& id, double soc) {
  BankSample b;
  b.bank_id = id;
  b.soc_pct = soc;
  b.soh_pct = 95;
  b.soc_reserve_pct = 0;
  b.cell_temp_min_c = 20;
  b.cell_temp_max_c = 25;
  b.cell_voltage_min_v = 3.2;
  b.cell_voltage_max_v = 3.3;
  b.chemistry = Chemistry::kLfp;
  return b;
}

HubSample Report(std::vector<BankSample> banks, const std::string& hub_id = "hub-1") {
  HubSample r;
  r.hub_id = hub_id;
  r.banks = std::move(banks);
  return r;
}

// The default rules with every dwell 0: thresholds and bands alone.
AlarmConfig NoDwell() {
  AlarmConfig config;
  for (AlarmRule& r : config.bank_rules) r.dwell_s = 0;
  return config;
}

// Returns the transitions of `kind` in `events`.
std::vector<std::pair<AlarmTransition, AlarmSeverity>> Of(const std::vector<AlarmEvent>& events,
                                                          AlarmKind kind) {
  std::vector<std::pair<AlarmTransition, AlarmSeverity>> out;
  for (const AlarmEvent& e : events) {
    if (e.alarm.kind == kind) out.emplace_back(e.transition, e.alarm.severity);
  }
  return out;
}

using T = AlarmTransition;
using S = AlarmSeverity;
using Seq = std::vector<std::pair<T, S>>;

TEST(BatteryMonitorTest, SocLowRaisesEscalatesAndClearsWithHysteresis) {
  BatteryMonitor m(NoDwell());
  // Scripted SoC and the SOC_LOW transitions expected after each report.
  const std::vector<std::pair<double, Seq>> script = {
      {50, {}},
      {19.9, {{T::kRaised, S::kWarning}}},
      {21.0, {}},  // inside the 20–22 % band: still a warning
      {9.5, {{T::kEscalated, S::kCritical}}},
      {11.0, {}},  // inside the 10–12 % band: still critical
      {12.5, {{T::kEscalated, S::kWarning}}},
      {21.9, {}},
      {22.1, {{T::kCleared, S::kWarning}}},
      {19.0, {{T::kRaised, S::kWarning}}},
  };
  int64_t t = 1000;
  for (const auto& [soc, want] : script) {
    const std::vector<AlarmEvent> ev = m.Observe(Report({Bank("b1", soc)}), t += 1000);
    EXPECT_EQ(Of(ev, AlarmKind::kSocLow), want) << "at SoC " << soc;
  }
  ASSERT_EQ(m.ActiveAlarms("hub-1").size(), 1u);
  EXPECT_EQ(m.ActiveAlarms()[0].raised_at_unix_ms, t);
  EXPECT_NE(m.ActiveAlarms()[0].message.find("19.0"), std::string::npos);
}

// A signal oscillating around a raise threshold, by less than the band, raises
// once and never clears; around the clear threshold it clears once and never
// raises again. Without the band (clear_at = raise_at) the same signal flaps.
TEST(BatteryMonitorTest, ASignalOscillatingAroundAThresholdDoesNotFlap) {
  const uint32_t seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> wobble(-0.9, 0.9);
  auto run = [&](const AlarmConfig& config, double centre, int n) {
    BatteryMonitor m(config);
    int raised = 0, cleared = 0;
    for (int i = 0; i < n; ++i) {
      const double soc = centre + (i % 2 == 0 ? -1 : 1) * std::abs(wobble(rng));
      for (const AlarmEvent& e : m.Observe(Report({Bank("b1", soc)}), 1000 + 5000 * i)) {
        if (e.alarm.kind != AlarmKind::kSocLow) continue;
        raised += e.transition == T::kRaised;
        cleared += e.transition == T::kCleared;
      }
    }
    return std::make_pair(raised, cleared);
  };
  EXPECT_EQ(run(NoDwell(), 20.0, 200), std::make_pair(1, 0)) << "seed " << seed;
  // Down into the band and up around 22 %: one raise, one clear.
  BatteryMonitor m(NoDwell());
  int raised = 0, cleared = 0;
  std::vector<double> signal = {15};
  for (int i = 0; i < 100; ++i) signal.push_back(22.0 + (i % 2 == 0 ? -0.5 : 0.5));
  int64_t t = 0;
  for (double soc : signal) {
    for (const AlarmEvent& e : m.Observe(Report({Bank("b1", soc)}), t += 5000)) {
      raised += e.alarm.kind == AlarmKind::kSocLow && e.transition == T::kRaised;
      cleared += e.alarm.kind == AlarmKind::kSocLow && e.transition == T::kCleared;
    }
  }
  EXPECT_EQ(raised, 1);
  EXPECT_EQ(cleared, 1);
  // The same oscillation with no band flaps on nearly every report.
  AlarmConfig no_band = NoDwell();
  for (AlarmRule& r : no_band.bank_rules) r.clear_at = r.raise_at;
  EXPECT_GT(run(no_band, 20.0, 200).first, 50) << "seed " << seed;
}

TEST(BatteryMonitorTest, AConditionMustHoldForItsDwellBeforeItRaises) {
  AlarmConfig config;  // SOC_LOW warning: < 20 % for 2 min, clears at ≥ 22 %
  BatteryMonitor m(config);
  const int64_t t0 = 1'000'000;
  EXPECT_TRUE(m.Observe(Report({Bank("b1", 19)}), t0).empty());
  EXPECT_TRUE(m.Observe(Report({Bank("b1", 21)}), t0 + 60'000).empty());  // in the band: held
  EXPECT_TRUE(m.Observe(Report({Bank("b1", 19)}), t0 + 119'999).empty());
  std::vector<AlarmEvent> ev = m.Observe(Report({Bank("b1", 19)}), t0 + 120'000);
  ASSERT_EQ(Of(ev, AlarmKind::kSocLow), (Seq{{T::kRaised, S::kWarning}}));
  EXPECT_EQ(ev[0].alarm.raised_at_unix_ms, t0 + 120'000);
  EXPECT_EQ(ev[0].alarm.condition_since_unix_ms, t0);
  // Past the clear threshold the dwell starts over.
  EXPECT_EQ(Of(m.Observe(Report({Bank("b1", 23)}), t0 + 130'000), AlarmKind::kSocLow),
            (Seq{{T::kCleared, S::kWarning}}));
  EXPECT_TRUE(m.Observe(Report({Bank("b1", 19)}), t0 + 140'000).empty());
  EXPECT_TRUE(m.Observe(Report({Bank("b1", 23)}), t0 + 200'000).empty());
  EXPECT_TRUE(m.Observe(Report({Bank("b1", 19)}), t0 + 300'000).empty());  // dwell restarts
  EXPECT_TRUE(m.ActiveAlarms().empty());
  // Overheat has no dwell: it raises on the first report.
  BankSample hot = Bank("b1", 50);
  hot.cell_temp_max_c = 56;
  EXPECT_EQ(Of(m.Observe(Report({hot}), t0 + 310'000), AlarmKind::kCellTempHigh),
            (Seq{{T::kRaised, S::kCritical}}));
}

TEST(BatteryMonitorTest, TemperatureSohVoltageFreezingAndDeviceBits) {
  BatteryMonitor m(NoDwell());
  BankSample b = Bank("b1", 50);
  b.cell_temp_max_c = 46;
  b.soh_pct = 70;  // ≤ 70 is critical
  b.cell_voltage_max_v = 3.70;
  b.power_w = -1000;
  b.cell_temp_min_c = -1;
  b.alarm_bits = 1u << 14;  // UNDER_SOC_MIN_WARNING: a warning bit
  std::vector<AlarmEvent> ev = m.Observe(Report({b}), 1);
  EXPECT_EQ(Of(ev, AlarmKind::kCellTempHigh), (Seq{{T::kRaised, S::kWarning}}));
  EXPECT_EQ(Of(ev, AlarmKind::kSohLow), (Seq{{T::kRaised, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kCellVoltageOutOfRange), (Seq{{T::kRaised, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kChargingBelowFreezing), (Seq{{T::kRaised, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kDeviceAlarm), (Seq{{T::kRaised, S::kWarning}}));

  b.cell_temp_max_c = 55;
  b.cell_voltage_max_v = 3.62;  // inside the window but within the 0.05 V band
  b.cell_temp_min_c = 1;        // above 0 °C but within the 2 °C band
  b.alarm_bits |= 1u << 1;      // OVER_TEMP_ALARM: an alarm bit
  ev = m.Observe(Report({b}), 2);
  EXPECT_EQ(Of(ev, AlarmKind::kCellTempHigh), (Seq{{T::kEscalated, S::kCritical}}));
  EXPECT_TRUE(Of(ev, AlarmKind::kCellVoltageOutOfRange).empty());
  EXPECT_TRUE(Of(ev, AlarmKind::kChargingBelowFreezing).empty());
  EXPECT_EQ(Of(ev, AlarmKind::kDeviceAlarm), (Seq{{T::kEscalated, S::kCritical}}));

  b.cell_temp_max_c = 42;
  b.cell_voltage_max_v = 3.55;
  b.power_w = 0;  // stopped charging
  b.alarm_bits = 0;
  b.soh_pct = 71.5;  // past 71: steps down to a warning (< 80)
  ev = m.Observe(Report({b}), 3);
  EXPECT_EQ(Of(ev, AlarmKind::kCellTempHigh), (Seq{{T::kCleared, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kCellVoltageOutOfRange), (Seq{{T::kCleared, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kChargingBelowFreezing), (Seq{{T::kCleared, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kDeviceAlarm), (Seq{{T::kCleared, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kSohLow), (Seq{{T::kEscalated, S::kWarning}}));
}

TEST(BatteryMonitorTest, PerBankOverridesAndReserve) {
  AlarmConfig config = NoDwell();
  std::vector<AlarmRule> relaxed = config.bank_rules;
  FindAlarmRule(&relaxed, AlarmKind::kSocLow, S::kWarning)->raise_at = 5;
  FindAlarmRule(&relaxed, AlarmKind::kSocLow, S::kCritical)->raise_at = 2;
  FindAlarmRule(&relaxed, AlarmKind::kSocLow, S::kCritical)->clear_at = 4;
  config.overrides[{"hub-1", "mobile-1"}] = relaxed;
  BatteryMonitor m(config);
  BankSample fixed = Bank("fixed-1", 15);
  BankSample mobile = Bank("mobile-1", 15);
  mobile.soc_reserve_pct = 30;
  const std::vector<AlarmEvent> ev = m.Observe(Report({mobile, fixed}), 1);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].alarm.bank_id, "fixed-1");  // ordered by bank
  EXPECT_EQ(ev[0].alarm.kind, AlarmKind::kSocLow);
  EXPECT_EQ(ev[1].alarm.bank_id, "mobile-1");
  EXPECT_EQ(ev[1].alarm.kind, AlarmKind::kSocBelowReserve);
  EXPECT_DOUBLE_EQ(ev[1].alarm.threshold, 30);
  EXPECT_DOUBLE_EQ(ev[1].alarm.value, 15);
  // SoC 31 % is above the reserve but inside its 2-point band: held.
  mobile.soc_pct = 31;
  EXPECT_TRUE(Of(m.Observe(Report({mobile}), 2), AlarmKind::kSocBelowReserve).empty());
  mobile.soc_pct = 32;
  EXPECT_EQ(Of(m.Observe(Report({mobile}), 3), AlarmKind::kSocBelowReserve),
            (Seq{{T::kCleared, S::kWarning}}));
}

TEST(BatteryMonitorTest, StalenessFollowsTheZonesStaleAfterPeriods) {
  BatteryMonitor m(AlarmConfig{}, /*stale_after_periods=*/5);
  m.WatchHub("hub-1", 5, 0);
  EXPECT_TRUE(m.CheckStaleness(15001).empty());  // 3 periods are not 5
  EXPECT_FALSE(m.IsStale("hub-1", 25000));
  EXPECT_TRUE(m.CheckStaleness(25000).empty());  // exactly 5 periods: not yet
  std::vector<AlarmEvent> ev = m.CheckStaleness(25001);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].alarm.kind, AlarmKind::kHubStale);
  EXPECT_THAT(ev[0].alarm.message, ::testing::HasSubstr("5 periods of 5 s"));
  EXPECT_DOUBLE_EQ(ev[0].alarm.threshold, 25);
  EXPECT_TRUE(m.IsStale("hub-1", 25001));
  EXPECT_TRUE(IsHubStale(0, 0, 25001, 5, 5));
  EXPECT_FALSE(IsHubStale(0, 0, 25000, 5, 5));
}

TEST(BatteryMonitorTest, SilentHubGoesStaleAndRecovers) {
  BatteryMonitor m;
  m.WatchHub("hub-1", 5, 0);
  m.WatchHub("hub-2", 5, 0);
  EXPECT_TRUE(m.CheckStaleness(15000).empty());  // exactly 3 periods: not yet
  (void)m.Observe(Report({}), 14000);            // hub-1 reports
  std::vector<AlarmEvent> ev = m.CheckStaleness(15001);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].alarm.hub_id, "hub-2");
  EXPECT_EQ(ev[0].alarm.kind, AlarmKind::kHubStale);
  EXPECT_EQ(ev[0].transition, T::kRaised);
  EXPECT_EQ(ev[0].alarm.condition_since_unix_ms, 0);  // silent since watched
  EXPECT_TRUE(m.IsStale("hub-2", 15001));
  EXPECT_FALSE(m.IsStale("hub-1", 15001));
  EXPECT_TRUE(m.CheckStaleness(20000).empty());  // already raised: no repeat
  ev = m.CheckStaleness(29001);                  // hub-1 now silent for 15.001 s
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].alarm.hub_id, "hub-1");
  EXPECT_EQ(ev[0].alarm.condition_since_unix_ms, 14000);
  EXPECT_DOUBLE_EQ(ev[0].alarm.value, 15.001);
  ev = m.Observe(Report({}, "hub-2"), 30000);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].transition, T::kCleared);
  EXPECT_FALSE(m.IsStale("hub-2", 30000));
  EXPECT_TRUE(m.IsStale("never-seen", 30000));
}

// One clock: a report received at t1 but observed after a staleness check at
// t2 > t1 clears at t2, never before its RAISED.
TEST(BatteryMonitorTest, ALateObservedReportClearsAfterTheRaiseNeverBefore) {
  BatteryMonitor m;
  m.WatchHub("hub-1", 5, 0);
  std::vector<AlarmEvent> ev = m.CheckStaleness(20'000);
  ASSERT_EQ(ev.size(), 1u);
  ASSERT_EQ(ev[0].transition, T::kRaised);
  ev = m.Observe(Report({}), 19'000);  // received before the check, stored after it
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].transition, T::kCleared);
  EXPECT_EQ(ev[0].at_unix_ms, 20'000);
  EXPECT_EQ(m.clock_unix_ms(), 20'000);
  // The report's receipt time is still what silence counts from.
  EXPECT_FALSE(m.IsStale("hub-1", 34'000));
  EXPECT_TRUE(m.IsStale("hub-1", 34'001));
}

// Property: whatever order times arrive in (reports observed late, checks
// from other threads), every alarm's transitions are in time order, each
// CLEARED is at or after its RAISED, and transitions of one alarm alternate.
TEST(BatteryMonitorTest, RaisedPrecedesClearedUnderShuffledTimes) {
  const uint32_t seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  BatteryMonitor m(NoDwell(), 3);
  m.WatchHub("hub-1", 1, 0);
  m.WatchHub("hub-2", 1, 0);
  std::map<std::tuple<std::string, std::string, AlarmKind>, std::vector<AlarmEvent>> per_alarm;
  int64_t last_at = 0;
  int64_t wall = 0;
  for (int i = 0; i < 5000; ++i) {
    wall += std::uniform_int_distribution<int64_t>(0, 2500)(rng);
    // Times handed in lag the wall clock by up to 3 s, in any order.
    const int64_t given = wall - std::uniform_int_distribution<int64_t>(0, 3000)(rng);
    std::vector<AlarmEvent> ev;
    if (rng() % 3 == 0) {
      ev = m.CheckStaleness(given);
    } else {
      const double soc = std::uniform_real_distribution<double>(5, 30)(rng);
      ev = m.Observe(Report({Bank("b1", soc)}, rng() % 2 ? "hub-1" : "hub-2"), given);
    }
    for (const AlarmEvent& e : ev) {
      ASSERT_GE(e.at_unix_ms, last_at) << "seed " << seed;
      last_at = e.at_unix_ms;
      per_alarm[{e.alarm.hub_id, e.alarm.bank_id, e.alarm.kind}].push_back(e);
    }
  }
  int cleared = 0;
  for (const auto& [key, events] : per_alarm) {
    for (size_t i = 0; i < events.size(); ++i) {
      const AlarmEvent& e = events[i];
      ASSERT_GE(e.at_unix_ms, e.alarm.raised_at_unix_ms) << "seed " << seed;
      const bool opens = i == 0 || events[i - 1].transition == T::kCleared;
      ASSERT_EQ(e.transition == T::kRaised, opens) << "seed " << seed << " event " << i;
      cleared += e.transition == T::kCleared;
    }
  }
  EXPECT_GT(cleared, 10) << "seed " << seed;  // the script did exercise clearing
}

TEST(BatteryMonitorTest, RestoreKeepsAlarmsAndCountsSilenceFromTheLastReport) {
  BatteryMonitor before(NoDwell());
  before.WatchHub("hub-1", 5, 0);
  (void)before.Observe(Report({Bank("b1", 9)}), 10'000);  // SOC_LOW critical
  std::vector<AlarmEvent> ev = before.CheckStaleness(40'000);
  ASSERT_EQ(ev.size(), 1u);
  const AlarmEvent stale = ev[0];
  ASSERT_EQ(stale.alarm.kind, AlarmKind::kHubStale);
  const std::vector<Alarm> active = before.ActiveAlarms();
  ASSERT_EQ(active.size(), 2u);

  // A restart at 600 s: what the store kept is handed back.
  BatteryMonitor after(NoDwell());
  after.RestoreHub("hub-1", 10'000);
  for (const Alarm& a : active) after.RestoreAlarm({a, T::kRaised, a.raised_at_unix_ms});
  EXPECT_TRUE(after.Reevaluate(Report({Bank("b1", 9)}), 10'000).empty());
  after.WatchHub("hub-1", 5, 600'000);
  EXPECT_TRUE(after.CheckStaleness(600'000).empty());  // still stale: no new RAISED
  std::vector<Alarm> now = after.ActiveAlarms();
  ASSERT_EQ(now.size(), 2u);
  EXPECT_EQ(now[0].kind, AlarmKind::kHubStale);
  EXPECT_EQ(now[0].raised_at_unix_ms, stale.alarm.raised_at_unix_ms);
  EXPECT_EQ(now[0].condition_since_unix_ms, 10'000);
  EXPECT_DOUBLE_EQ(now[0].value, 590);  // silent since its last report, not since the restart
  EXPECT_THAT(now[0].message, ::testing::HasSubstr("590.0 s, since its last report"));
  EXPECT_EQ(now[1].kind, AlarmKind::kSocLow);
  EXPECT_EQ(now[1].severity, S::kCritical);
  // Inside the band the restored alarm holds; past it, it clears.
  EXPECT_TRUE(after.Observe(Report({Bank("b1", 11)}), 601'000).size() == 1);  // HUB_STALE clears
  ev = after.Observe(Report({Bank("b1", 12.5)}), 602'000);
  EXPECT_EQ(Of(ev, AlarmKind::kSocLow), (Seq{{T::kEscalated, S::kWarning}}));
}

TEST(BatteryMonitorTest, AHubThatNeverReportedStaysStaleAcrossARestart) {
  BatteryMonitor before;
  before.WatchHub("hub-1", 5, 1'000);
  std::vector<AlarmEvent> ev = before.CheckStaleness(20'000);
  ASSERT_EQ(ev.size(), 1u);
  BatteryMonitor after;
  after.RestoreAlarm(ev[0]);
  after.WatchHub("hub-1", 5, 500'000);  // watched again at the restart
  EXPECT_TRUE(after.CheckStaleness(500'000).empty());
  ASSERT_EQ(after.ActiveAlarms().size(), 1u);
  EXPECT_DOUBLE_EQ(after.ActiveAlarms()[0].value, 499);  // silent since first watched
  EXPECT_TRUE(after.IsStale("hub-1", 500'000));
}

TEST(BatteryMonitorTest, ReevaluateRaisesWhatTheLastReportShowsAndClearsWhatItDoesNot) {
  BatteryMonitor m(NoDwell());
  Alarm hot{"hub-1", "b1", AlarmKind::kCellTempHigh, S::kWarning, "hot", 46, 45, 5'000, 5'000};
  m.RestoreAlarm({hot, T::kRaised, 5'000});
  BankSample b = Bank("b1", 5);  // low, and cool again
  std::vector<AlarmEvent> ev = m.Reevaluate(Report({b}), 4'000);
  EXPECT_EQ(Of(ev, AlarmKind::kCellTempHigh), (Seq{{T::kCleared, S::kWarning}}));
  EXPECT_EQ(Of(ev, AlarmKind::kSocLow), (Seq{{T::kRaised, S::kCritical}}));
  for (const AlarmEvent& e : ev) EXPECT_EQ(e.at_unix_ms, 5'000);  // not before the restored raise
  EXPECT_TRUE(Of(ev, AlarmKind::kHubStale).empty());
}

}  // namespace
}  // namespace peergrid::hub
