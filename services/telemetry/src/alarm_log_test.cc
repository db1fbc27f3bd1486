// The alarm history and the restart of the monitor, on a real RocksDB on
// disk: active alarms come back with their raise times, HUB_STALE counts
// silence from the hub's last stored report (not from the restart), and the
// history survives a reopen and is bounded per hub.
#include "peergrid/telemetry/alarm_log.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"

namespace peergrid::telemetry {
namespace {

using ::peergrid::testing::IsOkAndHolds;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kT0Ms = 1'782'000'000'000;
constexpr int64_t kNowMs = kT0Ms + 3'600'000;

// A valid report of `hub` whose one bank has `soc_pct`.
v1::HubReport Report(const std::string& hub, uint64_t seq, double soc_pct) {
  v1::HubReport r;
  r.set_hub_id(hub);
  r.set_zone_id("zone-1");
  r.set_seq(seq);
  r.set_measured_at_unix_ms(kT0Ms + static_cast<int64_t>(seq) * 1000);
  v1::BatteryBankReading* b = r.add_banks();
  b->set_bank_id("bank-1");
  b->set_soc_pct(soc_pct);
  b->set_soh_pct(95);
  b->set_cell_temp_max_c(25);
  b->set_cell_temp_min_c(20);
  b->set_chemistry(v1::NMC);
  return r;
}

class AlarmLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("alarm_log");
    for (hub::AlarmRule& r : options_.alarms.bank_rules) r.dwell_s = 0;
    Reopen();
  }
  void Reopen() {
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, TelemetryStore::Open(dir_, options_));
  }
  void Store(const v1::HubReport& report, int64_t now_ms) {
    const v1::HubReport* reports[] = {&report};
    ASSERT_OK_AND_ASSIGN(std::vector<IngestResult> results,
                         store_->Ingest(report.hub_id(), reports, now_ms));
    ASSERT_EQ(results[0].outcome, IngestResult::Outcome::kStored) << results[0].rejection.message();
  }
  const hub::Alarm* Find(hub::AlarmKind kind, const std::string& hub = "hub-1") {
    active_ = store_->monitor().ActiveAlarms(hub);
    for (const hub::Alarm& a : active_) {
      if (a.kind == kind) return &a;
    }
    return nullptr;
  }
  // Deletes every key with `prefix` behind the store's back (closing it).
  void DeleteRaw(const std::string& prefix) {
    store_.reset();
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), it->key()).ok());
    }
  }
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
  std::vector<hub::Alarm> active_;
};

TEST_F(AlarmLogTest, ARestartKeepsActiveAlarmsAndHubStaleCountsFromTheLastReport) {
  store_->monitor().WatchHub("hub-1", 5, kNowMs);
  Store(Report("hub-1", 1, 5), kNowMs);  // SOC_LOW critical
  store_->monitor().CheckStaleness(kNowMs + 60'000);
  const hub::Alarm* stale = Find(hub::AlarmKind::kHubStale);
  ASSERT_NE(stale, nullptr);
  const int64_t stale_raised = stale->raised_at_unix_ms;
  EXPECT_EQ(stale_raised, kNowMs + 60'000);

  Reopen();  // the exchange restarts ten minutes later
  const int64_t restart = kNowMs + 600'000;
  ASSERT_THAT(store_->monitor().ActiveAlarms("hub-1"), SizeIs(2));
  const hub::Alarm* soc = Find(hub::AlarmKind::kSocLow);
  ASSERT_NE(soc, nullptr);
  EXPECT_EQ(soc->severity, hub::AlarmSeverity::kCritical);
  EXPECT_EQ(soc->raised_at_unix_ms, kNowMs);
  runtime::Broadcaster<v1::AlarmEvent>& events = store_->monitor().events();
  uint64_t cursor = events.Cursor();
  store_->monitor().WatchHub("hub-1", 5, restart);
  store_->monitor().CheckStaleness(restart);
  std::vector<v1::AlarmEvent> published;
  ASSERT_TRUE(events.WaitAfter(&cursor, absl::InfinitePast(), &published));
  EXPECT_THAT(published, IsEmpty());  // still stale: no second RAISED
  stale = Find(hub::AlarmKind::kHubStale);
  ASSERT_NE(stale, nullptr);
  EXPECT_EQ(stale->raised_at_unix_ms, stale_raised);
  EXPECT_EQ(stale->condition_since_unix_ms, kNowMs);
  EXPECT_DOUBLE_EQ(stale->value, 600);  // silent since its last report, not since the restart
  EXPECT_TRUE(store_->IsStale("hub-1", 5, restart));
  EXPECT_TRUE(store_->monitor().IsStale("hub-1", restart));

  // The hub reports again: HUB_STALE clears, after its raise.
  Store(Report("hub-1", 2, 50), restart + 1000);
  EXPECT_THAT(store_->monitor().ActiveAlarms("hub-1"), IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::AlarmHistoryEntry> history,
                       store_->AlarmHistory("hub-1", 100));
  ASSERT_THAT(history, SizeIs(4));  // SOC_LOW and HUB_STALE raised, then both cleared
  for (const v1::AlarmHistoryEntry& e : history) {
    EXPECT_GE(e.event().at_unix_ms(), e.event().alarm().raised_at_unix_ms());
  }
  EXPECT_EQ(history[2].event().transition(), v1::CLEARED);
  EXPECT_EQ(history[2].event().alarm().kind(), v1::HUB_STALE);
}

TEST_F(AlarmLogTest, AHubFreshBeforeARestartAndSilentSinceIsStaleFromItsLastReport) {
  store_->monitor().WatchHub("hub-1", 5, kNowMs);
  Store(Report("hub-1", 1, 50), kNowMs);
  Reopen();
  const int64_t restart = kNowMs + 300'000;
  store_->monitor().WatchHub("hub-1", 5, restart);
  store_->monitor().CheckStaleness(restart);  // no grace from the restart: it is silent
  const hub::Alarm* stale = Find(hub::AlarmKind::kHubStale);
  ASSERT_NE(stale, nullptr);
  EXPECT_EQ(stale->raised_at_unix_ms, restart);
  EXPECT_EQ(stale->condition_since_unix_ms, kNowMs);
  EXPECT_DOUBLE_EQ(stale->value, 300);
  EXPECT_THAT(stale->message, HasSubstr("300.0 s, since its last report"));
}

TEST_F(AlarmLogTest, AlarmsAreRebuiltFromTheLastStoredReportsWhenNoneWereStored) {
  Store(Report("hub-1", 1, 5), kNowMs);
  Store(Report("hub-2", 1, 50), kNowMs);
  DeleteRaw("a/");  // a store from before the alarm log, or a crash before its write
  Reopen();
  const hub::Alarm* soc = Find(hub::AlarmKind::kSocLow);
  ASSERT_NE(soc, nullptr);
  EXPECT_EQ(soc->severity, hub::AlarmSeverity::kCritical);
  EXPECT_EQ(soc->raised_at_unix_ms, kNowMs);  // at the report's receipt
  EXPECT_THAT(store_->monitor().ActiveAlarms("hub-2"), IsEmpty());
}

TEST_F(AlarmLogTest, HistorySurvivesARestartAndKeepsTheNewestPerHub) {
  options_.alarm_history_per_hub = 5;
  Reopen();
  // hub-1 flaps its SoC eight times (four raises, four clears), hub-2 once.
  uint64_t seq = 0;
  int64_t t = kNowMs;
  for (int i = 0; i < 4; ++i) {
    Store(Report("hub-1", ++seq, 5), t += 1000);
    Store(Report("hub-1", ++seq, 50), t += 1000);
  }
  Store(Report("hub-2", 1, 5), t += 1000);
  Store(Report("hub-2", 2, 50), t += 1000);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::AlarmHistoryEntry> before, store_->AlarmHistory("", 100));
  ASSERT_THAT(before, SizeIs(7));

  Reopen();
  ASSERT_OK_AND_ASSIGN(std::vector<v1::AlarmHistoryEntry> one, store_->AlarmHistory("hub-1", 100));
  ASSERT_THAT(one, SizeIs(5));  // the newest five of eight
  EXPECT_EQ(one.front().seq(), 4u);
  EXPECT_EQ(one.back().seq(), 8u);
  EXPECT_EQ(one.back().event().transition(), v1::CLEARED);
  EXPECT_EQ(one.front().event().transition(), v1::CLEARED);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::AlarmHistoryEntry> all, store_->AlarmHistory("", 100));
  ASSERT_THAT(all, SizeIs(7));
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].SerializeAsString(), before[i].SerializeAsString()) << i;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<v1::AlarmHistoryEntry> newest, store_->AlarmHistory("", 3));
  ASSERT_THAT(newest, SizeIs(3));
  EXPECT_EQ(newest.front().seq(), 8u);
  EXPECT_EQ(newest.back().seq(), 10u);
  EXPECT_EQ(newest.back().event().alarm().hub_id(), "hub-2");

  // Numbering goes on after the restart, and the bound still holds.
  Store(Report("hub-1", ++seq, 5), t += 1000);
  ASSERT_OK_AND_ASSIGN(one, store_->AlarmHistory("hub-1", 100));
  ASSERT_THAT(one, SizeIs(5));
  EXPECT_EQ(one.back().seq(), 11u);
  EXPECT_EQ(one.back().event().transition(), v1::RAISED);
  EXPECT_THAT(store_->AlarmHistory("hub-9", 100), IsOkAndHolds(IsEmpty()));
}

TEST_F(AlarmLogTest, OpenRefusesBadRulesABadBoundAndAnUndecodableAlarm) {
  store_.reset();
  TelemetryOptions bad = options_;
  hub::FindAlarmRule(&bad.alarms.bank_rules, hub::AlarmKind::kSocLow, hub::AlarmSeverity::kWarning)
      ->clear_at = 10;
  EXPECT_THAT(TelemetryStore::Open(dir_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SOC_LOW/warning clears")));
  bad = options_;
  bad.alarm_history_per_hub = 0;
  EXPECT_THAT(TelemetryStore::Open(dir_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alarm_history_per_hub")));
  PutRaw("a/hub-1/bank-1/01", std::string("\xff\xff\xff", 3));
  EXPECT_THAT(TelemetryStore::Open(dir_, options_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("active alarm a/hub-1/bank-1/01")));
}

}  // namespace
}  // namespace peergrid::telemetry
