#include "peergrid/matching/order.h"

#include <sstream>

#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::matching {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TariffTest, AcceptsAnOrderedBand) {
  EXPECT_THAT((Tariff{PriceMcuPerKwh(0), PriceMcuPerKwh(1)}).Validate(), IsOk());
  EXPECT_THAT((Tariff{PriceMcuPerKwh(70000), PriceMcuPerKwh(150000)}).Validate(), IsOk());
  EXPECT_THAT((Tariff{PriceMcuPerKwh(9), PriceMcuPerKwh(9)}).Validate(), IsOk());
  EXPECT_THAT(
      (Tariff{PriceMcuPerKwh(kMaxPriceMcuPerKwh), PriceMcuPerKwh(kMaxPriceMcuPerKwh)}).Validate(),
      IsOk());
}

TEST(TariffTest, RejectsNegativeZeroInvertedAndHugePrices) {
  EXPECT_THAT(
      (Tariff{PriceMcuPerKwh(-1), PriceMcuPerKwh(10)}).Validate(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("feed_in_price_mcu_per_kwh -1")));
  // The proto3 zero default: a tariff that was never set.
  EXPECT_THAT(
      (Tariff{PriceMcuPerKwh(0), PriceMcuPerKwh(0)}).Validate(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("retail_price_mcu_per_kwh 0")));
  EXPECT_THAT((Tariff{PriceMcuPerKwh(11), PriceMcuPerKwh(10)}).Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("feed_in_price_mcu_per_kwh 11 is above retail")));
  EXPECT_THAT((Tariff{PriceMcuPerKwh(0), PriceMcuPerKwh(kMaxPriceMcuPerKwh + 1)}).Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1000000001")));
}

TEST(OrderTest, SideNamesMatchTheProto) {
  EXPECT_EQ(SideName(Side::kBuy), "BUY");
  EXPECT_EQ(SideName(Side::kSell), "SELL");
  std::ostringstream os;
  os << Side::kSell << " " << static_cast<Side>(7);
  EXPECT_EQ(os.str(), "SELL SIDE(7)");
}

TEST(OrderTest, PrintsEveryField) {
  Order o{
      OrderId("o-1"), ParticipantId("p-1"), Side::kSell, EnergyWh(5), PriceMcuPerKwh(70), 900, 12};
  std::ostringstream os;
  os << o;
  EXPECT_EQ(os.str(), "Order{o-1 by p-1, SELL 5 Wh at 70 mcu/kWh, interval 900, seq 12}");
}

}  // namespace
}  // namespace peergrid::matching
