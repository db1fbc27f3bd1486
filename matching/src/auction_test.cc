// Hand-computed books for the double auction (DESIGN.md §4).
#include "peergrid/matching/auction.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::matching {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kT = 1'700'000'100;  // An aligned interval start.

Order Buy(std::string id, std::string who, int64_t wh, int64_t price, uint64_t seq) {
  return Order{OrderId(id), ParticipantId(who), Side::kBuy, EnergyWh(wh), PriceMcuPerKwh(price), kT,
               seq};
}
Order Sell(std::string id, std::string who, int64_t wh, int64_t price, uint64_t seq) {
  Order o = Buy(std::move(id), std::move(who), wh, price, seq);
  o.side = Side::kSell;
  return o;
}
Fill F(std::string buy, std::string sell, std::string buyer, std::string seller, int64_t wh,
       int64_t price) {
  return Fill{OrderId(buy), OrderId(sell),         ParticipantId(buyer), ParticipantId(seller),
              EnergyWh(wh), PriceMcuPerKwh(price), MoneyUcu(wh * price)};
}

ClearingResult MustClear(const std::vector<Order>& book) {
  absl::StatusOr<ClearingResult> r = Clear(kT, book);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.value_or(ClearingResult{});
}

TEST(ClearTest, EmptyBookHasNoPrice) {
  ClearingResult r = MustClear({});
  EXPECT_EQ(r.interval_start, kT);
  EXPECT_FALSE(r.clearing_price.has_value());
  EXPECT_EQ(r.volume, EnergyWh(0));
  EXPECT_TRUE(r.fills.empty());
}

TEST(ClearTest, OneSideEmptyHasNoPrice) {
  ClearingResult buys_only = MustClear({Buy("b1", "p1", 10, 200, 1), Buy("b2", "p2", 5, 150, 2)});
  EXPECT_FALSE(buys_only.clearing_price.has_value());
  EXPECT_TRUE(buys_only.fills.empty());
  ClearingResult sells_only = MustClear({Sell("s1", "p1", 10, 50, 1)});
  EXPECT_FALSE(sells_only.clearing_price.has_value());
  EXPECT_EQ(sells_only.volume, EnergyWh(0));
}

TEST(ClearTest, NoCrossingMeansNoTrade) {
  ClearingResult r = MustClear({Buy("b1", "p1", 10, 109, 1), Sell("s1", "p2", 10, 110, 2)});
  EXPECT_FALSE(r.clearing_price.has_value());
  EXPECT_TRUE(r.fills.empty());
}

TEST(ClearTest, SingleCrossingPairTradesAtTheMidpoint) {
  ClearingResult r = MustClear({Sell("s1", "seller", 10, 100, 2), Buy("b1", "buyer", 10, 120, 1)});
  ASSERT_TRUE(r.clearing_price.has_value());
  EXPECT_EQ(*r.clearing_price, PriceMcuPerKwh(110));
  EXPECT_EQ(r.volume, EnergyWh(10));
  EXPECT_THAT(r.fills, ElementsAre(F("b1", "s1", "buyer", "seller", 10, 110)));
  EXPECT_EQ(r.fills[0].amount, MoneyUcu(1100));
}

TEST(ClearTest, MidpointIsFloored) {
  ClearingResult r = MustClear({Buy("b1", "p1", 3, 101, 1), Sell("s1", "p2", 3, 100, 2)});
  EXPECT_EQ(r.clearing_price, PriceMcuPerKwh(100));  // floor(100.5)
  EXPECT_EQ(r.fills[0].amount, MoneyUcu(300));
}

TEST(ClearTest, EqualLimitsTradeAtThatLimit) {
  ClearingResult r = MustClear({Buy("b1", "p1", 7, 130, 1), Sell("s1", "p2", 4, 130, 2)});
  EXPECT_EQ(r.clearing_price, PriceMcuPerKwh(130));
  EXPECT_THAT(r.fills, ElementsAre(F("b1", "s1", "p1", "p2", 4, 130)));
}

TEST(ClearTest, TiesOnPriceAreBrokenBySeq) {
  // Two sells and two buys at one price each; lower seq goes first on both
  // sides, whatever the input order.
  ClearingResult r = MustClear({Sell("s-late", "p1", 5, 100, 9), Sell("s-early", "p2", 5, 100, 3),
                                Buy("b-late", "p3", 5, 140, 8), Buy("b-early", "p4", 6, 140, 4)});
  EXPECT_EQ(r.clearing_price, PriceMcuPerKwh(120));
  EXPECT_THAT(r.fills, ElementsAre(F("b-early", "s-early", "p4", "p2", 5, 120),
                                   F("b-early", "s-late", "p4", "p1", 1, 120),
                                   F("b-late", "s-late", "p3", "p1", 4, 120)));
  EXPECT_EQ(r.volume, EnergyWh(10));
}

TEST(ClearTest, PartialFillsOnBothSides) {
  // Walk: A-X 25 (X done, A has 5), A-Y 5 (A done, Y has 35), B-Y 20 (B done).
  // Last fill B (140) with Y (130): price 135. Y's remaining 15 Wh expire.
  ClearingResult r = MustClear({Buy("A", "pa", 30, 150, 1), Buy("B", "pb", 20, 140, 2),
                                Sell("X", "px", 25, 100, 3), Sell("Y", "py", 40, 130, 4)});
  EXPECT_EQ(r.clearing_price, PriceMcuPerKwh(135));
  EXPECT_EQ(r.volume, EnergyWh(50));
  EXPECT_THAT(r.fills,
              ElementsAre(F("A", "X", "pa", "px", 25, 135), F("A", "Y", "pa", "py", 5, 135),
                          F("B", "Y", "pb", "py", 20, 135)));
}

TEST(ClearTest, PriceComesFromTheLastFillNotTheNextOrders) {
  // A fills X; A (150) does not reach Y (160). Price = floor((150 + 100) / 2).
  ClearingResult r = MustClear({Buy("A", "pa", 10, 150, 1), Sell("X", "px", 5, 100, 2),
                                Sell("Y", "py", 10, 160, 3), Buy("C", "pc", 10, 90, 4)});
  EXPECT_EQ(r.clearing_price, PriceMcuPerKwh(125));
  EXPECT_THAT(r.fills, ElementsAre(F("A", "X", "pa", "px", 5, 125)));
}

TEST(ClearTest, PricesAtTheBandEdges) {
  const Tariff band{PriceMcuPerKwh(50'000), PriceMcuPerKwh(200'000)};
  ClearingInput input{kT, band, {Buy("b1", "p1", 10, 200'000, 1), Sell("s1", "p2", 10, 50'000, 2)}};
  ASSERT_OK_AND_ASSIGN(ClearingResult wide, Clear(input));
  EXPECT_EQ(wide.clearing_price, PriceMcuPerKwh(125'000));
  input.orders = {Buy("b1", "p1", 10, 50'000, 1), Sell("s1", "p2", 10, 50'000, 2)};
  ASSERT_OK_AND_ASSIGN(ClearingResult floor_edge, Clear(input));
  EXPECT_EQ(floor_edge.clearing_price, PriceMcuPerKwh(50'000));
  input.orders = {Buy("b1", "p1", 10, 200'000, 1), Sell("s1", "p2", 10, 200'000, 2)};
  ASSERT_OK_AND_ASSIGN(ClearingResult ceiling_edge, Clear(input));
  EXPECT_EQ(ceiling_edge.clearing_price, PriceMcuPerKwh(200'000));
  EXPECT_EQ(ceiling_edge.fills[0].amount, MoneyUcu(2'000'000));

  input.orders = {Buy("b1", "p1", 10, 200'001, 1), Sell("s1", "p2", 10, 50'000, 2)};
  EXPECT_THAT(Clear(input), StatusIs(absl::StatusCode::kInvalidArgument,
                                     AllOf(HasSubstr("order b1"), HasSubstr("200001"))));
  input.orders = {Buy("b1", "p1", 10, 60'000, 1), Sell("s1", "p2", 10, 49'999, 2)};
  EXPECT_THAT(Clear(input), StatusIs(absl::StatusCode::kInvalidArgument,
                                     AllOf(HasSubstr("order s1"), HasSubstr("49999"))));
  input.tariff = Tariff{};
  EXPECT_THAT(Clear(input), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tariff")));
}

TEST(ClearTest, ExtremeValuesNeverOverflow) {
  const int64_t max_q = kMaxQuantityWh;
  const int64_t max_p = kMaxPriceMcuPerKwh;
  ClearingResult r = MustClear({Buy("b1", "p1", max_q, max_p, std::numeric_limits<uint64_t>::max()),
                                Sell("s1", "p2", max_q, max_p, 0)});
  EXPECT_EQ(r.clearing_price, PriceMcuPerKwh(max_p));
  EXPECT_EQ(r.fills[0].amount, MoneyUcu(max_q * max_p));
  ClearingResult zero = MustClear({Buy("b1", "p1", 1, 0, 5), Sell("s1", "p2", 1, 0, 6)});
  EXPECT_EQ(zero.clearing_price, PriceMcuPerKwh(0));
}

TEST(ClearTest, SeqsSpanningTheWholeRangeStillBreakTies) {
  const uint64_t big = uint64_t{1} << 40;
  ClearingResult r = MustClear({Sell("s-max", "p1", 1, 100, std::numeric_limits<uint64_t>::max()),
                                Sell("s-big", "p2", 1, 100, big), Sell("s-zero", "p3", 1, 100, 0),
                                Buy("b1", "p4", 3, 100, big + 1)});
  EXPECT_THAT(r.fills, ElementsAre(F("b1", "s-zero", "p4", "p3", 1, 100),
                                   F("b1", "s-big", "p4", "p2", 1, 100),
                                   F("b1", "s-max", "p4", "p1", 1, 100)));
}

TEST(ClearTest, RejectsMalformedBooksNamingOrderAndField) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Clear(kT, {Buy("b1", "p1", 1, 100, 1), Buy("b1", "p2", 1, 100, 2)}),
              StatusIs(kInvalid, AllOf(HasSubstr("order b1 (orders[1])"),
                                       HasSubstr("order_id duplicates orders[0]"))));
  EXPECT_THAT(Clear(kT, {Buy("b1", "p1", 1, 100, 7), Sell("s1", "p2", 1, 100, 7)}),
              StatusIs(kInvalid, AllOf(HasSubstr("order s1 (orders[1])"), HasSubstr("seq 7"),
                                       HasSubstr("duplicates order b1"))));
  // The same with seqs too far apart for the dense-seq bitmap (the ranked path).
  constexpr uint64_t kFar = uint64_t{1} << 40;
  EXPECT_THAT(
      Clear(kT, {Buy("b1", "p1", 1, 100, kFar), Sell("s1", "p2", 1, 100, 1),
                 Sell("s2", "p3", 1, 100, kFar)}),
      StatusIs(kInvalid, AllOf(HasSubstr("order s2 (orders[2])"), HasSubstr("seq 1099511627776"),
                               HasSubstr("duplicates order b1 (orders[0])"))));
  EXPECT_THAT(Clear(kT, {Buy("b1", "p1", 1, 100, 1), Sell("s1", "p1", 1, 100, 2)}),
              StatusIs(kInvalid, AllOf(HasSubstr("order s1"), HasSubstr("participant_id p1"),
                                       HasSubstr("BUY order b1"))));
  Order other = Buy("b1", "p1", 1, 100, 1);
  other.interval_start = kT + 900;
  EXPECT_THAT(Clear(kT, {other}),
              StatusIs(kInvalid, AllOf(HasSubstr("order b1"), HasSubstr("interval_start"))));
  EXPECT_THAT(Clear(kT, {Sell("s1", "p1", 0, 100, 1)}),
              StatusIs(kInvalid, AllOf(HasSubstr("order s1"), HasSubstr("quantity_wh 0"))));
  EXPECT_THAT(Clear(kT, {Sell("s1", "p1", -4, 100, 1)}),
              StatusIs(kInvalid, HasSubstr("quantity_wh -4")));
  EXPECT_THAT(Clear(kT, {Sell("s1", "p1", 1'000'000'000'000'000, 100, 1)}),
              StatusIs(kInvalid, HasSubstr("quantity_wh 1000000000000000 is outside")));
  EXPECT_THAT(Clear(kT, {Buy("b1", "p1", 1, -1, 1)}),
              StatusIs(kInvalid, HasSubstr("limit_price_mcu_per_kwh -1")));
  Order sideless = Buy("b1", "p1", 1, 100, 1);
  sideless.side = static_cast<Side>(3);
  EXPECT_THAT(Clear(kT, {sideless}), StatusIs(kInvalid, HasSubstr("order b1 (orders[0]): side")));
}

TEST(ClearTest, ReportsTheFirstOffenderInInputOrder) {
  std::vector<Order> book;
  for (int i = 0; i < 50; ++i) {
    book.push_back(Buy(absl::StrCat("o", i), absl::StrCat("p", i), 1, 100, 1000 + i));
  }
  book.push_back(Buy("o40", "q1", 1, 100, 1));
  book.push_back(Buy("o7", "q2", 1, 100, 2));
  EXPECT_THAT(Clear(kT, book),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("order o40 (orders[50])")));
  book.resize(50);
  book.push_back(Buy("x1", "q1", 1, 100, 1030));
  book.push_back(Buy("x2", "q2", 1, 100, 1020));
  EXPECT_THAT(Clear(kT, book), StatusIs(absl::StatusCode::kInvalidArgument,
                                        AllOf(HasSubstr("order x1 (orders[50])"),
                                              HasSubstr("seq 1030 duplicates order o30"))));
}

}  // namespace
}  // namespace peergrid::matching
