// The day's market figures read back from the ledger alone, counted the way
// the audit counts them (so the demo's figures equal the audit's): orders,
// cancels, clearings, settlements, fills and volume, the day's price range,
// households' bills apart from storage's (latest settlement of each interval,
// corrections replacing what they correct), and each hub's energy balance
// (DESIGN.md §12).
//
// Thread-safety: a pure function; thread-safe.
#ifndef PEERGRID_COMMUNITY_LEDGER_SUMMARY_H_
#define PEERGRID_COMMUNITY_LEDGER_SUMMARY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace peergrid::community {

struct BillTotals {
  int64_t participants = 0;
  int64_t bills_ucu = 0;     // Σ bill_ucu
  int64_t baseline_ucu = 0;  // Σ what the grid alone would have cost
  int64_t estimated = 0;     // bills settled without an OK read
  int64_t savings_ucu() const { return baseline_ucu - bills_ucu; }
  // Savings as a share of the grid-only cost (0 when that is 0).
  double savings_share() const;
};

struct LedgerSummary {
  uint64_t entries = 0;
  uint64_t orders = 0;             // order-accepted entries (the audit's "orders")
  uint64_t cancellations = 0;      // order-cancelled entries
  uint64_t intervals_cleared = 0;  // one by one and in empty runs, as the audit counts
  uint64_t intervals_settled = 0;
  uint64_t corrections = 0;
  uint64_t fills = 0;
  int64_t p2p_traded_wh = 0;
  // The lowest and highest clearing prices of intervals that traded, and
  // the intervals they cleared in.
  std::optional<int64_t> min_price_mcu_per_kwh, max_price_mcu_per_kwh;
  int64_t min_price_interval = 0, max_price_interval = 0;
  BillTotals households;      // HOUSEHOLD participants
  BillTotals storage;         // SHARED_STORAGE participants
  int64_t grid_line_ucu = 0;  // Σ grid lines (bills + grid lines = 0)
  // Energy balance over (hub, interval) pairs of the latest settlements.
  int64_t balances_checked = 0;  // pairs with complete reads
  int64_t balances_failed = 0;
  int64_t losses_wh = 0;                      // Σ residual over the checked pairs
  std::vector<std::string> balance_failures;  // "hub H, interval I: …" (the first 10)
};

// Summarizes `entries` (serialized LedgerEntry, in ledger order).
// InvalidArgument naming the index of an entry that does not parse.
absl::StatusOr<LedgerSummary> SummarizeLedger(const std::vector<std::string>& entries);

}  // namespace peergrid::community

#endif  // PEERGRID_COMMUNITY_LEDGER_SUMMARY_H_
