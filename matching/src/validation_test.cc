#include "peergrid/matching/validation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::matching {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'700'000'000;  // Not aligned: mid-interval.
const MarketTiming kTiming;              // 900 s intervals, 300 s lead, 48 h horizon.
const Tariff kTariff{PriceMcuPerKwh(50'000), PriceMcuPerKwh(200'000)};

Order MakeOrder(Side side, int64_t quantity_wh, int64_t price, int64_t interval_start) {
  return Order{OrderId("o-1"),        ParticipantId("house-7"), side, EnergyWh(quantity_wh),
               PriceMcuPerKwh(price), interval_start,           0};
}

int64_t FirstOpen() { return kTiming.FirstOpenInterval(kNow); }

TEST(ValidateOrderTest, AcceptsAWellFormedOrder) {
  EXPECT_THAT(ValidateOrder(MakeOrder(Side::kBuy, 1, 50'000, FirstOpen()), kTariff, kTiming, kNow),
              IsOk());
  EXPECT_THAT(ValidateOrder(MakeOrder(Side::kSell, kMaxQuantityWh, 200'000, FirstOpen()), kTariff,
                            kTiming, kNow),
              IsOk());
}

TEST(ValidateOrderTest, RejectsBadIds) {
  Order o = MakeOrder(Side::kBuy, 10, 60'000, FirstOpen());
  o.order_id = OrderId("");
  EXPECT_THAT(ValidateOrder(o, kTariff, kTiming, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("order_id is empty")));
  o.order_id = OrderId("o-1");
  o.participant_id = ParticipantId("house 7");
  EXPECT_THAT(ValidateOrder(o, kTariff, kTiming, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("order o-1"), HasSubstr("participant_id"))));
}

TEST(ValidateOrderTest, RejectsQuantitiesBelowOneAndAbsurdOnes) {
  for (int64_t q : {int64_t{0}, int64_t{-5}}) {
    EXPECT_THAT(
        ValidateOrder(MakeOrder(Side::kBuy, q, 60'000, FirstOpen()), kTariff, kTiming, kNow),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 AllOf(HasSubstr("order o-1"), HasSubstr(absl::StrCat("quantity_wh ", q)))));
  }
  // 10^15 Wh is rejected with a clear error, never wrapped into an amount.
  EXPECT_THAT(ValidateOrder(MakeOrder(Side::kSell, 1'000'000'000'000'000, 60'000, FirstOpen()),
                            kTariff, kTiming, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("quantity_wh 1000000000000000 exceeds the maximum 1000000000")));
  EXPECT_THAT(ValidateOrder(
                  MakeOrder(Side::kSell, std::numeric_limits<int64_t>::max(), 60'000, FirstOpen()),
                  kTariff, kTiming, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quantity_wh")));
}

TEST(ValidateOrderTest, RejectsPricesOutsideTheTariffBand) {
  EXPECT_THAT(ValidateOrder(MakeOrder(Side::kBuy, 10, 49'999, FirstOpen()), kTariff, kTiming, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("limit_price_mcu_per_kwh 49999 is outside the tariff band [50000, "
                                 "200000]")));
  EXPECT_THAT(
      ValidateOrder(MakeOrder(Side::kSell, 10, 200'001, FirstOpen()), kTariff, kTiming, kNow),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit_price_mcu_per_kwh 200001")));
  EXPECT_THAT(ValidateOrder(MakeOrder(Side::kSell, 10, 60'000, FirstOpen()),
                            Tariff{PriceMcuPerKwh(5), PriceMcuPerKwh(4)}, kTiming, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tariff")));
}

TEST(ValidateOrderTest, RejectsMisalignedAndNegativeIntervals) {
  EXPECT_THAT(
      ValidateOrder(MakeOrder(Side::kBuy, 10, 60'000, FirstOpen() + 1), kTariff, kTiming, kNow),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval_start")));
  EXPECT_THAT(ValidateOrder(MakeOrder(Side::kBuy, 10, 60'000, -900), kTariff, kTiming, -5000),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval_start -900")));
}

TEST(ValidateOrderTest, GateClosesExactlyAtStartMinusLead) {
  const int64_t start = FirstOpen() + 4 * 900;
  const int64_t closure = start - 300;
  Order o = MakeOrder(Side::kBuy, 10, 60'000, start);
  EXPECT_THAT(ValidateOrder(o, kTariff, kTiming, closure - 1), IsOk());
  EXPECT_THAT(ValidateOrder(o, kTariff, kTiming, closure),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("order o-1"), HasSubstr("gate closed"))));
  EXPECT_THAT(ValidateOrder(o, kTariff, kTiming, start + 900),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("gate closed")));
}

TEST(ValidateOrderTest, AcceptsUpToTheHorizonAndNoFurther) {
  const int64_t now = 1'700'000'100;  // Aligned, so the horizon lands on an interval start.
  ASSERT_TRUE(kTiming.IsAligned(now));
  EXPECT_THAT(ValidateOrder(MakeOrder(Side::kBuy, 10, 60'000, now + kTiming.horizon_s), kTariff,
                            kTiming, now),
              IsOk());
  EXPECT_THAT(ValidateOrder(MakeOrder(Side::kBuy, 10, 60'000, now + kTiming.horizon_s + 900),
                            kTariff, kTiming, now),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("horizon")));
}

TEST(ValidateOrderTest, RejectsAnInvalidTiming) {
  MarketTiming timing;
  timing.interval_s = 0;
  EXPECT_THAT(ValidateOrder(MakeOrder(Side::kBuy, 10, 60'000, 0), kTariff, timing, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval_s")));
}

TEST(CheckOneSideTest, AllowsMoreOrdersOnTheSameSide) {
  Order o = MakeOrder(Side::kBuy, 10, 60'000, 900);
  Order same = o;
  same.order_id = OrderId("o-0");
  EXPECT_THAT(CheckOneSide(o, {}), IsOk());
  EXPECT_THAT(CheckOneSide(o, std::vector<Order>{same}), IsOk());
}

TEST(CheckOneSideTest, RejectsTheOtherSideInTheSameInterval) {
  Order buy = MakeOrder(Side::kBuy, 10, 60'000, 900);
  Order sell = MakeOrder(Side::kSell, 10, 60'000, 900);
  sell.order_id = OrderId("o-9");
  EXPECT_THAT(CheckOneSide(buy, std::vector<Order>{sell}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("order o-1"), HasSubstr("SELL order o-9"),
                             HasSubstr("participant_id house-7"))));
}

TEST(CheckOneSideTest, IgnoresOtherParticipantsAndIntervals) {
  Order buy = MakeOrder(Side::kBuy, 10, 60'000, 900);
  Order other_interval = MakeOrder(Side::kSell, 10, 60'000, 1800);
  Order other_participant = MakeOrder(Side::kSell, 10, 60'000, 900);
  other_participant.participant_id = ParticipantId("house-8");
  EXPECT_THAT(CheckOneSide(buy, std::vector<Order>{other_interval, other_participant}), IsOk());
}

TEST(DeliverableEnergyTest, AddsPvAndStorageCappedByPower) {
  // 4 kW PV over 900 s = 1000 Wh. Bank 1: 3000 Wh stored but 5 kW × 900 s = 1250 Wh.
  // Bank 2: 200 Wh above reserve, 10 kW. Bank 3: below reserve counts as nothing.
  std::vector<StorageCapacity> banks = {{EnergyWh(3000), PowerW(5000)},
                                        {EnergyWh(200), PowerW(10'000)},
                                        {EnergyWh(-400), PowerW(10'000)}};
  ASSERT_OK_AND_ASSIGN(EnergyWh e, DeliverableEnergy(PowerW(4000), banks, 900));
  EXPECT_EQ(e, EnergyWh(1000 + 1250 + 200));
  ASSERT_OK_AND_ASSIGN(EnergyWh pv_only, DeliverableEnergy(PowerW(4001), {}, 900));
  EXPECT_EQ(pv_only, EnergyWh(1000));  // 1000.25 Wh floors to 1000.
}

TEST(DeliverableEnergyTest, RejectsNegativeInputsAndOverflow) {
  EXPECT_THAT(DeliverableEnergy(PowerW(-1), {}, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pv_nameplate_w -1")));
  std::vector<StorageCapacity> bad = {{EnergyWh(10), PowerW(-3)}};
  EXPECT_THAT(DeliverableEnergy(PowerW(0), bad, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("banks[0]: max_discharge_w")));
  EXPECT_THAT(DeliverableEnergy(PowerW(0), {}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval_s 0")));
  EXPECT_THAT(DeliverableEnergy(PowerW(std::numeric_limits<int64_t>::max()), {}, 900),
              StatusIs(absl::StatusCode::kOutOfRange, ::testing::_));
  std::vector<StorageCapacity> fast = {{EnergyWh(10), PowerW(std::numeric_limits<int64_t>::max())}};
  EXPECT_THAT(DeliverableEnergy(PowerW(0), fast, 900),
              StatusIs(absl::StatusCode::kOutOfRange, ::testing::_));
}

TEST(EnergyAboveReserveTest, IsTheFlooredShareOfCapacityAboveTheReserve) {
  EXPECT_EQ(EnergyAboveReserve(60, 20, 100'000), EnergyWh(40'000));
  EXPECT_EQ(EnergyAboveReserve(100, 0, 13'500), EnergyWh(13'500));
  // 999 Wh × 50.05 % = 499.9995 Wh: floored, never rounded up.
  EXPECT_EQ(EnergyAboveReserve(50.05, 0, 999), EnergyWh(499));
  // 1 Wh needs 0.001 % of a 100 kWh bank.
  EXPECT_EQ(EnergyAboveReserve(20.001, 20, 100'000), EnergyWh(1));
}

TEST(EnergyAboveReserveTest, AtOrBelowTheReserveOrWithoutCapacityIsZero) {
  EXPECT_EQ(EnergyAboveReserve(20, 20, 100'000), EnergyWh(0));
  EXPECT_EQ(EnergyAboveReserve(19.999, 20, 100'000), EnergyWh(0));
  EXPECT_EQ(EnergyAboveReserve(5, 30, 100'000), EnergyWh(0));
  EXPECT_EQ(EnergyAboveReserve(80, 20, 0), EnergyWh(0));
  EXPECT_EQ(EnergyAboveReserve(80, 20, -5'000), EnergyWh(0));
  EXPECT_EQ(EnergyAboveReserve(std::nan(""), 20, 100'000), EnergyWh(0));
  EXPECT_EQ(EnergyAboveReserve(-10, 0, 100'000), EnergyWh(0));
}

TEST(EnergyAboveReserveTest, ReadsPercentagesToAThousandthWithoutDoubleDrift) {
  // (60.3 − 20) / 100 × 10 000 is 4029.999… in doubles; the exact answer is 4030.
  EXPECT_EQ(EnergyAboveReserve(60.3, 20, 10'000), EnergyWh(4030));
  EXPECT_EQ(EnergyAboveReserve(20.02, 20, 10'000), EnergyWh(2));
  // Below a thousandth of a percent rounds to the nearest thousandth.
  EXPECT_EQ(EnergyAboveReserve(20.0004, 20, 100'000), EnergyWh(0));
  EXPECT_EQ(EnergyAboveReserve(20.0006, 20, 100'000), EnergyWh(1));
  // Every SoC with two decimals over a whole reserve gives the exact floor,
  // computed here in integers.
  for (int64_t capacity : {999, 10'000, 30'000, 50'000, 100'000}) {
    for (int hundredths = 0; hundredths <= 10'000; ++hundredths) {
      const int64_t exact = capacity * std::max(0, hundredths - 2000) / 10'000;
      ASSERT_EQ(EnergyAboveReserve(hundredths / 100.0, 20, capacity), EnergyWh(exact))
          << hundredths / 100.0 << " % of " << capacity << " Wh";
    }
  }
}

TEST(EnergyAboveReserveTest, ClampsPercentagesAndNeverOverflows) {
  EXPECT_EQ(EnergyAboveReserve(150, 20, 1000), EnergyWh(800));  // SoC read as 100 %
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(EnergyAboveReserve(100, 0, max), EnergyWh(max));
  EXPECT_EQ(EnergyAboveReserve(50, 0, max), EnergyWh(max / 2));
}

TEST(CheckDeliverableTest, RejectsSellsAboveRemainingCapacity) {
  Order sell = MakeOrder(Side::kSell, 1000, 60'000, 900);
  EXPECT_THAT(CheckDeliverable(sell, EnergyWh(2450), EnergyWh(1450)), IsOk());
  EXPECT_THAT(CheckDeliverable(sell, EnergyWh(2450), EnergyWh(1451)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("order o-1"), HasSubstr("quantity_wh 1000"),
                             HasSubstr("2450 Wh deliverable"), HasSubstr("= 999 Wh"))));
  // A stale hub reports nothing deliverable: the seller cannot sell at all.
  EXPECT_THAT(CheckDeliverable(MakeOrder(Side::kSell, 1, 60'000, 900), EnergyWh(0), EnergyWh(0)),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_THAT(CheckDeliverable(MakeOrder(Side::kBuy, 5000, 60'000, 900), EnergyWh(0), EnergyWh(0)),
              IsOk());
}

}  // namespace
}  // namespace peergrid::matching
