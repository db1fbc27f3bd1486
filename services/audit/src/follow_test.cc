// The regulator's mirror over real gRPC (loopback) and real RocksDB ledgers:
// it follows a growing log, survives a restart, reports business failures
// without stopping, and refuses — with both checkpoints kept as evidence — a
// log that forks or a server whose entries do not match its checkpoints.
#include "peergrid/audit/follow.h"

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/state.h"
#include "peergrid/audit/testing/fixture_served.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::audit {
namespace {

using peergrid::testing::StatusIs;
using testing::Edited;
using ::testing::HasSubstr;
using testing::SimEntry;
using testing::SimOptions;

class AuditFollowTest : public testing::ServedLedgerTest {
 protected:
  AuditFollowTest() : ServedLedgerTest("audit_follow", 'f') {}

  void SetUp() override {
    SimOptions options;
    options.seed = 5;
    Serve(options);
    options_.out_dir = dir_ + "/mirror";
    options_.log = [this](absl::string_view line) { lines_.emplace_back(line); };
  }

  std::unique_ptr<AuditFollower> Follower(bool once) {
    FollowOptions options = options_;
    options.once = once;
    auto f = AuditFollower::Open(key_.verifier(), options);
    EXPECT_OK(f);
    return f.ok() ? *std::move(f) : nullptr;
  }
  bool Logged(absl::string_view what) {
    for (const std::string& l : lines_) {
      if (absl::StrContains(l, what)) return true;
    }
    return false;
  }

  FollowOptions options_;
  std::vector<std::string> lines_;
};

TEST_F(AuditFollowTest, FollowsAGrowingLogAndKeepsAVerifiedExport) {
  std::unique_ptr<AuditFollower> f = Follower(/*once=*/false);
  ASSERT_NE(f, nullptr);
  ASSERT_OK(f->Sync(stub_.get(), server::CheckpointToProto(a_->LatestCheckpoint().value())));
  EXPECT_EQ(f->size(), half_);

  // The exchange keeps going while the mirror watches.
  FollowOptions live = options_;
  live.stop_at_size = sim_.size();
  f.reset();
  auto follower = AuditFollower::Open(key_.verifier(), live);
  ASSERT_OK(follower);
  absl::Status run;
  std::thread watcher([&] { run = (*follower)->Run(stub_.get()); });
  ASSERT_OK(testing::WriteLedger(Slice(half_, sim_.size()), a_.get()));
  watcher.join();
  ASSERT_OK(run);
  EXPECT_EQ((*follower)->size(), sim_.size());
  EXPECT_TRUE((*follower)->report().ok()) << AuditReportText((*follower)->report());
  EXPECT_EQ((*follower)->report().intervals_cleared, 8u);
  EXPECT_TRUE(Logged(absl::StrCat("mirrored checkpoint ", sim_.size())));

  // The mirror is a ledger export that passes the offline audit.
  ASSERT_OK_AND_ASSIGN(AuditReport offline,
                       AuditExport(options_.out_dir, key_.verifier(), AuditOptions{}));
  EXPECT_TRUE(offline.ok()) << AuditReportText(offline);
  EXPECT_EQ(offline.entries, sim_.size());
  EXPECT_THAT(ReadWholeFile(options_.out_dir + "/report.json").value_or(""),
              HasSubstr("\"ok\": true"));
}

TEST_F(AuditFollowTest, ReopeningReverifiesTheMirrorAndDropsUnverifiedEntries) {
  {
    std::unique_ptr<AuditFollower> f = Follower(/*once=*/true);
    ASSERT_OK(f->Run(stub_.get()));
  }
  // Garbage after the verified entries (a crash mid-sync) is dropped.
  std::ofstream(options_.out_dir + "/entries", std::ios::app) << "\x01\x02";
  std::unique_ptr<AuditFollower> f = Follower(/*once=*/true);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->size(), half_);
  EXPECT_TRUE(f->report().ok()) << AuditReportText(f->report());
  ASSERT_OK(testing::WriteLedger(Slice(half_, sim_.size()), a_.get()));
  ASSERT_OK(f->Run(stub_.get()));
  EXPECT_EQ(f->size(), sim_.size());
}

TEST_F(AuditFollowTest, TamperedMirrorDoesNotReopen) {
  {
    std::unique_ptr<AuditFollower> f = Follower(/*once=*/true);
    ASSERT_OK(f->Run(stub_.get()));
  }
  std::vector<std::string> entries = testing::ReadExportEntries(options_.out_dir);
  entries[4][entries[4].size() / 2] ^= 0x01;
  testing::WriteExportEntries(options_.out_dir, entries);
  EXPECT_THAT(AuditFollower::Open(key_.verifier(), options_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no longer verifies")));
}

TEST_F(AuditFollowTest, ForkIsRefusedWithBothCheckpointsKept) {
  std::unique_ptr<AuditFollower> f = Follower(/*once=*/true);
  ASSERT_OK(f->Run(stub_.get()));
  const std::string trusted = a_->LatestCheckpoint()->note;

  std::unique_ptr<ledger::Ledger> b = Fork(sim_.size());  // same key, rewritten history
  service_->SetLedger(b.get());
  EXPECT_THAT(f->Run(stub_.get()), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("log fork")));
  EXPECT_TRUE(Logged("LOG FORK DETECTED"));
  const std::string evidence = absl::StrCat(options_.out_dir, "/fork-", sim_.size());
  EXPECT_EQ(ReadWholeFile(evidence + "/trusted.note").value_or(""), trusted);
  EXPECT_EQ(ReadWholeFile(evidence + "/offending.note").value_or(""), b->LatestCheckpoint()->note);
  EXPECT_THAT(ReadWholeFile(evidence + "/reason.txt").value_or(""), HasSubstr("not consistent"));
  EXPECT_EQ(f->size(), half_);  // the verified copy is kept as it was
  EXPECT_THAT(AuditFollower::Open(key_.verifier(), options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("forked")));
}

TEST_F(AuditFollowTest, TwoCheckpointsOfTheSameSizeAreAFork) {
  std::unique_ptr<AuditFollower> f = Follower(/*once=*/true);
  ASSERT_OK(f->Run(stub_.get()));
  std::unique_ptr<ledger::Ledger> b = Fork(half_);
  service_->SetLedger(b.get());
  EXPECT_THAT(f->Sync(stub_.get(), server::CheckpointToProto(b->LatestCheckpoint().value())),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("two checkpoints of the same size")));
  EXPECT_TRUE(Logged(absl::StrCat("LOG FORK DETECTED at tree size ", half_)));
}

TEST_F(AuditFollowTest, ServerWhoseEntriesDoNotMatchItsCheckpointIsRefused) {
  service_->TamperEntry(7);
  std::unique_ptr<AuditFollower> f = Follower(/*once=*/true);
  EXPECT_THAT(f->Run(stub_.get()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("rebuild root")));
  EXPECT_EQ(f->size(), 0u);
  EXPECT_TRUE(testing::ReadExportEntries(options_.out_dir).empty());
}

TEST_F(AuditFollowTest, BusinessFailuresAreReportedWithoutStoppingTheMirror) {
  // A correctly signed log whose clearing claims an order count it does not have.
  std::vector<SimEntry> wrong = sim_;
  const int64_t c = testing::NthOfKind(wrong, v1::LedgerEntry::kIntervalCleared, 0);
  wrong[c] = Edited(wrong[c], [](v1::LedgerEntry& e) {
    e.mutable_interval_cleared()->set_order_count(e.interval_cleared().order_count() + 1);
  });
  std::unique_ptr<ledger::Ledger> b = OpenLedger("b");
  ASSERT_OK(testing::WriteLedger(wrong, b.get()));
  service_->SetLedger(b.get());
  std::unique_ptr<AuditFollower> f = Follower(/*once=*/true);
  ASSERT_OK(f->Run(stub_.get()));
  EXPECT_EQ(f->size(), wrong.size());
  EXPECT_FALSE(f->report().ok());
  EXPECT_TRUE(Logged(absl::StrCat("AUDIT FAILURE entry ", c, ": clearing")));
  EXPECT_THAT(ReadWholeFile(options_.out_dir + "/report.json").value_or(""),
              HasSubstr("\"ok\": false"));
}

TEST_F(AuditFollowTest, StopEndsAWatch) {
  std::unique_ptr<AuditFollower> f = Follower(/*once=*/false);
  absl::Status run;
  std::thread watcher([&] { run = f->Run(stub_.get()); });
  f->Stop();
  watcher.join();
  EXPECT_OK(run);
}

}  // namespace
}  // namespace peergrid::audit
