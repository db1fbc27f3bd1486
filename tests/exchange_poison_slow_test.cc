// One bad participant never stops a real peergrid-exchange (DESIGN.md §9).
// The exchange is SIGKILLed and poison is planted in its stores the way a
// forged report (or an older exchange) would have left it before input bounds
// existed: reads of 10^15 Wh and of quality 7, a read that does not decode,
// and a ledger entry that does not parse. The exchange restarts, settles the
// bad reads ESTIMATED, goes on clearing and settling later intervals, reports
// NOT_SERVING with the reason while one settlement keeps failing, and SERVING
// again once the hub's fresh read replaces the broken one; the audit over the
// wire reports exactly the planted entry.
#include <sys/wait.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/report.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/note.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/storage/key_codec.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/audit.grpc.pb.h"
#include "peergrid/v1/hub.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"
#include "rocksdb/db.h"

namespace peergrid {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kSimStart = 1'782'000'000;  // aligned to the 60 s interval
constexpr int64_t kIntervalS = 60;
constexpr int64_t kI1 = kSimStart + kIntervalS;  // the first interval whose gate is open
constexpr int64_t kI2 = kI1 + kIntervalS, kI3 = kI2 + kIntervalS;

class ExchangePoisonSlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("exchange_poison_slow");
    // Simulated time runs 10× from kSimStart, anchored so restarts continue it.
    clock_ = absl::StrCat("sim:10@", kSimStart, "~", absl::ToUnixMillis(absl::Now()));
  }
  void TearDown() override {
    if (exchange_ != nullptr) exchange_->Signal(SIGKILL);
  }

  void Start() {
    std::remove((dir_ + "/port").c_str());
    auto exchange =
        runtime::Subprocess::Start({::peergrid::testing::BinaryDir() + "/bin/peergrid-exchange",
                                    "--data-dir=" + dir_ + "/data", "--listen=127.0.0.1:0",
                                    "--http=", "--port-file=" + dir_ + "/port", "--clock=" + clock_,
                                    absl::StrCat("--interval_s=", kIntervalS), "--gate_lead_s=10",
                                    "--settlement_grace_s=20", "--insecure"},
                                   dir_ + "/exchange.log");
    ASSERT_OK(exchange);
    exchange_ = *std::move(exchange);
    ASSERT_OK_AND_ASSIGN(std::string port,
                         runtime::WaitForFileLine(dir_ + "/port", absl::Seconds(60)));
    channel_ = grpc::CreateChannel("127.0.0.1:" + port, grpc::InsecureChannelCredentials());
  }

  template <typename Call>
  static grpc::Status WithDeadline(Call call) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return call(&context);
  }

  v1::Zone Zone() {
    v1::Zone zone;
    grpc::Status status = WithDeadline([&](grpc::ClientContext* c) {
      return v1::AdminService::NewStub(channel_)->GetZone(c, {}, &zone);
    });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return zone;
  }

  v1::IntervalResult Result(int64_t interval) {
    v1::GetIntervalResultRequest request;
    request.set_interval_start(interval);
    v1::IntervalResult result;
    grpc::Status status = WithDeadline([&](grpc::ClientContext* c) {
      return v1::MarketService::NewStub(channel_)->GetIntervalResult(c, request, &result);
    });
    return status.ok() ? result : v1::IntervalResult();
  }

  // Returns the standard health status of service "" (1 SERVING, 2 NOT_SERVING).
  int Health() {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::Slice empty{std::string()};
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
    stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                   &response, [&](grpc::Status s) {
                     std::lock_guard<std::mutex> lock(mu);
                     status = std::move(s);
                     done = true;
                     cv.notify_one();
                   });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    if (!status.ok()) return -1;
    std::vector<grpc::Slice> slices;
    if (!response.Dump(&slices).ok()) return -1;
    std::string bytes;
    for (const grpc::Slice& s : slices)
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    return bytes.size() == 2 && bytes[0] == '\x08' ? bytes[1] : 0;
  }

  // Polls `done` every 100 ms for up to a minute.
  static bool Eventually(const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return done();
  }

  static const v1::Bill* BillOf(const v1::IntervalResult& result, const std::string& who) {
    for (const v1::Bill& bill : result.settlement().bills()) {
      if (bill.participant_id() == who) return &bill;
    }
    return nullptr;
  }

  void Register() {
    auto admin = v1::AdminService::NewStub(channel_);
    v1::RegisterResponse response;
    v1::RegisterHubRequest hub;
    hub.mutable_hub()->set_hub_id("hub-1");
    hub.mutable_hub()->set_zone_id("jeju-1");
    hub.mutable_hub()->set_reporting_period_s(5);
    ASSERT_TRUE(WithDeadline([&](grpc::ClientContext* c) {
                  return admin->RegisterHub(c, hub, &response);
                }).ok());
    for (const char* who : {"alice", "bob"}) {
      v1::RegisterParticipantRequest p;
      p.mutable_participant()->set_participant_id(who);
      p.mutable_participant()->set_hub_id("hub-1");
      p.mutable_participant()->set_kind(v1::HOUSEHOLD);
      ASSERT_TRUE(WithDeadline([&](grpc::ClientContext* c) {
                    return admin->RegisterParticipant(c, p, &response);
                  }).ok());
    }
    v1::SetTariffRequest tariff;
    tariff.mutable_tariff()->set_feed_in_price_mcu_per_kwh(50'000);
    tariff.mutable_tariff()->set_retail_price_mcu_per_kwh(200'000);
    ASSERT_TRUE(WithDeadline([&](grpc::ClientContext* c) {
                  return admin->SetTariff(c, tariff, &response);
                }).ok());
  }

  // Writes the poison into the stopped exchange's stores; returns the index
  // of the planted ledger entry.
  uint64_t Plant() {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options options;
    EXPECT_TRUE(rocksdb::DB::Open(options, dir_ + "/data/telemetry", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    auto read_key = [](int64_t interval, const std::string& who) {
      std::string k = "i/";  // as telemetry_store.cc lays it out
      storage::PutOrderedInt64(&k, interval);
      return k + "/" + who;
    };
    v1::IntervalRead forged;  // 10^15 Wh
    forged.set_interval_start(kI1);
    forged.set_import_wh(1'000'000'000'000'000);
    forged.set_quality(v1::OK);
    v1::IntervalRead odd;  // quality 7
    odd.set_interval_start(kI1);
    odd.set_export_wh(10);
    odd.set_quality(static_cast<v1::ReadQuality>(7));
    rocksdb::WriteOptions sync;
    sync.sync = true;
    EXPECT_TRUE(db->Put(sync, read_key(kI1, "bob"), forged.SerializeAsString()).ok());
    EXPECT_TRUE(db->Put(sync, read_key(kI1, "alice"), odd.SerializeAsString()).ok());
    EXPECT_TRUE(db->Put(sync, read_key(kI2, "alice"), std::string("\xff\xff\xff", 3)).ok());
    db.reset();
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = "peergrid/jeju-1";
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
        ledger::Ledger::Open(dir_ + "/data/ledger", ledger_options);
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    if (!ledger.ok()) return 0;
    absl::StatusOr<uint64_t> index = (*ledger)->Append(std::string("\xff\xff\xff", 3));
    EXPECT_TRUE(index.ok());
    EXPECT_TRUE((*ledger)->Checkpoint().ok());
    return index.value_or(0);
  }

  // Streams one hub report carrying alice's OK read of `interval`.
  void ReportRead(int64_t interval, int64_t now_ms) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    auto stream = v1::HubService::NewStub(channel_)->Report(&context);
    v1::HubReport report;
    report.set_hub_id("hub-1");
    report.set_zone_id("jeju-1");
    report.set_seq(1);
    report.set_measured_at_unix_ms(now_ms);
    v1::MeterReading* meter = report.add_meters();
    meter->set_participant_id("alice");
    v1::IntervalRead* read = meter->add_interval_reads();
    read->set_interval_start(interval);
    read->set_export_wh(40);
    read->set_quality(v1::OK);
    ASSERT_TRUE(stream->Write(report));
    v1::ReportAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.acked_seq(), 1u);
    EXPECT_FALSE(ack.has_rejection()) << ack.rejection().DebugString();
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }

  std::string dir_, clock_;
  std::unique_ptr<runtime::Subprocess> exchange_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ExchangePoisonSlowTest, PoisonedStoresNeverStopTheMarket) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Register());
  ASSERT_LT(Zone().now_unix_ms(), (kI1 - 10) * 1000) << "registration took too long";
  exchange_->Signal(SIGKILL);
  ASSERT_OK(exchange_->Wait(absl::Seconds(30)).status());
  const uint64_t planted = Plant();

  // It restarts (the unparsable entry is skipped and listed) ...
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_THAT(Zone().skipped_ledger_indices(), ElementsAre(planted));
  // ... settles the forged reads ESTIMATED ...
  ASSERT_TRUE(Eventually([&] { return Result(kI1).has_settlement_index(); }));
  const v1::IntervalResult first = Result(kI1);
  ASSERT_NE(BillOf(first, "bob"), nullptr);
  EXPECT_TRUE(BillOf(first, "bob")->estimated());
  ASSERT_NE(BillOf(first, "alice"), nullptr);
  EXPECT_TRUE(BillOf(first, "alice")->estimated());
  // ... says it is stuck while the undecodable read fails I2's settlement ...
  ASSERT_TRUE(Eventually([&] { return Health() == 2; }));
  EXPECT_THAT(Zone().scheduler_problem(),
              HasSubstr(absl::StrCat("settlement of interval ", kI2, " has failed")));
  // ... and goes on clearing and settling the intervals after it.
  ASSERT_TRUE(Eventually([&] { return Result(kI3).has_settlement_index(); }));
  EXPECT_FALSE(Result(kI2).has_settlement_index());
  EXPECT_EQ(Health(), 2);

  // The hub's fresh read replaces the broken one: I2 settles, SERVING again.
  ASSERT_NO_FATAL_FAILURE(ReportRead(kI2, Zone().now_unix_ms()));
  ASSERT_TRUE(Eventually([&] { return Health() == 1; }));
  EXPECT_TRUE(Result(kI2).has_settlement_index());
  EXPECT_EQ(Zone().scheduler_problem(), "");

  // SIGKILL once more: it comes back serving, and the audit over the wire
  // sees the ledger as it is — the planted entry, nothing else.
  exchange_->Signal(SIGKILL);
  ASSERT_OK(exchange_->Wait(absl::Seconds(30)).status());
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(Eventually([&] { return Health() == 1; }));
  ASSERT_OK_AND_ASSIGN(ledger::VerifierKey key, ledger::VerifierKey::Parse(Zone().verifier_key()));
  audit::AuditOptions options;
  options.timing.interval_s = kIntervalS;
  options.timing.gate_lead_s = 10;
  options.timing.settlement_grace_s = 20;
  auto stub = v1::AuditService::NewStub(channel_);
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report,
                       audit::AuditServer(stub.get(), "exchange", key, options));
  EXPECT_EQ(report.failure_count, 1u) << audit::AuditReportText(report);
  ASSERT_NE(report.first_failure(), nullptr);
  EXPECT_EQ(report.first_failure()->index, planted);
  EXPECT_GE(report.intervals_settled, 3u);
  const int status = exchange_->Stop(absl::Seconds(30));
  exchange_.reset();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
}  // namespace peergrid
