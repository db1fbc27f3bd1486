#include "peergrid/common/market_time.h"

#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

TEST(MarketTimeTest, IntervalsAlignToEpoch) {
  MarketTiming t;
  EXPECT_EQ(t.IntervalStartFor(1800), 1800);
  EXPECT_EQ(t.IntervalStartFor(1801), 1800);
  EXPECT_EQ(t.IntervalStartFor(2699), 1800);
  EXPECT_EQ(t.IntervalStartFor(-1), -900);
  EXPECT_TRUE(t.IsAligned(2700));
  EXPECT_FALSE(t.IsAligned(2701));
}

TEST(MarketTimeTest, GateClosureAndSettlement) {
  MarketTiming t;
  EXPECT_EQ(t.GateClosure(9000), 8700);
  EXPECT_TRUE(t.GateOpen(9000, 8699));
  EXPECT_FALSE(t.GateOpen(9000, 8700));
  EXPECT_EQ(t.SettlementDue(9000), 9000 + 900 + 900);
  // At 8400 the interval at 9000 still has its gate open (closes at 8700).
  EXPECT_EQ(t.FirstOpenInterval(8400), 9000);
  EXPECT_EQ(t.FirstOpenInterval(8699), 9000);
  EXPECT_EQ(t.FirstOpenInterval(8700), 9900);
}

TEST(MarketTimeTest, Validate) {
  EXPECT_THAT(MarketTiming{}.Validate(), IsOk());
  EXPECT_THAT((MarketTiming{.interval_s = 7}).Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval_s 7")));
  EXPECT_THAT((MarketTiming{.gate_lead_s = -1}).Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("gate_lead_s -1")));
}

}  // namespace
}  // namespace peergrid
