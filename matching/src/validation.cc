#include "peergrid/matching/validation.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/status.h"

namespace peergrid::matching {
namespace {

std::string Named(const Order& order) { return absl::StrCat("order ", order.order_id.value()); }

absl::Status Prefixed(const Order& order, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(Named(order), ": ", status.message()));
}

absl::Status CheckIntervalTiming(const Order& order, const MarketTiming& timing,
                                 int64_t now_unix_s) {
  const int64_t start = order.interval_start;
  if (start < 0 || !timing.IsAligned(start)) {
    return absl::InvalidArgumentError(absl::StrCat(Named(order), ": interval_start ", start,
                                                   " is not a non-negative multiple of ",
                                                   timing.interval_s, " s"));
  }
  if (!timing.GateOpen(start, now_unix_s)) {
    return absl::FailedPreconditionError(absl::StrCat(Named(order), ": interval_start ", start,
                                                      " gate closed at ", timing.GateClosure(start),
                                                      " (now ", now_unix_s, ")"));
  }
  int64_t ahead_s;  // Positive: now < gate closure ≤ start.
  if (__builtin_sub_overflow(start, now_unix_s, &ahead_s) || ahead_s > timing.horizon_s) {
    return absl::InvalidArgumentError(absl::StrCat(Named(order), ": interval_start ", start,
                                                   " is beyond the ", timing.horizon_s,
                                                   " s horizon (now ", now_unix_s, ")"));
  }
  return absl::OkStatus();
}

// 100 % in steps of 0.001 %.
constexpr int64_t kFullMilliPct = 100'000;

// Returns `pct` in 0.001 % steps, rounded to nearest, clamped to [0, 100 %].
int64_t MilliPercent(double pct) {
  if (!(pct > 0)) return 0;  // also NaN
  if (pct >= 100) return kFullMilliPct;
  return std::llround(pct * 1000.0);
}

}  // namespace

absl::Status ValidateOrder(const Order& order, const Tariff& tariff, const MarketTiming& timing,
                           int64_t now_unix_s) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("order_id", order.order_id.value()));
  PEERGRID_RETURN_IF_ERROR(
      Prefixed(order, ValidateId("participant_id", order.participant_id.value())));
  if (order.side != Side::kBuy && order.side != Side::kSell) {
    return absl::InvalidArgumentError(absl::StrCat(Named(order), ": side is not BUY or SELL"));
  }
  const int64_t q = order.quantity.value();
  if (q < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(Named(order), ": quantity_wh ", q, " must be >= 1"));
  }
  if (q > kMaxQuantityWh) {
    return absl::InvalidArgumentError(
        absl::StrCat(Named(order), ": quantity_wh ", q, " exceeds the maximum ", kMaxQuantityWh));
  }
  PEERGRID_RETURN_IF_ERROR(tariff.Validate());
  PEERGRID_RETURN_IF_ERROR(CheckLimitPrice(order, tariff));
  PEERGRID_RETURN_IF_ERROR(timing.Validate());
  return CheckIntervalTiming(order, timing, now_unix_s);
}

absl::Status CheckLimitPrice(const Order& order, const Tariff& tariff) {
  const PriceMcuPerKwh p = order.limit_price;
  if (p < tariff.feed_in || p > tariff.retail) {
    return absl::InvalidArgumentError(absl::StrCat(
        Named(order), ": limit_price_mcu_per_kwh ", p.value(), " is outside the tariff band [",
        tariff.feed_in.value(), ", ", tariff.retail.value(), "]"));
  }
  return absl::OkStatus();
}

absl::Status CheckOneSide(const Order& order, absl::Span<const Order> existing) {
  for (const Order& other : existing) {
    if (other.participant_id != order.participant_id ||
        other.interval_start != order.interval_start || other.side == order.side) {
      continue;
    }
    return absl::FailedPreconditionError(
        absl::StrCat(Named(order), ": side ", SideName(order.side), " conflicts with open ",
                     SideName(other.side), " order ", other.order_id.value(), " of participant_id ",
                     order.participant_id.value(), " in interval_start ", order.interval_start,
                     " (one side per participant per interval)"));
  }
  return absl::OkStatus();
}

EnergyWh EnergyAboveReserve(double soc_pct, double reserve_pct, int64_t capacity_wh) {
  if (capacity_wh <= 0) return EnergyWh(0);
  const int64_t above = MilliPercent(soc_pct) - MilliPercent(reserve_pct);
  if (above <= 0) return EnergyWh(0);
  // ⌊capacity × above / 100 000⌋ without overflow (above ≤ 100 000): the
  // quotient part is exact, the remainder part is below 10^10.
  const int64_t whole = capacity_wh / kFullMilliPct;
  const int64_t rest = capacity_wh % kFullMilliPct;
  return EnergyWh(whole * above + rest * above / kFullMilliPct);
}

absl::StatusOr<EnergyWh> DeliverableEnergy(PowerW pv_nameplate,
                                           absl::Span<const StorageCapacity> banks,
                                           int64_t interval_s) {
  if (interval_s <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("interval_s ", interval_s, " must be > 0"));
  }
  if (pv_nameplate.value() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("pv_nameplate_w ", pv_nameplate.value(), " must be >= 0"));
  }
  PEERGRID_ASSIGN_OR_RETURN(EnergyWh total, EnergyOver(pv_nameplate, interval_s));
  for (size_t i = 0; i < banks.size(); ++i) {
    const StorageCapacity& bank = banks[i];
    if (bank.max_discharge.value() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("banks[", i, "]: max_discharge_w ",
                                                     bank.max_discharge.value(), " must be >= 0"));
    }
    PEERGRID_ASSIGN_OR_RETURN(EnergyWh by_power, EnergyOver(bank.max_discharge, interval_s));
    const EnergyWh stored = std::max(bank.above_reserve, EnergyWh(0));
    PEERGRID_ASSIGN_OR_RETURN(total, CheckedAdd(total, std::min(stored, by_power)));
  }
  return total;
}

absl::Status CheckDeliverable(const Order& sell, EnergyWh deliverable, EnergyWh other_open_sells) {
  if (sell.side != Side::kSell) return absl::OkStatus();
  PEERGRID_ASSIGN_OR_RETURN(EnergyWh remaining, CheckedSub(deliverable, other_open_sells));
  if (sell.quantity > remaining) {
    return absl::FailedPreconditionError(absl::StrCat(
        Named(sell), ": quantity_wh ", sell.quantity.value(), " exceeds what participant_id ",
        sell.participant_id.value(), " can deliver: ", deliverable.value(), " Wh deliverable - ",
        other_open_sells.value(), " Wh in other open sells = ", remaining.value(), " Wh"));
  }
  return absl::OkStatus();
}

}  // namespace peergrid::matching
