// A hub's energy balance over one interval (DESIGN.md §12): what its
// grid-connection meter read against what its participants' meters read.
// The residual r = (hub import − hub export) − Σ (import − export) is the
// hub's own losses, so 0 ≤ r ≤ floor((hub import + Σ export) × max_loss_ppm
// / 10⁶). Checked only on complete reads: the hub's and every participant's
// read present and OK (an estimate proves nothing).
//
// Thread-safety: pure functions; thread-safe.
#ifndef PEERGRID_MATCHING_ENERGY_BALANCE_H_
#define PEERGRID_MATCHING_ENERGY_BALANCE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/types/span.h"
#include "peergrid/matching/settlement.h"

namespace peergrid::matching {

// The loss bound of a hub registered with max_loss_ppm 0.
inline constexpr int64_t kDefaultMaxLossPpm = 30'000;
// The largest loss bound a hub may register (20 %).
inline constexpr int64_t kMaxMaxLossPpm = 200'000;

struct EnergyBalance {
  int64_t residual_wh = 0;  // the hub's losses by its reads
  int64_t max_loss_wh = 0;  // the bound on them
  bool holds() const { return residual_wh >= 0 && residual_wh <= max_loss_wh; }
  // Returns e.g. "residual 412 Wh outside [0, 390] Wh".
  std::string Describe() const;
};

// Returns the balance of a hub whose grid-connection read is `hub` (its
// participant_id unused) and whose participants' reads are `participants`,
// or nullopt when the reads are not complete: the hub read or any
// participant read is not OK, or `participants` holds fewer reads than the
// hub has participants (`participant_count`). `max_loss_ppm` 0 means the
// default.
std::optional<EnergyBalance> HubEnergyBalance(const MeterRead& hub,
                                              absl::Span<const MeterRead* const> participants,
                                              int64_t participant_count, int64_t max_loss_ppm);

}  // namespace peergrid::matching

#endif  // PEERGRID_MATCHING_ENERGY_BALANCE_H_
