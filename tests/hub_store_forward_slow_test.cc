// Store-and-forward with real processes over loopback (issue 5): a
// peergrid-hub keeps reporting while its peergrid-exchange is killed with
// SIGKILL and restarted; afterwards the exchange holds every seq the hub
// buffered exactly once, and whatever was not acknowledged is still in the
// hub's buffer.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/node/hub_buffer.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/operator.grpc.pb.h"

namespace peergrid {
namespace {

using runtime::Subprocess;

constexpr char kHubId[] = "jeju-hub-1";

// Polls `done` every 20 ms for up to `limit` (waiting on another process).
template <typename F>
bool Eventually(F done, absl::Duration limit = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

class StoreForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("hub_store_forward");
    exchange_bin_ = peergrid::testing::BinaryDir() + "/bin/peergrid-exchange";
    hub_bin_ = peergrid::testing::BinaryDir() + "/bin/peergrid-hub";
  }

  // Starts the exchange on `port` (0: any) and returns the bound port.
  int StartExchange(int port) {
    const std::string port_file = dir_ + "/exchange.port";
    std::remove(port_file.c_str());
    auto started = runtime::Subprocess::Start(
        {exchange_bin_, "--data-dir", dir_ + "/exchange", "--listen",
         absl::StrCat("127.0.0.1:", port), "--http=", "--port_file", port_file, "--insecure"},
        dir_ + "/exchange.log");
    EXPECT_THAT(started.status(), peergrid::testing::IsOk());
    if (!started.ok()) return 0;
    exchange_ = *std::move(started);
    int bound = 0;
    EXPECT_TRUE(Eventually([&] {
      std::ifstream in(port_file);
      return static_cast<bool>(in >> bound) && bound > 0;
    })) << "exchange did not start; see "
        << dir_ << "/exchange.log";
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", bound), grpc::InsecureChannelCredentials());
    return bound;
  }

  // Returns the exchange's last stored seq for the hub (0 when unreachable).
  uint64_t ExchangeLastSeq() {
    auto stub = v1::OperatorService::NewStub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::GetHubRequest req;
    req.set_hub_id(kHubId);
    v1::HubStatus status;
    if (!stub->GetHub(&ctx, req, &status).ok()) return 0;
    return status.summary().last_seq();
  }

  std::string dir_;
  std::string exchange_bin_;
  std::string hub_bin_;
  std::unique_ptr<runtime::Subprocess> exchange_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(StoreForwardTest, ExchangeKilledAndRestartedLosesNothing) {
  const int port = StartExchange(0);
  ASSERT_GT(port, 0);
  {
    auto admin = v1::AdminService::NewStub(channel_);
    grpc::ClientContext ctx;
    v1::RegisterHubRequest req;
    req.mutable_hub()->set_hub_id(kHubId);
    req.mutable_hub()->set_zone_id("jeju-1");
    req.mutable_hub()->set_latitude_deg(33.5);
    req.mutable_hub()->set_longitude_deg(126.5);
    req.mutable_hub()->set_reporting_period_s(1);
    v1::RegisterResponse resp;
    grpc::Status s = admin->RegisterHub(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The hub reports every simulated second on a clock 5× faster than real.
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<runtime::Subprocess> hub,
      runtime::Subprocess::Start(
          {hub_bin_, "run", "--config", peergrid::testing::SourceDir() + "/deploy/hub-jeju.toml",
           "--exchange", absl::StrCat("127.0.0.1:", port), "--data-dir", dir_ + "/hub",
           "--households", "6", "--reporting-period", "1", "--clock", "sim:5", "--insecure"},
          dir_ + "/hub.log"));
  ASSERT_TRUE(Eventually([&] { return ExchangeLastSeq() >= 10; }))
      << "no reports arrived; see " << dir_ << "/hub.log";

  // Kill the exchange hard; the hub keeps reporting into its buffer.
  exchange_->Signal(SIGKILL);
  ASSERT_OK(exchange_->Wait(absl::Seconds(10)).status());
  const uint64_t before = ExchangeLastSeq();  // unreachable: 0
  EXPECT_EQ(before, 0u);
  absl::SleepFor(absl::Seconds(3));  // the outage: ~15 reports buffered

  ASSERT_EQ(StartExchange(port), port);
  uint64_t caught_up = 0;
  ASSERT_TRUE(Eventually([&] { return (caught_up = ExchangeLastSeq()) >= 40; }))
      << "the hub did not resend after the restart; see " << dir_ << "/hub.log";

  // Stop both gracefully, then inspect their stores.
  hub->Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(int hub_status, hub->Wait(absl::Seconds(20)));
  EXPECT_TRUE(WIFEXITED(hub_status) && WEXITSTATUS(hub_status) == 0) << hub_status;
  exchange_->Signal(SIGTERM);
  ASSERT_OK(exchange_->Wait(absl::Seconds(20)).status());

  ASSERT_OK_AND_ASSIGN(auto buffer, node::HubBuffer::Open(dir_ + "/hub/buffer"));
  const uint64_t last = buffer->next_seq() - 1;
  const uint64_t acked = buffer->acked_seq();
  ASSERT_GE(acked, caught_up);
  ASSERT_OK_AND_ASSIGN(auto store, telemetry::TelemetryStore::Open(dir_ + "/exchange/telemetry"));
  ASSERT_OK_AND_ASSIGN(const std::vector<uint64_t> seqs, store->StoredSeqs(kHubId));
  // Every acknowledged seq is stored, once, with no gaps; the rest (if the
  // hub stopped before their acks) are still buffered at the hub.
  ASSERT_GE(seqs.size(), acked);
  for (uint64_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
  EXPECT_LE(seqs.size(), last);
  ASSERT_OK_AND_ASSIGN(const std::vector<v1::HubReport> pending, buffer->ReadAfter(acked, 100000));
  EXPECT_EQ(pending.size(), last - acked);
  EXPECT_EQ(store->LastSeq(kHubId), seqs.size());
}

}  // namespace
}  // namespace peergrid
