// The auditor's state file: a passing audit advances it; a log that grew
// consistently passes; a forked log (a different tree behind the trusted
// checkpoint, or another checkpoint of the same size) and a rolled-back log
// fail with the state left as it was.
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/state.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::services {
namespace {

using audit::testing::Edited;
using audit::testing::SimEntry;
using audit::testing::SimOptions;
using audit::testing::SimulatedMarket;
using ::testing::HasSubstr;

class AuditStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("audit_state");
    SimOptions options;
    options.seed = 3;
    sim_ = SimulatedMarket(options).Generate();
    half_ = sim_.size() / 2;
    options_.state_file = dir_ + "/auditor-state.json";
    std::ofstream(dir_ + "/key.pem") << key_.Pkcs8Pem();
  }

  // Appends sim entries [from, to) to the ledger in `db` and exports it to `out`.
  std::string Extend(const std::string& db, const std::vector<SimEntry>& entries, size_t from,
                     size_t to, const std::string& out) {
    ledger::LedgerOptions options;
    options.origin = audit::testing::kTestOrigin;
    options.key_file = dir_ + "/key.pem";
    auto log = ledger::Ledger::Open(dir_ + "/" + db, options);
    EXPECT_OK(log);
    std::vector<SimEntry> part(entries.begin() + static_cast<int64_t>(from),
                               entries.begin() + static_cast<int64_t>(to));
    EXPECT_OK(audit::testing::WriteLedger(part, log->get()));
    EXPECT_OK(ledger::ExportLedger(**log, dir_ + "/" + out));
    return dir_ + "/" + out;
  }

  audit::AuditReport Audit(const std::string& export_dir) {
    absl::StatusOr<audit::AuditReport> report =
        audit::AuditExport(export_dir, key_.verifier(), options_);
    EXPECT_OK(report);
    return report.ok() ? *report : audit::AuditReport{};
  }

  std::string State() { return audit::ReadWholeFile(options_.state_file).value_or(""); }

  // The same market with one registration's display name changed: a fork
  // with no economic trace, signed by the same key.
  std::vector<SimEntry> Forked() {
    std::vector<SimEntry> forked = sim_;
    forked[1] = Edited(forked[1], [](v1::LedgerEntry& e) {
      e.set_recorded_at_unix_ms(e.recorded_at_unix_ms() + 1);
    });
    return forked;
  }

  std::string dir_;
  ledger::Signer key_ = audit::testing::TestSigner('s');
  std::vector<SimEntry> sim_;
  size_t half_ = 0;
  audit::AuditOptions options_;
};

TEST_F(AuditStateTest, PassingAuditsAdvanceTheStateAlongAConsistentLog) {
  audit::AuditReport first = Audit(Extend("db", sim_, 0, half_, "e1"));
  ASSERT_TRUE(first.ok()) << audit::AuditReportText(first);
  EXPECT_FALSE(first.previously_trusted.has_value());
  EXPECT_TRUE(first.state_advanced);
  EXPECT_THAT(State(), HasSubstr(absl::StrCat("\"tree_size\": ", half_)));

  audit::AuditReport second = Audit(Extend("db", sim_, half_, sim_.size(), "e2"));
  ASSERT_TRUE(second.ok()) << audit::AuditReportText(second);
  ASSERT_TRUE(second.previously_trusted.has_value());
  EXPECT_EQ(second.previously_trusted->tree_size, half_);
  EXPECT_EQ(second.counts[static_cast<size_t>(audit::AuditCheck::kConsistency)].verified, 1u);
  EXPECT_TRUE(second.state_advanced);
  EXPECT_THAT(State(), HasSubstr(absl::StrCat("\"tree_size\": ", sim_.size())));
}

TEST_F(AuditStateTest, ForkBehindTheTrustedCheckpointIsDetected) {
  ASSERT_TRUE(Audit(Extend("db", sim_, 0, half_, "e1")).ok());
  const std::string trusted = State();
  std::vector<SimEntry> forked = Forked();
  audit::AuditReport r = Audit(Extend("fork-db", forked, 0, forked.size(), "fork"));
  ASSERT_FALSE(r.ok()) << audit::AuditReportText(r);
  EXPECT_EQ(audit::AuditCheckName(r.first_failure()->check), "consistency")
      << audit::AuditReportText(r);
  EXPECT_THAT(r.first_failure()->reason, HasSubstr("fork"));
  EXPECT_EQ(r.first_failure()->tree_size, half_);
  // The forked log is otherwise fine: its own checkpoint and business verify.
  EXPECT_EQ(r.failure_count, 1u) << audit::AuditReportText(r);
  EXPECT_FALSE(r.state_advanced);
  EXPECT_EQ(State(), trusted);
}

TEST_F(AuditStateTest, TwoCheckpointsOfTheSameSizeWithDifferentRootsAreAFork) {
  ASSERT_TRUE(Audit(Extend("db", sim_, 0, half_, "e1")).ok());
  const std::string trusted = State();
  std::vector<SimEntry> forked = Forked();
  audit::AuditReport r = Audit(Extend("fork-db", forked, 0, half_, "fork"));
  ASSERT_FALSE(r.ok()) << audit::AuditReportText(r);
  EXPECT_EQ(audit::AuditCheckName(r.first_failure()->check), "consistency")
      << audit::AuditReportText(r);
  EXPECT_THAT(r.first_failure()->reason,
              HasSubstr(absl::StrCat("trusted at size ", half_, " has root")));
  EXPECT_EQ(State(), trusted);
}

TEST_F(AuditStateTest, RollbackIsDetected) {
  const std::string e1 = Extend("db", sim_, 0, half_, "e1");
  ASSERT_TRUE(Audit(Extend("db", sim_, half_, sim_.size(), "e2")).ok());
  const std::string trusted = State();
  audit::AuditReport r = Audit(e1);
  ASSERT_FALSE(r.ok()) << audit::AuditReportText(r);
  EXPECT_EQ(audit::AuditCheckName(r.first_failure()->check), "consistency")
      << audit::AuditReportText(r);
  EXPECT_THAT(r.first_failure()->reason, HasSubstr("rollback"));
  EXPECT_EQ(State(), trusted);
}

TEST_F(AuditStateTest, MalformedStateFileIsAnError) {
  std::ofstream(options_.state_file) << "{\"origin\": 3}";
  const std::string e1 = Extend("db", sim_, 0, half_, "e1");
  EXPECT_THAT(audit::AuditExport(e1, key_.verifier(), options_),
              peergrid::testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("origin")));
}

}  // namespace
}  // namespace peergrid::services
