// Private: one interval's book validated and sorted into auction order
// (DESIGN.md §4 step 1), and the walk of step 2 over it.
//
// Performance: one sequential pass over the orders gathers compact arrays
// (hashes, seqs, prices, quantities); the malformed-book checks and both
// sorts are linear-time radix sorts over 64-bit keys; a gather then lays the
// quantities out in auction order, so the walk reads memory sequentially and
// touches the orders only to copy ids into fills (prefetched ahead).
// A sort key packs the price part above a tie-breaker: BUYs use
// kMaxPriceMcuPerKwh − price, so ascending keys are descending prices. When
// the seqs are dense (an interval's ledger indices) the tie-breaker is
// (seq − min seq) << position bits | position, built in one sequential pass;
// otherwise it is the seq's rank (seqs radix-sorted first). Either way keys
// ascend with seq at equal prices, whatever the seqs' magnitude.
//
// Thread-safety: immutable after Build; the book it views must outlive it.
#ifndef PEERGRID_MATCHING_SRC_SORTED_BOOK_H_
#define PEERGRID_MATCHING_SRC_SORTED_BOOK_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "huge_pages.h"
#include "peergrid/matching/order.h"

namespace peergrid::matching::internal {

// An uninitialized array of n 64-bit words: every slot is written before it
// is read, so no time goes into zero-filling fresh pages.
class Words {
 public:
  Words() = default;
  explicit Words(size_t n) : data_(n == 0 ? nullptr : new uint64_t[n]), size_(n) {
    AdviseHugePages(data_.get(), n * sizeof(uint64_t));
  }

  absl::Span<uint64_t> span() { return {data_.get(), size_}; }
  absl::Span<const uint64_t> span() const { return {data_.get(), size_}; }
  uint64_t& operator[](size_t i) { return data_[i]; }
  uint64_t operator[](size_t i) const { return data_[i]; }

 private:
  std::unique_ptr<uint64_t[]> data_;
  size_t size_ = 0;
};

class SortedBook {
 public:
  // Validates `book` for the interval (the malformed-book checks documented
  // on Clear, same precedence and messages) and sorts both sides.
  static absl::StatusOr<SortedBook> Build(int64_t interval_start, absl::Span<const Order> book);

  SortedBook(SortedBook&&) = default;
  SortedBook& operator=(SortedBook&&) = default;

  size_t num_buys() const { return buys_.size(); }
  size_t num_sells() const { return sells_.size(); }
  // Returns the limit price of the i-th BUY / SELL in auction order.
  int64_t BuyPrice(size_t i) const {
    return kMaxPriceMcuPerKwh - min_part_ - static_cast<int64_t>(buys_[i] >> rank_bits_);
  }
  int64_t SellPrice(size_t i) const {
    return min_part_ + static_cast<int64_t>(sells_[i] >> rank_bits_);
  }
  // Returns the i-th BUY / SELL order in auction order.
  const Order& Buy(size_t i) const { return book_[refs_[i] & kLow32]; }
  const Order& Sell(size_t i) const { return book_[refs_[buys_.size() + i] & kLow32]; }

  // Hints the cache about the orders a few steps after BUY b and SELL s,
  // which a walk emitting fills reads next.
  void PrefetchOrders(size_t b, size_t s) const {
    if (b + kAhead < buys_.size()) Prefetch(&Buy(b + kAhead));
    if (s + kAhead < sells_.size()) Prefetch(&Sell(s + kAhead));
  }

  // Step 2: walks both sides from the top while the BUY's price ≥ the SELL's,
  // calling on_fill(buy index, sell index, quantity) for each fill in order.
  template <typename OnFill>
  void Walk(OnFill on_fill) const {
    if (buys_.empty() || sells_.empty()) return;
    const uint64_t* buy_refs = refs_.span().data();
    const uint64_t* sell_refs = buy_refs + buys_.size();
    // buy price ≥ sell price ⇔ (buy key + sell key) >> rank bits ≤ kMax − 2 min part.
    const int64_t limit = kMaxPriceMcuPerKwh - 2 * min_part_;
    size_t b = 0;
    size_t s = 0;
    int64_t remaining_buy = static_cast<int64_t>(buy_refs[0] >> 32);
    int64_t remaining_sell = static_cast<int64_t>(sell_refs[0] >> 32);
    while (static_cast<int64_t>((buys_[b] >> rank_bits_) + (sells_[s] >> rank_bits_)) <= limit) {
      const int64_t q = std::min(remaining_buy, remaining_sell);
      on_fill(b, s, q);
      remaining_buy -= q;
      remaining_sell -= q;
      if (remaining_buy == 0) {
        if (++b == buys_.size()) return;
        remaining_buy = static_cast<int64_t>(buy_refs[b] >> 32);
      }
      if (remaining_sell == 0) {
        if (++s == sells_.size()) return;
        remaining_sell = static_cast<int64_t>(sell_refs[s] >> 32);
      }
    }
  }

 private:
  static constexpr uint64_t kLow32 = 0xffffffff;
  static constexpr size_t kAhead = 16;

  SortedBook() = default;

  static void Prefetch(const Order* order) {
    const char* p = reinterpret_cast<const char*>(order);
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
  }

  absl::Span<const Order> book_;
  Words keys_;                        // Holds buys_ and sells_ (or their scratch).
  Words scratch_;                     // Ditto.
  absl::Span<const uint64_t> buys_;   // Sort keys of the BUYs, in auction order.
  absl::Span<const uint64_t> sells_;  // Sort keys of the SELLs, in auction order.
  int rank_bits_ = 0;                 // A key is (price part − min_part_) << rank_bits_ | tie.
  int64_t min_part_ = 0;
  // quantity << 32 | position in the book: refs_[i] for buys_[i],
  // refs_[buys_.size() + i] for sells_[i].
  Words refs_;
};

}  // namespace peergrid::matching::internal

#endif  // PEERGRID_MATCHING_SRC_SORTED_BOOK_H_
