#include "peergrid/convert/signing_text.h"

#include "absl/strings/str_cat.h"

namespace peergrid::convert {

std::string OrderSigningText(const v1::Order& order) {
  return absl::StrCat("peergrid order v1\n", order.order_id(), "\n", order.participant_id(), "\n",
                      v1::Side_Name(order.side()), "\n", order.quantity_wh(), "\n",
                      order.limit_price_mcu_per_kwh(), "\n", order.interval_start(), "\n");
}

std::string CancelSigningText(const std::string& order_id, const std::string& participant_id) {
  return absl::StrCat("peergrid cancel v1\n", order_id, "\n", participant_id, "\n");
}

}  // namespace peergrid::convert
