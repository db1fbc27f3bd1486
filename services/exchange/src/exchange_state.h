// The exchange's in-memory view of its ledger: a fold over every entry, in
// index order. Replaying the ledger from index 0 rebuilds exactly the state
// the live exchange had, so the ledger is the only durable truth.
//
// Thread-compatible: the Exchange guards it with its mutex.
#ifndef PEERGRID_EXCHANGE_EXCHANGE_STATE_H_
#define PEERGRID_EXCHANGE_EXCHANGE_STATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "open_position.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/exchange/hub_directory.h"
#include "peergrid/v1/ledger.pb.h"
#include "peergrid/v1/market.pb.h"

namespace peergrid::exchange {

// One accepted order and what became of it.
struct OrderRecord {
  v1::Order order;  // seq = its ledger index
  std::string signature;
  std::string key_id;
  int64_t accepted_at_unix_ms = 0;
  std::optional<uint64_t> cancel_index;
  int64_t filled_wh = 0;
  bool cleared = false;
  // Why no book may hold it (BookProblem), if so: such an order, recorded
  // before input bounds existed, is left out of open positions and clearing.
  std::optional<std::string> unbookable;
};

// Returns why no interval's book may hold `order` (it does not convert, or
// its quantity or limit price is outside what matching::Clear accepts), or
// nullopt. The audit leaves the same orders out of its re-run of the clearing.
std::optional<std::string> BookProblem(const v1::Order& order);

// One delivery interval's book, clearing and settlement.
struct IntervalRecord {
  std::vector<std::string> order_ids;  // every accepted order, in seq order
  std::optional<uint64_t> clearing_index;
  v1::ClearingResult clearing;
  int64_t order_count = 0;
  v1::Tariff tariff_at_clearing;
  std::optional<uint64_t> settlement_index;  // the latest settlement or correction
  v1::IntervalSettled settlement;
  bool corrected = false;
};

class ExchangeState {
 public:
  // `interval_s`: the zone's interval length (an EmptyIntervals entry must
  // use it).
  explicit ExchangeState(int64_t interval_s) : interval_s_(interval_s) {}

  // Applies the entry at `index`. Returns DataLoss naming the index when the
  // entry contradicts the state (e.g. a cancel of an unknown order): a ledger
  // the exchange wrote never does.
  // On error nothing changed.
  absl::Status Apply(uint64_t index, const v1::LedgerEntry& entry);
  // Counts the entry at `index` as applied without applying it: the replay's
  // way past one stored entry it cannot apply (DESIGN.md §9).
  void Skip(uint64_t index);

  const InMemoryHubDirectory& directory() const { return directory_; }
  const std::optional<v1::Tariff>& tariff() const { return tariff_; }
  // The exchange-clock time of the first entry (Unix ms), if any.
  std::optional<int64_t> first_entry_unix_ms() const { return first_entry_unix_ms_; }
  uint64_t size() const { return size_; }
  // The signing policy in force (the latest SigningPolicySet; false before any).
  bool signatures_required() const { return signatures_required_; }

  const OrderRecord* FindOrder(const std::string& order_id) const;
  const IntervalRecord* FindInterval(int64_t interval_start) const;
  const std::map<int64_t, IntervalRecord>& intervals() const { return intervals_; }
  // Returns the open (accepted, not cancelled, not cleared) orders of an
  // interval in seq order.
  std::vector<const OrderRecord*> OpenOrders(int64_t interval_start) const;
  // Returns one participant's open orders of an interval in seq order (cheap:
  // indexed, for the checks on every submission).
  std::vector<const OrderRecord*> OpenOrdersOf(const std::string& participant_id,
                                               int64_t interval_start) const;
  // Returns what a participant has open in an interval.
  OpenPosition OpenPositionOf(const std::string& participant_id, int64_t interval_start) const;
  // Returns a participant's order ids, in seq order.
  const std::vector<std::string>& OrdersOf(const std::string& participant_id) const;
  // Returns the latest cleared interval start, if any.
  std::optional<int64_t> LastCleared() const { return last_cleared_; }
  std::optional<int64_t> LastSettled() const { return last_settled_; }

 private:
  absl::Status ApplyOrderAccepted(uint64_t index, const v1::LedgerEntry& entry);
  absl::Status ApplyOrderCancelled(uint64_t index, const v1::OrderCancelled& cancel);
  absl::Status ApplyCleared(uint64_t index, const v1::IntervalCleared& cleared);
  absl::Status ApplySettled(uint64_t index, const v1::IntervalSettled& settled, bool correction);
  // Records every interval of the run as cleared empty and settled with no
  // reads, both by entry `index` (as if each had its two entries).
  absl::Status ApplyEmptyIntervals(uint64_t index, const v1::EmptyIntervals& empty);

  const int64_t interval_s_;
  InMemoryHubDirectory directory_;
  std::optional<v1::Tariff> tariff_;
  std::optional<int64_t> first_entry_unix_ms_;
  uint64_t size_ = 0;
  std::map<std::string, OrderRecord> orders_;
  std::map<std::string, std::vector<std::string>> orders_by_participant_;
  std::map<int64_t, IntervalRecord> intervals_;
  struct ParticipantInterval {
    std::vector<std::string> order_ids;  // every accepted order, in seq order
    OpenPosition open;
  };
  std::map<std::pair<std::string, int64_t>, ParticipantInterval> by_participant_interval_;
  std::optional<int64_t> last_cleared_;
  std::optional<int64_t> last_settled_;
  bool signatures_required_ = false;
};

}  // namespace peergrid::exchange

#endif  // PEERGRID_EXCHANGE_EXCHANGE_STATE_H_
