#include "peergrid/server/alert_rules.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/common/market_time.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::server {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The checked-in rules are the generator's output for the default table: a
// threshold changed in hub/alarm_rules.cc without regenerating fails here.
TEST(AlertRulesTest, TheCheckedInRulesAreGeneratedFromTheDefaultTable) {
  ASSERT_OK_AND_ASSIGN(
      const std::string generated,
      PrometheusAlertRules(hub::DefaultBankAlarmRules(), MarketTiming().stale_after_periods));
  const std::string checked_in =
      ReadFile(std::string(PEERGRID_SOURCE_DIR) + "/deploy/prometheus/peergrid-alerts.yml");
  EXPECT_EQ(generated, checked_in)
      << "regenerate: build/bin/peergridctl alert-rules > deploy/prometheus/peergrid-alerts.yml";
}

TEST(AlertRulesTest, EveryThresholdBandAndDwellComesFromTheTable) {
  std::vector<hub::AlarmRule> rules = hub::DefaultBankAlarmRules();
  ASSERT_OK_AND_ASSIGN(const std::string before, PrometheusAlertRules(rules, 3));
  EXPECT_THAT(before, HasSubstr("peergrid_ess_state_of_charge_ratio < 0.1 or "
                                "(peergrid_ess_state_of_charge_ratio < 0.12 and "));
  EXPECT_THAT(before, HasSubstr("ALERTS{alertname=\"PeergridBatterySocCritical\"})\n"
                                "        for: 1m\n"));
  EXPECT_THAT(before, HasSubstr("peergrid_ess_state_of_health_ratio <= 0.7 or"));
  EXPECT_THAT(before, HasSubstr("peergrid_ess_cell_temperature_max_celsius >= 55 or"));
  EXPECT_THAT(before, HasSubstr("more than 3 reporting periods"));

  hub::AlarmRule* crit =
      hub::FindAlarmRule(&rules, hub::AlarmKind::kSocLow, hub::AlarmSeverity::kCritical);
  crit->raise_at = 8;
  crit->clear_at = 15;
  crit->dwell_s = 90;
  ASSERT_OK_AND_ASSIGN(const std::string after, PrometheusAlertRules(rules, 5));
  EXPECT_THAT(after, HasSubstr("peergrid_ess_state_of_charge_ratio < 0.08 or "
                               "(peergrid_ess_state_of_charge_ratio < 0.15 and "));
  EXPECT_THAT(after, HasSubstr("ALERTS{alertname=\"PeergridBatterySocCritical\"})\n"
                               "        for: 90s\n"));
  EXPECT_THAT(after, HasSubstr("more than 5 reporting periods"));
  // A rule without an alert name has no Prometheus rule.
  crit->alert.clear();
  ASSERT_OK_AND_ASSIGN(const std::string without, PrometheusAlertRules(rules, 3));
  EXPECT_THAT(without, Not(HasSubstr("PeergridBatterySocCritical")));
}

TEST(AlertRulesTest, RefusesAnAlertWithoutAMetricAndInvalidRules) {
  std::vector<hub::AlarmRule> rules = hub::DefaultBankAlarmRules();
  hub::FindAlarmRule(&rules, hub::AlarmKind::kDeviceAlarm, hub::AlarmSeverity::kCritical)->alert =
      "PeergridDeviceAlarm";
  EXPECT_THAT(PrometheusAlertRules(rules, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("DEVICE_ALARM/critical names alert PeergridDeviceAlarm")));
  rules = hub::DefaultBankAlarmRules();
  rules.front().clear_at = 0;
  EXPECT_THAT(PrometheusAlertRules(rules, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("on the bad side")));
  EXPECT_THAT(PrometheusAlertRules(hub::DefaultBankAlarmRules(), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stale_after_periods 0")));
}

}  // namespace
}  // namespace peergrid::server
