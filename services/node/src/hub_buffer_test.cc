// HubBuffer: the hub's durable store-and-forward queue — seq assignment,
// ordered reads of the unacknowledged range, acks that trim it, what survives
// a reopen, waiting for new reports, and the errors of Open.
#include "peergrid/node/hub_buffer.h"

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/storage/key_codec.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"

namespace peergrid::node {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::IsOkAndHolds;
using ::peergrid::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kT0Ms = 1'782'000'000'000;

// A report measured i seconds after kT0Ms whose meter counter is i.
v1::HubReport Report(int64_t i) {
  v1::HubReport r;
  r.set_hub_id("hub-1");
  r.set_zone_id("zone-1");
  r.set_measured_at_unix_ms(kT0Ms + i * 1000);
  v1::MeterReading* m = r.add_meters();
  m->set_participant_id("h1");
  m->set_import_wh(i);
  return r;
}

std::vector<uint64_t> Seqs(const std::vector<v1::HubReport>& reports) {
  std::vector<uint64_t> out;
  for (const v1::HubReport& r : reports) out.push_back(r.seq());
  return out;
}
// The seqs of a successful ReadAfter (a failed one fails the test).
std::vector<uint64_t> Seqs(const absl::StatusOr<std::vector<v1::HubReport>>& reports) {
  EXPECT_THAT(reports, IsOk());
  return reports.ok() ? Seqs(*reports) : std::vector<uint64_t>{};
}

// The stored size of report i once it carries `seq`.
uint64_t StoredBytes(int64_t i, uint64_t seq) {
  v1::HubReport r = Report(i);
  r.set_seq(seq);
  return r.ByteSizeLong();
}

class HubBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("hub_buffer");
    Reopen();
  }
  void Reopen() {
    buffer_.reset();
    ASSERT_OK_AND_ASSIGN(buffer_, HubBuffer::Open(dir_));
  }
  void AppendReports(int64_t from, int64_t to) {
    for (int64_t i = from; i <= to; ++i) ASSERT_THAT(buffer_->Append(Report(i)), IsOk());
  }

  std::string dir_;
  std::unique_ptr<HubBuffer> buffer_;
};

TEST_F(HubBufferTest, AFreshBufferIsEmpty) {
  EXPECT_EQ(buffer_->next_seq(), 1u);
  EXPECT_EQ(buffer_->acked_seq(), 0u);
  EXPECT_FALSE(buffer_->LastReport().has_value());
  EXPECT_THAT(buffer_->ReadAfter(0, 100), IsOkAndHolds(IsEmpty()));
  EXPECT_EQ(buffer_->Usage().pending_reports, 0u);
  EXPECT_EQ(buffer_->Usage().pending_bytes, 0u);
}

TEST_F(HubBufferTest, AppendAssignsConsecutiveSeqsOverridingTheCallers) {
  v1::HubReport claimed = Report(1);
  claimed.set_seq(99);  // the buffer owns the numbering
  ASSERT_OK_AND_ASSIGN(uint64_t first, buffer_->Append(claimed));
  EXPECT_EQ(first, 1u);
  ASSERT_OK_AND_ASSIGN(uint64_t second, buffer_->Append(Report(2)));
  EXPECT_EQ(second, 2u);
  EXPECT_EQ(buffer_->next_seq(), 3u);
  ASSERT_TRUE(buffer_->LastReport().has_value());
  EXPECT_EQ(buffer_->LastReport()->seq(), 2u);
  EXPECT_EQ(buffer_->LastReport()->meters(0).import_wh(), 2);
  ASSERT_OK_AND_ASSIGN(const std::vector<v1::HubReport> all, buffer_->ReadAfter(0, 10));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].seq(), 1u);  // stored with the assigned seq, not 99
  EXPECT_EQ(all[0].measured_at_unix_ms(), kT0Ms + 1000);
}

TEST_F(HubBufferTest, ReadAfterReturnsTheRangeInOrderUpToMax) {
  AppendReports(1, 300);  // seqs past 255 check the key order is numeric
  EXPECT_THAT(Seqs(buffer_->ReadAfter(2, 3)), ElementsAre(3u, 4u, 5u));
  EXPECT_THAT(Seqs(buffer_->ReadAfter(254, 3)), ElementsAre(255u, 256u, 257u));
  EXPECT_THAT(Seqs(buffer_->ReadAfter(298, 100)), ElementsAre(299u, 300u));
  EXPECT_THAT(buffer_->ReadAfter(300, 100), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(buffer_->ReadAfter(0, 0), IsOkAndHolds(IsEmpty()));
  ASSERT_OK_AND_ASSIGN(const std::vector<v1::HubReport> all, buffer_->ReadAfter(0, 1000));
  ASSERT_EQ(all.size(), 300u);
  for (size_t k = 0; k < all.size(); ++k) {
    ASSERT_EQ(all[k].seq(), k + 1);
    ASSERT_EQ(all[k].meters(0).import_wh(), static_cast<int64_t>(k + 1));  // content kept
  }
}

TEST_F(HubBufferTest, AckTrimsTheAcknowledgedPrefix) {
  AppendReports(1, 5);
  EXPECT_EQ(buffer_->Usage().pending_reports, 5u);
  ASSERT_OK(buffer_->Ack(3));
  EXPECT_EQ(buffer_->acked_seq(), 3u);
  // Reading from before the ack finds only what is still pending.
  EXPECT_THAT(Seqs(buffer_->ReadAfter(0, 100)), ElementsAre(4u, 5u));
  const BufferUsage usage = buffer_->Usage();
  EXPECT_EQ(usage.pending_reports, 2u);
  EXPECT_EQ(usage.pending_bytes, StoredBytes(4, 4) + StoredBytes(5, 5));
  EXPECT_EQ(buffer_->next_seq(), 6u);  // acks never change the numbering
}

TEST_F(HubBufferTest, AnOlderAckIsIgnored) {
  AppendReports(1, 5);
  ASSERT_OK(buffer_->Ack(4));
  ASSERT_OK(buffer_->Ack(2));
  ASSERT_OK(buffer_->Ack(4));
  EXPECT_EQ(buffer_->acked_seq(), 4u);
  EXPECT_THAT(Seqs(buffer_->ReadAfter(0, 100)), ElementsAre(5u));
  EXPECT_EQ(buffer_->Usage().pending_reports, 1u);
}

TEST_F(HubBufferTest, AnAckBeyondTheLastSeqClampsToIt) {
  AppendReports(1, 3);
  ASSERT_OK(buffer_->Ack(1000));
  EXPECT_EQ(buffer_->acked_seq(), 3u);
  EXPECT_EQ(buffer_->Usage().pending_reports, 0u);
  EXPECT_EQ(buffer_->Usage().pending_bytes, 0u);
  // Reports appended later are pending, not covered by the early ack.
  ASSERT_OK_AND_ASSIGN(uint64_t seq, buffer_->Append(Report(4)));
  EXPECT_EQ(seq, 4u);
  EXPECT_THAT(Seqs(buffer_->ReadAfter(buffer_->acked_seq(), 100)), ElementsAre(4u));
  // The same on an empty buffer.
  dir_ = ::peergrid::testing::FreshTempDir("empty");
  Reopen();
  ASSERT_OK(buffer_->Ack(5));
  EXPECT_EQ(buffer_->acked_seq(), 0u);
  ASSERT_OK_AND_ASSIGN(seq, buffer_->Append(Report(1)));
  EXPECT_EQ(seq, 1u);
  EXPECT_THAT(Seqs(buffer_->ReadAfter(0, 100)), ElementsAre(1u));
}

TEST_F(HubBufferTest, TheLastReportOutlivesItsAck) {
  AppendReports(1, 3);
  ASSERT_OK(buffer_->Ack(3));
  EXPECT_THAT(buffer_->ReadAfter(0, 100), IsOkAndHolds(IsEmpty()));
  ASSERT_TRUE(buffer_->LastReport().has_value());
  EXPECT_EQ(buffer_->LastReport()->seq(), 3u);
  Reopen();
  ASSERT_TRUE(buffer_->LastReport().has_value());
  EXPECT_EQ(buffer_->LastReport()->seq(), 3u);
  EXPECT_EQ(buffer_->LastReport()->meters(0).import_wh(), 3);
}

TEST_F(HubBufferTest, PendingReportsSeqsAndSizesSurviveAReopen) {
  AppendReports(1, 6);
  ASSERT_OK(buffer_->Ack(2));
  const uint64_t bytes_before = buffer_->Usage().pending_bytes;
  Reopen();
  EXPECT_EQ(buffer_->next_seq(), 7u);
  EXPECT_EQ(buffer_->acked_seq(), 2u);
  EXPECT_THAT(Seqs(buffer_->ReadAfter(buffer_->acked_seq(), 100)), ElementsAre(3u, 4u, 5u, 6u));
  EXPECT_EQ(buffer_->Usage().pending_reports, 4u);
  EXPECT_EQ(buffer_->Usage().pending_bytes, bytes_before);
  EXPECT_EQ(bytes_before,
            StoredBytes(3, 3) + StoredBytes(4, 4) + StoredBytes(5, 5) + StoredBytes(6, 6));
  // Numbering continues after the reopen; acks keep working.
  ASSERT_OK_AND_ASSIGN(uint64_t seq, buffer_->Append(Report(7)));
  EXPECT_EQ(seq, 7u);
  ASSERT_OK(buffer_->Ack(5));
  Reopen();
  EXPECT_EQ(buffer_->acked_seq(), 5u);
  EXPECT_THAT(Seqs(buffer_->ReadAfter(0, 100)), ElementsAre(6u, 7u));
  EXPECT_EQ(buffer_->next_seq(), 8u);
}

TEST_F(HubBufferTest, WaitForNewAnswersWhetherAReportAfterTheSeqIsBuffered) {
  EXPECT_FALSE(buffer_->WaitForNew(0, absl::InfinitePast()));
  AppendReports(1, 2);
  EXPECT_TRUE(buffer_->WaitForNew(0, absl::InfinitePast()));
  EXPECT_TRUE(buffer_->WaitForNew(1, absl::InfinitePast()));
  EXPECT_FALSE(buffer_->WaitForNew(2, absl::InfinitePast()));
  // Acks do not matter: the question is about seqs, not pending reports.
  ASSERT_OK(buffer_->Ack(2));
  EXPECT_TRUE(buffer_->WaitForNew(1, absl::InfinitePast()));
}

TEST_F(HubBufferTest, AnAppendWakesAWaiter) {
  bool woke_with_report = false;
  std::thread waiter([&] {
    // Bounded so a broken wake-up fails the test instead of hanging it.
    woke_with_report = buffer_->WaitForNew(0, absl::Now() + absl::Seconds(60));
  });
  ASSERT_THAT(buffer_->Append(Report(1)), IsOk());
  waiter.join();
  EXPECT_TRUE(woke_with_report);
}

TEST_F(HubBufferTest, CloseWakesWaitersWithoutAReport) {
  bool result = true;
  std::thread waiter([&] { result = buffer_->WaitForNew(0, absl::Now() + absl::Seconds(60)); });
  buffer_->Close();
  waiter.join();
  EXPECT_FALSE(result);
  // Once closed, waits return at once; an already buffered report still counts.
  const absl::Time start = absl::Now();
  EXPECT_FALSE(buffer_->WaitForNew(0, absl::InfiniteFuture()));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  ASSERT_THAT(buffer_->Append(Report(1)), IsOk());
  EXPECT_TRUE(buffer_->WaitForNew(0, absl::InfiniteFuture()));
}

TEST_F(HubBufferTest, UsageReportsTheDiskAndDiskWarningLevelsFollowIt) {
  AppendReports(1, 2);
  const BufferUsage usage = buffer_->Usage();
  EXPECT_EQ(usage.pending_bytes, StoredBytes(1, 1) + StoredBytes(2, 2));
  EXPECT_GT(usage.disk_total_bytes, 0u);
  EXPECT_LE(usage.disk_free_bytes, usage.disk_total_bytes);
  EXPECT_GE(usage.disk_used_ratio(), 0.0);
  EXPECT_LE(usage.disk_used_ratio(), 1.0);

  BufferUsage u;
  EXPECT_EQ(u.disk_used_ratio(), 0.0);  // unknown disk: no warning
  EXPECT_EQ(DiskWarningLevel(u), 0);
  u.disk_total_bytes = 1000;
  const std::pair<uint64_t, int> levels[] = {{1000, 0}, {210, 0}, {190, 1}, {110, 1},
                                             {90, 2},   {60, 2},  {40, 3},  {0, 3}};
  for (const auto& [free_bytes, level] : levels) {
    u.disk_free_bytes = free_bytes;
    EXPECT_EQ(DiskWarningLevel(u), level) << free_bytes << " of 1000 bytes free";
  }
}

TEST_F(HubBufferTest, OpenFailsWithUnavailableWhenTheDirectoryIsInUseOrNotADirectory) {
  EXPECT_THAT(HubBuffer::Open(dir_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("open hub buffer " + dir_)));
  const std::string file = ::peergrid::testing::FreshTempDir("not_a_dir") + "/file";
  std::ofstream(file) << "x";
  EXPECT_THAT(HubBuffer::Open(file),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("open hub buffer")));
}

// Writes raw keys (layout from hub_buffer.cc) into the closed buffer's RocksDB.
void PutRaw(const std::string& dir, const std::string& key, const std::string& value) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
}

TEST_F(HubBufferTest, OpenRefusesAnAckAtOrAboveTheNextSeqWithDataLoss) {
  AppendReports(1, 2);
  buffer_.reset();
  PutRaw(dir_, "meta/acked", storage::Fixed64(3));  // next is 3
  EXPECT_THAT(HubBuffer::Open(dir_), StatusIs(absl::StatusCode::kDataLoss,
                                              HasSubstr("next seq 3 is not above acked seq 3")));
}

TEST_F(HubBufferTest, OpenRefusesAnUnreadableNextSeqWithDataLoss) {
  AppendReports(1, 1);
  buffer_.reset();
  PutRaw(dir_, "meta/next", "bad");  // not 8 bytes: reads as 0
  EXPECT_THAT(HubBuffer::Open(dir_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("next seq 0")));
}

TEST_F(HubBufferTest, OpenRefusesAnUnparsableLastReportWithDataLoss) {
  AppendReports(1, 1);
  buffer_.reset();
  PutRaw(dir_, "meta/last", std::string("\xff\xff\xff", 3));
  EXPECT_THAT(HubBuffer::Open(dir_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("last report does not parse")));
}

TEST_F(HubBufferTest, OpenRefusesAnUnreadableAckedSeqWithDataLossNamingTheKey) {
  AppendReports(1, 2);
  ASSERT_OK(buffer_->Ack(1));
  buffer_.reset();
  PutRaw(dir_, "meta/acked", "bad");
  EXPECT_THAT(HubBuffer::Open(dir_),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("key meta/acked holds no acked seq (fixed64 value is 3 bytes")));
}

TEST_F(HubBufferTest, OpenRefusesAQueueKeyOfTheWrongLengthWithDataLoss) {
  AppendReports(1, 1);
  buffer_.reset();
  PutRaw(dir_, "q/abc", Report(9).SerializeAsString());
  EXPECT_THAT(HubBuffer::Open(dir_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("key of 5 bytes is not \"q/\"")));
}

TEST_F(HubBufferTest, ABufferedReportThatDoesNotParseIsDataLossNeverSkipped) {
  AppendReports(1, 3);
  buffer_.reset();
  PutRaw(dir_, storage::KeyU64("q/", 2), std::string("\xff\xff\xff", 3));
  Reopen();
  // Skipping it would send 3, the exchange would ack 3, and 2 would be lost.
  EXPECT_THAT(buffer_->ReadAfter(0, 10),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("hub buffer " + dir_), HasSubstr("buffered report q/2"))));
  EXPECT_THAT(buffer_->ReadAfter(1, 1),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("buffered report q/2")));
  EXPECT_THAT(Seqs(buffer_->ReadAfter(0, 1)), ElementsAre(1u));   // before the damage
  EXPECT_THAT(Seqs(buffer_->ReadAfter(2, 10)), ElementsAre(3u));  // after it
}

TEST(HubBufferReopenTest, SeqsAndPendingReportsSurviveReopen) {
  const std::string dir = peergrid::testing::FreshTempDir("hub_buffer");
  {
    ASSERT_OK_AND_ASSIGN(auto buffer, HubBuffer::Open(dir));
    for (int i = 1; i <= 5; ++i) {
      ASSERT_OK_AND_ASSIGN(uint64_t seq, buffer->Append(Report(i)));
      EXPECT_EQ(seq, static_cast<uint64_t>(i));
    }
    ASSERT_OK(buffer->Ack(2));
  }
  ASSERT_OK_AND_ASSIGN(auto buffer, HubBuffer::Open(dir));
  EXPECT_EQ(buffer->next_seq(), 6u);
  EXPECT_EQ(buffer->acked_seq(), 2u);
  ASSERT_OK_AND_ASSIGN(const std::vector<v1::HubReport> pending,
                       buffer->ReadAfter(buffer->acked_seq(), 100));
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].seq(), 3u);
  EXPECT_EQ(buffer->Usage().pending_reports, 3u);
  EXPECT_GT(buffer->Usage().disk_total_bytes, 0u);
  BufferUsage full;
  full.disk_total_bytes = 100;
  full.disk_free_bytes = 4;
  EXPECT_EQ(DiskWarningLevel(full), 3);
  full.disk_free_bytes = 50;
  EXPECT_EQ(DiskWarningLevel(full), 0);
}

}  // namespace
}  // namespace peergrid::node
