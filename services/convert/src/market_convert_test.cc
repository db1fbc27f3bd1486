#include "peergrid/convert/market_convert.h"

#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::convert {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

matching::Order SampleOrder() {
  return matching::Order{OrderId("o-1"),
                         ParticipantId("h1"),
                         matching::Side::kSell,
                         EnergyWh(1500),
                         PriceMcuPerKwh(120000),
                         1782000900,
                         42};
}

TEST(MarketConvertTest, OrderRoundTrips) {
  matching::Order order = SampleOrder();
  v1::Order proto = ToProto(order);
  EXPECT_EQ(proto.side(), v1::SELL);
  EXPECT_EQ(proto.quantity_wh(), 1500);
  ASSERT_OK_AND_ASSIGN(matching::Order back, FromProto(proto));
  EXPECT_EQ(back, order);
}

TEST(MarketConvertTest, ClearingAndSettlementRoundTrip) {
  matching::ClearingResult clearing;
  clearing.interval_start = 1782000900;
  clearing.clearing_price = PriceMcuPerKwh(125000);
  clearing.volume = EnergyWh(1000);
  clearing.fills.push_back({OrderId("b"), OrderId("s"), ParticipantId("bob"),
                            ParticipantId("alice"), EnergyWh(1000), PriceMcuPerKwh(125000),
                            MoneyUcu(125'000'000)});
  v1::ClearingResult proto = ToProto(clearing);
  EXPECT_TRUE(proto.has_clearing_price_mcu_per_kwh());
  ASSERT_OK_AND_ASSIGN(matching::ClearingResult back, FromProto(proto));
  EXPECT_EQ(back, clearing);
  matching::ClearingResult empty;
  EXPECT_FALSE(ToProto(empty).has_clearing_price_mcu_per_kwh());
  ASSERT_OK_AND_ASSIGN(matching::ClearingResult empty_back, FromProto(ToProto(empty)));
  EXPECT_FALSE(empty_back.clearing_price.has_value());

  matching::SettlementResult settlement;
  settlement.interval_start = 1782000900;
  matching::Bill bill;
  bill.participant_id = ParticipantId("bob");
  bill.bought = EnergyWh(1000);
  bill.bill = MoneyUcu(7);
  bill.estimated = true;
  settlement.bills.push_back(bill);
  settlement.grid = MoneyUcu(-7);
  ASSERT_OK_AND_ASSIGN(matching::SettlementResult settlement_back, FromProto(ToProto(settlement)));
  EXPECT_EQ(settlement_back, settlement);
  matching::MeterRead read{ParticipantId("bob"), EnergyWh(3), EnergyWh(4),
                           matching::ReadQuality::kBad};
  ASSERT_OK_AND_ASSIGN(matching::MeterRead read_back, FromProto(ToProto(read)));
  EXPECT_EQ(read_back, read);
}

TEST(MarketConvertTest, ZeroDefaultsAreRejectedNamingTheField) {
  v1::Order order = ToProto(SampleOrder());
  order.set_side(v1::SIDE_UNSPECIFIED);
  EXPECT_THAT(FromProto(order), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("order_id \"o-1\": side is SIDE_UNSPECIFIED")));
  order = ToProto(SampleOrder());
  order.clear_participant_id();
  EXPECT_THAT(FromProto(order),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participant_id is empty")));
  v1::MeterRead read;
  read.set_participant_id("bob");
  EXPECT_THAT(FromProto(read), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("quality is READ_QUALITY_UNSPECIFIED")));
  v1::ClearingInput input;
  *input.add_orders() = ToProto(SampleOrder());
  v1::Order* bad = input.add_orders();
  *bad = ToProto(SampleOrder());
  bad->set_order_id("o-7");
  bad->set_side(static_cast<v1::Side>(9));
  EXPECT_THAT(FromProto(input), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("orders[1]: order_id \"o-7\": side is 9")));
}

TEST(MarketConvertTest, InputsFillInALeftOutInterval) {
  v1::ClearingInput input;
  input.set_interval_start(1782000900);
  input.mutable_tariff()->set_feed_in_price_mcu_per_kwh(50000);
  input.mutable_tariff()->set_retail_price_mcu_per_kwh(200000);
  v1::Order* order = input.add_orders();
  *order = ToProto(SampleOrder());
  order->clear_interval_start();
  v1::Order* other = input.add_orders();
  *other = ToProto(SampleOrder());
  other->set_order_id("o-2");
  other->set_interval_start(1782001800);
  ASSERT_OK_AND_ASSIGN(matching::ClearingInput domain, FromProto(input));
  EXPECT_EQ(domain.orders[0].interval_start, 1782000900);
  EXPECT_EQ(domain.orders[1].interval_start, 1782001800);  // Kept: Clear rejects it.
  EXPECT_EQ(domain.tariff, (matching::Tariff{PriceMcuPerKwh(50000), PriceMcuPerKwh(200000)}));

  v1::SettlementInput settle;
  settle.mutable_clearing()->set_interval_start(1782000900);
  ASSERT_OK_AND_ASSIGN(matching::SettlementInput settle_domain, FromProto(settle));
  EXPECT_EQ(settle_domain.interval_start, 1782000900);
  settle.set_interval_start(1782001800);
  ASSERT_OK_AND_ASSIGN(settle_domain, FromProto(settle));
  EXPECT_EQ(settle_domain.interval_start, 1782001800);  // Kept: Settle rejects the mismatch.
}

TEST(MarketConvertTest, MeterReadErrorsInAnInputNameTheListPosition) {
  v1::SettlementInput input;
  v1::MeterRead* read = input.add_meter_reads();
  read->set_participant_id("h1");
  read->set_quality(v1::OK);
  read = input.add_meter_reads();
  read->set_participant_id("h2");
  EXPECT_THAT(FromProto(input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("meter_reads[1]: participant_id \"h2\": quality is "
                                 "READ_QUALITY_UNSPECIFIED")));
}

}  // namespace
}  // namespace peergrid::convert
