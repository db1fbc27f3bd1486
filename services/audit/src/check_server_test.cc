// `audit --server`: the audit over real gRPC (loopback) of a real RocksDB
// ledger, checking every checkpoint of the server's history and, with a
// state file, the server's consistency proof.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/state.h"
#include "peergrid/audit/testing/fixture_served.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::audit {
namespace {

using ::peergrid::testing::IsOkAndHolds;
using peergrid::testing::StatusIs;
using ::testing::HasSubstr;
using testing::LoopbackServer;
using testing::SimOptions;
using ::testing::SizeIs;

class AuditServerTest : public testing::ServedLedgerTest {
 protected:
  AuditServerTest() : ServedLedgerTest("audit_server", 'v') {}

  void SetUp() override {
    SimOptions options;
    options.seed = 9;
    options.missing_read_one_in = 4;
    Serve(options);
    options_.state_file = dir_ + "/state.json";
  }
  AuditReport Audit() {
    absl::StatusOr<AuditReport> r =
        AuditServer(stub_.get(), server_->address(), key_.verifier(), options_);
    EXPECT_OK(r);
    return r.ok() ? *r : AuditReport{};
  }
  static uint64_t Verified(const AuditReport& r, AuditCheck c) {
    return r.counts[static_cast<size_t>(c)].verified;
  }

  AuditOptions options_;
};

TEST_F(AuditServerTest, VerifiesEveryCheckpointOfTheHistoryAndAdvancesTheState) {
  AuditReport first = Audit();
  ASSERT_TRUE(first.ok()) << AuditReportText(first);
  EXPECT_EQ(first.source, "server " + server_->address());
  EXPECT_THAT(a_->Checkpoints(0), IsOkAndHolds(SizeIs(first.checkpoints_verified)));
  EXPECT_GT(first.checkpoints_verified, 4u);
  EXPECT_TRUE(first.state_advanced);

  ASSERT_OK(testing::WriteLedger(Slice(half_, sim_.size()), a_.get()));
  AuditReport second = Audit();
  ASSERT_TRUE(second.ok()) << AuditReportText(second);
  EXPECT_EQ(second.entries, sim_.size());
  EXPECT_EQ(second.intervals_cleared, 8u);
  EXPECT_GT(second.corrections, 0u);
  // The server's consistency proof, and the rebuilt root at the trusted size.
  EXPECT_EQ(Verified(second, AuditCheck::kConsistency), 2u);
  EXPECT_THAT(ReadWholeFile(options_.state_file).value_or(""),
              HasSubstr(absl::StrCat("\"tree_size\": ", sim_.size())));
}

TEST_F(AuditServerTest, ForkedServerIsDetectedWithTheState) {
  ASSERT_TRUE(Audit().ok());
  const std::string trusted = ReadWholeFile(options_.state_file).value();
  std::unique_ptr<ledger::Ledger> b = Fork(sim_.size());
  service_->SetLedger(b.get());
  AuditReport r = Audit();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(AuditCheckName(r.first_failure()->check), "consistency") << AuditReportText(r);
  EXPECT_THAT(r.first_failure()->reason, HasSubstr("fork"));
  EXPECT_EQ(r.counts[static_cast<size_t>(AuditCheck::kConsistency)].failed, 2u)
      << AuditReportText(r);  // the proof fails, and so does the rebuilt root
  EXPECT_EQ(ReadWholeFile(options_.state_file).value(), trusted);
}

TEST_F(AuditServerTest, TwoCheckpointsOfTheSameSizeInTheHistoryAreAFork) {
  // The server's history holds its own checkpoint of size s and a forked one.
  ASSERT_OK_AND_ASSIGN(std::vector<ledger::SignedCheckpoint> history, a_->Checkpoints(0));
  const uint64_t s = history[history.size() / 2].checkpoint.tree_size;
  std::unique_ptr<ledger::Ledger> b = Fork(s);
  service_->Announce(server::CheckpointToProto(b->LatestCheckpoint().value()));
  options_.state_file.clear();
  AuditReport r = Audit();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(AuditCheckName(r.first_failure()->check), "consistency") << AuditReportText(r);
  EXPECT_THAT(r.first_failure()->reason, HasSubstr(absl::StrCat("two checkpoints of size ", s)));
}

TEST_F(AuditServerTest, UnreachableServerIsAnError) {
  LoopbackServer* gone = server_.release();
  const std::string address = gone->address();
  delete gone;
  auto stub =
      v1::AuditService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  EXPECT_THAT(AuditServer(stub.get(), address, key_.verifier(), options_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("GetCheckpoint")));
}

}  // namespace
}  // namespace peergrid::audit
