// The audit of a ledger the real Exchange wrote over a simulated day (96
// intervals on a manual clock: registrations, a tariff change, orders,
// cancels, clearings at gate closure, settlements, corrections for late meter
// reads): the export passes offline, and the exchange's own AuditService
// passes `audit --server`, serves receipts that verify offline, and feeds a
// follower's mirror — all over real gRPC on loopback.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/follow.h"
#include "peergrid/audit/receipt.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/runtime/broadcaster.h"
#include "peergrid/server/exchange_services.h"
#include "peergrid/testing/in_memory_telemetry.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::services {
namespace {

using ::peergrid::testing::IsOkAndHolds;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int64_t kDay = 1'782'000'000;  // 2026-06-21 00:00 UTC
constexpr int kHouseholds = 6;           // per hub; two hubs

class AuditExchangeDayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(peergrid::testing::FreshTempDir("audit_exchange_day"));
    RunDay();
  }
  static void TearDownTestSuite() {
    exchange_.reset();
    log_.reset();
  }

  static std::string Id(int hub, int p) {
    return "h" + std::to_string(hub) + "-p" + std::to_string(p);
  }

  static void Tick(int64_t t) {
    clock_->Set(absl::FromUnixSeconds(t));
    for (int h = 0; h < 2; ++h) telemetry_->Report("hub-" + std::to_string(h), t * 1000);
    ASSERT_OK(exchange_->RunDue());
  }

  // One day: every household trades every interval (even ones sell their PV
  // by day), a few cancel, every fifth interval one read arrives late.
  static void RunDay() {
    clock_ = new ManualClock(absl::FromUnixSeconds(kDay - 3600));
    telemetry_ = new peergrid::testing::InMemoryTelemetry();
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = "peergrid/jeju-1";
    ASSERT_OK_AND_ASSIGN(log_, ledger::Ledger::Open(*dir_ + "/ledger", ledger_options));
    ASSERT_OK_AND_ASSIGN(exchange_, exchange::Exchange::Open(log_.get(), telemetry_, clock_,
                                                             exchange::ExchangeOptions{}));
    for (int h = 0; h < 2; ++h) {
      v1::Hub hub;
      hub.set_hub_id("hub-" + std::to_string(h));
      hub.set_zone_id("jeju-1");
      hub.set_reporting_period_s(5);
      ASSERT_OK(exchange_->RegisterHub(hub));
      for (int p = 0; p < kHouseholds; ++p) {
        v1::Participant participant;
        participant.set_participant_id(Id(h, p));
        participant.set_hub_id(hub.hub_id());
        participant.set_kind(v1::HOUSEHOLD);
        participant.set_pv_nameplate_w(p % 2 == 0 ? 6000 : 0);
        ASSERT_OK(exchange_->RegisterParticipant(participant));
      }
    }
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(60'000);
    tariff.set_retail_price_mcu_per_kwh(180'000);
    ASSERT_OK(exchange_->SetTariff(tariff));
    const MarketTiming timing;
    uint64_t n = 0;
    for (int i = 0; i < 96; ++i) {
      const int64_t start = kDay + i * timing.interval_s;
      Tick(timing.GateClosure(start) - 600);
      if (i == 48) {  // the tariff changes at noon
        tariff.set_retail_price_mcu_per_kwh(190'000);
        ASSERT_OK(exchange_->SetTariff(tariff));
      }
      const bool daylight = i >= 24 && i < 72;
      for (int h = 0; h < 2; ++h) {
        for (int p = 0; p < kHouseholds; ++p, ++n) {
          const bool sell = daylight && p % 2 == 0;
          v1::SubmitOrderRequest request;
          v1::Order* o = request.mutable_order();
          o->set_order_id("o-" + std::to_string(i) + "-" + Id(h, p));
          o->set_participant_id(Id(h, p));
          o->set_side(sell ? v1::SELL : v1::BUY);
          o->set_quantity_wh(200 + static_cast<int64_t>((n * 7919) % 1000));
          o->set_limit_price_mcu_per_kwh(80'000 + static_cast<int64_t>((n * 104729) % 90'000));
          o->set_interval_start(start);
          ASSERT_OK(exchange_->SubmitOrder(request).status());
          if (n % 9 == 4) {
            v1::CancelOrderRequest cancel;
            cancel.set_order_id(o->order_id());
            cancel.set_participant_id(o->participant_id());
            ASSERT_OK(exchange_->CancelOrder(cancel).status());
          }
          const int64_t net = sell ? 400 : -300;
          if (!(i % 5 == 0 && h == 0 && p == 1)) {
            telemetry_->Read(start, Id(h, p), std::max<int64_t>(-net, 0) + 50,
                             std::max<int64_t>(net, 0) + 50);
          }
        }
      }
      Tick(timing.GateClosure(start));
      if (i >= 3 && (i - 3) % 5 == 0) {  // the late read of three intervals ago arrives
        telemetry_->Read(kDay + (i - 3) * timing.interval_s, Id(0, 1), 380, 40);
      }
    }
    for (int64_t t = kDay + 96 * 900; t <= kDay + 96 * 900 + 4 * 3600; t += 900) Tick(t);
    ASSERT_OK(exchange_->SignCheckpoint());
  }

  void SetUp() override {
    service_ = std::make_unique<server::AuditServiceImpl>(
        log_.get(), exchange_.get(), &checkpoints_, "peergrid/jeju-1", &authorizer_, nullptr);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    address_ = "127.0.0.1:" + std::to_string(port_);
    stub_ = v1::AuditService::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    checkpoints_.Close();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  }

  // The exchange's own AuditService on 127.0.0.1:0.
  runtime::Broadcaster<v1::Checkpoint> checkpoints_;
  std::unique_ptr<server::AuditServiceImpl> service_;
  // Plaintext loopback: every caller is admin (authorizer_test has the rules).
  server::Authorizer authorizer_{&exchange_->directory(),
                                 [](const std::string& id) -> absl::StatusOr<std::string> {
                                   return absl::NotFoundError(id);
                                 },
                                 /*insecure=*/true};
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string address_;
  std::unique_ptr<v1::AuditService::Stub> stub_;

  static std::string* dir_;
  static ManualClock* clock_;
  static peergrid::testing::InMemoryTelemetry* telemetry_;
  static std::unique_ptr<ledger::Ledger> log_;
  static std::unique_ptr<exchange::Exchange> exchange_;
};

std::string* AuditExchangeDayTest::dir_ = nullptr;
ManualClock* AuditExchangeDayTest::clock_ = nullptr;
peergrid::testing::InMemoryTelemetry* AuditExchangeDayTest::telemetry_ = nullptr;
std::unique_ptr<ledger::Ledger> AuditExchangeDayTest::log_;
std::unique_ptr<exchange::Exchange> AuditExchangeDayTest::exchange_;

TEST_F(AuditExchangeDayTest, ExportedDayPassesTheAudit) {
  const std::string out = *dir_ + "/export";
  ASSERT_OK(ledger::ExportLedger(*log_, out));
  ASSERT_OK_AND_ASSIGN(ledger::VerifierKey key, audit::ReadVerifierKeyFile(out + "/log.pub"));
  ASSERT_OK_AND_ASSIGN(audit::AuditReport r, audit::AuditExport(out, key, audit::AuditOptions{}));
  EXPECT_TRUE(r.ok()) << audit::AuditReportText(r);
  EXPECT_EQ(r.entries, log_->Size());
  EXPECT_GE(r.intervals_cleared, 96u);
  EXPECT_GE(r.intervals_settled, 96u);  // the last cleared intervals are not due yet
  EXPECT_LE(r.intervals_settled, r.intervals_cleared);
  EXPECT_GT(r.corrections, 0u);
  EXPECT_GT(r.cancellations, 0u);
  EXPECT_GT(r.volume_wh, 0);
  EXPECT_EQ(r.counts[static_cast<size_t>(audit::AuditCheck::kTariff)].verified, 2u);
}

TEST_F(AuditExchangeDayTest, AuditOverTheExchangesAuditServicePasses) {
  audit::AuditOptions options;
  options.state_file = *dir_ + "/server-state.json";
  ASSERT_OK_AND_ASSIGN(audit::AuditReport r,
                       audit::AuditServer(stub_.get(), address_, log_->verifier_key(), options));
  EXPECT_TRUE(r.ok()) << audit::AuditReportText(r);
  EXPECT_THAT(log_->Checkpoints(0), IsOkAndHolds(SizeIs(r.checkpoints_verified)));
  EXPECT_GT(r.checkpoints_verified, 150u);  // after every clearing and settlement
  EXPECT_TRUE(r.state_advanced);
  ASSERT_OK_AND_ASSIGN(audit::AuditReport again,
                       audit::AuditServer(stub_.get(), address_, log_->verifier_key(), options));
  EXPECT_TRUE(again.ok()) << audit::AuditReportText(again);
}

TEST_F(AuditExchangeDayTest, ReceiptsFromTheExchangeVerifyOffline) {
  grpc::ClientContext context;
  v1::GetReceiptRequest request;
  request.set_order_id("o-40-" + Id(1, 2));
  v1::Receipt receipt;
  ASSERT_TRUE(stub_->GetReceipt(&context, request, &receipt).ok());
  ASSERT_OK_AND_ASSIGN(audit::ReceiptSummary s,
                       audit::VerifyReceipt(receipt, &log_->verifier_key(), request.order_id()));
  EXPECT_TRUE(s.key_pinned);
  EXPECT_EQ(s.entry.order_accepted().order().participant_id(), Id(1, 2));
  ASSERT_OK_AND_ASSIGN(uint64_t index, exchange_->OrderIndex(request.order_id()));
  EXPECT_EQ(s.index, index);
}

TEST_F(AuditExchangeDayTest, FollowerMirrorsTheExchange) {
  audit::FollowOptions options;
  options.out_dir = *dir_ + "/mirror";
  options.once = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<audit::AuditFollower> f,
                       audit::AuditFollower::Open(log_->verifier_key(), options));
  ASSERT_OK(f->Run(stub_.get()));
  EXPECT_EQ(f->size(), log_->LatestCheckpoint()->checkpoint.tree_size);
  EXPECT_TRUE(f->report().ok()) << audit::AuditReportText(f->report());
}

}  // namespace
}  // namespace peergrid::services
