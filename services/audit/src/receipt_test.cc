// Household receipts fetched over real gRPC from a real ledger verify offline
// with only the verifier key, and every kind of tampering fails.
#include "peergrid/audit/receipt.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/audit/testing/fixture_service.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::audit {
namespace {

using peergrid::testing::StatusIs;
using ::testing::HasSubstr;

class ReceiptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("receipt");
    std::ofstream(dir_ + "/key.pem") << key_.Pkcs8Pem();
    testing::SimOptions options;
    options.seed = 21;
    options.intervals = 4;
    std::vector<testing::SimEntry> sim = testing::SimulatedMarket(options).Generate();
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = testing::kTestOrigin;
    ledger_options.key_file = dir_ + "/key.pem";
    ASSERT_OK_AND_ASSIGN(log_, ledger::Ledger::Open(dir_ + "/db", ledger_options));
    ASSERT_OK(testing::WriteLedger(sim, log_.get()));
    order_index_ =
        static_cast<uint64_t>(testing::NthOfKind(sim, v1::LedgerEntry::kOrderAccepted, 13));
    v1::LedgerEntry e;
    e.ParseFromString(sim[order_index_].bytes);
    order_id_ = e.order_accepted().order().order_id();
    service_ = std::make_unique<testing::FixtureAuditService>(log_.get());
    server_ = std::make_unique<testing::LoopbackServer>(service_.get());
    auto stub = server_->Stub();
    grpc::ClientContext context;
    v1::GetReceiptRequest request;
    request.set_order_id(order_id_);
    ASSERT_TRUE(stub->GetReceipt(&context, request, &receipt_).ok());
  }

  std::string dir_;
  ledger::Signer key_ = testing::TestSigner('r');
  std::unique_ptr<ledger::Ledger> log_;
  std::unique_ptr<testing::FixtureAuditService> service_;
  std::unique_ptr<testing::LoopbackServer> server_;
  uint64_t order_index_ = 0;
  std::string order_id_;
  v1::Receipt receipt_;
};

TEST_F(ReceiptTest, VerifiesWithThePinnedKeyAndSurvivesAFileRoundTrip) {
  ASSERT_OK_AND_ASSIGN(ReceiptSummary s, VerifyReceipt(receipt_, &key_.verifier(), order_id_));
  EXPECT_EQ(s.index, order_index_);
  EXPECT_TRUE(s.key_pinned);
  EXPECT_EQ(s.checkpoint.tree_size, log_->Size());
  EXPECT_EQ(s.entry.order_accepted().order().order_id(), order_id_);
  EXPECT_THAT(ReceiptSummaryText(s), HasSubstr("(your key)"));

  const std::string file = dir_ + "/receipt.json";
  ASSERT_OK(WriteReceiptFile(file, receipt_));
  ASSERT_OK_AND_ASSIGN(v1::Receipt read, ReadReceiptFile(file));
  EXPECT_EQ(read.SerializeAsString(), receipt_.SerializeAsString());
  EXPECT_OK(VerifyReceipt(read, &key_.verifier(), order_id_));
}

TEST_F(ReceiptTest, WithoutAPinnedKeyItSaysSo) {
  ASSERT_OK_AND_ASSIGN(ReceiptSummary s, VerifyReceipt(receipt_, nullptr));
  EXPECT_FALSE(s.key_pinned);
  EXPECT_THAT(ReceiptSummaryText(s), HasSubstr("pass --key"));
  receipt_.clear_verifier_key();
  EXPECT_THAT(VerifyReceipt(receipt_, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no key")));
}

TEST_F(ReceiptTest, AlteredEntryFails) {
  receipt_.mutable_entry()->back() ^= 0x01;
  receipt_.mutable_inclusion()->clear_leaf_hash();  // so only the proof can catch it
  EXPECT_THAT(VerifyReceipt(receipt_, &key_.verifier()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("inclusion proof")));
}

TEST_F(ReceiptTest, AlteredProofFails) {
  ASSERT_GT(receipt_.inclusion().proof_size(), 0);
  (*receipt_.mutable_inclusion()->mutable_proof(0))[0] ^= 0x01;
  EXPECT_THAT(VerifyReceipt(receipt_, &key_.verifier()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("inclusion proof")));
}

TEST_F(ReceiptTest, ProofForAnotherIndexFails) {
  receipt_.set_index(receipt_.index() + 1);
  receipt_.mutable_inclusion()->set_leaf_index(receipt_.index());
  EXPECT_THAT(VerifyReceipt(receipt_, &key_.verifier()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("inclusion proof")));
}

TEST_F(ReceiptTest, CheckpointByAnotherKeyFails) {
  ledger::Signer other = testing::TestSigner('o');
  EXPECT_THAT(VerifyReceipt(receipt_, &other.verifier()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("names the key")));
  // A receipt whose checkpoint was re-signed by someone else, carrying their key.
  std::string text = receipt_.checkpoint().note();
  text = text.substr(0, text.rfind("\n\n") + 1);
  receipt_.mutable_checkpoint()->set_note(ledger::SignNote(text, other).value());
  receipt_.set_verifier_key(other.verifier().ToString());
  EXPECT_THAT(VerifyReceipt(receipt_, &key_.verifier()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no signature by key")));
}

TEST_F(ReceiptTest, ReceiptOfAnotherOrderFails) {
  EXPECT_THAT(VerifyReceipt(receipt_, &key_.verifier(), "not-my-order"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not not-my-order")));
}

TEST_F(ReceiptTest, MalformedFileFails) {
  std::ofstream(dir_ + "/bad.json") << "{\"index\": \"x\"}";
  EXPECT_THAT(ReadReceiptFile(dir_ + "/bad.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peergrid.v1.Receipt")));
  EXPECT_THAT(ReadReceiptFile(dir_ + "/missing.json"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.json")));
}

}  // namespace
}  // namespace peergrid::audit
