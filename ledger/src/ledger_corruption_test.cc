// Corruption: every kind of damage to a stored ledger or an export is refused
// with DataLoss (or PermissionDenied for signatures) naming the entry index.
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger_store.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/storage/key_codec.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "rocksdb/db.h"

namespace peergrid::ledger {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint64_t kEntries = 40;

LedgerOptions Options() {
  LedgerOptions options;
  options.origin = "peergrid/corrupt";
  return options;
}

// Builds a ledger of kEntries entries (batches of 4) with checkpoints at 20
// and 40; returns its directory.
std::string MakeLedger(const std::string& name) {
  std::string dir = peergrid::testing::FreshTempDir(name);
  auto ledger = Ledger::Open(dir, Options());
  EXPECT_OK(ledger.status());
  for (uint64_t i = 0; i < kEntries; i += 4) {
    std::vector<std::string> batch;
    for (uint64_t j = i; j < i + 4; ++j) batch.push_back(absl::StrCat("entry-", j));
    EXPECT_OK((*ledger)->AppendBatch(batch).status());
    if (i + 4 == 20) {
      EXPECT_OK((*ledger)->Checkpoint().status());
    }
  }
  EXPECT_OK((*ledger)->Checkpoint().status());
  return dir;
}

// Edits the database behind the ledger's back.
void Tamper(const std::string& dir, const std::function<void(rocksdb::DB*)>& edit) {
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(store::DbOptions(false), dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  edit(db.get());
  ASSERT_TRUE(db->Close().ok());
}

std::string Get(rocksdb::DB* db, const std::string& key) {
  std::string value;
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), key, &value).ok());
  return value;
}

void Put(rocksdb::DB* db, const std::string& key, const std::string& value) {
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
}

TEST(LedgerCorruptionTest, IntactLedgerOpens) {
  std::string dir = MakeLedger("corrupt_none");
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, Options()));
  EXPECT_EQ(ledger->Size(), kEntries);
  EXPECT_OK(ledger->VerifyAll());
}

TEST(LedgerCorruptionTest, FlippedByteInEntryNamesIndex) {
  std::string dir = MakeLedger("corrupt_flip");
  Tamper(dir, [](rocksdb::DB* db) {
    std::string e = Get(db, store::Key(store::kEntry, 13));
    e[2] ^= 0x01;
    Put(db, store::Key(store::kEntry, 13), e);
  });
  EXPECT_THAT(Ledger::Open(dir, Options()).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 13 does not match")));
}

TEST(LedgerCorruptionTest, MissingEntryNamesIndex) {
  std::string dir = MakeLedger("corrupt_missing");
  Tamper(dir, [](rocksdb::DB* db) {
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), store::Key(store::kEntry, 7)).ok());
  });
  EXPECT_THAT(Ledger::Open(dir, Options()).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 7 is missing")));
}

TEST(LedgerCorruptionTest, MissingLastEntryNamesIndex) {
  std::string dir = MakeLedger("corrupt_missing_last");
  Tamper(dir, [](rocksdb::DB* db) {
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), store::Key(store::kEntry, 39)).ok());
  });
  EXPECT_THAT(Ledger::Open(dir, Options()).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 39 is missing")));
}

TEST(LedgerCorruptionTest, FlippedMerkleNodeNamesIndex) {
  std::string dir = MakeLedger("corrupt_node");
  Tamper(dir, [](rocksdb::DB* db) {
    // The batch at 8 holds entries 8..11; entry 9's leaf hash starts at
    // byte 32 (entry 8 stores one hash).
    std::string nodes = Get(db, store::Key(store::kNodes, 8));
    nodes[40] ^= 0x10;
    Put(db, store::Key(store::kNodes, 8), nodes);
  });
  EXPECT_THAT(Ledger::Open(dir, Options()).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 9 does not match")));
}

// An attacker who rewrites an entry and its nodes consistently is caught by
// the signed checkpoints, which bound where the change is.
TEST(LedgerCorruptionTest, ConsistentRewriteIsCaughtByCheckpoint) {
  std::string dir = MakeLedger("corrupt_rewrite");
  std::string other = MakeLedger("corrupt_rewrite_src");
  // Build the forged state: the same log but entry 25 differs.
  std::string forged = peergrid::testing::FreshTempDir("corrupt_rewrite_forged");
  {
    LedgerOptions options = Options();
    ASSERT_OK_AND_ASSIGN(auto f, Ledger::Open(forged, options));
    for (uint64_t i = 0; i < kEntries; i += 4) {
      std::vector<std::string> batch;
      for (uint64_t j = i; j < i + 4; ++j) {
        batch.push_back(j == 25 ? std::string("forged") : absl::StrCat("entry-", j));
      }
      ASSERT_OK(f->AppendBatch(batch).status());
    }
  }
  std::string forged_entry;
  std::map<uint64_t, std::string> forged_nodes;
  Tamper(forged, [&](rocksdb::DB* db) {
    forged_entry = Get(db, store::Key(store::kEntry, 25));
    // Entry 25's hash feeds the parents stored with every later batch.
    for (uint64_t first = 24; first < kEntries; first += 4) {
      forged_nodes[first] = Get(db, store::Key(store::kNodes, first));
    }
  });
  Tamper(dir, [&](rocksdb::DB* db) {
    Put(db, store::Key(store::kEntry, 25), forged_entry);
    for (const auto& [first, nodes] : forged_nodes)
      Put(db, store::Key(store::kNodes, first), nodes);
  });
  EXPECT_THAT(
      Ledger::Open(dir, Options()).status(),
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(HasSubstr("differs from the signed checkpoint"), HasSubstr("[20, 40)"))));
}

TEST(LedgerCorruptionTest, TamperedCheckpointIsRefused) {
  std::string dir = MakeLedger("corrupt_checkpoint");
  Tamper(dir, [](rocksdb::DB* db) {
    std::string note = Get(db, store::Key(store::kCheckpoint, 40));
    note[note.size() - 5] = note[note.size() - 5] == 'A' ? 'B' : 'A';
    Put(db, store::Key(store::kCheckpoint, 40), note);
  });
  EXPECT_THAT(Ledger::Open(dir, Options()).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("checkpoint at size 40"), HasSubstr("does not verify"))));
}

TEST(LedgerCorruptionTest, AnUnparsableEarlierCheckpointIsDataLossNotSkipped) {
  std::string dir = MakeLedger("corrupt_listed_checkpoint");
  // Open verifies only the latest checkpoint (40); the one at 20 is listed.
  Tamper(dir, [](rocksdb::DB* db) {
    Put(db, store::Key(store::kCheckpoint, 20), "not a checkpoint note");
  });
  ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, Options()));
  EXPECT_THAT(ledger->Checkpoints(0),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("stored checkpoint at size 20 does not parse")));
  EXPECT_THAT(ledger->CheckpointAt(20),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("stored checkpoint at size 20 does not parse")));
  // Past the damage the listing works; the full verification names it too.
  EXPECT_THAT(ledger->Checkpoints(20), IsOk());
  EXPECT_THAT(ledger->VerifyAll(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("size 20")));
}

TEST(LedgerCorruptionTest, ATreeSizeOfTheWrongLengthIsDataLoss) {
  std::string dir = MakeLedger("corrupt_size_key");
  Tamper(dir, [](rocksdb::DB* db) { Put(db, store::kSizeKey, "short"); });
  EXPECT_THAT(Ledger::Open(dir, Options()),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("stored tree size (key m:size)"), HasSubstr("5 bytes"))));
}

TEST(LedgerCorruptionTest, LostTailBelowCheckpointNamesIndex) {
  std::string dir = MakeLedger("corrupt_tail");
  Tamper(dir, [](rocksdb::DB* db) {
    for (uint64_t i = 36; i < kEntries; ++i) {
      ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), store::Key(store::kEntry, i)).ok());
    }
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), store::Key(store::kNodes, 36)).ok());
    Put(db, store::kSizeKey, storage::BigEndian64(36));
  });
  EXPECT_THAT(Ledger::Open(dir, Options()).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("entries [36, 40) are lost"), HasSubstr("index 36"))));
}

TEST(LedgerCorruptionTest, ForeignKeyFileIsRefused) {
  std::string dir = MakeLedger("corrupt_key");
  ASSERT_OK_AND_ASSIGN(Signer other, Signer::Generate("peergrid/corrupt"));
  std::ofstream(dir + "/log-key.pem", std::ios::trunc) << other.Pkcs8Pem();
  EXPECT_THAT(Ledger::Open(dir, Options()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("log-key.pem holds")));
}

class ExportCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = MakeLedger("export_src");
    out_ = peergrid::testing::FreshTempDir("export_out");
    ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir, Options()));
    ASSERT_OK(ExportLedger(*ledger, out_));
    entries_path_ = out_ + "/entries";
  }

  std::string ReadEntries() {
    std::ifstream in(entries_path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void WriteEntries(const std::string& bytes) {
    std::ofstream(entries_path_, std::ios::binary | std::ios::trunc) << bytes;
  }

  // Offset of entry `index`'s record in the entries file.
  static size_t Offset(uint64_t index) {
    size_t offset = 0;
    for (uint64_t i = 0; i < index; ++i) offset += 4 + absl::StrCat("entry-", i).size();
    return offset;
  }

  std::string out_;
  std::string entries_path_;
};

TEST_F(ExportCorruptionTest, IntactExportVerifies) {
  ASSERT_OK_AND_ASSIGN(ExportSummary summary, VerifyExport(out_));
  EXPECT_EQ(summary.entries, kEntries);
  EXPECT_EQ(summary.checkpoint.tree_size, kEntries);
  EXPECT_EQ(summary.checkpoint.origin, "peergrid/corrupt");
}

TEST_F(ExportCorruptionTest, TruncatedInsideAnEntryNamesIndex) {
  std::string bytes = ReadEntries();
  WriteEntries(bytes.substr(0, bytes.size() - 3));
  EXPECT_THAT(VerifyExport(out_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 39 is truncated")));
}

TEST_F(ExportCorruptionTest, MissingEntriesNameIndex) {
  std::string bytes = ReadEntries();
  WriteEntries(bytes.substr(0, Offset(30)));
  EXPECT_THAT(VerifyExport(out_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 30 is missing")));
}

TEST_F(ExportCorruptionTest, FlippedByteFailsTheRoot) {
  std::string bytes = ReadEntries();
  bytes[Offset(17) + 6] ^= 0x01;
  WriteEntries(bytes);
  EXPECT_THAT(VerifyExport(out_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not the checkpoint's")));
}

TEST_F(ExportCorruptionTest, ExtraEntryIsRefused) {
  std::string bytes = ReadEntries();
  AppendEntryRecord("extra", &bytes);
  WriteEntries(bytes);
  EXPECT_THAT(VerifyExport(out_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 40 is beyond")));
}

TEST_F(ExportCorruptionTest, WrongKeyIsRefused) {
  ASSERT_OK_AND_ASSIGN(Signer other, Signer::Generate("peergrid/corrupt"));
  std::ofstream(out_ + "/log.pub", std::ios::trunc) << other.verifier().ToString() << "\n";
  EXPECT_THAT(VerifyExport(out_), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("log.pub.pem holds a different key")));
  std::ofstream(out_ + "/log.pub.pem", std::ios::trunc) << other.verifier().PublicKeyPem();
  EXPECT_THAT(VerifyExport(out_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no signature by key")));
}

}  // namespace
}  // namespace peergrid::ledger
