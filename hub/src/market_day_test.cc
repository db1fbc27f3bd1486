// A simulated day of a small community's market run by the agents alone: a
// hub of 16 households (every fourth a consumer, 3–7 kW of PV, the demo's
// load profile) and its two shared banks in the simulator, the demo's tariff
// (50 / 200 per kWh). At each interval's revision point (a third of an
// interval before gate closure, where the hub trader last decides) the agents
// see only what a hub has seen — closed intervals through HubForecaster and
// the latest bank sample — and their orders clear with matching::Clear. The
// day's clearing prices must follow scarcity: the evening above midday, and
// far more than the three prices constant limits could make.
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "peergrid/hub/agents.h"
#include "peergrid/hub/forecaster.h"
#include "peergrid/hub/simulator.h"
#include "peergrid/matching/auction.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::hub {
namespace {

constexpr int64_t kDayStart = 1781967600;  // 2026-06-21T00:00:00+09:00
constexpr int64_t kKst = 9 * 3600;
constexpr int64_t kIntervalS = 900;
const matching::Tariff kTariff{PriceMcuPerKwh(50'000), PriceMcuPerKwh(200'000)};

SimulatorConfig SmallCommunity(uint64_t seed) {
  SimulatorConfig c;
  c.hub_id = "hub-1";
  c.zone_id = "zone-1";
  c.site = {33.5, 126.5};
  c.utc_offset_s = kKst;
  c.weather.cloudiness = 0.35;
  c.weather.variability = 0.5;
  c.weather.ambient_mean_c = 25;
  c.seed = seed;
  c.step_s = 60;
  c.interval_s = kIntervalS;
  for (int i = 0; i < 16; ++i) {
    HouseholdSpec h;
    h.participant_id = absl::StrFormat("h1-%02d", i + 1);
    if ((i + 1) % 4 != 0) {
      h.pv.nameplate_w = 3000 + (i * 1300) % 4100 / 100 * 100;
      h.pv.azimuth_deg = 150 + 6 * i;
    }
    h.load.evening_peak_w = 1500;
    c.households.push_back(h);
  }
  BankSpec lfp;
  lfp.bank_id = "hub1-lfp";
  lfp.owner_participant_id = "hub1-storage";
  lfp.nameplate_wh = 16 * 2400;
  lfp.max_charge_w = lfp.max_discharge_w = 40'000;
  lfp.charge_efficiency = lfp.discharge_efficiency = 0.965;
  lfp.initial_soc_pct = 40;
  BankSpec ev;
  ev.bank_id = "hub1-ev";
  ev.owner_participant_id = "hub1-storage";
  ev.chemistry = Chemistry::kNmc;
  ev.nameplate_wh = 64'000;
  ev.max_charge_w = ev.max_discharge_w = 15'000;
  ev.charge_efficiency = ev.discharge_efficiency = 0.95;
  ev.soc_min_pct = 10;
  ev.soc_reserve_pct = 25;
  ev.initial_soh_pct = 77;
  ev.initial_cycles = 1400;
  ev.second_life = true;
  ev.cells_in_series = 96;
  c.banks = {lfp, ev};
  return c;
}

struct IntervalOutcome {
  int64_t interval_start = 0;
  std::optional<int64_t> price;
  int64_t volume_wh = 0;
  std::optional<matching::Order> storage_order;
};

// Runs the day; every order is also checked against matching's acceptance rules.
int LocalHour(int64_t unix_s) { return static_cast<int>((unix_s + kKst) % 86400 / 3600); }

std::vector<IntervalOutcome> RunDay(const SimulatorConfig& c, const HouseholdAgent& households,
                                    const StorageAgent& storage) {
  std::vector<IntervalOutcome> day;
  auto sim = Simulator::Create(c, kDayStart - 3 * 3600);
  EXPECT_TRUE(sim.ok()) << sim.status();
  if (!sim.ok()) return day;
  HubForecaster forecaster(c.households, c.site, c.utc_offset_s, kIntervalS);
  MarketView market;
  market.tariff = kTariff;
  uint64_t report_seq = 0;
  for (int64_t start = kDayStart; start < kDayStart + 86400; start += kIntervalS) {
    market.now_unix_s = market.timing.GateClosure(start) - kIntervalS / 3;
    EXPECT_OK((*sim)->AdvanceTo(market.now_unix_s));
    for (const IntervalSummary& closed : (*sim)->TakeIntervalSummaries()) {
      EXPECT_LT(closed.interval_start + kIntervalS, start) << "no foresight";
      forecaster.Observe(closed);
    }
    const HubSample sample = (*sim)->TakeReport(++report_seq);
    std::vector<matching::Order> book;
    const CommunityForecast community = forecaster.Community(start);
    for (size_t i = 0; i < c.households.size(); ++i) {
      HouseholdState s;
      s.participant_id = c.households[i].participant_id;
      s.interval_start = start;
      s.forecast = forecaster.Forecast(i, start);
      s.community = community;
      s.deliverable_cap = EnergyWh(c.households[i].pv.nameplate_w * kIntervalS / 3600);
      if (auto o = households.Decide(s, market)) book.push_back(*o);
    }
    StorageState st;
    st.participant_id = "hub1-storage";
    st.interval_start = start;
    st.community_net = community.net();
    st.deficit_ahead = forecaster.DeficitAhead(start, storage.strategy().lookahead_s);
    st.utc_offset_s = kKst;
    st.banks = sample.banks;
    IntervalOutcome outcome;
    outcome.interval_start = start;
    if (auto o = storage.Decide(st, market)) {
      outcome.storage_order = *o;
      book.push_back(*o);
    }
    for (size_t i = 0; i < book.size(); ++i) {
      book[i].seq = i + 1;
      EXPECT_OK(matching::ValidateOrder(book[i], kTariff, market.timing, market.now_unix_s));
    }
    auto result = matching::Clear(matching::ClearingInput{start, kTariff, book});
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return day;
    if (result->clearing_price) outcome.price = result->clearing_price->value();
    outcome.volume_wh = result->volume.value();
    day.push_back(outcome);
  }
  return day;
}

double MeanPrice(const std::vector<IntervalOutcome>& day, int from_hour, int to_hour) {
  double sum = 0;
  int n = 0;
  for (const IntervalOutcome& o : day) {
    const int h = LocalHour(o.interval_start);
    if (o.price && h >= from_hour && h < to_hour) {
      sum += static_cast<double>(*o.price);
      ++n;
    }
  }
  return n == 0 ? 0 : sum / n;
}

std::set<int64_t> DistinctPrices(const std::vector<IntervalOutcome>& day) {
  std::set<int64_t> prices;
  for (const IntervalOutcome& o : day) {
    if (o.price) prices.insert(*o.price);
  }
  return prices;
}

TEST(MarketDayTest, ClearingPriceFollowsScarcityOverADay) {
  const HouseholdAgent households;
  const StorageAgent storage;
  const std::vector<IntervalOutcome> day = RunDay(SmallCommunity(7), households, storage);
  ASSERT_EQ(day.size(), 96u);

  const std::set<int64_t> prices = DistinctPrices(day);
  const double midday = MeanPrice(day, 11, 14);
  const double evening = MeanPrice(day, 17, 21);
  int cleared = 0;
  int64_t volume = 0;
  for (const IntervalOutcome& o : day) {
    cleared += o.price ? 1 : 0;
    volume += o.volume_wh;
  }
  std::cout << absl::StrFormat(
      "market day: %d of 96 intervals cleared, %.1f kWh; %d distinct prices in [%.3f, %.3f] "
      "/kWh; mean 11-14h %.3f, 17-21h %.3f\n",
      cleared, static_cast<double>(volume) / 1000, prices.size(),
      prices.empty() ? 0 : static_cast<double>(*prices.begin()) / 1000,
      prices.empty() ? 0 : static_cast<double>(*prices.rbegin()) / 1000, midday / 1000,
      evening / 1000);
  for (const IntervalOutcome& o : day) {
    if (o.price) {
      EXPECT_GE(*o.price, kTariff.feed_in.value());
      EXPECT_LE(*o.price, kTariff.retail.value());
    }
  }
  EXPECT_GT(prices.size(), 10u);
  EXPECT_GT(MeanPrice(day, 11, 14), 0) << "midday must clear";
  EXPECT_GT(MeanPrice(day, 17, 21), 0) << "the evening must clear";
  // Evening scarcity above midday surplus, by at least a tenth of the spread.
  EXPECT_GT(evening, midday + 15'000);

  // The storage bought the morning and midday surplus and sold in the
  // evening, never above its highest bid or below its floor. (Its banks
  // follow the simulator's dispatch here, not its trades.)
  int storage_buys_by_day = 0, storage_sells_evening = 0;
  for (const IntervalOutcome& o : day) {
    if (!o.storage_order) continue;
    const int h = LocalHour(o.interval_start);
    if (o.storage_order->side == matching::Side::kBuy) {
      EXPECT_LE(o.storage_order->limit_price, storage.MaxBid(kTariff));
      storage_buys_by_day += h >= 8 && h < 15 ? 1 : 0;
    } else {
      EXPECT_GE(o.storage_order->limit_price, storage.SellFloor(kTariff));
      storage_sells_evening += h >= 17 && h < 22 ? 1 : 0;
    }
  }
  EXPECT_GT(storage_buys_by_day, 8);
  EXPECT_GT(storage_sells_evening, 8);

  // Same inputs, same day.
  const std::vector<IntervalOutcome> again = RunDay(SmallCommunity(7), households, storage);
  ASSERT_EQ(again.size(), day.size());
  for (size_t i = 0; i < day.size(); ++i) {
    EXPECT_EQ(again[i].price, day[i].price) << i;
    EXPECT_EQ(again[i].volume_wh, day[i].volume_wh) << i;
  }
}

// The contrast that makes the test above mean something: agents with the
// slopes and the dispersion switched off (constant limits, as before issue
// 13) make only a handful of prices and no evening premium to speak of.
TEST(MarketDayTest, ConstantLimitsMakeOnlyAFewPrices) {
  PricingStrategy flat;
  flat.community_slope_permille = 0;
  flat.own_slope_permille = 0;
  flat.dispersion_permille = 0;
  StorageStrategy flat_storage;
  flat_storage.buy_soc_slope_permille = 0;
  flat_storage.buy_scarcity_slope_permille = 0;
  flat_storage.sell_soc_slope_permille = 0;
  flat_storage.sell_scarcity_slope_permille = 0;
  flat_storage.hold_premium_permille = 0;
  const std::vector<IntervalOutcome> day =
      RunDay(SmallCommunity(7), HouseholdAgent(flat), StorageAgent(flat_storage));
  ASSERT_EQ(day.size(), 96u);
  EXPECT_LE(DistinctPrices(day).size(), 4u);
}

}  // namespace
}  // namespace peergrid::hub
