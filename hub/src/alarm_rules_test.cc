#include "peergrid/hub/alarm_rules.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::hub {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

TEST(AlarmRulesTest, TheDefaultTableIsDesignSection6WithABandOnEveryThreshold) {
  std::vector<AlarmRule> rules = DefaultBankAlarmRules();
  EXPECT_THAT(ValidateAlarmRules(rules), IsOk());
  const AlarmRule* soc_warn = FindAlarmRule(&rules, AlarmKind::kSocLow, AlarmSeverity::kWarning);
  const AlarmRule* soc_crit = FindAlarmRule(&rules, AlarmKind::kSocLow, AlarmSeverity::kCritical);
  const AlarmRule* soh_crit = FindAlarmRule(&rules, AlarmKind::kSohLow, AlarmSeverity::kCritical);
  const AlarmRule* hot = FindAlarmRule(&rules, AlarmKind::kCellTempHigh, AlarmSeverity::kWarning);
  ASSERT_NE(soc_warn, nullptr);
  ASSERT_NE(soc_crit, nullptr);
  ASSERT_NE(soh_crit, nullptr);
  ASSERT_NE(hot, nullptr);
  EXPECT_EQ(soc_warn->raise_at, 20);
  EXPECT_EQ(soc_crit->raise_at, 10);
  EXPECT_EQ(soc_crit->clear_at, 12);
  EXPECT_EQ(soh_crit->compare, AlarmCompare::kAtOrBelow);
  EXPECT_EQ(soh_crit->raise_at, 70);
  EXPECT_EQ(hot->raise_at, 45);
  // Every bank threshold but the device bits' has a band between raise and clear.
  for (const AlarmRule& r : rules) {
    if (r.quantity == AlarmQuantity::kDeviceEventBits ||
        r.quantity == AlarmQuantity::kDeviceAlarmBits) {
      continue;
    }
    EXPECT_NE(r.raise_at, r.clear_at)
        << AlarmKindName(r.kind) << "/" << AlarmSeverityName(r.severity);
  }
  const AlarmRule stale = HubStaleRule(4);
  EXPECT_EQ(stale.raise_at, 4);
  EXPECT_EQ(stale.compare, AlarmCompare::kAbove);
  EXPECT_THAT(ValidateAlarmRules({stale}), IsOk());
}

TEST(AlarmRulesTest, ValidateRefusesAClearOnTheBadSideADuplicateAndABadDwell) {
  std::vector<AlarmRule> rules = DefaultBankAlarmRules();
  FindAlarmRule(&rules, AlarmKind::kSocLow, AlarmSeverity::kWarning)->clear_at = 19;
  EXPECT_THAT(ValidateAlarmRules(rules),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SOC_LOW/warning clears at 19, on the bad side")));
  rules = DefaultBankAlarmRules();
  FindAlarmRule(&rules, AlarmKind::kCellTempHigh, AlarmSeverity::kCritical)->clear_at = 56;
  EXPECT_THAT(ValidateAlarmRules(rules),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CELL_TEMP_HIGH/critical")));
  rules = DefaultBankAlarmRules();
  rules.push_back(rules.front());
  EXPECT_THAT(ValidateAlarmRules(rules),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("appears twice")));
  rules = DefaultBankAlarmRules();
  rules.front().dwell_s = -1;
  EXPECT_THAT(ValidateAlarmRules(rules),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dwell_s -1")));
  rules = DefaultBankAlarmRules();
  rules.front().severity = AlarmSeverity::kNone;
  EXPECT_THAT(ValidateAlarmRules(rules), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("needs a kind and a severity")));
}

TEST(AlarmRulesTest, IsPastComparesTheWayTheRuleSays) {
  EXPECT_TRUE(IsPast(AlarmCompare::kBelow, 9.99, 10));
  EXPECT_FALSE(IsPast(AlarmCompare::kBelow, 10, 10));
  EXPECT_TRUE(IsPast(AlarmCompare::kAtOrBelow, 10, 10));
  EXPECT_TRUE(IsPast(AlarmCompare::kAtOrAbove, 45, 45));
  EXPECT_FALSE(IsPast(AlarmCompare::kAbove, 45, 45));
  EXPECT_STREQ(AlarmCompareWords(AlarmCompare::kAtOrAbove), "at or above");
}

}  // namespace
}  // namespace peergrid::hub
