// The zone exchange: registrations, order intake, clearing at gate closure and
// settlement after the interval, all recorded in the signed ledger before they
// are acknowledged. Its state is a fold over the ledger (replayed on Open), so
// a restart — even after SIGKILL — loses nothing that was acknowledged, and
// clearings or settlements that fell due while it was down run on the next
// RunDue() exactly once, in order.
//
// Thread-safety: thread-safe. SubmitOrder and CancelOrder may be called from
// many threads; their durable appends share the ledger's group commit. Orders
// go through one intake thread that appends every order validated since its
// last append as one batch (one fsync), so a burst of orders costs one disk
// write and no thread waits per order; an answer thread sends the answers of
// one batch while the next is written.
// Errors: InvalidArgument names the bad field; NotFound for unknown ids;
// AlreadyExists for a reused id; FailedPrecondition for a closed gate, the
// other side already taken, a sell above the deliverable energy, a stale hub
// or a zone without a tariff; PermissionDenied for a bad order signature.
#ifndef PEERGRID_SERVICES_EXCHANGE_H_
#define PEERGRID_SERVICES_EXCHANGE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "peergrid/common/clock.h"
#include "peergrid/common/market_time.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/services/drain_queue.h"
#include "peergrid/services/hub_directory.h"
#include "peergrid/services/market_telemetry.h"
#include "peergrid/v1/admin.pb.h"
#include "peergrid/v1/ledger.pb.h"
#include "peergrid/v1/market.pb.h"

namespace peergrid::matching {
struct Order;
}  // namespace peergrid::matching

namespace peergrid::services {

class ExchangeState;

// What one participant has open (accepted, not cancelled, not cleared) or
// pending in one interval: what every submission checks, kept up to date so
// the checks do not walk the participant's orders.
struct OpenPosition {
  int64_t orders = 0;
  v1::Side side = v1::SIDE_UNSPECIFIED;  // of every such order (one side per interval)
  int64_t sell_wh = 0;                   // Σ quantity_wh of the SELLs

  void Add(const v1::Order& order) {
    ++orders;
    side = order.side();
    if (order.side() == v1::SELL) sell_wh += order.quantity_wh();
  }
  void Remove(const v1::Order& order) {
    --orders;
    if (order.side() == v1::SELL) sell_wh -= order.quantity_wh();
  }
};

struct ExchangeOptions {
  std::string zone_id = "jeju-1";
  // The ledger's checkpoint origin, e.g. "peergrid/jeju-1".
  std::string log_origin = "peergrid/jeju-1";
  MarketTiming timing;
  // Reject orders without a valid signature for participants with a key.
  bool require_signed_orders = false;
};

// What happened, for watchers (trades, checkpoints, metrics).
struct ExchangeEvents {
  std::function<void(const v1::TradeEvent&)> on_cleared;
  std::function<void(const v1::IntervalSettled&, bool correction)> on_settled;
  std::function<void(const v1::Order&)> on_order;
  std::function<void(const ledger::SignedCheckpoint&)> on_checkpoint;
};

class Exchange {
 public:
  // Replays `ledger` into memory. Returns DataLoss naming the first entry that
  // does not parse or contradicts the ones before it.
  static absl::StatusOr<std::unique_ptr<Exchange>> Open(ledger::Ledger* ledger,
                                                        const MarketTelemetry* telemetry,
                                                        const Clock* clock,
                                                        ExchangeOptions options);
  ~Exchange();

  void SetEvents(ExchangeEvents events);

  // Admin: each is one ledger entry; returns its index.
  absl::StatusOr<uint64_t> RegisterHub(const v1::Hub& hub);
  absl::StatusOr<uint64_t> RegisterParticipant(const v1::Participant& participant);
  absl::StatusOr<uint64_t> SetTariff(const v1::Tariff& tariff);
  v1::Zone GetZone() const;

  // Market.
  absl::StatusOr<v1::SubmitOrderResponse> SubmitOrder(const v1::SubmitOrderRequest& request);
  // The same without blocking (what the gRPC server calls): validates the
  // order and, once it is durable and applied, calls `done` with its ledger
  // index; an invalid order gets `done` with the error before this returns.
  // `done` runs on the exchange's answer thread and must not block.
  using SubmitDone = std::function<void(absl::StatusOr<v1::SubmitOrderResponse>)>;
  void SubmitOrderAsync(const v1::SubmitOrderRequest& request, SubmitDone done);
  absl::StatusOr<v1::CancelOrderResponse> CancelOrder(const v1::CancelOrderRequest& request);
  absl::StatusOr<v1::OrderState> GetOrder(const std::string& order_id) const;
  absl::StatusOr<v1::ListOrdersResponse> ListOrders(const v1::ListOrdersRequest& request) const;
  absl::StatusOr<v1::IntervalResult> GetIntervalResult(int64_t interval_start) const;
  absl::StatusOr<v1::GetBillResponse> GetBill(const v1::GetBillRequest& request) const;
  // Returns the cleared intervals from `from_interval_start` on, as trade
  // events (filtered to one participant when non-empty).
  std::vector<v1::TradeEvent> ClearedSince(int64_t from_interval_start,
                                           const std::string& participant_id) const;
  // Returns the ledger index of an order's order-accepted entry.
  absl::StatusOr<uint64_t> OrderIndex(const std::string& order_id) const;

  // Runs every clearing and settlement due at the clock's now, in due order,
  // each exactly once, and corrections for late reads. Returns how many ran.
  absl::StatusOr<int> RunDue();
  // Signs a checkpoint if the ledger grew since the last one (never per entry:
  // after each clearing and settlement, and periodically from the daemon).
  absl::Status SignCheckpoint();

  // Returns when the next clearing or settlement falls due (exchange clock).
  std::optional<int64_t> NextDueUnixSeconds() const;

  const HubDirectory& directory() const;
  const ExchangeOptions& options() const { return options_; }
  ledger::Ledger& ledger() { return *ledger_; }

 private:
  Exchange(ledger::Ledger* ledger, const MarketTelemetry* telemetry, const Clock* clock,
           ExchangeOptions options);

  absl::StatusOr<uint64_t> AppendAdmin(v1::LedgerEntry entry);
  // An accepted order on its way to the ledger.
  struct OrderAppend {
    v1::LedgerEntry entry;
    std::string bytes;  // entry, serialized
    SubmitDone done;
  };
  // Orders made durable (or not) together, to be answered.
  struct CommittedOrders {
    std::vector<OrderAppend> orders;
    uint64_t first_index = 0;  // orders[i] is at first_index + i
    absl::Status status;       // OK, or why none of them was recorded
    std::function<void(const v1::Order&)> on_order;
  };
  // The intake thread: appends queued orders in batches until the queue is
  // closed and drained. Its batches go to the answer thread, which finishes
  // the calls (sending the responses) while the next batch is appended.
  void IntakeLoop();
  void CommitOrders(std::vector<OrderAppend> batch);
  void AnswerLoop();
  static void Answer(CommittedOrders committed);
  absl::Status ValidateSubmitLocked(const v1::SubmitOrderRequest& request, int64_t now_s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckSellerCapacityLocked(const v1::Order& order, const v1::Participant& seller,
                                         int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One side per participant per interval, over open and pending orders.
  absl::Status CheckOneSideLocked(const v1::Order& order, const matching::Order& domain)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts a validated order as pending, and no longer once it is durable
  // (or failed to be).
  void AddPendingLocked(const v1::Order& order) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemovePendingLocked(const v1::Order& order) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckSignatureLocked(const v1::SubmitOrderRequest& request,
                                    const v1::Participant& participant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ClearInterval(int64_t interval_start);
  absl::Status SettleInterval(int64_t interval_start);
  absl::Status CorrectLateReads(int64_t now_s);
  absl::StatusOr<v1::IntervalSettled> ComputeSettlement(int64_t interval_start,
                                                        const v1::ClearingResult& clearing,
                                                        const v1::Tariff& tariff) const;
  // Returns the first interval this zone clears (its gate was open when the
  // ledger began), if the ledger has entries.
  std::optional<int64_t> FirstIntervalLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ApplyLocked(uint64_t index, const v1::LedgerEntry& entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t NowMs() const;

  ledger::Ledger* const ledger_;
  const MarketTelemetry* const telemetry_;
  const Clock* const clock_;
  const ExchangeOptions options_;

  absl::Mutex admin_mu_;  // serializes registrations and tariff changes
  absl::Mutex due_mu_;    // serializes RunDue
  mutable absl::Mutex mu_;
  std::unique_ptr<ExchangeState> state_ ABSL_GUARDED_BY(mu_);
  // Orders and cancels validated but not yet durable.
  std::map<std::string, v1::Order> pending_orders_ ABSL_GUARDED_BY(mu_);
  // What the pending orders add per (participant, interval).
  std::map<std::pair<std::string, int64_t>, OpenPosition> pending_positions_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> pending_cancels_ ABSL_GUARDED_BY(mu_);
  // Durable entries waiting for an earlier index to be applied first.
  std::map<uint64_t, v1::LedgerEntry> unapplied_ ABSL_GUARDED_BY(mu_);
  absl::CondVar applied_;  // signalled when unapplied entries reach the state
  std::map<int64_t, int> in_flight_ ABSL_GUARDED_BY(mu_);
  // Intervals whose gate the scheduler has closed (no new orders or cancels).
  std::optional<int64_t> closed_through_ ABSL_GUARDED_BY(mu_);
  int64_t last_correction_check_s_ ABSL_GUARDED_BY(mu_) = 0;
  ExchangeEvents events_ ABSL_GUARDED_BY(mu_);
  absl::Mutex checkpoint_mu_;
  uint64_t last_checkpoint_size_ ABSL_GUARDED_BY(checkpoint_mu_) = 0;
  DrainQueue<OrderAppend> intake_;
  DrainQueue<CommittedOrders> committed_;
  // Last: they start once every other member exists.
  std::thread answer_thread_;
  std::thread intake_thread_;
};

// Returns the canonical text a participant signs for an order (docs/API.md).
std::string OrderSigningText(const v1::Order& order);

}  // namespace peergrid::services

#endif  // PEERGRID_SERVICES_EXCHANGE_H_
