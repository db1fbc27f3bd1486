// Signed orders and cancels end to end: keys made with the stock `openssl`
// CLI, `peergridctl order place/cancel --key` against a real
// peergrid-exchange that requires signatures. Another household's key, or no
// key, is refused and leaves nothing in the ledger.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/audit/state.h"
#include "peergrid/ledger/note.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"

namespace peergrid {
namespace {

using ::testing::HasSubstr;

class CtlSignedOrdersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("ctl_signed_orders");
    auto exchange = runtime::Subprocess::Start(
        {::peergrid::testing::BinaryDir() + "/bin/peergrid-exchange",
         "--data-dir=" + dir_ + "/data", "--listen=127.0.0.1:0",
         "--http=", "--port-file=" + dir_ + "/port", "--require-signed-orders", "--insecure"},
        dir_ + "/exchange.log");
    ASSERT_OK(exchange);
    exchange_ = *std::move(exchange);
    ASSERT_OK_AND_ASSIGN(std::string port,
                         runtime::WaitForFileLine(dir_ + "/port", absl::Seconds(60)));
    server_ = "127.0.0.1:" + port;
    for (const char* who : {"h1", "h2", "hub-2"}) {
      const std::string key = dir_ + "/" + who + ".pem";
      ASSERT_EQ(Run({"/usr/bin/openssl", "genpkey", "-algorithm", "ed25519", "-out", key}), 0);
      ASSERT_OK_AND_ASSIGN(std::string pem, audit::ReadWholeFile(key));
      ASSERT_OK_AND_ASSIGN(ledger::Signer signer, ledger::Signer::FromPkcs8Pem(who, pem));
      public_hex_[who] = absl::BytesToHexString(signer.verifier().public_key());
    }
    std::string out;
    ASSERT_EQ(Ctl({"admin", "set-tariff", "--feed-in", "50000", "--retail", "200000"}, &out), 0)
        << out;
    ASSERT_EQ(Ctl({"admin", "register-hub", "--hub", "hub-1", "--zone", "jeju-1"}, &out), 0) << out;
    for (const char* who : {"h1", "h2"}) {
      ASSERT_EQ(Ctl({"admin", "register-participant", "--participant", who, "--hub", "hub-1",
                     "--public-key-hex", public_hex_[who]},
                    &out),
                0)
          << out;
    }
    // Two hours ahead on the real clock: the gate is open for the whole test.
    interval_ = (absl::ToUnixSeconds(absl::Now()) / 900 + 8) * 900;
  }

  void TearDown() override {
    if (exchange_ != nullptr) {
      const int status = exchange_->Stop(absl::Seconds(30));
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    }
  }

  int Run(const std::vector<std::string>& argv, std::string* out = nullptr) {
    const std::string log = dir_ + "/cmd.log";
    std::remove(log.c_str());
    auto child = runtime::Subprocess::Start(argv, log);
    EXPECT_OK(child);
    if (!child.ok()) return -1;
    absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(60));
    EXPECT_OK(status);
    if (out != nullptr) *out = audit::ReadWholeFile(log).value_or("");
    if (!status.ok() || !WIFEXITED(*status)) return -1;
    return WEXITSTATUS(*status);
  }
  int Ctl(std::vector<std::string> args, std::string* out = nullptr) {
    args.insert(args.begin(), ::peergrid::testing::BinaryDir() + "/bin/peergridctl");
    args.insert(args.begin() + 3, {"--server", server_, "--insecure"});
    return Run(args, out);
  }
  std::vector<std::string> Place(const std::string& id, const std::string& who) {
    return {"order",         "place",
            "--id",          id,
            "--participant", who,
            "--side",        "BUY",
            "--quantity-wh", "500",
            "--limit-price", "120000",
            "--interval",    absl::StrCat(interval_)};
  }
  std::vector<std::string> Cancel(const std::string& id, const std::string& who) {
    return {"order", "cancel", "--id", id, "--participant", who};
  }
  std::vector<std::string> With(std::vector<std::string> args, const std::string& key) {
    args.push_back("--key");
    args.push_back(dir_ + "/" + key + ".pem");
    return args;
  }
  uint64_t LedgerSize() {
    auto channel = grpc::CreateChannel(server_, grpc::InsecureChannelCredentials());
    v1::Zone zone;
    grpc::ClientContext context;
    EXPECT_TRUE(v1::AdminService::NewStub(channel)->GetZone(&context, {}, &zone).ok());
    return zone.ledger_size();
  }

  std::string dir_, server_;
  std::map<std::string, std::string> public_hex_;
  std::unique_ptr<runtime::Subprocess> exchange_;
  int64_t interval_ = 0;
};

TEST_F(CtlSignedOrdersTest, OnlyTheParticipantsOwnKeyPlacesAndCancels) {
  std::string out;
  const uint64_t start = LedgerSize();
  // Unsigned, or signed by the neighbour: refused, nothing recorded.
  EXPECT_NE(Ctl(Place("o-1", "h1"), &out), 0);
  EXPECT_THAT(out, HasSubstr("PERMISSION_DENIED"));
  EXPECT_NE(Ctl(With(Place("o-1", "h1"), "h2"), &out), 0);
  EXPECT_THAT(out, HasSubstr("signature does not verify"));
  EXPECT_EQ(LedgerSize(), start);
  // Its own key: accepted.
  ASSERT_EQ(Ctl(With(Place("o-1", "h1"), "h1"), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("accepted order o-1"));
  const uint64_t placed = LedgerSize();
  EXPECT_EQ(placed, start + 1);
  // Cancels: unsigned and the neighbour's are refused, its own goes through.
  EXPECT_NE(Ctl(Cancel("o-1", "h1"), &out), 0);
  EXPECT_THAT(out, HasSubstr("PERMISSION_DENIED"));
  EXPECT_NE(Ctl(With(Cancel("o-1", "h1"), "h2"), &out), 0);
  EXPECT_THAT(out, HasSubstr("signature does not verify"));
  EXPECT_EQ(LedgerSize(), placed);
  ASSERT_EQ(Ctl(With(Cancel("o-1", "h1"), "h1"), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("cancelled order o-1"));
  EXPECT_EQ(LedgerSize(), placed + 1);
}

TEST_F(CtlSignedOrdersTest, AKeyFileThatIsNotAKeyIsNamed) {
  std::ofstream(dir_ + "/bad.pem") << "not a key\n";
  std::string out;
  EXPECT_EQ(Ctl(With(Place("o-2", "h1"), "bad"), &out), 2);
  EXPECT_THAT(out, HasSubstr("--key " + dir_ + "/bad.pem"));
}

TEST_F(CtlSignedOrdersTest, AHubsKeySignsForTheHouseholdsThatDelegateToIt) {
  std::string out;
  EXPECT_EQ(Ctl({"admin", "register-hub", "--hub", "hub-2", "--zone", "jeju-1", "--public-key-hex",
                 "abcd"},
                &out),
            2);
  EXPECT_THAT(out, HasSubstr("--public-key-hex: expected 64 hex digits"));
  ASSERT_EQ(Ctl({"admin", "register-hub", "--hub", "hub-2", "--zone", "jeju-1", "--public-key-hex",
                 public_hex_["hub-2"]},
                &out),
            0)
      << out;
  ASSERT_EQ(Ctl({"admin", "register-participant", "--participant", "h3", "--hub", "hub-2",
                 "--delegates-trading"},
                &out),
            0)
      << out;
  const uint64_t start = LedgerSize();
  EXPECT_NE(Ctl(With(Place("o-3", "h3"), "h1"), &out), 0);  // not its hub's key
  EXPECT_THAT(out, HasSubstr("its hub hub-2's key"));
  ASSERT_EQ(Ctl(With(Place("o-3", "h3"), "hub-2"), &out), 0) << out;
  ASSERT_EQ(Ctl(With(Cancel("o-3", "h3"), "hub-2"), &out), 0) << out;
  EXPECT_EQ(LedgerSize(), start + 2);
}

}  // namespace
}  // namespace peergrid
