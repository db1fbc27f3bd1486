#include "peergrid/hub/battery_monitor.h"

#include <string>
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

HubSample Report(std::vector<BankSample> banks) {
  HubSample r;
  r.hub_id = "hub-1";
  r.banks = std::move(banks);
  return r;
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
  BatteryMonitor m;
  // Scripted SoC and the SOC_LOW transitions expected after each report.
  const std::vector<std::pair<double, Seq>> script = {
      {50, {}},
      {19.9, {{T::kRaised, S::kWarning}}},
      {21.0, {}},  // inside the 2 % band: still a warning
      {9.5, {{T::kEscalated, S::kCritical}}},
      {11.0, {}},  // inside the band above 10 %: still critical
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

TEST(BatteryMonitorTest, TemperatureSohVoltageFreezingAndDeviceBits) {
  BatteryMonitor m;
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
  b.soh_pct = 71.5;  // past 70 + 1: steps down to a warning (< 80)
  ev = m.Observe(Report({b}), 3);
  EXPECT_EQ(Of(ev, AlarmKind::kCellTempHigh), (Seq{{T::kCleared, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kCellVoltageOutOfRange), (Seq{{T::kCleared, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kChargingBelowFreezing), (Seq{{T::kCleared, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kDeviceAlarm), (Seq{{T::kCleared, S::kCritical}}));
  EXPECT_EQ(Of(ev, AlarmKind::kSohLow), (Seq{{T::kEscalated, S::kWarning}}));
}

TEST(BatteryMonitorTest, PerBankOverridesAndReserve) {
  AlarmConfig config;
  AlarmThresholds relaxed;
  relaxed.soc_warning_pct = 5;
  relaxed.soc_critical_pct = 2;
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
  EXPECT_TRUE(m.IsStale("hub-2", 15001));
  EXPECT_FALSE(m.IsStale("hub-1", 15001));
  EXPECT_TRUE(m.CheckStaleness(20000).empty());  // already raised: no repeat
  ev = m.CheckStaleness(29001);                  // hub-1 now silent for 15.001 s
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].alarm.hub_id, "hub-1");
  HubSample again = Report({});
  again.hub_id = "hub-2";
  ev = m.Observe(again, 30000);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].transition, T::kCleared);
  EXPECT_FALSE(m.IsStale("hub-2", 30000));
  EXPECT_TRUE(m.IsStale("never-seen", 30000));
}

}  // namespace
}  // namespace peergrid::hub
