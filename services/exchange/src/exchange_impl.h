// The Exchange's implementation (exchange.h states the contract). Private to
// exchange/: its threads, queues and locks are nobody else's business.
//
// Lock order (a thread holding one may only take those after it):
//   admin_mu_ (registrations, tariff)  ->  due_mu_ (RunDue)  ->  checkpoint_mu_
//   ->  mu_ (state, pending orders, events).
// Nothing is called back with mu_ held except the DrainQueues' Push (which
// only takes the queue's own lock). verifiers_mu_ is a leaf, taken under any
// of them or none. Signature checks and proto serialization run with no lock
// held; the ledger's own locks are never held while taking
// any of these.
#ifndef PEERGRID_EXCHANGE_EXCHANGE_IMPL_H_
#define PEERGRID_EXCHANGE_EXCHANGE_IMPL_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "open_position.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/note.h"
#include "peergrid/runtime/drain_queue.h"

namespace peergrid::matching {
struct Order;
}  // namespace peergrid::matching

namespace peergrid::exchange {

class ExchangeState;

class ExchangeImpl final : public Exchange {
 public:
  ExchangeImpl(ledger::Ledger* ledger, const MarketTelemetry* telemetry, const Clock* clock,
               ExchangeOptions options);
  ~ExchangeImpl() override;

  // Replays the ledger into the state (Open's second half).
  absl::Status Replay();
  // Appends a SigningPolicySet when options.require_signed_orders is not the
  // policy in force (Open's last step), so the ledger says which rule held.
  absl::Status RecordSigningPolicy();

  void SetEvents(ExchangeEvents events) override;
  absl::StatusOr<uint64_t> RegisterHub(const v1::Hub& hub) override;
  absl::StatusOr<uint64_t> RegisterParticipant(const v1::Participant& participant) override;
  absl::StatusOr<uint64_t> SetTariff(const v1::Tariff& tariff) override;
  v1::Zone GetZone() const override;
  absl::StatusOr<v1::SubmitOrderResponse> SubmitOrder(
      const v1::SubmitOrderRequest& request) override;
  void SubmitOrderAsync(const v1::SubmitOrderRequest& request, SubmitDone done) override;
  absl::StatusOr<v1::CancelOrderResponse> CancelOrder(
      const v1::CancelOrderRequest& request) override;
  absl::StatusOr<v1::OrderState> GetOrder(const std::string& order_id) const override;
  absl::StatusOr<v1::ListOrdersResponse> ListOrders(
      const v1::ListOrdersRequest& request) const override;
  absl::StatusOr<v1::IntervalResult> GetIntervalResult(int64_t interval_start) const override;
  absl::StatusOr<v1::GetBillResponse> GetBill(const v1::GetBillRequest& request) const override;
  absl::StatusOr<uint64_t> OrderIndex(const std::string& order_id) const override;
  absl::StatusOr<int> RunDue() override;
  SchedulerHealth GetSchedulerHealth() const override;
  SchedulerHealth GetSchedulerHealthLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<v1::Alarm> RecentAlarms() const override;
  absl::Status SignCheckpoint() override;
  std::optional<int64_t> NextDueUnixSeconds() const override;
  const HubDirectory& directory() const override;
  std::vector<v1::TradeEvent> ClearedSince(int64_t from_interval_start,
                                           const std::string& participant_id) const override;
  const ExchangeOptions& options() const override { return options_; }
  ledger::Ledger& ledger() override { return *ledger_; }

 private:
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
  // `signature` is CheckSignature's verdict, when it was known before the
  // lock was taken. `now_ms`: the gate is judged by its second, the seller's
  // hub staleness by the millisecond (as the telemetry store judges it).
  absl::Status ValidateSubmitLocked(const v1::SubmitOrderRequest& request, int64_t now_ms,
                                    const std::optional<absl::Status>& signature)
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
  // Verifies a signature over `text` (an order's or a cancel's signing
  // text) against the participant's key or, when it delegates trading, its
  // `hub`'s key, under the zone's signing policy. No lock needed: the options
  // and registered participants and hubs are immutable.
  absl::Status CheckSignature(const std::string& text, const std::string& signature,
                              const v1::Participant& participant,
                              const std::optional<v1::Hub>& hub) const;
  // Returns the hub whose key may sign for `participant`: its hub when it
  // delegates trading, else none. Needs no mu_ (see directory_).
  std::optional<v1::Hub> DelegateHub(const v1::Participant& participant) const;
  // Returns the verifier of a registered key (a participant's or a hub's),
  // built (and the key loaded into OpenSSL) once per key instead of once per
  // order or cancel; cached by the key's bytes.
  absl::StatusOr<ledger::VerifierKey> VerifierFor(const convert::OrderSigner& signer) const
      ABSL_LOCKS_EXCLUDED(verifiers_mu_);
  // Scheduled work: one clearing, settlement or correction of an interval.
  enum class Work { kClear, kSettle, kCorrect };
  using WorkItem = std::pair<Work, int64_t>;
  // A due work item that failed, retried with backoff.
  struct WorkFailure {
    int attempts = 0;
    int64_t first_failed_unix_ms = 0;
    int64_t retry_at_unix_s = 0;  // exchange clock
    std::string error;
  };
  // Returns the due work to run next at `now_s` (earliest due first, a
  // clearing before a settlement due at the same time), skipping failed
  // items until their retry time.
  std::optional<WorkItem> NextWorkLocked(int64_t now_s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RetryReadyLocked(const WorkItem& item, int64_t now_s) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Books the outcome of one run of `item` (backoff, alarm, log on failure).
  void RecordOutcomeLocked(const WorkItem& item, const absl::Status& status, int64_t now_s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rebuilds the scheduler's sets from the replayed state.
  void RebuildScheduleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Keeps `alarm` among the recent ones and returns the callback to call
  // with it after mu_ is released.
  std::function<void(const v1::Alarm&)> RaiseLocked(v1::Alarm alarm)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Raise(v1::Alarm alarm) ABSL_LOCKS_EXCLUDED(mu_);
  v1::Alarm MarketAlarm(v1::AlarmKind kind, std::string hub_id, std::string message) const;
  absl::Status ClearInterval(int64_t interval_start);
  // Clears and settles, with one EmptyIntervals entry, the longest run of
  // empty intervals from `first` whose settlement is due at `now_s`
  // (exchange_catch_up.cc). Returns false, having written nothing, when
  // `first` is not such an interval or a run may not start there (an
  // earlier clearing is failing, no tariff yet): ClearInterval takes it.
  absl::StatusOr<bool> ClearEmptyRun(int64_t first, int64_t now_s) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns whether the next run may start at `first`: every interval
  // before it is cleared and none after it is closed, so the run follows
  // the latest clearing without a gap (the audit's rule), and a tariff is in
  // force.
  bool EmptyRunMayStartLocked(int64_t first) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns whether `start` has orders (recorded or on their way to the
  // ledger) or a clearing: no run may hold it.
  bool BusyLocked(int64_t start) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns whether `start` has a read of a registered participant (or its
  // reads cannot be read): it settles on its own entry.
  bool HasReads(int64_t start) const ABSL_LOCKS_EXCLUDED(mu_);
  // Starts, follows or ends a catch-up (SchedulerHealth.catching_up) before
  // RunDue runs `item` (nullopt: nothing is due, so a catch-up is over).
  void TrackCatchUpLocked(const std::optional<WorkItem>& item, int64_t now_s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns "catching up: interval X of Y …" for the health reason.
  std::string CatchUpReasonLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SettleInterval(int64_t interval_start);
  absl::Status CorrectLateReads(int64_t now_s);
  // Settles from the interval's reads; an unusable read settles its
  // participant ESTIMATED and adds a METER_READ_UNUSABLE alarm to `alarms`
  // (when not null).
  absl::StatusOr<v1::IntervalSettled> ComputeSettlement(int64_t interval_start,
                                                        const v1::ClearingResult& clearing,
                                                        const v1::Tariff& tariff,
                                                        std::vector<v1::Alarm>* alarms) const;
  // Adds to `reads` each storage participant's read: the sum of its banks'
  // meter reads (MISSING when one is absent).
  void AddStorageReads(const HubMeterReads& hub_reads,
                       std::map<std::string, v1::IntervalRead>* reads) const;
  // Adds a METER_BALANCE alarm for every hub whose complete reads in
  // `settled` do not balance (DESIGN.md §12).
  void BalanceAlarms(const v1::IntervalSettled& settled, std::vector<v1::Alarm>* alarms) const;
  // Appends a settlement or correction `entry` whose settlement is `settled`,
  // applies it, signs a checkpoint and tells on_settled.
  absl::Status RecordSettlement(const v1::LedgerEntry& entry, const v1::IntervalSettled& settled,
                                bool correction) ABSL_LOCKS_EXCLUDED(mu_);
  // Appends a correction of the interval's settlement when its reads changed.
  absl::Status CorrectInterval(int64_t interval_start, uint64_t corrects_index,
                               const v1::IntervalSettled& recorded);
  // Raises the alarms RecordOutcomeLocked queued.
  void RaisePending() ABSL_LOCKS_EXCLUDED(mu_);
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
  const std::unique_ptr<ExchangeState> state_ ABSL_GUARDED_BY(mu_);
  // The state's hub directory, read without mu_: it is internally
  // synchronized and lives as long as the state, which is never replaced.
  const HubDirectory* const directory_;
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
  // Cleared intervals not yet settled, and intervals whose gate closed but
  // whose clearing failed (both rebuilt from the state on Open).
  std::set<int64_t> unsettled_ ABSL_GUARDED_BY(mu_);
  std::set<int64_t> uncleared_ ABSL_GUARDED_BY(mu_);
  std::map<WorkItem, WorkFailure> failures_ ABSL_GUARDED_BY(mu_);
  // A catch-up in progress: the intervals whose clearing was due when it
  // began (`last` grows while the clock moves on), and the next to clear.
  struct CatchUp {
    int64_t first = 0;
    int64_t last = 0;
    int64_t next = 0;
    uint64_t ledger_size_at_start = 0;
    absl::Time started;  // wall time, for the log only
  };
  std::optional<CatchUp> catch_up_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> skipped_entries_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::Alarm> recent_alarms_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Alarm> pending_alarms_ ABSL_GUARDED_BY(mu_);
  ExchangeEvents events_ ABSL_GUARDED_BY(mu_);
  // A leaf lock (nothing is taken while holding it): the verifier cache.
  static constexpr size_t kMaxCachedVerifiers = 1 << 20;
  mutable absl::Mutex verifiers_mu_;
  // By raw public key bytes.
  mutable absl::flat_hash_map<std::string, ledger::VerifierKey> verifiers_
      ABSL_GUARDED_BY(verifiers_mu_);
  absl::Mutex checkpoint_mu_;
  uint64_t last_checkpoint_size_ ABSL_GUARDED_BY(checkpoint_mu_) = 0;
  runtime::DrainQueue<OrderAppend> intake_;
  runtime::DrainQueue<CommittedOrders> committed_;
  // Last: they start once every other member exists.
  std::thread answer_thread_;
  std::thread intake_thread_;
};

}  // namespace peergrid::exchange

#endif  // PEERGRID_EXCHANGE_EXCHANGE_IMPL_H_
