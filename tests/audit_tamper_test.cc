// Tampering with an exported ledger (a real RocksDB ledger, exported with
// ExportLedger, then edited on disk) fails the audit with the right entry
// named; key rotations are followed only when signed by the key in force.
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::services {
namespace {

using audit::testing::NthOfKind;
using audit::testing::ReadExportEntries;
using audit::testing::SignedCheckpointFor;
using audit::testing::SimEntry;
using audit::testing::SimOptions;
using audit::testing::SimulatedMarket;
using audit::testing::TestSigner;
using audit::testing::WriteExportEntries;
using ::testing::HasSubstr;

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("audit_tamper");
    SimOptions options;
    options.seed = 11;
    options.rotate_after_interval = rotate_after_;
    sim_ = SimulatedMarket(options).Generate();
    ASSERT_OK_AND_ASSIGN(export_, audit::testing::WriteExport(sim_, dir_, a_, &b_));
    entries_ = ReadExportEntries(export_);
    ASSERT_EQ(entries_.size(), sim_.size());
  }

  audit::AuditReport Audit(const ledger::VerifierKey& key) {
    absl::StatusOr<audit::AuditReport> report =
        audit::AuditExport(export_, key, audit::AuditOptions{});
    EXPECT_OK(report);
    return report.ok() ? *report : audit::AuditReport{};
  }
  audit::AuditReport Audit() { return Audit(a_.verifier()); }

  // Returns a clearing index c whose previous entry is an order of its interval.
  uint64_t ClearingAfterOrder() {
    for (int n = 0;; ++n) {
      int64_t c = NthOfKind(sim_, v1::LedgerEntry::kIntervalCleared, n);
      if (c < 0) break;
      if (sim_[c - 1].kind == v1::LedgerEntry::kOrderAccepted) return static_cast<uint64_t>(c);
    }
    ADD_FAILURE() << "seed 11 has no clearing right after an order";
    return 1;
  }

  static void ExpectFirst(const audit::AuditReport& r, audit::AuditCheck check, uint64_t index,
                          absl::string_view reason) {
    ASSERT_FALSE(r.ok()) << audit::AuditReportText(r);
    EXPECT_EQ(audit::AuditCheckName(r.first_failure()->check), audit::AuditCheckName(check))
        << audit::AuditReportText(r);
    EXPECT_EQ(r.first_failure()->index, index) << audit::AuditReportText(r);
    EXPECT_THAT(r.first_failure()->reason, HasSubstr(std::string(reason)))
        << audit::AuditReportText(r);
  }
  static bool HasCheck(const audit::AuditReport& r, audit::AuditCheck check) {
    return r.counts[static_cast<size_t>(check)].failed > 0;
  }

  int rotate_after_ = -1;
  std::string dir_, export_;
  ledger::Signer a_ = TestSigner('a');
  ledger::Signer b_ = TestSigner('b');
  std::vector<SimEntry> sim_;
  std::vector<std::string> entries_;
};

TEST_F(AuditTamperTest, UntamperedExportPasses) {
  audit::AuditReport r = Audit();
  EXPECT_TRUE(r.ok()) << audit::AuditReportText(r);
  EXPECT_EQ(r.entries, entries_.size());
}

TEST_F(AuditTamperTest, FlippedByteInAnEntryIsNamed) {
  const uint64_t k = static_cast<uint64_t>(NthOfKind(sim_, v1::LedgerEntry::kOrderAccepted, 9));
  // Flip one bit of the participant id "h<hub>-p<n>" inside the stored bytes: 'h' -> 'i'.
  const size_t at = entries_[k].find("h0-p");
  ASSERT_NE(at, std::string::npos);
  entries_[k][at] ^= 0x01;
  WriteExportEntries(export_, entries_);
  audit::AuditReport r = Audit();
  ExpectFirst(r, audit::AuditCheck::kOrderAcceptance, k, "\"i0-p");
  EXPECT_TRUE(HasCheck(r, audit::AuditCheck::kTree)) << audit::AuditReportText(r);
}

TEST_F(AuditTamperTest, FlippedBitsAlwaysFailAndNeverBlameAnEarlierEntry) {
  const uint64_t seed = 20260101;
  std::mt19937_64 rng(seed);
  const std::vector<std::string> original = entries_;
  for (int trial = 0; trial < 12; ++trial) {
    std::vector<std::string> tampered = original;
    const uint64_t k = rng() % tampered.size();
    const size_t byte = rng() % tampered[k].size();
    tampered[k][byte] ^= static_cast<char>(1u << (rng() % 8));
    WriteExportEntries(export_, tampered);
    audit::AuditReport r = Audit();
    SCOPED_TRACE(::testing::Message()
                 << "seed " << seed << " trial " << trial << ": entry " << k << " byte " << byte);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(HasCheck(r, audit::AuditCheck::kTree)) << audit::AuditReportText(r);
    const audit::AuditFailure& first = *r.first_failure();
    if (!first.tree_size) {
      EXPECT_GE(first.index, k) << audit::AuditReportText(r);
    }
  }
}

TEST_F(AuditTamperTest, DroppedEntryIsNamedWhereTheLogDiverges) {
  // Drop the last order before a clearing: the clearing moves into its place
  // and its book is one order short.
  const uint64_t c = ClearingAfterOrder();
  entries_.erase(entries_.begin() + static_cast<int64_t>(c - 1));
  WriteExportEntries(export_, entries_);
  audit::AuditReport r = Audit();
  ExpectFirst(r, audit::AuditCheck::kClearing, c - 1, "order_count");
  EXPECT_THAT(audit::AuditReportText(r), HasSubstr("are missing")) << audit::AuditReportText(r);
}

TEST_F(AuditTamperTest, SwappedEntriesAreNamed) {
  // Swap an order with the clearing after it: the clearing's book lacks it
  // and the order lands after its interval's clearing.
  const uint64_t c = ClearingAfterOrder();
  std::swap(entries_[c - 1], entries_[c]);
  WriteExportEntries(export_, entries_);
  audit::AuditReport r = Audit();
  ExpectFirst(r, audit::AuditCheck::kClearing, c - 1, "order_count");
  EXPECT_TRUE(r.HasFailure(audit::AuditCheck::kOrderAcceptance, c)) << audit::AuditReportText(r);
  EXPECT_TRUE(HasCheck(r, audit::AuditCheck::kTree)) << audit::AuditReportText(r);
}

TEST_F(AuditTamperTest, SwappedOrdersWithNoEconomicTraceAreCaughtByTheTree) {
  // Two adjacent live orders with different limit prices: their seqs only
  // break price ties, so nothing in the business changes and only the signed
  // tree knows their order. The report names the range, not the entry.
  auto cancelled = [&](const std::string& id) {
    for (const SimEntry& e : sim_) {
      v1::LedgerEntry x;
      x.ParseFromString(e.bytes);
      if (x.has_order_cancelled() && x.order_cancelled().order_id() == id) return true;
    }
    return false;
  };
  uint64_t k = 0;
  for (uint64_t i = 0; i + 1 < sim_.size() && k == 0; ++i) {
    if (sim_[i].kind != v1::LedgerEntry::kOrderAccepted ||
        sim_[i + 1].kind != v1::LedgerEntry::kOrderAccepted) {
      continue;
    }
    v1::LedgerEntry x, y;
    x.ParseFromString(sim_[i].bytes);
    y.ParseFromString(sim_[i + 1].bytes);
    const v1::Order& a = x.order_accepted().order();
    const v1::Order& b = y.order_accepted().order();
    if (a.limit_price_mcu_per_kwh() != b.limit_price_mcu_per_kwh() && !cancelled(a.order_id()) &&
        !cancelled(b.order_id())) {
      k = i;
    }
  }
  ASSERT_NE(k, 0u);
  std::swap(entries_[k], entries_[k + 1]);
  WriteExportEntries(export_, entries_);
  audit::AuditReport r = Audit();
  ExpectFirst(r, audit::AuditCheck::kTree, 0, "rebuild root");
  EXPECT_EQ(r.failure_count, 1u) << audit::AuditReportText(r);
}

TEST_F(AuditTamperTest, ReplacedByAnOlderCheckpointNamesTheFirstUncoveredEntry) {
  ledger::LedgerOptions options;
  options.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto log, ledger::Ledger::Open(dir_ + "/db", options));
  ASSERT_OK_AND_ASSIGN(std::vector<ledger::SignedCheckpoint> all, log->Checkpoints(0));
  ASSERT_GT(all.size(), 3u);
  const ledger::SignedCheckpoint& older = all[all.size() / 2];
  WriteFile(export_ + "/" + ledger::kExportCheckpointFile, older.note);
  audit::AuditReport r = Audit();
  ExpectFirst(r, audit::AuditCheck::kTree, older.checkpoint.tree_size, "beyond the checkpoint");
}

TEST_F(AuditTamperTest, ForgedCheckpointTextFailsItsSignature) {
  // Keep the signature line, change the root in the text to the root of a
  // different tree of the same size.
  std::vector<std::string> other = entries_;
  other[3] += " ";
  const std::string genuine = SignedCheckpointFor(entries_, entries_.size(), a_);
  const std::string forged_text = SignedCheckpointFor(other, other.size(), a_);
  const size_t split = genuine.rfind("\n\n");
  const std::string forged =
      forged_text.substr(0, forged_text.rfind("\n\n")) + genuine.substr(split);
  WriteFile(export_ + "/" + ledger::kExportCheckpointFile, forged);
  audit::AuditReport r = Audit();
  ExpectFirst(r, audit::AuditCheck::kTree, 0, "rebuild root");
  EXPECT_TRUE(HasCheck(r, audit::AuditCheck::kCheckpointSignature)) << audit::AuditReportText(r);
}

TEST_F(AuditTamperTest, ReplacedCheckpointOfAnotherTreeSignedByTheKeyFailsTheTree) {
  std::vector<std::string> other = entries_;
  other[5] += " ";
  WriteFile(export_ + "/" + ledger::kExportCheckpointFile,
            SignedCheckpointFor(other, other.size(), a_));
  audit::AuditReport r = Audit();
  ExpectFirst(r, audit::AuditCheck::kTree, 0, "rebuild root");
  EXPECT_FALSE(HasCheck(r, audit::AuditCheck::kCheckpointSignature)) << audit::AuditReportText(r);
}

TEST_F(AuditTamperTest, CheckpointSignedByAnotherKeyFails) {
  WriteFile(export_ + "/" + ledger::kExportCheckpointFile,
            SignedCheckpointFor(entries_, entries_.size(), TestSigner('z')));
  audit::AuditReport r = Audit();
  ExpectFirst(r, audit::AuditCheck::kCheckpointSignature, 0, "not signed by the key in force");
  EXPECT_EQ(r.failure_count, 1u) << audit::AuditReportText(r);
}

class AuditRotationTest : public AuditTamperTest {
 protected:
  AuditRotationTest() { rotate_after_ = 3; }
};

TEST_F(AuditRotationTest, RotationIsFollowedFromTheFirstKeyOrTrustedFromTheLatest) {
  audit::AuditReport from_first = Audit(a_.verifier());
  EXPECT_TRUE(from_first.ok()) << audit::AuditReportText(from_first);
  EXPECT_EQ(from_first.key_rotations, 1u);
  EXPECT_EQ(from_first.latest->verifier_key, b_.verifier().ToString());
  audit::AuditReport from_latest = Audit(b_.verifier());
  EXPECT_TRUE(from_latest.ok()) << audit::AuditReportText(from_latest);
}

TEST_F(AuditRotationTest, AKeyOutsideTheChainFails) {
  audit::AuditReport r = Audit(TestSigner('z').verifier());
  ExpectFirst(r, audit::AuditCheck::kCheckpointSignature, 0, "is not in the log's key chain");
}

TEST_F(AuditRotationTest, ForgedRotationIsNotFollowed) {
  // Replace the rotation entry with one claiming A -> E but signed by E, and
  // re-sign the checkpoint with E: a takeover attempt.
  const ledger::Signer e = TestSigner('e');
  const int64_t r = NthOfKind(sim_, v1::LedgerEntry::kKeyRotated, 0);
  ASSERT_GE(r, 0);
  v1::LedgerEntry forged;
  ASSERT_TRUE(forged.ParseFromString(ledger::MakeKeyRotationEntry(e, e.verifier(), 1)));
  forged.mutable_key_rotated()->set_old_verifier_key(a_.verifier().ToString());
  entries_[r] = forged.SerializeAsString();
  WriteExportEntries(export_, entries_);
  WriteFile(export_ + "/" + ledger::kExportCheckpointFile,
            SignedCheckpointFor(entries_, entries_.size(), e));
  audit::AuditReport report = Audit(a_.verifier());
  ExpectFirst(report, audit::AuditCheck::kKeyRotation, static_cast<uint64_t>(r), "not followed");
  EXPECT_TRUE(HasCheck(report, audit::AuditCheck::kCheckpointSignature))
      << audit::AuditReportText(report);
}

}  // namespace
}  // namespace peergrid::services
