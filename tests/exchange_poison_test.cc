// One bad participant never stops the market (DESIGN.md §9). Each poison is
// planted where a forged report or an old exchange would have left it before
// input bounds existed — a read of 10^15 Wh, a read of quality 7 in the
// telemetry, an order no book may hold and entries that cannot be applied in
// the ledger — and the next intervals still clear and settle, the exchange
// reopens on the same ledger, and the audit sees the ledger as it is.
// Scheduled work that fails is retried with backoff without blocking the
// intervals after it, and the exchange says it is stuck until it recovers.
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'782'000'000;  // 2026-06-21 00:00 UTC, aligned to 900 s
constexpr int64_t kInterval = kStart + 3600;

class ExchangePoisonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("exchange_poison");
    Reopen();
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id("jeju-1");
    hub.set_reporting_period_s(5);
    ASSERT_THAT(exchange_->RegisterHub(hub), IsOk());
    for (const char* id : {"alice", "bob", "carol"}) {
      v1::Participant p;
      p.set_participant_id(id);
      p.set_hub_id("hub-1");
      p.set_kind(v1::HOUSEHOLD);
      p.set_pv_nameplate_w(std::string(id) == "alice" ? 8000 : 0);
      ASSERT_THAT(exchange_->RegisterParticipant(p), IsOk());
    }
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(50'000);
    tariff.set_retail_price_mcu_per_kwh(200'000);
    ASSERT_THAT(exchange_->SetTariff(tariff), IsOk());
    telemetry_.Report("hub-1", kStart * 1000);
  }

  void Reopen() {
    exchange_.reset();
    ledger_.reset();
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = "peergrid/jeju-1";
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Open(dir_ + "/ledger", ledger_options));
    exchange::ExchangeOptions options;
    options.zone_id = "jeju-1";
    ASSERT_OK_AND_ASSIGN(exchange_,
                         exchange::Exchange::Open(ledger_.get(), &telemetry_, &clock_, options));
  }

  // Alice sells 1000 Wh to bob in `interval`.
  void Trade(int64_t interval, const std::string& tag) {
    for (auto [who, side, price] :
         {std::tuple{"alice", v1::SELL, 100'000}, std::tuple{"bob", v1::BUY, 150'000}}) {
      v1::SubmitOrderRequest request;
      v1::Order* o = request.mutable_order();
      o->set_order_id(absl::StrCat(tag, "-", who));
      o->set_participant_id(who);
      o->set_side(side);
      o->set_quantity_wh(1000);
      o->set_limit_price_mcu_per_kwh(price);
      o->set_interval_start(interval);
      ASSERT_THAT(exchange_->SubmitOrder(request), IsOk());
    }
  }

  // Moves the clock to `t`, the hub reports, and runs what is due.
  absl::StatusOr<int> RunAt(int64_t t) {
    clock_.Set(absl::FromUnixSeconds(t));
    telemetry_.Report("hub-1", t * 1000);
    return exchange_->RunDue();
  }

  static int64_t SettleDue(int64_t interval) { return MarketTiming().SettlementDue(interval); }

  v1::IntervalResult Result(int64_t interval) {
    absl::StatusOr<v1::IntervalResult> result = exchange_->GetIntervalResult(interval);
    EXPECT_THAT(result, IsOk());
    return result.value_or(v1::IntervalResult());
  }

  static const v1::Bill* BillOf(const v1::IntervalResult& result, const std::string& who) {
    for (const v1::Bill& bill : result.settlement().bills()) {
      if (bill.participant_id() == who) return &bill;
    }
    return nullptr;
  }

  std::vector<v1::Alarm> AlarmsOf(v1::AlarmKind kind) {
    std::vector<v1::Alarm> out;
    for (const v1::Alarm& alarm : exchange_->RecentAlarms()) {
      if (alarm.kind() == kind) out.push_back(alarm);
    }
    return out;
  }

  absl::StatusOr<audit::AuditReport> Audit() {
    return audit::testing::CheckpointExportAndAudit(ledger_.get(),
                                                    dir_ + "/export-" + std::to_string(++exports_));
  }

  // Appends `entry` to the ledger behind the exchange's back (it is closed).
  uint64_t Plant(const std::string& bytes) {
    exchange_.reset();
    absl::StatusOr<uint64_t> index = ledger_->Append(bytes);
    EXPECT_THAT(index, IsOk());
    return index.value_or(0);
  }

  std::string dir_;
  int exports_ = 0;
  ManualClock clock_{absl::FromUnixSeconds(kStart)};
  ::peergrid::testing::InMemoryTelemetry telemetry_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<exchange::Exchange> exchange_;
};

TEST_F(ExchangePoisonTest, UnusableReadsSettleEstimatedAndTheMarketGoesOn) {
  Trade(kInterval, "a");
  Trade(kInterval + 900, "b");
  // bob's forged read: 10^15 Wh, quality OK. carol's: quality 7.
  v1::IntervalRead forged;
  forged.set_interval_start(kInterval);
  forged.set_import_wh(1'000'000'000'000'000);
  forged.set_quality(v1::OK);
  telemetry_.PlantRead(kInterval, "bob", forged);
  v1::IntervalRead odd;
  odd.set_interval_start(kInterval);
  odd.set_import_wh(300);
  odd.set_quality(static_cast<v1::ReadQuality>(7));
  telemetry_.PlantRead(kInterval, "carol", odd);
  telemetry_.Read(kInterval, "alice", 0, 1000);
  for (const char* who : {"alice", "bob", "carol"}) telemetry_.Read(kInterval + 900, who, 100, 0);

  ASSERT_THAT(RunAt(SettleDue(kInterval)), IsOk());
  v1::IntervalResult settled = Result(kInterval);
  ASSERT_TRUE(settled.has_settlement_index());
  ASSERT_NE(BillOf(settled, "bob"), nullptr);
  EXPECT_TRUE(BillOf(settled, "bob")->estimated());
  EXPECT_EQ(BillOf(settled, "bob")->import_wh(), 0);
  ASSERT_NE(BillOf(settled, "carol"), nullptr);
  EXPECT_TRUE(BillOf(settled, "carol")->estimated());
  EXPECT_FALSE(BillOf(settled, "alice")->estimated());
  EXPECT_EQ(BillOf(settled, "alice")->export_wh(), 1000);
  const std::vector<v1::Alarm> alarms = AlarmsOf(v1::METER_READ_UNUSABLE);
  ASSERT_EQ(alarms.size(), 2u);
  EXPECT_THAT(alarms[0].message(),
              HasSubstr("participant bob is unusable (settled ESTIMATED): participant bob: "
                        "import_wh 1000000000000000 is outside"));
  EXPECT_EQ(alarms[0].hub_id(), "hub-1");
  EXPECT_THAT(alarms[1].message(), HasSubstr("participant carol"));
  EXPECT_THAT(alarms[1].message(), HasSubstr("quality"));
  EXPECT_FALSE(exchange_->GetSchedulerHealth().stuck);

  // The next interval clears and settles; a restart on the same ledger (and
  // the same poisoned telemetry) comes up and goes on, with no correction loop.
  ASSERT_THAT(RunAt(SettleDue(kInterval + 900)), IsOk());
  EXPECT_TRUE(Result(kInterval + 900).has_settlement_index());
  const uint64_t size = ledger_->Size();
  Reopen();
  ASSERT_THAT(RunAt(SettleDue(kInterval + 1800) + 3600), IsOk());
  EXPECT_TRUE(Result(kInterval + 1800).has_settlement_index());
  EXPECT_FALSE(Result(kInterval).settlement().bills().empty());
  EXPECT_GT(ledger_->Size(), size);
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  EXPECT_TRUE(report.ok()) << audit::AuditReportText(report);
  EXPECT_GE(report.intervals_settled, 3u);
}

TEST_F(ExchangePoisonTest, AnOrderNoBookMayHoldIsLeftOutOfItsClearing) {
  Trade(kInterval, "a");
  // An order recorded before input bounds existed: 2·10^9 Wh.
  v1::LedgerEntry entry;
  entry.set_recorded_at_unix_ms(kStart * 1000 + 5);
  v1::OrderAccepted* accepted = entry.mutable_order_accepted();
  v1::Order* order = accepted->mutable_order();
  order->set_order_id("huge");
  order->set_participant_id("carol");
  order->set_side(v1::BUY);
  order->set_quantity_wh(2'000'000'000);
  order->set_limit_price_mcu_per_kwh(150'000);
  order->set_interval_start(kInterval);
  accepted->set_accepted_at_unix_ms(kStart * 1000 + 5);
  const uint64_t planted = Plant(entry.SerializeAsString());
  Reopen();
  Trade(kInterval + 900, "b");
  ASSERT_THAT(RunAt(SettleDue(kInterval + 900)), IsOk());
  const v1::IntervalResult cleared = Result(kInterval);
  EXPECT_EQ(cleared.clearing().volume_wh(), 1000);  // alice to bob, without the huge order
  EXPECT_EQ(cleared.order_count(), 2);
  EXPECT_TRUE(cleared.has_settlement_index());
  EXPECT_TRUE(Result(kInterval + 900).has_settlement_index());
  const std::vector<v1::Alarm> alarms = AlarmsOf(v1::ORDER_UNUSABLE);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_THAT(alarms[0].message(), HasSubstr(absl::StrCat("ledger index ", planted)));
  EXPECT_THAT(alarms[0].message(), HasSubstr("quantity_wh 2000000000"));
  // The audit reports the planted order, and nothing else.
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  EXPECT_EQ(report.failure_count, 1u) << audit::AuditReportText(report);
  ASSERT_NE(report.first_failure(), nullptr);
  EXPECT_EQ(report.first_failure()->index, planted);
  EXPECT_EQ(report.first_failure()->check, audit::AuditCheck::kOrderAcceptance);
}

TEST_F(ExchangePoisonTest, StartupSkipsEntriesItCannotApply) {
  Trade(kInterval, "a");
  const uint64_t garbage = Plant(std::string("\xff\xff\xff", 3));
  v1::LedgerEntry cancel;
  cancel.set_recorded_at_unix_ms(kStart * 1000 + 7);
  cancel.mutable_order_cancelled()->set_order_id("never-placed");
  cancel.mutable_order_cancelled()->set_participant_id("bob");
  cancel.mutable_order_cancelled()->set_interval_start(kInterval);
  const uint64_t unknown = Plant(cancel.SerializeAsString());
  Reopen();  // today: DataLoss, and the exchange never starts again
  EXPECT_THAT(exchange_->GetZone().skipped_ledger_indices(), ElementsAre(garbage, unknown));
  const std::vector<v1::Alarm> alarms = AlarmsOf(v1::LEDGER_ENTRY_SKIPPED);
  ASSERT_EQ(alarms.size(), 2u);
  EXPECT_THAT(alarms[0].message(), HasSubstr(absl::StrCat("ledger entry ", garbage)));
  EXPECT_THAT(alarms[1].message(), HasSubstr("never-placed"));
  // The market goes on: the interval clears (alice to bob) and settles.
  ASSERT_THAT(RunAt(SettleDue(kInterval)), IsOk());
  EXPECT_EQ(Result(kInterval).clearing().volume_wh(), 1000);
  EXPECT_TRUE(Result(kInterval).has_settlement_index());
  // The audit sees the ledger as it is: exactly the two planted entries fail.
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  EXPECT_EQ(report.failure_count, 2u) << audit::AuditReportText(report);
  ASSERT_EQ(report.failures.size(), 2u);
  EXPECT_EQ(report.failures[0].index, garbage);
  EXPECT_EQ(report.failures[1].index, unknown);
}

TEST_F(ExchangePoisonTest, FailingSettlementIsRetriedWithBackoffWithoutBlockingTheNext) {
  Trade(kInterval, "a");
  Trade(kInterval + 900, "b");
  telemetry_.FailReads(kInterval, absl::DataLossError("interval read i/x/bob does not parse"));
  const int64_t due = SettleDue(kInterval);
  EXPECT_THAT(RunAt(due), ::peergrid::testing::StatusIs(absl::StatusCode::kDataLoss,
                                                        HasSubstr("does not parse")));
  exchange::SchedulerHealth health = exchange_->GetSchedulerHealth();
  EXPECT_TRUE(health.stuck);
  EXPECT_THAT(health.reason,
              HasSubstr(absl::StrCat("settlement of interval ", kInterval, " has failed 1 times")));
  EXPECT_THAT(health.reason, HasSubstr("does not parse"));
  EXPECT_EQ(exchange_->GetZone().scheduler_problem(), health.reason);
  ASSERT_EQ(AlarmsOf(v1::SCHEDULED_WORK_FAILING).size(), 1u);
  // Not retried before its backoff (1 s), retried after it (then 2 s).
  EXPECT_THAT(RunAt(due), IsOk());
  EXPECT_THAT(exchange_->GetSchedulerHealth().reason, HasSubstr("failed 1 times"));
  EXPECT_EQ(exchange_->NextDueUnixSeconds(), due + 1);
  EXPECT_FALSE(RunAt(due + 1).ok());
  EXPECT_THAT(exchange_->GetSchedulerHealth().reason, HasSubstr("failed 2 times"));
  EXPECT_EQ(exchange_->NextDueUnixSeconds(), due + 3);
  // The intervals after it clear and settle meanwhile.
  EXPECT_FALSE(RunAt(SettleDue(kInterval + 900)).ok());
  EXPECT_EQ(Result(kInterval + 900).clearing().volume_wh(), 1000);
  EXPECT_TRUE(Result(kInterval + 900).has_settlement_index());
  EXPECT_FALSE(Result(kInterval).has_settlement_index());
  // A restart remembers the unsettled interval; once the reads are readable
  // it settles and the scheduler is healthy again.
  Reopen();
  telemetry_.FailReads(kInterval, absl::OkStatus());
  ASSERT_THAT(RunAt(SettleDue(kInterval + 900) + 60), IsOk());
  EXPECT_TRUE(Result(kInterval).has_settlement_index());
  EXPECT_FALSE(exchange_->GetSchedulerHealth().stuck);
  EXPECT_EQ(exchange_->GetZone().scheduler_problem(), "");
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  EXPECT_TRUE(report.ok()) << audit::AuditReportText(report);
}

}  // namespace
}  // namespace peergrid
