// TelemetryStore: the ingest rules (dedup by (hub_id, seq), rejections and
// their codes, what counts as processed), durability across a reopen, latest
// state, interval reads, battery history and the alarms it feeds.
#include "peergrid/telemetry/telemetry_store.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/storage/key_codec.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"

namespace peergrid::telemetry {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::IsOkAndHolds;
using ::peergrid::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using Outcome = IngestResult::Outcome;

constexpr int64_t kT0Ms = 1'782'000'000'000;  // aligned to 60 s and to 900 s
// The exchange clock at ingest: an hour after kT0Ms, so that reports measured
// up to an hour after kT0Ms and reads of its first intervals are not ahead of it.
constexpr int64_t kNowMs = kT0Ms + 3'600'000;
constexpr int64_t kInterval = 1'782'000'000;  // a 900 s interval start, Unix seconds

// A valid report of hub-1: one meter, one NMC bank (no alarm), grid counters,
// all counters growing with seq; measured seq seconds after kT0Ms.
v1::HubReport MakeReport(uint64_t seq) {
  v1::HubReport r;
  r.set_hub_id("hub-1");
  r.set_zone_id("zone-1");
  r.set_seq(seq);
  r.set_measured_at_unix_ms(kT0Ms + static_cast<int64_t>(seq) * 1000);
  v1::MeterReading* m = r.add_meters();
  m->set_participant_id("h1");
  m->set_import_wh(static_cast<int64_t>(seq) * 10);
  m->set_export_wh(static_cast<int64_t>(seq));
  m->set_pv_wh(static_cast<int64_t>(seq) * 2);
  v1::BatteryBankReading* b = r.add_banks();
  b->set_bank_id("bank-1");
  b->set_soc_pct(60);
  b->set_soh_pct(95);
  b->set_cell_temp_max_c(25);
  b->set_cell_temp_min_c(20);
  b->set_chemistry(v1::NMC);
  b->set_charged_wh(static_cast<int64_t>(seq) * 3);
  b->set_discharged_wh(static_cast<int64_t>(seq));
  r.mutable_grid()->set_import_wh(static_cast<int64_t>(seq));
  r.mutable_grid()->set_export_wh(static_cast<int64_t>(seq));
  return r;
}

v1::IntervalRead MakeRead(int64_t start, int64_t import_wh, v1::ReadQuality quality = v1::OK) {
  v1::IntervalRead read;
  read.set_interval_start(start);
  read.set_import_wh(import_wh);
  read.set_export_wh(1);
  read.set_quality(quality);
  return read;
}

class TelemetryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("telemetry");
    // Thresholds and bands alone: every report is judged at once.
    for (hub::AlarmRule& r : options_.alarms.bank_rules) r.dwell_s = 0;
    Reopen();
  }

  void Reopen() {
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, TelemetryStore::Open(dir_, options_));
  }

  // Ingests `reports` of `hub_id` in one call; fails the test on a write error.
  std::vector<IngestResult> Ingest(const std::vector<v1::HubReport>& reports,
                                   int64_t now_ms = kNowMs, const std::string& hub_id = "hub-1",
                                   std::vector<absl::Status> prechecks = {}) {
    std::vector<const v1::HubReport*> pointers;
    for (const v1::HubReport& r : reports) pointers.push_back(&r);
    absl::StatusOr<std::vector<IngestResult>> results =
        store_->Ingest(hub_id, pointers, now_ms, prechecks);
    EXPECT_THAT(results, IsOk());
    if (!results.ok()) return {};
    EXPECT_EQ(results->size(), reports.size());
    return *std::move(results);
  }

  // Ingests one report and returns its result.
  IngestResult IngestOne(const v1::HubReport& report, int64_t now_ms = kNowMs) {
    std::vector<IngestResult> results = Ingest({report}, now_ms, report.hub_id());
    return results.empty() ? IngestResult{} : results[0];
  }

  int64_t LatestImportWh(const std::string& hub_id = "hub-1") {
    absl::StatusOr<HubSnapshot> latest = store_->Latest(hub_id);
    if (!latest.ok() || latest->report.meters_size() == 0) return -1;
    return latest->report.meters(0).import_wh();
  }

  // Closes the store and writes `value` under `key` behind its back (key
  // layout from telemetry_store.cc); Reopen() to see it.
  void PutRaw(const std::string& key, const std::string& value) {
    store_.reset();
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
  }

  std::string dir_;
  TelemetryOptions options_;
  std::unique_ptr<TelemetryStore> store_;
};

// Keys as telemetry_store.cc lays them out.
std::string ReportKey(const std::string& hub, uint64_t seq) {
  return storage::KeyU64("r/" + hub + "/", seq);
}
std::string ReadKey(int64_t interval_start, const std::string& participant) {
  std::string k = "i/";
  storage::PutOrderedInt64(&k, interval_start);
  return k + "/" + participant;
}
std::string HistoryKey(const std::string& hub, const std::string& bank, int64_t bucket_ms) {
  std::string k = "b/" + hub + "/" + bank + "/";
  storage::PutOrderedInt64(&k, bucket_ms);
  return k;
}
const std::string kGarbage("\xff\xff\xff", 3);

TEST_F(TelemetryStoreTest, StoresANewReportAsTheHubsLatest) {
  EXPECT_THAT(store_->Latest("hub-1"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("hub-1")));
  EXPECT_EQ(store_->LastSeq("hub-1"), 0u);

  const IngestResult r = IngestOne(MakeReport(1));
  EXPECT_EQ(r.seq, 1u);
  EXPECT_EQ(r.outcome, Outcome::kStored);
  EXPECT_THAT(r.rejection, IsOk());

  EXPECT_EQ(store_->LastSeq("hub-1"), 1u);
  ASSERT_OK_AND_ASSIGN(HubSnapshot latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.seq(), 1u);
  EXPECT_EQ(latest.report.meters(0).import_wh(), 10);
  EXPECT_EQ(latest.received_at_unix_ms, kNowMs);  // the exchange clock, not the hub's
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u)));
  EXPECT_THAT(store_->ReportingHubs(), ElementsAre("hub-1"));
  // Other hubs are untouched.
  EXPECT_EQ(store_->LastSeq("hub-2"), 0u);
  EXPECT_THAT(store_->StoredSeqs("hub-2"), IsOkAndHolds(IsEmpty()));
}

TEST_F(TelemetryStoreTest, ResentSeqWithTheSameMeasurementTimeIsADuplicateAndDropped) {
  Ingest({MakeReport(1), MakeReport(2)});
  v1::HubReport resend = MakeReport(2);
  resend.mutable_meters(0)->set_import_wh(999);  // same (hub, seq, time), other content
  const IngestResult r = IngestOne(resend, kNowMs + 1000);
  EXPECT_EQ(r.outcome, Outcome::kDuplicate);
  EXPECT_THAT(r.rejection, IsOk());
  // The stored copy wins; nothing new is stored.
  EXPECT_EQ(LatestImportWh(), 20);
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u, 2u)));
  EXPECT_EQ(store_->LastSeq("hub-1"), 2u);
  // An older duplicate is dropped too and does not become the latest.
  EXPECT_EQ(IngestOne(MakeReport(1)).outcome, Outcome::kDuplicate);
  ASSERT_OK_AND_ASSIGN(HubSnapshot latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.seq(), 2u);
}

TEST_F(TelemetryStoreTest, ResentSeqWithAnotherMeasurementTimeIsFailedPrecondition) {
  Ingest({MakeReport(1), MakeReport(2)});
  v1::HubReport backwards = MakeReport(2);
  backwards.set_measured_at_unix_ms(kT0Ms + 99'000);
  const IngestResult r = IngestOne(backwards);
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_THAT(r.rejection, StatusIs(absl::StatusCode::kFailedPrecondition,
                                    HasSubstr("seq 2 goes backwards: hub \"hub-1\" is at seq 2")));
  EXPECT_EQ(store_->LastSeq("hub-1"), 2u);
  ASSERT_OK_AND_ASSIGN(HubSnapshot latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.measured_at_unix_ms(), kT0Ms + 2000);
}

TEST_F(TelemetryStoreTest, DuplicatesInsideOneBatchAreDetected) {
  v1::HubReport moved = MakeReport(3);
  moved.set_measured_at_unix_ms(kT0Ms + 3500);
  const std::vector<IngestResult> results =
      Ingest({MakeReport(3), MakeReport(3), moved, MakeReport(4)});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].outcome, Outcome::kStored);
  EXPECT_EQ(results[1].outcome, Outcome::kDuplicate);
  EXPECT_EQ(results[2].outcome, Outcome::kRejected);
  EXPECT_THAT(results[2].rejection,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("seq 3 goes backwards")));
  EXPECT_EQ(results[3].outcome, Outcome::kStored);
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(3u, 4u)));
}

TEST_F(TelemetryStoreTest, ARejectedReportNeverMovesLastSeqAndItsFixedResendIsStored) {
  v1::HubReport bad = MakeReport(1);
  bad.mutable_banks(0)->set_soc_pct(100.5);
  const IngestResult r = IngestOne(bad);
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_THAT(r.rejection, StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("bank \"bank-1\": soc_pct is 100.5")));
  EXPECT_EQ(store_->LastSeq("hub-1"), 0u);  // the acknowledgement does not move
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->Latest("hub-1"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("hub-1")));
  EXPECT_TRUE(store_->ReportingHubs().empty());

  // The same seq again, fixed, is checked afresh and stored.
  EXPECT_EQ(IngestOne(MakeReport(1)).outcome, Outcome::kStored);
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u)));
  EXPECT_EQ(store_->LastSeq("hub-1"), 1u);
  EXPECT_EQ(IngestOne(MakeReport(2)).outcome, Outcome::kStored);
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u, 2u)));
}

// The findings of issue 12: one report — even a rejected one — with seq
// 2^64-1 or measured in the year 2200 made every later report of the hub a
// silent "duplicate" or "time going backwards", and stayed so across restarts.
TEST_F(TelemetryStoreTest, NoReportCanBlackholeTheHubsLaterReportsAcrossARestart) {
  ASSERT_EQ(IngestOne(MakeReport(1)).outcome, Outcome::kStored);
  v1::HubReport max_seq = MakeReport(2);
  max_seq.set_seq(18446744073709551615u);
  v1::HubReport max_seq_bad = max_seq;
  max_seq_bad.mutable_banks(0)->set_soc_pct(-1);
  v1::HubReport big_jump = MakeReport(2);
  big_jump.set_seq(1 + 1'000'001);
  v1::HubReport year_2200 = MakeReport(2);
  year_2200.set_measured_at_unix_ms(7'258'118'400'000);
  v1::HubReport skewed = MakeReport(2);
  skewed.set_measured_at_unix_ms(kNowMs + 300'001);
  const std::vector<IngestResult> results =
      Ingest({max_seq_bad, max_seq, big_jump, year_2200, skewed});
  ASSERT_EQ(results.size(), 5u);
  for (const IngestResult& r : results) {
    EXPECT_EQ(r.outcome, Outcome::kRejected) << r.seq;
    EXPECT_EQ(r.rejection.code(), absl::StatusCode::kInvalidArgument) << r.rejection;
  }
  EXPECT_THAT(results[1].rejection, StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("seq 18446744073709551615 jumps")));
  EXPECT_THAT(results[2].rejection,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seq 1000002 jumps")));
  EXPECT_THAT(results[3].rejection,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("measured_at_unix_ms 7258118400000 is more than 300 s ahead")));
  EXPECT_THAT(results[4].rejection,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("measured_at_unix_ms")));
  EXPECT_EQ(store_->LastSeq("hub-1"), 1u);

  Reopen();
  EXPECT_EQ(store_->LastSeq("hub-1"), 1u);
  // The hub's next honest reports are stored, not dropped as duplicates.
  const std::vector<IngestResult> later = Ingest({MakeReport(2), MakeReport(3)});
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].outcome, Outcome::kStored);
  EXPECT_EQ(later[1].outcome, Outcome::kStored);
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u, 2u, 3u)));
  // A jump of exactly 10^6 is allowed.
  v1::HubReport far = MakeReport(4);
  far.set_seq(3 + 1'000'000);
  EXPECT_EQ(IngestOne(far).outcome, Outcome::kStored);
}

// A store written before rejected reports stopped moving the seq may hold a
// hub meta whose seq is past its latest stored report: opening heals it.
TEST_F(TelemetryStoreTest, OpeningHealsAMetaSeqPastTheLatestStoredReport) {
  ASSERT_EQ(IngestOne(MakeReport(1)).outcome, Outcome::kStored);
  std::string meta;
  storage::PutFixed64(&meta, 18446744073709551615u);  // last_seq, as an old store wrote it
  storage::PutFixed64(&meta, static_cast<uint64_t>(kNowMs));
  storage::PutFixed64(&meta, 1);  // latest stored seq
  PutRaw("m/hub-1", meta);
  Reopen();
  EXPECT_EQ(store_->LastSeq("hub-1"), 1u);
  EXPECT_EQ(IngestOne(MakeReport(2)).outcome, Outcome::kStored);
}

TEST_F(TelemetryStoreTest, SeqZeroIsRejectedAndDoesNotMoveLastSeq) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const IngestResult r = IngestOne(MakeReport(0));
    EXPECT_EQ(r.outcome, Outcome::kRejected) << "attempt " << attempt;
    EXPECT_THAT(r.rejection, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seq is 0")));
    EXPECT_EQ(store_->LastSeq("hub-1"), 0u);
  }
  EXPECT_EQ(IngestOne(MakeReport(1)).outcome, Outcome::kStored);
}

struct BadValueCase {
  const char* name;
  void (*spoil)(v1::HubReport*);
  const char* message;
};

TEST_F(TelemetryStoreTest, ValuesInvalidByThemselvesAreInvalidArgumentNamingTheField) {
  const BadValueCase cases[] = {
      {"soc above 100", [](v1::HubReport* r) { r->mutable_banks(0)->set_soc_pct(100.5); },
       "soc_pct is 100.5"},
      {"soh below 0", [](v1::HubReport* r) { r->mutable_banks(0)->set_soh_pct(-1); },
       "soh_pct is -1"},
      {"reserve above 100", [](v1::HubReport* r) { r->mutable_banks(0)->set_soc_reserve_pct(101); },
       "soc_reserve_pct is 101"},
      {"negative meter counter", [](v1::HubReport* r) { r->mutable_meters(0)->set_export_wh(-5); },
       "meter \"h1\": export_wh is -5"},
      {"negative grid counter", [](v1::HubReport* r) { r->mutable_grid()->set_import_wh(-1); },
       "grid: import_wh is -1"},
      {"bad hub id", [](v1::HubReport* r) { r->set_hub_id("hub 1"); }, "hub_id \"hub 1\""},
      {"empty zone", [](v1::HubReport* r) { r->clear_zone_id(); }, "zone_id is empty"},
      {"bad bank id", [](v1::HubReport* r) { r->mutable_banks(0)->set_bank_id("bank/1"); },
       "banks.bank_id \"bank/1\""},
      {"no measurement time", [](v1::HubReport* r) { r->set_measured_at_unix_ms(0); },
       "measured_at_unix_ms is 0"},
      {"misaligned read",
       [](v1::HubReport* r) {
         *r->mutable_meters(0)->add_interval_reads() = MakeRead(kInterval + 60, 5);
       },
       "interval_start 1782000060 is not aligned to 900 s"},
      {"unspecified read quality",
       [](v1::HubReport* r) {
         *r->mutable_meters(0)->add_interval_reads() =
             MakeRead(kInterval, 5, v1::READ_QUALITY_UNSPECIFIED);
       },
       "interval_reads.quality is unspecified"},
  };
  ASSERT_EQ(IngestOne(MakeReport(1)).outcome, Outcome::kStored);
  uint64_t seq = 2;
  for (const BadValueCase& c : cases) {
    v1::HubReport r = MakeReport(seq);
    c.spoil(&r);
    const std::vector<IngestResult> results = Ingest({r});  // hub-1's stream
    ASSERT_EQ(results.size(), 1u) << c.name;
    EXPECT_EQ(results[0].outcome, Outcome::kRejected) << c.name;
    EXPECT_THAT(results[0].rejection,
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.name;
    EXPECT_EQ(store_->LastSeq("hub-1"), 1u) << c.name;  // rejected: never moves
    ++seq;
  }
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u)));
  EXPECT_THAT(store_->IntervalReads(kInterval),
              IsOkAndHolds(IsEmpty()));  // a rejected report's reads are dropped
  EXPECT_EQ(IngestOne(MakeReport(seq)).outcome, Outcome::kStored);
}

TEST_F(TelemetryStoreTest, ContradictingTheLastStoredReportIsFailedPrecondition) {
  v1::HubReport first = MakeReport(1);
  first.mutable_meters(0)->set_import_wh(100);
  ASSERT_EQ(IngestOne(first).outcome, Outcome::kStored);

  v1::HubReport meter_down = MakeReport(2);
  meter_down.mutable_meters(0)->set_import_wh(50);
  v1::HubReport bank_down = MakeReport(3);
  bank_down.mutable_meters(0)->set_import_wh(100);
  bank_down.mutable_banks(0)->set_charged_wh(1);
  v1::HubReport grid_down = MakeReport(4);
  grid_down.mutable_meters(0)->set_import_wh(100);
  grid_down.mutable_grid()->set_export_wh(0);
  v1::HubReport time_back = MakeReport(5);
  time_back.mutable_meters(0)->set_import_wh(100);
  time_back.set_measured_at_unix_ms(kT0Ms);  // before seq 1's kT0Ms + 1000
  // Still below seq 1's 100: rejected reports never become the reference.
  v1::HubReport still_down = MakeReport(6);
  still_down.mutable_meters(0)->set_import_wh(80);
  v1::HubReport fine = MakeReport(7);
  fine.mutable_meters(0)->set_import_wh(120);

  const std::vector<IngestResult> results =
      Ingest({meter_down, bank_down, grid_down, time_back, still_down, fine});
  ASSERT_EQ(results.size(), 6u);
  const absl::StatusCode kFp = absl::StatusCode::kFailedPrecondition;
  EXPECT_THAT(results[0].rejection,
              StatusIs(kFp, HasSubstr("meter \"h1\": import_wh decreased from 100 to 50")));
  EXPECT_THAT(results[1].rejection,
              StatusIs(kFp, HasSubstr("bank \"bank-1\": charged_wh decreased from 3 to 1")));
  EXPECT_THAT(results[2].rejection, StatusIs(kFp, HasSubstr("grid: export_wh decreased")));
  EXPECT_THAT(results[3].rejection,
              StatusIs(kFp, HasSubstr("measured_at_unix_ms 1782000000000 goes backwards")));
  EXPECT_THAT(results[4].rejection, StatusIs(kFp, HasSubstr("import_wh decreased from 100 to 80")));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(results[i].outcome, Outcome::kRejected) << i;
  EXPECT_EQ(results[5].outcome, Outcome::kStored);
  EXPECT_EQ(LatestImportWh(), 120);
  EXPECT_EQ(store_->LastSeq("hub-1"), 7u);
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u, 7u)));
}

TEST_F(TelemetryStoreTest, PrechecksRejectWithTheCallersStatus) {
  const std::vector<IngestResult> results = Ingest(
      {MakeReport(1), MakeReport(2), MakeReport(3)}, kNowMs, "hub-1",
      {absl::OkStatus(), absl::PermissionDeniedError("meter \"h1\" is registered elsewhere")});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].outcome, Outcome::kStored);
  EXPECT_EQ(results[1].outcome, Outcome::kRejected);
  EXPECT_THAT(results[1].rejection,
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("registered elsewhere")));
  EXPECT_EQ(results[2].outcome, Outcome::kStored);  // no precheck given: validated as usual
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u, 3u)));
  EXPECT_EQ(store_->LastSeq("hub-1"), 3u);
}

TEST_F(TelemetryStoreTest, LatestIsTheLastStoredReportOfTheBatch) {
  v1::HubReport bad = MakeReport(3);
  bad.mutable_banks(0)->set_soc_pct(-3);
  const std::vector<IngestResult> results = Ingest({MakeReport(1), MakeReport(2), bad});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2].outcome, Outcome::kRejected);
  ASSERT_OK_AND_ASSIGN(HubSnapshot latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.seq(), 2u);
  EXPECT_EQ(store_->LastSeq("hub-1"), 2u);
  // A batch of duplicates keeps the latest report and its receive time: it
  // does not make the hub fresh (nothing new is known about it).
  Ingest({MakeReport(2)}, kNowMs + 2000);
  ASSERT_OK_AND_ASSIGN(latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.seq(), 2u);
  EXPECT_EQ(latest.received_at_unix_ms, kNowMs);
  EXPECT_FALSE(store_->IsStale("hub-1", 1, kNowMs + 3000));
  EXPECT_TRUE(store_->IsStale("hub-1", 1, kNowMs + 3001));
}

TEST_F(TelemetryStoreTest, SeqsNeedNotBeContiguousAndSortNumerically) {
  for (uint64_t seq : {1u, 255u, 256u, 65'536u}) {
    EXPECT_EQ(IngestOne(MakeReport(seq), kT0Ms + 70'000'000).outcome, Outcome::kStored) << seq;
  }
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u, 255u, 256u, 65'536u)));
  EXPECT_EQ(store_->LastSeq("hub-1"), 65'536u);
  // A skipped seq below LastSeq has no stored copy: it is treated as processed.
  EXPECT_EQ(IngestOne(MakeReport(100), kT0Ms + 70'000'000).outcome, Outcome::kDuplicate);
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u, 255u, 256u, 65'536u)));
}

TEST_F(TelemetryStoreTest, EverythingSurvivesAReopen) {
  v1::HubReport with_read = MakeReport(4);
  *with_read.mutable_meters(0)->add_interval_reads() = MakeRead(kInterval, 42);
  v1::HubReport rejected = MakeReport(6);
  rejected.mutable_banks(0)->set_soh_pct(120);
  Ingest({MakeReport(1), MakeReport(2), MakeReport(3)}, kNowMs);
  Ingest({with_read, MakeReport(5), rejected}, kNowMs + 2000);

  Reopen();
  EXPECT_EQ(store_->LastSeq("hub-1"), 5u);  // not the rejected seq
  ASSERT_OK_AND_ASSIGN(HubSnapshot latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.seq(), 5u);
  EXPECT_EQ(latest.report.meters(0).import_wh(), 50);
  EXPECT_EQ(latest.received_at_unix_ms, kNowMs + 2000);
  EXPECT_THAT(store_->StoredSeqs("hub-1"), IsOkAndHolds(ElementsAre(1u, 2u, 3u, 4u, 5u)));
  EXPECT_THAT(store_->ReportingHubs(), ElementsAre("hub-1"));
  ASSERT_OK_AND_ASSIGN(const auto reads, store_->IntervalReads(kInterval));
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads.at("h1").import_wh(), 42);
  EXPECT_THAT(store_->History("hub-1", "bank-1", 0, 0), IsOkAndHolds(SizeIs(1u)));
  // The receive time is durable: staleness continues from it.
  EXPECT_FALSE(store_->IsStale("hub-1", 5, kNowMs + 2000 + 15'000));
  EXPECT_TRUE(store_->IsStale("hub-1", 5, kNowMs + 2000 + 15'001));

  // Dedup and the counter checks continue against the reloaded state.
  EXPECT_EQ(IngestOne(MakeReport(5)).outcome, Outcome::kDuplicate);
  EXPECT_EQ(IngestOne(MakeReport(6)).outcome, Outcome::kStored);  // 6, fixed
  v1::HubReport moved = MakeReport(3);
  moved.set_measured_at_unix_ms(kT0Ms + 3333);
  EXPECT_THAT(IngestOne(moved).rejection,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("seq 3 goes backwards")));
  v1::HubReport lower = MakeReport(7);
  lower.mutable_meters(0)->set_import_wh(49);
  EXPECT_THAT(IngestOne(lower).rejection, StatusIs(absl::StatusCode::kFailedPrecondition,
                                                   HasSubstr("import_wh decreased from 60 to 49")));
  EXPECT_EQ(IngestOne(MakeReport(8)).outcome, Outcome::kStored);
}

TEST_F(TelemetryStoreTest, IntervalReadsAreKeptPerIntervalAndParticipant) {
  v1::HubReport r1 = MakeReport(1);
  *r1.mutable_meters(0)->add_interval_reads() = MakeRead(kInterval, 11, v1::ESTIMATED);
  v1::MeterReading* h2 = r1.add_meters();
  h2->set_participant_id("h2");
  *h2->add_interval_reads() = MakeRead(kInterval, 22);
  *h2->add_interval_reads() = MakeRead(kInterval + 900, 23);
  v1::HubReport r2 = MakeReport(2);  // h1 re-reads the interval: the later read wins
  *r2.mutable_meters(0)->add_interval_reads() = MakeRead(kInterval, 12, v1::OK);
  Ingest({r1, r2});

  ASSERT_OK_AND_ASSIGN(const auto first, store_->IntervalReads(kInterval));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first.begin()->first, "h1");  // keyed and ordered by participant
  EXPECT_EQ(first.at("h1").import_wh(), 12);
  EXPECT_EQ(first.at("h1").quality(), v1::OK);
  EXPECT_EQ(first.at("h2").import_wh(), 22);
  EXPECT_EQ(first.at("h2").interval_start(), kInterval);
  ASSERT_OK_AND_ASSIGN(const auto second, store_->IntervalReads(kInterval + 900));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second.at("h2").import_wh(), 23);
  EXPECT_THAT(store_->IntervalReads(kInterval - 900), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->IntervalReads(kInterval + 1800), IsOkAndHolds(IsEmpty()));
}

TEST_F(TelemetryStoreTest, BankAndGridReadsAreKeptPerIntervalAndSurviveReopen) {
  v1::HubReport r1 = MakeReport(1);
  *r1.mutable_banks(0)->add_interval_reads() = MakeRead(kInterval, 300);
  *r1.mutable_grid()->add_interval_reads() = MakeRead(kInterval, 900);
  *r1.mutable_grid()->add_interval_reads() = MakeRead(kInterval + 900, 901);
  Ingest({r1});
  Reopen();
  ASSERT_OK_AND_ASSIGN(const exchange::HubMeterReads first, store_->HubReads(kInterval));
  ASSERT_EQ(first.banks.size(), 1u);
  EXPECT_EQ(first.banks.begin()->first,
            std::make_pair(std::string("hub-1"), std::string("bank-1")));
  EXPECT_EQ(first.banks.begin()->second.import_wh(), 300);
  ASSERT_EQ(first.grid.size(), 1u);
  EXPECT_EQ(first.grid.at("hub-1").import_wh(), 900);
  ASSERT_OK_AND_ASSIGN(const exchange::HubMeterReads second, store_->HubReads(kInterval + 900));
  EXPECT_TRUE(second.banks.empty());
  EXPECT_EQ(second.grid.at("hub-1").import_wh(), 901);
  // A bank read beyond what 10 MW can deliver in the interval is refused.
  v1::HubReport r2 = MakeReport(2);
  *r2.mutable_banks(0)->add_interval_reads() = MakeRead(kInterval + 900, 3'000'000);
  EXPECT_THAT(IngestOne(r2).rejection,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bank \"bank-1\": interval_reads.import_wh is 3000000")));
}

TEST_F(TelemetryStoreTest, ReadsMustAlignToTheConfiguredInterval) {
  options_.timing.interval_s = 300;
  Reopen();
  v1::HubReport r1 = MakeReport(1);
  *r1.mutable_meters(0)->add_interval_reads() = MakeRead(kInterval + 300, 7);
  EXPECT_EQ(IngestOne(r1).outcome, Outcome::kStored);
  ASSERT_OK_AND_ASSIGN(const auto reads, store_->IntervalReads(kInterval + 300));
  EXPECT_EQ(reads.at("h1").import_wh(), 7);
  v1::HubReport r2 = MakeReport(2);
  *r2.mutable_meters(0)->add_interval_reads() = MakeRead(kInterval + 450, 7);
  EXPECT_THAT(IngestOne(r2).rejection,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not aligned to 300 s")));
}

// Returns report `seq` measured at kT0Ms + offset_s with bank-1 at `soc` and `power_w`.
v1::HubReport BankReport(uint64_t seq, int64_t offset_s, double soc, int64_t power_w) {
  v1::HubReport r = MakeReport(seq);
  r.set_measured_at_unix_ms(kT0Ms + offset_s * 1000);
  v1::BatteryBankReading* b = r.mutable_banks(0);
  b->set_soc_pct(soc);
  b->set_power_w(power_w);
  b->set_soh_pct(90 + static_cast<double>(seq) / 10);
  b->set_cell_temp_max_c(20 + static_cast<double>(seq));
  b->set_dc_voltage_v(700 + static_cast<double>(seq));
  b->set_cycle_count(static_cast<int64_t>(seq));
  return r;
}

TEST_F(TelemetryStoreTest, HistoryBucketsByMeasurementTime) {
  // Bucket kT0 (60 s): three reports over two Ingest calls; bucket kT0 + 60 s: two.
  Ingest({BankReport(1, 0, 50, 100), BankReport(2, 20, 40, 200)});
  Ingest({BankReport(3, 40, 45, 600), BankReport(4, 60, 44, -100), BankReport(5, 80, 43, -301)});

  ASSERT_OK_AND_ASSIGN(const std::vector<v1::BatteryHistoryPoint> all,
                       store_->History("hub-1", "bank-1", 0, 0));
  ASSERT_EQ(all.size(), 2u);
  const v1::BatteryHistoryPoint& a = all[0];
  EXPECT_EQ(a.time_unix_ms(), kT0Ms);
  EXPECT_DOUBLE_EQ(a.soc_pct(), 45);  // the bucket's last values
  EXPECT_DOUBLE_EQ(a.soc_min_pct_in_bucket(), 40);
  EXPECT_DOUBLE_EQ(a.soc_max_pct_in_bucket(), 50);
  EXPECT_EQ(a.power_w(), 300);  // mean of 100, 200, 600
  EXPECT_DOUBLE_EQ(a.soh_pct(), 90.3);
  EXPECT_DOUBLE_EQ(a.cell_temp_max_c(), 23);
  EXPECT_DOUBLE_EQ(a.dc_voltage_v(), 703);
  EXPECT_EQ(a.cycle_count(), 3);
  const v1::BatteryHistoryPoint& b = all[1];
  EXPECT_EQ(b.time_unix_ms(), kT0Ms + 60'000);
  EXPECT_DOUBLE_EQ(b.soc_pct(), 43);
  EXPECT_DOUBLE_EQ(b.soc_min_pct_in_bucket(), 43);
  EXPECT_DOUBLE_EQ(b.soc_max_pct_in_bucket(), 44);
  EXPECT_EQ(b.power_w(), -200);  // (-100 - 301) / 2, truncated toward zero

  // [from, to] selects buckets by their start; `from` rounds down to its bucket.
  ASSERT_THAT(store_->History("hub-1", "bank-1", kT0Ms + 30'000, kT0Ms + 59'999),
              IsOkAndHolds(SizeIs(1u)));
  EXPECT_THAT(store_->History("hub-1", "bank-1", kT0Ms + 30'000, kT0Ms + 60'000),
              IsOkAndHolds(SizeIs(2u)));
  ASSERT_OK_AND_ASSIGN(const auto later,
                       store_->History("hub-1", "bank-1", kT0Ms + 60'000, kT0Ms + 3'600'000));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].time_unix_ms(), kT0Ms + 60'000);
  EXPECT_THAT(store_->History("hub-1", "bank-1", kT0Ms + 120'000, kT0Ms + 600'000),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->History("hub-1", "bank-2", 0, 0), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->History("hub-2", "bank-1", 0, 0), IsOkAndHolds(IsEmpty()));
}

TEST_F(TelemetryStoreTest, HistoryBucketContinuesAcrossAReopen) {
  Ingest({BankReport(1, 0, 50, 100), BankReport(2, 10, 30, 300)});
  Reopen();
  Ingest({BankReport(3, 20, 70, 800)});
  ASSERT_OK_AND_ASSIGN(const auto all, store_->History("hub-1", "bank-1", 0, 0));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].power_w(), 400);  // (100 + 300 + 800) / 3: the count and sum were reloaded
  EXPECT_DOUBLE_EQ(all[0].soc_min_pct_in_bucket(), 30);
  EXPECT_DOUBLE_EQ(all[0].soc_max_pct_in_bucket(), 70);
  EXPECT_DOUBLE_EQ(all[0].soc_pct(), 70);
}

TEST_F(TelemetryStoreTest, HistoryResolutionAndBanksAreSeparate) {
  options_.history_resolution_s = 10;
  Reopen();
  v1::HubReport r1 = BankReport(1, 0, 50, 100);
  v1::BatteryBankReading* second = r1.add_banks();
  second->set_bank_id("bank-2");
  second->set_soc_pct(80);
  second->set_soh_pct(99);
  second->set_power_w(-7);
  Ingest({r1, BankReport(2, 5, 49, 200), BankReport(3, 12, 48, 300)});
  ASSERT_OK_AND_ASSIGN(const auto one, store_->History("hub-1", "bank-1", 0, 0));
  ASSERT_EQ(one.size(), 2u);  // [0, 10 s) and [10 s, 20 s)
  EXPECT_EQ(one[0].time_unix_ms(), kT0Ms);
  EXPECT_EQ(one[0].power_w(), 150);
  EXPECT_EQ(one[1].time_unix_ms(), kT0Ms + 10'000);
  EXPECT_EQ(one[1].power_w(), 300);
  ASSERT_OK_AND_ASSIGN(const auto two, store_->History("hub-1", "bank-2", 0, 0));
  ASSERT_EQ(two.size(), 1u);
  EXPECT_DOUBLE_EQ(two[0].soc_pct(), 80);
  EXPECT_EQ(two[0].power_w(), -7);
}

TEST_F(TelemetryStoreTest, RejectedReportsLeaveNoHistory) {
  v1::HubReport bad = BankReport(1, 0, 50, 100);
  bad.mutable_meters(0)->set_pv_wh(-1);
  EXPECT_EQ(IngestOne(bad).outcome, Outcome::kRejected);
  EXPECT_THAT(store_->History("hub-1", "bank-1", 0, 0), IsOkAndHolds(IsEmpty()));
}

TEST_F(TelemetryStoreTest, StalenessFollowsTheLastStoredReport) {
  EXPECT_TRUE(store_->IsStale("hub-1", 5, kNowMs));  // never reported
  IngestOne(MakeReport(1), kNowMs);
  EXPECT_FALSE(store_->IsStale("hub-1", 5, kNowMs));
  EXPECT_FALSE(store_->IsStale("hub-1", 5, kNowMs + 15'000));  // 3 periods exactly
  EXPECT_TRUE(store_->IsStale("hub-1", 5, kNowMs + 15'001));
  EXPECT_FALSE(store_->IsStale("hub-1", 60, kNowMs + 15'001));
  // A rejected report tells nothing current: the hub stays stale, as its
  // sellers (the exchange's sell check) and HUB_STALE say.
  store_->monitor().WatchHub("hub-1", 5, kNowMs);
  v1::HubReport bad = MakeReport(2);
  bad.mutable_banks(0)->set_soc_pct(200);
  IngestOne(bad, kNowMs + 20'000);
  EXPECT_TRUE(store_->IsStale("hub-1", 5, kNowMs + 20'000));
  EXPECT_TRUE(store_->monitor().IsStale("hub-1", kNowMs + 20'000));
  IngestOne(MakeReport(2), kNowMs + 21'000);
  EXPECT_FALSE(store_->IsStale("hub-1", 5, kNowMs + 21'000));
  EXPECT_FALSE(store_->monitor().IsStale("hub-1", kNowMs + 21'000));
}

TEST_F(TelemetryStoreTest, StalenessAndHubStaleFollowTheZonesStaleAfterPeriods) {
  options_.timing.stale_after_periods = 5;
  Reopen();
  store_->monitor().WatchHub("hub-1", 5, kNowMs);
  IngestOne(MakeReport(1), kNowMs);
  // The store's IsStale and the monitor's HUB_STALE move together, at 5 × 5 s.
  for (int64_t silent_ms : {15'001, 25'000}) {
    EXPECT_FALSE(store_->IsStale("hub-1", 5, kNowMs + silent_ms)) << silent_ms;
    EXPECT_FALSE(store_->monitor().IsStale("hub-1", kNowMs + silent_ms)) << silent_ms;
  }
  EXPECT_TRUE(store_->IsStale("hub-1", 5, kNowMs + 25'001));
  EXPECT_TRUE(store_->monitor().IsStale("hub-1", kNowMs + 25'001));
  store_->monitor().CheckStaleness(kNowMs + 25'001);
  const std::vector<hub::Alarm> alarms = store_->monitor().ActiveAlarms("hub-1");
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].kind, hub::AlarmKind::kHubStale);
}

TEST_F(TelemetryStoreTest, OpenRefusesAnInvalidTiming) {
  store_.reset();
  options_.timing.stale_after_periods = 0;
  EXPECT_THAT(TelemetryStore::Open(dir_, options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stale_after_periods 0")));
}

TEST_F(TelemetryStoreTest, ReportingHubsListsHubsWithAStoredReportInOrder) {
  v1::HubReport zulu = MakeReport(1);
  zulu.set_hub_id("zulu");
  v1::HubReport alpha = MakeReport(1);
  alpha.set_hub_id("alpha");
  v1::HubReport only_bad = MakeReport(1);
  only_bad.set_hub_id("mike");
  only_bad.mutable_banks(0)->set_soc_pct(-1);
  IngestOne(zulu);
  IngestOne(alpha);
  IngestOne(only_bad);
  EXPECT_THAT(store_->ReportingHubs(), ElementsAre("alpha", "zulu"));
  EXPECT_EQ(store_->LastSeq("mike"), 0u);  // rejected: nothing processed
  // Each hub has its own seqs.
  EXPECT_EQ(IngestOne(MakeReport(1)).outcome, Outcome::kStored);
  EXPECT_THAT(store_->ReportingHubs(), ElementsAre("alpha", "hub-1", "zulu"));
  Reopen();
  EXPECT_THAT(store_->ReportingHubs(), ElementsAre("alpha", "hub-1", "zulu"));
  EXPECT_EQ(store_->LastSeq("mike"), 0u);
}

bool HasAlarm(const std::vector<hub::Alarm>& alarms, const std::string& bank, hub::AlarmKind kind,
              hub::AlarmSeverity severity) {
  for (const hub::Alarm& a : alarms) {
    if (a.bank_id == bank && a.kind == kind && a.severity == severity) return true;
  }
  return false;
}

TEST_F(TelemetryStoreTest, StoredReportsRaiseAndClearAlarmsInTheMonitor) {
  runtime::Broadcaster<v1::AlarmEvent>& events = store_->monitor().events();
  uint64_t cursor = events.Cursor();
  v1::HubReport low = MakeReport(1);
  low.mutable_banks(0)->set_soc_pct(5);
  IngestOne(low, kNowMs);
  const std::vector<hub::Alarm> active = store_->monitor().ActiveAlarms("hub-1");
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].hub_id, "hub-1");
  EXPECT_EQ(active[0].bank_id, "bank-1");
  EXPECT_EQ(active[0].kind, hub::AlarmKind::kSocLow);
  EXPECT_EQ(active[0].severity, hub::AlarmSeverity::kCritical);
  EXPECT_EQ(active[0].raised_at_unix_ms, kNowMs);  // the exchange clock
  std::vector<v1::AlarmEvent> published;
  ASSERT_TRUE(events.WaitAfter(&cursor, absl::InfinitePast(), &published));
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].transition(), v1::RAISED);

  // A rejected report does not reach the monitor.
  v1::HubReport hot_but_bad = MakeReport(2);
  hot_but_bad.mutable_banks(0)->set_soc_pct(60);
  hot_but_bad.mutable_banks(0)->set_cell_temp_max_c(60);
  hot_but_bad.mutable_meters(0)->set_import_wh(0);  // decreased
  EXPECT_EQ(IngestOne(hot_but_bad).outcome, Outcome::kRejected);
  EXPECT_TRUE(HasAlarm(store_->monitor().ActiveAlarms("hub-1"), "bank-1", hub::AlarmKind::kSocLow,
                       hub::AlarmSeverity::kCritical));
  EXPECT_FALSE(HasAlarm(store_->monitor().ActiveAlarms("hub-1"), "bank-1",
                        hub::AlarmKind::kCellTempHigh, hub::AlarmSeverity::kCritical));

  // A healthy stored report clears it.
  IngestOne(MakeReport(3), kNowMs + 3000);
  EXPECT_TRUE(store_->monitor().ActiveAlarms("hub-1").empty());
  published.clear();
  ASSERT_TRUE(events.WaitAfter(&cursor, absl::InfinitePast(), &published));
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].transition(), v1::CLEARED);
}

TEST_F(TelemetryStoreTest, AlarmThresholdsComeFromTheOptions) {
  std::vector<hub::AlarmRule> strict = options_.alarms.bank_rules;
  hub::FindAlarmRule(&strict, hub::AlarmKind::kCellTempHigh, hub::AlarmSeverity::kWarning)
      ->raise_at = 20;
  hub::FindAlarmRule(&strict, hub::AlarmKind::kCellTempHigh, hub::AlarmSeverity::kWarning)
      ->clear_at = 18;
  options_.alarms.overrides[{"hub-1", "bank-2"}] = strict;
  hub::AlarmRule* soc = hub::FindAlarmRule(&options_.alarms.bank_rules, hub::AlarmKind::kSocLow,
                                           hub::AlarmSeverity::kWarning);
  soc->raise_at = 70;  // 60 % is low now
  soc->clear_at = 72;
  Reopen();
  v1::HubReport r = MakeReport(1);
  v1::BatteryBankReading* second = r.add_banks();
  *second = r.banks(0);
  second->set_bank_id("bank-2");
  IngestOne(r);
  const std::vector<hub::Alarm> active = store_->monitor().ActiveAlarms("hub-1");
  EXPECT_TRUE(HasAlarm(active, "bank-1", hub::AlarmKind::kSocLow, hub::AlarmSeverity::kWarning));
  // bank-2's override replaces the defaults: its SoC is fine, its 25 °C is hot.
  EXPECT_FALSE(HasAlarm(active, "bank-2", hub::AlarmKind::kSocLow, hub::AlarmSeverity::kWarning));
  EXPECT_TRUE(
      HasAlarm(active, "bank-2", hub::AlarmKind::kCellTempHigh, hub::AlarmSeverity::kWarning));
  EXPECT_EQ(active.size(), 2u);
}

// Characterization: the monitor evaluates the latest state only, i.e. the last
// stored report of each Ingest call. A low SoC inside a batch (e.g. a resend
// after an outage) that has recovered by the batch's end raises nothing.
TEST_F(TelemetryStoreTest, MonitorEvaluatesOnlyTheLastStoredReportOfABatch) {
  v1::HubReport low = MakeReport(1);
  low.mutable_banks(0)->set_soc_pct(5);
  Ingest({low, MakeReport(2)});
  EXPECT_TRUE(store_->monitor().ActiveAlarms("hub-1").empty());
  v1::HubReport low_again = MakeReport(4);
  low_again.mutable_banks(0)->set_soc_pct(5);
  Ingest({MakeReport(3), low_again});
  EXPECT_EQ(store_->monitor().ActiveAlarms("hub-1").size(), 1u);
}

TEST_F(TelemetryStoreTest, OpenFailsWithUnavailableWhenTheDirectoryCannotBeUsed) {
  // Held open by the fixture: RocksDB's lock refuses a second opener.
  EXPECT_THAT(TelemetryStore::Open(dir_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("open telemetry " + dir_)));
  const std::string file = ::peergrid::testing::FreshTempDir("not_a_dir") + "/file";
  std::ofstream(file) << "x";
  EXPECT_THAT(TelemetryStore::Open(file),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("open telemetry")));
}

TEST_F(TelemetryStoreTest, OpenRefusesCorruptHubMetaWithDataLoss) {
  IngestOne(MakeReport(1));
  store_.reset();
  {
    // Key layout from telemetry_store.cc: "m/<hub>" holds 24 bytes of meta.
    rocksdb::DB* raw = nullptr;
    rocksdb::Options options;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "m/hub-1", "short").ok());
  }
  EXPECT_THAT(TelemetryStore::Open(dir_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("bad meta for hub hub-1")));
}

// A stored value that does not decode is DataLoss naming its key, from every
// reader, and never skipped.

TEST_F(TelemetryStoreTest, AnIntervalReadThatDoesNotParseIsDataLossNamingItsKey) {
  v1::HubReport r = MakeReport(1);
  *r.mutable_meters(0)->add_interval_reads() = MakeRead(kInterval, 7);
  ASSERT_EQ(IngestOne(r).outcome, Outcome::kStored);
  PutRaw(ReadKey(kInterval, "h1"), kGarbage);
  Reopen();
  // Settling without it would bill h1 as if it had no read.
  EXPECT_THAT(store_->IntervalReads(kInterval),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("interval read i/", kInterval, "/h1"))));
}

TEST_F(TelemetryStoreTest, AHistoryBucketThatDoesNotDecodeIsDataLossForHistoryAndIngest) {
  IngestOne(MakeReport(1));
  const int64_t bucket_ms = kT0Ms;  // report 1 is measured 1 s into the 60 s bucket
  PutRaw(HistoryKey("hub-1", "bank-1", bucket_ms), "short");
  Reopen();
  const std::string name = absl::StrCat("battery history bucket b/hub-1/bank-1/", bucket_ms);
  EXPECT_THAT(store_->History("hub-1", "bank-1", 0, 0),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(name)));
  // A report for the same bucket must extend it: refused, nothing stored.
  const v1::HubReport two = MakeReport(2);
  const v1::HubReport* reports[] = {&two};
  EXPECT_THAT(store_->Ingest("hub-1", reports, kNowMs + 1000),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(name)));
  EXPECT_EQ(store_->LastSeq("hub-1"), 1u);
}

TEST_F(TelemetryStoreTest, AStoredReportThatDoesNotParseIsDataLossOnOpenAndOnResend) {
  Ingest({MakeReport(1), MakeReport(2)});
  // Report 1 is read back only to tell a resend of seq 1 from a seq gone back.
  PutRaw(ReportKey("hub-1", 1), kGarbage);
  Reopen();
  const v1::HubReport one = MakeReport(1);
  const v1::HubReport* reports[] = {&one};
  EXPECT_THAT(store_->Ingest("hub-1", reports, kNowMs + 1000),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("stored report 1 of hub hub-1"), HasSubstr("r/hub-1/1"))));
  // The latest report is read on open.
  PutRaw(ReportKey("hub-1", 2), kGarbage);
  EXPECT_THAT(TelemetryStore::Open(dir_, options_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("r/hub-1/2")));
}

TEST_F(TelemetryStoreTest, AStoredReportKeyOfTheWrongLengthIsDataLoss) {
  IngestOne(MakeReport(1));
  PutRaw("r/hub-1/abc", MakeReport(9).SerializeAsString());
  Reopen();
  EXPECT_THAT(store_->StoredSeqs("hub-1"),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("under r/hub-1/"), HasSubstr("key of 11 bytes"))));
}

}  // namespace
}  // namespace peergrid::telemetry
