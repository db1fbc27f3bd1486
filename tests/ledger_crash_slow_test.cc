// Crash test with real processes: ledger_crash_child appends under load and
// is killed with SIGKILL at random moments, many times. After each kill every
// index the child was told is durable is present with its bytes, the tree and
// checkpoints verify, and the next child keeps appending.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::ledger {
namespace {

constexpr int kKills = 20;

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of the child's stdout
};

// Kills and reaps the child if a failed assertion leaves the loop early.
struct ChildGuard {
  Child* child;
  bool reaped = false;
  ~ChildGuard() {
    if (!reaped && child->pid > 0) {
      ::kill(child->pid, SIGKILL);
      ::waitpid(child->pid, nullptr, 0);
    }
  }
};

Child Spawn(const std::string& dir, int run, uint64_t seed) {
  std::string bin = peergrid::testing::BinaryDir() + "/ledger/ledger_crash_child";
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::string run_s = std::to_string(run);
    std::string seed_s = std::to_string(seed);
    ::execl(bin.c_str(), bin.c_str(), dir.c_str(), run_s.c_str(), seed_s.c_str(), nullptr);
    std::_Exit(127);
  }
  ::close(fds[1]);
  return Child{pid, fds[0]};
}

// Reads complete lines from the child; returns false at EOF.
bool ReadLines(int fd, std::string* buffer, std::vector<std::string>* lines) {
  char chunk[4096];
  ssize_t n = ::read(fd, chunk, sizeof(chunk));
  if (n <= 0) return false;
  buffer->append(chunk, static_cast<size_t>(n));
  size_t start = 0;
  for (size_t nl; (nl = buffer->find('\n', start)) != std::string::npos; start = nl + 1) {
    lines->push_back(buffer->substr(start, nl - start));
  }
  buffer->erase(0, start);
  return true;
}

TEST(LedgerCrashTest, SigkillNeverLosesAcknowledgedEntries) {
  const char* env = std::getenv("PEERGRID_SEED");
  const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : 977;
  std::cout << "seed " << seed << " (set PEERGRID_SEED to reproduce)\n";
  std::mt19937_64 rng(seed);
  const std::string dir = peergrid::testing::FreshTempDir("ledger_crash");
  std::map<uint64_t, std::string> acked;  // every acknowledgement so far
  uint64_t last_size = 0;
  for (int run = 0; run < kKills; ++run) {
    Child child = Spawn(dir, run, seed + run);
    ASSERT_GT(child.pid, 0);
    ChildGuard guard{&child};
    // Kill after a random number of acknowledgements (0 = right after open).
    const size_t kill_after = run % 5 == 0 ? 0 : 1 + rng() % 4000;
    std::string buffer;
    std::vector<std::string> lines;
    bool ready = false;
    size_t acks = 0;
    bool killed = false;
    while (ReadLines(child.out, &buffer, &lines)) {
      for (; !lines.empty() && !ready; lines.erase(lines.begin())) ready = lines.front() == "ready";
      acks += lines.size();
      for (const std::string& line : lines) {
        std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
        uint64_t index = 0;
        ASSERT_TRUE(absl::SimpleAtoi(kv.first, &index)) << line;
        ASSERT_EQ(acked.count(index), 0u) << "index " << index << " acknowledged twice";
        acked[index] = kv.second;
      }
      lines.clear();
      if (ready && !killed && acks >= kill_after) {
        ASSERT_EQ(::kill(child.pid, SIGKILL), 0);
        killed = true;  // keep reading: acks already in the pipe count
      }
    }
    ::close(child.out);
    int status = 0;
    ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
    guard.reaped = true;
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child exited on its own with status " << status << " in run " << run;

    LedgerOptions options;
    options.origin = "peergrid/crash";
    absl::StatusOr<std::unique_ptr<Ledger>> reopened = Ledger::Open(dir, options);
    ASSERT_OK(reopened.status()) << "run " << run;
    Ledger& ledger = **reopened;
    ASSERT_GE(ledger.Size(), last_size) << "the log shrank in run " << run;
    if (!acked.empty()) {
      ASSERT_GT(ledger.Size(), acked.rbegin()->first);
    }
    for (const auto& [index, entry] : acked) {
      absl::StatusOr<std::string> got = ledger.GetEntry(index);
      ASSERT_OK(got.status()) << "index " << index << " run " << run;
      ASSERT_EQ(*got, entry) << "index " << index << " run " << run;
    }
    ASSERT_OK(ledger.VerifyAll()) << "run " << run;
    if (absl::StatusOr<SignedCheckpoint> cp = ledger.LatestCheckpoint(); cp.ok()) {
      ASSERT_OK(VerifyCheckpoint(cp->note, ledger.verifier_key(), "peergrid/crash").status());
      if (last_size > 0 && cp->checkpoint.tree_size >= last_size) {
        ASSERT_OK_AND_ASSIGN(ConsistencyProof p,
                             ledger.ProveConsistency(last_size, cp->checkpoint.tree_size));
        ASSERT_OK_AND_ASSIGN(Hash old_root, ledger.RootAt(last_size));
        ASSERT_OK(VerifyConsistency(last_size, cp->checkpoint.tree_size, old_root,
                                    cp->checkpoint.root, p.path));
      }
    }
    last_size = ledger.Size();
    std::cout << "run " << run << ": killed after " << acks << " acks, log size " << last_size
              << ", " << acked.size() << " acknowledged in total\n";
  }
  EXPECT_GT(acked.size(), 1000u) << "the children appended too little to test anything";
  // Appending continues after the last crash.
  LedgerOptions options;
  options.origin = "peergrid/crash";
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, options));
  ASSERT_OK_AND_ASSIGN(uint64_t index, ledger->Append("after the crashes"));
  EXPECT_EQ(index, last_size);
}

}  // namespace
}  // namespace peergrid::ledger
