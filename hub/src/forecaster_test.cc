// HubForecaster: persistence factors from closed intervals (first taken as
// is, later ones smoothed), night PV ignored, the community sum and the
// deficit ahead, and no look at an interval before it closed.
#include "peergrid/hub/forecaster.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "peergrid/hub/agents.h"
#include "peergrid/hub/simulator.h"

namespace peergrid::hub {
namespace {

constexpr int64_t kDayStart = 1781967600;  // 2026-06-21T00:00:00+09:00
constexpr int64_t kKst = 9 * 3600;
constexpr int64_t kNoon = kDayStart + 12 * 3600;
const Observer kJeju{33.5, 126.5};

HouseholdSpec Spec(const char* id, int64_t pv_w) {
  HouseholdSpec h;
  h.participant_id = id;
  h.pv.nameplate_w = pv_w;
  return h;
}

IntervalSummary Closed(int64_t start, const char* id, int64_t pv_wh, int64_t load_wh) {
  IntervalSummary s;
  s.interval_start = start;
  s.households.push_back({id, pv_wh, load_wh, 0, 0});
  return s;
}

TEST(ForecasterTest, FirstIntervalSetsTheFactorsLaterOnesAreSmoothed) {
  HubForecaster f({Spec("a", 5000)}, kJeju, kKst, 900);
  const int64_t clear = ClearSkyPvEnergy(Spec("a", 5000).pv, kJeju, kKst, kNoon, 900).value();
  const double load = ExpectedLoadEnergyWh(LoadProfile{}, kKst, kNoon, 900);
  ASSERT_GT(clear, 500);
  f.Observe(Closed(kNoon, "a", clear / 2, static_cast<int64_t>(2 * load)));
  EXPECT_NEAR(f.persistence(0).clearness, 0.5, 0.01);
  EXPECT_NEAR(f.persistence(0).load_ratio, 2.0, 0.01);
  // The next interval is clear and its load as expected: halfway there.
  const int64_t next_clear =
      ClearSkyPvEnergy(Spec("a", 5000).pv, kJeju, kKst, kNoon + 900, 900).value();
  const double next_load = ExpectedLoadEnergyWh(LoadProfile{}, kKst, kNoon + 900, 900);
  f.Observe(Closed(kNoon + 900, "a", next_clear, static_cast<int64_t>(next_load)));
  EXPECT_NEAR(f.persistence(0).clearness, 0.75, 0.01);
  EXPECT_NEAR(f.persistence(0).load_ratio, 1.5, 0.01);
  // The forecast applies them to the coming interval's models.
  const HouseholdForecast coming = f.Forecast(0, kNoon + 1800);
  EXPECT_EQ(coming, ForecastHousehold(Spec("a", 5000), kJeju, kKst, kNoon + 1800, 900,
                                      f.persistence(0).clearness, f.persistence(0).load_ratio));
}

TEST(ForecasterTest, NightPvSaysNothingAboutTheSky) {
  HubForecaster f({Spec("a", 5000)}, kJeju, kKst, 900);
  f.Observe(Closed(kNoon, "a", 0, 100));  // overcast noon
  EXPECT_NEAR(f.persistence(0).clearness, 0, 1e-9);
  f.Observe(Closed(kDayStart + 23 * 3600, "a", 0, 100));  // night: no change
  EXPECT_NEAR(f.persistence(0).clearness, 0, 1e-9);
  EXPECT_EQ(f.Forecast(0, kNoon + 86400).pv, EnergyWh(0));
}

TEST(ForecasterTest, UnknownHouseholdsAreIgnored) {
  HubForecaster f({Spec("a", 5000)}, kJeju, kKst, 900);
  f.Observe(Closed(kNoon, "zz", 0, 10'000));
  EXPECT_FALSE(f.persistence(0).seen_load);
  EXPECT_NEAR(f.persistence(0).load_ratio, 1.0, 1e-9);
}

TEST(ForecasterTest, CommunityAndDeficitAheadSumTheHouseholds) {
  HubForecaster f({Spec("a", 5000), Spec("b", 0), Spec("c", 3000)}, kJeju, kKst, 900);
  const int64_t evening = kDayStart + 18 * 3600;
  for (int64_t t : {kNoon, evening}) {
    HouseholdForecast sum;
    for (size_t i = 0; i < 3; ++i) {
      sum.pv += f.Forecast(i, t).pv;
      sum.load += f.Forecast(i, t).load;
    }
    EXPECT_EQ(f.Community(t), sum);
  }
  // From 17:00, the next two hours: 8 intervals after this one, all short.
  const int64_t from = kDayStart + 17 * 3600;
  EnergyWh expected;
  for (int64_t t = from + 900; t <= from + 7200; t += 900) {
    const CommunityForecast c = f.Community(t);
    ASSERT_GT(c.load, c.pv) << t;
    expected += c.load - c.pv;
  }
  EXPECT_EQ(f.DeficitAhead(from, 7200), expected);
  // Around noon there is no deficit in the next hour.
  EXPECT_EQ(f.DeficitAhead(kNoon, 3600), EnergyWh(0));
  EXPECT_EQ(f.DeficitAhead(kNoon, 0), EnergyWh(0));
}

// The forecaster sees a simulated cloudy day only through closed intervals:
// its forecasts track what happened (persistence) without knowing it ahead.
TEST(ForecasterTest, TracksASimulatedDayFromClosedIntervalsOnly) {
  SimulatorConfig c;
  c.hub_id = "hub";
  c.zone_id = "zone";
  c.site = kJeju;
  c.utc_offset_s = kKst;
  c.weather.cloudiness = 0.4;
  c.step_s = 60;
  c.households = {Spec("a", 5000), Spec("b", 0)};
  auto sim = Simulator::Create(c, kDayStart);
  ASSERT_TRUE(sim.ok());
  HubForecaster f(c.households, c.site, kKst, 900);
  double error = 0, naive = 0;
  for (int64_t t = kDayStart + 7 * 3600; t < kDayStart + 17 * 3600; t += 900) {
    ASSERT_TRUE((*sim)->AdvanceTo(t).ok());
    for (const IntervalSummary& s : (*sim)->TakeIntervalSummaries()) f.Observe(s);
    const HouseholdForecast forecast = f.Forecast(0, t);  // for the interval starting now
    ASSERT_TRUE((*sim)->AdvanceTo(t + 900).ok());
    const std::vector<IntervalSummary> closed = (*sim)->TakeIntervalSummaries();
    ASSERT_EQ(closed.size(), 1u);
    const double actual = static_cast<double>(closed[0].households[0].pv_wh);
    error += std::abs(static_cast<double>(forecast.pv.value()) - actual);
    naive += std::abs(
        static_cast<double>(ClearSkyPvEnergy(c.households[0].pv, kJeju, kKst, t, 900).value()) -
        actual);
    f.Observe(closed[0]);
  }
  // Persistence beats assuming a clear sky on a cloudy day.
  EXPECT_LT(error, naive);
}

}  // namespace
}  // namespace peergrid::hub
