// ExchangeMetrics: the Prometheus text it renders after events, with a real
// ledger, an in-memory directory and telemetry, and a manual clock — metric
// names, types, labels and values (ratios 0–1, base units).
#include "peergrid/server/exchange_metrics.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/common/clock.h"
#include "peergrid/common/market_time.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/testing/in_memory_telemetry.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace peergrid::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

constexpr int64_t kNowMs = 1'782'000'000'000;

// Returns the value of the sample line `series` (name plus labels exactly as
// rendered, e.g. `peergrid_orders_total{side="buy"}`), or nullopt if absent.
std::optional<double> Sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!absl::StartsWith(line, series + " ")) continue;
    return std::strtod(line.c_str() + series.size() + 1, nullptr);
  }
  return std::nullopt;
}

v1::BatteryBankReading Bank(const std::string& id, double soc, double soh, double temp,
                            int64_t power_w) {
  v1::BatteryBankReading b;
  b.set_bank_id(id);
  b.set_soc_pct(soc);
  b.set_soh_pct(soh);
  b.set_cell_temp_max_c(temp);
  b.set_power_w(power_w);
  return b;
}

class ExchangeMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger::LedgerOptions options;
    options.origin = "peergrid/test-1";
    ASSERT_OK_AND_ASSIGN(
        ledger_,
        ledger::Ledger::Open(::peergrid::testing::FreshTempDir("metrics") + "/ledger", options));
    for (const char* id : {"hub-1", "hub-2"}) {
      v1::Hub hub;
      hub.set_hub_id(id);
      hub.set_zone_id("zone-1");
      hub.set_reporting_period_s(5);
      ASSERT_OK(directory_.AddHub(hub));
    }
    metrics_ = std::make_unique<ExchangeMetrics>(ledger_.get(), &directory_, &telemetry_, &clock_,
                                                 MarketTiming().stale_after_periods);
  }

  std::string Render() const { return metrics_->Render(); }

  std::unique_ptr<ledger::Ledger> ledger_;
  exchange::InMemoryHubDirectory directory_;
  ::peergrid::testing::InMemoryTelemetry telemetry_;
  ManualClock clock_{absl::FromUnixMillis(kNowMs)};
  std::unique_ptr<ExchangeMetrics> metrics_;
};

TEST_F(ExchangeMetricsTest, EveryFamilyIsDeclaredWithItsType) {
  const std::string text = Render();
  for (const char* counter :
       {"peergrid_orders_total", "peergrid_trades_total", "peergrid_traded_energy_wh_total",
        "peergrid_intervals_cleared_total", "peergrid_intervals_settled_total"}) {
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + counter + " counter\n")) << counter;
  }
  for (const char* gauge :
       {"peergrid_ledger_size", "peergrid_checkpoint_age_seconds", "peergrid_checkpoint_tree_size",
        "peergrid_hub_stale", "peergrid_hub_last_report_age_seconds",
        "peergrid_ess_state_of_charge_ratio", "peergrid_ess_state_of_health_ratio",
        "peergrid_ess_cell_temperature_max_celsius", "peergrid_ess_power_watts"}) {
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + gauge + " gauge\n")) << gauge;
  }
  // The latency histogram has one series per method, so it appears only once
  // a request was observed.
  EXPECT_THAT(text, Not(HasSubstr("peergrid_request_duration_seconds")));
}

TEST_F(ExchangeMetricsTest, CountsAcceptedOrdersBySide) {
  std::string text = Render();
  EXPECT_THAT(Sample(text, "peergrid_orders_total{side=\"buy\"}"), Optional(0.0));
  EXPECT_THAT(Sample(text, "peergrid_orders_total{side=\"sell\"}"), Optional(0.0));
  v1::Order buy;
  buy.set_side(v1::BUY);
  v1::Order sell;
  sell.set_side(v1::SELL);
  metrics_->OrderAccepted(buy);
  metrics_->OrderAccepted(buy);
  metrics_->OrderAccepted(sell);
  text = Render();
  EXPECT_THAT(Sample(text, "peergrid_orders_total{side=\"buy\"}"), Optional(2.0));
  EXPECT_THAT(Sample(text, "peergrid_orders_total{side=\"sell\"}"), Optional(1.0));
}

TEST_F(ExchangeMetricsTest, SchedulerStuckAndMarketAlarmsAreExported) {
  EXPECT_THAT(Sample(Render(), "peergrid_scheduler_stuck"), Optional(0.0));
  metrics_->SchedulerStuck(true);
  metrics_->MarketAlarm(v1::METER_READ_UNUSABLE);
  metrics_->MarketAlarm(v1::METER_READ_UNUSABLE);
  metrics_->MarketAlarm(v1::LEDGER_ENTRY_SKIPPED);
  std::string text = Render();
  EXPECT_THAT(Sample(text, "peergrid_scheduler_stuck"), Optional(1.0));
  EXPECT_THAT(Sample(text, "peergrid_market_alarms_total{kind=\"METER_READ_UNUSABLE\"}"),
              Optional(2.0));
  EXPECT_THAT(Sample(text, "peergrid_market_alarms_total{kind=\"LEDGER_ENTRY_SKIPPED\"}"),
              Optional(1.0));
  metrics_->SchedulerStuck(false);
  EXPECT_THAT(Sample(Render(), "peergrid_scheduler_stuck"), Optional(0.0));
}

TEST_F(ExchangeMetricsTest, ClearedIntervalsAddTheirFillsAndVolume) {
  v1::TradeEvent traded;
  traded.set_interval_start(1'782'000'900);
  traded.set_volume_wh(1250);
  for (int i = 0; i < 3; ++i) traded.add_fills()->set_quantity_wh(1);
  v1::TradeEvent nothing;
  nothing.set_interval_start(1'782'001'800);
  metrics_->IntervalCleared(traded);
  metrics_->IntervalCleared(nothing);
  metrics_->IntervalSettled();
  const std::string text = Render();
  EXPECT_THAT(Sample(text, "peergrid_intervals_cleared_total"), Optional(2.0));
  EXPECT_THAT(Sample(text, "peergrid_trades_total"), Optional(3.0));
  EXPECT_THAT(Sample(text, "peergrid_traded_energy_wh_total"), Optional(1250.0));
  EXPECT_THAT(Sample(text, "peergrid_intervals_settled_total"), Optional(1.0));
}

TEST_F(ExchangeMetricsTest, LedgerSizeAndCheckpointAreReadAtScrapeTime) {
  EXPECT_THAT(Sample(Render(), "peergrid_ledger_size"), Optional(0.0));
  for (int i = 0; i < 3; ++i) ASSERT_OK(ledger_->Append("entry").status());
  std::string text = Render();
  EXPECT_THAT(Sample(text, "peergrid_ledger_size"), Optional(3.0));
  EXPECT_THAT(Sample(text, "peergrid_checkpoint_tree_size"), Optional(0.0));
  metrics_->CheckpointSigned(2);
  text = Render();
  EXPECT_THAT(Sample(text, "peergrid_checkpoint_tree_size"), Optional(2.0));
  // Wall-clock seconds since the checkpoint: just signed.
  const std::optional<double> age = Sample(text, "peergrid_checkpoint_age_seconds");
  ASSERT_TRUE(age.has_value());
  EXPECT_GE(*age, 0.0);
  EXPECT_LT(*age, 60.0);
}

TEST_F(ExchangeMetricsTest, RequestLatencyIsAHistogramPerMethod) {
  const std::string submit = "/peergrid.v1.MarketService/SubmitOrder";
  metrics_->ObserveRequest(submit, 0.003);
  metrics_->ObserveRequest(submit, 0.004);
  metrics_->ObserveRequest(submit, 2.0);
  metrics_->ObserveRequest("/peergrid.v1.MarketService/GetOrder", 0.00005);
  const std::string text = Render();
  EXPECT_THAT(text, HasSubstr("# TYPE peergrid_request_duration_seconds histogram\n"));
  const std::string s = "{method=\"" + submit + "\"";
  EXPECT_THAT(Sample(text, "peergrid_request_duration_seconds_count" + s + "}"), Optional(3.0));
  const std::optional<double> sum = Sample(text, "peergrid_request_duration_seconds_sum" + s + "}");
  ASSERT_TRUE(sum.has_value());
  EXPECT_NEAR(*sum, 2.007, 1e-9);
  // Buckets are cumulative; 2 s lies past the last bound (1 s).
  EXPECT_THAT(Sample(text, "peergrid_request_duration_seconds_bucket" + s + ",le=\"0.0025\"}"),
              Optional(0.0));
  EXPECT_THAT(Sample(text, "peergrid_request_duration_seconds_bucket" + s + ",le=\"0.005\"}"),
              Optional(2.0));
  EXPECT_THAT(Sample(text, "peergrid_request_duration_seconds_bucket" + s + ",le=\"1\"}"),
              Optional(2.0));
  EXPECT_THAT(Sample(text, "peergrid_request_duration_seconds_bucket" + s + ",le=\"+Inf\"}"),
              Optional(3.0));
  EXPECT_THAT(Sample(text,
                     "peergrid_request_duration_seconds_bucket{method=\"/peergrid.v1."
                     "MarketService/GetOrder\",le=\"0.0001\"}"),
              Optional(1.0));
}

TEST_F(ExchangeMetricsTest, HubGaugesFollowTheTelemetryAndTheExchangeClock) {
  telemetry_.Report("hub-1", kNowMs - 7000, {Bank("bank-a", 62.5, 91, 31.5, -1500)});
  std::string text = Render();
  EXPECT_THAT(Sample(text, "peergrid_hub_stale{hub=\"hub-1\"}"), Optional(0.0));
  EXPECT_THAT(Sample(text, "peergrid_hub_last_report_age_seconds{hub=\"hub-1\"}"), Optional(7.0));
  // A registered hub that never reported is stale and has no age.
  EXPECT_THAT(Sample(text, "peergrid_hub_stale{hub=\"hub-2\"}"), Optional(1.0));
  EXPECT_EQ(Sample(text, "peergrid_hub_last_report_age_seconds{hub=\"hub-2\"}"), std::nullopt);

  // Three 5 s periods since the report: not yet stale; one millisecond more: stale.
  clock_.Set(absl::FromUnixMillis(kNowMs + 8000));
  text = Render();
  EXPECT_THAT(Sample(text, "peergrid_hub_stale{hub=\"hub-1\"}"), Optional(0.0));
  EXPECT_THAT(Sample(text, "peergrid_hub_last_report_age_seconds{hub=\"hub-1\"}"), Optional(15.0));
  clock_.Set(absl::FromUnixMillis(kNowMs + 8001));
  text = Render();
  EXPECT_THAT(Sample(text, "peergrid_hub_stale{hub=\"hub-1\"}"), Optional(1.0));
  EXPECT_THAT(Sample(text, "peergrid_hub_last_report_age_seconds{hub=\"hub-1\"}"),
              Optional(15.001));
}

TEST_F(ExchangeMetricsTest, BatteryGaugesAreRatiosAndBaseUnitsPerHubAndBank) {
  telemetry_.Report("hub-1", kNowMs,
                    {Bank("bank-a", 62.5, 91, 31.5, -1500), Bank("bank-b", 100, 0, -4.25, 2500)});
  telemetry_.Report("hub-2", kNowMs, {Bank("bank-a", 0, 100, 20, 0)});
  const std::string text = Render();
  const std::string a1 = "{hub=\"hub-1\",bank=\"bank-a\"}";
  const std::string b1 = "{hub=\"hub-1\",bank=\"bank-b\"}";
  const std::string a2 = "{hub=\"hub-2\",bank=\"bank-a\"}";
  EXPECT_THAT(Sample(text, "peergrid_ess_state_of_charge_ratio" + a1), Optional(0.625));
  EXPECT_THAT(Sample(text, "peergrid_ess_state_of_charge_ratio" + b1), Optional(1.0));
  EXPECT_THAT(Sample(text, "peergrid_ess_state_of_charge_ratio" + a2), Optional(0.0));
  EXPECT_THAT(Sample(text, "peergrid_ess_state_of_health_ratio" + a1), Optional(0.91));
  EXPECT_THAT(Sample(text, "peergrid_ess_state_of_health_ratio" + b1), Optional(0.0));
  EXPECT_THAT(Sample(text, "peergrid_ess_state_of_health_ratio" + a2), Optional(1.0));
  EXPECT_THAT(Sample(text, "peergrid_ess_cell_temperature_max_celsius" + a1), Optional(31.5));
  EXPECT_THAT(Sample(text, "peergrid_ess_cell_temperature_max_celsius" + b1), Optional(-4.25));
  EXPECT_THAT(Sample(text, "peergrid_ess_power_watts" + a1), Optional(-1500.0));
  EXPECT_THAT(Sample(text, "peergrid_ess_power_watts" + b1), Optional(2500.0));
  EXPECT_THAT(Sample(text, "peergrid_ess_power_watts" + a2), Optional(0.0));
}

TEST_F(ExchangeMetricsTest, OnlyRegisteredHubsAreExported) {
  telemetry_.Report("ghost", kNowMs, {Bank("bank-a", 50, 90, 20, 0)});
  const std::string text = Render();
  EXPECT_THAT(text, Not(HasSubstr("hub=\"ghost\"")));
  EXPECT_THAT(Sample(text, "peergrid_hub_stale{hub=\"hub-1\"}"), Optional(1.0));
  // A new registration shows up at the next scrape.
  v1::Hub ghost;
  ghost.set_hub_id("ghost");
  ghost.set_zone_id("zone-1");
  ghost.set_reporting_period_s(5);
  ASSERT_OK(directory_.AddHub(ghost));
  EXPECT_THAT(Sample(Render(), "peergrid_ess_state_of_charge_ratio{hub=\"ghost\",bank=\"bank-a\"}"),
              Optional(0.5));
}

TEST_F(ExchangeMetricsTest, CollectablesServeWhatRenderShows) {
  telemetry_.Report("hub-1", kNowMs, {Bank("bank-a", 50, 90, 20, 0)});
  std::set<std::string> served;
  for (const std::shared_ptr<prometheus::Collectable>& c : metrics_->collectables()) {
    ASSERT_NE(c, nullptr);
    for (const prometheus::MetricFamily& family : c->Collect()) served.insert(family.name);
  }
  std::set<std::string> rendered;
  std::istringstream lines(Render());
  std::string line;
  while (std::getline(lines, line)) {
    if (absl::StartsWith(line, "# TYPE ")) {
      rendered.insert(line.substr(7, line.find(' ', 7) - 7));
    }
  }
  EXPECT_EQ(served, rendered);
  EXPECT_TRUE(served.contains("peergrid_orders_total"));
  EXPECT_TRUE(served.contains("peergrid_ledger_size"));
  EXPECT_TRUE(served.contains("peergrid_ess_state_of_charge_ratio"));
}

}  // namespace
}  // namespace peergrid::server
