#include "peergrid/server/hub_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::server {
namespace {

using ::peergrid::testing::IsOkAndHolds;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int64_t kT0Ms = 1782000000000;

v1::HubReport MakeReport(uint64_t seq, int64_t counter = 0) {
  v1::HubReport r;
  r.set_hub_id("hub-1");
  r.set_zone_id("zone-1");
  r.set_seq(seq);
  r.set_measured_at_unix_ms(kT0Ms + static_cast<int64_t>(seq) * 1000);
  v1::MeterReading* m = r.add_meters();
  m->set_participant_id("h1");
  m->set_import_wh(counter == 0 ? static_cast<int64_t>(seq) * 10 : counter);
  m->set_export_wh(5);
  if (seq % 4 == 0) {
    v1::IntervalRead* read = m->add_interval_reads();
    read->set_interval_start(1782000000 + static_cast<int64_t>(seq) * 900);
    read->set_import_wh(static_cast<int64_t>(seq));
    read->set_quality(v1::OK);
  }
  v1::BatteryBankReading* b = r.add_banks();
  b->set_bank_id("bank-1");
  b->set_soc_pct(60);
  b->set_soh_pct(95);
  b->set_chemistry(v1::NMC);
  b->set_charged_wh(static_cast<int64_t>(seq) * 3);
  r.mutable_grid()->set_import_wh(static_cast<int64_t>(seq));
  return r;
}

class HubServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("hub_service");
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id("zone-1");
    hub.set_reporting_period_s(5);
    ASSERT_OK(directory_.AddHub(hub));
    hub.set_hub_id("hub-2");
    ASSERT_OK(directory_.AddHub(hub));
    v1::Participant p;
    p.set_participant_id("h1");
    p.set_hub_id("hub-1");
    ASSERT_OK(directory_.AddParticipant(p));
    p.set_participant_id("other");
    p.set_hub_id("hub-2");
    ASSERT_OK(directory_.AddParticipant(p));
    StartServer();
  }
  void TearDown() override { StopServer(); }

  void StartServer() {
    ASSERT_OK_AND_ASSIGN(store_, telemetry::TelemetryStore::Open(dir_ + "/telemetry"));
    service_ = std::make_unique<HubServiceImpl>(store_.get(), &directory_, &clock_, &authorizer_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = v1::HubService::NewStub(channel_);
  }
  void StopServer() {
    if (server_) server_->Shutdown();
    server_.reset();
    service_.reset();
    store_.reset();
  }

  // Sends `reports` on one stream and returns every ack until the server's
  // ack for the last seq (or the stream's end), plus the final status.
  std::vector<v1::ReportAck> Send(const std::vector<v1::HubReport>& reports, grpc::Status* status) {
    grpc::ClientContext ctx;
    auto stream = stub_->Report(&ctx);
    for (const v1::HubReport& r : reports) {
      if (!stream->Write(r)) break;
    }
    stream->WritesDone();
    std::vector<v1::ReportAck> acks;
    v1::ReportAck ack;
    while (stream->Read(&ack)) acks.push_back(ack);
    *status = stream->Finish();
    return acks;
  }

  std::string dir_;
  exchange::InMemoryHubDirectory directory_;
  // In-process tests of the stream run as admin (authorizer_test has the rules).
  Authorizer authorizer_{&directory_, [](const std::string& id) -> absl::StatusOr<std::string> { return absl::NotFoundError(id); }, /*insecure=*/true};
  ManualClock clock_{absl::FromUnixMillis(kT0Ms)};
  std::unique_ptr<telemetry::TelemetryStore> store_;
  std::unique_ptr<HubServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::HubService::Stub> stub_;
};

TEST_F(HubServiceTest, StoresDurablyAcksAndDropsDuplicates) {
  std::vector<v1::HubReport> first;
  for (uint64_t s = 1; s <= 12; ++s) first.push_back(MakeReport(s));
  grpc::Status status;
  std::vector<v1::ReportAck> acks = Send(first, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks.back().acked_seq(), 12u);
  for (const v1::ReportAck& a : acks) EXPECT_FALSE(a.has_rejection());
  // A reconnecting hub resends 8..15: 8..12 are duplicates, 13..15 new.
  std::vector<v1::HubReport> resend;
  for (uint64_t s = 8; s <= 15; ++s) resend.push_back(MakeReport(s));
  acks = Send(resend, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(acks.back().acked_seq(), 15u);
  for (const v1::ReportAck& a : acks) EXPECT_FALSE(a.has_rejection());
  // Restart the exchange: everything acknowledged is still there.
  StopServer();
  StartServer();
  EXPECT_EQ(store_->LastSeq("hub-1"), 15u);
  ASSERT_OK_AND_ASSIGN(telemetry::HubSnapshot latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.seq(), 15u);
  EXPECT_EQ(latest.received_at_unix_ms, kT0Ms);
  ASSERT_OK_AND_ASSIGN(const auto reads, store_->IntervalReads(1782000000 + 12 * 900));
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads.at("h1").import_wh(), 12);
  EXPECT_THAT(store_->History("hub-1", "bank-1", 0, 0),
              IsOkAndHolds(SizeIs(1u)));  // 15 s in one 60 s bucket
}

TEST_F(HubServiceTest, RejectsEachMalformedKindWithItsCodeAndKeepsTheRest) {
  std::vector<v1::HubReport> reports;
  reports.push_back(MakeReport(1));
  reports.push_back(MakeReport(2));
  v1::HubReport bad_soc = MakeReport(3);
  bad_soc.mutable_banks(0)->set_soc_pct(100.5);
  reports.push_back(bad_soc);
  reports.push_back(MakeReport(4, /*counter=*/5));  // import_wh 20 → 5: decreasing
  v1::HubReport backwards = MakeReport(2);
  backwards.set_measured_at_unix_ms(kT0Ms + 99000);  // an old seq with new content
  reports.push_back(backwards);
  v1::HubReport wrong_zone = MakeReport(5);
  wrong_zone.set_zone_id("zone-9");
  reports.push_back(wrong_zone);
  v1::HubReport foreign = MakeReport(6);
  foreign.mutable_meters(0)->set_participant_id("other");
  reports.push_back(foreign);
  reports.push_back(MakeReport(7));
  grpc::Status status;
  const std::vector<v1::ReportAck> acks = Send(reports, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::map<uint64_t, v1::ReportRejection> rejected;
  for (const v1::ReportAck& a : acks) {
    if (a.has_rejection()) rejected[a.rejection().seq()] = a.rejection();
  }
  ASSERT_EQ(rejected.size(), 5u);
  // Report 2's duplicate-with-new-content shares seq 2 with a stored report.
  EXPECT_EQ(rejected[3].code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(rejected[3].message(), HasSubstr("soc_pct is 100.5"));
  EXPECT_EQ(rejected[4].code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(rejected[4].message(), HasSubstr("import_wh decreased"));
  EXPECT_EQ(rejected[2].code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(rejected[2].message(), HasSubstr("seq 2 goes backwards"));
  EXPECT_EQ(rejected[5].code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(rejected[5].message(), HasSubstr("zone_id \"zone-9\""));
  EXPECT_EQ(rejected[6].code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(rejected[6].message(), HasSubstr("\"other\" is registered on hub \"hub-2\""));
  // The good ones around them are stored; the rejected ones are processed.
  EXPECT_EQ(acks.back().acked_seq(), 7u);
  ASSERT_OK_AND_ASSIGN(telemetry::HubSnapshot latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.seq(), 7u);
  EXPECT_EQ(latest.report.meters(0).import_wh(), 70);
}

TEST_F(HubServiceTest, MeterRegisteredElsewhereMidStreamIsRejectedFromThen) {
  // An unregistered meter is accepted (and its check cached for the stream)
  // until a registration puts it on another hub.
  auto with_newcomer = [](uint64_t seq) {
    v1::HubReport r = MakeReport(seq);
    r.add_meters()->set_participant_id("newcomer");
    return r;
  };
  grpc::ClientContext context;
  auto stream = stub_->Report(&context);
  v1::ReportAck ack;
  ASSERT_TRUE(stream->Write(with_newcomer(1)));
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_FALSE(ack.has_rejection());
  EXPECT_EQ(ack.acked_seq(), 1u);
  v1::Participant p;
  p.set_participant_id("newcomer");
  p.set_hub_id("hub-2");
  ASSERT_OK(directory_.AddParticipant(p));
  ASSERT_TRUE(stream->Write(with_newcomer(2)));
  ASSERT_TRUE(stream->Read(&ack));
  ASSERT_TRUE(ack.has_rejection());
  EXPECT_EQ(ack.rejection().seq(), 2u);
  EXPECT_EQ(ack.rejection().code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(ack.rejection().message(), HasSubstr("\"newcomer\" is registered on hub \"hub-2\""));
  ASSERT_TRUE(stream->Write(MakeReport(3)));  // the stream goes on
  do {
    ASSERT_TRUE(stream->Read(&ack));
  } while (ack.acked_seq() < 3);
  EXPECT_FALSE(ack.has_rejection());
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(HubServiceTest, UnknownHubFailsTheStream) {
  v1::HubReport r = MakeReport(1);
  r.set_hub_id("hub-unknown");
  grpc::Status status;
  const std::vector<v1::ReportAck> acks = Send({r}, &status);
  EXPECT_TRUE(acks.empty());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("hub-unknown"));
  // A report for another hub on a hub's stream is rejected; the stream goes on.
  v1::HubReport second = MakeReport(9);
  second.set_hub_id("hub-2");
  const std::vector<v1::ReportAck> mixed = Send({MakeReport(1), second, MakeReport(2)}, &status);
  EXPECT_TRUE(status.ok());
  bool rejected = false;
  for (const v1::ReportAck& a : mixed) {
    if (!a.has_rejection()) continue;
    rejected = true;
    EXPECT_EQ(a.rejection().seq(), 9u);
    EXPECT_EQ(a.rejection().code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(a.rejection().message(), HasSubstr("this stream reports for hub_id \"hub-1\""));
  }
  EXPECT_TRUE(rejected);
  EXPECT_EQ(mixed.back().acked_seq(), 2u);
  EXPECT_EQ(store_->LastSeq("hub-2"), 0u);
}

TEST_F(HubServiceTest, StalenessFollowsTheExchangeClock) {
  EXPECT_TRUE(store_->IsStale("hub-1", 5, kT0Ms));  // never reported
  grpc::Status status;
  Send({MakeReport(1)}, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(store_->IsStale("hub-1", 5, kT0Ms + 15000));
  EXPECT_TRUE(store_->IsStale("hub-1", 5, kT0Ms + 15001));
}

}  // namespace
}  // namespace peergrid::server
