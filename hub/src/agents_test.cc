#include "peergrid/hub/agents.h"

#include <cstdint>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "peergrid/hub/simulator.h"
#include "peergrid/matching/validation.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::hub {
namespace {

using ::peergrid::testing::IsOk;

constexpr int64_t kDayStart = 1781967600;  // 2026-06-21T00:00:00+09:00
const Observer kJeju{33.5, 126.5};
constexpr int64_t kKst = 9 * 3600;

HouseholdSpec Household(int i) {
  HouseholdSpec h;
  h.participant_id = absl::StrCat("jeju-h", i);
  h.pv.nameplate_w = i % 3 == 0 ? 0 : 2000 + 700 * i;
  h.pv.azimuth_deg = 140 + 8 * i;
  h.pv.tilt_deg = 15 + i;
  return h;
}

BankSample Bank(double soc, int64_t capacity_wh) {
  BankSample b;
  b.bank_id = "b";
  b.soc_pct = soc;
  b.soc_reserve_pct = 20;
  b.capacity_wh = capacity_wh;
  b.max_charge_w = 20000;
  b.max_discharge_w = 20000;
  return b;
}

// Every household and storage order over random tariffs, times and states
// passes matching's acceptance rules (band, gate, horizon, deliverable).
TEST(AgentsTest, EveryOrderPassesMatchingValidation) {
  const uint64_t seed = 20260621;
  std::mt19937_64 rng(seed);
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  HouseholdAgent household_agent;
  StorageAgent storage_agent;
  int orders = 0;
  for (int round = 0; round < 300; ++round) {
    MarketView m;
    const int64_t f = static_cast<int64_t>(rng() % 200000);
    m.tariff = {PriceMcuPerKwh(f), PriceMcuPerKwh(f + static_cast<int64_t>(rng() % 200000) + 1)};
    m.now_unix_s = kDayStart + static_cast<int64_t>(rng() % 86400);
    const int64_t start = m.timing.FirstOpenInterval(m.now_unix_s) +
                          m.timing.interval_s * static_cast<int64_t>(rng() % 4);
    const HouseholdSpec h = Household(static_cast<int>(rng() % 12));
    const double clearness = static_cast<double>(rng() % 1200) / 1000.0;
    HouseholdState hs;
    hs.participant_id = h.participant_id;
    hs.interval_start = start;
    hs.forecast = ForecastHousehold(h, kJeju, kKst, start, m.timing.interval_s, clearness, 1.0);
    ASSERT_OK_AND_ASSIGN(EnergyWh cap, matching::DeliverableEnergy(PowerW(h.pv.nameplate_w), {},
                                                                   m.timing.interval_s));
    hs.deliverable_cap = cap;
    if (auto o = household_agent.Decide(hs, m)) {
      ++orders;
      EXPECT_THAT(matching::ValidateOrder(*o, m.tariff, m.timing, m.now_unix_s), IsOk()) << *o;
      EXPECT_THAT(matching::CheckDeliverable(*o, cap, EnergyWh(0)), IsOk()) << *o;
    }
    StorageState ss;
    ss.participant_id = "jeju-storage";
    ss.interval_start = start;
    ss.community_net = EnergyWh(static_cast<int64_t>(rng() % 40000) - 20000);
    ss.banks = {Bank(static_cast<double>(rng() % 10000) / 100.0, 50000),
                Bank(static_cast<double>(rng() % 10000) / 100.0, 30000)};
    if (auto o = storage_agent.Decide(ss, m)) {
      ++orders;
      EXPECT_THAT(matching::ValidateOrder(*o, m.tariff, m.timing, m.now_unix_s), IsOk()) << *o;
      std::vector<matching::StorageCapacity> caps;
      for (const BankSample& b : ss.banks) caps.push_back(StorageCapacityOf(b));
      ASSERT_OK_AND_ASSIGN(EnergyWh storage_cap,
                           matching::DeliverableEnergy(PowerW(0), caps, m.timing.interval_s));
      EXPECT_THAT(matching::CheckDeliverable(*o, storage_cap, EnergyWh(0)), IsOk()) << *o;
    }
  }
  EXPECT_GT(orders, 200);
}

TEST(AgentsTest, HouseholdSellsSurplusAndBuysDeficitInsideTheBand) {
  HouseholdAgent agent;
  MarketView m;
  m.tariff = {PriceMcuPerKwh(100000), PriceMcuPerKwh(180000)};
  m.now_unix_s = kDayStart + 11 * 3600;
  HouseholdState s;
  s.participant_id = "h1";
  s.interval_start = m.timing.FirstOpenInterval(m.now_unix_s);
  s.forecast = {EnergyWh(1000), EnergyWh(200)};
  s.deliverable_cap = EnergyWh(5000);
  s.community = {EnergyWh(6000), EnergyWh(4000)};
  auto o = agent.Decide(s, m);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->side, matching::Side::kSell);
  EXPECT_EQ(o->quantity, EnergyWh(640));  // 80 % of 800
  EXPECT_EQ(o->limit_price, agent.SellLimit(s, m.tariff));
  EXPECT_EQ(o->order_id.value(), absl::StrCat("h1.", s.interval_start, ".S"));
  s.deliverable_cap = EnergyWh(300);
  EXPECT_EQ(agent.Decide(s, m)->quantity, EnergyWh(300));  // capped by what it may deliver
  s.forecast = {EnergyWh(0), EnergyWh(500)};
  o = agent.Decide(s, m);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->side, matching::Side::kBuy);
  EXPECT_EQ(o->quantity, EnergyWh(450));
  EXPECT_EQ(o->limit_price, agent.BuyLimit(s, m.tariff));
  s.forecast = {EnergyWh(100), EnergyWh(105)};  // too small to trade
  EXPECT_FALSE(agent.Decide(s, m).has_value());
  s.forecast = {EnergyWh(0), EnergyWh(500)};
  m.now_unix_s = m.timing.GateClosure(s.interval_start);  // gate closed
  EXPECT_FALSE(agent.Decide(s, m).has_value());
}

TEST(AgentsTest, StorageBuysSurplusSellsDeficitKeepsReserveAndNeverLosesACycle) {
  StorageAgent agent;
  MarketView m;
  m.tariff = {PriceMcuPerKwh(50000), PriceMcuPerKwh(200000)};
  m.now_unix_s = kDayStart + 12 * 3600;
  StorageState s;
  s.participant_id = "storage";
  s.interval_start = m.timing.FirstOpenInterval(m.now_unix_s);
  s.utc_offset_s = kKst;
  s.banks = {Bank(50, 40000)};
  s.community_net = EnergyWh(8000);
  auto buy = agent.Decide(s, m);
  ASSERT_TRUE(buy.has_value());
  EXPECT_EQ(buy->side, matching::Side::kBuy);
  EXPECT_EQ(buy->quantity, EnergyWh(5000));  // 20 kW × 0.25 h
  EXPECT_EQ(buy->limit_price, agent.BuyLimit(s, m.tariff));
  s.community_net = EnergyWh(-30000);
  auto sell = agent.Decide(s, m);
  ASSERT_TRUE(sell.has_value());
  EXPECT_EQ(sell->side, matching::Side::kSell);
  EXPECT_EQ(sell->quantity, EnergyWh(5000));
  EXPECT_EQ(sell->limit_price, *agent.SellLimit(s, m.tariff));
  // 0.92 × (sell − cycle cost) ≥ buy: a full cycle at the two limits never loses money.
  EXPECT_GE((sell->limit_price.value() - 8000) * 920, buy->limit_price.value() * 1000);
  EXPECT_LE(sell->limit_price, m.tariff.retail);
  s.banks = {Bank(20.5, 40000)};  // 0.5 % above the reserve: 200 Wh
  EXPECT_EQ(agent.Decide(s, m)->quantity, EnergyWh(200));
  s.banks = {Bank(19, 40000)};  // below the reserve: nothing to sell
  EXPECT_FALSE(agent.Decide(s, m).has_value());
}

TEST(AgentsTest, StorageSellsWhatTheExchangeCountsAsDeliverable) {
  BankSample exact = Bank(60.3, 10'000);  // 4 030 Wh above reserve (not 4 029.999…)
  BankSample slow = Bank(90, 50'000);     // 35 000 Wh, but 2 kW × 0.25 h = 500 Wh
  slow.max_discharge_w = 2000;
  BankSample empty = Bank(10, 50'000);  // below its reserve
  EXPECT_EQ(StorageCapacityOf(exact).above_reserve, EnergyWh(4030));
  EXPECT_EQ(StorageCapacityOf(exact).max_discharge, PowerW(20'000));
  EXPECT_EQ(StorageCapacityOf(empty).above_reserve, EnergyWh(0));
  EXPECT_EQ(StorageAgent::SellableWh({exact, slow, empty}, 900), EnergyWh(4030 + 500));
  ASSERT_OK_AND_ASSIGN(
      EnergyWh deliverable,
      matching::DeliverableEnergy(
          PowerW(0), {StorageCapacityOf(exact), StorageCapacityOf(slow), StorageCapacityOf(empty)},
          900));
  EXPECT_EQ(StorageAgent::SellableWh({exact, slow, empty}, 900), deliverable);
  // What DeliverableEnergy refuses (a negative power) is nothing to sell.
  slow.max_discharge_w = -1;
  EXPECT_EQ(StorageAgent::SellableWh({exact, slow}, 900), EnergyWh(0));
  // Room to full is read the same way: 39.7 % of 10 kWh.
  EXPECT_EQ(StorageAgent::BuyableWh({exact}, 900), EnergyWh(3970));
}

TEST(AgentsTest, ClearSkyForecastMatchesAClearSimulatedDay) {
  SimulatorConfig c;
  c.hub_id = "hub";
  c.zone_id = "zone";
  c.site = kJeju;
  c.utc_offset_s = kKst;
  c.weather.cloudiness = 0;
  c.weather.variability = 0;
  c.households = {Household(4)};
  ASSERT_OK_AND_ASSIGN(auto sim, Simulator::Create(c, kDayStart));
  ASSERT_OK(sim->AdvanceTo(kDayStart + 86400));
  for (const IntervalSummary& s : sim->TakeIntervalSummaries()) {
    const HouseholdForecast f =
        ForecastHousehold(c.households[0], kJeju, kKst, s.interval_start, 900, 1.0, 1.0);
    const int64_t actual = s.households[0].pv_wh;
    EXPECT_NEAR(static_cast<double>(f.pv.value()), static_cast<double>(actual),
                5 + 0.03 * static_cast<double>(actual))
        << "interval " << s.interval_start;
    if (actual == 0) {
      EXPECT_EQ(f.pv, EnergyWh(0));
    }
  }
}

}  // namespace
}  // namespace peergrid::hub
