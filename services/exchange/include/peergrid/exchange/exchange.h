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
#ifndef PEERGRID_EXCHANGE_EXCHANGE_H_
#define PEERGRID_EXCHANGE_EXCHANGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "peergrid/common/clock.h"
#include "peergrid/common/market_time.h"
#include "peergrid/exchange/hub_directory.h"
#include "peergrid/exchange/market_telemetry.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/v1/admin.pb.h"
#include "peergrid/v1/ledger.pb.h"
#include "peergrid/v1/market.pb.h"
#include "peergrid/v1/operator.pb.h"

namespace peergrid::exchange {

struct ExchangeOptions {
  std::string zone_id = "jeju-1";
  // The ledger's checkpoint origin, e.g. "peergrid/jeju-1".
  std::string log_origin = "peergrid/jeju-1";
  MarketTiming timing;
  // Reject orders and cancels without a valid signature for participants
  // with a key. The zone's policy is ledgered: Open appends a
  // SigningPolicySet entry when this differs from the policy in force.
  bool require_signed_orders = false;
};

// What happened, for watchers (trades, checkpoints, metrics).
struct ExchangeEvents {
  std::function<void(const v1::TradeEvent&)> on_cleared;
  std::function<void(const v1::IntervalSettled&, bool correction)> on_settled;
  std::function<void(const v1::Order&)> on_order;
  std::function<void(const ledger::SignedCheckpoint&)> on_checkpoint;
  // A market alarm (METER_READ_UNUSABLE, ORDER_UNUSABLE, LEDGER_ENTRY_SKIPPED,
  // SCHEDULED_WORK_FAILING). Alarms raised before SetEvents (while Open
  // replays the ledger) are in RecentAlarms().
  std::function<void(const v1::Alarm&)> on_alarm;
};

// Whether scheduled clearing and settlement keep up (DESIGN.md §9).
struct SchedulerHealth {
  // Some due clearing, settlement or correction failed and has not yet
  // succeeded on a retry.
  bool stuck = false;
  // Catching up: more than one interval's clearing fell due at once (after
  // an outage) and RunDue is still working through them. Health is
  // NOT_SERVING meanwhile, like when stuck.
  bool catching_up = false;
  // When stuck: the oldest failing work, how often and since when it failed,
  // and its last error. When catching up (after that, "; "-separated):
  // "catching up: interval X of Y missed while down (interval <start>)".
  std::string reason;
  int failing = 0;  // work items failing now
};

class Exchange {
 public:
  // Replays `ledger` into memory. An entry that does not parse or contradicts
  // the ones before it is logged, raises LEDGER_ENTRY_SKIPPED and is skipped
  // (GetZone().skipped_ledger_indices): one stored record never stops the
  // exchange, and the audit still sees the ledger as it is. Errors: the
  // ledger cannot be read, or an invalid options.timing.
  static absl::StatusOr<std::unique_ptr<Exchange>> Open(ledger::Ledger* ledger,
                                                        const MarketTelemetry* telemetry,
                                                        const Clock* clock,
                                                        ExchangeOptions options);
  virtual ~Exchange() = default;

  virtual void SetEvents(ExchangeEvents events) = 0;

  // Admin: each is one ledger entry; returns its index.
  virtual absl::StatusOr<uint64_t> RegisterHub(const v1::Hub& hub) = 0;
  virtual absl::StatusOr<uint64_t> RegisterParticipant(const v1::Participant& participant) = 0;
  virtual absl::StatusOr<uint64_t> SetTariff(const v1::Tariff& tariff) = 0;
  virtual v1::Zone GetZone() const = 0;

  // Market.
  virtual absl::StatusOr<v1::SubmitOrderResponse> SubmitOrder(
      const v1::SubmitOrderRequest& request) = 0;
  // The same without blocking (what the gRPC server calls): validates the
  // order and, once it is durable and applied, calls `done` with its ledger
  // index; an invalid order gets `done` with the error before this returns.
  // `done` runs on the exchange's answer thread and must not block.
  using SubmitDone = std::function<void(absl::StatusOr<v1::SubmitOrderResponse>)>;
  virtual void SubmitOrderAsync(const v1::SubmitOrderRequest& request, SubmitDone done) = 0;
  virtual absl::StatusOr<v1::CancelOrderResponse> CancelOrder(
      const v1::CancelOrderRequest& request) = 0;
  virtual absl::StatusOr<v1::OrderState> GetOrder(const std::string& order_id) const = 0;
  virtual absl::StatusOr<v1::ListOrdersResponse> ListOrders(
      const v1::ListOrdersRequest& request) const = 0;
  virtual absl::StatusOr<v1::IntervalResult> GetIntervalResult(int64_t interval_start) const = 0;
  virtual absl::StatusOr<v1::GetBillResponse> GetBill(const v1::GetBillRequest& request) const = 0;
  // Returns the cleared intervals from `from_interval_start` on, as trade
  // events (filtered to one participant when non-empty).
  virtual std::vector<v1::TradeEvent> ClearedSince(int64_t from_interval_start,
                                                   const std::string& participant_id) const = 0;
  // Returns the ledger index of an order's order-accepted entry.
  virtual absl::StatusOr<uint64_t> OrderIndex(const std::string& order_id) const = 0;

  // Runs every clearing and settlement due at the clock's now, in due order,
  // each exactly once, and corrections for late reads. Returns how many ran
  // (an empty run counts as one). A run of consecutive intervals whose
  // settlement is already due and that have no orders and no meter reads of
  // registered participants (what an outage leaves behind) is cleared and
  // settled by one EmptyIntervals entry (docs/LEDGER.md); every other
  // interval gets its IntervalCleared and IntervalSettled entries.
  // A failing item does not stop the others: it is retried with backoff (1 s,
  // 2 s, … at most 60 s of exchange clock) on later calls, and meanwhile the
  // scheduler is stuck (GetSchedulerHealth). Returns the first failure of this
  // call, after running everything else that was due.
  // Settlement never fails because of one participant's read: a read that is
  // unusable (an unknown quality, import or export outside [0,
  // matching::kMaxReadWh]) is recorded as BAD 0/0, the participant settles
  // ESTIMATED, and METER_READ_UNUSABLE is raised. An order no book may hold
  // (BookProblem) is left out of its clearing with ORDER_UNUSABLE.
  virtual absl::StatusOr<int> RunDue() = 0;
  virtual SchedulerHealth GetSchedulerHealth() const = 0;
  // Returns the latest market alarms (at most 100), oldest first.
  virtual std::vector<v1::Alarm> RecentAlarms() const = 0;
  // Signs a checkpoint if the ledger grew since the last one (never per entry:
  // after each clearing and settlement, and periodically from the daemon).
  virtual absl::Status SignCheckpoint() = 0;

  // Returns when the next clearing or settlement falls due (exchange clock).
  virtual std::optional<int64_t> NextDueUnixSeconds() const = 0;

  virtual const HubDirectory& directory() const = 0;
  virtual const ExchangeOptions& options() const = 0;
  virtual ledger::Ledger& ledger() = 0;
};

}  // namespace peergrid::exchange

#endif  // PEERGRID_EXCHANGE_EXCHANGE_H_
