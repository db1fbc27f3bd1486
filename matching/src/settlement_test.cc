// Settlement (DESIGN.md §5): hand-computed bills and properties on random
// intervals.
#include "peergrid/matching/settlement.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
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

constexpr int64_t kT = 1'700'000'100;
const Tariff kTariff{PriceMcuPerKwh(50), PriceMcuPerKwh(200)};

// b1 buys 10 Wh from s1 at 125 mcu/kWh.
ClearingResult OneTrade() {
  ClearingResult c;
  c.interval_start = kT;
  c.clearing_price = PriceMcuPerKwh(125);
  c.volume = EnergyWh(10);
  c.fills = {Fill{OrderId("ob"), OrderId("os"), ParticipantId("b1"), ParticipantId("s1"),
                  EnergyWh(10), PriceMcuPerKwh(125), MoneyUcu(1250)}};
  return c;
}

MeterRead Read(std::string who, int64_t import_wh, int64_t export_wh,
               ReadQuality q = ReadQuality::kOk) {
  return MeterRead{ParticipantId(who), EnergyWh(import_wh), EnergyWh(export_wh), q};
}

const Bill* Find(const SettlementResult& r, const std::string& who) {
  for (const Bill& b : r.bills) {
    if (b.participant_id.value() == who) return &b;
  }
  return nullptr;
}

TEST(SettleTest, DeliveryAsContractedSavesBothSidesTheSpread) {
  ASSERT_OK_AND_ASSIGN(SettlementResult r,
                       Settle(kT, kTariff, OneTrade(), {Read("s1", 0, 10), Read("b1", 10, 0)}));
  ASSERT_EQ(r.bills.size(), 2u);
  EXPECT_EQ(r.bills[0].participant_id.value(), "b1");  // Ordered by participant_id.
  const Bill& b = r.bills[0];
  EXPECT_EQ(b.bought, EnergyWh(10));
  EXPECT_EQ(b.deviation, EnergyWh(0));
  EXPECT_EQ(b.p2p_amount, MoneyUcu(1250));
  EXPECT_EQ(b.imbalance_amount, MoneyUcu(0));
  EXPECT_EQ(b.bill, MoneyUcu(1250));
  EXPECT_EQ(b.baseline, MoneyUcu(2000));  // 10 Wh at retail.
  EXPECT_EQ(b.savings, MoneyUcu(750));
  EXPECT_FALSE(b.estimated);
  const Bill& s = r.bills[1];
  EXPECT_EQ(s.sold, EnergyWh(10));
  EXPECT_EQ(s.export_wh, EnergyWh(10));
  EXPECT_EQ(s.bill, MoneyUcu(-1250));
  EXPECT_EQ(s.baseline, MoneyUcu(-500));  // 10 Wh at feed-in, paid to the seller.
  EXPECT_EQ(s.savings, MoneyUcu(750));
  EXPECT_EQ(r.grid, MoneyUcu(0));
  EXPECT_EQ(r.interval_start, kT);
}

TEST(SettleTest, ShortfallIsBoughtAtRetailSurplusSoldAtFeedIn) {
  // b1 imports 15 (D = −5), s1 exports 14 (D = +4).
  ASSERT_OK_AND_ASSIGN(SettlementResult r,
                       Settle(kT, kTariff, OneTrade(), {Read("b1", 15, 0), Read("s1", 0, 14)}));
  const Bill& b = *Find(r, "b1");
  EXPECT_EQ(b.deviation, EnergyWh(-5));
  EXPECT_EQ(b.imbalance_amount, MoneyUcu(1000));
  EXPECT_EQ(b.bill, MoneyUcu(2250));
  EXPECT_EQ(b.baseline, MoneyUcu(3000));
  EXPECT_EQ(b.savings, MoneyUcu(750));
  const Bill& s = *Find(r, "s1");
  EXPECT_EQ(s.deviation, EnergyWh(4));
  EXPECT_EQ(s.imbalance_amount, MoneyUcu(-200));
  EXPECT_EQ(s.bill, MoneyUcu(-1450));
  EXPECT_EQ(s.baseline, MoneyUcu(-700));
  EXPECT_EQ(s.savings, MoneyUcu(750));
  EXPECT_EQ(r.grid, MoneyUcu(-800));  // The grid sold 5 at 200, bought 4 at 50.
  EXPECT_EQ(b.bill + s.bill + r.grid, MoneyUcu(0));
}

TEST(SettleTest, SellerWhoFailsToDeliverPaysRetailForTheGap) {
  // s1 sold 10 but exported only 3 and even imported 2: N = 1, D = −9.
  ASSERT_OK_AND_ASSIGN(SettlementResult r,
                       Settle(kT, kTariff, OneTrade(), {Read("s1", 2, 3), Read("b1", 10, 0)}));
  const Bill& s = *Find(r, "s1");
  EXPECT_EQ(s.deviation, EnergyWh(-9));
  EXPECT_EQ(s.imbalance_amount, MoneyUcu(1800));
  EXPECT_EQ(s.bill, MoneyUcu(550));
  EXPECT_EQ(s.baseline, MoneyUcu(-50));
  EXPECT_EQ(s.savings, MoneyUcu(-600));
}

TEST(SettleTest, ParticipantWithOnlyAReadPaysTheGrid) {
  ClearingResult none;
  none.interval_start = kT;
  ASSERT_OK_AND_ASSIGN(SettlementResult r,
                       Settle(kT, kTariff, none, {Read("c", 7, 0), Read("a", 0, 3)}));
  ASSERT_EQ(r.bills.size(), 2u);
  EXPECT_EQ(r.bills[0].participant_id.value(), "a");
  EXPECT_EQ(r.bills[0].bill, MoneyUcu(-150));
  EXPECT_EQ(r.bills[0].savings, MoneyUcu(0));
  EXPECT_EQ(r.bills[1].bill, MoneyUcu(1400));
  EXPECT_EQ(r.bills[1].baseline, MoneyUcu(1400));
  EXPECT_EQ(r.grid, MoneyUcu(-1250));
}

TEST(SettleTest, MissingOrNonOkReadsSettleAsEstimated) {
  for (ReadQuality q : {ReadQuality::kMissing, ReadQuality::kEstimated, ReadQuality::kBad}) {
    SCOPED_TRACE(ReadQualityName(q));
    // b1's read is not OK; s1 has none at all.
    ASSERT_OK_AND_ASSIGN(SettlementResult r,
                         Settle(kT, kTariff, OneTrade(), {Read("b1", 400, 9, q)}));
    ASSERT_EQ(r.bills.size(), 2u);
    for (const Bill& b : r.bills) {
      EXPECT_TRUE(b.estimated);
      EXPECT_EQ(b.import_wh, EnergyWh(0));
      EXPECT_EQ(b.export_wh, EnergyWh(0));
      EXPECT_EQ(b.deviation, EnergyWh(0));
      EXPECT_EQ(b.imbalance_amount, MoneyUcu(0));
      EXPECT_EQ(b.savings, MoneyUcu(750));  // Baseline from N = C.
    }
    EXPECT_EQ(r.grid, MoneyUcu(0));
  }
}

TEST(SettleTest, EstimatedThenCorrectedEqualsSettlingWithTheReadFirst) {
  const std::vector<MeterRead> first = {Read("b1", 13, 0)};  // s1's read is late.
  ASSERT_OK_AND_ASSIGN(SettlementResult provisional, Settle(kT, kTariff, OneTrade(), first));
  EXPECT_TRUE(Find(provisional, "s1")->estimated);
  ASSERT_OK_AND_ASSIGN(std::vector<MeterRead> all, MergeReads(first, {Read("s1", 1, 12)}));
  ASSERT_OK_AND_ASSIGN(SettlementResult corrected, Settle(kT, kTariff, OneTrade(), all));
  ASSERT_OK_AND_ASSIGN(SettlementResult direct,
                       Settle(kT, kTariff, OneTrade(), {Read("s1", 1, 12), Read("b1", 13, 0)}));
  EXPECT_EQ(corrected, direct);
  EXPECT_FALSE(Find(corrected, "s1")->estimated);
  EXPECT_EQ(Find(corrected, "s1")->deviation, EnergyWh(1));
  // The estimated bill of s1 differs; b1's did not depend on s1's read.
  EXPECT_NE(*Find(provisional, "s1"), *Find(corrected, "s1"));
  EXPECT_EQ(*Find(provisional, "b1"), *Find(corrected, "b1"));
}

TEST(SettleTest, RejectsInconsistentInputNamingTheField) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Settle(kT + 900, kTariff, OneTrade(), {}),
              StatusIs(kInvalid, HasSubstr("clearing interval_start")));
  EXPECT_THAT(Settle(kT, Tariff{PriceMcuPerKwh(9), PriceMcuPerKwh(8)}, OneTrade(), {}),
              StatusIs(kInvalid, HasSubstr("tariff")));
  EXPECT_THAT(Settle(kT, kTariff, OneTrade(), {Read("b1", 1, 0), Read("b1", 2, 0)}),
              StatusIs(kInvalid, HasSubstr("participant b1 has more than one read")));
  EXPECT_THAT(Settle(kT, kTariff, OneTrade(), {Read("b1", -1, 0)}),
              StatusIs(kInvalid, AllOf(HasSubstr("meter_reads[0] (participant b1)"),
                                       HasSubstr("import_wh -1"))));
  EXPECT_THAT(Settle(kT, kTariff, OneTrade(), {Read("", 1, 0)}),
              StatusIs(kInvalid, HasSubstr("meter_reads[0]: participant_id is empty")));
  MeterRead odd = Read("b1", 1, 0);
  odd.quality = static_cast<ReadQuality>(9);
  EXPECT_THAT(Settle(kT, kTariff, OneTrade(), {odd}), StatusIs(kInvalid, HasSubstr("quality")));

  ClearingResult c = OneTrade();
  c.fills[0].price = PriceMcuPerKwh(120);
  EXPECT_THAT(Settle(kT, kTariff, c, {}),
              StatusIs(kInvalid, AllOf(HasSubstr("fills[0] (buy ob, sell os)"),
                                       HasSubstr("price_mcu_per_kwh 120"))));
  c = OneTrade();
  c.fills[0].amount = MoneyUcu(1);
  EXPECT_THAT(Settle(kT, kTariff, c, {}), StatusIs(kInvalid, HasSubstr("amount_ucu 1")));
  c = OneTrade();
  c.volume = EnergyWh(11);
  EXPECT_THAT(Settle(kT, kTariff, c, {}), StatusIs(kInvalid, HasSubstr("volume_wh 11")));
  c = OneTrade();
  c.clearing_price.reset();
  EXPECT_THAT(Settle(kT, kTariff, c, {}), StatusIs(kInvalid, HasSubstr("clearing_price")));
  c = OneTrade();
  c.fills[0].seller = ParticipantId("b1");
  EXPECT_THAT(Settle(kT, kTariff, c, {}), StatusIs(kInvalid, HasSubstr("distinct")));
  c = OneTrade();
  c.fills[0].quantity = EnergyWh(0);
  c.fills[0].amount = MoneyUcu(0);
  c.volume = EnergyWh(0);
  EXPECT_THAT(Settle(kT, kTariff, c, {}), StatusIs(kInvalid, HasSubstr("quantity_wh 0")));
}

TEST(SettleTest, ReadsAboveTheBoundAreRefusedBeforeAnyArithmetic) {
  // 10^15 Wh (a forged read) at 200 mcu/kWh would not fit in int64 µcu.
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Settle(kT, kTariff, OneTrade(), {Read("b1", 1'000'000'000'000'000, 0)}),
              StatusIs(kInvalid, AllOf(HasSubstr("participant b1"),
                                       HasSubstr("import_wh 1000000000000000 is outside"))));
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_THAT(Settle(kT, kTariff, OneTrade(), {Read("s1", 0, max)}),
              StatusIs(kInvalid, HasSubstr("export_wh")));
  EXPECT_THAT(CheckReadUsable(Read("s1", kMaxReadWh + 1, 0)),
              StatusIs(kInvalid, HasSubstr("participant s1: import_wh")));
  EXPECT_THAT(CheckReadUsable(Read("s1", -1, 0)), StatusIs(kInvalid, HasSubstr("import_wh -1")));
  // The bound itself is usable, and settles without overflow at the highest price.
  EXPECT_THAT(CheckReadUsable(Read("s1", kMaxReadWh, kMaxReadWh)), IsOk());
  const Tariff dear{PriceMcuPerKwh(kMaxPriceMcuPerKwh), PriceMcuPerKwh(kMaxPriceMcuPerKwh)};
  EXPECT_THAT(Settle(kT, dear, ClearingResult{kT, std::nullopt, EnergyWh(0), {}},
                     {Read("b1", kMaxReadWh, 0)}),
              IsOk());
}

TEST(SettleTest, OverflowIsAnErrorNotAWrap) {
  // A fill of 10^17 Wh at 125 mcu/kWh does not fit in int64 µcu.
  ClearingResult c = OneTrade();
  c.fills[0].quantity = EnergyWh(100'000'000'000'000'000);
  c.volume = c.fills[0].quantity;
  EXPECT_THAT(Settle(kT, kTariff, c, {}),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("amount overflow")));
}

TEST(MergeReadsTest, LateReadsReplaceOrAddOrderedByParticipant) {
  ASSERT_OK_AND_ASSIGN(std::vector<MeterRead> merged,
                       MergeReads({Read("b", 1, 0, ReadQuality::kMissing), Read("a", 2, 0)},
                                  {Read("c", 0, 5), Read("b", 3, 0)}));
  EXPECT_EQ(merged, (std::vector<MeterRead>{Read("a", 2, 0), Read("b", 3, 0), Read("c", 0, 5)}));
  EXPECT_THAT(MergeReads({Read("a", 1, 0), Read("a", 1, 0)}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participant a")));
  EXPECT_THAT(MergeReads({}, {Read("z", 1, 0), Read("z", 1, 0)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("late")));
}

// A random interval: a clearing from a random in-band book and reads for a
// random subset of participants (some not OK), plus a few read-only ones.
struct RandomInterval {
  ClearingResult clearing;
  std::vector<MeterRead> reads;
};

RandomInterval MakeRandomInterval(std::mt19937_64& rng, bool deliver_as_contracted) {
  const Tariff& t = kTariff;
  std::vector<Order> book;
  const int n = static_cast<int>(rng() % 40);
  for (int i = 0; i < n; ++i) {
    const int who = static_cast<int>(rng() % 15);
    // Even participants buy, odd ones sell: one side each.
    book.push_back(
        Order{OrderId(absl::StrCat("o", i)), ParticipantId(absl::StrCat("p", who)),
              who % 2 ? Side::kSell : Side::kBuy, EnergyWh(1 + static_cast<int64_t>(rng() % 5000)),
              PriceMcuPerKwh(t.feed_in.value() +
                             static_cast<int64_t>(rng() % (t.retail - t.feed_in).value() + 1)),
              kT, static_cast<uint64_t>(i + 1)});
  }
  RandomInterval out;
  out.clearing = Clear(kT, book).value();
  std::map<std::string, std::pair<int64_t, int64_t>> contract;  // B, S
  for (const Fill& f : out.clearing.fills) {
    contract[f.buyer.value()].first += f.quantity.value();
    contract[f.seller.value()].second += f.quantity.value();
  }
  for (int who = 0; who < 18; ++who) {
    const std::string id = absl::StrCat("p", who);
    if (rng() % 5 == 0) continue;  // No read at all.
    auto [b, s] = contract[id];
    const int64_t base = static_cast<int64_t>(rng() % 300);
    int64_t import_wh = base + b;
    int64_t export_wh = base + s;
    if (!deliver_as_contracted) {
      import_wh = static_cast<int64_t>(rng() % 8000);
      export_wh = static_cast<int64_t>(rng() % 8000);
    }
    ReadQuality q = rng() % 6 == 0 ? ReadQuality::kMissing : ReadQuality::kOk;
    out.reads.push_back(Read(id, import_wh, export_wh, q));
  }
  std::shuffle(out.reads.begin(), out.reads.end(), rng);
  return out;
}

TEST(SettlePropertyTest, BillsAndGridSumToZero) {
  for (uint64_t seed = 9000; seed < 11000; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 rng(seed);
    RandomInterval in = MakeRandomInterval(rng, /*deliver_as_contracted=*/false);
    ASSERT_OK_AND_ASSIGN(SettlementResult r, Settle(kT, kTariff, in.clearing, in.reads));
    int64_t total = r.grid.value();
    int64_t imbalance = 0;
    for (size_t i = 0; i < r.bills.size(); ++i) {
      const Bill& b = r.bills[i];
      if (i > 0) {
        ASSERT_LT(r.bills[i - 1].participant_id, b.participant_id);
      }
      EXPECT_EQ(b.bill, b.p2p_amount + b.imbalance_amount);
      EXPECT_EQ(b.savings, b.baseline - b.bill);
      EXPECT_EQ(b.p2p_amount.value(),
                (b.bought - b.sold).value() *
                    in.clearing.clearing_price.value_or(PriceMcuPerKwh(0)).value());
      total += b.bill.value();
      imbalance += b.imbalance_amount.value();
    }
    EXPECT_EQ(total, 0);
    EXPECT_EQ(r.grid.value(), -imbalance);
    // Shuffling the reads changes nothing.
    std::shuffle(in.reads.begin(), in.reads.end(), rng);
    ASSERT_OK_AND_ASSIGN(SettlementResult again, Settle(kT, kTariff, in.clearing, in.reads));
    EXPECT_EQ(again, r);
    if (HasFailure()) return;
  }
}

TEST(SettlePropertyTest, DeliveryAsContractedNeverCostsMoreThanTheGrid) {
  for (uint64_t seed = 20000; seed < 22000; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 rng(seed);
    RandomInterval in = MakeRandomInterval(rng, /*deliver_as_contracted=*/true);
    ASSERT_OK_AND_ASSIGN(SettlementResult r, Settle(kT, kTariff, in.clearing, in.reads));
    for (const Bill& b : r.bills) {
      EXPECT_EQ(b.deviation, EnergyWh(0)) << b;
      EXPECT_GE(b.savings, MoneyUcu(0)) << b;
    }
    if (HasFailure()) return;
  }
}

TEST(SettlePropertyTest, EstimatedThenCorrectedGivesTheSameTotals) {
  for (uint64_t seed = 30000; seed < 31000; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 rng(seed);
    RandomInterval in = MakeRandomInterval(rng, /*deliver_as_contracted=*/false);
    ASSERT_OK_AND_ASSIGN(SettlementResult direct, Settle(kT, kTariff, in.clearing, in.reads));
    // Hold back a random subset of the reads, settle provisionally, then correct.
    std::vector<MeterRead> on_time, late;
    for (const MeterRead& read : in.reads) (rng() % 3 == 0 ? late : on_time).push_back(read);
    ASSERT_OK_AND_ASSIGN(SettlementResult provisional, Settle(kT, kTariff, in.clearing, on_time));
    int64_t provisional_total = provisional.grid.value();
    for (const Bill& b : provisional.bills) provisional_total += b.bill.value();
    EXPECT_EQ(provisional_total, 0);
    ASSERT_OK_AND_ASSIGN(std::vector<MeterRead> all, MergeReads(on_time, late));
    ASSERT_OK_AND_ASSIGN(SettlementResult corrected, Settle(kT, kTariff, in.clearing, all));
    EXPECT_EQ(corrected, direct);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace peergrid::matching
