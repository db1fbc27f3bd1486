// Ledger: appends, reads, proofs, checkpoints, keys, group commit, reopen.
#include "peergrid/ledger/ledger.h"

#include <sys/stat.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::ledger {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::IsOkAndHolds;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

LedgerOptions Options() {
  LedgerOptions options;
  options.origin = "peergrid/test-1";
  return options;
}

std::string Entry(uint64_t i) { return absl::StrCat("entry-", i); }

TEST(LedgerTest, CreatesPrivateKeyAndReopensWithIt) {
  std::string dir = peergrid::testing::FreshTempDir("ledger_key");
  std::string key_string;
  {
    ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, Options()));
    EXPECT_EQ(ledger->origin(), "peergrid/test-1");
    EXPECT_EQ(ledger->verifier_key().name(), "peergrid/test-1");
    key_string = ledger->verifier_key().ToString();
    EXPECT_EQ(ledger->Size(), 0u);
    ASSERT_OK_AND_ASSIGN(Hash root, ledger->RootAt(0));
    EXPECT_EQ(root, EmptyRoot());
  }
  struct stat st;
  ASSERT_EQ(::stat((dir + "/log-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(auto again, Ledger::Open(dir, LedgerOptions{}));  // origin from the log
  EXPECT_EQ(again->verifier_key().ToString(), key_string);
  again.reset();
  LedgerOptions other;
  other.origin = "peergrid/other";
  EXPECT_THAT(Ledger::Open(dir, other).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peergrid/other")));
}

TEST(LedgerTest, UsesGivenKeyFileAndName) {
  std::string dir = peergrid::testing::FreshTempDir("ledger_given_key");
  ASSERT_OK_AND_ASSIGN(Signer signer, Signer::Generate("zone-key"));
  std::string key_file = dir + "-key.pem";
  {
    std::FILE* f = std::fopen(key_file.c_str(), "w");
    std::string pem = signer.Pkcs8Pem();
    std::fwrite(pem.data(), 1, pem.size(), f);
    std::fclose(f);
  }
  LedgerOptions options = Options();
  options.key_file = key_file;
  options.key_name = "zone-key";
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, options));
  EXPECT_EQ(ledger->verifier_key(), signer.verifier());
}

TEST(LedgerTest, RequiresOriginToCreate) {
  EXPECT_THAT(
      Ledger::Open(peergrid::testing::FreshTempDir("ledger_no_origin"), LedgerOptions{}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("origin")));
}

TEST(LedgerTest, RefusesAnOversizeEntryAndWritesNothingOfItsCall) {
  std::string dir = peergrid::testing::FreshTempDir("ledger_entry_size");
  LedgerOptions options = Options();
  options.max_entry_bytes = 100;
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, options));
  ASSERT_THAT(ledger->Append(std::string(100, 'a')), IsOkAndHolds(0u));
  EXPECT_THAT(ledger->Append(std::string(101, 'b')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("entries[0] has 101 bytes, over the 100-byte entry limit")));
  // One over-size entry in a batch refuses the whole batch.
  EXPECT_THAT(ledger->AppendBatch({"ok", std::string(4096, 'c')}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("entries[1] has 4096")));
  EXPECT_EQ(ledger->Size(), 1u);
  ASSERT_THAT(ledger->Append("next"), IsOkAndHolds(1u));
  EXPECT_THAT(ledger->GetEntries(0, 2),
              IsOkAndHolds(std::vector<std::string>{std::string(100, 'a'), "next"}));
  ledger.reset();
  // Reopened, the log holds exactly what was accepted.
  ASSERT_OK_AND_ASSIGN(ledger, Ledger::Open(dir, options));
  EXPECT_EQ(ledger->Size(), 2u);
  // A limit past the export's bound (or zero) is refused at Open.
  options.max_entry_bytes = size_t{kMaxEntryBytes} + 1;
  ledger.reset();
  EXPECT_THAT(Ledger::Open(dir, options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_entry_bytes")));
}

TEST(LedgerTest, AppendReadAndProve) {
  std::string dir = peergrid::testing::FreshTempDir("ledger_append");
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, Options()));
  ASSERT_OK_AND_ASSIGN(uint64_t i0, ledger->Append(Entry(0)));
  EXPECT_EQ(i0, 0u);
  ASSERT_OK_AND_ASSIGN(uint64_t first, ledger->AppendBatch({Entry(1), Entry(2), Entry(3)}));
  EXPECT_EQ(first, 1u);
  ASSERT_OK_AND_ASSIGN(uint64_t i4, ledger->Append(""));  // empty entries are valid
  EXPECT_EQ(i4, 4u);
  EXPECT_EQ(ledger->Size(), 5u);
  ASSERT_OK_AND_ASSIGN(std::string e2, ledger->GetEntry(2));
  EXPECT_EQ(e2, Entry(2));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> range, ledger->GetEntries(1, 4));
  EXPECT_THAT(range, ::testing::ElementsAre(Entry(1), Entry(2), Entry(3)));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> none, ledger->GetEntries(5, 5));
  EXPECT_TRUE(none.empty());
  EXPECT_THAT(ledger->GetEntry(5), StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("5")));
  EXPECT_THAT(ledger->GetEntries(3, 6), StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("6")));
  EXPECT_THAT(ledger->AppendBatch({}), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));

  ASSERT_OK_AND_ASSIGN(Hash root, ledger->RootAt(5));
  ASSERT_OK_AND_ASSIGN(InclusionProof proof, ledger->ProveInclusion(2, 5));
  EXPECT_EQ(proof.leaf_index, 2u);
  EXPECT_EQ(proof.tree_size, 5u);
  EXPECT_OK(VerifyInclusion(LeafHash(Entry(2)), 2, 5, proof.path, root));
  ASSERT_OK_AND_ASSIGN(Hash root3, ledger->RootAt(3));
  ASSERT_OK_AND_ASSIGN(ConsistencyProof cons, ledger->ProveConsistency(3, 5));
  EXPECT_OK(VerifyConsistency(3, 5, root3, root, cons.path));
  EXPECT_THAT(ledger->ProveInclusion(5, 5), StatusIs(absl::StatusCode::kOutOfRange, ::testing::_));
  EXPECT_THAT(ledger->ProveInclusion(0, 6), StatusIs(absl::StatusCode::kOutOfRange, ::testing::_));
  EXPECT_THAT(ledger->ProveConsistency(0, 5),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(ledger->ProveConsistency(4, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(ledger->RootAt(6), StatusIs(absl::StatusCode::kOutOfRange, ::testing::_));

  ledger.reset();
  ASSERT_OK_AND_ASSIGN(auto reopened, Ledger::Open(dir, Options()));
  EXPECT_EQ(reopened->Size(), 5u);
  ASSERT_OK_AND_ASSIGN(Hash root_again, reopened->RootAt(5));
  EXPECT_EQ(root_again, root);
  ASSERT_OK_AND_ASSIGN(uint64_t i5, reopened->Append(Entry(5)));
  EXPECT_EQ(i5, 5u);
}

TEST(LedgerTest, CheckpointsAreSignedOnDemandAndKept) {
  std::string dir = peergrid::testing::FreshTempDir("ledger_checkpoints");
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, Options()));
  EXPECT_THAT(ledger->LatestCheckpoint(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  ASSERT_OK(ledger->AppendBatch({Entry(0), Entry(1), Entry(2)}).status());
  EXPECT_EQ(ledger->stats().checkpoints_signed, 0u);  // never per entry
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint cp3, ledger->Checkpoint());
  EXPECT_EQ(cp3.checkpoint.tree_size, 3u);
  EXPECT_EQ(cp3.checkpoint.origin, "peergrid/test-1");
  ASSERT_OK_AND_ASSIGN(Checkpoint verified,
                       VerifyCheckpoint(cp3.note, ledger->verifier_key(), "peergrid/test-1"));
  EXPECT_EQ(verified, cp3.checkpoint);
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint same, ledger->Checkpoint());  // no growth: no new one
  EXPECT_EQ(same.note, cp3.note);
  EXPECT_EQ(ledger->stats().checkpoints_signed, 1u);
  ASSERT_OK(ledger->Append(Entry(3)).status());
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint cp4, ledger->Checkpoint());
  EXPECT_EQ(cp4.checkpoint.tree_size, 4u);
  ASSERT_OK_AND_ASSIGN(ConsistencyProof proof, ledger->ProveConsistency(3, 4));
  EXPECT_OK(VerifyConsistency(3, 4, cp3.checkpoint.root, cp4.checkpoint.root, proof.path));

  ASSERT_OK_AND_ASSIGN(SignedCheckpoint at3, ledger->CheckpointAt(3));
  EXPECT_EQ(at3.note, cp3.note);
  EXPECT_THAT(ledger->CheckpointAt(2), StatusIs(absl::StatusCode::kNotFound, HasSubstr("2")));
  ASSERT_OK_AND_ASSIGN(std::vector<SignedCheckpoint> all, ledger->Checkpoints(0));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].checkpoint.tree_size, 3u);
  EXPECT_EQ(all[1].checkpoint.tree_size, 4u);
  EXPECT_THAT(ledger->Checkpoints(3), IsOkAndHolds(SizeIs(1u)));
  EXPECT_THAT(ledger->Checkpoints(0, 1), IsOkAndHolds(SizeIs(1u)));
  ledger.reset();
  ASSERT_OK_AND_ASSIGN(auto reopened, Ledger::Open(dir, Options()));
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint latest, reopened->LatestCheckpoint());
  EXPECT_EQ(latest.note, cp4.note);
  EXPECT_OK(reopened->VerifyAll());
}

TEST(LedgerTest, ReadOnlyOpenReadsButNeverWrites) {
  std::string dir = peergrid::testing::FreshTempDir("ledger_read_only");
  {
    ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, Options()));
    ASSERT_OK(ledger->AppendBatch({Entry(0), Entry(1)}).status());
    ASSERT_OK(ledger->Checkpoint().status());
    ASSERT_OK(ledger->Append(Entry(2)).status());
  }
  LedgerOptions options;
  options.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto ro, Ledger::Open(dir, options));
  EXPECT_EQ(ro->Size(), 3u);
  EXPECT_EQ(ro->origin(), "peergrid/test-1");
  EXPECT_THAT(ro->Append(Entry(3)), StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_THAT(ro->Checkpoint(), StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint latest, ro->LatestCheckpoint());
  EXPECT_EQ(latest.checkpoint.tree_size, 2u);
  EXPECT_OK(ro->VerifyAll());
  EXPECT_THAT(Ledger::Open(peergrid::testing::FreshTempDir("ledger_none"), options).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no ledger")));
}

// 64 appenders of one entry each share syncs. The first batch is held in the
// commit hook until every other appender is queued, so exactly two synced
// batches carry the 64 entries.
TEST(LedgerTest, GroupCommitSharesSyncs) {
  constexpr int kThreads = 64;
  absl::Notification release;
  std::atomic<size_t> first_batch{0};
  LedgerOptions options = Options();
  options.before_commit_for_testing = [&](size_t queued) {
    size_t expected = 0;
    if (first_batch.compare_exchange_strong(expected, queued)) release.WaitForNotification();
  };
  ASSERT_OK_AND_ASSIGN(auto ledger,
                       Ledger::Open(peergrid::testing::FreshTempDir("ledger_group"), options));
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<uint64_t>> results(kThreads, absl::UnknownError("not run"));
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { results[t] = ledger->Append(Entry(t)); });
  }
  while (first_batch.load() == 0 ||
         ledger->stats().queued_appends < kThreads - first_batch.load()) {
    std::this_thread::yield();  // waits for a state, not for time
  }
  release.Notify();
  for (std::thread& t : threads) t.join();
  std::vector<bool> seen(kThreads, false);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_OK(results[t].status());
    ASSERT_LT(*results[t], uint64_t{kThreads});
    EXPECT_FALSE(seen[*results[t]]) << "index given twice";
    seen[*results[t]] = true;
    ASSERT_OK_AND_ASSIGN(std::string e, ledger->GetEntry(*results[t]));
    EXPECT_EQ(e, Entry(t));
  }
  LedgerStats stats = ledger->stats();
  EXPECT_EQ(stats.entries_appended, uint64_t{kThreads});
  EXPECT_EQ(stats.write_batches, 2u);
}

TEST(LedgerTest, ConcurrentAppendsProofsAndCheckpoints) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  std::string dir = peergrid::testing::FreshTempDir("ledger_concurrent");
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, Options()));
  std::atomic<bool> stop{false};
  std::thread signer([&] {
    while (!stop.load()) {
      absl::StatusOr<SignedCheckpoint> cp = ledger->Checkpoint();
      ASSERT_OK(cp.status());
      uint64_t n = cp->checkpoint.tree_size;
      if (n > 0) {
        ASSERT_OK_AND_ASSIGN(InclusionProof p, ledger->ProveInclusion(n - 1, n));
        ASSERT_OK_AND_ASSIGN(Hash leaf, ledger->LeafHashAt(n - 1));
        EXPECT_OK(VerifyInclusion(leaf, n - 1, n, p.path, cp->checkpoint.root));
      }
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string e = absl::StrCat("t", t, "-", i);
        absl::StatusOr<uint64_t> index =
            i % 10 == 0 ? ledger->AppendBatch({e, e + "-b"}) : ledger->Append(e);
        ASSERT_OK(index.status());
        absl::StatusOr<std::string> back = ledger->GetEntry(*index);
        ASSERT_OK(back.status());
        EXPECT_EQ(*back, e);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  stop = true;
  signer.join();
  const uint64_t want = kThreads * (kPerThread + kPerThread / 10);
  EXPECT_EQ(ledger->Size(), want);
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint last, ledger->Checkpoint());
  EXPECT_EQ(last.checkpoint.tree_size, want);
  EXPECT_OK(ledger->VerifyAll());
  // Every pair of consecutive checkpoints is consistent.
  ASSERT_OK_AND_ASSIGN(std::vector<SignedCheckpoint> all, ledger->Checkpoints(0));
  for (size_t i = 1; i < all.size(); ++i) {
    uint64_t m = all[i - 1].checkpoint.tree_size;
    uint64_t n = all[i].checkpoint.tree_size;
    if (m == 0) continue;
    ASSERT_OK_AND_ASSIGN(ConsistencyProof p, ledger->ProveConsistency(m, n));
    EXPECT_OK(VerifyConsistency(m, n, all[i - 1].checkpoint.root, all[i].checkpoint.root, p.path));
  }
  ledger.reset();
  ASSERT_OK_AND_ASSIGN(auto reopened, Ledger::Open(dir, Options()));
  EXPECT_EQ(reopened->Size(), want);
}

}  // namespace
}  // namespace peergrid::ledger
