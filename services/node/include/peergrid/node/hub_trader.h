// The hub's trading: runs hub/'s agents for its households and its shared
// storage against the exchange's MarketService (DESIGN.md §6, issue 6).
//
// For every delivery interval I the trader acts twice while I's gate is open:
//   1. as soon as I becomes the first open interval (at I − lead − interval),
//      it forecasts each household and the community from what the hub has
//      seen (hub::HubForecaster: persistence of closed intervals) and places
//      the agents' orders;
//   2. a third of an interval before gate closure it forecasts again and
//      revises every order whose side changed, whose quantity moved by more
//      than a quarter or whose limit moved by more than a tenth of the
//      tariff's spread — without leaving a gap:
//        same side     the replacement is placed first and the old order is
//                      cancelled only once the replacement is accepted (the
//                      exchange lets one participant hold several orders on
//                      one side). Two SELLs must fit together in what the
//                      seller may deliver (the exchange counts its other open
//                      sells): the replacement is split, the part that fits
//                      placed first, the rest ("-r2") once the old order is
//                      cancelled; with no room at all it is revised like a
//                      side change;
//        side change   cancel first (the exchange enforces one side per
//                      participant and interval), then place — only while at
//                      least a sixth of an interval remains before gate
//                      closure; later the old order is kept. A cancel that
//                      fails keeps the old order and places nothing;
//        no decision   the old order is cancelled.
// Retries: a submission or cancel that fails is retried with exponential
// backoff (10 s doubling to 120 s of the trader's clock, at most 8 attempts)
// while the gate is open, except for permanent errors: INVALID_ARGUMENT and
// PERMISSION_DENIED are final, ALREADY_EXISTS means an earlier attempt was
// recorded (accepted). A retry reuses the order's id, so an attempt whose
// answer was lost is never doubled; an order that may have been recorded is
// not revised until that is known. A cancel answered FAILED_PRECONDITION
// after an attempt whose answer was lost was already done; otherwise the
// order stands (its gate closed).
// Orders are named <participant>-<interval_start> (revisions add "-r").
//
// Thread-safety: Observe() is called from the daemon loop; the trader works on
// its own thread between Start() and Stop().
#ifndef PEERGRID_NODE_HUB_TRADER_H_
#define PEERGRID_NODE_HUB_TRADER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/channel.h"
#include "peergrid/common/clock.h"
#include "peergrid/hub/agents.h"
#include "peergrid/hub/forecaster.h"
#include "peergrid/hub/simulator.h"
#include "peergrid/ledger/note.h"
#include "peergrid/v1/market.grpc.pb.h"

namespace peergrid::node {

struct TraderStats {
  int64_t placed = 0;
  int64_t rejected = 0;
  int64_t cancelled = 0;
  int64_t intervals = 0;
  int64_t retried = 0;    // submissions and cancels sent again after a failure
  int64_t abandoned = 0;  // orders or cancels given up (permanent error, attempts, gate)
};

class HubTrader {
 public:
  // `config` is the hub's simulator config (households, banks, site); orders
  // go to `channel` (the exchange). `clock` must outlive the trader. With a
  // `signer` (the hub's registered key), every order and cancel is signed.
  HubTrader(hub::SimulatorConfig config, std::shared_ptr<grpc::Channel> channel, const Clock* clock,
            std::optional<ledger::Signer> signer = std::nullopt);
  ~HubTrader();

  // Records the latest sample and closed intervals (for forecasts and the
  // storage agent's bank state). Cheap.
  void Observe(const hub::HubSample& sample, const std::vector<hub::IntervalSummary>& closed);
  void Start();
  void Stop();
  TraderStats stats() const;

 private:
  // One participant's orders in one interval.
  struct Slot {
    std::vector<matching::Order> live;       // accepted: stand at the exchange
    std::optional<matching::Order> pending;  // to submit: the first order or a replacement
    bool replaces = false;                   // `pending` supersedes `live` once accepted
    std::optional<matching::Order> then;     // the rest of a split SELL, after `withdraw`
    bool pending_maybe_recorded = false;     // an attempt's answer was lost
    std::vector<matching::Order> withdraw;   // accepted orders to cancel
    bool withdraw_first = false;             // `pending` waits for `withdraw`
    bool cancel_maybe_done = false;          // a cancel attempt's answer was lost
    bool frozen = false;     // refused for good, or may stand unknown to us: never revised
    int attempts = 0;        // failed attempts of the next step
    int64_t retry_at_s = 0;  // when the next step may run
  };
  struct Decisions {
    std::map<std::string, matching::Order> orders;  // by participant
    std::map<std::string, int64_t> sell_cap_wh;     // what each may deliver
  };

  void Loop();
  bool RefreshZone();
  Decisions Decide(int64_t interval_start, const hub::MarketView& market);
  void Place(int64_t interval_start, const Decisions& decisions, const hub::MarketView& market);
  void Revise(int64_t interval_start, const Decisions& decisions, const hub::MarketView& market);
  // Runs every due step of the interval's slots: withdrawals, submissions,
  // then the withdrawals their acceptance allows.
  void Advance(int64_t interval_start, const hub::MarketView& market);
  void RunWithdrawals(std::map<std::string, Slot>& slots, const std::vector<std::string>& due,
                      int64_t now_s);
  // Returns the participants whose pending order was accepted.
  std::vector<std::string> RunSubmissions(std::map<std::string, Slot>& slots,
                                          const std::vector<std::string>& due, int64_t now_s);
  // Submits orders concurrently and waits for the answers.
  std::vector<grpc::Status> Submit(const std::vector<matching::Order>& orders);
  // Cancels orders concurrently and waits for the answers.
  std::vector<grpc::Status> Cancel(const std::vector<matching::Order>& orders);

  const hub::SimulatorConfig config_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::MarketService::Stub> market_;
  const Clock* const clock_;
  const std::optional<ledger::Signer> signer_;
  const hub::HouseholdAgent household_agent_;
  const hub::StorageAgent storage_agent_;

  mutable absl::Mutex mu_;
  std::optional<hub::HubSample> latest_ ABSL_GUARDED_BY(mu_);
  hub::HubForecaster forecaster_ ABSL_GUARDED_BY(mu_);
  TraderStats stats_ ABSL_GUARDED_BY(mu_);

  // Trader thread only.
  std::optional<hub::MarketView> market_view_;
  std::map<int64_t, std::map<std::string, Slot>> book_;
  std::map<int64_t, bool> revised_;

  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace peergrid::node

#endif  // PEERGRID_NODE_HUB_TRADER_H_
