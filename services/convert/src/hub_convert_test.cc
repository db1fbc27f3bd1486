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

}  // namespace
}  // namespace peergrid::convert
