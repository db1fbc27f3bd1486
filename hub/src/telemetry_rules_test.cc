#include "peergrid/hub/telemetry_rules.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "peergrid/common/limits.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::hub {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

HubSample Good() {
  HubSample s;
  s.hub_id = "hub-1";
  s.zone_id = "zone-1";
  s.seq = 5;
  s.measured_at_unix_ms = 1700000000000;
  MeterSample m;
  m.participant_id = "h1";
  m.import_wh = 100;
  m.export_wh = 50;
  m.pv_wh = 300;
  m.interval_reads.push_back({1700000100, EnergyWh(3), EnergyWh(0), ReadQuality::kOk});
  s.meters.push_back(m);
  BankSample b;
  b.bank_id = "b1";
  b.soc_pct = 55;
  b.soh_pct = 90;
  b.charged_wh = 1000;
  b.discharged_wh = 900;
  b.cycle_count = 3;
  s.banks.push_back(b);
  s.grid.import_wh = 10;
  return s;
}

// The exchange clock at the end of Good()'s interval read.
constexpr int64_t kNowMs = 1700001000000;

SampleContext Ctx() { return SampleContext{900, kNowMs, {}}; }

TEST(TelemetryRulesTest, AcceptsAGoodReport) {
  EXPECT_THAT(ValidateSample(Good(), Ctx()), IsOk());
  HubSample next = Good();
  next.seq = 6;
  EXPECT_THAT(ValidateAgainstPrevious(next, Good()), IsOk());
}

TEST(TelemetryRulesTest, AReportNamesEachMeterAndBankOnceAndEachIntervalOnce) {
  HubSample s = Good();
  s.meters.push_back(s.meters[0]);  // h1 twice: its copy would dodge the history checks
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("meters.participant_id \"h1\" appears twice")));
  s = Good();
  s.banks.push_back(s.banks[0]);
  EXPECT_THAT(ValidateSample(s, Ctx()), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("banks.bank_id \"b1\" appears twice")));
  s = Good();
  s.meters[0].interval_reads.push_back(s.meters[0].interval_reads[0]);
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("meter \"h1\": two interval_reads of interval 1700000100")));
  s = Good();
  s.grid.interval_reads = {{1700000100, EnergyWh(1), EnergyWh(0), ReadQuality::kOk},
                           {1700000100, EnergyWh(9), EnergyWh(0), ReadQuality::kOk}};
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grid: two interval_reads")));
  s = Good();
  for (int i = 0; i < 256; ++i) {
    BankSample b = s.banks[0];
    b.bank_id = "x" + std::to_string(i);
    s.banks.push_back(b);
  }
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("banks has 257 entries")));
  s.banks.pop_back();
  EXPECT_THAT(ValidateSample(s, Ctx()), IsOk());
}

TEST(TelemetryRulesTest, RejectsBadValuesWithInvalidArgument) {
  HubSample s = Good();
  s.banks[0].soc_pct = 100.5;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("soc_pct is 100.5")));
  s = Good();
  s.banks[0].soc_pct = -0.1;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bank \"b1\": soc_pct")));
  s = Good();
  s.seq = 0;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seq is 0")));
  s = Good();
  s.meters[0].import_wh = -1;
  EXPECT_THAT(ValidateSample(s, Ctx()), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("meter \"h1\": import_wh is -1")));
  s = Good();
  s.meters[0].interval_reads[0].interval_start += 1;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not aligned")));
  s = Good();
  s.meters[0].interval_reads[0].quality = ReadQuality::kUnspecified;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quality")));
  s = Good();
  s.meters[0].participant_id = "bad id";
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participant_id")));
}

TEST(TelemetryRulesTest, RejectsHistoryViolationsWithFailedPrecondition) {
  HubSample next = Good();
  next.seq = 6;
  next.meters[0].export_wh = 49;
  EXPECT_THAT(ValidateAgainstPrevious(next, Good()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("meter \"h1\": export_wh decreased from 50 to 49")));
  next = Good();
  next.seq = 6;
  next.banks[0].discharged_wh = 10;
  EXPECT_THAT(ValidateAgainstPrevious(next, Good()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("discharged_wh")));
  next = Good();
  next.seq = 6;
  next.grid.import_wh = 9;
  EXPECT_THAT(ValidateAgainstPrevious(next, Good()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("grid: import_wh")));
  next = Good();
  next.seq = 4;
  EXPECT_THAT(ValidateAgainstPrevious(next, Good()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("seq 4 goes backwards")));
  next = Good();
  next.seq = 6;
  next.measured_at_unix_ms -= 1;
  EXPECT_THAT(ValidateAgainstPrevious(next, Good()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("measured_at_unix_ms")));
}

TEST(TelemetryRulesTest, MatchesMetersByIdWhateverTheirOrder) {
  HubSample prev = Good();
  MeterSample m2 = prev.meters[0];
  m2.participant_id = "h2";
  m2.import_wh = 500;
  prev.meters.push_back(m2);
  HubSample next = prev;
  next.seq = 6;
  std::swap(next.meters[0], next.meters[1]);
  EXPECT_THAT(ValidateAgainstPrevious(next, prev), IsOk());
  next.meters[0].import_wh = 499;  // h2, now first
  EXPECT_THAT(ValidateAgainstPrevious(next, prev),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("meter \"h2\"")));
  next.meters[0].import_wh = 500;
  next.meters.push_back(m2);  // a new meter has no history
  next.meters.back().participant_id = "h3";
  EXPECT_THAT(ValidateAgainstPrevious(next, prev), IsOk());
}

TEST(TelemetryRulesTest, BoundsIntervalReadsByTheMetersMaxPower) {
  // A household without PV: 250 kW × 900 s = 62,500 Wh.
  HubSample s = Good();
  s.meters[0].interval_reads[0].import_wh = EnergyWh(62'500);
  EXPECT_THAT(ValidateSample(s, Ctx()), IsOk());
  s.meters[0].interval_reads[0].import_wh = EnergyWh(1'000'000'000'000'000);  // 10^15
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("meter \"h1\": interval_reads.import_wh is 1000000000000000: "
                                 "expected a value in [0, 62500]")));
  s.meters[0].interval_reads[0].import_wh = EnergyWh(62'501);
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval_reads.import_wh")));
  // The registration decides: a 1 MW storage meter may read 250 kWh.
  SampleContext storage = Ctx();
  storage.meter_max_power_w = [](const std::string&) { return int64_t{1'000'000}; };
  s.meters[0].interval_reads[0].import_wh = EnergyWh(0);
  s.meters[0].interval_reads[0].export_wh = EnergyWh(250'000);
  EXPECT_THAT(ValidateSample(s, storage), IsOk());
  s.meters[0].interval_reads[0].export_wh = EnergyWh(250'001);
  EXPECT_THAT(ValidateSample(s, storage),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval_reads.export_wh")));
  s = Good();
  s.meters[0].power_w = -300'000;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("meter \"h1\": power_w")));
  s = Good();
  s.meters[0].import_wh = limits::kMaxCounterWh + 1;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("meter \"h1\": import_wh")));
}

TEST(TelemetryRulesTest, RefusesUnknownEnumValues) {
  HubSample s = Good();
  s.meters[0].interval_reads[0].quality = static_cast<ReadQuality>(7);
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("interval_reads.quality is 7 for interval 1700000100")));
  s = Good();
  s.banks[0].charge_state = static_cast<ChargeState>(8);
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("charge_state is 8")));
  s = Good();
  s.banks[0].bank_state = static_cast<BankState>(42);
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bank_state is 42")));
  s.banks[0].bank_state = BankState::kFault;
  EXPECT_THAT(ValidateSample(s, Ctx()), IsOk());
  s = Good();
  s.banks[0].chemistry = static_cast<Chemistry>(-1);
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("chemistry is -1")));
  s = Good();
  s.grid.mode = static_cast<GridMode>(3);
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grid: mode is 3")));
  s = Good();
  s.banks[0].alarm_bits = (1u << 29) | (1u << 31);
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alarm_bits 0xa0000000")));
}

TEST(TelemetryRulesTest, BoundsBankValuesPhysically) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    void (*set)(BankSample&);
    const char* message;
  };
  const Case cases[] = {
      {[](BankSample& b) { b.cell_temp_max_c = 151; }, "cell_temp_max_c is 151"},
      {[](BankSample& b) { b.cell_temp_min_c = -51; }, "cell_temp_min_c is -51"},
      {[](BankSample& b) { b.cell_temp_min_c = 30, b.cell_temp_max_c = 20; },
       "cell_temp_min_c 30 is above cell_temp_max_c 20"},
      {[](BankSample& b) { b.dc_voltage_v = 1501; }, "dc_voltage_v is 1501"},
      {[](BankSample& b) { b.dc_current_a = -60'000; }, "dc_current_a is -60000"},
      {[](BankSample& b) { b.cell_voltage_max_v = 5.5; }, "cell_voltage_max_v is 5.5"},
      {[](BankSample& b) { b.capacity_wh = limits::kMaxBankCapacityWh + 1; },
       "capacity_wh is 10000000001"},
      {[](BankSample& b) { b.capacity_wh = 1000, b.available_wh = 1001; },
       "available_wh 1001 is above capacity_wh 1000"},
      {[](BankSample& b) { b.max_discharge_w = limits::kMaxBankPowerW + 1; }, "max_discharge_w"},
      {[](BankSample& b) { b.power_w = -limits::kMaxBankPowerW - 1; }, "bank \"b1\": power_w"},
      {[](BankSample& b) { b.cycle_count = limits::kMaxCycleCount + 1; }, "cycle_count"},
      {[](BankSample& b) { b.soc_pct = 100.01; }, "soc_pct is 100.01"},
  };
  for (const Case& c : cases) {
    HubSample s = Good();
    c.set(s.banks[0]);
    EXPECT_THAT(ValidateSample(s, Ctx()),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.message;
  }
  for (double bad : {nan, inf, -inf}) {
    HubSample s = Good();
    s.banks[0].cell_temp_max_c = bad;
    EXPECT_THAT(ValidateSample(s, Ctx()),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("cell_temp_max_c is not a finite number")));
    s = Good();
    s.banks[0].soh_pct = bad;
    EXPECT_THAT(ValidateSample(s, Ctx()),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("soh_pct")));
  }
  HubSample s = Good();
  s.grid.power_w = limits::kMaxHubConnectionW + 1;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grid: power_w")));
}

TEST(TelemetryRulesTest, RefusesTimestampsAheadOfTheExchangeClock) {
  HubSample s = Good();
  s.measured_at_unix_ms = kNowMs + limits::kMaxClockSkewMs;
  EXPECT_THAT(ValidateSample(s, Ctx()), IsOk());
  s.measured_at_unix_ms += 1;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("measured_at_unix_ms 1700001300001 is more than 300 s ahead")));
  s.measured_at_unix_ms = 7258118400000;  // 2200-01-01
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("measured_at_unix_ms")));
  // An interval read of an interval that has not ended (beyond the skew).
  s = Good();
  s.meters[0].interval_reads[0].interval_start = 1700000100 + 900;
  EXPECT_THAT(ValidateSample(s, Ctx()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("interval_reads.interval_start 1700001000 ends more than 300 s")));
}

TEST(TelemetryRulesTest, BoundsTheSeqJump) {
  EXPECT_THAT(ValidateSeqAdvance(1, 0), IsOk());
  EXPECT_THAT(ValidateSeqAdvance(1'000'000, 0), IsOk());
  EXPECT_THAT(ValidateSeqAdvance(1'000'001, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seq 1000001 jumps")));
  EXPECT_THAT(ValidateSeqAdvance(18446744073709551615u, 7),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("seq 18446744073709551615 jumps more than 1000000")));
  EXPECT_THAT(ValidateSeqAdvance(3, 7), IsOk());  // not a jump: the store's duplicate rules
}

}  // namespace
}  // namespace peergrid::hub
