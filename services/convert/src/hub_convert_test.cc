// hub_convert: the exchange reads a bank's deliverable energy from its report
// exactly as the hub's agents read it from the sample the report came from.
#include "peergrid/convert/hub_convert.h"

#include <cstdint>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "peergrid/hub/agents.h"

namespace peergrid::convert {
namespace {

TEST(HubConvertTest, StorageCapacityOfAReportEqualsTheAgentsOfItsSample) {
  const uint64_t seed = 20260621;
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> pct(0, 100);
  for (int i = 0; i < 2000; ++i) {
    hub::BankSample sample;
    sample.bank_id = "bank-1";
    sample.soc_pct = pct(rng);
    sample.soc_reserve_pct = pct(rng) / 2;
    sample.capacity_wh = static_cast<int64_t>(rng() % 200'000);
    sample.max_discharge_w = static_cast<int64_t>(rng() % 50'000);
    v1::BatteryBankReading reading;
    ToProto(sample, &reading);
    const matching::StorageCapacity exchange = ToStorageCapacity(reading);
    const matching::StorageCapacity agent = hub::StorageCapacityOf(sample);
    ASSERT_EQ(exchange.above_reserve, agent.above_reserve) << sample.soc_pct;
    ASSERT_EQ(exchange.max_discharge, agent.max_discharge);
    ASSERT_EQ(
        exchange.above_reserve,
        matching::EnergyAboveReserve(sample.soc_pct, sample.soc_reserve_pct, sample.capacity_wh));
  }
}

// An enum number the protocol does not define survives the wire (proto3
// enums are open) and is refused, naming the field.
// The alarm log stores events as protos and restores them with FromProto:
// every field, the since-time included, must come back.
TEST(HubConvertTest, AlarmEventsRoundTrip) {
  const hub::AlarmEvent in{
      {"hub-1", "bank-a", hub::AlarmKind::kCellTempHigh, hub::AlarmSeverity::kCritical, "hot", 56.5,
       55, 1'782'000'060'000, 1'782'000'000'000},
      hub::AlarmTransition::kEscalated,
      1'782'000'090'000};
  v1::AlarmEvent wire;
  ToProto(in, &wire);
  const hub::AlarmEvent out = FromProto(wire);
  EXPECT_EQ(out.alarm.hub_id, "hub-1");
  EXPECT_EQ(out.alarm.bank_id, "bank-a");
  EXPECT_EQ(out.alarm.kind, hub::AlarmKind::kCellTempHigh);
  EXPECT_EQ(out.alarm.severity, hub::AlarmSeverity::kCritical);
  EXPECT_EQ(out.alarm.message, "hot");
  EXPECT_DOUBLE_EQ(out.alarm.value, 56.5);
  EXPECT_DOUBLE_EQ(out.alarm.threshold, 55);
  EXPECT_EQ(out.alarm.raised_at_unix_ms, 1'782'000'060'000);
  EXPECT_EQ(out.alarm.condition_since_unix_ms, 1'782'000'000'000);
  EXPECT_EQ(out.transition, hub::AlarmTransition::kEscalated);
  EXPECT_EQ(out.at_unix_ms, 1'782'000'090'000);
}

TEST(HubConvertTest, ValidateReportRefusesUnknownEnumNumbersFromTheWire) {
  v1::HubReport report;
  report.set_hub_id("hub-1");
  report.set_zone_id("zone-1");
  report.set_seq(1);
  report.set_measured_at_unix_ms(1'782'000'000'000);
  v1::IntervalRead* read = report.add_meters()->add_interval_reads();
  report.mutable_meters(0)->set_participant_id("h1");
  read->set_interval_start(1'782'000'000 - 900);
  read->set_import_wh(10);
  read->set_quality(v1::OK);
  const hub::SampleContext context{900, 1'782'000'000'000, {}};
  EXPECT_TRUE(ValidateReport(report, context).ok());
  read->set_quality(static_cast<v1::ReadQuality>(7));
  v1::HubReport parsed;
  ASSERT_TRUE(parsed.ParseFromString(report.SerializeAsString()));
  const absl::Status status = ValidateReport(parsed, context);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("interval_reads.quality is 7"), absl::string_view::npos)
      << status;
  parsed.mutable_meters(0)->mutable_interval_reads(0)->set_quality(v1::OK);
  parsed.mutable_grid()->set_mode(static_cast<v1::GridMode>(9));
  EXPECT_NE(ValidateReport(parsed, context).message().find("grid: mode is 9"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace peergrid::convert
