// Test helpers for HubTrader (private to node_test): an in-process fake
// exchange (AdminService.GetZone and MarketService.SubmitOrder/CancelOrder on
// 127.0.0.1:0) that records every request in the order it arrived, enforces
// the exchange's one-side rule, and fails chosen calls; a Jeju hub config; and
// the orders hub/'s agents decide for given observations (what the trader
// must submit).
#ifndef PEERGRID_NODE_SRC_HUB_TRADER_TEST_UTIL_H_
#define PEERGRID_NODE_SRC_HUB_TRADER_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/common/clock.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/hub/agents.h"
#include "peergrid/hub/forecaster.h"
#include "peergrid/node/hub_trader.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"

namespace peergrid::node::trader_testing {

inline constexpr int64_t kT0 = 1'782'010'800;  // 2026-06-21 12:00 KST (03:00 UTC), aligned to 900 s
inline constexpr int64_t kTarget = kT0 + 900;  // the first interval whose gate is open at kT0
inline constexpr int64_t kFeedIn = 50'000, kRetail = 150'000;
inline constexpr int64_t kRevisionAt = kTarget - 300 - 300;  // a third of an interval before gate

inline v1::Zone MakeZone(int64_t retail = kRetail) {
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

// One request the fake received, in arrival order.
struct Event {
  enum Kind { kSubmit, kCancel } kind;
  std::string order_id;
  bool ok = false;
  int64_t at_s = 0;  // the test clock's time when it arrived
};

// The exchange's three RPCs the trader calls. Answers OK unless told
// otherwise; a submission on the other side of a participant's live order in
// the same interval is refused FAILED_PRECONDITION, as the exchange does.
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
  // Stamps every event with `clock`'s time (must outlive the fake).
  void set_clock(const Clock* clock) {
    absl::MutexLock lock(&mu_);
    clock_ = clock;
  }

  void SetZone(grpc::Status status, v1::Zone zone = {}) {
    absl::MutexLock lock(&mu_);
    zone_status_ = std::move(status);
    zone_ = std::move(zone);
  }
  // Every submission of `order_id` is answered `status`.
  void SetSubmitStatus(const std::string& order_id, grpc::Status status) {
    FailSubmits(order_id, 1 << 30, std::move(status));
  }
  // The next `times` submissions of `order_id` are answered `status`.
  void FailSubmits(const std::string& order_id, int times, grpc::Status status) {
    absl::MutexLock lock(&mu_);
    submit_failures_[order_id] = {times, std::move(status)};
  }
  // Every cancel is answered `status` (for ids without their own failures).
  void SetCancelStatus(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    cancel_status_ = std::move(status);
  }
  // The next `times` cancels of `order_id` are answered `status`.
  void FailCancels(const std::string& order_id, int times, grpc::Status status) {
    absl::MutexLock lock(&mu_);
    cancel_failures_[order_id] = {times, std::move(status)};
  }

  // Wait (at most 30 s of real time) until the condition holds; return whether it did.
  bool WaitForSubmits(size_t n) {
    return WaitFor([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return submitted_.size() >= n; });
  }
  bool WaitForCancels(size_t n) {
    return WaitFor([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cancels_.size() >= n; });
  }
  bool WaitForZoneCalls(int n) {
    return WaitFor([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return zone_calls_ >= n; });
  }
  // Until `order_id` was submitted (or cancelled) at least n times.
  bool WaitForSubmitsOf(const std::string& order_id, int n) {
    return WaitFor([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return CountLocked(Event::kSubmit, order_id) >= n;
    });
  }
  bool WaitForCancelsOf(const std::string& order_id, int n) {
    return WaitFor([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return CountLocked(Event::kCancel, order_id) >= n;
    });
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
  int SubmitsOf(const std::string& order_id) const {
    absl::MutexLock lock(&mu_);
    return CountLocked(Event::kSubmit, order_id);
  }
  int CancelsOf(const std::string& order_id) const {
    absl::MutexLock lock(&mu_);
    return CountLocked(Event::kCancel, order_id);
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
  std::vector<Event> Events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // Returns the position of the first successful event of a kind and id in
  // Events(), or -1.
  int FirstOk(Event::Kind kind, const std::string& order_id) const {
    const std::vector<Event> events = Events();
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].kind == kind && events[i].order_id == order_id && events[i].ok) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  // Returns the fewest live orders `participant` had in `interval_start`
  // after its first order was accepted (0 means a gap).
  int MinLiveAfterFirst(const std::string& participant, int64_t interval_start) const {
    absl::MutexLock lock(&mu_);
    int live = 0, min = 1 << 30;
    bool started = false;
    for (const Event& e : events_) {
      auto order = orders_.find(e.order_id);
      if (!e.ok || order == orders_.end() || order->second.participant_id() != participant ||
          order->second.interval_start() != interval_start) {
        continue;
      }
      live += e.kind == Event::kSubmit ? 1 : -1;
      started = true;
      min = std::min(min, live);
    }
    return started ? min : -1;
  }

 private:
  struct Failure {
    int times = 0;
    grpc::Status status;
  };

  class Market final : public v1::MarketService::Service {
   public:
    explicit Market(FakeExchange* fake) : fake_(fake) {}
    grpc::Status SubmitOrder(grpc::ServerContext*, const v1::SubmitOrderRequest* request,
                             v1::SubmitOrderResponse* response) override {
      absl::MutexLock lock(&fake_->mu_);
      const v1::Order& order = request->order();
      fake_->submitted_.push_back(order);
      fake_->signatures_[order.order_id()] = request->signature();
      response->set_seq(fake_->submitted_.size());
      grpc::Status status =
          fake_->TakeFailureLocked(fake_->submit_failures_, order.order_id(), grpc::Status::OK);
      if (status.ok() && fake_->orders_.contains(order.order_id())) {
        status = grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "order_id is already used");
      }
      if (status.ok()) {
        for (const std::string& id : fake_->live_) {
          const v1::Order& other = fake_->orders_.at(id);
          if (other.participant_id() == order.participant_id() &&
              other.interval_start() == order.interval_start() && other.side() != order.side()) {
            status = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "one side");
          }
        }
      }
      if (status.ok()) {
        fake_->orders_[order.order_id()] = order;
        fake_->live_.insert(order.order_id());
      }
      fake_->events_.push_back({Event::kSubmit, order.order_id(), status.ok(), fake_->NowLocked()});
      return status;
    }
    grpc::Status CancelOrder(grpc::ServerContext*, const v1::CancelOrderRequest* request,
                             v1::CancelOrderResponse*) override {
      absl::MutexLock lock(&fake_->mu_);
      fake_->cancels_.push_back(*request);
      grpc::Status status = fake_->TakeFailureLocked(fake_->cancel_failures_, request->order_id(),
                                                     fake_->cancel_status_);
      if (status.ok()) fake_->live_.erase(request->order_id());
      fake_->events_.push_back(
          {Event::kCancel, request->order_id(), status.ok(), fake_->NowLocked()});
      return status;
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

  grpc::Status TakeFailureLocked(std::map<std::string, Failure>& failures, const std::string& id,
                                 const grpc::Status& otherwise) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = failures.find(id);
    if (it == failures.end() || it->second.times <= 0) return otherwise;
    --it->second.times;
    return it->second.status;
  }
  int64_t NowLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return clock_ == nullptr ? 0 : clock_->NowUnixSeconds();
  }
  int CountLocked(Event::Kind kind, const std::string& id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int n = 0;
    for (const Event& e : events_) n += e.kind == kind && e.order_id == id ? 1 : 0;
    return n;
  }

  // `done` runs with mu_ held.
  template <typename F>
  bool WaitFor(F done) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done(); };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30));
  }

  mutable absl::Mutex mu_;
  const Clock* clock_ ABSL_GUARDED_BY(mu_) = nullptr;
  grpc::Status zone_status_ ABSL_GUARDED_BY(mu_) = grpc::Status::OK;
  v1::Zone zone_ ABSL_GUARDED_BY(mu_) = MakeZone();
  int zone_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Failure> submit_failures_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Failure> cancel_failures_ ABSL_GUARDED_BY(mu_);
  grpc::Status cancel_status_ ABSL_GUARDED_BY(mu_) = grpc::Status::OK;
  std::vector<v1::Order> submitted_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> signatures_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::CancelOrderRequest> cancels_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Order> orders_ ABSL_GUARDED_BY(mu_);  // accepted, by id
  std::set<std::string> live_ ABSL_GUARDED_BY(mu_);               // accepted, not cancelled
  Market market_;
  Admin admin_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

inline hub::LoadProfile FlatLoad(double w) {
  hub::LoadProfile load;
  load.base_w = w;
  load.morning_peak_w = 0;
  load.evening_peak_w = 0;
  load.midday_w = 0;
  return load;
}

// A Jeju hub: "buyer" (no PV, a flat `buyer_w`: 100 Wh per interval at
// 400 W), "seller" (5 kW of PV, a flat 200 W) and the bank "bank-1" traded
// by "storage".
inline hub::SimulatorConfig Config(double buyer_w = 400) {
  hub::SimulatorConfig c;
  c.hub_id = "hub-1";
  c.zone_id = "zone-1";
  c.site.latitude_deg = 33.5;
  c.site.longitude_deg = 126.5;
  c.utc_offset_s = 9 * 3600;
  c.interval_s = 900;
  hub::HouseholdSpec buyer;
  buyer.participant_id = "buyer";
  buyer.load = FlatLoad(buyer_w);
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
inline hub::HubSample Sample(double soc_pct = 50) {
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
inline std::vector<hub::IntervalSummary> Closed(const std::string& id, int64_t pv_wh,
                                                int64_t load_wh) {
  hub::IntervalSummary interval;
  interval.interval_start = kT0 - 900;
  interval.households.push_back({id, pv_wh, load_wh, 0, 0});
  return {interval};
}

// The seller's forecast net energy for `interval_start` at `clearness`.
inline int64_t SellerNetWh(int64_t interval_start, double clearness = 1.0) {
  const hub::SimulatorConfig c = Config();
  return hub::ForecastHousehold(c.households[1], c.site, c.utc_offset_s, interval_start, 900,
                                clearness, 1.0)
      .net()
      .value();
}

inline std::string Id(const std::string& participant, int64_t interval_start,
                      const std::string& suffix = "") {
  return absl::StrCat(participant, "-", interval_start, suffix);
}

// The orders hub/'s agents decide for `interval_start` at `now` after the
// hub observed `observed` (closed intervals, oldest first) and `sample`, by
// participant: what the trader must submit (its ids aside).
inline std::map<std::string, matching::Order> AgentOrders(
    const hub::SimulatorConfig& c, const std::vector<hub::IntervalSummary>& observed,
    const hub::HubSample& sample, int64_t interval_start, int64_t now) {
  hub::HubForecaster forecaster(c.households, c.site, c.utc_offset_s, c.interval_s);
  for (const hub::IntervalSummary& s : observed) forecaster.Observe(s);
  hub::MarketView market;
  market.tariff = {PriceMcuPerKwh(kFeedIn), PriceMcuPerKwh(kRetail)};
  market.now_unix_s = now;
  std::map<std::string, matching::Order> out;
  const hub::CommunityForecast community = forecaster.Community(interval_start);
  for (size_t i = 0; i < c.households.size(); ++i) {
    hub::HouseholdState s;
    s.participant_id = c.households[i].participant_id;
    s.interval_start = interval_start;
    s.forecast = forecaster.Forecast(i, interval_start);
    s.community = community;
    s.deliverable_cap = EnergyWh(c.households[i].pv.nameplate_w * c.interval_s / 3600);
    if (auto o = hub::HouseholdAgent().Decide(s, market)) out[s.participant_id] = *o;
  }
  const hub::StorageAgent storage;
  hub::StorageState s;
  s.participant_id = "storage";
  s.interval_start = interval_start;
  s.community_net = community.net();
  s.deficit_ahead = forecaster.DeficitAhead(interval_start, storage.strategy().lookahead_s);
  s.utc_offset_s = c.utc_offset_s;
  s.banks = sample.banks;
  if (auto o = storage.Decide(s, market)) out["storage"] = *o;
  return out;
}

// Expects `submitted` to carry the agent's decision (side, quantity, limit).
inline void ExpectDecided(const v1::Order& submitted, const matching::Order& decided) {
  EXPECT_EQ(submitted.participant_id(), decided.participant_id.value());
  EXPECT_EQ(submitted.side(), convert::ToProto(decided).side());
  EXPECT_EQ(submitted.quantity_wh(), decided.quantity.value()) << submitted.order_id();
  EXPECT_EQ(submitted.limit_price_mcu_per_kwh(), decided.limit_price.value())
      << submitted.order_id();
  EXPECT_EQ(submitted.interval_start(), decided.interval_start);
}

class HubTraderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.started());
    fake_.set_clock(&clock_);
    trader_ = std::make_unique<HubTrader>(config_, fake_.channel(), &clock_);
  }
  void TearDown() override { trader_->Stop(); }

  // Starts trading at kT0 with `sample` and waits for the three first orders.
  void StartAndPlace(const hub::HubSample& sample = Sample()) {
    sample_ = sample;
    trader_->Observe(sample, {});
    trader_->Start();
    ASSERT_TRUE(fake_.WaitForSubmits(3));
  }
  // Observes closed intervals (remembered for Expected()).
  void Observe(const hub::HubSample& sample, const std::vector<hub::IntervalSummary>& closed) {
    sample_ = sample;
    observed_.insert(observed_.end(), closed.begin(), closed.end());
    trader_->Observe(sample, closed);
  }
  // Moves the clock to the revision point of kTarget.
  void MoveToRevision() { clock_.Set(absl::FromUnixSeconds(kRevisionAt)); }
  // What the agents decide for kTarget at `now` given what was observed.
  std::map<std::string, matching::Order> Expected(int64_t now) const {
    return AgentOrders(config_, observed_, sample_, kTarget, now);
  }

  hub::SimulatorConfig config_ = Config();
  ManualClock clock_{absl::FromUnixSeconds(kT0)};
  FakeExchange fake_;
  std::unique_ptr<HubTrader> trader_;
  hub::HubSample sample_ = Sample();
  std::vector<hub::IntervalSummary> observed_;
};

}  // namespace peergrid::node::trader_testing

#endif  // PEERGRID_NODE_SRC_HUB_TRADER_TEST_UTIL_H_
