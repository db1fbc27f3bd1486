// Catching up after an outage (issue 13 item 6 target: under a second of
// wall time per 1000 missed intervals, O(1) ledger entries per run of empty
// intervals).
//
// Each iteration builds a zone (1 hub, 2 households, a tariff) in a fresh
// RocksDB ledger on disk, "crashes" it, moves the clock N intervals on and
// times what a restart costs before the exchange can serve: Exchange::Open
// (replaying the ledger) and the first RunDue (every clearing and settlement
// that fell due). BM_CatchUpEmpty: nothing happened while it was down (one
// EmptyIntervals entry; the reads are looked up in a real, empty
// TelemetryStore). BM_CatchUpMetered: every missed interval has a
// meter read, so each keeps its own clearing and settlement entries — the
// path every interval took before runs existed. Counters: ms_per_1000 (open
// + catch-up, per 1000 intervals), open_ms, run_due_ms, entries (written by
// the catch-up).
//
//   build/bench/catch_up_bench [--benchmark_filter=Empty]
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "peergrid/common/clock.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/telemetry/telemetry_store.h"

namespace peergrid::exchange {
namespace {

constexpr int64_t kStart = 1'782'000'000;  // aligned to 900 s

// Hub telemetry with one read in every interval (when `metered`).
class BenchTelemetry final : public MarketTelemetry {
 public:
  explicit BenchTelemetry(bool metered) : metered_(metered) {}
  absl::StatusOr<HubLatest> Latest(const std::string& hub_id) const override {
    return absl::NotFoundError(hub_id);
  }
  absl::StatusOr<std::map<std::string, v1::IntervalRead>> IntervalReads(
      int64_t start) const override {
    std::map<std::string, v1::IntervalRead> reads;
    if (!metered_) return reads;
    v1::IntervalRead& read = reads["alice"];
    read.set_interval_start(start);
    read.set_import_wh(300);
    read.set_quality(v1::OK);
    return reads;
  }
  absl::StatusOr<HubMeterReads> HubReads(int64_t) const override { return HubMeterReads(); }

 private:
  const bool metered_;
};

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

absl::StatusOr<std::unique_ptr<Exchange>> Open(ledger::Ledger* log, const MarketTelemetry* t,
                                               const Clock* clock) {
  return Exchange::Open(log, t, clock, ExchangeOptions{});
}

absl::Status MakeZone(Exchange& exchange) {
  v1::Hub hub;
  hub.set_hub_id("hub-1");
  hub.set_zone_id("jeju-1");
  hub.set_reporting_period_s(5);
  if (absl::StatusOr<uint64_t> i = exchange.RegisterHub(hub); !i.ok()) return i.status();
  for (const char* id : {"alice", "bob"}) {
    v1::Participant p;
    p.set_participant_id(id);
    p.set_hub_id("hub-1");
    p.set_kind(v1::HOUSEHOLD);
    if (absl::StatusOr<uint64_t> i = exchange.RegisterParticipant(p); !i.ok()) return i.status();
  }
  v1::Tariff tariff;
  tariff.set_feed_in_price_mcu_per_kwh(50'000);
  tariff.set_retail_price_mcu_per_kwh(200'000);
  return exchange.SetTariff(tariff).status();
}

void CatchUp(benchmark::State& state, bool metered) {
  const int64_t intervals = state.range(0);
  const std::string root = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                        "/peergrid-catch-up-bench-", getpid());
  BenchTelemetry metered_telemetry(/*metered=*/true);
  double open_s = 0, run_s = 0;
  uint64_t entries = 0;
  int run = 0;
  for (auto _ : state) {
    const std::string dir = absl::StrCat(root, "/", run++);
    ManualClock clock(absl::FromUnixSeconds(kStart));
    ledger::LedgerOptions options;
    options.origin = "peergrid/jeju-1";
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> log =
        ledger::Ledger::Open(dir + "/ledger", options);
    if (!log.ok()) return state.SkipWithError(std::string(log.status().message()).c_str());
    absl::StatusOr<std::unique_ptr<telemetry::TelemetryStore>> store =
        telemetry::TelemetryStore::Open(dir + "/telemetry");
    if (!store.ok()) return state.SkipWithError(std::string(store.status().message()).c_str());
    const MarketTelemetry& telemetry =
        metered ? static_cast<const MarketTelemetry&>(metered_telemetry) : **store;
    {
      absl::StatusOr<std::unique_ptr<Exchange>> before = Open(log->get(), &telemetry, &clock);
      if (!before.ok() || !MakeZone(**before).ok()) return state.SkipWithError("zone setup");
    }
    clock.Set(absl::FromUnixSeconds(kStart + intervals * 900));
    const uint64_t size = (*log)->Size();
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<Exchange>> exchange = Open(log->get(), &telemetry, &clock);
    const auto t1 = std::chrono::steady_clock::now();
    absl::StatusOr<int> ran = exchange.ok() ? (*exchange)->RunDue() : exchange.status();
    const auto t2 = std::chrono::steady_clock::now();
    if (!ran.ok()) return state.SkipWithError(std::string(ran.status().message()).c_str());
    open_s += Seconds(t1 - t0);
    run_s += Seconds(t2 - t1);
    entries = (*log)->Size() - size;
    state.SetIterationTime(Seconds(t2 - t0));
    exchange->reset();
    store->reset();
    log->reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::remove_all(root);
  const double n = static_cast<double>(state.iterations());
  state.counters["open_ms"] = 1e3 * open_s / n;
  state.counters["run_due_ms"] = 1e3 * run_s / n;
  state.counters["ms_per_1000"] =
      1e3 * (open_s + run_s) / n * 1000.0 / static_cast<double>(intervals);
  state.counters["entries"] = static_cast<double>(entries);
}

void BM_CatchUpEmpty(benchmark::State& state) { CatchUp(state, /*metered=*/false); }
// 1000, 5000, and five months of 900 s intervals (the outage).
BENCHMARK(BM_CatchUpEmpty)
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(14'688)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_CatchUpMetered(benchmark::State& state) { CatchUp(state, /*metered=*/true); }
BENCHMARK(BM_CatchUpMetered)
    ->Arg(1000)
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace peergrid::exchange

BENCHMARK_MAIN();
