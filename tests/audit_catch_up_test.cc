// An exchange restarted after 5,000 missed intervals (issue 13 item 6): the
// ledger it writes while catching up holds one entry per run of empty
// intervals, the audit passes on it (a late read in a run corrected too), and
// the same ledger with a run stretched over the traded interval — re-signed,
// so only the business rules can tell — fails naming the run.
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/testing/in_memory_telemetry.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kStart = 1'782'000'000;  // aligned to 900 s
constexpr int64_t kOutage = 5000;          // intervals
constexpr int64_t kTraded = kStart + 3600;

class AuditCatchUpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::FreshTempDir("audit_catch_up"));
    clock_ = new ManualClock(absl::FromUnixSeconds(kStart));
    telemetry_ = new testing::InMemoryTelemetry();
    ledger::LedgerOptions options;
    options.origin = "peergrid/jeju-1";
    ASSERT_OK_AND_ASSIGN(log_, ledger::Ledger::Open(*dir_ + "/ledger", options));
    Open();
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id("jeju-1");
    hub.set_reporting_period_s(5);
    ASSERT_OK(exchange_->RegisterHub(hub));
    for (const char* id : {"alice", "bob"}) {
      v1::Participant p;
      p.set_participant_id(id);
      p.set_hub_id("hub-1");
      p.set_kind(v1::HOUSEHOLD);
      p.set_pv_nameplate_w(8000);
      ASSERT_OK(exchange_->RegisterParticipant(p));
    }
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(50'000);
    tariff.set_retail_price_mcu_per_kwh(200'000);
    ASSERT_OK(exchange_->SetTariff(tariff));
    telemetry_->Report("hub-1", kStart * 1000);
    for (const auto& [id, who, side] :
         {std::tuple{"s1", "alice", v1::SELL}, std::tuple{"b1", "bob", v1::BUY}}) {
      v1::SubmitOrderRequest request;
      v1::Order* o = request.mutable_order();
      o->set_order_id(id);
      o->set_participant_id(who);
      o->set_side(side);
      o->set_quantity_wh(1000);
      o->set_limit_price_mcu_per_kwh(side == v1::BUY ? 150'000 : 100'000);
      o->set_interval_start(kTraded);
      ASSERT_OK(exchange_->SubmitOrder(request).status());
    }
    telemetry_->Read(kTraded, "alice", 0, 1000);
    telemetry_->Read(kTraded, "bob", 1000, 0);
    // Down for 5,000 intervals, then restarted.
    Open();
    const int64_t now = kStart + kOutage * 900;
    clock_->Set(absl::FromUnixSeconds(now));
    before_catch_up_ = log_->Size();
    ASSERT_OK(exchange_->RunDue());
    after_catch_up_ = log_->Size();
    // The hub comes back and resends a read of an interval the run settled.
    telemetry_->Read(now - 10 * 900, "bob", 400, 0);
    for (int64_t t = now + 900; t <= now + 3 * 900; t += 900) {
      clock_->Set(absl::FromUnixSeconds(t));
      ASSERT_OK(exchange_->RunDue());
    }
    ASSERT_OK(exchange_->SignCheckpoint());
  }
  static void TearDownTestSuite() {
    exchange_.reset();
    log_.reset();
  }

  static void Open() {
    exchange_.reset();
    ASSERT_OK_AND_ASSIGN(exchange_, exchange::Exchange::Open(log_.get(), telemetry_, clock_,
                                                             exchange::ExchangeOptions{}));
  }

  // The ledger's entries, as the fixture writes them (a checkpoint after each).
  static std::vector<audit::testing::SimEntry> Entries() {
    std::vector<audit::testing::SimEntry> out;
    absl::StatusOr<std::vector<std::string>> all = log_->GetEntries(0, log_->Size());
    EXPECT_OK(all.status());
    for (const std::string& bytes : all.value_or(std::vector<std::string>{})) {
      v1::LedgerEntry entry;
      EXPECT_TRUE(entry.ParseFromString(bytes));
      out.push_back({bytes, false, true, entry.kind_case()});
    }
    return out;
  }

  static std::string* dir_;
  static ManualClock* clock_;
  static testing::InMemoryTelemetry* telemetry_;
  static std::unique_ptr<ledger::Ledger> log_;
  static std::unique_ptr<exchange::Exchange> exchange_;
  static uint64_t before_catch_up_, after_catch_up_;
};

std::string* AuditCatchUpTest::dir_ = nullptr;
ManualClock* AuditCatchUpTest::clock_ = nullptr;
testing::InMemoryTelemetry* AuditCatchUpTest::telemetry_ = nullptr;
std::unique_ptr<ledger::Ledger> AuditCatchUpTest::log_;
std::unique_ptr<exchange::Exchange> AuditCatchUpTest::exchange_;
uint64_t AuditCatchUpTest::before_catch_up_ = 0;
uint64_t AuditCatchUpTest::after_catch_up_ = 0;

TEST_F(AuditCatchUpTest, CatchingUpFiveThousandIntervalsTakesAHandfulOfEntries) {
  // Two runs around the traded interval, its clearing and settlement, and
  // the clearings of the two intervals whose settlement was not due yet.
  EXPECT_EQ(after_catch_up_ - before_catch_up_, 6u);
}

TEST_F(AuditCatchUpTest, TheCaughtUpLedgerPassesTheAudit) {
  const std::string out = *dir_ + "/export";
  ASSERT_OK(ledger::ExportLedger(*log_, out));
  ASSERT_OK_AND_ASSIGN(ledger::VerifierKey key, audit::ReadVerifierKeyFile(out + "/log.pub"));
  ASSERT_OK_AND_ASSIGN(audit::AuditReport r, audit::AuditExport(out, key, audit::AuditOptions{}));
  ASSERT_TRUE(r.ok()) << audit::AuditReportText(r);
  EXPECT_EQ(r.empty_runs, 2u);
  // Every interval from the zone's first (kStart + 900) to the latest due.
  EXPECT_EQ(r.intervals_cleared, static_cast<uint64_t>(kOutage + 3));
  EXPECT_EQ(r.intervals_settled, static_cast<uint64_t>(kOutage + 1));
  // All the missed ones but the traded interval and the two not yet due.
  EXPECT_EQ(r.empty_intervals, static_cast<uint64_t>(kOutage - 3));
  EXPECT_EQ(r.corrections, 1u);
  EXPECT_EQ(r.volume_wh, 1000);
  EXPECT_EQ(r.counts[static_cast<size_t>(audit::AuditCheck::kEmptyIntervals)].verified, 2u);
}

TEST_F(AuditCatchUpTest, ARunStretchedOverTheTradedIntervalFails) {
  std::vector<audit::testing::SimEntry> entries = Entries();
  const int64_t run = audit::testing::NthOfKind(entries, v1::LedgerEntry::kEmptyIntervals, 0);
  ASSERT_GE(run, 0);
  entries[run] = audit::testing::Edited(entries[run], [](v1::LedgerEntry& e) {
    e.mutable_empty_intervals()->set_last_interval_start(kTraded);
  });
  const std::string dir = *dir_ + "/tampered";
  std::filesystem::create_directories(dir);
  const ledger::Signer signer = audit::testing::TestSigner('t');
  ASSERT_OK_AND_ASSIGN(std::string out, audit::testing::WriteExport(entries, dir, signer));
  ASSERT_OK_AND_ASSIGN(audit::AuditReport r,
                       audit::AuditExport(out, signer.verifier(), audit::AuditOptions{}));
  ASSERT_FALSE(r.ok());
  const audit::AuditFailure* first = r.first_failure();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->index, static_cast<uint64_t>(run)) << audit::AuditReportText(r);
  EXPECT_EQ(audit::AuditCheckName(first->check), "empty_intervals");
  EXPECT_THAT(first->reason,
              HasSubstr(absl::StrCat("interval ", kTraded, " has 2 accepted order")));
  // The traded interval's own clearing is then a second one.
  EXPECT_THAT(audit::AuditReportText(r),
              HasSubstr(absl::StrCat("cleared twice (first at entry ", run, ")")));
}

}  // namespace
}  // namespace peergrid
