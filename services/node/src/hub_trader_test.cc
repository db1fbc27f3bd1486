// HubTrader against an in-process fake exchange (AdminService.GetZone and
// MarketService.SubmitOrder/CancelOrder on 127.0.0.1:0, recording every
// request), driven by a ManualClock: what it orders for its households and
// storage, when and how it revises, and what it does with refusals.
//
// The trader runs its own thread; the tests wait (bounded, on a condition)
// for the requests the fake receives, then Stop() the trader, which joins its
// thread after the loop iteration in progress, before checking the results.
#include "peergrid/node/hub_trader.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/common/clock.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/hub/agents.h"
#include "peergrid/ledger/note.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"

namespace peergrid::node {
namespace {

constexpr int64_t kT0 = 1'782'010'800;  // 2026-06-21 12:00 KST (03:00 UTC), aligned to 900 s
constexpr int64_t kTarget = kT0 + 900;  // the first interval whose gate is open at kT0
constexpr int64_t kFeedIn = 50'000, kRetail = 150'000;
// The agents' default pricing within [kFeedIn, kRetail] (spread 100 000):
constexpr int64_t kHouseholdBuy = kRetail - 25'000;   // retail − 25 % of the spread
constexpr int64_t kHouseholdSell = kFeedIn + 25'000;  // feed-in + 25 % of the spread
constexpr int64_t kStorageBuy = kFeedIn + 40'000;     // feed-in + 40 %
constexpr int64_t kStorageSell = kFeedIn + 60'000;    // max(feed-in + 60 %, ⌈buy ÷ 0.92⌉)

v1::Zone MakeZone(int64_t retail = kRetail) {
  v1::Zone zone;
  zone.set_zone_id("zone-1");
  zone.mutable_tariff()->set_feed_in_price_mcu_per_kwh(kFeedIn);
  zone.mutable_tariff()->set_retail_price_mcu_per_kwh(retail);
  zone.set_interval_s(900);
  zone.set_gate_lead_s(300);
  zone.set_horizon_s(48 * 3600);
  zone.set_settlement_grace_s(900);
  return zone;
}

// The exchange's three RPCs the trader calls. Answers OK unless told otherwise.
class FakeExchange {
 public:
  FakeExchange() : market_(this), admin_(this) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&market_);
    builder.RegisterService(&admin_);
    server_ = builder.BuildAndStart();
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }
  ~FakeExchange() { server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1))); }

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  bool started() const { return server_ != nullptr; }

  void SetZone(grpc::Status status, v1::Zone zone = {}) {
    absl::MutexLock lock(&mu_);
    zone_status_ = std::move(status);
    zone_ = std::move(zone);
  }
  void SetSubmitStatus(const std::string& order_id, grpc::Status status) {
    absl::MutexLock lock(&mu_);
    submit_status_[order_id] = std::move(status);
  }
  void SetCancelStatus(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    cancel_status_ = std::move(status);
  }

  // Wait (at most 30 s of real time) until at least n requests of a kind
  // arrived; return whether they did.
  bool WaitForSubmits(size_t n) {
    return WaitFor([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return submitted_.size() >= n; });
  }
  bool WaitForCancels(size_t n) {
    return WaitFor([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cancels_.size() >= n; });
  }
  bool WaitForZoneCalls(int n) {
    return WaitFor([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return zone_calls_ >= n; });
  }

  // Every submitted order by order_id (the trader submits concurrently).
  std::map<std::string, v1::Order> Submitted() const {
    absl::MutexLock lock(&mu_);
    std::map<std::string, v1::Order> out;
    for (const v1::Order& o : submitted_) out[o.order_id()] = o;
    return out;
  }
  size_t SubmitCount() const {
    absl::MutexLock lock(&mu_);
    return submitted_.size();
  }
  // The signature each order was submitted with, by order_id.
  std::map<std::string, std::string> Signatures() const {
    absl::MutexLock lock(&mu_);
    return signatures_;
  }
  std::vector<v1::CancelOrderRequest> Cancels() const {
    absl::MutexLock lock(&mu_);
    return cancels_;
  }

 private:
  class Market final : public v1::MarketService::Service {
   public:
    explicit Market(FakeExchange* fake) : fake_(fake) {}
    grpc::Status SubmitOrder(grpc::ServerContext*, const v1::SubmitOrderRequest* request,
                             v1::SubmitOrderResponse* response) override {
      absl::MutexLock lock(&fake_->mu_);
      fake_->submitted_.push_back(request->order());
      fake_->signatures_[request->order().order_id()] = request->signature();
      response->set_seq(fake_->submitted_.size());
      auto it = fake_->submit_status_.find(request->order().order_id());
      return it == fake_->submit_status_.end() ? grpc::Status::OK : it->second;
    }
    grpc::Status CancelOrder(grpc::ServerContext*, const v1::CancelOrderRequest* request,
                             v1::CancelOrderResponse*) override {
      absl::MutexLock lock(&fake_->mu_);
      fake_->cancels_.push_back(*request);
      return fake_->cancel_status_;
    }

   private:
    FakeExchange* const fake_;
  };
  class Admin final : public v1::AdminService::Service {
   public:
    explicit Admin(FakeExchange* fake) : fake_(fake) {}
    grpc::Status GetZone(grpc::ServerContext*, const v1::GetZoneRequest*, v1::Zone* zone) override {
      absl::MutexLock lock(&fake_->mu_);
      ++fake_->zone_calls_;
      *zone = fake_->zone_;
      return fake_->zone_status_;
    }

   private:
    FakeExchange* const fake_;
  };

  // `done` runs with mu_ held.
  template <typename F>
  bool WaitFor(F done) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done(); };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30));
  }

  mutable absl::Mutex mu_;
  grpc::Status zone_status_ ABSL_GUARDED_BY(mu_) = grpc::Status::OK;
  v1::Zone zone_ ABSL_GUARDED_BY(mu_) = MakeZone();
  int zone_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, grpc::Status> submit_status_ ABSL_GUARDED_BY(mu_);
  grpc::Status cancel_status_ ABSL_GUARDED_BY(mu_) = grpc::Status::OK;
  std::vector<v1::Order> submitted_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> signatures_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::CancelOrderRequest> cancels_ ABSL_GUARDED_BY(mu_);
  Market market_;
  Admin admin_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

hub::LoadProfile FlatLoad(double w) {
  hub::LoadProfile load;
  load.base_w = w;
  load.morning_peak_w = 0;
  load.evening_peak_w = 0;
  load.midday_w = 0;
  return load;
}

// A Jeju hub: "buyer" (no PV, a flat 400 W: 100 Wh per interval), "seller"
// (5 kW of PV, a flat 200 W) and the bank "bank-1" traded by "storage".
hub::SimulatorConfig Config() {
  hub::SimulatorConfig c;
  c.hub_id = "hub-1";
  c.zone_id = "zone-1";
  c.site.latitude_deg = 33.5;
  c.site.longitude_deg = 126.5;
  c.utc_offset_s = 9 * 3600;
  c.interval_s = 900;
  hub::HouseholdSpec buyer;
  buyer.participant_id = "buyer";
  buyer.load = FlatLoad(400);
  hub::HouseholdSpec seller;
  seller.participant_id = "seller";
  seller.pv.nameplate_w = 5000;
  seller.load = FlatLoad(200);
  c.households = {buyer, seller};
  hub::BankSpec bank;
  bank.bank_id = "bank-1";
  bank.owner_participant_id = "storage";
  c.banks = {bank};
  return c;
}

// A sample whose bank is at `soc_pct` of 100 kWh, reserve 20 %, 20 kW each way.
hub::HubSample Sample(double soc_pct = 50) {
  hub::HubSample s;
  s.hub_id = "hub-1";
  s.zone_id = "zone-1";
  s.seq = 1;
  s.measured_at_unix_ms = kT0 * 1000;
  hub::BankSample b;
  b.bank_id = "bank-1";
  b.soc_pct = soc_pct;
  b.soh_pct = 100;
  b.capacity_wh = 100'000;
  b.soc_reserve_pct = 20;
  b.max_charge_w = 20'000;
  b.max_discharge_w = 20'000;
  s.banks = {b};
  return s;
}

// A closed interval (the one before kT0) in which `id` measured these.
std::vector<hub::IntervalSummary> Closed(const std::string& id, int64_t pv_wh, int64_t load_wh) {
  hub::IntervalSummary interval;
  interval.interval_start = kT0 - 900;
  interval.households.push_back({id, pv_wh, load_wh, 0, 0});
  return {interval};
}

// The seller's forecast net energy for `interval_start` at `clearness`.
int64_t SellerNetWh(int64_t interval_start, double clearness = 1.0) {
  const hub::SimulatorConfig c = Config();
  return hub::ForecastHousehold(c.households[1], c.site, c.utc_offset_s, interval_start, 900,
                                clearness, 1.0)
      .net()
      .value();
}

std::string Id(const std::string& participant, int64_t interval_start,
               const std::string& suffix = "") {
  return absl::StrCat(participant, "-", interval_start, suffix);
}

class HubTraderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.started());
    trader_ = std::make_unique<HubTrader>(Config(), fake_.channel(), &clock_);
  }
  void TearDown() override { trader_->Stop(); }

  // Starts trading at kT0 with Sample() and waits for the three first orders.
  void StartAndPlace() {
    trader_->Observe(Sample(), {});
    trader_->Start();
    ASSERT_TRUE(fake_.WaitForSubmits(3));
  }
  // Moves the clock to the revision point of kTarget (a third of an interval
  // before its gate closure at kTarget − 300 s).
  void MoveToRevision() { clock_.Set(absl::FromUnixSeconds(kTarget - 300 - 300)); }

  FakeExchange fake_;
  ManualClock clock_{absl::FromUnixSeconds(kT0)};
  std::unique_ptr<HubTrader> trader_;
};

TEST_F(HubTraderTest, PlacesOneOrderPerParticipantForTheFirstOpenIntervalWithinTheBand) {
  const int64_t seller_net = SellerNetWh(kTarget);
  ASSERT_GT(seller_net, 500) << "the test needs a sunny noon interval";
  StartAndPlace();
  trader_->Stop();

  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  ASSERT_EQ(orders.size(), 3u);
  ASSERT_TRUE(orders.contains(Id("buyer", kTarget)));
  ASSERT_TRUE(orders.contains(Id("seller", kTarget)));
  ASSERT_TRUE(orders.contains(Id("storage", kTarget)));
  // The deficit household buys 90 % of its 100 Wh forecast below retail.
  const v1::Order& buy = orders.at(Id("buyer", kTarget));
  EXPECT_EQ(buy.participant_id(), "buyer");
  EXPECT_EQ(buy.side(), v1::BUY);
  EXPECT_EQ(buy.quantity_wh(), 90);
  EXPECT_EQ(buy.limit_price_mcu_per_kwh(), kHouseholdBuy);
  EXPECT_EQ(buy.interval_start(), kTarget);
  EXPECT_EQ(buy.seq(), 0u);
  // The surplus household sells 80 % of its forecast surplus above feed-in.
  const v1::Order& sell = orders.at(Id("seller", kTarget));
  EXPECT_EQ(sell.participant_id(), "seller");
  EXPECT_EQ(sell.side(), v1::SELL);
  EXPECT_EQ(sell.quantity_wh(), seller_net * 800 / 1000);
  EXPECT_LE(sell.quantity_wh(), 5000 * 900 / 3600);  // never above its deliverable cap
  EXPECT_EQ(sell.limit_price_mcu_per_kwh(), kHouseholdSell);
  EXPECT_EQ(sell.interval_start(), kTarget);
  // The storage buys the community's surplus (room and power allow it all).
  const v1::Order& store = orders.at(Id("storage", kTarget));
  EXPECT_EQ(store.participant_id(), "storage");
  EXPECT_EQ(store.side(), v1::BUY);
  EXPECT_EQ(store.quantity_wh(), seller_net - 100);
  EXPECT_EQ(store.limit_price_mcu_per_kwh(), kStorageBuy);
  for (const auto& [id, o] : orders) {
    EXPECT_GE(o.limit_price_mcu_per_kwh(), kFeedIn) << id;
    EXPECT_LE(o.limit_price_mcu_per_kwh(), kRetail) << id;
  }
  EXPECT_TRUE(fake_.Cancels().empty());
  const TraderStats stats = trader_->stats();
  EXPECT_EQ(stats.placed, 3);
  EXPECT_EQ(stats.rejected, 0);
  EXPECT_EQ(stats.cancelled, 0);
  EXPECT_EQ(stats.intervals, 1);
}

TEST_F(HubTraderTest, RevisesOnlyTheOrdersWhoseForecastMovedByMoreThanAQuarter) {
  const int64_t seller_net = SellerNetWh(kTarget);
  // The storage's quantity moves by 100 Wh: it must stay within a quarter.
  ASSERT_LT(100, (seller_net - 100) / 4);
  StartAndPlace();
  // The buyer used twice its expected load in the last interval: it now
  // forecasts 200 Wh and should buy 180 Wh instead of 90.
  trader_->Observe(Sample(), Closed("buyer", 0, 200));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(1));
  ASSERT_TRUE(fake_.WaitForSubmits(4));
  trader_->Stop();

  const std::vector<v1::CancelOrderRequest> cancels = fake_.Cancels();
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].order_id(), Id("buyer", kTarget));
  EXPECT_EQ(cancels[0].participant_id(), "buyer");
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  ASSERT_EQ(orders.size(), 4u);
  ASSERT_TRUE(orders.contains(Id("buyer", kTarget, "-r")));
  const v1::Order& revised = orders.at(Id("buyer", kTarget, "-r"));
  EXPECT_EQ(revised.side(), v1::BUY);
  EXPECT_EQ(revised.quantity_wh(), 180);
  EXPECT_EQ(revised.limit_price_mcu_per_kwh(), kHouseholdBuy);
  EXPECT_EQ(revised.interval_start(), kTarget);
  const TraderStats stats = trader_->stats();
  EXPECT_EQ(stats.placed, 4);
  EXPECT_EQ(stats.cancelled, 1);
  EXPECT_EQ(stats.intervals, 1);  // a revision is not a new interval
}

TEST_F(HubTraderTest, ASideChangeCancelsAndPlacesTheOtherSide) {
  StartAndPlace();
  // The seller's PV produced nothing (clearness 0): it now has a 50 Wh
  // deficit, and the community turns from surplus to a 150 Wh deficit.
  ASSERT_EQ(SellerNetWh(kTarget, 0.0), -50);
  trader_->Observe(Sample(), Closed("seller", 0, 50));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(2));
  ASSERT_TRUE(fake_.WaitForSubmits(5));
  trader_->Stop();

  std::vector<std::string> cancelled;
  for (const v1::CancelOrderRequest& c : fake_.Cancels()) cancelled.push_back(c.order_id());
  EXPECT_THAT(cancelled,
              ::testing::UnorderedElementsAre(Id("seller", kTarget), Id("storage", kTarget)));
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  ASSERT_EQ(orders.size(), 5u);
  ASSERT_TRUE(orders.contains(Id("seller", kTarget, "-r")));
  ASSERT_TRUE(orders.contains(Id("storage", kTarget, "-r")));
  const v1::Order& seller = orders.at(Id("seller", kTarget, "-r"));
  EXPECT_EQ(seller.side(), v1::BUY);
  EXPECT_EQ(seller.quantity_wh(), 45);
  EXPECT_EQ(seller.limit_price_mcu_per_kwh(), kHouseholdBuy);
  const v1::Order& storage = orders.at(Id("storage", kTarget, "-r"));
  EXPECT_EQ(storage.side(), v1::SELL);
  EXPECT_EQ(storage.quantity_wh(), 150);
  EXPECT_EQ(storage.limit_price_mcu_per_kwh(), kStorageSell);
  EXPECT_FALSE(orders.contains(Id("buyer", kTarget, "-r")));  // unchanged, kept
  EXPECT_EQ(trader_->stats().cancelled, 2);
}

TEST_F(HubTraderTest, AnOrderWithNoRevisedDecisionIsOnlyCancelled) {
  StartAndPlace();
  // The bank is full: the storage can no longer buy anything.
  trader_->Observe(Sample(/*soc_pct=*/100), {});
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(1));
  trader_->Stop();
  const std::vector<v1::CancelOrderRequest> cancels = fake_.Cancels();
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].order_id(), Id("storage", kTarget));
  EXPECT_EQ(cancels[0].participant_id(), "storage");
  EXPECT_EQ(fake_.SubmitCount(), 3u);  // nothing placed in its stead
  EXPECT_EQ(trader_->stats().cancelled, 1);
}

TEST_F(HubTraderTest, RefusedOrdersAreCountedAndNeverRevised) {
  fake_.SetSubmitStatus(Id("buyer", kTarget),
                        grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "gate closed"));
  // A retried submission the exchange already has counts as placed earlier.
  fake_.SetSubmitStatus(Id("seller", kTarget),
                        grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "order_id is taken"));
  StartAndPlace();
  // Both the buyer (refused) and the seller (ALREADY_EXISTS) change.
  trader_->Observe(Sample(), Closed("buyer", 0, 200));
  trader_->Observe(Sample(), Closed("seller", 0, 50));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(2));
  trader_->Stop();

  std::vector<std::string> cancelled;
  for (const v1::CancelOrderRequest& c : fake_.Cancels()) cancelled.push_back(c.order_id());
  EXPECT_THAT(cancelled,
              ::testing::UnorderedElementsAre(Id("seller", kTarget), Id("storage", kTarget)));
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  EXPECT_TRUE(orders.contains(Id("seller", kTarget, "-r")));
  EXPECT_TRUE(orders.contains(Id("storage", kTarget, "-r")));
  // The refused buyer is neither cancelled nor submitted again.
  EXPECT_FALSE(orders.contains(Id("buyer", kTarget, "-r")));
  EXPECT_EQ(orders.size(), 5u);
  const TraderStats stats = trader_->stats();
  EXPECT_EQ(stats.rejected, 1);
  EXPECT_EQ(stats.placed, 3);  // storage, then the two revisions; not ALREADY_EXISTS
  EXPECT_EQ(stats.cancelled, 2);
}

TEST_F(HubTraderTest, TradesOnlyOnceTheZoneHasATariff) {
  fake_.SetZone(grpc::Status(grpc::StatusCode::UNAVAILABLE, "starting"));
  trader_->Observe(Sample(), {});
  trader_->Start();
  ASSERT_TRUE(fake_.WaitForZoneCalls(3));  // retried at once, not after an interval
  fake_.SetZone(grpc::Status::OK, MakeZone(/*retail=*/0));  // no tariff set yet
  ASSERT_TRUE(fake_.WaitForZoneCalls(6));
  EXPECT_EQ(fake_.SubmitCount(), 0u);
  fake_.SetZone(grpc::Status::OK, MakeZone());
  ASSERT_TRUE(fake_.WaitForSubmits(3));
  trader_->Stop();
  EXPECT_EQ(fake_.SubmitCount(), 3u);
  EXPECT_TRUE(fake_.Submitted().contains(Id("buyer", kTarget)));
}

TEST_F(HubTraderTest, WaitsForASampleAndRefreshesTheZoneEveryInterval) {
  trader_->Start();
  ASSERT_TRUE(fake_.WaitForZoneCalls(1));
  clock_.Set(absl::FromUnixSeconds(kT0 + 900));  // one interval later: refresh
  ASSERT_TRUE(fake_.WaitForZoneCalls(2));
  EXPECT_EQ(fake_.SubmitCount(), 0u);  // no sample yet, no orders
  trader_->Observe(Sample(), {});
  ASSERT_TRUE(fake_.WaitForSubmits(3));
  trader_->Stop();
  for (const auto& [id, order] : fake_.Submitted()) {
    EXPECT_EQ(order.interval_start(), kT0 + 1800) << id;
  }
}

TEST_F(HubTraderTest, MovesOnToTheNextIntervalOnceTheGateAdvances) {
  StartAndPlace();
  clock_.Set(absl::FromUnixSeconds(kT0 + 600));  // kTarget's gate is closing
  ASSERT_TRUE(fake_.WaitForSubmits(6));
  trader_->Stop();
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  ASSERT_EQ(orders.size(), 6u);
  for (const char* who : {"buyer", "seller", "storage"}) {
    ASSERT_TRUE(orders.contains(Id(who, kTarget + 900))) << who;
    EXPECT_EQ(orders.at(Id(who, kTarget + 900)).interval_start(), kTarget + 900);
  }
  EXPECT_TRUE(fake_.Cancels().empty());
  EXPECT_EQ(trader_->stats().intervals, 2);
  EXPECT_EQ(trader_->stats().placed, 6);
}

// A revision whose cancel fails (here UNAVAILABLE) must not place the
// replacement: the original may still stand, and the participant would have
// two live orders in one interval ("at most one order per participant and
// interval", hub/agents.h). The original stays in the trader's book.
TEST_F(HubTraderTest, AFailedCancelDoesNotPlaceASecondOrder) {
  StartAndPlace();
  fake_.SetCancelStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "try again"));
  trader_->Observe(Sample(), Closed("buyer", 0, 200));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(1));
  trader_->Stop();  // joins after the revision finishes
  EXPECT_FALSE(fake_.Submitted().contains(Id("buyer", kTarget, "-r")));
  EXPECT_EQ(trader_->stats().cancelled, 0);
}

TEST_F(HubTraderTest, WithTheHubsKeyEveryOrderAndCancelIsSignedByTheHub) {
  ASSERT_OK_AND_ASSIGN(ledger::Signer key, ledger::Signer::FromSeed("hub-1", std::string(32, 'k')));
  trader_ = std::make_unique<HubTrader>(Config(), fake_.channel(), &clock_, key);
  StartAndPlace();
  // A side change: two cancels and two revised orders, all signed.
  trader_->Observe(Sample(), Closed("seller", 0, 50));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(2));
  ASSERT_TRUE(fake_.WaitForSubmits(5));
  trader_->Stop();

  v1::Hub hub;
  hub.set_hub_id("hub-1");
  hub.set_public_key(key.verifier().public_key());
  auto delegating = [](const std::string& id, bool delegates) {
    v1::Participant p;
    p.set_participant_id(id);
    p.set_hub_id("hub-1");
    p.set_delegates_trading(delegates);
    return p;
  };
  const std::map<std::string, std::string> signatures = fake_.Signatures();
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  ASSERT_EQ(orders.size(), 5u);
  for (const auto& [id, order] : orders) {
    ASSERT_TRUE(signatures.contains(id));
    EXPECT_THAT(
        convert::VerifyParticipantSignature(convert::OrderSigningText(order), signatures.at(id),
                                            delegating(order.participant_id(), true), &hub),
        ::peergrid::testing::IsOk())
        << id;
    // The hub's key signs only for participants that delegate to it.
    EXPECT_THAT(
        convert::VerifyParticipantSignature(convert::OrderSigningText(order), signatures.at(id),
                                            delegating(order.participant_id(), false), &hub),
        ::peergrid::testing::StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_))
        << id;
  }
  for (const v1::CancelOrderRequest& cancel : fake_.Cancels()) {
    EXPECT_THAT(convert::VerifyParticipantSignature(
                    convert::CancelSigningText(cancel.order_id(), cancel.participant_id()),
                    cancel.signature(), delegating(cancel.participant_id(), true), &hub),
                ::peergrid::testing::IsOk())
        << cancel.order_id();
  }
}

TEST_F(HubTraderTest, WithoutAKeyOrdersGoUnsigned) {
  StartAndPlace();
  trader_->Stop();
  for (const auto& [id, signature] : fake_.Signatures()) EXPECT_TRUE(signature.empty()) << id;
}

}  // namespace
}  // namespace peergrid::node
