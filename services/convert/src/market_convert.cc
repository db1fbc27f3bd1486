#include "peergrid/convert/market_convert.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/status.h"
#include "peergrid/common/text.h"

namespace peergrid::convert {
namespace {

// Prefixes a status message with where in a list it happened.
absl::Status At(absl::string_view where, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(where, ": ", status.message()));
}

}  // namespace

absl::StatusOr<matching::Side> FromProto(v1::Side side) {
  switch (side) {
    case v1::BUY:
      return matching::Side::kBuy;
    case v1::SELL:
      return matching::Side::kSell;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "side is ", v1::Side_IsValid(side) ? v1::Side_Name(side) : absl::StrCat(side),
          " (want BUY or SELL)"));
  }
}

absl::StatusOr<matching::ReadQuality> FromProto(v1::ReadQuality quality) {
  switch (quality) {
    case v1::OK:
      return matching::ReadQuality::kOk;
    case v1::MISSING:
      return matching::ReadQuality::kMissing;
    case v1::ESTIMATED:
      return matching::ReadQuality::kEstimated;
    case v1::BAD:
      return matching::ReadQuality::kBad;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "quality is ",
          v1::ReadQuality_IsValid(quality) ? v1::ReadQuality_Name(quality) : absl::StrCat(quality),
          " (want OK, MISSING, ESTIMATED or BAD)"));
  }
}

absl::StatusOr<matching::Tariff> FromProto(const v1::Tariff& tariff) {
  return matching::Tariff{PriceMcuPerKwh(tariff.feed_in_price_mcu_per_kwh()),
                          PriceMcuPerKwh(tariff.retail_price_mcu_per_kwh())};
}

absl::StatusOr<matching::Order> FromProto(const v1::Order& order) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("order_id", order.order_id()));
  const std::string where = absl::StrCat("order_id ", QuoteInput(order.order_id()));
  absl::Status id = ValidateId("participant_id", order.participant_id());
  if (!id.ok()) return At(where, id);
  absl::StatusOr<matching::Side> side = FromProto(order.side());
  if (!side.ok()) return At(where, side.status());
  matching::Order out;
  out.order_id = OrderId(order.order_id());
  out.participant_id = ParticipantId(order.participant_id());
  out.side = *side;
  out.quantity = EnergyWh(order.quantity_wh());
  out.limit_price = PriceMcuPerKwh(order.limit_price_mcu_per_kwh());
  out.interval_start = order.interval_start();
  out.seq = order.seq();
  return out;
}

absl::StatusOr<matching::Fill> FromProto(const v1::Fill& fill) {
  return matching::Fill{OrderId(fill.buy_order_id()),   OrderId(fill.sell_order_id()),
                        ParticipantId(fill.buyer_id()), ParticipantId(fill.seller_id()),
                        EnergyWh(fill.quantity_wh()),   PriceMcuPerKwh(fill.price_mcu_per_kwh()),
                        MoneyUcu(fill.amount_ucu())};
}

absl::StatusOr<matching::ClearingResult> FromProto(const v1::ClearingResult& result) {
  matching::ClearingResult out;
  out.interval_start = result.interval_start();
  if (result.has_clearing_price_mcu_per_kwh()) {
    out.clearing_price = PriceMcuPerKwh(result.clearing_price_mcu_per_kwh().value());
  }
  out.volume = EnergyWh(result.volume_wh());
  out.fills.reserve(result.fills_size());
  for (const v1::Fill& fill : result.fills()) {
    PEERGRID_ASSIGN_OR_RETURN(matching::Fill f, FromProto(fill));
    out.fills.push_back(std::move(f));
  }
  return out;
}

v1::MeterRead AsMeterRead(const v1::HubRead& read) {
  v1::MeterRead out;
  out.set_participant_id(read.hub_id());
  out.set_import_wh(read.import_wh());
  out.set_export_wh(read.export_wh());
  out.set_quality(read.quality());
  return out;
}

absl::StatusOr<matching::MeterRead> FromProto(const v1::MeterRead& read) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("participant_id", read.participant_id()));
  absl::StatusOr<matching::ReadQuality> quality = FromProto(read.quality());
  if (!quality.ok()) {
    return At(absl::StrCat("participant_id ", QuoteInput(read.participant_id())), quality.status());
  }
  return matching::MeterRead{ParticipantId(read.participant_id()), EnergyWh(read.import_wh()),
                             EnergyWh(read.export_wh()), *quality};
}

absl::StatusOr<matching::Bill> FromProto(const v1::Bill& bill) {
  matching::Bill out;
  out.participant_id = ParticipantId(bill.participant_id());
  out.bought = EnergyWh(bill.bought_wh());
  out.sold = EnergyWh(bill.sold_wh());
  out.import_wh = EnergyWh(bill.import_wh());
  out.export_wh = EnergyWh(bill.export_wh());
  out.deviation = EnergyWh(bill.deviation_wh());
  out.p2p_amount = MoneyUcu(bill.p2p_amount_ucu());
  out.imbalance_amount = MoneyUcu(bill.imbalance_amount_ucu());
  out.bill = MoneyUcu(bill.bill_ucu());
  out.baseline = MoneyUcu(bill.baseline_ucu());
  out.savings = MoneyUcu(bill.savings_ucu());
  out.estimated = bill.estimated();
  return out;
}

absl::StatusOr<matching::SettlementResult> FromProto(const v1::SettlementResult& result) {
  matching::SettlementResult out;
  out.interval_start = result.interval_start();
  for (const v1::Bill& bill : result.bills()) {
    PEERGRID_ASSIGN_OR_RETURN(matching::Bill b, FromProto(bill));
    out.bills.push_back(std::move(b));
  }
  out.grid = MoneyUcu(result.grid_ucu());
  return out;
}

absl::StatusOr<matching::ClearingInput> FromProto(const v1::ClearingInput& input) {
  matching::ClearingInput out;
  out.interval_start = input.interval_start();
  PEERGRID_ASSIGN_OR_RETURN(out.tariff, FromProto(input.tariff()));
  out.orders.reserve(input.orders_size());
  for (int i = 0; i < input.orders_size(); ++i) {
    absl::StatusOr<matching::Order> order = FromProto(input.orders(i));
    if (!order.ok()) return At(absl::StrCat("orders[", i, "]"), order.status());
    // An order inside a ClearingInput may leave out its interval (0): it is
    // the input's. A different non-zero interval is kept for Clear to reject.
    if (order->interval_start == 0) order->interval_start = out.interval_start;
    out.orders.push_back(*std::move(order));
  }
  return out;
}

absl::StatusOr<matching::SettlementInput> FromProto(const v1::SettlementInput& input) {
  matching::SettlementInput out;
  out.interval_start = input.interval_start();
  PEERGRID_ASSIGN_OR_RETURN(out.tariff, FromProto(input.tariff()));
  PEERGRID_ASSIGN_OR_RETURN(out.clearing, FromProto(input.clearing()));
  // interval_start may be left out (0): it is then the clearing's.
  if (out.interval_start == 0) out.interval_start = out.clearing.interval_start;
  for (int i = 0; i < input.meter_reads_size(); ++i) {
    absl::StatusOr<matching::MeterRead> read = FromProto(input.meter_reads(i));
    if (!read.ok()) return At(absl::StrCat("meter_reads[", i, "]"), read.status());
    out.reads.push_back(*std::move(read));
  }
  return out;
}

v1::Side ToProto(matching::Side side) { return side == matching::Side::kBuy ? v1::BUY : v1::SELL; }

v1::ReadQuality ToProto(matching::ReadQuality quality) {
  switch (quality) {
    case matching::ReadQuality::kOk:
      return v1::OK;
    case matching::ReadQuality::kMissing:
      return v1::MISSING;
    case matching::ReadQuality::kEstimated:
      return v1::ESTIMATED;
    case matching::ReadQuality::kBad:
      return v1::BAD;
  }
  return v1::READ_QUALITY_UNSPECIFIED;
}

v1::Tariff ToProto(const matching::Tariff& tariff) {
  v1::Tariff out;
  out.set_feed_in_price_mcu_per_kwh(tariff.feed_in.value());
  out.set_retail_price_mcu_per_kwh(tariff.retail.value());
  return out;
}

v1::Order ToProto(const matching::Order& order) {
  v1::Order out;
  out.set_order_id(order.order_id.value());
  out.set_participant_id(order.participant_id.value());
  out.set_side(ToProto(order.side));
  out.set_quantity_wh(order.quantity.value());
  out.set_limit_price_mcu_per_kwh(order.limit_price.value());
  out.set_interval_start(order.interval_start);
  out.set_seq(order.seq);
  return out;
}

v1::Fill ToProto(const matching::Fill& fill) {
  v1::Fill out;
  out.set_buy_order_id(fill.buy_order_id.value());
  out.set_sell_order_id(fill.sell_order_id.value());
  out.set_buyer_id(fill.buyer.value());
  out.set_seller_id(fill.seller.value());
  out.set_quantity_wh(fill.quantity.value());
  out.set_price_mcu_per_kwh(fill.price.value());
  out.set_amount_ucu(fill.amount.value());
  return out;
}

v1::ClearingResult ToProto(const matching::ClearingResult& result) {
  v1::ClearingResult out;
  out.set_interval_start(result.interval_start);
  if (result.clearing_price) {
    out.mutable_clearing_price_mcu_per_kwh()->set_value(result.clearing_price->value());
  }
  out.set_volume_wh(result.volume.value());
  out.mutable_fills()->Reserve(static_cast<int>(result.fills.size()));
  for (const matching::Fill& fill : result.fills) *out.add_fills() = ToProto(fill);
  return out;
}

v1::MeterRead ToProto(const matching::MeterRead& read) {
  v1::MeterRead out;
  out.set_participant_id(read.participant_id.value());
  out.set_import_wh(read.import_wh.value());
  out.set_export_wh(read.export_wh.value());
  out.set_quality(ToProto(read.quality));
  return out;
}

v1::Bill ToProto(const matching::Bill& bill) {
  v1::Bill out;
  out.set_participant_id(bill.participant_id.value());
  out.set_bought_wh(bill.bought.value());
  out.set_sold_wh(bill.sold.value());
  out.set_import_wh(bill.import_wh.value());
  out.set_export_wh(bill.export_wh.value());
  out.set_deviation_wh(bill.deviation.value());
  out.set_p2p_amount_ucu(bill.p2p_amount.value());
  out.set_imbalance_amount_ucu(bill.imbalance_amount.value());
  out.set_bill_ucu(bill.bill.value());
  out.set_baseline_ucu(bill.baseline.value());
  out.set_savings_ucu(bill.savings.value());
  out.set_estimated(bill.estimated);
  return out;
}

v1::SettlementResult ToProto(const matching::SettlementResult& result) {
  v1::SettlementResult out;
  out.set_interval_start(result.interval_start);
  for (const matching::Bill& bill : result.bills) *out.add_bills() = ToProto(bill);
  out.set_grid_ucu(result.grid.value());
  return out;
}

}  // namespace peergrid::convert
