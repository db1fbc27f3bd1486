// Property tests of the double auction on thousands of seeded random books:
// the invariants of DESIGN.md §4, shuffle invariance, and agreement with a
// deliberately naive reference implementation of the same contract.
#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "peergrid/matching/auction.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::matching {
namespace {

constexpr int64_t kT = 1'700'000'100;
constexpr uint64_t kBaseSeed = 0x5eed'2024;

// The contract, written as plainly as possible: comparator sorts, index walk.
ClearingResult ReferenceClear(int64_t interval_start, std::vector<Order> book) {
  std::vector<Order> buys;
  std::vector<Order> sells;
  for (const Order& o : book) (o.side == Side::kBuy ? buys : sells).push_back(o);
  std::sort(buys.begin(), buys.end(), [](const Order& a, const Order& b) {
    if (a.limit_price != b.limit_price) return a.limit_price > b.limit_price;
    return a.seq < b.seq;
  });
  std::sort(sells.begin(), sells.end(), [](const Order& a, const Order& b) {
    if (a.limit_price != b.limit_price) return a.limit_price < b.limit_price;
    return a.seq < b.seq;
  });
  struct Raw {
    size_t b, s;
    int64_t q;
  };
  std::vector<Raw> raw;
  std::vector<int64_t> rb, rs;
  for (const Order& o : buys) rb.push_back(o.quantity.value());
  for (const Order& o : sells) rs.push_back(o.quantity.value());
  size_t i = 0, j = 0;
  while (i < buys.size() && j < sells.size() && buys[i].limit_price >= sells[j].limit_price) {
    int64_t q = std::min(rb[i], rs[j]);
    raw.push_back({i, j, q});
    rb[i] -= q;
    rs[j] -= q;
    if (rb[i] == 0) ++i;
    if (rs[j] == 0) ++j;
  }
  ClearingResult r;
  r.interval_start = interval_start;
  if (raw.empty()) return r;
  int64_t b = buys[raw.back().b].limit_price.value();
  int64_t a = sells[raw.back().s].limit_price.value();
  PriceMcuPerKwh p((b + a) / 2);  // Both ≥ 0, small: the plain formula.
  r.clearing_price = p;
  for (const Raw& x : raw) {
    const Order& buy = buys[x.b];
    const Order& sell = sells[x.s];
    r.fills.push_back(Fill{buy.order_id, sell.order_id, buy.participant_id, sell.participant_id,
                           EnergyWh(x.q), p, MoneyUcu(x.q * p.value())});
    r.volume += EnergyWh(x.q);
  }
  return r;
}

// A random valid book: unique ids and seqs, one side per participant.
std::vector<Order> RandomBook(std::mt19937_64& rng) {
  const int n = static_cast<int>(rng() % 60);
  const int participants = 1 + static_cast<int>(rng() % 25);
  // Narrow price ranges make many ties and crossings; wide ones test the keys.
  const int64_t lo = static_cast<int64_t>(rng() % 1000);
  const int64_t width = (rng() % 3 == 0) ? 5 : 1 + static_cast<int64_t>(rng() % 200'000);
  const int64_t max_q = (rng() % 4 == 0) ? kMaxQuantityWh : 1 + static_cast<int64_t>(rng() % 100);
  const bool wide_seqs = rng() % 4 == 0;
  std::vector<Side> side_of(participants);
  for (Side& s : side_of) s = (rng() % 2) ? Side::kBuy : Side::kSell;
  std::vector<uint64_t> seqs;
  while (seqs.size() < static_cast<size_t>(n)) {
    seqs.push_back(wide_seqs ? rng() : 1 + rng() % (3 * static_cast<uint64_t>(n)));
    std::sort(seqs.begin(), seqs.end());
    seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  }
  std::shuffle(seqs.begin(), seqs.end(), rng);
  std::vector<Order> book;
  for (int i = 0; i < n; ++i) {
    int who = static_cast<int>(rng() % participants);
    book.push_back(Order{OrderId(absl::StrCat("o", i)), ParticipantId(absl::StrCat("p", who)),
                         side_of[who], EnergyWh(1 + static_cast<int64_t>(rng() % max_q)),
                         PriceMcuPerKwh(lo + static_cast<int64_t>(rng() % width)), kT, seqs[i]});
  }
  return book;
}

// Checks the DESIGN.md §4 invariants of `r` against `book` directly.
void ExpectInvariants(const std::vector<Order>& book, const ClearingResult& r) {
  std::map<std::string, const Order*> by_id;
  for (const Order& o : book) by_id[o.order_id.value()] = &o;
  std::map<std::string, int64_t> filled;
  int64_t bought = 0, sold = 0;
  for (const Fill& f : r.fills) {
    ASSERT_TRUE(by_id.count(f.buy_order_id.value()) && by_id.count(f.sell_order_id.value()));
    const Order& buy = *by_id[f.buy_order_id.value()];
    const Order& sell = *by_id[f.sell_order_id.value()];
    EXPECT_EQ(buy.side, Side::kBuy);
    EXPECT_EQ(sell.side, Side::kSell);
    EXPECT_EQ(f.buyer, buy.participant_id);
    EXPECT_EQ(f.seller, sell.participant_id);
    EXPECT_NE(f.buyer, f.seller) << "self-trade";
    ASSERT_TRUE(r.clearing_price.has_value());
    EXPECT_EQ(f.price, *r.clearing_price) << "one price for every fill";
    EXPECT_LE(f.price, buy.limit_price) << "buyer pays more than its limit";
    EXPECT_GE(f.price, sell.limit_price) << "seller gets less than its limit";
    EXPECT_GE(f.quantity, EnergyWh(1));
    EXPECT_EQ(f.amount.value(), f.quantity.value() * f.price.value());
    filled[buy.order_id.value()] += f.quantity.value();
    filled[sell.order_id.value()] += f.quantity.value();
    bought += f.quantity.value();
    sold += f.quantity.value();
  }
  EXPECT_EQ(bought, r.volume.value());
  EXPECT_EQ(sold, r.volume.value());
  EXPECT_EQ(r.clearing_price.has_value(), !r.fills.empty());
  for (const Order& o : book) {
    EXPECT_LE(filled[o.order_id.value()], o.quantity.value()) << o;
  }
  // No crossing pair is left with quantity on both sides: the best unfilled
  // BUY is below the best unfilled SELL.
  const Order* best_buy = nullptr;
  const Order* best_sell = nullptr;
  for (const Order& o : book) {
    if (filled[o.order_id.value()] == o.quantity.value()) continue;
    if (o.side == Side::kBuy && (!best_buy || o.limit_price > best_buy->limit_price)) best_buy = &o;
    if (o.side == Side::kSell && (!best_sell || o.limit_price < best_sell->limit_price)) {
      best_sell = &o;
    }
  }
  if (best_buy != nullptr && best_sell != nullptr) {
    EXPECT_LT(best_buy->limit_price, best_sell->limit_price)
        << "unfilled crossing pair " << *best_buy << " / " << *best_sell;
  }
}

TEST(ClearPropertyTest, RandomBooksKeepEveryInvariant) {
  for (uint64_t k = 0; k < 3000; ++k) {
    const uint64_t seed = kBaseSeed + k;
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 rng(seed);
    std::vector<Order> book = RandomBook(rng);
    ASSERT_OK_AND_ASSIGN(ClearingResult r, Clear(kT, book));
    ExpectInvariants(book, r);
    ASSERT_EQ(r, ReferenceClear(kT, book));
    std::shuffle(book.begin(), book.end(), rng);
    ASSERT_OK_AND_ASSIGN(ClearingResult shuffled, Clear(kT, book));
    ASSERT_EQ(shuffled, r) << "the input order changed the result";
    if (HasFailure()) return;
  }
}

TEST(ClearPropertyTest, LargeBooksMatchTheReference) {
  // Large enough for the radix sorts' 11-bit digits; dense and wide seqs.
  for (uint64_t seed : {kBaseSeed + 50'000, kBaseSeed + 50'001}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 rng(seed);
    const int n = 70'000;
    const bool wide_seqs = seed % 2 == 1;
    std::vector<Order> book;
    for (int i = 0; i < n; ++i) {
      const int who = static_cast<int>(rng() % 7000);
      book.push_back(Order{OrderId(absl::StrCat("o", i)), ParticipantId(absl::StrCat("p", who)),
                           who % 2 ? Side::kSell : Side::kBuy,
                           EnergyWh(1 + static_cast<int64_t>(rng() % 5000)),
                           PriceMcuPerKwh(50'000 + static_cast<int64_t>(rng() % 150'001)), kT,
                           wide_seqs ? (uint64_t{1} << 40) * (i % 3) + i : 1000 + i});
    }
    std::shuffle(book.begin(), book.end(), rng);
    ASSERT_OK_AND_ASSIGN(ClearingResult r, Clear(kT, book));
    EXPECT_GT(r.fills.size(), 1000u);
    ExpectInvariants(book, r);
    ASSERT_EQ(r, ReferenceClear(kT, book));
  }
}

TEST(ClearPropertyTest, RandomBooksWithAParticipantOnBothSidesAreRejected) {
  int rejected = 0;
  for (uint64_t k = 0; k < 1000; ++k) {
    const uint64_t seed = kBaseSeed + 100'000 + k;
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 rng(seed);
    std::vector<Order> book = RandomBook(rng);
    if (book.empty()) continue;
    Order twin = book[rng() % book.size()];
    twin.order_id = OrderId("twin");
    twin.side = twin.side == Side::kBuy ? Side::kSell : Side::kBuy;
    twin.seq = 0;  // RandomBook's seqs start at 1 or are random: keep it unique.
    bool zero_taken = false;
    for (const Order& o : book) zero_taken |= o.seq == 0;
    if (zero_taken) continue;
    book.insert(book.begin() + static_cast<std::ptrdiff_t>(rng() % (book.size() + 1)), twin);
    EXPECT_THAT(Clear(kT, book),
                ::peergrid::testing::StatusIs(
                    absl::StatusCode::kInvalidArgument,
                    ::testing::HasSubstr("participant_id " + twin.participant_id.value())));
    ++rejected;
  }
  EXPECT_GT(rejected, 900);
}

}  // namespace
}  // namespace peergrid::matching
