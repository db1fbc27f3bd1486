#include "peergrid/server/operator_service.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/server/hub_service.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::server {
namespace {

constexpr int64_t kT0Ms = 1782000000000;

v1::HubReport Report(uint64_t seq, double soc) {
  v1::HubReport r;
  r.set_hub_id("hub-1");
  r.set_zone_id("zone-1");
  r.set_seq(seq);
  r.set_measured_at_unix_ms(kT0Ms + static_cast<int64_t>(seq) * 30000);
  r.add_meters()->set_participant_id("h1");
  v1::BatteryBankReading* b = r.add_banks();
  b->set_bank_id("bank-1");
  b->set_soc_pct(soc);
  b->set_soh_pct(90);
  b->set_power_w(static_cast<int64_t>(seq) * 100);
  b->set_cell_temp_max_c(25);
  b->set_chemistry(v1::NMC);
  return r;
}

class OperatorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id("zone-1");
    hub.set_reporting_period_s(5);
    ASSERT_OK(directory_.AddHub(hub));
    hub.set_hub_id("hub-silent");
    ASSERT_OK(directory_.AddHub(hub));
    telemetry::TelemetryOptions options;
    for (hub::AlarmRule& r : options.alarms.bank_rules) r.dwell_s = 0;  // thresholds alone
    options.alarm_history_per_hub = 3;
    ASSERT_OK_AND_ASSIGN(store_, telemetry::TelemetryStore::Open(
                                     peergrid::testing::FreshTempDir("operator"), options));
    hub_service_ =
        std::make_unique<HubServiceImpl>(store_.get(), &directory_, &clock_, &authorizer_);
    operator_service_ = std::make_unique<OperatorServiceImpl>(store_.get(), &directory_, &clock_,
                                                              &authorizer_, &streams_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(hub_service_.get());
    builder.RegisterService(operator_service_.get());
    server_ = builder.BuildAndStart();
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    hubs_ = v1::HubService::NewStub(channel);
    ops_ = v1::OperatorService::NewStub(channel);
  }
  void TearDown() override { server_->Shutdown(); }

  void SendAll(const std::vector<v1::HubReport>& reports) {
    grpc::ClientContext ctx;
    auto stream = hubs_->Report(&ctx);
    for (const auto& r : reports) ASSERT_TRUE(stream->Write(r));
    stream->WritesDone();
    v1::ReportAck ack;
    while (stream->Read(&ack)) {
    }
    ASSERT_TRUE(stream->Finish().ok());
  }

  exchange::InMemoryHubDirectory directory_;
  // In-process tests of the views run as admin (authorizer_test has the rules).
  Authorizer authorizer_{
      &directory_,
      [](const std::string& id) -> absl::StatusOr<std::string> { return absl::NotFoundError(id); },
      /*insecure=*/true};
  ManualClock clock_{absl::FromUnixMillis(kT0Ms)};
  runtime::StreamLimiter streams_{2};  // WatchAlarms streams per identity
  std::unique_ptr<telemetry::TelemetryStore> store_;
  std::unique_ptr<HubServiceImpl> hub_service_;
  std::unique_ptr<OperatorServiceImpl> operator_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::HubService::Stub> hubs_;
  std::unique_ptr<v1::OperatorService::Stub> ops_;
};

TEST_F(OperatorServiceTest, ListsHubsBatteriesAndHistory) {
  std::vector<v1::HubReport> reports;
  for (uint64_t s = 1; s <= 6; ++s) reports.push_back(Report(s, 50.0 - static_cast<double>(s)));
  SendAll(reports);
  clock_.Advance(absl::Seconds(10));
  grpc::ClientContext c1;
  v1::ListHubsResponse hubs;
  ASSERT_TRUE(ops_->ListHubs(&c1, {}, &hubs).ok());
  ASSERT_EQ(hubs.hubs_size(), 2);
  EXPECT_EQ(hubs.hubs(0).hub().hub_id(), "hub-1");
  EXPECT_FALSE(hubs.hubs(0).stale());
  EXPECT_EQ(hubs.hubs(0).last_seq(), 6u);
  EXPECT_EQ(hubs.hubs(0).bank_count(), 1);
  EXPECT_EQ(hubs.hubs(0).last_report_unix_ms(), kT0Ms);
  EXPECT_EQ(hubs.hubs(1).hub().hub_id(), "hub-silent");
  EXPECT_TRUE(hubs.hubs(1).stale());

  grpc::ClientContext c2;
  v1::ListBatteriesResponse batteries;
  ASSERT_TRUE(ops_->ListBatteries(&c2, {}, &batteries).ok());
  ASSERT_EQ(batteries.batteries_size(), 1);
  EXPECT_DOUBLE_EQ(batteries.batteries(0).bank().soc_pct(), 44.0);

  grpc::ClientContext c3;
  v1::GetBatteryHistoryRequest hreq;
  hreq.set_hub_id("hub-1");
  hreq.set_bank_id("bank-1");
  v1::GetBatteryHistoryResponse history;
  ASSERT_TRUE(ops_->GetBatteryHistory(&c3, hreq, &history).ok());
  EXPECT_EQ(history.resolution_s(), 60);
  // Reports every 30 s from +30 s: buckets [0,60) {1}, [60,120) {2,3}, [120,180) {4,5}, {6}.
  ASSERT_EQ(history.points_size(), 4);
  EXPECT_EQ(history.points(1).time_unix_ms(), kT0Ms + 60000);
  EXPECT_EQ(history.points(1).power_w(), 250);  // mean of 200 and 300
  EXPECT_DOUBLE_EQ(history.points(1).soc_pct(), 47.0);
  EXPECT_DOUBLE_EQ(history.points(1).soc_min_pct_in_bucket(), 47.0);
  EXPECT_DOUBLE_EQ(history.points(1).soc_max_pct_in_bucket(), 48.0);

  grpc::ClientContext c4;
  v1::GetHubRequest greq;
  greq.set_hub_id("nope");
  v1::HubStatus status;
  EXPECT_EQ(ops_->GetHub(&c4, greq, &status).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(OperatorServiceTest, WatchAlarmsStreamsRaisedAndStaleTransitions) {
  SendAll({Report(1, 15)});  // SoC 15 %: SOC_LOW warning
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchAlarmsRequest req;
  req.set_include_active(true);
  auto reader = ops_->WatchAlarms(&ctx, req);
  v1::AlarmEvent e;
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(e.transition(), v1::ACTIVE);
  EXPECT_EQ(e.alarm().kind(), v1::SOC_LOW);
  EXPECT_EQ(e.alarm().severity(), v1::WARNING);
  // hub-silent never reported: stale after 3 periods of 5 s on the exchange clock.
  clock_.Advance(absl::Seconds(16));
  SendAll({Report(2, 8)});  // escalates to critical; hub-1 is fresh again
  // hub-1 may itself flap stale before its second report lands: skip that.
  bool stale = false;
  bool escalated = false;
  for (int i = 0; i < 10 && !(stale && escalated) && reader->Read(&e); ++i) {
    const v1::AlarmEvent& ev = e;
    if (ev.alarm().kind() == v1::HUB_STALE && ev.alarm().hub_id() == "hub-silent" &&
        ev.transition() == v1::RAISED) {
      stale = true;
    }
    if (ev.alarm().kind() == v1::SOC_LOW && ev.transition() == v1::ESCALATED &&
        ev.alarm().severity() == v1::CRITICAL) {
      escalated = true;
    }
  }
  EXPECT_TRUE(stale);
  EXPECT_TRUE(escalated);
  ctx.TryCancel();
  v1::AlarmEvent rest;
  while (reader->Read(&rest)) {
  }
  (void)reader->Finish();
}

TEST_F(OperatorServiceTest, ListAlarmHistoryReturnsTheKeptTransitionsOldestFirst) {
  SendAll({Report(1, 15)});  // SOC_LOW warning raised
  clock_.Advance(absl::Seconds(1));
  SendAll({Report(2, 8)});  // escalated to critical
  clock_.Advance(absl::Seconds(1));
  SendAll({Report(3, 50)});  // cleared
  clock_.Advance(absl::Seconds(1));
  SendAll({Report(4, 15)});  // raised again: the oldest of hub-1's four is dropped
  grpc::ClientContext c1;
  v1::ListAlarmHistoryRequest req;
  req.set_hub_id("hub-1");
  v1::ListAlarmHistoryResponse resp;
  ASSERT_TRUE(ops_->ListAlarmHistory(&c1, req, &resp).ok());
  EXPECT_EQ(resp.retained_per_hub(), 3);
  ASSERT_EQ(resp.entries_size(), 3);
  EXPECT_EQ(resp.entries(0).event().transition(), v1::ESCALATED);
  EXPECT_EQ(resp.entries(1).event().transition(), v1::CLEARED);
  EXPECT_EQ(resp.entries(2).event().transition(), v1::RAISED);
  EXPECT_EQ(resp.entries(2).event().at_unix_ms(), kT0Ms + 3000);
  EXPECT_LT(resp.entries(0).seq(), resp.entries(2).seq());

  req.set_limit(1);
  grpc::ClientContext c2;
  v1::ListAlarmHistoryResponse newest;
  ASSERT_TRUE(ops_->ListAlarmHistory(&c2, req, &newest).ok());
  ASSERT_EQ(newest.entries_size(), 1);
  EXPECT_EQ(newest.entries(0).seq(), resp.entries(2).seq());
  req.set_limit(10'001);
  grpc::ClientContext c3;
  v1::ListAlarmHistoryResponse bad;
  EXPECT_EQ(ops_->ListAlarmHistory(&c3, req, &bad).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_limit(0);
  req.set_hub_id("nope");
  grpc::ClientContext c4;
  EXPECT_EQ(ops_->ListAlarmHistory(&c4, req, &bad).error_code(), grpc::StatusCode::NOT_FOUND);
}

// Issue 12: WatchAlarms streams were unbounded per identity. With the
// in-process --insecure authorizer, a stream for hub h counts under
// "operator/h".
TEST_F(OperatorServiceTest, WatchAlarmsAreBoundedPerIdentityAndACancelledOneGivesItsSlotBack) {
  struct Watch {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::AlarmEvent>> reader;
  };
  auto open = [&](Watch* w, const std::string& hub_id) {
    w->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::WatchAlarmsRequest request;
    request.set_hub_id(hub_id);
    w->reader = ops_->WatchAlarms(&w->context, request);
    w->reader->WaitForInitialMetadata();  // served (slot taken) or refused
  };
  auto end = [](Watch* w) {
    w->context.TryCancel();
    v1::AlarmEvent ignored;
    while (w->reader->Read(&ignored)) {
    }
    return w->reader->Finish();
  };
  Watch first, second, third, elsewhere;
  open(&first, "hub-1");
  open(&second, "hub-1");
  EXPECT_EQ(streams_.open("operator/hub-1"), 2);
  open(&third, "hub-1");
  v1::AlarmEvent event;
  EXPECT_FALSE(third.reader->Read(&event));
  grpc::Status refused = third.reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              ::testing::HasSubstr("\"operator/hub-1\" already has 2 open streams, the limit"));
  open(&elsewhere, "hub-silent");  // another identity
  EXPECT_EQ(streams_.open("operator/hub-silent"), 1);
  EXPECT_EQ(end(&first).error_code(), grpc::StatusCode::CANCELLED);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (streams_.open("operator/hub-1") != 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(streams_.open("operator/hub-1"), 1);
  Watch again;
  open(&again, "hub-1");
  EXPECT_EQ(streams_.open("operator/hub-1"), 2);
  for (Watch* w : {&second, &elsewhere, &again}) (void)end(w);
}

}  // namespace
}  // namespace peergrid::server
