#include "audit_check_convert.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/status.h"

namespace peergrid::services::audit_internal {
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
  PEERGRID_RETURN_IF_ERROR(ValidateId("order_id", order.order_id()));
  PEERGRID_RETURN_IF_ERROR(ValidateId("participant_id", order.participant_id()));
  matching::Order out;
  out.order_id = OrderId(order.order_id());
  out.participant_id = ParticipantId(order.participant_id());
  switch (order.side()) {
    case v1::BUY:
      out.side = matching::Side::kBuy;
      break;
    case v1::SELL:
      out.side = matching::Side::kSell;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("order ", order.order_id(), ": side ", order.side(), " is not BUY or SELL"));
  }
  out.quantity = EnergyWh(order.quantity_wh());
  out.limit_price = PriceMcuPerKwh(order.limit_price_mcu_per_kwh());
  out.interval_start = order.interval_start();
  out.seq = seq;
  return out;
}

absl::StatusOr<matching::Tariff> TariffFromProto(const v1::Tariff& tariff) {
  matching::Tariff out{PriceMcuPerKwh(tariff.feed_in_price_mcu_per_kwh()),
                       PriceMcuPerKwh(tariff.retail_price_mcu_per_kwh())};
  PEERGRID_RETURN_IF_ERROR(out.Validate());
  return out;
}

absl::StatusOr<matching::MeterRead> ReadFromProto(const v1::MeterRead& read) {
  matching::MeterRead out;
  out.participant_id = ParticipantId(read.participant_id());
  out.import_wh = EnergyWh(read.import_wh());
  out.export_wh = EnergyWh(read.export_wh());
  switch (read.quality()) {
    case v1::OK:
      out.quality = matching::ReadQuality::kOk;
      break;
    case v1::MISSING:
      out.quality = matching::ReadQuality::kMissing;
      break;
    case v1::ESTIMATED:
      out.quality = matching::ReadQuality::kEstimated;
      break;
    case v1::BAD:
      out.quality = matching::ReadQuality::kBad;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("meter read of ", read.participant_id(),
                                                     ": quality ", read.quality(), " is invalid"));
  }
  return out;
}

absl::StatusOr<matching::ClearingResult> ClearingFromProto(const v1::ClearingResult& result) {
  matching::ClearingResult out;
  out.interval_start = result.interval_start();
  if (result.has_clearing_price_mcu_per_kwh()) {
    out.clearing_price = PriceMcuPerKwh(result.clearing_price_mcu_per_kwh().value());
  }
  out.volume = EnergyWh(result.volume_wh());
  out.fills.reserve(result.fills_size());
  for (const v1::Fill& f : result.fills()) {
    out.fills.push_back(matching::Fill{
        OrderId(f.buy_order_id()), OrderId(f.sell_order_id()), ParticipantId(f.buyer_id()),
        ParticipantId(f.seller_id()), EnergyWh(f.quantity_wh()),
        PriceMcuPerKwh(f.price_mcu_per_kwh()), MoneyUcu(f.amount_ucu())});
  }
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

v1::ClearingResult ClearingToProto(const matching::ClearingResult& result) {
  v1::ClearingResult out;
  out.set_interval_start(result.interval_start);
  if (result.clearing_price) {
    out.mutable_clearing_price_mcu_per_kwh()->set_value(result.clearing_price->value());
  }
  out.set_volume_wh(result.volume.value());
  for (const matching::Fill& f : result.fills) {
    v1::Fill* fill = out.add_fills();
    fill->set_buy_order_id(f.buy_order_id.value());
    fill->set_sell_order_id(f.sell_order_id.value());
    fill->set_buyer_id(f.buyer.value());
    fill->set_seller_id(f.seller.value());
    fill->set_quantity_wh(f.quantity.value());
    fill->set_price_mcu_per_kwh(f.price.value());
    fill->set_amount_ucu(f.amount.value());
  }
  return out;
}

v1::SettlementResult SettlementToProto(const matching::SettlementResult& result) {
  v1::SettlementResult out;
  out.set_interval_start(result.interval_start);
  for (const matching::Bill& b : result.bills) {
    v1::Bill* bill = out.add_bills();
    bill->set_participant_id(b.participant_id.value());
    bill->set_bought_wh(b.bought.value());
    bill->set_sold_wh(b.sold.value());
    bill->set_import_wh(b.import_wh.value());
    bill->set_export_wh(b.export_wh.value());
    bill->set_deviation_wh(b.deviation.value());
    bill->set_p2p_amount_ucu(b.p2p_amount.value());
    bill->set_imbalance_amount_ucu(b.imbalance_amount.value());
    bill->set_bill_ucu(b.bill.value());
    bill->set_baseline_ucu(b.baseline.value());
    bill->set_savings_ucu(b.savings.value());
    bill->set_estimated(b.estimated);
  }
  out.set_grid_ucu(result.grid.value());
  return out;
}

}  // namespace peergrid::services::audit_internal
