// Delivery-interval arithmetic (DESIGN.md §3): intervals of fixed length
// aligned to the Unix epoch, named by their start in Unix seconds; gate
// closure at start − gate lead; orders accepted up to the horizon ahead;
// settlement after end + grace. Pure functions of their arguments.
//
// It also holds the zone's one staleness rule (DESIGN.md §4, §6): a hub is
// stale after stale_after_periods of its reporting periods without a report.
// Every user — the exchange's sell check, the telemetry store, the battery
// monitor and the metrics — is handed this value; none has its own.
#ifndef PEERGRID_COMMON_MARKET_TIME_H_
#define PEERGRID_COMMON_MARKET_TIME_H_

#include <cstdint>

#include "absl/status/status.h"

namespace peergrid {

struct MarketTiming {
  int64_t interval_s = 900;
  int64_t gate_lead_s = 300;
  int64_t horizon_s = 48 * 3600;
  int64_t settlement_grace_s = 900;
  // A hub is stale (its sellers cannot sell; HUB_STALE) after this many of
  // its reporting periods without a report.
  int32_t stale_after_periods = 3;

  // Returns the start of the interval containing `unix_s`.
  int64_t IntervalStartFor(int64_t unix_s) const {
    int64_t r = unix_s % interval_s;
    if (r < 0) r += interval_s;
    return unix_s - r;
  }
  // Returns whether `start` is aligned to the interval length.
  bool IsAligned(int64_t start) const { return start % interval_s == 0; }
  // Returns the gate closure time of the interval starting at `start`.
  int64_t GateClosure(int64_t start) const { return start - gate_lead_s; }
  // Returns when the interval starting at `start` may be settled.
  int64_t SettlementDue(int64_t start) const { return start + interval_s + settlement_grace_s; }
  // Returns whether orders for the interval starting at `start` are still
  // accepted at `now_unix_s` (the gate closes at exactly GateClosure).
  bool GateOpen(int64_t start, int64_t now_unix_s) const { return now_unix_s < GateClosure(start); }
  // Returns the first interval whose gate is still open at `now_unix_s`.
  int64_t FirstOpenInterval(int64_t now_unix_s) const {
    return IntervalStartFor(now_unix_s + gate_lead_s) + interval_s;
  }

  // Returns OK when the lengths are positive and consistent and
  // stale_after_periods ≥ 1.
  absl::Status Validate() const;
};

}  // namespace peergrid

#endif  // PEERGRID_COMMON_MARKET_TIME_H_
