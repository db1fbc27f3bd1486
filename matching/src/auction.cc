#include "peergrid/matching/auction.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "book_checks.h"
#include "peergrid/common/status.h"
#include "peergrid/matching/validation.h"
#include "radix_sort.h"

namespace peergrid::matching {
namespace {

// A sort key packs (price part << 32 | rank of seq): BUYs use
// kMaxPriceMcuPerKwh − price so that ascending keys are descending prices.
// The rank of an order's seq among all seqs keeps the key in 64 bits for any
// seq, and ranks ascend with seq, so ties break by seq as the contract says.
constexpr int kRankBits = 32;
constexpr uint64_t kRankMask = (uint64_t{1} << kRankBits) - 1;
static_assert(kMaxPriceMcuPerKwh < (int64_t{1} << 31));

struct SeqPosition {
  uint64_t seq;
  uint32_t position;
};

std::string Where(const Order& order, size_t position) {
  return absl::StrCat("order ", order.order_id.value(), " (orders[", position, "])");
}

// Checks one order's own fields (everything but duplicates across the book).
absl::Status CheckBookOrder(int64_t interval_start, const Order& order, size_t position) {
  if (order.interval_start != interval_start) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(order, position), ": interval_start ", order.interval_start,
                     " is not the cleared interval ", interval_start));
  }
  if (order.side != Side::kBuy && order.side != Side::kSell) {
    return absl::InvalidArgumentError(absl::StrCat(Where(order, position), ": side ",
                                                   SideName(order.side), " is not BUY or SELL"));
  }
  const int64_t q = order.quantity.value();
  if (q < 1 || q > kMaxQuantityWh) {
    return absl::InvalidArgumentError(absl::StrCat(Where(order, position), ": quantity_wh ", q,
                                                   " is outside [1, ", kMaxQuantityWh, "]"));
  }
  const int64_t p = order.limit_price.value();
  if (p < 0 || p > kMaxPriceMcuPerKwh) {
    return absl::InvalidArgumentError(absl::StrCat(Where(order, position),
                                                   ": limit_price_mcu_per_kwh ", p,
                                                   " is outside [0, ", kMaxPriceMcuPerKwh, "]"));
  }
  return absl::OkStatus();
}

// Rejects duplicate order ids and participants on both sides.
absl::Status CheckBookStrings(absl::Span<const Order> book, absl::Span<uint64_t> work,
                              absl::Span<uint64_t> scratch) {
  const size_t n = book.size();
  if (auto dup = internal::FindDuplicateString(
          n, [&](size_t i) -> absl::string_view { return book[i].order_id.value(); }, work,
          scratch)) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(book[dup->later], dup->later), ": order_id duplicates orders[", dup->earlier, "]"));
  }
  if (auto both = internal::FindConflictingFlag(
          n, [&](size_t i) -> absl::string_view { return book[i].participant_id.value(); },
          [&](size_t i) { return book[i].side == Side::kSell; }, work, scratch)) {
    const Order& earlier = book[both->earlier];
    const Order& later = book[both->later];
    return absl::InvalidArgumentError(
        absl::StrCat(Where(later, both->later), ": participant_id ", later.participant_id.value(),
                     " has a ", SideName(earlier.side), " order ", earlier.order_id.value(),
                     " and a ", SideName(later.side), " order in the same interval"));
  }
  return absl::OkStatus();
}

// Sorts (seq, position) pairs by seq; rejects a duplicate seq (naming the
// first repeat in input order) and returns position by rank.
absl::StatusOr<std::vector<uint32_t>> RankBySeq(absl::Span<const Order> book) {
  const size_t n = book.size();
  std::vector<SeqPosition> pairs(n);
  std::vector<SeqPosition> scratch(n);
  for (size_t i = 0; i < n; ++i) pairs[i] = {book[i].seq, static_cast<uint32_t>(i)};
  absl::Span<SeqPosition> sorted = internal::RadixSort(
      absl::MakeSpan(pairs), absl::MakeSpan(scratch), [](const SeqPosition& p) { return p.seq; });
  size_t repeat = n;  // The first position (input order) that repeats a seq.
  size_t original = n;
  for (size_t r = 1; r < n; ++r) {
    // Stable sort: within equal seqs positions ascend, so sorted[r-1] is the
    // earliest position whenever the run starts there.
    if (sorted[r].seq == sorted[r - 1].seq && sorted[r].position < repeat &&
        (r < 2 || sorted[r - 2].seq != sorted[r].seq)) {
      repeat = sorted[r].position;
      original = sorted[r - 1].position;
    }
  }
  if (repeat < n) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(book[repeat], repeat), ": seq ", book[repeat].seq, " duplicates order ",
                     book[original].order_id.value(), " (orders[", original, "])"));
  }
  std::vector<uint32_t> position_by_rank(n);
  for (size_t r = 0; r < n; ++r) position_by_rank[r] = sorted[r].position;
  return position_by_rank;
}

// Runs step 2 of DESIGN.md §4 over the sorted sides, calling
// on_fill(buy_position, sell_position, quantity) for each fill in walk order.
// `buys` and `sells` hold sort keys; `position_by_rank` maps them to `book`.
template <typename OnFill>
void Walk(absl::Span<const Order> book, absl::Span<const uint64_t> buys,
          absl::Span<const uint64_t> sells, const std::vector<uint32_t>& position_by_rank,
          OnFill on_fill) {
  auto position = [&](uint64_t key) { return position_by_rank[key & kRankMask]; };
  size_t b = 0;
  size_t s = 0;
  if (buys.empty() || sells.empty()) return;
  int64_t remaining_buy = book[position(buys[0])].quantity.value();
  int64_t remaining_sell = book[position(sells[0])].quantity.value();
  // buy price ≥ sell price ⇔ kMax − (buy key >> 32) ≥ (sell key >> 32).
  while (b < buys.size() && s < sells.size() &&
         (buys[b] >> kRankBits) + (sells[s] >> kRankBits) <=
             static_cast<uint64_t>(kMaxPriceMcuPerKwh)) {
    const int64_t q = std::min(remaining_buy, remaining_sell);
    on_fill(b, s, q);
    remaining_buy -= q;
    remaining_sell -= q;
    if (remaining_buy == 0 && ++b < buys.size()) {
      remaining_buy = book[position(buys[b])].quantity.value();
    }
    if (remaining_sell == 0 && ++s < sells.size()) {
      remaining_sell = book[position(sells[s])].quantity.value();
    }
  }
}

}  // namespace

absl::StatusOr<ClearingResult> Clear(int64_t interval_start, absl::Span<const Order> book) {
  const size_t n = book.size();
  if (n > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("orders: ", n, " orders are too many"));
  }
  size_t num_buys = 0;
  for (size_t i = 0; i < n; ++i) {
    PEERGRID_RETURN_IF_ERROR(CheckBookOrder(interval_start, book[i], i));
    num_buys += book[i].side == Side::kBuy ? 1 : 0;
  }
  std::vector<uint64_t> work(n);
  std::vector<uint64_t> scratch(n);
  PEERGRID_RETURN_IF_ERROR(CheckBookStrings(book, absl::MakeSpan(work), absl::MakeSpan(scratch)));
  PEERGRID_ASSIGN_OR_RETURN(std::vector<uint32_t> position_by_rank, RankBySeq(book));

  // Step 1: one key per order, BUYs in work[0, num_buys), SELLs after them.
  size_t next_buy = 0;
  size_t next_sell = num_buys;
  for (size_t rank = 0; rank < n; ++rank) {
    const Order& order = book[position_by_rank[rank]];
    const auto price = static_cast<uint64_t>(order.limit_price.value());
    if (order.side == Side::kBuy) {
      work[next_buy++] = ((kMaxPriceMcuPerKwh - price) << kRankBits) | rank;
    } else {
      work[next_sell++] = (price << kRankBits) | rank;
    }
  }
  auto identity = [](uint64_t k) { return k; };
  absl::Span<const uint64_t> buys =
      internal::RadixSort(absl::MakeSpan(work).subspan(0, num_buys),
                          absl::MakeSpan(scratch).subspan(0, num_buys), identity);
  absl::Span<const uint64_t> sells = internal::RadixSort(
      absl::MakeSpan(work).subspan(num_buys), absl::MakeSpan(scratch).subspan(num_buys), identity);

  // Steps 2–3: a first walk counts the fills and finds the last one.
  size_t num_fills = 0;
  size_t last_buy = 0;
  size_t last_sell = 0;
  EnergyWh volume(0);
  absl::Status overflow = absl::OkStatus();
  Walk(book, buys, sells, position_by_rank, [&](size_t b, size_t s, int64_t q) {
    ++num_fills;
    last_buy = b;
    last_sell = s;
    absl::StatusOr<EnergyWh> sum = CheckedAdd(volume, EnergyWh(q));
    if (sum.ok()) {
      volume = *sum;
    } else if (overflow.ok()) {
      overflow = absl::OutOfRangeError(absl::StrCat("volume_wh: ", sum.status().message()));
    }
  });
  PEERGRID_RETURN_IF_ERROR(overflow);

  ClearingResult result;
  result.interval_start = interval_start;
  result.volume = volume;
  if (num_fills == 0) return result;
  const int64_t b = kMaxPriceMcuPerKwh - static_cast<int64_t>(buys[last_buy] >> kRankBits);
  const int64_t a = static_cast<int64_t>(sells[last_sell] >> kRankBits);
  const PriceMcuPerKwh price(a + (b - a) / 2);  // floor((b + a) / 2), as b ≥ a ≥ 0.
  result.clearing_price = price;

  // Step 4: a second walk emits the fills at that price.
  result.fills.reserve(num_fills);
  auto position = [&](uint64_t key) { return position_by_rank[key & kRankMask]; };
  Walk(book, buys, sells, position_by_rank, [&](size_t bi, size_t si, int64_t q) {
    const Order& buy = book[position(buys[bi])];
    const Order& sell = book[position(sells[si])];
    absl::StatusOr<MoneyUcu> amount = Amount(EnergyWh(q), price);
    if (!amount.ok() && overflow.ok()) overflow = amount.status();
    result.fills.push_back(Fill{buy.order_id, sell.order_id, buy.participant_id,
                                sell.participant_id, EnergyWh(q), price,
                                amount.value_or(MoneyUcu(0))});
  });
  PEERGRID_RETURN_IF_ERROR(overflow);
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
