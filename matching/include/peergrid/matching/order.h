// The market's vocabulary (DESIGN.md §3–§4): sides, the zone's tariff and
// orders for one delivery interval, as plain integer-typed structs. Proto
// messages are converted to and from these in services/ (market_convert.h).
//
// Thread-safety: plain values; thread-compatible.
#ifndef PEERGRID_MATCHING_ORDER_H_
#define PEERGRID_MATCHING_ORDER_H_

#include <cstdint>
#include <ostream>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/units.h"

namespace peergrid::matching {

// Sanity bounds that keep every product of a quantity and a price inside
// int64 (10^9 Wh × 10^9 mcu/kWh = 10^18 µcu < 9.2·10^18). An order above them
// is rejected as absurd, never wrapped.
//
// The largest energy one order may buy or sell in one interval: 1 GWh.
inline constexpr int64_t kMaxQuantityWh = 1'000'000'000;
// The largest price anything may carry: 10^9 mcu/kWh (10^6 currency units/kWh).
inline constexpr int64_t kMaxPriceMcuPerKwh = 1'000'000'000;

enum class Side { kBuy, kSell };

// Returns "BUY" or "SELL" (the proto names), or "SIDE(<n>)" for a value
// outside the enum.
absl::string_view SideName(Side side);
std::ostream& operator<<(std::ostream& os, Side side);

// The grid's prices for a zone: they bound the local market and price every
// imbalance (DESIGN.md §5).
struct Tariff {
  PriceMcuPerKwh feed_in;  // What the grid pays for exported energy.
  PriceMcuPerKwh retail;   // What the grid charges for imported energy.

  // Returns OK when 0 ≤ feed_in ≤ retail ≤ kMaxPriceMcuPerKwh and retail ≥ 1,
  // else InvalidArgument naming the field and its value.
  absl::Status Validate() const;

  friend bool operator==(const Tariff&, const Tariff&) = default;
};

// One order for one delivery interval (DESIGN.md §4).
struct Order {
  OrderId order_id;
  ParticipantId participant_id;
  Side side = Side::kBuy;
  EnergyWh quantity;           // ≥ 1.
  PriceMcuPerKwh limit_price;  // Most a BUY pays, least a SELL takes.
  int64_t interval_start = 0;  // Unix seconds, aligned to the interval.
  uint64_t seq = 0;            // Ledger index of its order-accepted entry.

  friend bool operator==(const Order&, const Order&) = default;
};

std::ostream& operator<<(std::ostream& os, const Order& order);

}  // namespace peergrid::matching

#endif  // PEERGRID_MATCHING_ORDER_H_
