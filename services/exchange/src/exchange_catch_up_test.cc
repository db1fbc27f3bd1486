// Catching up after an outage: runs of empty intervals cost one ledger entry
// each, intervals with orders or reads keep their own entries, and health
// says how far the catch-up is.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/testing/in_memory_telemetry.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::exchange {
namespace {

using ::peergrid::testing::IsOk;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'782'000'000;  // aligned to 900 s
constexpr int64_t kOutageIntervals = 5000;

class ExchangeCatchUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("exchange_catch_up");
    Reopen();
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
      p.set_pv_nameplate_w(8000);
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
    ASSERT_OK_AND_ASSIGN(exchange_,
                         Exchange::Open(ledger_.get(), &telemetry_, &clock_, ExchangeOptions{}));
  }

  void Submit(const std::string& id, const std::string& who, v1::Side side, int64_t interval) {
    v1::SubmitOrderRequest request;
    v1::Order* o = request.mutable_order();
    o->set_order_id(id);
    o->set_participant_id(who);
    o->set_side(side);
    o->set_quantity_wh(1000);
    o->set_limit_price_mcu_per_kwh(side == v1::BUY ? 150'000 : 100'000);
    o->set_interval_start(interval);
    ASSERT_THAT(exchange_->SubmitOrder(request), IsOk());
  }

  // Returns the entries from `from` on, parsed.
  std::vector<v1::LedgerEntry> EntriesFrom(uint64_t from) {
    std::vector<v1::LedgerEntry> out;
    absl::StatusOr<std::vector<std::string>> bytes = ledger_->GetEntries(from, ledger_->Size());
    EXPECT_THAT(bytes.status(), IsOk());
    for (const std::string& b : bytes.value_or(std::vector<std::string>{})) {
      out.emplace_back();
      EXPECT_TRUE(out.back().ParseFromString(b));
    }
    return out;
  }

  static std::map<v1::LedgerEntry::KindCase, int> Kinds(const std::vector<v1::LedgerEntry>& es) {
    std::map<v1::LedgerEntry::KindCase, int> kinds;
    for (const v1::LedgerEntry& e : es) ++kinds[e.kind_case()];
    return kinds;
  }

  std::string dir_;
  ManualClock clock_{absl::FromUnixSeconds(kStart)};
  ::peergrid::testing::InMemoryTelemetry telemetry_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<Exchange> exchange_;
};

TEST_F(ExchangeCatchUpTest, RestartAfterAnOutageWritesOneEntryPerRunOfEmptyIntervals) {
  // The zone's first interval is kStart + 900. One interval has orders, one
  // (in the middle of the outage) a meter read: both keep their entries and
  // split the outage into three runs.
  const int64_t traded = kStart + 3600, metered = kStart + 2000 * 900;
  Submit("s1", "alice", v1::SELL, traded);
  Submit("b1", "bob", v1::BUY, traded);
  telemetry_.Read(metered, "alice", 0, 700);
  Reopen();  // as after a crash, then down for 5,000 intervals
  const int64_t now = kStart + kOutageIntervals * 900;
  clock_.Set(absl::FromUnixSeconds(now));
  const uint64_t before = ledger_->Size();
  ASSERT_OK_AND_ASSIGN(int ran, exchange_->RunDue());

  const std::vector<v1::LedgerEntry> written = EntriesFrom(before);
  std::map<v1::LedgerEntry::KindCase, int> kinds = Kinds(written);
  EXPECT_EQ(kinds[v1::LedgerEntry::kEmptyIntervals], 3);
  // The traded and metered intervals, and the two whose gate has closed but
  // whose settlement is not due yet (now − 900 and now).
  EXPECT_EQ(kinds[v1::LedgerEntry::kIntervalCleared], 4);
  EXPECT_EQ(kinds[v1::LedgerEntry::kIntervalSettled], 2);
  EXPECT_EQ(written.size(), 9u);
  EXPECT_EQ(ran, 9);

  // The runs: up to the traded interval, up to the metered one, up to the
  // latest interval whose settlement is due.
  std::vector<std::pair<int64_t, int64_t>> runs;
  for (const v1::LedgerEntry& e : written) {
    if (!e.has_empty_intervals()) continue;
    EXPECT_EQ(e.empty_intervals().interval_s(), 900);
    EXPECT_EQ(e.empty_intervals().tariff().retail_price_mcu_per_kwh(), 200'000);
    runs.emplace_back(e.empty_intervals().first_interval_start(),
                      e.empty_intervals().last_interval_start());
  }
  const std::vector<std::pair<int64_t, int64_t>> want = {
      {kStart + 900, traded - 900}, {traded + 900, metered - 900}, {metered + 900, now - 1800}};
  EXPECT_EQ(runs, want);

  // Every interval reads as cleared and settled, the runs' by the run entry.
  for (int64_t t = kStart + 900; t <= now - 1800; t += 900) {
    ASSERT_OK_AND_ASSIGN(v1::IntervalResult r, exchange_->GetIntervalResult(t));
    ASSERT_EQ(r.phase(), v1::PHASE_SETTLED) << t;
  }
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult inside,
                       exchange_->GetIntervalResult(kStart + 3000 * 900));
  EXPECT_EQ(inside.clearing_index().value(), inside.settlement_index().value());
  EXPECT_EQ(inside.clearing().volume_wh(), 0);
  EXPECT_EQ(inside.settlement().bills_size(), 0);
  EXPECT_EQ(exchange_->GetIntervalResult(traded)->clearing().volume_wh(), 1000);
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult read, exchange_->GetIntervalResult(metered));
  ASSERT_EQ(read.settlement().bills_size(), 1);
  EXPECT_EQ(read.settlement().bills(0).export_wh(), 700);
  EXPECT_EQ(exchange_->GetIntervalResult(now)->phase(), v1::PHASE_CLEARED);

  // Exactly once: nothing more now, nor after another restart.
  const uint64_t size = ledger_->Size();
  EXPECT_THAT(exchange_->RunDue(), ::peergrid::testing::IsOkAndHolds(0));
  Reopen();
  EXPECT_THAT(exchange_->RunDue(), ::peergrid::testing::IsOkAndHolds(0));
  EXPECT_EQ(ledger_->Size(), size);
  EXPECT_EQ(exchange_->GetIntervalResult(kStart + 3000 * 900)->phase(), v1::PHASE_SETTLED);
  EXPECT_TRUE(exchange_->GetZone().skipped_ledger_indices().empty());
}

TEST_F(ExchangeCatchUpTest, ALateReadInARunIsCorrectedNamingTheRun) {
  clock_.Set(absl::FromUnixSeconds(kStart + 100 * 900));
  ASSERT_THAT(exchange_->RunDue(), IsOk());
  const int64_t late = kStart + 90 * 900;  // inside the run, within the correction window
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult before, exchange_->GetIntervalResult(late));
  ASSERT_EQ(before.phase(), v1::PHASE_SETTLED);
  const uint64_t run_index = before.settlement_index().value();
  EXPECT_TRUE(EntriesFrom(run_index).front().has_empty_intervals());

  telemetry_.Read(late, "bob", 1500, 0);
  const uint64_t size = ledger_->Size();
  clock_.Set(absl::FromUnixSeconds(kStart + 101 * 900));
  ASSERT_THAT(exchange_->RunDue(), IsOk());
  std::vector<v1::LedgerEntry> written = EntriesFrom(size);
  const v1::SettlementCorrected* correction = nullptr;
  for (const v1::LedgerEntry& e : written) {
    if (e.has_settlement_corrected()) correction = &e.settlement_corrected();
  }
  ASSERT_NE(correction, nullptr);
  EXPECT_EQ(correction->corrects_index(), run_index);
  EXPECT_EQ(correction->settlement().clearing_index(), run_index);
  EXPECT_EQ(correction->settlement().interval_start(), late);
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult after, exchange_->GetIntervalResult(late));
  EXPECT_EQ(after.settlement().bills_size(), 1);
  EXPECT_EQ(after.settlement().grid_ucu(), -1500 * 200'000);
  Reopen();  // the correction of a run's interval replays
  EXPECT_EQ(exchange_->GetIntervalResult(late)->settlement().bills_size(), 1);
}

TEST_F(ExchangeCatchUpTest, HealthSaysHowFarTheCatchUpIs) {
  std::vector<std::string> reasons;
  std::vector<bool> catching_up;
  ExchangeEvents events;
  events.on_cleared = [&](const v1::TradeEvent&) {
    reasons.push_back(exchange_->GetZone().scheduler_problem());
    catching_up.push_back(exchange_->GetSchedulerHealth().catching_up);
  };
  Submit("s1", "alice", v1::SELL, kStart + 3600);
  Submit("b1", "bob", v1::BUY, kStart + 3600);
  exchange_->SetEvents(events);
  clock_.Set(absl::FromUnixSeconds(kStart + kOutageIntervals * 900));
  ASSERT_THAT(exchange_->RunDue(), IsOk());
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons.front(), "catching up: interval 1 of 5000 missed while down (interval " +
                                 std::to_string(kStart + 900) + ")");
  // After the run before the traded interval (kStart + 900 … + 2700), the
  // traded one is the 4th.
  EXPECT_THAT(reasons, ::testing::Contains(HasSubstr("interval 4 of 5000")));
  EXPECT_THAT(catching_up, ::testing::Each(true));
  EXPECT_FALSE(exchange_->GetSchedulerHealth().catching_up);
  EXPECT_EQ(exchange_->GetZone().scheduler_problem(), "");

  // Keeping up is no catch-up: one clearing due at a time.
  reasons.clear();
  clock_.Set(absl::FromUnixSeconds(kStart + kOutageIntervals * 900 + 600));
  ASSERT_THAT(exchange_->RunDue(), IsOk());
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0], "");
}

TEST_F(ExchangeCatchUpTest, EmptyIntervalsClearedLiveKeepTheirTwoEntries) {
  // Live, a clearing falls due long before its settlement: no run.
  for (int64_t t = kStart; t <= kStart + 20 * 900; t += 300) {
    clock_.Set(absl::FromUnixSeconds(t));
    ASSERT_THAT(exchange_->RunDue(), IsOk());
  }
  std::map<v1::LedgerEntry::KindCase, int> kinds = Kinds(EntriesFrom(0));
  EXPECT_EQ(kinds[v1::LedgerEntry::kEmptyIntervals], 0);
  EXPECT_EQ(kinds[v1::LedgerEntry::kIntervalCleared], 20);
  EXPECT_EQ(kinds[v1::LedgerEntry::kIntervalSettled], 18);
}

}  // namespace
}  // namespace peergrid::exchange
