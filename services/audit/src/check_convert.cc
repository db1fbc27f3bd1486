#include "check_convert.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/market_convert.h"

namespace peergrid::audit::internal {
namespace {

template <typename A, typename B>
std::optional<std::string> Differs(absl::string_view what, const A& recorded, const B& recomputed) {
  if (recorded == recomputed) return std::nullopt;
  return absl::StrCat(what, " recorded ", recorded, ", recomputed ", recomputed);
}

std::optional<std::string> DiffFill(size_t i, const matching::Fill& want, const v1::Fill& got) {
  const std::string at = absl::StrCat("fill ", i, ": ");
  std::optional<std::string> d;
  if ((d = Differs(at + "buy_order_id", got.buy_order_id(), want.buy_order_id.value()))) return d;
  if ((d = Differs(at + "sell_order_id", got.sell_order_id(), want.sell_order_id.value()))) {
    return d;
  }
  if ((d = Differs(at + "buyer_id", got.buyer_id(), want.buyer.value()))) return d;
  if ((d = Differs(at + "seller_id", got.seller_id(), want.seller.value()))) return d;
  if ((d = Differs(at + "quantity_wh", got.quantity_wh(), want.quantity.value()))) return d;
  if ((d = Differs(at + "price_mcu_per_kwh", got.price_mcu_per_kwh(), want.price.value()))) {
    return d;
  }
  return Differs(at + "amount_ucu", got.amount_ucu(), want.amount.value());
}

std::optional<std::string> DiffBill(const matching::Bill& want, const v1::Bill& got) {
  const std::string at = absl::StrCat("bill of ", want.participant_id.value(), ": ");
  const std::pair<const char*, std::pair<int64_t, int64_t>> fields[] = {
      {"bought_wh", {got.bought_wh(), want.bought.value()}},
      {"sold_wh", {got.sold_wh(), want.sold.value()}},
      {"import_wh", {got.import_wh(), want.import_wh.value()}},
      {"export_wh", {got.export_wh(), want.export_wh.value()}},
      {"deviation_wh", {got.deviation_wh(), want.deviation.value()}},
      {"p2p_amount_ucu", {got.p2p_amount_ucu(), want.p2p_amount.value()}},
      {"imbalance_amount_ucu", {got.imbalance_amount_ucu(), want.imbalance_amount.value()}},
      {"bill_ucu", {got.bill_ucu(), want.bill.value()}},
      {"baseline_ucu", {got.baseline_ucu(), want.baseline.value()}},
      {"savings_ucu", {got.savings_ucu(), want.savings.value()}},
  };
  for (const auto& [name, values] : fields) {
    if (auto d = Differs(at + name, values.first, values.second)) return d;
  }
  if (got.estimated() == want.estimated) return std::nullopt;
  return absl::StrCat(at, "estimated recorded ", got.estimated() ? "true" : "false",
                      ", recomputed ", want.estimated ? "true" : "false");
}

}  // namespace

absl::StatusOr<matching::Order> OrderFromProto(const v1::Order& order, uint64_t seq) {
  PEERGRID_ASSIGN_OR_RETURN(matching::Order out, convert::FromProto(order));
  out.seq = seq;
  return out;
}

absl::StatusOr<matching::Tariff> TariffFromProto(const v1::Tariff& tariff) {
  PEERGRID_ASSIGN_OR_RETURN(matching::Tariff out, convert::FromProto(tariff));
  PEERGRID_RETURN_IF_ERROR(out.Validate());
  return out;
}

std::optional<std::string> DiffClearing(const matching::ClearingResult& recomputed,
                                        const v1::ClearingResult& recorded) {
  std::optional<std::string> d;
  if ((d = Differs("interval_start", recorded.interval_start(), recomputed.interval_start))) {
    return d;
  }
  const bool has_price = recorded.has_clearing_price_mcu_per_kwh();
  if (has_price != recomputed.clearing_price.has_value()) {
    return absl::StrCat(
        "clearing price ",
        has_price ? absl::StrCat("recorded ", recorded.clearing_price_mcu_per_kwh().value())
                  : "absent in the record",
        ", recomputed ",
        recomputed.clearing_price ? absl::StrCat(recomputed.clearing_price->value())
                                  : "none (nothing trades)");
  }
  if (has_price &&
      (d = Differs("clearing_price_mcu_per_kwh", recorded.clearing_price_mcu_per_kwh().value(),
                   recomputed.clearing_price->value()))) {
    return d;
  }
  if ((d = Differs("volume_wh", recorded.volume_wh(), recomputed.volume.value()))) return d;
  const size_t n = std::min<size_t>(recorded.fills_size(), recomputed.fills.size());
  for (size_t i = 0; i < n; ++i) {
    if ((d = DiffFill(i, recomputed.fills[i], recorded.fills(static_cast<int>(i))))) return d;
  }
  return Differs("number of fills", static_cast<size_t>(recorded.fills_size()),
                 recomputed.fills.size());
}

std::optional<std::string> DiffSettlement(const matching::SettlementResult& recomputed,
                                          const v1::SettlementResult& recorded) {
  std::optional<std::string> d;
  if ((d = Differs("interval_start", recorded.interval_start(), recomputed.interval_start))) {
    return d;
  }
  const size_t n = std::min<size_t>(recorded.bills_size(), recomputed.bills.size());
  for (size_t i = 0; i < n; ++i) {
    const v1::Bill& got = recorded.bills(static_cast<int>(i));
    const matching::Bill& want = recomputed.bills[i];
    if ((d = Differs(absl::StrCat("bill ", i, ": participant_id"), got.participant_id(),
                     want.participant_id.value()))) {
      return d;
    }
    if ((d = DiffBill(want, got))) return d;
  }
  if ((d = Differs("number of bills", static_cast<size_t>(recorded.bills_size()),
                   recomputed.bills.size()))) {
    return d;
  }
  return Differs("grid_ucu", recorded.grid_ucu(), recomputed.grid.value());
}

}  // namespace peergrid::audit::internal
