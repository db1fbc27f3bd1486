// The audit of empty runs (EmptyIntervals entries): a run that follows the
// simulated market's last clearing passes, with a correction of one of its
// intervals; runs that overlap, skip intervals, cover an interval with an
// order, or are recorded too early fail naming the run's entry.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/matching/settlement.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::audit {
namespace {

using ::testing::HasSubstr;
using testing::SimEntry;
using testing::SimOptions;
using testing::SimulatedMarket;

constexpr int kSimIntervals = 8;
constexpr int64_t kRunIntervals = 1000;

class AuditEmptyRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("audit_empty_run");
    options_.seed = 11;
    options_.intervals = kSimIntervals;
    entries_ = SimulatedMarket(options_).Generate();
  }

  // Returns interval n of the simulated zone (n ≥ kSimIntervals: after it).
  int64_t Interval(int64_t n) const {
    return options_.first_interval + n * options_.timing.interval_s;
  }

  static SimEntry Entry(const v1::LedgerEntry& entry, bool checkpoint_after = true) {
    return {entry.SerializeAsString(), false, checkpoint_after, entry.kind_case()};
  }

  // Returns the run [Interval(first), Interval(last)] as the exchange would
  // record it, right when the last settlement is due.
  SimEntry Run(int64_t first, int64_t last) const {
    v1::LedgerEntry entry;
    entry.set_recorded_at_unix_ms(options_.timing.SettlementDue(Interval(last)) * 1000);
    v1::EmptyIntervals* run = entry.mutable_empty_intervals();
    run->set_first_interval_start(Interval(first));
    run->set_last_interval_start(Interval(last));
    run->set_interval_s(options_.timing.interval_s);
    *run->mutable_tariff() = SimulatedMarket::Tariff();
    return Entry(entry);
  }

  // Returns a correction of Interval(n) (in the run at `run_index`) with one read.
  SimEntry Correction(int64_t n, uint64_t run_index, int64_t at_ms) const {
    const int64_t start = Interval(n);
    const matching::MeterRead read{ParticipantId(SimulatedMarket::ParticipantId(0, 1)),
                                   EnergyWh(1200), EnergyWh(0), matching::ReadQuality::kOk};
    matching::ClearingResult nothing;
    nothing.interval_start = start;
    matching::SettlementResult result =
        matching::Settle(start, convert::FromProto(SimulatedMarket::Tariff()).value(), nothing,
                         {read})
            .value();
    v1::LedgerEntry entry;
    entry.set_recorded_at_unix_ms(at_ms);
    v1::SettlementCorrected* correction = entry.mutable_settlement_corrected();
    correction->set_corrects_index(run_index);
    v1::IntervalSettled* settled = correction->mutable_settlement();
    settled->set_interval_start(start);
    *settled->mutable_tariff() = SimulatedMarket::Tariff();
    *settled->add_meter_reads() = convert::ToProto(read);
    *settled->mutable_result() = convert::ToProto(result);
    settled->set_clearing_index(run_index);
    return Entry(entry);
  }

  // Returns an order of household (0, 0) for Interval(n), accepted an hour
  // before its gate closed.
  SimEntry OrderFor(int64_t n) const {
    v1::LedgerEntry entry;
    const int64_t at_ms = (options_.timing.GateClosure(Interval(n)) - 3600) * 1000;
    entry.set_recorded_at_unix_ms(at_ms);
    v1::OrderAccepted* accepted = entry.mutable_order_accepted();
    v1::Order* order = accepted->mutable_order();
    order->set_order_id("o-in-the-run");
    order->set_participant_id(SimulatedMarket::ParticipantId(0, 0));
    order->set_side(v1::SELL);
    order->set_quantity_wh(100);
    order->set_limit_price_mcu_per_kwh(90'000);
    order->set_interval_start(Interval(n));
    accepted->set_accepted_at_unix_ms(at_ms);
    return Entry(entry, /*checkpoint_after=*/false);
  }

  AuditReport Audit(const std::vector<SimEntry>& entries) {
    // A fresh directory each time: WriteExport appends to the ledger it finds.
    const std::string dir = absl::StrCat(dir_, "/", audits_++);
    std::filesystem::create_directories(dir);
    absl::StatusOr<std::string> out = testing::WriteExport(entries, dir, signer_);
    EXPECT_OK(out);
    absl::StatusOr<AuditReport> report = AuditExport(*out, signer_.verifier(), AuditOptions{});
    EXPECT_OK(report);
    return report.ok() ? *report : AuditReport{};
  }

  static void ExpectFirstFailure(const AuditReport& report, AuditCheck check, uint64_t index,
                                 absl::string_view reason) {
    ASSERT_FALSE(report.ok()) << AuditReportText(report);
    const AuditFailure* first = report.first_failure();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(AuditCheckName(first->check), AuditCheckName(check)) << AuditReportText(report);
    EXPECT_EQ(first->index, index) << AuditReportText(report);
    EXPECT_THAT(first->reason, HasSubstr(std::string(reason))) << AuditReportText(report);
  }

  std::string dir_;
  int audits_ = 0;
  SimOptions options_;
  ledger::Signer signer_ = testing::TestSigner('e');
  std::vector<SimEntry> entries_;
};

TEST_F(AuditEmptyRunTest, ARunAfterTheLastClearingPassesWithACorrectionOfOneOfItsIntervals) {
  const uint64_t run = entries_.size();
  entries_.push_back(Run(kSimIntervals, kSimIntervals + kRunIntervals - 1));
  const int64_t corrected = kSimIntervals + kRunIntervals - 3;
  entries_.push_back(
      Correction(corrected, run, options_.timing.SettlementDue(Interval(corrected + 3)) * 1000));
  // The interval after the run clears and settles as usual.
  AuditReport report = Audit(entries_);
  ASSERT_TRUE(report.ok()) << AuditReportText(report);
  EXPECT_EQ(report.empty_runs, 1u);
  EXPECT_EQ(report.empty_intervals, static_cast<uint64_t>(kRunIntervals));
  EXPECT_EQ(report.intervals_cleared, kSimIntervals + kRunIntervals);
  EXPECT_EQ(report.intervals_settled, kSimIntervals + kRunIntervals);
  EXPECT_EQ(report.counts[static_cast<size_t>(AuditCheck::kEmptyIntervals)].verified, 1u);
  EXPECT_THAT(report.last_interval,
              ::testing::Optional(Interval(kSimIntervals + kRunIntervals - 1)));
  EXPECT_THAT(AuditReportText(report), HasSubstr("1000 of them empty, in 1 run(s)"));
  EXPECT_THAT(AuditReportJson(report), HasSubstr("\"empty_intervals\": 1000"));
}

TEST_F(AuditEmptyRunTest, ARunThatOverlapsAClearingFails) {
  const uint64_t run = entries_.size();
  entries_.push_back(Run(kSimIntervals - 1, kSimIntervals + 10));
  ExpectFirstFailure(Audit(entries_), AuditCheck::kEmptyIntervals, run,
                     absl::StrCat("interval ", Interval(kSimIntervals - 1), " of the run"));
}

TEST_F(AuditEmptyRunTest, ARunThatOverlapsAnotherRunFails) {
  entries_.push_back(Run(kSimIntervals, kSimIntervals + 10));
  const uint64_t second = entries_.size();
  entries_.push_back(Run(kSimIntervals + 5, kSimIntervals + 20));
  ExpectFirstFailure(Audit(entries_), AuditCheck::kEmptyIntervals, second,
                     absl::StrCat("interval ", Interval(kSimIntervals + 5), " of the run [",
                                  Interval(kSimIntervals + 5)));
}

TEST_F(AuditEmptyRunTest, ARunThatSkipsIntervalsFails) {
  const uint64_t run = entries_.size();
  entries_.push_back(Run(kSimIntervals + 2, kSimIntervals + 10));
  ExpectFirstFailure(Audit(entries_), AuditCheck::kEmptyIntervals, run,
                     absl::StrCat("skips intervals [", Interval(kSimIntervals), ", ",
                                  Interval(kSimIntervals + 1), "]"));
}

TEST_F(AuditEmptyRunTest, ARunOverAnIntervalWithAnOrderFails) {
  const uint64_t order = entries_.size();
  entries_.push_back(OrderFor(kSimIntervals + 500));
  const uint64_t run = entries_.size();
  entries_.push_back(Run(kSimIntervals, kSimIntervals + kRunIntervals - 1));
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kEmptyIntervals, run,
                     absl::StrCat("interval ", Interval(kSimIntervals + 500),
                                  " has 1 accepted order(s) (the first at entry ", order, ")"));
}

TEST_F(AuditEmptyRunTest, AnOrderOrClearingAfterARunForOneOfItsIntervalsFails) {
  const uint64_t run = entries_.size();
  entries_.push_back(Run(kSimIntervals, kSimIntervals + kRunIntervals - 1));
  // An order accepted "before its gate" but recorded after the run cleared it.
  const uint64_t late = entries_.size();
  entries_.push_back(OrderFor(kSimIntervals + 10));
  v1::LedgerEntry clearing;
  clearing.set_recorded_at_unix_ms(options_.timing.GateClosure(Interval(kSimIntervals + 20)) *
                                   1000);
  clearing.mutable_interval_cleared()->mutable_result()->set_interval_start(
      Interval(kSimIntervals + 20));
  const uint64_t twice = entries_.size();
  entries_.push_back(Entry(clearing));
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kOrderAcceptance, late,
                     absl::StrCat("recorded after that interval's clearing (entry ", run, ")"));
  EXPECT_TRUE(report.HasFailure(AuditCheck::kClearing, twice)) << AuditReportText(report);
  EXPECT_THAT(AuditReportText(report),
              HasSubstr(absl::StrCat("cleared twice (first at entry ", run, ")")));
}

TEST_F(AuditEmptyRunTest, ARunRecordedBeforeItsLastSettlementWasDueFails) {
  const uint64_t run = entries_.size();
  entries_.push_back(testing::Edited(
      Run(kSimIntervals, kSimIntervals + 10),
      [](v1::LedgerEntry& e) { e.set_recorded_at_unix_ms(e.recorded_at_unix_ms() - 1); }));
  ExpectFirstFailure(Audit(entries_), AuditCheck::kEmptyIntervals, run,
                     "before the settlement of its last interval was due");
}

TEST_F(AuditEmptyRunTest, ARunUnderAnotherTariffOrMalformedFails) {
  std::vector<SimEntry> tariff = entries_;
  const uint64_t run = tariff.size();
  tariff.push_back(testing::Edited(Run(kSimIntervals, kSimIntervals + 10), [](v1::LedgerEntry& e) {
    e.mutable_empty_intervals()->mutable_tariff()->set_retail_price_mcu_per_kwh(1);
  }));
  ExpectFirstFailure(Audit(tariff), AuditCheck::kEmptyIntervals, run, "is not the one in force");
  entries_.push_back(testing::Edited(
      Run(kSimIntervals, kSimIntervals + 10),
      [](v1::LedgerEntry& e) { e.mutable_empty_intervals()->set_interval_s(450); }));
  ExpectFirstFailure(Audit(entries_), AuditCheck::kEmptyIntervals, run, "interval_s 450");
}

TEST_F(AuditEmptyRunTest, ACorrectionMustNameTheRun) {
  const uint64_t run = entries_.size();
  entries_.push_back(Run(kSimIntervals, kSimIntervals + 10));
  const uint64_t correction = entries_.size();
  entries_.push_back(testing::Edited(
      Correction(kSimIntervals + 4, run,
                 options_.timing.SettlementDue(Interval(kSimIntervals + 10)) * 1000),
      [](v1::LedgerEntry& e) { e.mutable_settlement_corrected()->set_corrects_index(3); }));
  ExpectFirstFailure(Audit(entries_), AuditCheck::kSettlement, correction,
                     absl::StrCat("the interval's latest settlement is entry ", run));
}

}  // namespace
}  // namespace peergrid::audit
