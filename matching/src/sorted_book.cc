#include "sorted_book.h"

#include <bit>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "book_checks.h"
#include "peergrid/common/status.h"
#include "radix_sort.h"

namespace peergrid::matching::internal {
namespace {

static_assert(kMaxPriceMcuPerKwh < (int64_t{1} << 31) && kMaxQuantityWh < (int64_t{1} << 31));
// Marks a SELL in BookScan::part_quantity.
constexpr uint64_t kSellBit = uint64_t{1} << 31;
constexpr uint64_t kLow31 = kSellBit - 1;
constexpr uint64_t kLow32 = 0xffffffff;

std::string Where(const Order& order, size_t position) {
  return absl::StrCat("order ", order.order_id.value(), " (orders[", position, "])");
}

// Checks one order's own fields (everything but duplicates across the book).
absl::Status CheckOrder(int64_t interval_start, const Order& order, size_t position) {
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

// What one sequential pass over the book gathers, so that no later step has
// to touch the (large, string-holding) orders again except to emit fills.
struct BookScan {
  Words id_hash;          // StableHash(order_id)
  Words participant_key;  // FlaggedKey(StableHash(participant_id), SELL)
  Words seq;
  // price part << 32 | SELL << 31 | quantity_wh (< 2^30). The price part is
  // kMaxPriceMcuPerKwh − price for a BUY and the price for a SELL.
  Words part_quantity;
  uint64_t min_seq = std::numeric_limits<uint64_t>::max();
  uint64_t max_seq = 0;
  uint64_t min_part = std::numeric_limits<uint64_t>::max();
  uint64_t max_part = 0;
  size_t num_buys = 0;
};

absl::StatusOr<BookScan> ScanBook(int64_t interval_start, absl::Span<const Order> book) {
  const size_t n = book.size();
  BookScan scan{Words(n), Words(n), Words(n), Words(n)};
  for (size_t i = 0; i < n; ++i) {
    const Order& order = book[i];
    // The common case, inline: only a bad order pays for the call that
    // finds and names the bad field.
    const bool good = order.interval_start == interval_start &&
                      (order.side == Side::kBuy || order.side == Side::kSell) &&
                      order.quantity.value() >= 1 && order.quantity.value() <= kMaxQuantityWh &&
                      order.limit_price.value() >= 0 &&
                      order.limit_price.value() <= kMaxPriceMcuPerKwh;
    if (!good) PEERGRID_RETURN_IF_ERROR(CheckOrder(interval_start, order, i));
    const bool sell = order.side == Side::kSell;
    const auto price = static_cast<uint64_t>(order.limit_price.value());
    const uint64_t part = sell ? price : kMaxPriceMcuPerKwh - price;
    scan.id_hash[i] = StableHash(order.order_id.value());
    scan.participant_key[i] = FlaggedKey(StableHash(order.participant_id.value()), sell);
    scan.seq[i] = order.seq;
    scan.min_seq = std::min(scan.min_seq, order.seq);
    scan.max_seq = std::max(scan.max_seq, order.seq);
    scan.min_part = std::min(scan.min_part, part);
    scan.max_part = std::max(scan.max_part, part);
    scan.part_quantity[i] =
        (part << 32) | (sell ? kSellBit : 0) | static_cast<uint64_t>(order.quantity.value());
    scan.num_buys += sell ? 0 : 1;
  }
  return scan;
}

// Rejects duplicate order ids and participants on both sides. Clobbers the
// scan's hashes.
absl::Status CheckStrings(absl::Span<const Order> book, BookScan& scan,
                          absl::Span<uint64_t> scratch) {
  // (Both Find* sort their keys in place.)
  const size_t n = book.size();
  if (auto dup = FindDuplicateString(
          n, [&](size_t i) -> absl::string_view { return book[i].order_id.value(); },
          scan.id_hash.span(), scratch)) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(book[dup->later], dup->later), ": order_id duplicates orders[", dup->earlier, "]"));
  }
  if (auto both = FindConflictingFlag(
          n, [&](size_t i) -> absl::string_view { return book[i].participant_id.value(); },
          [&](size_t i) { return book[i].side == Side::kSell; }, scan.participant_key.span(),
          scratch)) {
    const Order& earlier = book[both->earlier];
    const Order& later = book[both->later];
    return absl::InvalidArgumentError(
        absl::StrCat(Where(later, both->later), ": participant_id ", later.participant_id.value(),
                     " has a ", SideName(earlier.side), " order ", earlier.order_id.value(),
                     " and a ", SideName(later.side), " order in the same interval"));
  }
  return absl::OkStatus();
}

// Given n (seq, position) entries stably sorted by seq, returns the first
// position in input order that repeats a seq, with the original's position.
template <typename SeqAt, typename PositionAt>
std::optional<PositionPair> FirstSeqRepeat(size_t n, SeqAt seq_at, PositionAt position_at) {
  std::optional<PositionPair> first;
  for (size_t r = 1; r < n; ++r) {
    // Within a run of equal seqs positions ascend: its second element is the
    // run's first repeat.
    if (seq_at(r) == seq_at(r - 1) && (r < 2 || seq_at(r - 2) != seq_at(r)) &&
        (!first || position_at(r) < first->later)) {
      first = PositionPair{position_at(r - 1), position_at(r)};
    }
  }
  return first;
}

// Sorts positions by seq, rejecting a duplicate seq, and writes
// position_by_rank[r] for every rank r. When the seqs span less than 2^32
// (ledger indices of one interval's orders do), (seq − min) and the position
// share one 64-bit key sorted in place; otherwise (seq, position) pairs are.
absl::Status RankBySeq(absl::Span<const Order> book, BookScan& scan, absl::Span<uint64_t> scratch,
                       absl::Span<uint64_t> position_by_rank) {
  const size_t n = book.size();
  std::optional<PositionPair> repeat;
  if (n == 0 || scan.max_seq - scan.min_seq <= kLow32) {
    absl::Span<uint64_t> seq = scan.seq.span();
    for (size_t i = 0; i < n; ++i) seq[i] = ((seq[i] - scan.min_seq) << 32) | i;
    absl::Span<const uint64_t> sorted = RadixSort(
        seq, scratch, [](uint64_t k) { return k >> 32; },
        std::bit_width(n == 0 ? 0 : scan.max_seq - scan.min_seq));
    repeat = FirstSeqRepeat(
        n, [&](size_t r) { return sorted[r] >> 32; }, [&](size_t r) { return sorted[r] & kLow32; });
    for (size_t r = 0; r < n; ++r) position_by_rank[r] = sorted[r] & kLow32;
  } else {
    struct SeqPosition {
      uint64_t seq;
      uint32_t position;
    };
    std::vector<SeqPosition> pairs(n);
    std::vector<SeqPosition> pair_scratch(n);
    for (size_t i = 0; i < n; ++i) pairs[i] = {scan.seq[i], static_cast<uint32_t>(i)};
    absl::Span<const SeqPosition> sorted =
        RadixSort(absl::MakeSpan(pairs), absl::MakeSpan(pair_scratch),
                  [](const SeqPosition& p) { return p.seq; });
    repeat = FirstSeqRepeat(
        n, [&](size_t r) { return sorted[r].seq; }, [&](size_t r) { return sorted[r].position; });
    for (size_t r = 0; r < n; ++r) position_by_rank[r] = sorted[r].position;
  }
  if (repeat) {
    const Order& later = book[repeat->later];
    return absl::InvalidArgumentError(
        absl::StrCat(Where(later, repeat->later), ": seq ", later.seq, " duplicates order ",
                     book[repeat->earlier].order_id.value(), " (orders[", repeat->earlier, "])"));
  }
  return absl::OkStatus();
}

// Rejects a duplicate seq with one bit per value in [min_seq, max_seq]: for
// the dense seqs of an interval's book (ledger indices) a small bitmap that
// stays in cache, instead of a sort. Reports the same pair RankBySeq would:
// the first position in input order that repeats a seq, and the original.
absl::Status CheckSeqsByBitmap(absl::Span<const Order> book, const BookScan& scan) {
  const uint64_t range = scan.max_seq - scan.min_seq + 1;
  std::vector<uint64_t> seen((range + 63) / 64, 0);
  for (size_t i = 0; i < book.size(); ++i) {
    const uint64_t offset = scan.seq[i] - scan.min_seq;
    uint64_t& word = seen[offset / 64];
    const uint64_t bit = uint64_t{1} << (offset % 64);
    if ((word & bit) == 0) {
      word |= bit;
      continue;
    }
    size_t earlier = 0;
    while (scan.seq[earlier] != scan.seq[i]) ++earlier;
    return absl::InvalidArgumentError(
        absl::StrCat(Where(book[i], i), ": seq ", book[i].seq, " duplicates order ",
                     book[earlier].order_id.value(), " (orders[", earlier, "])"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SortedBook> SortedBook::Build(int64_t interval_start, absl::Span<const Order> book) {
  const size_t n = book.size();
  if (n > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("orders: ", n, " orders are too many"));
  }
  PEERGRID_ASSIGN_OR_RETURN(BookScan scan, ScanBook(interval_start, book));
  // Five n-word arrays serve every step: page faults on fresh memory cost as
  // much as a radix pass, so buffers are reused as soon as they are spent.
  Words scratch(n);
  PEERGRID_RETURN_IF_ERROR(CheckStrings(book, scan, scratch.span()));

  SortedBook sorted;
  sorted.book_ = book;
  sorted.min_part_ = n == 0 ? 0 : static_cast<int64_t>(scan.min_part);
  const int position_bits = n <= 1 ? 0 : std::bit_width(n - 1);
  const int price_bits = std::bit_width(n == 0 ? 0 : scan.max_part - scan.min_part);
  const uint64_t seq_span = n == 0 ? 0 : scan.max_seq - scan.min_seq;
  const int seq_bits = std::bit_width(seq_span);
  const size_t nb = scan.num_buys;
  absl::Span<uint64_t> keys = scan.id_hash.span();  // Spent: one key per order, below.
  // Sorts each side's keys (BUYs in keys[0, nb), SELLs after them) on their
  // `sort_bits` bits above the low `drop_bits`, then gathers each key's ref,
  // source[key & index_mask], into `refs` in auction order: independent
  // loads, which the memory system overlaps.
  auto sort_and_gather = [&](int drop_bits, int sort_bits, uint64_t index_mask,
                             absl::Span<const uint64_t> source, Words refs) {
    auto above = [drop_bits](uint64_t k) { return k >> drop_bits; };
    sorted.buys_ = RadixSort(keys.subspan(0, nb), scratch.span().subspan(0, nb), above, sort_bits);
    sorted.sells_ = RadixSort(keys.subspan(nb), scratch.span().subspan(nb), above, sort_bits);
    for (size_t i = 0; i < nb; ++i) refs[i] = source[sorted.buys_[i] & index_mask];
    for (size_t i = 0; i < n - nb; ++i) refs[nb + i] = source[sorted.sells_[i] & index_mask];
    sorted.keys_ = std::move(scan.id_hash);
    sorted.scratch_ = std::move(scratch);
    sorted.refs_ = std::move(refs);
  };
  if (n > 0 && seq_span < std::max<uint64_t>(64 * uint64_t{n}, uint64_t{1} << 16) &&
      price_bits + seq_bits + position_bits <= 64) {
    // Dense seqs (an interval's ledger indices): a key holds the price part,
    // the seq itself and the position, (part − min part) << (seq bits +
    // position bits) | (seq − min seq) << position bits | position, so one
    // sequential pass builds the keys and sorting them on everything above
    // the position orders by price, then seq. No ranks needed.
    PEERGRID_RETURN_IF_ERROR(CheckSeqsByBitmap(book, scan));
    sorted.rank_bits_ = seq_bits + position_bits;
    absl::Span<uint64_t> quantity_position = scan.part_quantity.span();  // Becomes that.
    size_t next_buy = 0;
    size_t next_sell = nb;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t pq = quantity_position[i];
      const size_t slot = (pq & kSellBit) ? next_sell++ : next_buy++;
      keys[slot] = (((pq >> 32) - scan.min_part) << sorted.rank_bits_) |
                   ((scan.seq[i] - scan.min_seq) << position_bits) | i;
      quantity_position[i] = ((pq & kLow31) << 32) | i;
    }
    sort_and_gather(position_bits, price_bits + seq_bits, (uint64_t{1} << position_bits) - 1,
                    quantity_position, std::move(scan.participant_key));  // Spent.
    return sorted;
  }

  // Sparse seqs: rank them first, and key on the rank instead.
  Words by_rank = std::move(scan.participant_key);  // Spent: position, then ref, by rank.
  PEERGRID_RETURN_IF_ERROR(RankBySeq(book, scan, scratch.span(), by_rank.span()));

  // One key per order: (price part − min part) << rank bits | rank, as
  // narrow as the book allows so that the radix sort makes few passes.
  sorted.rank_bits_ = position_bits;  // Ranks take as many bits as positions.
  const absl::Span<const uint64_t> part_quantity = scan.part_quantity.span();
  size_t next_buy = 0;
  size_t next_sell = nb;
  constexpr size_t kPrefetch = 16;  // Distance of the random reads below.
  for (size_t rank = 0; rank < n; ++rank) {
    if (rank + kPrefetch < n) __builtin_prefetch(&part_quantity[by_rank[rank + kPrefetch]]);
    const uint64_t position = by_rank[rank];
    const uint64_t pq = part_quantity[position];
    by_rank[rank] = ((pq & kLow31) << 32) | position;  // quantity << 32 | position
    const size_t slot = (pq & kSellBit) ? next_sell++ : next_buy++;
    keys[slot] = (((pq >> 32) - scan.min_part) << sorted.rank_bits_) | rank;
  }
  sort_and_gather(0, sorted.rank_bits_ + price_bits, (uint64_t{1} << sorted.rank_bits_) - 1,
                  by_rank.span(), std::move(scan.part_quantity));  // Spent.
  return sorted;
}

}  // namespace peergrid::matching::internal
