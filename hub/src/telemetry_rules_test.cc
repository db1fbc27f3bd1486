#include "peergrid/hub/telemetry_rules.h"

#include "gtest/gtest.h"
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

TEST(TelemetryRulesTest, AcceptsAGoodReport) {
  EXPECT_THAT(ValidateSample(Good(), 900), IsOk());
  HubSample next = Good();
  next.seq = 6;
  EXPECT_THAT(ValidateAgainstPrevious(next, Good()), IsOk());
}

TEST(TelemetryRulesTest, RejectsBadValuesWithInvalidArgument) {
  HubSample s = Good();
  s.banks[0].soc_pct = 100.5;
  EXPECT_THAT(ValidateSample(s, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("soc_pct is 100.5")));
  s = Good();
  s.banks[0].soc_pct = -0.1;
  EXPECT_THAT(ValidateSample(s, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bank \"b1\": soc_pct")));
  s = Good();
  s.seq = 0;
  EXPECT_THAT(ValidateSample(s, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seq is 0")));
  s = Good();
  s.meters[0].import_wh = -1;
  EXPECT_THAT(ValidateSample(s, 900), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("meter \"h1\": import_wh is -1")));
  s = Good();
  s.meters[0].interval_reads[0].interval_start += 1;
  EXPECT_THAT(ValidateSample(s, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not aligned")));
  s = Good();
  s.meters[0].interval_reads[0].quality = ReadQuality::kUnspecified;
  EXPECT_THAT(ValidateSample(s, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quality")));
  s = Good();
  s.meters[0].participant_id = "bad id";
  EXPECT_THAT(ValidateSample(s, 900),
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

}  // namespace
}  // namespace peergrid::hub
