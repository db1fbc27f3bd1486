// Every flow is metered and balanced (DESIGN.md §12): a storage participant
// settles on its bank meter's reads, each settlement records the hubs'
// grid-connection reads, and a hub whose complete reads do not balance raises
// METER_BALANCE at the exchange and fails the audit on exactly that hub and
// interval — here, a household meter reporting 5 % more than its hub saw.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/report.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/common/status.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/testing/in_memory_telemetry.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'782'000'000;  // 2026-06-21 00:00 UTC, aligned to 900 s
constexpr int64_t kInterval = kStart + 3600;

class EnergyBalanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("energy_balance");
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = "peergrid/jeju-1";
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Open(dir_ + "/ledger", ledger_options));
    exchange::ExchangeOptions options;
    options.zone_id = "jeju-1";
    ASSERT_OK_AND_ASSIGN(exchange_,
                         exchange::Exchange::Open(ledger_.get(), &telemetry_, &clock_, options));
    for (const char* hub_id : {"hub-1", "hub-2"}) {
      v1::Hub hub;
      hub.set_hub_id(hub_id);
      hub.set_zone_id("jeju-1");
      hub.set_reporting_period_s(5);
      ASSERT_THAT(exchange_->RegisterHub(hub), IsOk());
    }
    Register("alice", "hub-1", 8000);
    Register("bob", "hub-1", 0);
    v1::Participant storage;
    storage.set_participant_id("store-1");
    storage.set_hub_id("hub-1");
    storage.set_kind(v1::SHARED_STORAGE);
    storage.add_storage_bank_ids("bank-a");
    storage.add_storage_bank_ids("bank-b");
    ASSERT_THAT(exchange_->RegisterParticipant(storage), IsOk());
    Register("carol", "hub-2", 0);
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(50'000);
    tariff.set_retail_price_mcu_per_kwh(200'000);
    ASSERT_THAT(exchange_->SetTariff(tariff), IsOk());
  }

  void Register(const std::string& id, const std::string& hub, int64_t pv_w) {
    v1::Participant p;
    p.set_participant_id(id);
    p.set_hub_id(hub);
    p.set_kind(v1::HOUSEHOLD);
    p.set_pv_nameplate_w(pv_w);
    ASSERT_THAT(exchange_->RegisterParticipant(p), IsOk());
  }

  // One interval's reads: hub-1 balances with 30 Wh of losses (within 3 %);
  // hub-2's carol reads `carol_import_wh` against a grid read of 1000 Wh.
  void Reads(int64_t interval, int64_t carol_import_wh) {
    telemetry_.Read(interval, "alice", 0, 1200);
    telemetry_.Read(interval, "bob", 900, 0);
    telemetry_.BankRead(interval, "hub-1", "bank-a", 200, 0);  // charging
    telemetry_.BankRead(interval, "hub-1", "bank-b", 0, 50);   // discharging
    // Σ participants' net = −1200 + 900 + 200 − 50 = −150: hub-1 exports 120.
    telemetry_.GridRead(interval, "hub-1", 0, 120);
    telemetry_.Read(interval, "carol", carol_import_wh, 0);
    telemetry_.GridRead(interval, "hub-2", 1000, 0);
  }

  absl::Status SettleThrough(int64_t interval) {
    const int64_t t = MarketTiming().SettlementDue(interval);
    clock_.Set(absl::FromUnixSeconds(t));
    telemetry_.Report("hub-1", t * 1000);
    telemetry_.Report("hub-2", t * 1000);
    return exchange_->RunDue().status();
  }

  std::vector<v1::Alarm> Balance() {
    std::vector<v1::Alarm> out;
    for (const v1::Alarm& alarm : exchange_->RecentAlarms()) {
      if (alarm.kind() == v1::METER_BALANCE) out.push_back(alarm);
    }
    return out;
  }

  absl::StatusOr<audit::AuditReport> Audit() {
    return audit::testing::CheckpointExportAndAudit(ledger_.get(), dir_ + "/export");
  }

  std::string dir_;
  ManualClock clock_{absl::FromUnixSeconds(kStart)};
  ::peergrid::testing::InMemoryTelemetry telemetry_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<exchange::Exchange> exchange_;
};

TEST_F(EnergyBalanceTest, StorageSettlesOnItsBankMetersAndHubReadsAreRecorded) {
  Reads(kInterval, 970);  // carol: the hub's 1000 Wh less 30 Wh of losses
  ASSERT_THAT(SettleThrough(kInterval), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult result, exchange_->GetIntervalResult(kInterval));
  ASSERT_TRUE(result.has_settlement_index());
  const v1::Bill* storage = nullptr;
  for (const v1::Bill& bill : result.settlement().bills()) {
    if (bill.participant_id() == "store-1") storage = &bill;
  }
  ASSERT_NE(storage, nullptr);
  EXPECT_FALSE(storage->estimated());  // settled on its read, not estimated
  EXPECT_EQ(storage->import_wh(), 200);
  EXPECT_EQ(storage->export_wh(), 50);
  EXPECT_TRUE(Balance().empty());
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  EXPECT_EQ(report.failure_count, 0u) << audit::AuditReportText(report);
  EXPECT_EQ(report.counts[static_cast<size_t>(audit::AuditCheck::kEnergyBalance)].verified, 2u)
      << "both hubs' balances checked";
}

TEST_F(EnergyBalanceTest, AMeterReadingFivePercentMoreThanItsHubSawRaisesAndFailsTheAudit) {
  Reads(kInterval, 970);
  Reads(kInterval + 900, 1050);  // carol's meter: 5 % more than hub-2's grid read
  Reads(kInterval + 1800, 970);
  ASSERT_THAT(SettleThrough(kInterval + 1800), IsOk());
  const std::vector<v1::Alarm> alarms = Balance();
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].hub_id(), "hub-2");
  EXPECT_THAT(alarms[0].message(),
              HasSubstr(absl::StrCat("interval ", kInterval + 900, ": hub hub-2's grid read")));
  EXPECT_THAT(alarms[0].message(), HasSubstr("residual -50 Wh outside [0, 30] Wh"));

  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  ASSERT_EQ(report.failure_count, 1u) << audit::AuditReportText(report);
  const audit::AuditFailure& failure = report.failures[0];
  EXPECT_EQ(failure.check, audit::AuditCheck::kEnergyBalance);
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult result, exchange_->GetIntervalResult(kInterval + 900));
  EXPECT_EQ(failure.index, result.settlement_index().value());
  EXPECT_THAT(failure.reason, HasSubstr(absl::StrCat("interval ", kInterval + 900, ": hub hub-2")));
  EXPECT_THAT(failure.reason, HasSubstr("residual -50 Wh"));
}

TEST_F(EnergyBalanceTest, IncompleteReadsAreNotJudged) {
  // bank-b never reported: the storage participant's read is MISSING, so
  // hub-1's balance is not checked (and store-1 settles ESTIMATED).
  telemetry_.Read(kInterval, "alice", 0, 1200);
  telemetry_.Read(kInterval, "bob", 900, 0);
  telemetry_.BankRead(kInterval, "hub-1", "bank-a", 5'000, 0);
  telemetry_.GridRead(kInterval, "hub-1", 0, 120);
  ASSERT_THAT(SettleThrough(kInterval), IsOk());
  EXPECT_TRUE(Balance().empty());
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult result, exchange_->GetIntervalResult(kInterval));
  for (const v1::Bill& bill : result.settlement().bills()) {
    if (bill.participant_id() == "store-1") {
      EXPECT_TRUE(bill.estimated());
    }
  }
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  EXPECT_EQ(report.failure_count, 0u) << audit::AuditReportText(report);
}

TEST_F(EnergyBalanceTest, ALossBoundOutsideItsRangeIsRefusedAtRegistration) {
  v1::Hub hub;
  hub.set_hub_id("hub-3");
  hub.set_zone_id("jeju-1");
  hub.set_reporting_period_s(5);
  hub.set_max_loss_ppm(500'000);
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.max_loss_ppm 500000")));
}

}  // namespace
}  // namespace peergrid
