// The agents' pricing rules one by one (hub/agents.h header comment): each
// test moves one input and checks the limit moves the documented way, by the
// documented amount, and stays an integer inside the tariff band.
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "peergrid/hub/agents.h"

namespace peergrid::hub {
namespace {

constexpr int64_t kDayStart = 1781967600;  // 2026-06-21T00:00:00+09:00
constexpr int64_t kKst = 9 * 3600;
const matching::Tariff kTariff{PriceMcuPerKwh(50'000), PriceMcuPerKwh(200'000)};
constexpr int64_t kSpread = 150'000;

// f + spread × share / 1000, the header's "share".
int64_t At(int64_t share_permille) { return 50'000 + kSpread * share_permille / 1000; }

HouseholdState Household(int64_t pv, int64_t load, int64_t community_pv, int64_t community_load) {
  HouseholdState s;
  s.participant_id = "h1";
  s.interval_start = kDayStart + 12 * 3600;
  s.forecast = {EnergyWh(pv), EnergyWh(load)};
  s.deliverable_cap = EnergyWh(1'250);
  s.community = {EnergyWh(community_pv), EnergyWh(community_load)};
  return s;
}

PricingStrategy Undispersed() {
  PricingStrategy p;
  p.dispersion_permille = 0;
  return p;
}

TEST(PricingTest, BalanceIsTheCommunitysSurplusShare) {
  EXPECT_EQ(BalancePermille({EnergyWh(0), EnergyWh(0)}), 0);
  EXPECT_EQ(BalancePermille({EnergyWh(500), EnergyWh(500)}), 0);
  EXPECT_EQ(BalancePermille({EnergyWh(900), EnergyWh(100)}), 800);
  EXPECT_EQ(BalancePermille({EnergyWh(100), EnergyWh(900)}), -800);
  EXPECT_EQ(BalancePermille({EnergyWh(0), EnergyWh(7)}), -1000);
  EXPECT_EQ(BalancePermille({EnergyWh(7), EnergyWh(0)}), 1000);
  EXPECT_EQ(BalancePermille({EnergyWh(2), EnergyWh(1)}), 333);  // toward zero
}

TEST(PricingTest, ASellerAsksLessTheMoreTheCommunityHasToSpare) {
  const HouseholdAgent agent(Undispersed());
  // Own surplus 600 of 1000 Wh PV: own share 600.
  const int64_t own = 120 * 600 / 1000;
  const int64_t deficit = agent.SellLimit(Household(1000, 400, 1000, 9000), kTariff).value();
  const int64_t balanced = agent.SellLimit(Household(1000, 400, 5000, 5000), kTariff).value();
  const int64_t surplus = agent.SellLimit(Household(1000, 400, 9000, 1000), kTariff).value();
  EXPECT_EQ(deficit, At(400 + 300 * 800 / 1000 - own));
  EXPECT_EQ(balanced, At(400 - own));
  EXPECT_EQ(surplus, At(400 - 300 * 800 / 1000 - own));
  EXPECT_GT(deficit, balanced);
  EXPECT_GT(balanced, surplus);
}

TEST(PricingTest, ASellerAsksLessTheMoreItHasToSpareItself) {
  const HouseholdAgent agent(Undispersed());
  int64_t previous = kTariff.retail.value() + 1;
  for (int64_t load : {950, 700, 400, 100, 0}) {  // own surplus share 50 … 1000
    const int64_t ask = agent.SellLimit(Household(1000, load, 5000, 5000), kTariff).value();
    EXPECT_EQ(ask, At(400 - 120 * (1000 - load) / 1000)) << load;
    EXPECT_LT(ask, previous) << load;
    previous = ask;
  }
}

TEST(PricingTest, ABuyerBidsMoreTheScarcerEnergyIs) {
  const HouseholdAgent agent(Undispersed());
  // A consumer: its whole load is deficit (own share 1000).
  const int64_t surplus = agent.BuyLimit(Household(0, 500, 9000, 1000), kTariff).value();
  const int64_t balanced = agent.BuyLimit(Household(0, 500, 5000, 5000), kTariff).value();
  const int64_t deficit = agent.BuyLimit(Household(0, 500, 1000, 9000), kTariff).value();
  const int64_t night = agent.BuyLimit(Household(0, 500, 0, 9000), kTariff).value();
  EXPECT_EQ(surplus, At(500 - 240 + 120));
  EXPECT_EQ(balanced, At(500 + 120));
  EXPECT_EQ(deficit, At(500 + 240 + 120));
  EXPECT_EQ(night, At(500 + 300 + 120));
  EXPECT_LT(surplus, balanced);
  EXPECT_LT(balanced, deficit);
  EXPECT_LT(deficit, night);
  // A prosumer short by 100 of its 500 Wh bids less than a consumer.
  EXPECT_EQ(agent.BuyLimit(Household(400, 500, 5000, 5000), kTariff).value(),
            At(500 + 120 * 200 / 1000));
}

TEST(PricingTest, DispersionIsAReproducibleHashOfParticipantAndInterval) {
  std::set<int> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = absl::StrCat("h", i);
    const int d = DispersionPermille(id, kDayStart, 30);
    EXPECT_GE(d, -30);
    EXPECT_LE(d, 30);
    EXPECT_EQ(d, DispersionPermille(id, kDayStart, 30));  // no hidden state
    seen.insert(d);
  }
  EXPECT_GT(seen.size(), 30u);  // spread over the range, not a constant
  std::set<int> over_a_day;     // one participant differs from interval to interval too
  for (int64_t t = kDayStart; t < kDayStart + 86400; t += 900) {
    over_a_day.insert(DispersionPermille("h1", t, 30));
  }
  EXPECT_GT(over_a_day.size(), 30u);
  EXPECT_EQ(DispersionPermille("h1", kDayStart, 0), 0);
  // Dispersion moves a limit by exactly that share of the spread.
  PricingStrategy p;
  const HouseholdState s = Household(1000, 400, 5000, 5000);
  const int d = DispersionPermille(s.participant_id, s.interval_start, p.dispersion_permille);
  EXPECT_EQ(HouseholdAgent(p).SellLimit(s, kTariff).value(), At(400 - 72 + d));
}

// Over random tariffs and forecasts every limit is inside the band, and a
// seller never asks more than a buyer of the same community bids.
TEST(PricingTest, HouseholdLimitsStayInsideTheBand) {
  const uint64_t seed = 1313;
  std::mt19937_64 rng(seed);
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  const HouseholdAgent agent;
  for (int round = 0; round < 2000; ++round) {
    const int64_t f = static_cast<int64_t>(rng() % 300'000);
    const matching::Tariff t{PriceMcuPerKwh(f),
                             PriceMcuPerKwh(f + static_cast<int64_t>(rng() % 300'000))};
    HouseholdState s =
        Household(static_cast<int64_t>(rng() % 3000), static_cast<int64_t>(rng() % 3000),
                  static_cast<int64_t>(rng() % 50'000), static_cast<int64_t>(rng() % 50'000));
    s.participant_id = absl::StrCat("h", rng() % 100);
    for (const PriceMcuPerKwh p : {agent.SellLimit(s, t), agent.BuyLimit(s, t)}) {
      EXPECT_GE(p, t.feed_in);
      EXPECT_LE(p, t.retail);
    }
  }
}

BankSample Bank(double soc_pct, int64_t capacity_wh = 100'000) {
  BankSample b;
  b.bank_id = "b";
  b.soc_pct = soc_pct;
  b.soc_reserve_pct = 20;
  b.capacity_wh = capacity_wh;
  b.max_charge_w = 40'000;
  b.max_discharge_w = 40'000;
  return b;
}

StorageState Storage(double soc_pct, int64_t deficit_ahead_wh, int local_hour = 12) {
  StorageState s;
  s.participant_id = "storage";
  s.interval_start = kDayStart + local_hour * 3600;
  s.community_net = EnergyWh(5'000);
  s.deficit_ahead = EnergyWh(deficit_ahead_wh);
  s.utc_offset_s = kKst;
  s.banks = {Bank(soc_pct)};
  return s;
}

TEST(PricingTest, FillAndScarcityAreReadFromTheBanksAboveTheirReserve) {
  EXPECT_EQ(StorageAgent::FillPermille({Bank(20)}), 0);
  EXPECT_EQ(StorageAgent::FillPermille({Bank(60)}), 500);
  EXPECT_EQ(StorageAgent::FillPermille({Bank(100)}), 1000);
  EXPECT_EQ(StorageAgent::FillPermille({Bank(10)}), 0);         // below the reserve
  EXPECT_EQ(StorageAgent::FillPermille({Bank(100, 0)}), 1000);  // nothing usable
  EXPECT_EQ(StorageAgent::FillPermille({Bank(60, 100'000), Bank(100, 300'000)}), 875);
}

TEST(PricingTest, StorageBidsMoreWhenEmptyAndWhenScarcityIsAhead) {
  const StorageAgent agent;
  // Half full (40 000 Wh stored), no deficit ahead: 150 + 200·0.5.
  EXPECT_EQ(agent.BuyLimit(Storage(60, 0), kTariff).value(), At(150 + 100));
  // The same with a 120 000 Wh deficit ahead: z = 120/(120 + 40) = 750.
  EXPECT_EQ(agent.BuyLimit(Storage(60, 120'000), kTariff).value(),
            At(150 + 100 + 150 * 750 / 1000));
  int64_t previous = 0;
  for (double soc : {100.0, 80.0, 60.0, 40.0, 20.0}) {
    const int64_t bid = agent.BuyLimit(Storage(soc, 0), kTariff).value();
    EXPECT_GT(bid, previous) << soc;
    previous = bid;
  }
  // Never above its ceiling, however empty and scarce.
  StorageStrategy eager;
  eager.buy_margin_permille = 900;
  EXPECT_EQ(StorageAgent(eager).BuyLimit(Storage(20, 1'000'000), kTariff),
            StorageAgent(eager).MaxBid(kTariff));
  EXPECT_EQ(agent.MaxBid(kTariff).value(), At(500));
}

TEST(PricingTest, StorageAsksMoreWhenLowAndHoldsForTheEveningPeak) {
  const StorageAgent agent;
  // Full, no scarcity: the floor (sell margin 500 → 125 000 is below it).
  EXPECT_EQ(agent.SellLimit(Storage(100, 0), kTariff), agent.SellFloor(kTariff));
  // A quarter full, 60 000 Wh ahead against 20 000 stored: z = 750.
  const int64_t low = agent.SellLimit(Storage(40, 60'000, 12), kTariff)->value();
  EXPECT_EQ(low, At(500 + 200 * 750 / 1000 + 200 * 750 / 1000));
  // The same bank in the hours before the peak (14:00–17:00) holds its
  // energy: + 150 × (1 − fill).
  const int64_t before_peak = agent.SellLimit(Storage(40, 60'000, 15), kTariff)->value();
  EXPECT_EQ(before_peak, At(500 + 150 + 150 + 150 * 750 / 1000));
  EXPECT_EQ(agent.SellLimit(Storage(40, 60'000, 14), kTariff)->value(), before_peak);
  EXPECT_EQ(agent.SellLimit(Storage(40, 60'000, 17), kTariff)->value(), low);  // the peak
  EXPECT_EQ(agent.SellLimit(Storage(40, 60'000, 13), kTariff)->value(), low);
  // Lower SoC, higher ask; more scarcity, higher ask.
  EXPECT_GT(agent.SellLimit(Storage(30, 60'000), kTariff)->value(), low);
  EXPECT_GT(agent.SellLimit(Storage(40, 200'000), kTariff)->value(), low);
  EXPECT_LE(agent.SellLimit(Storage(21, 1'000'000, 15), kTariff)->value(), kTariff.retail.value());
}

TEST(PricingTest, StorageNeverSellsBelowItsCostOverEfficiencyPlusCycleCost) {
  StorageStrategy p;
  p.round_trip_efficiency_permille = 800;
  p.cycle_cost_mcu_per_kwh = 12'000;
  const StorageAgent agent(p);
  // Its highest bid is 125 000; ⌈125 000 / 0.8⌉ + 12 000 = 168 250.
  EXPECT_EQ(agent.SellFloor(kTariff).value(), 168'250);
  const uint64_t seed = 77;
  std::mt19937_64 rng(seed);
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  for (int round = 0; round < 1000; ++round) {
    const StorageState s =
        Storage(static_cast<double>(rng() % 10'000) / 100.0, static_cast<int64_t>(rng() % 200'000),
                static_cast<int>(rng() % 24));
    const int64_t bid = agent.BuyLimit(s, kTariff).value();
    const std::optional<PriceMcuPerKwh> ask = agent.SellLimit(s, kTariff);
    ASSERT_TRUE(ask.has_value());
    EXPECT_LE(ask->value(), kTariff.retail.value());
    EXPECT_GE(bid, kTariff.feed_in.value());
    // Whatever it paid (at most its bid), a kWh sold pays the kWh bought over
    // the efficiency plus the wear of the cycle.
    EXPECT_GE((ask->value() - p.cycle_cost_mcu_per_kwh) * p.round_trip_efficiency_permille,
              bid * 1000)
        << s.banks[0].soc_pct;
  }
}

TEST(PricingTest, StorageStaysOutWhenNoCycleCanPay) {
  StorageStrategy p;
  p.cycle_cost_mcu_per_kwh = 90'000;  // wear beyond the spread
  const StorageAgent agent(p);
  EXPECT_GT(agent.SellFloor(kTariff), kTariff.retail);
  EXPECT_FALSE(agent.SellLimit(Storage(80, 0), kTariff).has_value());
  MarketView m;
  m.tariff = kTariff;
  m.now_unix_s = kDayStart + 11 * 3600;
  StorageState s = Storage(60, 0);
  s.interval_start = m.timing.FirstOpenInterval(m.now_unix_s);
  EXPECT_FALSE(agent.Decide(s, m).has_value());  // no buying it could not sell
  s.community_net = EnergyWh(-5'000);
  EXPECT_FALSE(agent.Decide(s, m).has_value());  // no selling at a loss
  EXPECT_TRUE(StorageAgent().Decide(s, m).has_value());
}

}  // namespace
}  // namespace peergrid::hub
