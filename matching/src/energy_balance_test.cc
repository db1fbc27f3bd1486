#include "peergrid/matching/energy_balance.h"

#include <vector>

#include "gtest/gtest.h"

namespace peergrid::matching {
namespace {

MeterRead Read(const char* id, int64_t import_wh, int64_t export_wh,
               ReadQuality quality = ReadQuality::kOk) {
  return {ParticipantId(id), EnergyWh(import_wh), EnergyWh(export_wh), quality};
}

TEST(EnergyBalanceTest, TheResidualIsTheHubsLossesWithinTheBound) {
  const MeterRead hub = Read("hub", 1'000, 0);
  const MeterRead a = Read("a", 700, 0), b = Read("b", 500, 230);
  const std::vector<const MeterRead*> reads = {&a, &b};
  std::optional<EnergyBalance> balance = HubEnergyBalance(hub, reads, 2, 0);
  ASSERT_TRUE(balance.has_value());
  EXPECT_EQ(balance->residual_wh, 1'000 - (700 + 500 - 230));           // 30 Wh lost
  EXPECT_EQ(balance->max_loss_wh, (1'000 + 230) * 30'000 / 1'000'000);  // 36 Wh
  EXPECT_TRUE(balance->holds());
  // A tighter registered bound (2 %: 24 Wh) fails it.
  balance = HubEnergyBalance(hub, reads, 2, 20'000);
  ASSERT_TRUE(balance.has_value());
  EXPECT_FALSE(balance->holds());
  EXPECT_EQ(balance->Describe(), "residual 30 Wh outside [0, 24] Wh");
}

TEST(EnergyBalanceTest, AMeterReadingMoreThanTheHubSawFails) {
  const MeterRead hub = Read("hub", 1'000, 0);
  const MeterRead a = Read("a", 1'050, 0);  // 5 % more than the hub saw
  const std::vector<const MeterRead*> reads = {&a};
  const std::optional<EnergyBalance> balance = HubEnergyBalance(hub, reads, 1, 0);
  ASSERT_TRUE(balance.has_value());
  EXPECT_EQ(balance->residual_wh, -50);
  EXPECT_FALSE(balance->holds());
}

TEST(EnergyBalanceTest, IncompleteReadsProveNothing) {
  const MeterRead a = Read("a", 700, 0);
  const MeterRead estimated = Read("b", 0, 0, ReadQuality::kEstimated);
  const std::vector<const MeterRead*> one = {&a};
  const std::vector<const MeterRead*> two = {&a, &estimated};
  EXPECT_FALSE(HubEnergyBalance(Read("hub", 1, 0, ReadQuality::kMissing), one, 1, 0));
  EXPECT_FALSE(HubEnergyBalance(Read("hub", 1'000, 0), one, 2, 0));  // b has no read
  EXPECT_FALSE(HubEnergyBalance(Read("hub", 1'000, 0), two, 2, 0));  // b's is an estimate
  EXPECT_TRUE(HubEnergyBalance(Read("hub", 1'000, 0), one, 1, 0));
}

}  // namespace
}  // namespace peergrid::matching
