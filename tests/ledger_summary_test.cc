// The demo's market figures come from the ledger and reconcile with the
// audit (issue 13, "a summary that reconciles"): a real exchange trades,
// cancels, clears, settles (storage on its bank meter, a correction when a
// late read lands) and catches up an empty run; community::SummarizeLedger's
// counts then equal the audit's, households' bills are apart from storage's,
// and the price range and the hubs' energy balance are the recorded ones.
#include "peergrid/community/ledger_summary.h"

#include <memory>
#include <string>
#include <vector>

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

constexpr int64_t kStart = 1'782'000'000;  // 2026-06-21 00:00 UTC, aligned to 900 s
constexpr int64_t kInterval = kStart + 3600;

class LedgerSummaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("ledger_summary");
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = "peergrid/jeju-1";
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Open(dir_ + "/ledger", ledger_options));
    exchange::ExchangeOptions options;
    options.zone_id = "jeju-1";
    ASSERT_OK_AND_ASSIGN(exchange_,
                         exchange::Exchange::Open(ledger_.get(), &telemetry_, &clock_, options));
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id("jeju-1");
    hub.set_reporting_period_s(5);
    ASSERT_THAT(exchange_->RegisterHub(hub), IsOk());
    for (const char* id : {"alice", "bob"}) {
      v1::Participant p;
      p.set_participant_id(id);
      p.set_hub_id("hub-1");
      p.set_kind(v1::HOUSEHOLD);
      p.set_pv_nameplate_w(std::string(id) == "alice" ? 8000 : 0);
      ASSERT_THAT(exchange_->RegisterParticipant(p), IsOk());
    }
    v1::Participant storage;
    storage.set_participant_id("store");
    storage.set_hub_id("hub-1");
    storage.set_kind(v1::SHARED_STORAGE);
    storage.add_storage_bank_ids("bank-1");
    ASSERT_THAT(exchange_->RegisterParticipant(storage), IsOk());
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(50'000);
    tariff.set_retail_price_mcu_per_kwh(200'000);
    ASSERT_THAT(exchange_->SetTariff(tariff), IsOk());
    telemetry_.Report("hub-1", kStart * 1000);
  }

  void Order(const std::string& id, const std::string& who, v1::Side side, int64_t price,
             int64_t interval) {
    v1::SubmitOrderRequest request;
    v1::Order* o = request.mutable_order();
    o->set_order_id(id);
    o->set_participant_id(who);
    o->set_side(side);
    o->set_quantity_wh(1000);
    o->set_limit_price_mcu_per_kwh(price);
    o->set_interval_start(interval);
    ASSERT_THAT(exchange_->SubmitOrder(request), IsOk());
  }

  void RunAt(int64_t t) {
    clock_.Set(absl::FromUnixSeconds(t));
    telemetry_.Report("hub-1", t * 1000);
    ASSERT_THAT(exchange_->RunDue(), IsOk());
  }

  std::string dir_;
  ManualClock clock_{absl::FromUnixSeconds(kStart)};
  ::peergrid::testing::InMemoryTelemetry telemetry_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<exchange::Exchange> exchange_;
};

TEST_F(LedgerSummaryTest, TheFiguresEqualTheAuditsAndSplitHouseholdsFromStorage) {
  // Two trading intervals at different prices, one cancel.
  Order("a1", "alice", v1::SELL, 100'000, kInterval);
  Order("b1", "bob", v1::BUY, 150'000, kInterval);
  Order("a2", "alice", v1::SELL, 60'000, kInterval + 900);
  Order("b2", "bob", v1::BUY, 80'000, kInterval + 900);
  Order("x", "bob", v1::BUY, 80'000, kInterval + 1800);
  v1::CancelOrderRequest cancel;
  cancel.set_order_id("x");
  cancel.set_participant_id("bob");
  ASSERT_THAT(exchange_->CancelOrder(cancel), IsOk());
  for (int64_t s : {kInterval, kInterval + 900}) {
    telemetry_.Read(s, "alice", 0, 1200);
    telemetry_.Read(s, "bob", 1100, 0);
    telemetry_.BankRead(s, "hub-1", "bank-1", 150, 0);
    telemetry_.GridRead(s, "hub-1", 60, 0);  // −1200 + 1100 + 150 = 50: 10 Wh lost
  }
  RunAt(MarketTiming().SettlementDue(kInterval + 900));
  // The third interval (its only order cancelled) settles on alice's read
  // alone: hub-1's balance there is incomplete and not counted.
  telemetry_.Read(kInterval + 1800, "alice", 0, 10);
  RunAt(MarketTiming().SettlementDue(kInterval + 1800) + 900);
  exchange_.reset();

  ASSERT_OK_AND_ASSIGN(audit::AuditReport report,
                       audit::testing::CheckpointExportAndAudit(ledger_.get(), dir_ + "/export"));
  ASSERT_TRUE(report.ok()) << audit::AuditReportText(report);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> entries, ledger_->GetEntries(0, ledger_->Size()));
  ASSERT_OK_AND_ASSIGN(community::LedgerSummary summary, community::SummarizeLedger(entries));

  EXPECT_EQ(summary.entries, report.entries);
  EXPECT_EQ(summary.orders, report.orders);
  EXPECT_EQ(summary.orders, 5u);
  EXPECT_EQ(summary.cancellations, report.cancellations);
  EXPECT_EQ(summary.cancellations, 1u);
  EXPECT_EQ(summary.intervals_cleared, report.intervals_cleared);
  EXPECT_EQ(summary.intervals_settled, report.intervals_settled);
  EXPECT_EQ(summary.corrections, report.corrections);
  EXPECT_EQ(summary.fills, report.fills);
  EXPECT_EQ(summary.p2p_traded_wh, 2000);
  ASSERT_TRUE(summary.min_price_mcu_per_kwh && summary.max_price_mcu_per_kwh);
  EXPECT_EQ(*summary.min_price_mcu_per_kwh, 70'000);  // (80 000 + 60 000) / 2
  EXPECT_EQ(summary.min_price_interval, kInterval + 900);
  EXPECT_EQ(*summary.max_price_mcu_per_kwh, 125'000);
  EXPECT_EQ(summary.max_price_interval, kInterval);
  EXPECT_EQ(summary.households.participants, 2);
  EXPECT_EQ(summary.storage.participants, 1);
  // The store bought 150 Wh from the grid each interval: it pays retail.
  EXPECT_EQ(summary.storage.bills_ucu, 2 * 150 * 200'000);  // Wh × mcu/kWh = µcu
  EXPECT_EQ(summary.households.bills_ucu + summary.storage.bills_ucu + summary.grid_line_ucu, 0);
  EXPECT_GT(summary.households.savings_ucu(), 0);
  EXPECT_EQ(summary.balances_checked, 2);
  EXPECT_EQ(summary.balances_failed, 0);
  EXPECT_EQ(summary.losses_wh, 20);
}

TEST(LedgerSummaryParseTest, AnEntryThatDoesNotParseIsNamed) {
  EXPECT_THAT(community::SummarizeLedger({std::string("\xff\xff\xff", 3)}),
              ::peergrid::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                            ::testing::HasSubstr("ledger entry 0")));
}

}  // namespace
}  // namespace peergrid
