#include "peergrid/matching/order.h"

#include "absl/strings/str_cat.h"

namespace peergrid::matching {

absl::string_view SideName(Side side) {
  switch (side) {
    case Side::kBuy:
      return "BUY";
    case Side::kSell:
      return "SELL";
  }
  return "SIDE(invalid)";
}

std::ostream& operator<<(std::ostream& os, Side side) {
  if (side != Side::kBuy && side != Side::kSell) {
    return os << "SIDE(" << static_cast<int>(side) << ")";
  }
  return os << SideName(side);
}

absl::Status Tariff::Validate() const {
  if (feed_in.value() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tariff: feed_in_price_mcu_per_kwh ", feed_in.value(), " must be >= 0"));
  }
  if (retail.value() < 1 || retail.value() > kMaxPriceMcuPerKwh) {
    return absl::InvalidArgumentError(absl::StrCat("tariff: retail_price_mcu_per_kwh ",
                                                   retail.value(), " is outside [1, ",
                                                   kMaxPriceMcuPerKwh, "]"));
  }
  if (feed_in > retail) {
    return absl::InvalidArgumentError(
        absl::StrCat("tariff: feed_in_price_mcu_per_kwh ", feed_in.value(),
                     " is above retail_price_mcu_per_kwh ", retail.value()));
  }
  return absl::OkStatus();
}

std::ostream& operator<<(std::ostream& os, const Order& order) {
  return os << "Order{" << order.order_id << " by " << order.participant_id << ", " << order.side
            << " " << order.quantity << " at " << order.limit_price << ", interval "
            << order.interval_start << ", seq " << order.seq << "}";
}

}  // namespace peergrid::matching
