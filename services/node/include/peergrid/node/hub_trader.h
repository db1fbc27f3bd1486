// The hub's trading: runs hub/'s agents for its households and its shared
// storage against the exchange's MarketService (DESIGN.md §6, issue 6).
//
// For every delivery interval I the trader acts twice while I's gate is open:
//   1. as soon as I becomes the first open interval (at I − lead − interval),
//      it forecasts each household from persistence (last interval's PV
//      against clear sky, load against the expected profile) and places the
//      agents' orders;
//   2. a third of an interval before gate closure it forecasts again and, for
//      every order whose side changed or whose quantity moved by more than a
//      quarter, cancels it and places the revised one (or just cancels).
// Orders are named <participant>-<interval_start> (revisions add "-r"), so a
// retried submission is refused as ALREADY_EXISTS instead of doubling.
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
#include "peergrid/hub/simulator.h"
#include "peergrid/ledger/note.h"
#include "peergrid/v1/market.grpc.pb.h"

namespace peergrid::node {

struct TraderStats {
  int64_t placed = 0;
  int64_t rejected = 0;
  int64_t cancelled = 0;
  int64_t intervals = 0;
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
  struct Placed {
    matching::Order order;
    bool accepted = false;
  };
  struct Decisions {
    std::map<std::string, matching::Order> orders;  // by participant
  };

  void Loop();
  bool RefreshZone();
  Decisions Decide(int64_t interval_start, const hub::MarketView& market);
  void Place(int64_t interval_start, const Decisions& decisions);
  void Revise(int64_t interval_start, const Decisions& decisions);
  // Submits orders concurrently and waits for the answers; returns the ids accepted.
  std::vector<bool> Submit(const std::vector<matching::Order>& orders);
  // Cancels orders one by one; returns which were cancelled.
  std::vector<bool> Cancel(const std::vector<matching::Order>& orders);

  const hub::SimulatorConfig config_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::MarketService::Stub> market_;
  const Clock* const clock_;
  const std::optional<ledger::Signer> signer_;
  const hub::HouseholdAgent household_agent_;
  const hub::StorageAgent storage_agent_;

  mutable absl::Mutex mu_;
  std::optional<hub::HubSample> latest_ ABSL_GUARDED_BY(mu_);
  // Persistence factors per household: (clearness, load ratio).
  std::map<std::string, std::pair<double, double>> factors_ ABSL_GUARDED_BY(mu_);
  TraderStats stats_ ABSL_GUARDED_BY(mu_);

  // Trader thread only.
  std::optional<hub::MarketView> market_view_;
  std::map<int64_t, std::map<std::string, Placed>> placed_;
  std::map<int64_t, bool> revised_;

  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace peergrid::node

#endif  // PEERGRID_NODE_HUB_TRADER_H_
