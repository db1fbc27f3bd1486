#include "peergrid/common/market_time.h"

#include "absl/strings/str_cat.h"

namespace peergrid {

absl::Status MarketTiming::Validate() const {
  if (interval_s <= 0 || 86400 % interval_s != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("interval_s ", interval_s, " must be positive and divide a day"));
  }
  if (gate_lead_s < 0 || gate_lead_s >= horizon_s) {
    return absl::InvalidArgumentError(
        absl::StrCat("gate_lead_s ", gate_lead_s, " must be in [0, horizon_s)"));
  }
  if (settlement_grace_s < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("settlement_grace_s ", settlement_grace_s, " must be ≥ 0"));
  }
  if (stale_after_periods < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("stale_after_periods ", stale_after_periods, " must be ≥ 1"));
  }
  return absl::OkStatus();
}

}  // namespace peergrid
