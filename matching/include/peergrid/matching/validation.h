// Order acceptance rules (DESIGN.md §4) that need no live data: the exchange
// passes in the tariff, the market timing, its clock's `now`, the
// participant's open orders and the seller's capacity, so the same inputs
// always give the same verdict.
//
// Errors: InvalidArgument for a malformed order (bad id, quantity, price
// outside the band, misaligned or too-distant interval); FailedPrecondition
// when the order is well formed but the market state refuses it (gate closed,
// a participant on both sides, a sell above what the seller can deliver).
// Every message names the order and the field. OutOfRange on overflow.
//
// Thread-safety: pure functions; safe to call concurrently.
#ifndef PEERGRID_MATCHING_VALIDATION_H_
#define PEERGRID_MATCHING_VALIDATION_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "peergrid/common/market_time.h"
#include "peergrid/common/units.h"
#include "peergrid/matching/order.h"

namespace peergrid::matching {

// Checks everything about `order` that needs no live data: valid ids, a side,
// 1 ≤ quantity ≤ kMaxQuantityWh, feed_in ≤ limit price ≤ retail, an interval
// aligned to timing.interval_s whose gate is still open at `now_unix_s`
// (FailedPrecondition otherwise) and which starts no later than
// now + timing.horizon_s. The tariff and timing are validated too.
absl::Status ValidateOrder(const Order& order, const Tariff& tariff, const MarketTiming& timing,
                           int64_t now_unix_s);

// Checks that order.limit_price lies in [tariff.feed_in, tariff.retail]
// (InvalidArgument naming limit_price_mcu_per_kwh and the band otherwise).
absl::Status CheckLimitPrice(const Order& order, const Tariff& tariff);

// Enforces one side per participant per interval: FailedPrecondition, naming
// the conflicting order, when `existing` holds an order of the same
// participant and interval on the other side. `existing` should be the
// participant's open orders in that interval; other entries are ignored.
absl::Status CheckOneSide(const Order& order, absl::Span<const Order> existing);

// Returns the energy a bank holds above its reserve, in whole Wh (the one
// definition: the exchange's deliverable check and the hub's agents both use
// it): ⌊capacity_wh × (soc_pct − reserve_pct) / 100⌋, and 0 when the SoC is at
// or below the reserve or capacity_wh ≤ 0. Each percentage is first read to
// 0.001 % (rounded to nearest, clamped to [0, 100], NaN as 0); the rest is
// integer arithmetic, so the result does not drift with floating-point
// evaluation order: 60.3 % over a 20 % reserve of 10 000 Wh is 4 030 Wh.
EnergyWh EnergyAboveReserve(double soc_pct, double reserve_pct, int64_t capacity_wh);

// One storage bank's discharge capacity, as last reported by its hub.
struct StorageCapacity {
  EnergyWh above_reserve;  // EnergyAboveReserve(...) of the bank; < 0 counts as 0.
  PowerW max_discharge;    // ≥ 0.
};

// Returns what a seller can deliver in one interval:
// EnergyOver(pv_nameplate, interval_s) + Σ min(above_reserve,
// EnergyOver(max_discharge, interval_s)) over its banks, all integers
// (EnergyOver floors to whole Wh). InvalidArgument for a negative nameplate or
// discharge power or interval_s ≤ 0; OutOfRange on overflow.
absl::StatusOr<EnergyWh> DeliverableEnergy(PowerW pv_nameplate,
                                           absl::Span<const StorageCapacity> banks,
                                           int64_t interval_s);

// Rejects a SELL whose quantity exceeds deliverable − other_open_sells with
// FailedPrecondition naming quantity_wh and the numbers. BUY orders pass.
absl::Status CheckDeliverable(const Order& sell, EnergyWh deliverable, EnergyWh other_open_sells);

}  // namespace peergrid::matching

#endif  // PEERGRID_MATCHING_VALIDATION_H_
