// ledger_crash_child: the process tests/ledger_crash_slow_test.cc kills with
// SIGKILL. It opens the ledger in argv[1] and appends from several threads
// (single entries and small batches) while another thread signs checkpoints;
// after each append returns it writes "<index> <entry>\n" per entry to
// stdout: the parent treats exactly those as acknowledged-durable.
//
//   ledger_crash_child DIR RUN_ID SEED
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "peergrid/ledger/ledger.h"

namespace {

constexpr int kThreads = 8;

void WriteAll(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(1, s.data() + done, s.size() - done);
    if (n <= 0) std::_Exit(3);
    done += static_cast<size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ledger_crash_child DIR RUN_ID SEED\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string run = argv[2];
  const uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  peergrid::ledger::LedgerOptions options;
  options.origin = "peergrid/crash";
  auto opened = peergrid::ledger::Ledger::Open(dir, options);
  if (!opened.ok()) {
    std::fprintf(stderr, "ledger_crash_child: %s\n",
                 std::string(opened.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<peergrid::ledger::Ledger> ledger = *std::move(opened);
  absl::Mutex out_mu;
  WriteAll("ready\n");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed * 131 + t);
      for (uint64_t i = 0;; ++i) {
        size_t n = rng() % 4 == 0 ? 1 + rng() % 5 : 1;
        std::vector<std::string> entries;
        for (size_t j = 0; j < n; ++j)
          entries.push_back(absl::StrCat("r", run, "-t", t, "-", i, "-", j));
        std::vector<std::string> copy = entries;
        absl::StatusOr<uint64_t> first = ledger->AppendBatch(std::move(copy));
        if (!first.ok()) std::_Exit(4);
        std::string lines;
        for (size_t j = 0; j < n; ++j) absl::StrAppend(&lines, *first + j, " ", entries[j], "\n");
        absl::MutexLock lock(&out_mu);
        WriteAll(lines);
      }
    });
  }
  // Checkpoints while entries arrive (the parent checks them after a kill).
  for (;;) {
    if (!ledger->Checkpoint().ok()) std::_Exit(5);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // pacing, not synchronization
  }
}
