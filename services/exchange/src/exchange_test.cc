#include "peergrid/exchange/exchange.h"

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/note.h"
#include "peergrid/testing/in_memory_telemetry.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::exchange {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'782'000'000;  // 2026-06-21 00:00 UTC, aligned to 900 s
constexpr int64_t kFeedIn = 50'000, kRetail = 200'000;

class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("exchange");
    Reopen();
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id("jeju-1");
    hub.set_latitude_deg(33.5);
    hub.set_longitude_deg(126.5);
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
    v1::Participant storage;
    storage.set_participant_id("storage");
    storage.set_hub_id("hub-1");
    storage.set_kind(v1::SHARED_STORAGE);
    storage.add_storage_bank_ids("bank-1");
    ASSERT_THAT(exchange_->RegisterParticipant(storage), IsOk());
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(kFeedIn);
    tariff.set_retail_price_mcu_per_kwh(kRetail);
    ASSERT_THAT(exchange_->SetTariff(tariff), IsOk());
    Report(clock_.NowUnixSeconds());
  }

  void Reopen() {
    exchange_.reset();
    ledger_.reset();
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = "peergrid/jeju-1";
    ledger_options.before_commit_for_testing = [this](size_t) {
      if (before_commit_) before_commit_();
    };
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Open(dir_ + "/ledger", ledger_options));
    ExchangeOptions options;
    options.zone_id = "jeju-1";
    options.require_signed_orders = require_signed_;
    options.timing = timing_;
    ASSERT_OK_AND_ASSIGN(exchange_, Exchange::Open(ledger_.get(), &telemetry_, &clock_, options));
  }

  // Registers household `id` on hub-1 with `key`'s public key.
  absl::StatusOr<uint64_t> RegisterWithKey(const std::string& id, const ledger::Signer& key) {
    v1::Participant participant;
    participant.set_participant_id(id);
    participant.set_hub_id("hub-1");
    participant.set_kind(v1::HOUSEHOLD);
    participant.set_public_key(key.verifier().public_key());
    return exchange_->RegisterParticipant(participant);
  }

  static v1::SubmitOrderRequest Order(const std::string& id, const std::string& who, v1::Side side,
                                      int64_t qty, int64_t price,
                                      int64_t interval = kStart + 3600) {
    v1::SubmitOrderRequest request;
    v1::Order* o = request.mutable_order();
    o->set_order_id(id);
    o->set_participant_id(who);
    o->set_side(side);
    o->set_quantity_wh(qty);
    o->set_limit_price_mcu_per_kwh(price);
    o->set_interval_start(interval);
    return request;
  }

  // Reports hub-1's bank (100 kWh at 60 %, reserve 20 %, 20 kW) at time `t`.
  void Report(int64_t t) {
    v1::BatteryBankReading bank;
    bank.set_bank_id("bank-1");
    bank.set_capacity_wh(100'000);
    bank.set_soc_pct(60);
    bank.set_soc_reserve_pct(20);
    bank.set_max_discharge_w(20'000);
    telemetry_.Report("hub-1", t * 1000, {bank});
  }

  // Moves the clock to `t` and runs what is due.
  void RunAt(int64_t t) {
    clock_.Set(absl::FromUnixSeconds(t));
    Report(t);
    ASSERT_THAT(exchange_->RunDue(), IsOk());
  }

  // The zone's timing (Reopen hands it to the exchange).
  MarketTiming timing_;
  // Runs in the ledger's committing thread before each batch is written.
  std::function<void()> before_commit_;
  bool require_signed_ = false;
  std::string dir_;
  ManualClock clock_{absl::FromUnixSeconds(kStart)};
  ::peergrid::testing::InMemoryTelemetry telemetry_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<Exchange> exchange_;
};

TEST_F(ExchangeTest, ClearsAtGateClosureAndSettlesAfterGrace) {
  const int64_t interval = kStart + 3600;
  ASSERT_OK_AND_ASSIGN(auto sell,
                       exchange_->SubmitOrder(Order("s1", "alice", v1::SELL, 1500, 100'000)));
  ASSERT_OK_AND_ASSIGN(auto buy,
                       exchange_->SubmitOrder(Order("b1", "bob", v1::BUY, 1000, 150'000)));
  EXPECT_GT(buy.seq(), sell.seq());
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult open, exchange_->GetIntervalResult(interval));
  EXPECT_EQ(open.phase(), v1::PHASE_GATE_OPEN);

  RunAt(interval - 301);
  ASSERT_OK_AND_ASSIGN(v1::OrderState still_open, exchange_->GetOrder("b1"));
  EXPECT_EQ(still_open.status(), v1::OPEN);
  RunAt(interval - 300);  // gate closure
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult cleared, exchange_->GetIntervalResult(interval));
  ASSERT_EQ(cleared.phase(), v1::PHASE_CLEARED);
  EXPECT_EQ(cleared.clearing().clearing_price_mcu_per_kwh().value(), 125'000);
  EXPECT_EQ(cleared.clearing().volume_wh(), 1000);
  ASSERT_OK_AND_ASSIGN(v1::OrderState s1, exchange_->GetOrder("s1"));
  EXPECT_EQ(s1.status(), v1::PARTIALLY_FILLED);
  EXPECT_EQ(s1.filled_wh(), 1000);
  ASSERT_OK_AND_ASSIGN(v1::OrderState b1, exchange_->GetOrder("b1"));
  EXPECT_EQ(b1.status(), v1::FILLED);
  // Orders for a cleared interval are refused.
  EXPECT_THAT(exchange_->SubmitOrder(Order("late", "carol", v1::BUY, 10, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("gate")));

  telemetry_.Read(interval, "alice", 0, 1200);  // exported 1.2 kWh, sold 1 kWh
  telemetry_.Read(interval, "bob", 1100, 0);    // imported 1.1 kWh, bought 1 kWh
  RunAt(interval + 900 + 899);
  EXPECT_EQ(exchange_->GetIntervalResult(interval)->phase(), v1::PHASE_CLEARED);
  RunAt(interval + 900 + 900);
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult settled, exchange_->GetIntervalResult(interval));
  ASSERT_EQ(settled.phase(), v1::PHASE_SETTLED);
  int64_t sum = settled.settlement().grid_ucu();
  for (const v1::Bill& bill : settled.settlement().bills()) sum += bill.bill_ucu();
  EXPECT_EQ(sum, 0);
  v1::GetBillRequest request;
  request.set_participant_id("bob");
  ASSERT_OK_AND_ASSIGN(v1::GetBillResponse bill, exchange_->GetBill(request));
  ASSERT_EQ(bill.bills_size(), 1);
  // Bob pays 1 kWh at 125.000 and 0.1 kWh imbalance at retail 200.000.
  EXPECT_EQ(bill.total_bill_ucu(), 1000 * 125'000 + 100 * kRetail);
  EXPECT_EQ(bill.total_baseline_ucu(), 1100 * kRetail);
}

TEST_F(ExchangeTest, InvalidOrdersAreRefusedAndRecordNothing) {
  const uint64_t size = ledger_->Size();
  EXPECT_THAT(exchange_->SubmitOrder(Order("x1", "nobody", v1::BUY, 10, 100'000)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nobody")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("x2", "bob", v1::BUY, 0, 100'000)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quantity_wh")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("x3", "bob", v1::BUY, 10, kRetail + 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit_price")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("x4", "bob", v1::BUY, 10, 100'000, kStart + 7)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval_start")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("x5", "bob", v1::BUY, 10, 100'000, kStart)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("gate")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("x6", "bob", v1::SIDE_UNSPECIFIED, 10, 100'000)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("side")));
  // Carol has no PV and no storage: she cannot sell.
  EXPECT_THAT(exchange_->SubmitOrder(Order("x7", "carol", v1::SELL, 10, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("quantity_wh")));
  // Alice: 8 kW × 0.25 h = 2 kWh deliverable.
  EXPECT_THAT(exchange_->SubmitOrder(Order("x8", "alice", v1::SELL, 2001, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("quantity_wh")));
  v1::SubmitOrderRequest with_seq = Order("x9", "bob", v1::BUY, 10, 100'000);
  with_seq.mutable_order()->set_seq(5);
  EXPECT_THAT(exchange_->SubmitOrder(with_seq),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seq")));
  EXPECT_EQ(ledger_->Size(), size);

  ASSERT_THAT(exchange_->SubmitOrder(Order("ok", "alice", v1::SELL, 1500, 100'000)), IsOk());
  EXPECT_THAT(exchange_->SubmitOrder(Order("ok", "bob", v1::BUY, 10, 100'000)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("\"ok\"")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("both", "alice", v1::BUY, 10, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("alice")));
  // Other open sells count against what alice can still deliver.
  EXPECT_THAT(exchange_->SubmitOrder(Order("more", "alice", v1::SELL, 501, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("quantity_wh")));
  EXPECT_EQ(ledger_->Size(), size + 1);
}

TEST_F(ExchangeTest, StorageSellsAboveReserveAndStaleHubsCannotSell) {
  // 100 kWh at 60 % with a 20 % reserve: 40 kWh above reserve, capped by
  // 20 kW × 0.25 h = 5 kWh.
  EXPECT_THAT(exchange_->SubmitOrder(Order("st1", "storage", v1::SELL, 5001, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("quantity_wh")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("st2", "storage", v1::SELL, 5000, 100'000)), IsOk());
  clock_.Advance(absl::Seconds(16));  // 3 periods of 5 s without a report
  EXPECT_THAT(exchange_->SubmitOrder(Order("st3", "alice", v1::SELL, 10, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("stale")));
}

TEST_F(ExchangeTest, SellersHubGoesStaleAfterTheZonesStaleAfterPeriods) {
  timing_.stale_after_periods = 5;
  Reopen();
  Report(clock_.NowUnixSeconds());
  clock_.Advance(absl::Seconds(16));  // 3 periods of 5 s: stale by default, not here
  EXPECT_THAT(exchange_->SubmitOrder(Order("a1", "alice", v1::SELL, 10, 100'000)), IsOk());
  clock_.Advance(absl::Seconds(9));  // exactly 5 periods: still fresh
  EXPECT_THAT(exchange_->SubmitOrder(Order("a2", "alice", v1::SELL, 10, 100'000)), IsOk());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(exchange_->SubmitOrder(Order("a3", "alice", v1::SELL, 10, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is stale (no report in 5 reporting periods)")));
}

TEST_F(ExchangeTest, StorageDeliversItsExactEnergyAboveReserve) {
  // 10 kWh at 60.3 % over a 20 % reserve: 4 030 Wh exactly, below 20 kW ×
  // 0.25 h — the amount the hub's storage agent offers for the same bank
  // (its own double arithmetic used to say 4 029).
  v1::BatteryBankReading bank;
  bank.set_bank_id("bank-1");
  bank.set_capacity_wh(10'000);
  bank.set_soc_pct(60.3);
  bank.set_soc_reserve_pct(20);
  bank.set_max_discharge_w(20'000);
  telemetry_.Report("hub-1", clock_.NowUnixSeconds() * 1000, {bank});
  EXPECT_THAT(exchange_->SubmitOrder(Order("st1", "storage", v1::SELL, 4031, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("4030 Wh deliverable")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("st2", "storage", v1::SELL, 4030, 100'000)), IsOk());
}

TEST_F(ExchangeTest, CancelUntilGateClosureByTheOwnerOnly) {
  const int64_t interval = kStart + 3600;
  ASSERT_THAT(exchange_->SubmitOrder(Order("b1", "bob", v1::BUY, 100, 150'000)), IsOk());
  ASSERT_THAT(exchange_->SubmitOrder(Order("b2", "bob", v1::BUY, 100, 150'000)), IsOk());
  ASSERT_THAT(exchange_->SubmitOrder(Order("s1", "alice", v1::SELL, 100, 100'000)), IsOk());
  v1::CancelOrderRequest cancel;
  cancel.set_order_id("b1");
  cancel.set_participant_id("carol");
  EXPECT_THAT(exchange_->CancelOrder(cancel),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("carol")));
  cancel.set_participant_id("bob");
  ASSERT_THAT(exchange_->CancelOrder(cancel), IsOk());
  EXPECT_THAT(exchange_->CancelOrder(cancel),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already cancelled")));
  EXPECT_EQ(exchange_->GetOrder("b1")->status(), v1::CANCELLED);
  RunAt(interval - 300);
  cancel.set_order_id("b2");
  EXPECT_THAT(exchange_->CancelOrder(cancel),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("gate closure")));
  // The cancelled order was not in the book: b2 took the whole sell.
  EXPECT_EQ(exchange_->GetOrder("b2")->status(), v1::FILLED);
  EXPECT_EQ(exchange_->GetOrder("b1")->filled_wh(), 0);
}

TEST_F(ExchangeTest, RestartRebuildsStateAndRunsMissedWorkExactlyOnce) {
  const int64_t interval = kStart + 3600;
  ASSERT_THAT(exchange_->SubmitOrder(Order("s1", "alice", v1::SELL, 1000, 100'000)), IsOk());
  ASSERT_THAT(exchange_->SubmitOrder(Order("b1", "bob", v1::BUY, 1000, 150'000)), IsOk());
  Reopen();  // as after a crash: nothing ran yet
  EXPECT_EQ(exchange_->GetOrder("s1")->status(), v1::OPEN);
  // Down for two hours: every interval since the zone began is cleared and
  // settled on the first RunDue, in order, once.
  clock_.Set(absl::FromUnixSeconds(interval + 7200));
  Report(interval + 7200);
  ASSERT_OK_AND_ASSIGN(int ran, exchange_->RunDue());
  EXPECT_GT(ran, 0);
  const uint64_t size = ledger_->Size();
  ASSERT_OK_AND_ASSIGN(int again, exchange_->RunDue());
  EXPECT_EQ(again, 0);
  EXPECT_EQ(ledger_->Size(), size);
  Reopen();
  ASSERT_OK_AND_ASSIGN(int after_restart, exchange_->RunDue());
  EXPECT_EQ(after_restart, 0);
  ASSERT_OK_AND_ASSIGN(v1::IntervalResult result, exchange_->GetIntervalResult(interval));
  EXPECT_EQ(result.phase(), v1::PHASE_SETTLED);
  EXPECT_EQ(result.clearing().volume_wh(), 1000);
  // Every interval from the zone's first open gate up to now is recorded once.
  int cleared = 0;
  for (int64_t t = kStart + 900; t <= interval + 7200; t += 900) {
    ASSERT_OK_AND_ASSIGN(v1::IntervalResult r, exchange_->GetIntervalResult(t));
    if (r.phase() == v1::PHASE_CLEARED || r.phase() == v1::PHASE_SETTLED) ++cleared;
  }
  EXPECT_GE(cleared, 8);
}

TEST_F(ExchangeTest, LateReadCorrectsAnEstimatedSettlement) {
  const int64_t interval = kStart + 3600;
  ASSERT_THAT(exchange_->SubmitOrder(Order("s1", "alice", v1::SELL, 1000, 100'000)), IsOk());
  ASSERT_THAT(exchange_->SubmitOrder(Order("b1", "bob", v1::BUY, 1000, 150'000)), IsOk());
  telemetry_.Read(interval, "alice", 0, 1000);
  RunAt(interval + 1800);  // bob's read is missing: estimated
  v1::GetBillRequest request;
  request.set_participant_id("bob");
  ASSERT_OK_AND_ASSIGN(v1::GetBillResponse before, exchange_->GetBill(request));
  ASSERT_EQ(before.bills_size(), 1);
  EXPECT_TRUE(before.bills(0).bill().estimated());
  telemetry_.Read(interval, "bob", 1500, 0);
  RunAt(interval + 1800 + 900);
  ASSERT_OK_AND_ASSIGN(v1::GetBillResponse after, exchange_->GetBill(request));
  ASSERT_EQ(after.bills_size(), 1);
  EXPECT_FALSE(after.bills(0).bill().estimated());
  EXPECT_TRUE(after.bills(0).corrected());
  EXPECT_EQ(after.total_bill_ucu(), 1000 * 125'000 + 500 * kRetail);
  // The correction survives a restart.
  Reopen();
  EXPECT_TRUE(exchange_->GetBill(request)->bills(0).corrected());
}

TEST_F(ExchangeTest, SignedOrdersVerifyAgainstTheRegisteredKey) {
  ASSERT_OK_AND_ASSIGN(ledger::Signer key, ledger::Signer::Generate("dave"));
  ASSERT_THAT(RegisterWithKey("dave", key), IsOk());
  v1::SubmitOrderRequest good = Order("d1", "dave", v1::BUY, 100, 100'000);
  good.set_signature(key.Sign(convert::OrderSigningText(good.order())));
  EXPECT_THAT(exchange_->SubmitOrder(good), IsOk());
  v1::SubmitOrderRequest forged = Order("d2", "dave", v1::BUY, 100, 100'000);
  forged.set_signature(
      key.Sign(convert::OrderSigningText(Order("d2", "dave", v1::BUY, 999, 100'000).order())));
  EXPECT_THAT(exchange_->SubmitOrder(forged),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("signature")));
}

// Signatures are verified outside the exchange's lock, in parallel, with
// each participant's verifier built once: every verdict is still against
// that participant's own key, however the submitters interleave.
TEST_F(ExchangeTest, ConcurrentSubmittersAreEachVerifiedAgainstTheirOwnKey) {
  constexpr int kParticipants = 4;
  std::vector<ledger::Signer> keys;
  for (int p = 0; p < kParticipants; ++p) {
    ASSERT_OK_AND_ASSIGN(ledger::Signer key, ledger::Signer::Generate(absl::StrCat("p", p)));
    ASSERT_THAT(RegisterWithKey(absl::StrCat("p", p), key), IsOk());
    keys.push_back(std::move(key));
  }
  const uint64_t before = ledger_->Size();
  std::atomic<int> wrong{0}, accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 30; ++n) {
        const int p = (t + n) % kParticipants;
        v1::SubmitOrderRequest order =
            Order(absl::StrCat("c", t, "-", n), absl::StrCat("p", p), v1::BUY, 100, 100'000);
        // Every third is signed by the next participant's key: a forgery.
        const bool forged = n % 3 == 0;
        const ledger::Signer& signer = keys[(p + (forged ? 1 : 0)) % kParticipants];
        order.set_signature(signer.Sign(convert::OrderSigningText(order.order())));
        absl::StatusOr<v1::SubmitOrderResponse> answer = exchange_->SubmitOrder(order);
        if (forged != (answer.status().code() == absl::StatusCode::kPermissionDenied)) ++wrong;
        if (answer.ok()) ++accepted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(accepted.load(), 4 * 20);
  EXPECT_EQ(ledger_->Size(), before + 4 * 20);
}

TEST_F(ExchangeTest, AKeyAnyoneCouldSignForIsRefusedAtRegistration) {
  // The identity point (and every other point of small order) lets a forger
  // sign any order without a private key; a non-canonical y is refused too.
  std::string identity(32, '\0');
  identity[0] = 1;
  std::string non_canonical(32, '\xff');
  non_canonical[31] = '\x7f';
  const uint64_t before = ledger_->Size();
  for (const std::string& key : {identity, non_canonical, std::string(31, 'k')}) {
    v1::Participant mallory;
    mallory.set_participant_id("mallory");
    mallory.set_hub_id("hub-1");
    mallory.set_kind(v1::HOUSEHOLD);
    mallory.set_public_key(key);
    EXPECT_THAT(exchange_->RegisterParticipant(mallory),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participant.public_key")));
  }
  EXPECT_EQ(ledger_->Size(), before);
}

TEST_F(ExchangeTest, CancelsAreSignedLikeOrders) {
  ASSERT_OK_AND_ASSIGN(ledger::Signer key, ledger::Signer::Generate("dave"));
  ASSERT_OK_AND_ASSIGN(ledger::Signer other, ledger::Signer::Generate("eve"));
  ASSERT_THAT(RegisterWithKey("dave", key), IsOk());
  for (const char* id : {"d1", "d2"}) {
    v1::SubmitOrderRequest order = Order(id, "dave", v1::BUY, 100, 100'000);
    order.set_signature(key.Sign(convert::OrderSigningText(order.order())));
    ASSERT_THAT(exchange_->SubmitOrder(order), IsOk());
  }
  v1::CancelOrderRequest cancel;
  cancel.set_order_id("d1");
  cancel.set_participant_id("dave");
  // Signed by someone else, or over another order: refused, nothing recorded.
  const uint64_t before = ledger_->Size();
  cancel.set_signature(other.Sign(convert::CancelSigningText("d1", "dave")));
  EXPECT_THAT(exchange_->CancelOrder(cancel),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("signature")));
  cancel.set_signature(key.Sign(convert::CancelSigningText("d2", "dave")));
  EXPECT_THAT(exchange_->CancelOrder(cancel),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("signature")));
  EXPECT_EQ(ledger_->Size(), before);
  cancel.set_signature(key.Sign(convert::CancelSigningText("d1", "dave")));
  EXPECT_THAT(exchange_->CancelOrder(cancel), IsOk());
  EXPECT_EQ(exchange_->GetOrder("d1")->status(), v1::CANCELLED);
  EXPECT_EQ(exchange_->GetOrder("d2")->status(), v1::OPEN);
}

TEST_F(ExchangeTest, WhenSignaturesAreRequiredAnUnsignedCancelIsRefused) {
  require_signed_ = true;
  Reopen();
  ASSERT_OK_AND_ASSIGN(ledger::Signer key, ledger::Signer::Generate("dave"));
  ASSERT_THAT(RegisterWithKey("dave", key), IsOk());
  v1::SubmitOrderRequest order = Order("d1", "dave", v1::BUY, 100, 100'000);
  order.set_signature(key.Sign(convert::OrderSigningText(order.order())));
  ASSERT_THAT(exchange_->SubmitOrder(order), IsOk());
  v1::CancelOrderRequest cancel;
  cancel.set_order_id("d1");
  cancel.set_participant_id("dave");
  EXPECT_THAT(exchange_->CancelOrder(cancel),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("required")));
  EXPECT_EQ(exchange_->GetOrder("d1")->status(), v1::OPEN);
}

TEST_F(ExchangeTest, UnknownFieldsNeverReachTheLedger) {
  v1::SubmitOrderRequest order = Order("u1", "alice", v1::BUY, 100, 100'000);
  order.mutable_order()
      ->GetReflection()
      ->MutableUnknownFields(order.mutable_order())
      ->AddVarint(9999, 42);
  ASSERT_OK_AND_ASSIGN(v1::SubmitOrderResponse accepted, exchange_->SubmitOrder(order));
  v1::Hub hub;
  hub.set_hub_id("hub-u");
  hub.set_zone_id("jeju-1");
  hub.set_latitude_deg(33.5);
  hub.set_longitude_deg(126.5);
  hub.set_reporting_period_s(5);
  hub.GetReflection()->MutableUnknownFields(&hub)->AddLengthDelimited(9998, "hidden");
  ASSERT_OK_AND_ASSIGN(uint64_t hub_index, exchange_->RegisterHub(hub));
  for (uint64_t index : {accepted.seq(), hub_index}) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> bytes, ledger_->GetEntries(index, index + 1));
    v1::LedgerEntry entry;
    ASSERT_TRUE(entry.ParseFromString(bytes.at(0)));
    EXPECT_EQ(bytes[0].find("hidden"), std::string::npos) << index;
    EXPECT_TRUE(entry.order_accepted()
                    .order()
                    .GetReflection()
                    ->GetUnknownFields(entry.order_accepted().order())
                    .empty())
        << index;
    EXPECT_TRUE(entry.hub_registered()
                    .hub()
                    .GetReflection()
                    ->GetUnknownFields(entry.hub_registered().hub())
                    .empty())
        << index;
  }
}

TEST_F(ExchangeTest, ConcurrentSubmissionsAreAllRecordedInLedgerOrder) {
  // Group commit makes several appends durable at once; their threads must
  // still apply them to the state in index order.
  constexpr int kThreads = 8, kPerThread = 40;
  const uint64_t before = ledger_->Size();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Buyers only (one side per participant per interval).
        auto result = exchange_->SubmitOrder(Order(absl::StrCat("c", t, "-", i), "bob", v1::BUY, 10,
                                                   100'000, kStart + 3600 + 900 * (i % 4)));
        if (!result.ok()) {
          ++failures;
          continue;
        }
        // Read-your-writes: the order is visible as soon as it is acknowledged.
        if (!exchange_->GetOrder(absl::StrCat("c", t, "-", i)).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ledger_->Size(), before + kThreads * kPerThread);
  v1::ListOrdersRequest list;
  list.set_participant_id("bob");
  list.set_page_size(1000);
  ASSERT_OK_AND_ASSIGN(v1::ListOrdersResponse orders, exchange_->ListOrders(list));
  EXPECT_EQ(orders.orders_size(), kThreads * kPerThread);
  Reopen();  // the replayed state agrees
  ASSERT_OK_AND_ASSIGN(v1::ListOrdersResponse replayed, exchange_->ListOrders(list));
  EXPECT_EQ(replayed.orders_size(), kThreads * kPerThread);
}

// Holds the next ledger commit until released, so orders can be left
// validated but not yet durable.
class CommitGate {
 public:
  std::function<void()> Hook() {
    return [this] {
      if (held_.exchange(true)) return;  // only the first commit waits
      entered_.Notify();
      release_.WaitForNotification();
    };
  }
  void WaitEntered() { entered_.WaitForNotification(); }
  void Release() { release_.Notify(); }

 private:
  std::atomic<bool> held_{false};
  absl::Notification entered_;
  absl::Notification release_;
};

// Collects the answers of SubmitOrderAsync.
class Answers {
 public:
  Exchange::SubmitDone Expect() {
    absl::MutexLock lock(&mu_);
    ++expected_;
    return [this](absl::StatusOr<v1::SubmitOrderResponse> answer) {
      absl::MutexLock answer_lock(&mu_);
      answers_.push_back(std::move(answer));
    };
  }
  std::vector<absl::StatusOr<v1::SubmitOrderResponse>> Wait() {
    absl::MutexLock lock(&mu_);
    auto all = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return answers_.size() == expected_; };
    mu_.Await(absl::Condition(&all));
    return answers_;
  }

 private:
  absl::Mutex mu_;
  size_t expected_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<absl::StatusOr<v1::SubmitOrderResponse>> answers_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ExchangeTest, OrdersNotYetDurableCountForOneSideAndDeliverableEnergy) {
  CommitGate gate;
  before_commit_ = gate.Hook();
  Answers answers;
  // The storage can deliver 5,000 Wh (see StorageSellsAboveReserve...).
  exchange_->SubmitOrderAsync(Order("st1", "storage", v1::SELL, 3000, 100'000), answers.Expect());
  gate.WaitEntered();  // st1 is validated, its append held
  EXPECT_THAT(exchange_->SubmitOrder(Order("st1", "storage", v1::SELL, 10, 100'000)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("st1")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("st2", "storage", v1::SELL, 2001, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("quantity_wh")));
  EXPECT_THAT(exchange_->SubmitOrder(Order("sb", "storage", v1::BUY, 10, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("SELL order st1")));
  // Exactly the rest fits, and queues behind the held append.
  exchange_->SubmitOrderAsync(Order("st3", "storage", v1::SELL, 2000, 100'000), answers.Expect());
  gate.Release();
  for (const auto& answer : answers.Wait()) EXPECT_THAT(answer, IsOk());
  EXPECT_EQ(exchange_->GetOrder("st3")->status(), v1::OPEN);

  // Durable now: the same rules hold from the state.
  EXPECT_THAT(exchange_->SubmitOrder(Order("st4", "storage", v1::SELL, 1, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("quantity_wh")));
  v1::CancelOrderRequest cancel;
  cancel.set_participant_id("storage");
  cancel.set_order_id("st1");
  ASSERT_THAT(exchange_->CancelOrder(cancel), IsOk());
  EXPECT_THAT(exchange_->SubmitOrder(Order("st5", "storage", v1::SELL, 3000, 100'000)), IsOk());
  EXPECT_THAT(exchange_->SubmitOrder(Order("st6", "storage", v1::SELL, 1, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("quantity_wh")));
  for (const char* id : {"st3", "st5"}) {
    cancel.set_order_id(id);
    ASSERT_THAT(exchange_->CancelOrder(cancel), IsOk());
  }
  // Nothing open any more: the storage may buy in this interval.
  EXPECT_THAT(exchange_->SubmitOrder(Order("sb2", "storage", v1::BUY, 10, 100'000)), IsOk());
  Reopen();  // the replayed state counts the same
  EXPECT_THAT(exchange_->SubmitOrder(Order("st7", "storage", v1::SELL, 10, 100'000)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("BUY order sb2")));
}

TEST_F(ExchangeTest, ShutdownAnswersEveryQueuedOrderAfterMakingItDurable) {
  const uint64_t before = ledger_->Size();
  CommitGate gate;
  before_commit_ = gate.Hook();
  Answers answers;
  constexpr int kOrders = 50;
  for (int i = 0; i < kOrders; ++i) {
    exchange_->SubmitOrderAsync(Order(absl::StrCat("q", i), "bob", v1::BUY, 10, 100'000),
                                answers.Expect());
  }
  gate.WaitEntered();
  std::thread shutdown([&] { exchange_.reset(); });
  gate.Release();
  shutdown.join();
  std::set<uint64_t> seqs;
  for (const auto& answer : answers.Wait()) {
    ASSERT_THAT(answer, IsOk());
    seqs.insert(answer->seq());
  }
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kOrders));
  EXPECT_EQ(ledger_->Size(), before + kOrders);
  before_commit_ = nullptr;
  Reopen();
  for (int i = 0; i < kOrders; ++i) EXPECT_THAT(exchange_->GetOrder(absl::StrCat("q", i)), IsOk());
}

TEST_F(ExchangeTest, RegistrationErrorsNameTheField) {
  v1::Hub hub;
  hub.set_hub_id("hub 2");
  hub.set_zone_id("jeju-1");
  hub.set_reporting_period_s(5);
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.hub_id")));
  hub.set_hub_id("hub-2");
  hub.set_zone_id("seoul");
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.zone_id")));
  hub.set_zone_id("jeju-1");
  hub.set_reporting_period_s(0);
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reporting_period_s")));
  v1::Participant p;
  p.set_participant_id("erin");
  p.set_hub_id("hub-9");
  p.set_kind(v1::HOUSEHOLD);
  EXPECT_THAT(exchange_->RegisterParticipant(p),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("hub-9")));
  v1::Tariff bad;
  bad.set_feed_in_price_mcu_per_kwh(300'000);
  bad.set_retail_price_mcu_per_kwh(200'000);
  EXPECT_THAT(exchange_->SetTariff(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("feed_in")));
  EXPECT_EQ(exchange_->GetZone().participant_count(), 4);
}

// Issue 12: a 4 MB display name, a NaN latitude, an unknown kind or a bank
// two participants sell from went into the append-only ledger for good. Each
// is refused naming the field, and nothing reaches the ledger.
TEST_F(ExchangeTest, RegistrationRefusesWhatCannotBeRight) {
  const uint64_t size = ledger_->Size();
  v1::Hub hub;
  hub.set_hub_id("hub-2");
  hub.set_zone_id("jeju-1");
  hub.set_reporting_period_s(5);
  hub.set_display_name(std::string(4 << 20, 'n'));
  const absl::Status huge = exchange_->RegisterHub(hub).status();
  EXPECT_THAT(huge,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.display_name \"nnn")));
  EXPECT_LT(huge.message().size(), 300u);  // quotes at most 128 bytes
  hub.set_display_name("line\nbreak");
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control character")));
  hub.set_display_name("Jeju Hub 2 — 제주");
  hub.set_latitude_deg(std::nan(""));
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.latitude_deg nan")));
  hub.set_latitude_deg(33.5);
  hub.set_longitude_deg(std::numeric_limits<double>::infinity());
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.longitude_deg inf")));
  hub.set_longitude_deg(126.5);
  hub.set_reporting_period_s(61);
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reporting_period_s 61")));
  hub.set_reporting_period_s(5);
  hub.set_zone_id(std::string(1 << 20, 'z'));
  const absl::Status zone = exchange_->RegisterHub(hub).status();
  EXPECT_THAT(zone, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.zone_id")));
  EXPECT_LT(zone.message().size(), 300u);
  hub.set_zone_id("jeju-1");
  hub.set_hub_id(std::string(1 << 20, 'h'));
  const absl::Status id = exchange_->RegisterHub(hub).status();
  EXPECT_THAT(id, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.hub_id")));
  EXPECT_LT(id.message().size(), 300u);

  v1::Participant p;
  p.set_participant_id("dave");
  p.set_hub_id("hub-1");
  p.set_kind(static_cast<v1::ParticipantKind>(7));
  EXPECT_THAT(exchange_->RegisterParticipant(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participant.kind is 7")));
  p.set_kind(v1::HOUSEHOLD);
  p.set_display_name(std::string(129, 'd'));
  EXPECT_THAT(exchange_->RegisterParticipant(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participant.display_name")));
  p.set_display_name("Dave");
  p.set_pv_nameplate_w(10'000'001);
  EXPECT_THAT(exchange_->RegisterParticipant(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pv_nameplate_w 10000001")));
  p.set_pv_nameplate_w(5000);
  p.add_storage_bank_ids("bank-9");
  p.add_storage_bank_ids("bank-9");
  EXPECT_THAT(exchange_->RegisterParticipant(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"bank-9\" twice")));
  p.clear_storage_bank_ids();
  for (int i = 0; i < 65; ++i) p.add_storage_bank_ids(absl::StrCat("b", i));
  EXPECT_THAT(exchange_->RegisterParticipant(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("65 banks")));
  // bank-1 is the storage participant's (SetUp).
  p.clear_storage_bank_ids();
  p.add_storage_bank_ids("bank-1");
  EXPECT_THAT(exchange_->RegisterParticipant(p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bank \"bank-1\" of hub \"hub-1\" is already named by "
                                 "participant \"storage\"")));
  EXPECT_EQ(ledger_->Size(), size);  // nothing recorded
  // The same participant with its own bank and a UTF-8 name is fine.
  p.clear_storage_bank_ids();
  p.add_storage_bank_ids("bank-2");
  p.set_display_name("데이브");
  EXPECT_THAT(exchange_->RegisterParticipant(p), IsOk());
  hub.set_hub_id("hub-2");
  EXPECT_THAT(exchange_->RegisterHub(hub), IsOk());
  EXPECT_EQ(ledger_->Size(), size + 2);
}

TEST_F(ExchangeTest, LookupErrorsQuoteAtMost128BytesOfTheId) {
  const std::string huge(1 << 20, 'o');
  const absl::Status order = exchange_->GetOrder(huge).status();
  EXPECT_THAT(order, StatusIs(absl::StatusCode::kNotFound, HasSubstr("(1048576 bytes) not found")));
  EXPECT_LT(order.message().size(), 300u);
  const absl::Status hub = exchange_->directory().FindHub(huge).status();
  EXPECT_THAT(hub, StatusIs(absl::StatusCode::kNotFound, HasSubstr("is not registered")));
  EXPECT_LT(hub.message().size(), 300u);
  const absl::Status participant = exchange_->directory().FindParticipant(huge).status();
  EXPECT_LT(participant.message().size(), 300u);
}

}  // namespace
}  // namespace peergrid::exchange
