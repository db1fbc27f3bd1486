#include "peergrid/matching/auction.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "huge_pages.h"
#include "peergrid/common/status.h"
#include "peergrid/matching/validation.h"
#include "sorted_book.h"

namespace peergrid::matching {

using internal::SortedBook;

absl::StatusOr<ClearingResult> Clear(int64_t interval_start, absl::Span<const Order> book) {
  PEERGRID_ASSIGN_OR_RETURN(const SortedBook sorted, SortedBook::Build(interval_start, book));

  // No sum or product below can overflow, so the walks need no checks: Build
  // bounds every quantity and price by 10^9 and n by 2^32, so the volume is
  // below 2^32 × 10^9 and an amount at most 10^9 × 10^9, both under 2^63.
  static_assert(kMaxQuantityWh <= 1'000'000'000 && kMaxPriceMcuPerKwh <= 1'000'000'000);

  // Steps 2–3: a first walk counts the fills (so the second allocates once)
  // and finds the last one, whose limits set the price.
  size_t num_fills = 0;
  size_t last_buy = 0;
  size_t last_sell = 0;
  int64_t volume = 0;
  sorted.Walk([&](size_t b, size_t s, int64_t q) {
    ++num_fills;
    last_buy = b;
    last_sell = s;
    volume += q;
  });

  ClearingResult result;
  result.interval_start = interval_start;
  result.volume = EnergyWh(volume);
  if (num_fills == 0) return result;
  const int64_t b = sorted.BuyPrice(last_buy);
  const int64_t a = sorted.SellPrice(last_sell);
  const PriceMcuPerKwh price(a + (b - a) / 2);  // floor((b + a) / 2), as b ≥ a ≥ 0.
  result.clearing_price = price;

  // Step 4: a second walk emits the fills at that price, each built in place
  // from copies of its four ids.
  result.fills.reserve(num_fills);
  internal::AdviseHugePages(result.fills.data(), result.fills.capacity() * sizeof(Fill));
  sorted.Walk([&](size_t bi, size_t si, int64_t q) {
    sorted.PrefetchOrders(bi, si);
    const Order& buy = sorted.Buy(bi);
    const Order& sell = sorted.Sell(si);
#if defined(__cpp_aggregate_paren_init) && __cpp_aggregate_paren_init >= 201902L
    // Copy-constructed in place, the cheapest way to copy four ids.
    result.fills.emplace_back(buy.order_id, sell.order_id, buy.participant_id, sell.participant_id,
                              EnergyWh(q), price, MoneyUcu(q * price.value()));
#else
    // Compilers without parenthesized aggregate initialization (clang 14).
    result.fills.push_back(Fill{buy.order_id, sell.order_id, buy.participant_id,
                                sell.participant_id, EnergyWh(q), price,
                                MoneyUcu(q * price.value())});
#endif
  });
  return result;
}

absl::StatusOr<ClearingResult> Clear(const ClearingInput& input) {
  PEERGRID_RETURN_IF_ERROR(input.tariff.Validate());
  for (const Order& order : input.orders) {
    PEERGRID_RETURN_IF_ERROR(CheckLimitPrice(order, input.tariff));
  }
  return Clear(input.interval_start, input.orders);
}

std::ostream& operator<<(std::ostream& os, const Fill& fill) {
  return os << "Fill{buy " << fill.buy_order_id << " (" << fill.buyer << "), sell "
            << fill.sell_order_id << " (" << fill.seller << "), " << fill.quantity << " at "
            << fill.price << " = " << fill.amount << "}";
}

std::ostream& operator<<(std::ostream& os, const ClearingResult& result) {
  os << "ClearingResult{interval " << result.interval_start << ", price ";
  if (result.clearing_price) {
    os << *result.clearing_price;
  } else {
    os << "none";
  }
  os << ", volume " << result.volume << ", fills [";
  for (size_t i = 0; i < result.fills.size(); ++i) os << (i ? ", " : "") << result.fills[i];
  return os << "]}";
}

}  // namespace peergrid::matching
