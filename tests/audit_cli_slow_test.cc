// `peergridctl audit`, `audit follow` and `receipt` as real child processes:
// exit codes, the JSON report naming the first bad entry, the state file, a
// mirror that refuses a fork, receipts saved and verified offline, and the
// docs/AUDIT.md procedure that checks a checkpoint with stock `openssl`
// against the published key.
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "peergrid/audit/receipt.h"
#include "peergrid/audit/state.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/audit/testing/fixture_service.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::services {
namespace {

using audit::testing::SimEntry;
using ::testing::HasSubstr;

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("audit_cli");
    audit::testing::SimOptions options;
    options.seed = 17;
    sim_ = audit::testing::SimulatedMarket(options).Generate();
    ASSERT_OK_AND_ASSIGN(export_, audit::testing::WriteExport(sim_, dir_, key_));
    key_file_ = dir_ + "/published.pub";
    std::ofstream(key_file_) << key_.verifier().ToString() << "\n";
  }

  // Runs a command; returns its exit code, its output in *out.
  int Run(const std::vector<std::string>& argv, std::string* out = nullptr) {
    const std::string log = dir_ + "/cmd.log";
    std::remove(log.c_str());
    auto child = runtime::Subprocess::Start(argv, log);
    EXPECT_OK(child);
    if (!child.ok()) return -1;
    absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(60));
    EXPECT_OK(status);
    std::string text = audit::ReadWholeFile(log).value_or("");
    if (out != nullptr) *out = text;
    if (!status.ok() || !WIFEXITED(*status)) return -1;
    return WEXITSTATUS(*status);
  }
  int Ctl(std::vector<std::string> args, std::string* out = nullptr) {
    args.insert(args.begin(), peergrid::testing::BinaryDir() + "/bin/peergridctl");
    // The fixture server is plaintext on loopback.
    if (std::find(args.begin(), args.end(), "--server") != args.end()) args.push_back("--insecure");
    return Run(args, out);
  }

  std::string dir_, export_, key_file_;
  ledger::Signer key_ = audit::testing::TestSigner('c');
  std::vector<SimEntry> sim_;
};

TEST_F(AuditCliTest, ExportAuditExitCodesReportAndState) {
  const std::string report = dir_ + "/report.json", state = dir_ + "/state.json";
  std::string out;
  EXPECT_EQ(
      Ctl({"audit", "--export", export_, "--key", key_file_, "--state", state, "--report", report},
          &out),
      0)
      << out;
  EXPECT_THAT(out, HasSubstr("AUDIT PASSED"));
  nlohmann::json j = nlohmann::json::parse(audit::ReadWholeFile(report).value());
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["entries"], sim_.size());
  EXPECT_EQ(j["coverage"]["intervals_cleared"], 8);
  EXPECT_THAT(audit::ReadWholeFile(state).value_or(""),
              HasSubstr(absl::StrCat("\"tree_size\": ", sim_.size())));

  // One flipped bit in an order's participant id.
  std::vector<std::string> entries = audit::testing::ReadExportEntries(export_);
  const int64_t k = audit::testing::NthOfKind(sim_, v1::LedgerEntry::kOrderAccepted, 4);
  entries[k][entries[k].find("-p")] ^= 0x01;
  audit::testing::WriteExportEntries(export_, entries);
  EXPECT_EQ(Ctl({"audit", "--export", export_, "--key", key_file_, "--report", report}, &out), 1)
      << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("FIRST BAD ENTRY: entry ", k)));
  j = nlohmann::json::parse(audit::ReadWholeFile(report).value());
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["first_failure"]["index"], k);
  EXPECT_EQ(j["first_failure"]["check"], "order_acceptance");

  std::ofstream(dir_ + "/bad.pub") << "not a key\n";
  EXPECT_EQ(Ctl({"audit", "--export", export_, "--key", dir_ + "/bad.pub"}), 2);
  EXPECT_EQ(Ctl({"audit", "--export", dir_ + "/missing", "--key", key_file_}), 3);
  EXPECT_EQ(Ctl({"audit", "--key", key_file_}), 2);
}

TEST_F(AuditCliTest, CheckpointVerifiesWithStockOpensslAgainstThePublishedKey) {
  // docs/AUDIT.md, "Checking a checkpoint with openssl", verbatim.
  const std::string script = absl::StrCat("set -e; cd ", export_, "; KEY=", key_file_, R"(
name=$(cut -d+ -f1 "$KEY")
(printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; cut -d+ -f3- "$KEY" | base64 -d | tail -c 32) \
  | openssl pkey -pubin -inform DER -out published.pem
sed '/^$/,$d' checkpoint > checkpoint.txt
grep "^— $name " checkpoint | cut -d' ' -f3 | base64 -d | tail -c 64 > checkpoint.sig
openssl pkeyutl -verify -pubin -inkey published.pem -rawin -in checkpoint.txt -sigfile checkpoint.sig
)");
  std::string out;
  EXPECT_EQ(Run({"/bin/bash", "-c", script}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("Signature Verified Successfully"));
  // The same check fails for a checkpoint whose text was changed.
  const std::string tampered =
      absl::StrCat("sed -i '2s/.*/999/' ", export_, "/checkpoint; ", script);
  EXPECT_NE(Run({"/bin/bash", "-c", tampered}, &out), 0) << out;
}

class AuditCliServerTest : public AuditCliTest {
 protected:
  void SetUp() override {
    AuditCliTest::SetUp();
    ledger::LedgerOptions options;
    options.read_only = true;
    ASSERT_OK_AND_ASSIGN(log_, ledger::Ledger::Open(dir_ + "/db", options));
    service_ = std::make_unique<audit::testing::FixtureAuditService>(log_.get());
    server_ = std::make_unique<audit::testing::LoopbackServer>(service_.get());
  }
  std::unique_ptr<ledger::Ledger> log_;
  std::unique_ptr<audit::testing::FixtureAuditService> service_;
  std::unique_ptr<audit::testing::LoopbackServer> server_;
};

TEST_F(AuditCliServerTest, ServerAuditAndAFollowerThatRefusesAFork) {
  std::string out;
  EXPECT_EQ(Ctl({"audit", "--server", server_->address(), "--key", key_file_}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("AUDIT PASSED: server " + server_->address()));

  const std::string mirror = dir_ + "/mirror";
  EXPECT_EQ(Ctl({"audit", "follow", "--server", server_->address(), "--key", key_file_, "--out",
                 mirror, "--once"},
                &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat(sim_.size(), " verified entries; audit passed")));

  // The server now serves a rewritten history signed with the same key.
  std::vector<SimEntry> forked = sim_;
  forked[2] = audit::testing::Edited(forked[2], [](v1::LedgerEntry& e) {
    e.set_recorded_at_unix_ms(e.recorded_at_unix_ms() + 1);
  });
  forked.push_back(forked.back());  // and one more entry, so it looks like growth
  forked.back() = audit::testing::Edited(forked.back(), [](v1::LedgerEntry& e) {
    e.set_recorded_at_unix_ms(e.recorded_at_unix_ms() + 1);
  });
  ledger::LedgerOptions options;
  options.origin = audit::testing::kTestOrigin;
  options.key_file = dir_ + "/key.pem";
  ASSERT_OK_AND_ASSIGN(auto fork, ledger::Ledger::Open(dir_ + "/fork-db", options));
  ASSERT_OK(audit::testing::WriteLedger(forked, fork.get()));
  service_->SetLedger(fork.get());
  EXPECT_EQ(Ctl({"audit", "follow", "--server", server_->address(), "--key", key_file_, "--out",
                 mirror, "--once"},
                &out),
            1)
      << out;
  EXPECT_THAT(out, HasSubstr("LOG FORK"));
  EXPECT_THAT(audit::ReadWholeFile(absl::StrCat(mirror, "/fork-", forked.size(), "/offending.note"))
                  .value_or(""),
              HasSubstr(absl::StrCat("\n", forked.size(), "\n")));
  // It keeps refusing.
  EXPECT_EQ(Ctl({"audit", "follow", "--server", server_->address(), "--key", key_file_, "--out",
                 mirror, "--once"},
                &out),
            3)
      << out;
  EXPECT_THAT(out, HasSubstr("refusing to follow"));
}

TEST_F(AuditCliServerTest, ReceiptIsFetchedSavedAndVerifiedOffline) {
  const int64_t k = audit::testing::NthOfKind(sim_, v1::LedgerEntry::kOrderAccepted, 7);
  v1::LedgerEntry e;
  e.ParseFromString(sim_[k].bytes);
  const std::string order = e.order_accepted().order().order_id();
  const std::string file = dir_ + "/receipt.json";
  std::string out;
  EXPECT_EQ(Ctl({"receipt", "--order", order, "--server", server_->address(), "--key", key_file_,
                 "--out", file},
                &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("order ", order, " is entry ", k)));
  server_.reset();  // offline from here on
  EXPECT_EQ(Ctl({"receipt", "verify", file, "--key", key_file_, "--order", order}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("(your key)"));

  ASSERT_OK_AND_ASSIGN(v1::Receipt receipt, audit::ReadReceiptFile(file));
  receipt.mutable_entry()->back() ^= 0x01;
  ASSERT_OK(audit::WriteReceiptFile(file, receipt));
  EXPECT_EQ(Ctl({"receipt", "verify", file, "--key", key_file_}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("does not verify"));
}

}  // namespace
}  // namespace peergrid::services
