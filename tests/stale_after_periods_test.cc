// One staleness rule for the zone (DESIGN.md §4, §6): the exchange's sell
// check, the telemetry store, its battery monitor (HUB_STALE) and the
// /metrics gauge all take MarketTiming::stale_after_periods from the one
// MarketTiming they are built with, so changing it moves every one of them to
// the same boundary.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/common/clock.h"
#include "peergrid/common/market_time.h"
#include "peergrid/common/status.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/server/exchange_metrics.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'782'000'000;  // aligned to 900 s
constexpr int32_t kPeriodS = 5;

// A zone whose hub-1 reports every 5 s and whose household h1 sells PV; every
// part is built from one MarketTiming.
class Zone {
 public:
  explicit Zone(const MarketTiming& timing) : timing_(timing) {}

  absl::Status Open() {
    const std::string dir = ::peergrid::testing::FreshTempDir("stale_after_periods");
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = "peergrid/stale-1";
    PEERGRID_ASSIGN_OR_RETURN(ledger_, ledger::Ledger::Open(dir + "/ledger", ledger_options));
    telemetry::TelemetryOptions telemetry_options;
    telemetry_options.timing = timing_;
    telemetry_options.sync = false;
    PEERGRID_ASSIGN_OR_RETURN(
        store_, telemetry::TelemetryStore::Open(dir + "/telemetry", telemetry_options));
    exchange::ExchangeOptions options;
    options.zone_id = "stale-1";
    options.timing = timing_;
    PEERGRID_ASSIGN_OR_RETURN(
        exchange_, exchange::Exchange::Open(ledger_.get(), store_.get(), &clock_, options));
    metrics_ = std::make_unique<server::ExchangeMetrics>(
        ledger_.get(), &exchange_->directory(), store_.get(), &clock_, timing_.stale_after_periods);
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id("stale-1");
    hub.set_reporting_period_s(kPeriodS);
    PEERGRID_RETURN_IF_ERROR(exchange_->RegisterHub(hub).status());
    v1::Participant p;
    p.set_participant_id("h1");
    p.set_hub_id("hub-1");
    p.set_kind(v1::HOUSEHOLD);
    p.set_pv_nameplate_w(8000);
    PEERGRID_RETURN_IF_ERROR(exchange_->RegisterParticipant(p).status());
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(50'000);
    tariff.set_retail_price_mcu_per_kwh(200'000);
    PEERGRID_RETURN_IF_ERROR(exchange_->SetTariff(tariff).status());
    store_->monitor().WatchHub("hub-1", kPeriodS, NowMs());
    // One report, received now.
    v1::HubReport report;
    report.set_hub_id("hub-1");
    report.set_zone_id("stale-1");
    report.set_seq(1);
    report.set_measured_at_unix_ms(NowMs());
    const v1::HubReport* reports[] = {&report};
    PEERGRID_ASSIGN_OR_RETURN(std::vector<telemetry::IngestResult> results,
                              store_->Ingest("hub-1", reports, NowMs()));
    if (results[0].outcome != telemetry::IngestResult::Outcome::kStored) {
      return absl::InternalError(
          absl::StrCat("report not stored: ", results[0].rejection.message()));
    }
    return absl::OkStatus();
  }

  int64_t NowMs() const { return absl::ToUnixMillis(clock_.Now()); }
  void Advance(absl::Duration d) { clock_.Advance(d); }

  // Each user's verdict on hub-1 now.
  struct Verdicts {
    bool sell_refused_as_stale = false;
    bool store_stale = false;
    bool monitor_stale = false;
    bool hub_stale_alarm = false;
    bool metric_stale = false;
  };
  Verdicts Ask() {
    Verdicts v;
    v1::SubmitOrderRequest request;
    v1::Order* o = request.mutable_order();
    o->set_order_id(absl::StrCat("s-", ++orders_));
    o->set_participant_id("h1");
    o->set_side(v1::SELL);
    o->set_quantity_wh(10);
    o->set_limit_price_mcu_per_kwh(100'000);
    o->set_interval_start(kStart + 3600);
    absl::StatusOr<v1::SubmitOrderResponse> sold = exchange_->SubmitOrder(request);
    v.sell_refused_as_stale =
        !sold.ok() && absl::IsFailedPrecondition(sold.status()) &&
        absl::StrContains(
            sold.status().message(),
            absl::StrCat("no report in ", timing_.stale_after_periods, " reporting periods"));
    EXPECT_TRUE(sold.ok() || v.sell_refused_as_stale) << sold.status();
    v.store_stale = store_->IsStale("hub-1", kPeriodS, NowMs());
    v.monitor_stale = store_->monitor().IsStale("hub-1", NowMs());
    store_->monitor().CheckStaleness(NowMs());
    for (const hub::Alarm& alarm : store_->monitor().ActiveAlarms("hub-1")) {
      v.hub_stale_alarm |= alarm.kind == hub::AlarmKind::kHubStale;
    }
    std::istringstream lines(metrics_->Render());
    const std::string series = "peergrid_hub_stale{hub=\"hub-1\"} ";
    for (std::string line; std::getline(lines, line);) {
      if (absl::StartsWith(line, series)) {
        v.metric_stale = std::strtod(line.c_str() + series.size(), nullptr) == 1.0;
      }
    }
    return v;
  }

 private:
  const MarketTiming timing_;
  ManualClock clock_{absl::FromUnixSeconds(kStart)};
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<telemetry::TelemetryStore> store_;
  std::unique_ptr<exchange::Exchange> exchange_;
  std::unique_ptr<server::ExchangeMetrics> metrics_;
  int orders_ = 0;
};

void ExpectAll(const Zone::Verdicts& v, bool stale) {
  EXPECT_EQ(v.sell_refused_as_stale, stale) << "exchange sell check";
  EXPECT_EQ(v.store_stale, stale) << "TelemetryStore::IsStale";
  EXPECT_EQ(v.monitor_stale, stale) << "HubMonitor::IsStale";
  EXPECT_EQ(v.hub_stale_alarm, stale) << "HUB_STALE alarm";
  EXPECT_EQ(v.metric_stale, stale) << "peergrid_hub_stale";
}

TEST(StaleAfterPeriodsTest, EveryUserGoesStaleAtTheConfiguredBoundary) {
  for (int32_t periods : {1, 2, MarketTiming().stale_after_periods, 7}) {
    SCOPED_TRACE(absl::StrCat("stale_after_periods ", periods));
    MarketTiming timing;
    timing.stale_after_periods = periods;
    Zone zone(timing);
    ASSERT_OK(zone.Open());
    ExpectAll(zone.Ask(), false);
    zone.Advance(absl::Seconds(int64_t{periods} * kPeriodS));  // exactly the limit: fresh
    ExpectAll(zone.Ask(), false);
    zone.Advance(absl::Milliseconds(1));
    ExpectAll(zone.Ask(), true);
  }
}

TEST(StaleAfterPeriodsTest, ZeroPeriodsIsRefusedByEveryOpen) {
  MarketTiming timing;
  timing.stale_after_periods = 0;
  EXPECT_THAT(timing.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stale_after_periods 0")));
  Zone zone(timing);
  EXPECT_THAT(zone.Open(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stale_after_periods 0")));
}

}  // namespace
}  // namespace peergrid
