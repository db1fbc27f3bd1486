#include "peergrid/hub/simulator.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "peergrid/hub/telemetry_rules.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::hub {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kJejuDayStart = 1781967600;  // 2026-06-21T00:00:00+09:00

SimulatorConfig JejuConfig(uint64_t seed) {
  SimulatorConfig c;
  c.hub_id = "jeju-hub-1";
  c.zone_id = "jeju-1";
  c.site.latitude_deg = 33.5;
  c.site.longitude_deg = 126.5;
  c.utc_offset_s = 9 * 3600;
  c.seed = seed;
  c.step_s = 30;
  for (int i = 0; i < 8; ++i) {
    HouseholdSpec h;
    h.participant_id = absl::StrCat("jeju-h", i);
    h.pv.nameplate_w = i % 4 == 3 ? 0 : 3000 + 500 * i;  // every fourth is a consumer
    h.pv.azimuth_deg = 150 + 10 * i;
    c.households.push_back(h);
  }
  BankSpec fresh;
  fresh.bank_id = "bank-new";
  fresh.nameplate_wh = 30000;
  fresh.max_charge_w = 8000;
  fresh.max_discharge_w = 8000;
  c.banks.push_back(fresh);
  BankSpec reused = fresh;
  reused.bank_id = "bank-ev";
  reused.second_life = true;
  reused.initial_soh_pct = 82;
  reused.initial_cycles = 1100;
  reused.fade_pct_per_cycle = 0.02;
  reused.chemistry = Chemistry::kNmc;
  reused.cells_in_series = 96;
  c.banks.push_back(reused);
  return c;
}

std::vector<IntervalSummary> RunDay(uint64_t seed) {
  auto sim = Simulator::Create(JejuConfig(seed), kJejuDayStart);
  EXPECT_THAT(sim.status(), IsOk());
  EXPECT_THAT((*sim)->AdvanceTo(kJejuDayStart + 86400), IsOk());
  return (*sim)->TakeIntervalSummaries();
}

int64_t TotalPv(const std::vector<IntervalSummary>& day) {
  int64_t total = 0;
  for (const IntervalSummary& s : day) {
    for (const HouseholdInterval& h : s.households) total += h.pv_wh;
  }
  return total;
}

TEST(SimulatorTest, SameSeedSameDay) {
  const std::vector<IntervalSummary> a = RunDay(7);
  const std::vector<IntervalSummary> b = RunDay(7);
  ASSERT_EQ(a.size(), 96u);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].interval_start, b[i].interval_start);
    for (size_t h = 0; h < a[i].households.size(); ++h) {
      EXPECT_EQ(a[i].households[h].pv_wh, b[i].households[h].pv_wh);
      EXPECT_EQ(a[i].households[h].load_wh, b[i].households[h].load_wh);
      EXPECT_EQ(a[i].households[h].import_wh, b[i].households[h].import_wh);
    }
    for (size_t k = 0; k < a[i].banks.size(); ++k) {
      EXPECT_EQ(a[i].banks[k].soc_pct, b[i].banks[k].soc_pct);
    }
  }
}

// The hub's reads balance in every interval (DESIGN.md §12): the residual of
// the grid read over every household's and bank's read is the hub's losses,
// 0 ≤ r ≤ 3 % of (grid import + Σ export), for a small and a large hub.
TEST(SimulatorTest, EveryIntervalsReadsBalanceWithinTheLossBound) {
  for (const int households : {20, 100}) {
    SimulatorConfig config = JejuConfig(5);
    while (static_cast<int>(config.households.size()) < households) {
      HouseholdSpec h = config.households[config.households.size() % 4];
      h.participant_id = absl::StrCat("extra-", config.households.size());
      config.households.push_back(h);
    }
    config.households.resize(static_cast<size_t>(households));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Simulator> sim, Simulator::Create(config, kJejuDayStart));
    std::map<int64_t, int64_t> residual, bound_base;
    int64_t seq = 0;
    for (int64_t t = kJejuDayStart; t < kJejuDayStart + 86400; t += 300) {
      ASSERT_OK(sim->AdvanceTo(t + 300));
      const HubSample report = sim->TakeReport(static_cast<uint64_t>(++seq));
      for (const IntervalRead& r : report.grid.interval_reads) {
        EXPECT_EQ(r.quality, ReadQuality::kOk);
        residual[r.interval_start] += r.import_wh.value() - r.export_wh.value();
        bound_base[r.interval_start] += r.import_wh.value();
      }
      for (const MeterSample& m : report.meters) {
        for (const IntervalRead& r : m.interval_reads) {
          residual[r.interval_start] -= r.import_wh.value() - r.export_wh.value();
          bound_base[r.interval_start] += r.export_wh.value();
        }
      }
      for (const BankSample& b : report.banks) {
        for (const IntervalRead& r : b.interval_reads) {
          residual[r.interval_start] -= r.import_wh.value() - r.export_wh.value();
          bound_base[r.interval_start] += r.export_wh.value();
        }
      }
    }
    ASSERT_EQ(residual.size(), 96u) << households << " households";
    for (const auto& [start, r] : residual) {
      EXPECT_GE(r, 0) << households << " households, interval " << start;
      EXPECT_LE(r, bound_base[start] * 30'000 / 1'000'000)
          << households << " households, interval " << start;
    }
  }
}

TEST(SimulatorTest, DifferentSeedsGiveDifferentClouds) {
  const SimulatorConfig c = JejuConfig(1);
  WeatherModel w1(c.weather, 1, c.utc_offset_s);
  WeatherModel w2(c.weather, 2, c.utc_offset_s);
  int differing = 0;
  for (int64_t t = kJejuDayStart; t < kJejuDayStart + 86400; t += 900) {
    if (w1.CloudCover(t) != w2.CloudCover(t)) ++differing;
  }
  EXPECT_GT(differing, 80);
  EXPECT_NE(TotalPv(RunDay(1)), TotalPv(RunDay(2)));
}

TEST(SimulatorTest, EnergyBalancesEveryStepAndSocStaysInLimits) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Simulator> sim,
                       Simulator::Create(JejuConfig(3), kJejuDayStart));
  int steps = 0;
  int64_t charged = 0;
  int64_t discharged = 0;
  sim->set_step_observer([&](const StepRecord& r) {
    ++steps;
    ASSERT_EQ(r.pv_w + r.grid_import_w + r.discharge_w,
              r.load_w + r.grid_export_w + r.charge_w + r.loss_w)
        << "at " << r.start_unix_s;
    ASSERT_GT(r.loss_w, 0);
    ASSERT_TRUE(r.grid_import_w == 0 || r.grid_export_w == 0);
    charged += r.charge_w;
    discharged += r.discharge_w;
    for (const BatteryBank& b : sim->banks()) {
      ASSERT_GE(b.soc_pct(), b.spec().soc_min_pct - 1e-9);
      ASSERT_LE(b.soc_pct(), b.spec().soc_max_pct + 1e-9);
    }
  });
  ASSERT_OK(sim->AdvanceTo(kJejuDayStart + 86400));
  EXPECT_EQ(steps, 86400 / 30);
  EXPECT_GT(charged, 0);     // midday surplus charges the banks
  EXPECT_GT(discharged, 0);  // the evening peak discharges them
}

// The bounds of telemetry_rules.h are for broken or hostile devices: a whole
// simulated day of an honest hub (every 60 s) never meets one.
TEST(SimulatorTest, EveryReportOfADayPassesTheTelemetryRules) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Simulator> sim,
                       Simulator::Create(JejuConfig(5), kJejuDayStart));
  HubSample prev = sim->TakeReport(1);
  for (uint64_t seq = 2; seq <= 1440; ++seq) {
    const int64_t now_s = kJejuDayStart + static_cast<int64_t>(seq) * 60;
    ASSERT_OK(sim->AdvanceTo(now_s));
    HubSample now = sim->TakeReport(seq);
    const SampleContext context{900, now_s * 1000, {}};
    ASSERT_THAT(ValidateSample(now, context), IsOk()) << "seq " << seq;
    ASSERT_THAT(ValidateAgainstPrevious(now, prev), IsOk()) << "seq " << seq;
    prev = std::move(now);
  }
}

TEST(SimulatorTest, CountersAreMonotonicAndReadsAddUp) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Simulator> sim,
                       Simulator::Create(JejuConfig(4), kJejuDayStart));
  std::map<std::string, int64_t> read_import;
  HubSample prev = sim->TakeReport(1);
  for (uint64_t seq = 2; seq <= 300; ++seq) {
    ASSERT_OK(sim->AdvanceTo(kJejuDayStart + static_cast<int64_t>(seq) * 287));
    HubSample now = sim->TakeReport(seq);
    ASSERT_EQ(now.meters.size(), prev.meters.size());
    for (size_t i = 0; i < now.meters.size(); ++i) {
      EXPECT_GE(now.meters[i].import_wh, prev.meters[i].import_wh);
      EXPECT_GE(now.meters[i].export_wh, prev.meters[i].export_wh);
      EXPECT_GE(now.meters[i].pv_wh, prev.meters[i].pv_wh);
      for (const IntervalRead& r : now.meters[i].interval_reads) {
        EXPECT_EQ(r.quality, ReadQuality::kOk);
        read_import[now.meters[i].participant_id] += r.import_wh.value();
      }
    }
    for (size_t k = 0; k < now.banks.size(); ++k) {
      EXPECT_GE(now.banks[k].charged_wh, prev.banks[k].charged_wh);
      EXPECT_GE(now.banks[k].discharged_wh, prev.banks[k].discharged_wh);
      EXPECT_GE(now.banks[k].cycle_count, prev.banks[k].cycle_count);
    }
    EXPECT_GE(now.grid.import_wh, prev.grid.import_wh);
    EXPECT_GE(now.grid.export_wh, prev.grid.export_wh);
    prev = std::move(now);
  }
  // Interval reads add up to the counter at the last closed boundary.
  ASSERT_OK(sim->AdvanceTo((sim->now_unix_s() / 900 + 1) * 900));
  HubSample last = sim->TakeReport(301);
  for (const MeterSample& m : last.meters) {
    for (const IntervalRead& r : m.interval_reads)
      read_import[m.participant_id] += r.import_wh.value();
    EXPECT_EQ(read_import[m.participant_id], m.import_wh) << m.participant_id;
  }
}

TEST(SimulatorTest, PvIsZeroAtNightAndPeaksNearSolarNoon) {
  const std::vector<IntervalSummary> day = RunDay(5);
  // Solar noon at 126.5°E is about 12:35 local (KST is the 135°E meridian).
  int64_t best_start = 0;
  int64_t best = -1;
  for (const IntervalSummary& s : day) {
    int64_t pv = 0;
    for (const HouseholdInterval& h : s.households) pv += h.pv_wh;
    const int64_t local_h = (s.interval_start - kJejuDayStart) / 3600;
    if (local_h < 4 || local_h >= 21) {
      EXPECT_EQ(pv, 0) << "local hour " << local_h;
    }
    if (pv > best) {
      best = pv;
      best_start = s.interval_start;
    }
  }
  const double peak_local_h = static_cast<double>(best_start - kJejuDayStart) / 3600.0;
  EXPECT_NEAR(peak_local_h, 12.6, 2.5);  // clouds move the peak a little
  // The clear-sky shape itself peaks at solar noon.
  const Observer jeju{33.5, 126.5};
  double best_ghi = 0;
  int64_t best_t = 0;
  for (int64_t t = kJejuDayStart; t < kJejuDayStart + 86400; t += 60) {
    const double ghi = WeatherModel::ClearSkyGhi(ComputeSolarPosition(t, jeju).zenith_deg);
    if (ghi > best_ghi) {
      best_ghi = ghi;
      best_t = t;
    }
  }
  EXPECT_NEAR(static_cast<double>(best_t - kJejuDayStart) / 3600.0, 12.6, 0.1);
}

TEST(SimulatorTest, SecondLifeBankFadesFasterAndStepSizeDoesNotChangeEnvironment) {
  const std::vector<IntervalSummary> day = RunDay(6);
  const BankInterval& fresh = day.back().banks[0];
  const BankInterval& reused = day.back().banks[1];
  EXPECT_LT(fresh.soh_pct, 100.0);
  EXPECT_LT(reused.soh_pct, 82.0);
  EXPECT_GE(reused.cycle_count, 1100);
  // PV of one household over a day does not depend on the step size.
  SimulatorConfig fine = JejuConfig(6);
  fine.step_s = 5;
  fine.banks.clear();
  SimulatorConfig coarse = fine;
  coarse.step_s = 900;
  ASSERT_OK_AND_ASSIGN(auto a, Simulator::Create(fine, kJejuDayStart));
  ASSERT_OK_AND_ASSIGN(auto b, Simulator::Create(coarse, kJejuDayStart));
  ASSERT_OK(a->AdvanceTo(kJejuDayStart + 86400));
  ASSERT_OK(b->AdvanceTo(kJejuDayStart + 86400));
  const double pv_a = static_cast<double>(TotalPv(a->TakeIntervalSummaries()));
  const double pv_b = static_cast<double>(TotalPv(b->TakeIntervalSummaries()));
  EXPECT_NEAR(pv_a, pv_b, 0.05 * pv_a);  // only the quadrature differs
}

TEST(SimulatorTest, RejectsBadConfigAndTimeTravel) {
  SimulatorConfig c = JejuConfig(1);
  c.banks[0].soc_reserve_pct = 1;  // below soc_min 5
  EXPECT_THAT(Simulator::Create(c, kJejuDayStart).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("soc_reserve_pct")));
  c = JejuConfig(1);
  c.households.push_back(c.households[0]);
  EXPECT_THAT(Simulator::Create(c, kJejuDayStart).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("appears twice")));
  ASSERT_OK_AND_ASSIGN(auto sim, Simulator::Create(JejuConfig(1), kJejuDayStart));
  ASSERT_OK(sim->AdvanceTo(kJejuDayStart + 60));
  EXPECT_THAT(sim->AdvanceTo(kJejuDayStart),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("back in time")));
}

TEST(SimulatorTest, RestoreContinuesCountersAndMarksTheNextReadEstimated) {
  ASSERT_OK_AND_ASSIGN(auto sim, Simulator::Create(JejuConfig(8), kJejuDayStart));
  ASSERT_OK(sim->AdvanceTo(kJejuDayStart + 12 * 3600 + 100));
  const HubSample before = sim->TakeReport(10);
  ASSERT_OK_AND_ASSIGN(auto again, Simulator::Create(JejuConfig(8), kJejuDayStart));
  ASSERT_OK(again->RestoreFrom(before));
  EXPECT_EQ(again->now_unix_s(), kJejuDayStart + 12 * 3600 + 100);
  ASSERT_OK(again->AdvanceTo(kJejuDayStart + 13 * 3600));
  const HubSample after = again->TakeReport(11);
  for (size_t i = 0; i < after.meters.size(); ++i) {
    EXPECT_GE(after.meters[i].pv_wh, before.meters[i].pv_wh);
    ASSERT_FALSE(after.meters[i].interval_reads.empty());
    EXPECT_EQ(after.meters[i].interval_reads[0].quality, ReadQuality::kEstimated);
    EXPECT_EQ(after.meters[i].interval_reads[1].quality, ReadQuality::kOk);
  }
  EXPECT_NEAR(after.banks[1].soh_pct, before.banks[1].soh_pct, 0.01);
}

}  // namespace
}  // namespace peergrid::hub
