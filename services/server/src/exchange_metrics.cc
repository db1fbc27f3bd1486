#include "peergrid/server/exchange_metrics.h"

#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "peergrid/hub/battery_monitor.h"
#include "peergrid/server/alert_rules.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace peergrid::server {
namespace {

prometheus::MetricFamily GaugeFamily(std::string name, std::string help) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Gauge;
  return family;
}

void AddGauge(prometheus::MetricFamily* family, std::vector<prometheus::ClientMetric::Label> labels,
              double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family->metric.push_back(std::move(metric));
}

// Hub freshness and battery state, read from the telemetry at scrape time.
class TelemetryCollector final : public prometheus::Collectable {
 public:
  TelemetryCollector(const exchange::HubDirectory* directory,
                     const exchange::MarketTelemetry* telemetry, const Clock* clock,
                     int32_t stale_after_periods)
      : directory_(directory),
        telemetry_(telemetry),
        clock_(clock),
        stale_after_periods_(stale_after_periods) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    auto stale =
        GaugeFamily(kHubStaleMetric, absl::StrCat("1 when the hub sent no report for ",
                                                  stale_after_periods_, " reporting periods"));
    auto age = GaugeFamily("peergrid_hub_last_report_age_seconds",
                           "Exchange-clock seconds since the hub's last stored report");
    auto soc = GaugeFamily(kSocMetric, "Battery bank state of charge");
    auto soh = GaugeFamily(kSohMetric, "Battery bank state of health");
    auto temp = GaugeFamily(kCellTempMaxMetric, "Highest cell temperature of the bank");
    auto power = GaugeFamily("peergrid_ess_power_watts",
                             "Bank power at its terminals (discharge +, charge -)");
    const int64_t now_ms = absl::ToUnixMillis(clock_->Now());
    for (const v1::Hub& hub : directory_->ListHubs()) {
      absl::StatusOr<exchange::HubLatest> latest = telemetry_->Latest(hub.hub_id());
      const double age_s = latest.ok() ? (now_ms - latest->received_at_unix_ms) / 1000.0 : -1;
      const bool is_stale = !latest.ok() || ::peergrid::hub::IsHubStale(
                                                latest->received_at_unix_ms, 0, now_ms,
                                                hub.reporting_period_s(), stale_after_periods_);
      AddGauge(&stale, {{"hub", hub.hub_id()}}, is_stale ? 1 : 0);
      if (!latest.ok()) continue;
      AddGauge(&age, {{"hub", hub.hub_id()}}, age_s);
      for (const v1::BatteryBankReading& bank : latest->report.banks()) {
        std::vector<prometheus::ClientMetric::Label> labels = {{"hub", hub.hub_id()},
                                                               {"bank", bank.bank_id()}};
        AddGauge(&soc, labels, bank.soc_pct() / 100.0);
        AddGauge(&soh, labels, bank.soh_pct() / 100.0);
        AddGauge(&temp, labels, bank.cell_temp_max_c());
        AddGauge(&power, labels, static_cast<double>(bank.power_w()));
      }
    }
    return {stale, age, soc, soh, temp, power};
  }

 private:
  const exchange::HubDirectory* const directory_;
  const exchange::MarketTelemetry* const telemetry_;
  const Clock* const clock_;
  const int32_t stale_after_periods_;
};

// Ledger size and checkpoint age, read at scrape time.
class LedgerCollector final : public prometheus::Collectable {
 public:
  LedgerCollector(const ledger::Ledger* ledger, absl::Mutex* mu, absl::Time* last_checkpoint,
                  uint64_t* checkpoint_size)
      : ledger_(ledger), mu_(mu), last_checkpoint_(last_checkpoint), size_(checkpoint_size) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    auto size = GaugeFamily("peergrid_ledger_size", "Entries in the zone's ledger");
    AddGauge(&size, {}, static_cast<double>(ledger_->Size()));
    auto age = GaugeFamily("peergrid_checkpoint_age_seconds",
                           "Wall-clock seconds since the last signed checkpoint");
    auto covered = GaugeFamily("peergrid_checkpoint_tree_size",
                               "Entries covered by the last signed checkpoint");
    absl::MutexLock lock(mu_);
    AddGauge(&age, {}, absl::ToDoubleSeconds(absl::Now() - *last_checkpoint_));
    AddGauge(&covered, {}, static_cast<double>(*size_));
    return {size, age, covered};
  }

 private:
  const ledger::Ledger* const ledger_;
  absl::Mutex* const mu_;
  absl::Time* const last_checkpoint_;
  uint64_t* const size_;
};

}  // namespace

struct ExchangeMetrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& orders = prometheus::BuildCounter()
                                                        .Name("peergrid_orders_total")
                                                        .Help("Accepted orders")
                                                        .Register(*registry);
  prometheus::Counter& buys = orders.Add({{"side", "buy"}});
  prometheus::Counter& sells = orders.Add({{"side", "sell"}});
  prometheus::Counter& trades = prometheus::BuildCounter()
                                    .Name("peergrid_trades_total")
                                    .Help("Fills between a buy and a sell")
                                    .Register(*registry)
                                    .Add({});
  prometheus::Counter& energy = prometheus::BuildCounter()
                                    .Name("peergrid_traded_energy_wh_total")
                                    .Help("Energy traded peer to peer, Wh")
                                    .Register(*registry)
                                    .Add({});
  prometheus::Counter& cleared = prometheus::BuildCounter()
                                     .Name("peergrid_intervals_cleared_total")
                                     .Help("Delivery intervals cleared")
                                     .Register(*registry)
                                     .Add({});
  prometheus::Counter& settled = prometheus::BuildCounter()
                                     .Name("peergrid_intervals_settled_total")
                                     .Help("Settlements and corrections recorded")
                                     .Register(*registry)
                                     .Add({});
  prometheus::Gauge& scheduler_stuck =
      prometheus::BuildGauge()
          .Name("peergrid_scheduler_stuck")
          .Help("1 while a due clearing or settlement keeps failing (health NOT_SERVING)")
          .Register(*registry)
          .Add({});
  prometheus::Family<prometheus::Counter>& market_alarms =
      prometheus::BuildCounter()
          .Name("peergrid_market_alarms_total")
          .Help("Market alarms raised by the exchange, by kind")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("peergrid_request_duration_seconds")
          .Help("gRPC request latency by method")
          .Register(*registry);
  absl::Mutex mu;
  std::map<std::string, prometheus::Histogram*> by_method ABSL_GUARDED_BY(mu);
  absl::Mutex checkpoint_mu;
  absl::Time last_checkpoint ABSL_GUARDED_BY(checkpoint_mu) = absl::Now();
  uint64_t checkpoint_size ABSL_GUARDED_BY(checkpoint_mu) = 0;
  std::shared_ptr<TelemetryCollector> telemetry;
  std::shared_ptr<LedgerCollector> ledger;
};

ExchangeMetrics::ExchangeMetrics(const ledger::Ledger* ledger,
                                 const exchange::HubDirectory* directory,
                                 const exchange::MarketTelemetry* telemetry, const Clock* clock,
                                 int32_t stale_after_periods)
    : impl_(std::make_unique<Impl>()) {
  impl_->telemetry =
      std::make_shared<TelemetryCollector>(directory, telemetry, clock, stale_after_periods);
  impl_->ledger = std::make_shared<LedgerCollector>(
      ledger, &impl_->checkpoint_mu, &impl_->last_checkpoint, &impl_->checkpoint_size);
}

ExchangeMetrics::~ExchangeMetrics() = default;

void ExchangeMetrics::OrderAccepted(const v1::Order& order) {
  (order.side() == v1::BUY ? impl_->buys : impl_->sells).Increment();
}

void ExchangeMetrics::IntervalCleared(const v1::TradeEvent& event) {
  impl_->cleared.Increment();
  impl_->trades.Increment(static_cast<double>(event.fills_size()));
  impl_->energy.Increment(static_cast<double>(event.volume_wh()));
}

void ExchangeMetrics::IntervalSettled() { impl_->settled.Increment(); }

void ExchangeMetrics::SchedulerStuck(bool stuck) { impl_->scheduler_stuck.Set(stuck ? 1 : 0); }

void ExchangeMetrics::MarketAlarm(v1::AlarmKind kind) {
  // Family::Add returns the existing counter for known labels (thread-safe).
  impl_->market_alarms.Add({{"kind", v1::AlarmKind_Name(kind)}}).Increment();
}

void ExchangeMetrics::CheckpointSigned(uint64_t tree_size) {
  absl::MutexLock lock(&impl_->checkpoint_mu);
  impl_->last_checkpoint = absl::Now();
  impl_->checkpoint_size = tree_size;
}

void ExchangeMetrics::ObserveRequest(const std::string& method, double seconds) {
  prometheus::Histogram* histogram;
  {
    absl::MutexLock lock(&impl_->mu);
    auto [it, inserted] = impl_->by_method.emplace(method, nullptr);
    if (inserted) {
      it->second = &impl_->latency.Add(
          {{"method", method}},
          prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                  0.01, 0.025, 0.05, 0.1, 0.25, 1});
    }
    histogram = it->second;
  }
  histogram->Observe(seconds);
}

std::string ExchangeMetrics::Render() const {
  std::vector<prometheus::MetricFamily> families = impl_->registry->Collect();
  for (auto* collector : std::initializer_list<const prometheus::Collectable*>{
           impl_->telemetry.get(), impl_->ledger.get()}) {
    std::vector<prometheus::MetricFamily> more = collector->Collect();
    families.insert(families.end(), more.begin(), more.end());
  }
  return prometheus::TextSerializer().Serialize(families);
}

std::vector<std::shared_ptr<prometheus::Collectable>> ExchangeMetrics::collectables() const {
  return {impl_->registry, impl_->telemetry, impl_->ledger};
}

}  // namespace peergrid::server
