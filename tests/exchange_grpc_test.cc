// The real peergrid-exchange process over loopback gRPC: bad input of every
// kind gets the right code and a message naming the field and leaves nothing
// in the ledger; a standard health check sees SERVING; /metrics is valid
// Prometheus text.
#include <sys/wait.h>

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"

namespace peergrid {
namespace {

using ::testing::HasSubstr;

class ExchangeGrpcTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::peergrid::testing::FreshTempDir("exchange_grpc"));
    // A real clock: intervals 2 h ahead are open for the whole test.
    auto exchange = runtime::Subprocess::Start(
        {::peergrid::testing::BinaryDir() + "/bin/peergrid-exchange",
         "--data-dir=" + *dir_ + "/data", "--listen=127.0.0.1:0", "--http=127.0.0.1:0",
         "--port-file=" + *dir_ + "/port", "--max-message-bytes=65536", "--insecure"},
        *dir_ + "/exchange.log");
    ASSERT_TRUE(exchange.ok()) << exchange.status();
    exchange_ = exchange->release();
    auto port = runtime::WaitForFileLine(*dir_ + "/port", absl::Seconds(60));
    ASSERT_TRUE(port.ok()) << port.status();
    address_ = new std::string("127.0.0.1:" + *port);
    auto channel = grpc::CreateChannel(*address_, grpc::InsecureChannelCredentials());
    auto admin = v1::AdminService::NewStub(channel);
    v1::RegisterResponse r;
    v1::SetTariffRequest tariff;
    tariff.mutable_tariff()->set_feed_in_price_mcu_per_kwh(50'000);
    tariff.mutable_tariff()->set_retail_price_mcu_per_kwh(200'000);
    grpc::ClientContext c1, c2, c3;
    ASSERT_TRUE(admin->SetTariff(&c1, tariff, &r).ok());
    v1::RegisterHubRequest hub;
    hub.mutable_hub()->set_hub_id("hub-1");
    hub.mutable_hub()->set_zone_id("jeju-1");
    hub.mutable_hub()->set_reporting_period_s(5);
    ASSERT_TRUE(admin->RegisterHub(&c2, hub, &r).ok());
    v1::RegisterParticipantRequest p;
    p.mutable_participant()->set_participant_id("h1");
    p.mutable_participant()->set_hub_id("hub-1");
    p.mutable_participant()->set_kind(v1::HOUSEHOLD);
    p.mutable_participant()->set_pv_nameplate_w(4000);
    ASSERT_TRUE(admin->RegisterParticipant(&c3, p, &r).ok());
  }

  static void TearDownTestSuite() {
    if (exchange_ != nullptr) {
      int status = exchange_->Stop(absl::Seconds(30));
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
      delete exchange_;
    }
    delete address_;
    delete dir_;
  }

  std::shared_ptr<grpc::Channel> Channel() {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(16 << 20);
    return grpc::CreateCustomChannel(*address_, grpc::InsecureChannelCredentials(), args);
  }

  uint64_t LedgerSize() {
    auto admin = v1::AdminService::NewStub(Channel());
    grpc::ClientContext context;
    v1::Zone zone;
    EXPECT_TRUE(admin->GetZone(&context, v1::GetZoneRequest(), &zone).ok());
    return zone.ledger_size();
  }

  static v1::SubmitOrderRequest Good() {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    v1::SubmitOrderRequest request;
    v1::Order* o = request.mutable_order();
    o->set_order_id("good-1");
    o->set_participant_id("h1");
    o->set_side(v1::BUY);
    o->set_quantity_wh(500);
    o->set_limit_price_mcu_per_kwh(100'000);
    o->set_interval_start((now / 900 + 8) * 900);
    return request;
  }

  grpc::Status Submit(const v1::SubmitOrderRequest& request) {
    auto market = v1::MarketService::NewStub(Channel());
    grpc::ClientContext context;
    v1::SubmitOrderResponse response;
    return market->SubmitOrder(&context, request, &response);
  }

  static std::string* dir_;
  static std::string* address_;
  static runtime::Subprocess* exchange_;
};

std::string* ExchangeGrpcTest::dir_ = nullptr;
std::string* ExchangeGrpcTest::address_ = nullptr;
runtime::Subprocess* ExchangeGrpcTest::exchange_ = nullptr;

TEST_F(ExchangeGrpcTest, EveryKindOfBadOrderIsRefusedNamingTheFieldAndRecordsNothing) {
  const uint64_t before = LedgerSize();
  struct Case {
    const char* what;
    std::function<void(v1::SubmitOrderRequest*)> mutate;
    grpc::StatusCode code;
    const char* names;
  };
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const Case cases[] = {
      {"zero quantity", [](auto* r) { r->mutable_order()->set_quantity_wh(0); },
       grpc::StatusCode::INVALID_ARGUMENT, "quantity_wh"},
      {"negative quantity", [](auto* r) { r->mutable_order()->set_quantity_wh(-5); },
       grpc::StatusCode::INVALID_ARGUMENT, "quantity_wh"},
      {"absurd quantity",
       [](auto* r) { r->mutable_order()->set_quantity_wh(1'000'000'000'000'000); },
       grpc::StatusCode::INVALID_ARGUMENT, "quantity_wh"},
      {"price above retail",
       [](auto* r) { r->mutable_order()->set_limit_price_mcu_per_kwh(200'001); },
       grpc::StatusCode::INVALID_ARGUMENT, "limit_price"},
      {"price below feed-in",
       [](auto* r) { r->mutable_order()->set_limit_price_mcu_per_kwh(49'999); },
       grpc::StatusCode::INVALID_ARGUMENT, "limit_price"},
      {"no side", [](auto* r) { r->mutable_order()->set_side(v1::SIDE_UNSPECIFIED); },
       grpc::StatusCode::INVALID_ARGUMENT, "side"},
      {"unaligned interval",
       [](auto* r) { r->mutable_order()->set_interval_start(r->order().interval_start() + 1); },
       grpc::StatusCode::INVALID_ARGUMENT, "interval_start"},
      {"beyond the horizon",
       [now](auto* r) { r->mutable_order()->set_interval_start((now / 900 + 200) * 900); },
       grpc::StatusCode::INVALID_ARGUMENT, "interval_start"},
      {"late, after gate closure",
       [now](auto* r) { r->mutable_order()->set_interval_start((now / 900) * 900); },
       grpc::StatusCode::FAILED_PRECONDITION, "gate"},
      {"empty order id", [](auto* r) { r->mutable_order()->set_order_id(""); },
       grpc::StatusCode::INVALID_ARGUMENT, "order_id"},
      {"bad order id", [](auto* r) { r->mutable_order()->set_order_id("a b"); },
       grpc::StatusCode::INVALID_ARGUMENT, "order_id"},
      {"unknown participant", [](auto* r) { r->mutable_order()->set_participant_id("ghost"); },
       grpc::StatusCode::NOT_FOUND, "ghost"},
      {"seq set by the client", [](auto* r) { r->mutable_order()->set_seq(3); },
       grpc::StatusCode::INVALID_ARGUMENT, "seq"},
      {"sell above what the seller can deliver",
       [](auto* r) {
         r->mutable_order()->set_side(v1::SELL);
         r->mutable_order()->set_quantity_wh(100'000);
       },
       grpc::StatusCode::FAILED_PRECONDITION, "stale"},
  };
  for (const Case& c : cases) {
    v1::SubmitOrderRequest request = Good();
    c.mutate(&request);
    grpc::Status status = Submit(request);
    EXPECT_EQ(status.error_code(), c.code) << c.what << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.names)) << c.what;
  }
  EXPECT_EQ(LedgerSize(), before);
}

TEST_F(ExchangeGrpcTest, OversizedMessageIsRefusedAndRecordsNothing) {
  const uint64_t before = LedgerSize();
  v1::SubmitOrderRequest request = Good();
  request.mutable_order()->set_order_id("huge");
  request.set_signature(std::string(200'000, 'x'));  // above --max-message-bytes=65536
  grpc::Status status = Submit(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(LedgerSize(), before);
}

TEST_F(ExchangeGrpcTest, GoodOrderIsRecordedAndItsIdCannotBeReused) {
  const uint64_t before = LedgerSize();
  v1::SubmitOrderRequest request = Good();
  request.mutable_order()->set_order_id("good-2");
  auto market = v1::MarketService::NewStub(Channel());
  grpc::ClientContext context;
  v1::SubmitOrderResponse response;
  ASSERT_TRUE(market->SubmitOrder(&context, request, &response).ok());
  EXPECT_EQ(response.seq(), before);  // its seq is its ledger index
  EXPECT_EQ(LedgerSize(), before + 1);
  grpc::Status again = Submit(request);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(again.error_message(), HasSubstr("good-2"));
  EXPECT_EQ(LedgerSize(), before + 1);
}

TEST_F(ExchangeGrpcTest, StandardHealthCheckSeesServing) {
  // grpc.health.v1.Health/Check over the wire: an empty HealthCheckRequest
  // (service "") answered by HealthCheckResponse{status: SERVING = 1}, whose
  // encoding is field 1 varint 1: bytes 08 01.
  grpc::GenericStub stub(Channel());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Slice empty{std::string()};
  grpc::ByteBuffer request(&empty, 1);  // an empty message, not a null buffer
  grpc::ByteBuffer response;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

TEST_F(ExchangeGrpcTest, MetricsAreValidPrometheusText) {
  // The HTTP address is in the "serving" log line.
  std::string http;
  FILE* log = std::fopen((*dir_ + "/exchange.log").c_str(), "r");
  ASSERT_NE(log, nullptr);
  char line[4096];
  while (std::fgets(line, sizeof(line), log) != nullptr) {
    std::string s(line);
    size_t at = s.find("\"http\":\"");
    if (s.find("\"serving\"") != std::string::npos && at != std::string::npos) {
      http = s.substr(at + 8, s.find('"', at + 8) - at - 8);
    }
  }
  std::fclose(log);
  ASSERT_FALSE(http.empty());
  const std::string out = *dir_ + "/metrics.txt";
  const std::string cmd = absl::StrCat("curl -sf http://", http, "/metrics > ", out,
                                       " && promtool check metrics < ", out);
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  FILE* f = std::fopen(out.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  while (std::fgets(line, sizeof(line), f) != nullptr) text += line;
  std::fclose(f);
  EXPECT_THAT(text, HasSubstr("peergrid_orders_total{side=\"buy\"}"));
  EXPECT_THAT(text, HasSubstr("peergrid_ledger_size"));
  EXPECT_THAT(text, HasSubstr("peergrid_hub_stale{hub=\"hub-1\"} 1"));
  EXPECT_THAT(text, HasSubstr("peergrid_request_duration_seconds_bucket"));
}

}  // namespace
}  // namespace peergrid
