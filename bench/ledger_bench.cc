// ledger_bench: the ledger's durable append throughput against raw RocksDB
// synced writes of the same entries, 64 concurrent appenders, and proof time
// at 1M entries (issue 3's targets; figures go in the closing note).
//
//   ledger_bench [--data-dir DIR] [--keep] [--seconds S] [--entry-bytes N]
//                [--threads T] [--proof-entries N] [--sections batch,concurrent,proofs]
//
// Without --data-dir it works in a fresh directory under /tmp and removes it.
// With --keep the 1M-entry ledger (DIR/proofs, with a signed checkpoint) is
// left for `peergridctl ledger export --data-dir DIR/proofs --out OUT`.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/v1/ledger.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace {

using Clock = std::chrono::steady_clock;
using peergrid::ledger::Ledger;
using peergrid::ledger::LedgerOptions;

struct Flags {
  std::string data_dir;
  bool keep = false;
  double seconds = 4;
  size_t entry_bytes = 256;
  int threads = 64;
  uint64_t proof_entries = 1'000'000;
  std::string sections = "batch,concurrent,proofs";
};

[[noreturn]] void Usage(const char* bad) {
  std::fprintf(stderr,
               "ledger_bench: bad argument %s\nusage: ledger_bench [--data-dir DIR] [--keep] "
               "[--seconds S] [--entry-bytes N] [--threads T] [--proof-entries N]\n"
               "                    [--sections batch,concurrent,proofs]\n",
               bad);
  std::exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto next = [&]() -> std::string {
      if (eq != std::string::npos) return value;
      if (i + 1 >= argc) Usage(argv[i]);
      return argv[++i];
    };
    if (arg == "--data-dir") {
      f.data_dir = next();
    } else if (arg == "--keep") {
      f.keep = true;
    } else if (arg == "--seconds") {
      f.seconds = std::stod(next());
    } else if (arg == "--entry-bytes") {
      f.entry_bytes = std::stoul(next());
    } else if (arg == "--threads") {
      f.threads = std::stoi(next());
    } else if (arg == "--sections") {
      f.sections = next();
    } else if (arg == "--proof-entries") {
      f.proof_entries = std::stoull(next());
    } else {
      Usage(argv[i]);
    }
  }
  return f;
}

// A realistic entry: a serialized order-accepted LedgerEntry, padded (in the
// signature field) to about `bytes`.
std::string MakeEntry(uint64_t i, size_t bytes, std::mt19937_64& rng) {
  peergrid::v1::LedgerEntry entry;
  entry.set_recorded_at_unix_ms(1'782'000'000'000 + static_cast<int64_t>(i));
  peergrid::v1::OrderAccepted* accepted = entry.mutable_order_accepted();
  peergrid::v1::Order* order = accepted->mutable_order();
  order->set_order_id("order-" + std::to_string(i));
  order->set_participant_id("household-" + std::to_string(i % 1000));
  order->set_side(i % 2 == 0 ? peergrid::v1::BUY : peergrid::v1::SELL);
  order->set_quantity_wh(1 + static_cast<int64_t>(rng() % 5000));
  order->set_limit_price_mcu_per_kwh(100'000 + static_cast<int64_t>(rng() % 100'000));
  order->set_interval_start(1'782'000'000 - 1'782'000'000 % 900);
  accepted->set_key_id("household-key");
  accepted->set_accepted_at_unix_ms(entry.recorded_at_unix_ms());
  size_t base = entry.ByteSizeLong();
  std::string sig(bytes > base + 3 ? bytes - base - 3 : 64, '\0');
  for (char& c : sig) c = static_cast<char>(rng());
  accepted->set_signature(sig);
  return entry.SerializeAsString();
}

std::vector<std::string> EntryPool(size_t bytes) {
  std::mt19937_64 rng(42);
  std::vector<std::string> pool;
  for (uint64_t i = 0; i < 4096; ++i) pool.push_back(MakeEntry(i, bytes, rng));
  return pool;
}

std::string Key(uint64_t i) {
  std::string k(9, 'e');
  for (int b = 0; b < 8; ++b) k[1 + b] = static_cast<char>((i >> (56 - 8 * b)) & 0xff);
  return k;
}

// The ledger's own RocksDB settings (ledger/src/ledger_store.cc), so the
// baseline is the same database doing the same synced writes.
std::unique_ptr<rocksdb::DB> OpenRaw(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  options.track_and_verify_wals_in_manifest = true;
  options.max_background_jobs = 2;
  options.write_buffer_size = size_t{64} << 20;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "ledger_bench: rocksdb open %s: %s\n", dir.c_str(), s.ToString().c_str());
    std::exit(1);
  }
  return std::unique_ptr<rocksdb::DB>(db);
}

std::unique_ptr<Ledger> OpenLedger(const std::string& dir) {
  LedgerOptions options;
  options.origin = "peergrid/bench";
  auto ledger = Ledger::Open(dir, options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "ledger_bench: %s\n", std::string(ledger.status().message()).c_str());
    std::exit(1);
  }
  return *std::move(ledger);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

template <typename F>
void Check(const F& ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "ledger_bench: %s failed\n", what);
    std::exit(1);
  }
}

// Measures entries/s of synced batches of `batch` entries, raw RocksDB and
// the ledger, alternating batch by batch (each side's time is the sum of its
// own calls) so that disk and CPU load from elsewhere hits both alike.
struct Pair {
  double raw = 0;
  double ledger = 0;
};

Pair BatchPair(const std::string& dir, const std::vector<std::string>& pool, size_t batch,
               double seconds) {
  std::string b = std::to_string(batch);
  auto db = OpenRaw(dir + "/raw-" + b);
  auto ledger = OpenLedger(dir + "/ledger-" + b);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  uint64_t raw_n = 0;
  uint64_t led_n = 0;
  Clock::duration raw_t{};
  Clock::duration led_t{};
  const Clock::time_point end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(2 * seconds));
  while (Clock::now() < end) {
    Clock::time_point t0 = Clock::now();
    rocksdb::WriteBatch wb;
    for (size_t i = 0; i < batch; ++i, ++raw_n) wb.Put(Key(raw_n), pool[raw_n % pool.size()]);
    Check(db->Write(wo, &wb).ok(), "raw write");
    Clock::time_point t1 = Clock::now();
    std::vector<std::string> entries;
    entries.reserve(batch);
    for (size_t i = 0; i < batch; ++i, ++led_n) entries.push_back(pool[led_n % pool.size()]);
    Check(ledger->AppendBatch(std::move(entries)).ok(), "ledger append");
    Clock::time_point t2 = Clock::now();
    raw_t += t1 - t0;
    led_t += t2 - t1;
  }
  return Pair{static_cast<double>(raw_n) / Seconds(raw_t),
              static_cast<double>(led_n) / Seconds(led_t)};
}

struct Concurrent {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double syncs_per_second = 0;
};

// `threads` callers each doing `op(thread, i)` (one synced entry) for `seconds`.
template <typename Op>
Concurrent RunConcurrent(int threads, double seconds, const Op& op) {
  std::vector<std::vector<double>> latencies(threads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  Clock::time_point start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        Clock::time_point t0 = Clock::now();
        op(t, i);
        latencies[t].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measurement window
  stop = true;
  for (std::thread& w : workers) w.join();
  double elapsed = Seconds(Clock::now() - start);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Concurrent c;
  c.per_second = static_cast<double>(all.size()) / elapsed;
  c.p50_ms = all.empty() ? 0 : all[all.size() / 2];
  c.p99_ms = all.empty() ? 0 : all[all.size() * 99 / 100];
  return c;
}

struct ProofTimes {
  double mean_us = 0;
  double p50_us = 0;
  double p99_us = 0;
};

template <typename F>
ProofTimes TimeCalls(int calls, const F& f) {
  std::vector<double> us;
  us.reserve(calls);
  for (int i = 0; i < calls; ++i) {
    Clock::time_point t0 = Clock::now();
    f(i);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  ProofTimes t;
  for (double u : us) t.mean_us += u;
  t.mean_us /= us.size();
  std::sort(us.begin(), us.end());
  t.p50_us = us[us.size() / 2];
  t.p99_us = us[us.size() * 99 / 100];
  return t;
}

void BatchSection(const Flags& flags, const std::vector<std::string>& pool) {
  const std::string& dir = flags.data_dir;
  std::printf("\n== durable appends, one caller, synced batches (alternating batch by batch) ==\n");
  std::printf("%8s %16s %16s %8s\n", "batch", "raw entries/s", "ledger entries/s", "ratio");
  for (size_t batch : {1, 100, 1000}) {
    Pair p = BatchPair(dir, pool, batch, flags.seconds);
    std::printf("%8zu %16.0f %16.0f %8.2f\n", batch, p.raw, p.ledger, p.ledger / p.raw);
    std::fflush(stdout);
  }
}

void ConcurrentSection(const Flags& flags, const std::vector<std::string>& pool) {
  const std::string& dir = flags.data_dir;
  std::printf("\n== %d concurrent callers, one entry each call ==\n", flags.threads);
  std::printf("%-24s %12s %10s %10s\n", "", "entries/s", "p50 ms", "p99 ms");
  {
    auto db = OpenRaw(dir + "/raw-concurrent");
    rocksdb::WriteOptions wo;
    wo.sync = true;
    Concurrent raw = RunConcurrent(flags.threads, flags.seconds, [&](int t, uint64_t i) {
      uint64_t k = (uint64_t(t) << 40) | i;
      Check(db->Put(wo, Key(k), pool[k % pool.size()]).ok(), "raw put");
    });
    std::printf("%-24s %12.0f %10.3f %10.3f\n", "rocksdb synced Put", raw.per_second, raw.p50_ms,
                raw.p99_ms);
    std::fflush(stdout);
  }
  {
    auto ledger = OpenLedger(dir + "/ledger-concurrent");
    Concurrent led = RunConcurrent(flags.threads, flags.seconds, [&](int t, uint64_t i) {
      Check(ledger->Append(pool[(uint64_t(t) * 7919 + i) % pool.size()]).ok(), "ledger append");
    });
    peergrid::ledger::LedgerStats stats = ledger->stats();
    std::printf("%-24s %12.0f %10.3f %10.3f   (%.1f entries per synced batch)\n", "ledger Append",
                led.per_second, led.p50_ms, led.p99_ms,
                static_cast<double>(stats.entries_appended) / stats.write_batches);
  }
}

void ProofSection(const Flags& flags, const std::vector<std::string>& pool) {
  const std::string& dir = flags.data_dir;
  std::printf("\n== proofs at %llu entries ==\n",
              static_cast<unsigned long long>(flags.proof_entries));
  const std::string proof_dir = dir + "/proofs";
  auto ledger = OpenLedger(proof_dir);
  Clock::time_point build_start = Clock::now();
  while (ledger->Size() < flags.proof_entries) {
    uint64_t n = ledger->Size();
    size_t batch = static_cast<size_t>(std::min<uint64_t>(8192, flags.proof_entries - n));
    std::vector<std::string> entries;
    for (size_t i = 0; i < batch; ++i) entries.push_back(pool[(n + i) % pool.size()]);
    Check(ledger->AppendBatch(std::move(entries)).ok(), "ledger append");
  }
  auto cp = ledger->Checkpoint();
  Check(cp.ok(), "checkpoint");
  std::printf("built in %.1f s (batches of 8192)\n", Seconds(Clock::now() - build_start));
  const uint64_t size = ledger->Size();
  std::mt19937_64 rng(7);
  std::vector<uint64_t> picks(200'000);
  for (uint64_t& p : picks) p = rng() % size;
  size_t path_len = 0;
  ProofTimes incl = TimeCalls(static_cast<int>(picks.size()), [&](int i) {
    auto p = ledger->ProveInclusion(picks[i], size);
    Check(p.ok(), "inclusion proof");
    path_len += p->path.size();
  });
  ProofTimes cons = TimeCalls(static_cast<int>(picks.size()), [&](int i) {
    auto p = ledger->ProveConsistency(1 + picks[i] % (size - 1), size);
    Check(p.ok(), "consistency proof");
  });
  auto proof = ledger->ProveInclusion(picks[0], size);
  auto leaf = ledger->LeafHashAt(picks[0]);
  Check(proof.ok() && leaf.ok(), "proof");
  ProofTimes verify = TimeCalls(20'000, [&](int) {
    Check(peergrid::ledger::VerifyInclusion(*leaf, picks[0], size, proof->path, cp->checkpoint.root)
              .ok(),
          "verify");
  });
  std::printf("%-24s mean %6.2f us  p50 %6.2f us  p99 %6.2f us  (%.1f hashes)\n", "inclusion proof",
              incl.mean_us, incl.p50_us, incl.p99_us, static_cast<double>(path_len) / picks.size());
  std::printf("%-24s mean %6.2f us  p50 %6.2f us  p99 %6.2f us\n", "consistency proof",
              cons.mean_us, cons.p50_us, cons.p99_us);
  std::printf("%-24s mean %6.2f us  p50 %6.2f us  p99 %6.2f us\n", "verify inclusion",
              verify.mean_us, verify.p50_us, verify.p99_us);
  ledger.reset();
  Clock::time_point open_start = Clock::now();
  ledger = OpenLedger(proof_dir);
  std::printf("reopen + full verification of %llu entries: %.2f s\n",
              static_cast<unsigned long long>(ledger->Size()), Seconds(Clock::now() - open_start));
  ledger.reset();
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  bool made_dir = false;
  if (flags.data_dir.empty()) {
    char tmpl[] = "/tmp/ledger_bench.XXXXXX";
    Check(mkdtemp(tmpl) != nullptr, "mkdtemp");
    flags.data_dir = tmpl;
    made_dir = true;
  }
  std::filesystem::create_directories(flags.data_dir);
  const std::string& dir = flags.data_dir;
  std::vector<std::string> pool = EntryPool(flags.entry_bytes);
  std::printf("ledger_bench: data dir %s, entries of %zu bytes, %.1f s per measurement, %u cores\n",
              dir.c_str(), pool[0].size(), flags.seconds, std::thread::hardware_concurrency());

  auto wants = [&](const char* section) {
    return flags.sections.find(section) != std::string::npos;
  };
  if (wants("batch")) BatchSection(flags, pool);
  if (wants("concurrent")) ConcurrentSection(flags, pool);
  if (wants("proofs")) ProofSection(flags, pool);

  if (flags.keep) {
    std::printf("\nkept %s (ledger with a signed checkpoint: %s/proofs)\n", dir.c_str(),
                dir.c_str());
  } else {
    std::filesystem::remove_all(made_dir ? dir : dir + "/raw-1");
    if (!made_dir) {
      for (const char* sub : {"/raw-100", "/raw-1000", "/ledger-1", "/ledger-100", "/ledger-1000",
                              "/raw-concurrent", "/ledger-concurrent", "/proofs"}) {
        std::filesystem::remove_all(dir + sub);
      }
    }
  }
  return 0;
}
