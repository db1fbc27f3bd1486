#include "peergrid/common/units.h"

#include <limits>

#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

TEST(UnitsTest, AmountIsEnergyTimesPrice) {
  // 2 kWh at 150.000 KRW/kWh = 300 KRW = 300,000,000 µKRW.
  ASSERT_OK_AND_ASSIGN(MoneyUcu m, Amount(EnergyWh(2000), PriceMcuPerKwh(150000)));
  EXPECT_EQ(m, MoneyUcu(300'000'000));
}

TEST(UnitsTest, AmountOverflowIsAnErrorNotAWrap) {
  EXPECT_THAT(Amount(EnergyWh(1'000'000'000'000'000), PriceMcuPerKwh(1'000'000)),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("1000000000000000 Wh")));
  EXPECT_THAT(Amount(EnergyWh(-3), PriceMcuPerKwh(7)), IsOk());
}

TEST(UnitsTest, CheckedAddAndSub) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_THAT(CheckedAdd(EnergyWh(kMax), EnergyWh(1)),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("overflow")));
  EXPECT_THAT(CheckedSub(MoneyUcu(-kMax), MoneyUcu(2)),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("ucu")));
  ASSERT_OK_AND_ASSIGN(EnergyWh e, CheckedAdd(EnergyWh(40), EnergyWh(2)));
  EXPECT_EQ(e.value(), 42);
  EXPECT_THAT(CheckedMul(kMax, 2), StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("*")));
}

TEST(UnitsTest, OperatorsAndOrdering) {
  EnergyWh a(5), b(7);
  EXPECT_LT(a, b);
  EXPECT_EQ((a + b).value(), 12);
  EXPECT_EQ((a - b).value(), -2);
  EXPECT_EQ((-a).value(), -5);
  a += b;
  EXPECT_EQ(a.value(), 12);
}

TEST(UnitsTest, OverflowingOperatorCrashes) {
  EXPECT_DEATH(
      {
        EnergyWh big(std::numeric_limits<int64_t>::max());
        EnergyWh sum = big + EnergyWh(1);
        (void)sum;
      },
      "");
}

TEST(UnitsTest, EnergyOverFloorsToWattHours) {
  ASSERT_OK_AND_ASSIGN(EnergyWh e, EnergyOver(PowerW(5000), 900));
  EXPECT_EQ(e.value(), 1250);
  ASSERT_OK_AND_ASSIGN(EnergyWh f, EnergyOver(PowerW(1), 1800));
  EXPECT_EQ(f.value(), 0);
  ASSERT_OK_AND_ASSIGN(EnergyWh g, EnergyOver(PowerW(-1), 1800));
  EXPECT_EQ(g.value(), -1);
  EXPECT_THAT(EnergyOver(PowerW(std::numeric_limits<int64_t>::max()), 2),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("W over 2 s")));
}

}  // namespace
}  // namespace peergrid
