#include "peergrid/node/hub_streamer.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/server/hub_service.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::node {
namespace {

constexpr int64_t kT0Ms = 1782000000000;

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

// Waits (polling, bounded) until `done` holds.
template <typename F>
bool Eventually(F done, absl::Duration limit = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

class TestExchange {
 public:
  TestExchange(const std::string& dir, exchange::InMemoryHubDirectory* directory, int port) {
    store_ = *telemetry::TelemetryStore::Open(dir);
    // Plaintext loopback: the streamer calls as admin (server/'s tests have the rules).
    authorizer_ = std::make_unique<server::Authorizer>(
        directory,
        [](const std::string& id) -> absl::StatusOr<std::string> {
          return absl::NotFoundError(id);
        },
        /*insecure=*/true);
    service_ = std::make_unique<server::HubServiceImpl>(store_.get(), directory, &clock_,
                                                        authorizer_.get());
    grpc::ServerBuilder builder;
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
  }
  ~TestExchange() { server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1))); }
  int port() const { return port_; }
  telemetry::TelemetryStore& store() { return *store_; }

 private:
  RealClock clock_;
  std::unique_ptr<telemetry::TelemetryStore> store_;
  std::unique_ptr<server::Authorizer> authorizer_;
  std::unique_ptr<server::HubServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST(HubStreamerTest, BuffersThroughAnOutageAndResendsEverythingOnce) {
  const std::string dir = peergrid::testing::FreshTempDir("hub_streamer");
  exchange::InMemoryHubDirectory directory;
  v1::Hub hub;
  hub.set_hub_id("hub-1");
  hub.set_zone_id("zone-1");
  hub.set_reporting_period_s(1);
  ASSERT_OK(directory.AddHub(hub));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HubBuffer> buffer, HubBuffer::Open(dir + "/buffer"));
  auto exchange = std::make_unique<TestExchange>(dir + "/telemetry", &directory, 0);
  const int port = exchange->port();
  ASSERT_NE(port, 0);
  StreamerOptions options;
  options.target = absl::StrCat("127.0.0.1:", port);
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  HubStreamer streamer(buffer.get(), options);
  streamer.Start();
  for (int i = 1; i <= 20; ++i) ASSERT_OK(buffer->Append(Report(i)).status());
  ASSERT_TRUE(Eventually([&] { return buffer->acked_seq() == 20; }));
  EXPECT_EQ(exchange->store().LastSeq("hub-1"), 20u);

  exchange.reset();  // the exchange goes away; the hub keeps reporting
  for (int i = 21; i <= 60; ++i) ASSERT_OK(buffer->Append(Report(i)).status());
  EXPECT_EQ(buffer->acked_seq(), 20u);
  EXPECT_EQ(buffer->Usage().pending_reports, 40u);

  exchange = std::make_unique<TestExchange>(dir + "/telemetry", &directory, port);
  ASSERT_EQ(exchange->port(), port);
  ASSERT_TRUE(Eventually([&] { return buffer->acked_seq() == 60; }));
  streamer.Stop();
  EXPECT_EQ(exchange->store().LastSeq("hub-1"), 60u);
  ASSERT_OK_AND_ASSIGN(telemetry::HubSnapshot latest, exchange->store().Latest("hub-1"));
  EXPECT_EQ(latest.report.meters(0).import_wh(), 60);
  EXPECT_EQ(buffer->Usage().pending_reports, 0u);
  EXPECT_GE(streamer.stats().streams, 2u);
  EXPECT_EQ(streamer.stats().rejected, 0u);
  // The last report survives its ack (a restarted hub continues from it).
  ASSERT_TRUE(buffer->LastReport().has_value());
  EXPECT_EQ(buffer->LastReport()->seq(), 60u);
}

// The exchange never acknowledges a rejected report (its acked_seq stays at
// the last stored one); the streamer still drops it instead of holding it
// and resending it on every reconnect.
TEST(HubStreamerTest, DropsRejectedReportsThoughTheExchangeNeverAcksThem) {
  const std::string dir = peergrid::testing::FreshTempDir("hub_streamer_rejected");
  exchange::InMemoryHubDirectory directory;
  v1::Hub hub;
  hub.set_hub_id("hub-1");
  hub.set_zone_id("zone-1");
  hub.set_reporting_period_s(1);
  ASSERT_OK(directory.AddHub(hub));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HubBuffer> buffer, HubBuffer::Open(dir + "/buffer"));
  TestExchange exchange(dir + "/telemetry", &directory, 0);
  StreamerOptions options;
  options.target = absl::StrCat("127.0.0.1:", exchange.port());
  HubStreamer streamer(buffer.get(), options);
  for (int i = 1; i <= 3; ++i) ASSERT_OK(buffer->Append(Report(i)).status());
  for (int i = 4; i <= 5; ++i) {
    v1::HubReport bad = Report(i);
    bad.add_banks()->set_bank_id("bank-1");
    bad.mutable_banks(0)->set_soc_pct(150);  // rejected: SoC above 100
    ASSERT_OK(buffer->Append(bad).status());
  }
  streamer.Start();
  ASSERT_TRUE(Eventually([&] { return buffer->acked_seq() == 5; }));
  streamer.Stop();
  EXPECT_EQ(exchange.store().LastSeq("hub-1"), 3u);  // the exchange's ack stays
  EXPECT_EQ(streamer.stats().rejected, 2u);
  EXPECT_EQ(buffer->Usage().pending_reports, 0u);
}

}  // namespace
}  // namespace peergrid::node
