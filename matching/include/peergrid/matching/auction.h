// The periodic double auction of one delivery interval, exactly as DESIGN.md
// §4 specifies (a regulator re-runs it from the ledger and must get the same
// integers):
//   1. BUYs sorted by (limit price desc, seq asc); SELLs by (limit price asc,
//      seq asc).
//   2. Walk both from the top; while buy price ≥ sell price, fill
//      q = min(remaining buy, remaining sell) and advance past exhausted orders.
//   3. Clearing price = floor((b + a) / 2) of the limits of the last fill's
//      BUY (b) and SELL (a); no fill → no price, volume 0.
//   4. Every fill trades at that price; fills are listed in walk order;
//      unfilled remainders expire.
//
// Performance: one pass over the orders, linear-time radix sorts of packed
// (price, seq) keys once per side, a walk that allocates nothing per order,
// and one exactly-reserved allocation for the fills. bench/clearing_bench:
// 1.5–1.7× std::sort of the same keys at 10^4–10^5 orders; at 10^6 about
// 150 ms, 2.9× std::sort, a third of it page faults on the 76 MB of fills
// and scratch (docs/MARKET.md, Performance).
//
// Thread-safety: pure functions; safe to call concurrently.
#ifndef PEERGRID_MATCHING_AUCTION_H_
#define PEERGRID_MATCHING_AUCTION_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/units.h"
#include "peergrid/matching/order.h"

namespace peergrid::matching {

// One match between a BUY and a SELL at the interval's clearing price.
struct Fill {
  OrderId buy_order_id;
  OrderId sell_order_id;
  ParticipantId buyer;
  ParticipantId seller;
  EnergyWh quantity;     // ≥ 1.
  PriceMcuPerKwh price;  // The clearing price.
  MoneyUcu amount;       // quantity × price.

  friend bool operator==(const Fill&, const Fill&) = default;
};

std::ostream& operator<<(std::ostream& os, const Fill& fill);

// The outcome of one interval's auction.
struct ClearingResult {
  int64_t interval_start = 0;
  std::optional<PriceMcuPerKwh> clearing_price;  // Absent when nothing trades.
  EnergyWh volume;                               // Σ fill quantities.
  std::vector<Fill> fills;                       // In walk order.

  friend bool operator==(const ClearingResult&, const ClearingResult&) = default;
};

std::ostream& operator<<(std::ostream& os, const ClearingResult& result);

// Everything one interval's clearing depends on (`peergridctl clear`, audit).
struct ClearingInput {
  int64_t interval_start = 0;
  Tariff tariff;
  std::vector<Order> orders;

  friend bool operator==(const ClearingInput&, const ClearingInput&) = default;
};

// Clears the interval starting at `interval_start` from `book`, the open
// orders at gate closure, in any order (the result does not depend on it).
// Rejects a malformed book with InvalidArgument naming the order and field:
// an order of another interval, quantity outside [1, kMaxQuantityWh], a limit
// price outside [0, kMaxPriceMcuPerKwh], an invalid side, a duplicate
// order_id or seq, or a participant with both BUY and SELL orders. When
// several are wrong, the first of those checks in that order, at the first
// offending position in `book`, is reported. OutOfRange on overflow.
absl::StatusOr<ClearingResult> Clear(int64_t interval_start, absl::Span<const Order> book);

// Validates input.tariff, checks every order's limit price against its band
// (CheckLimitPrice), then clears input.orders for input.interval_start.
absl::StatusOr<ClearingResult> Clear(const ClearingInput& input);

}  // namespace peergrid::matching

#endif  // PEERGRID_MATCHING_AUCTION_H_
