// Clearing and settlement benchmarks (issue 4 targets).
//
// BM_Clear/n clears a random book of n orders and, in the same iterations,
// times std::sort of the same n 64-bit sort keys (side-adjusted price, seq),
// reporting both and their ratio. Targets: ratio ≤ 2.0 for n = 10^4 … 10^6,
// and 10^6 orders in ≤ 200 ms. BM_Settle settles 100k participants.
//
// Both wall time and the thread's CPU time are reported (the *_cpu_*
// counters): on a shared machine other processes inflate wall time, while
// CPU time still counts everything Clear costs, page faults included. The
// ratios use the fastest iteration of each, the usual way to take noise out.
//
//   build/bench/clearing_bench [--benchmark_filter=Clear]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "peergrid/matching/auction.h"
#include "peergrid/matching/settlement.h"

namespace peergrid::matching {
namespace {

constexpr int64_t kT = 1'700'000'100;
const Tariff kTariff{PriceMcuPerKwh(50'000), PriceMcuPerKwh(200'000)};

// A community-like book: ~10 orders per participant, each participant on one
// side, limits uniform in the tariff band, 1 Wh – 10 kWh, seqs a shuffled
// dense range (ledger indices). Fixed seed: the same book every run.
std::vector<Order> MakeBook(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const size_t participants = std::max<size_t>(2, n / 10);
  std::vector<uint64_t> seqs(n);
  for (size_t i = 0; i < n; ++i) seqs[i] = 1000 + i;
  std::shuffle(seqs.begin(), seqs.end(), rng);
  std::vector<Order> book;
  book.reserve(n);
  const int64_t width = (kTariff.retail - kTariff.feed_in).value() + 1;
  for (size_t i = 0; i < n; ++i) {
    const size_t who = rng() % participants;
    book.push_back(Order{
        OrderId(absl::StrCat("o", i)), ParticipantId(absl::StrCat("p", who)),
        who % 2 ? Side::kSell : Side::kBuy, EnergyWh(1 + static_cast<int64_t>(rng() % 10'000)),
        PriceMcuPerKwh(kTariff.feed_in.value() + static_cast<int64_t>(rng() % width)), kT,
        seqs[i]});
  }
  return book;
}

// The same keys the auction orders by, one per order.
std::vector<uint64_t> SortKeys(const std::vector<Order>& book) {
  std::vector<uint64_t> keys;
  keys.reserve(book.size());
  for (const Order& o : book) {
    const auto p = static_cast<uint64_t>(o.limit_price.value());
    const uint64_t part = o.side == Side::kBuy ? kMaxPriceMcuPerKwh - p : p;
    keys.push_back((part << 32) | (o.seq & 0xffffffff));
  }
  return keys;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The calling thread's CPU time (user + system), in seconds.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void BM_Clear(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const std::vector<Order> book = MakeBook(n, /*seed=*/42);
  const std::vector<uint64_t> keys = SortKeys(book);
  double clear_s = 1e9, sort_s = 1e9, clear_cpu_s = 1e9, sort_cpu_s = 1e9;
  size_t fills = 0;
  for (auto _ : state) {
    const double c0 = ThreadCpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<ClearingResult> result = Clear(kT, book);
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = ThreadCpuSeconds();
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return;
    }
    fills = result->fills.size();
    benchmark::DoNotOptimize(result);
    std::vector<uint64_t> copy = keys;
    const double c2 = ThreadCpuSeconds();
    const auto t2 = std::chrono::steady_clock::now();
    std::sort(copy.begin(), copy.end());
    const auto t3 = std::chrono::steady_clock::now();
    const double c3 = ThreadCpuSeconds();
    benchmark::DoNotOptimize(copy.data());
    clear_s = std::min(clear_s, Seconds(t1 - t0));
    sort_s = std::min(sort_s, Seconds(t3 - t2));
    clear_cpu_s = std::min(clear_cpu_s, c1 - c0);
    sort_cpu_s = std::min(sort_cpu_s, c3 - c2);
    state.SetIterationTime(Seconds(t1 - t0));
  }
  state.counters["clear_ms"] = 1e3 * clear_s;
  state.counters["std_sort_ms"] = 1e3 * sort_s;
  state.counters["ratio"] = clear_s / sort_s;
  state.counters["clear_cpu_ms"] = 1e3 * clear_cpu_s;
  state.counters["std_sort_cpu_ms"] = 1e3 * sort_cpu_s;
  state.counters["cpu_ratio"] = clear_cpu_s / sort_cpu_s;
  state.counters["fills"] = static_cast<double>(fills);
}
BENCHMARK(BM_Clear)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->UseManualTime()->MinTime(2.0)->Unit(
    benchmark::kMillisecond);

void BM_Settle(benchmark::State& state) {
  // One order per participant, half buyers, half sellers; every one has a read.
  const auto participants = static_cast<size_t>(state.range(0));
  std::vector<Order> book = MakeBook(participants, /*seed=*/7);
  for (size_t i = 0; i < book.size(); ++i) {
    book[i].participant_id = ParticipantId(absl::StrCat("p", i));
    book[i].side = i % 2 ? Side::kSell : Side::kBuy;
  }
  const ClearingResult clearing = Clear(kT, book).value();
  std::mt19937_64 rng(11);
  std::vector<MeterRead> reads;
  reads.reserve(participants);
  for (size_t i = 0; i < participants; ++i) {
    reads.push_back(MeterRead{ParticipantId(absl::StrCat("p", i)),
                              EnergyWh(static_cast<int64_t>(rng() % 10'000)),
                              EnergyWh(static_cast<int64_t>(rng() % 10'000)),
                              rng() % 50 ? ReadQuality::kOk : ReadQuality::kMissing});
  }
  std::shuffle(reads.begin(), reads.end(), rng);
  size_t bills = 0;
  for (auto _ : state) {
    absl::StatusOr<SettlementResult> result = Settle(kT, kTariff, clearing, reads);
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return;
    }
    bills = result->bills.size();
    benchmark::DoNotOptimize(result);
  }
  state.counters["bills"] = static_cast<double>(bills);
  state.counters["fills"] = static_cast<double>(clearing.fills.size());
}
BENCHMARK(BM_Settle)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace peergrid::matching

BENCHMARK_MAIN();
