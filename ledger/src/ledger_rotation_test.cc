// Key rotation: a KeyRotated entry signed by the old key introduces the new
// one; checkpoints before it verify with the old key, after it with the new.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/common/clock.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/ledger.pb.h"

namespace peergrid::ledger {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

class LedgerRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("ledger_rotation");
    options_.origin = "peergrid/rot";
    options_.clock = &clock_;
  }

  std::string dir_;
  ManualClock clock_{absl::FromUnixSeconds(1'782'000'000)};
  LedgerOptions options_;
};

TEST_F(LedgerRotationTest, RotatesAndVerifiesAcrossTheRotation) {
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir_, options_));
  VerifierKey old_key = ledger->verifier_key();
  ASSERT_OK(ledger->AppendBatch({"a", "b", "c"}).status());
  ASSERT_OK_AND_ASSIGN(Signer next, Signer::Generate("peergrid/rot"));
  ASSERT_OK_AND_ASSIGN(uint64_t index, ledger->RotateKey(next));
  EXPECT_EQ(index, 3u);
  EXPECT_EQ(ledger->verifier_key(), next.verifier());

  // The entry is a KeyRotated signed by the old key, stamped by the clock.
  ASSERT_OK_AND_ASSIGN(std::string entry, ledger->GetEntry(index));
  v1::LedgerEntry parsed;
  ASSERT_TRUE(parsed.ParseFromString(entry));
  EXPECT_EQ(parsed.recorded_at_unix_ms(), 1'782'000'000'000);
  EXPECT_EQ(parsed.key_rotated().old_verifier_key(), old_key.ToString());
  EXPECT_EQ(parsed.key_rotated().new_verifier_key(), next.verifier().ToString());
  ASSERT_OK_AND_ASSIGN(std::optional<KeyRotation> rotation, ParseKeyRotation(entry));
  ASSERT_TRUE(rotation.has_value());
  EXPECT_EQ(rotation->new_key, next.verifier());

  // Checkpoint at 3 (before) is the old key's, at 4 (including it) the new.
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint before, ledger->CheckpointAt(3));
  EXPECT_OK(VerifyCheckpoint(before.note, old_key, "peergrid/rot").status());
  EXPECT_FALSE(VerifyCheckpoint(before.note, next.verifier(), "peergrid/rot").ok());
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint after, ledger->CheckpointAt(4));
  EXPECT_OK(VerifyCheckpoint(after.note, next.verifier(), "peergrid/rot").status());
  ASSERT_OK_AND_ASSIGN(VerifierKey at3, ledger->VerifierKeyAt(3));
  EXPECT_EQ(at3, old_key);
  ASSERT_OK_AND_ASSIGN(VerifierKey at4, ledger->VerifierKeyAt(4));
  EXPECT_EQ(at4, next.verifier());

  ASSERT_OK(ledger->Append("d").status());
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint later, ledger->Checkpoint());
  EXPECT_OK(VerifyCheckpoint(later.note, next.verifier(), "peergrid/rot").status());
  EXPECT_OK(ledger->VerifyAll());

  // The export chains the rotation to log.pub.
  std::string out = peergrid::testing::FreshTempDir("ledger_rotation_export");
  ASSERT_OK(ExportLedger(*ledger, out));
  ASSERT_OK_AND_ASSIGN(ExportSummary summary, VerifyExport(out));
  EXPECT_EQ(summary.verifier_key, next.verifier().ToString());
  EXPECT_THAT(summary.rotation_indexes, ::testing::ElementsAre(3));

  // Reopening uses the new key file.
  ledger.reset();
  ASSERT_OK_AND_ASSIGN(auto reopened, Ledger::Open(dir_, options_));
  EXPECT_EQ(reopened->verifier_key(), next.verifier());
  EXPECT_OK(reopened->VerifyAll());
  EXPECT_THAT(reopened->RotateKey(next),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("already in force")));
}

// A crash after the rotation entry is durable but before the new key file
// replaced the old one: Open finishes the rename from <key>.next.
TEST_F(LedgerRotationTest, OpenCompletesAnInterruptedRotation) {
  ASSERT_OK_AND_ASSIGN(Signer next, Signer::Generate("peergrid/rot"));
  std::string old_pem;
  {
    ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir_, options_));
    ASSERT_OK(ledger->Append("a").status());
    std::ifstream in(dir_ + "/log-key.pem");
    old_pem.assign(std::istreambuf_iterator<char>(in), {});
    ASSERT_OK(ledger->RotateKey(next).status());
  }
  // Put the files back as they were just before the rename.
  std::filesystem::rename(dir_ + "/log-key.pem", dir_ + "/log-key.pem.next");
  std::ofstream(dir_ + "/log-key.pem", std::ios::trunc) << old_pem;
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir_, options_));
  EXPECT_EQ(ledger->verifier_key(), next.verifier());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/log-key.pem.next"));
  ASSERT_OK(ledger->Append("b").status());
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint cp, ledger->Checkpoint());
  EXPECT_OK(VerifyCheckpoint(cp.note, next.verifier(), "").status());
}

TEST_F(LedgerRotationTest, ForgedRotationEntryIsRejected) {
  ASSERT_OK_AND_ASSIGN(Signer old_key, Signer::Generate("peergrid/rot"));
  ASSERT_OK_AND_ASSIGN(Signer new_key, Signer::Generate("peergrid/rot"));
  ASSERT_OK_AND_ASSIGN(Signer intruder, Signer::Generate("peergrid/rot"));
  std::string good = MakeKeyRotationEntry(old_key, new_key.verifier(), 1);
  ASSERT_OK_AND_ASSIGN(std::optional<KeyRotation> ok, ParseKeyRotation(good));
  ASSERT_TRUE(ok.has_value());
  v1::LedgerEntry forged;
  ASSERT_TRUE(forged.ParseFromString(good));
  forged.mutable_key_rotated()->set_new_verifier_key(intruder.verifier().ToString());
  EXPECT_THAT(
      ParseKeyRotation(forged.SerializeAsString()),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not signed by the old key")));
  ASSERT_OK_AND_ASSIGN(std::optional<KeyRotation> none, ParseKeyRotation("opaque bytes"));
  EXPECT_FALSE(none.has_value());
}

}  // namespace
}  // namespace peergrid::ledger
