// Prometheus metrics of the exchange (DESIGN.md §10), served on its HTTP
// address at /metrics: base units, `_total` counters, ratios 0–1.
//
//   peergrid_orders_total{side}            accepted orders
//   peergrid_trades_total                  fills
//   peergrid_traded_energy_wh_total        cleared volume, Wh
//   peergrid_intervals_cleared_total, peergrid_intervals_settled_total
//   peergrid_scheduler_stuck               1 while due clearing/settlement keeps failing
//   peergrid_market_alarms_total{kind}     METER_READ_UNUSABLE, ORDER_UNUSABLE, …
//   peergrid_ledger_size                   entries
//   peergrid_checkpoint_age_seconds        wall seconds since the last checkpoint
//   peergrid_checkpoint_tree_size          entries covered by it
//   peergrid_request_duration_seconds{method}  gRPC latency histogram
//   peergrid_hub_stale{hub}                1 when no report for stale_after_periods
//   peergrid_hub_last_report_age_seconds{hub}  exchange-clock seconds
//   peergrid_ess_state_of_charge_ratio{hub,bank}, peergrid_ess_state_of_health_ratio{hub,bank},
//   peergrid_ess_cell_temperature_max_celsius{hub,bank}, peergrid_ess_power_watts{hub,bank}
// Hub and battery gauges are computed at scrape time from the telemetry.
// Thread-safety: thread-safe.
#ifndef PEERGRID_SERVER_EXCHANGE_METRICS_H_
#define PEERGRID_SERVER_EXCHANGE_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "peergrid/common/clock.h"
#include "peergrid/exchange/hub_directory.h"
#include "peergrid/exchange/market_telemetry.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/v1/market.pb.h"
#include "peergrid/v1/operator.pb.h"

namespace prometheus {
class Collectable;
}  // namespace prometheus

namespace peergrid::server {

class ExchangeMetrics {
 public:
  // `stale_after_periods`: the zone's MarketTiming::stale_after_periods.
  ExchangeMetrics(const ledger::Ledger* ledger, const exchange::HubDirectory* directory,
                  const exchange::MarketTelemetry* telemetry, const Clock* clock,
                  int32_t stale_after_periods);
  ~ExchangeMetrics();

  void OrderAccepted(const v1::Order& order);
  void IntervalCleared(const v1::TradeEvent& event);
  void IntervalSettled();
  void CheckpointSigned(uint64_t tree_size);
  void SchedulerStuck(bool stuck);
  void MarketAlarm(v1::AlarmKind kind);
  void ObserveRequest(const std::string& method, double seconds);

  // Returns the Prometheus text exposition of every metric (what /metrics serves).
  std::string Render() const;
  // Returns what an HTTP exposer serves (it keeps weak references).
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_EXCHANGE_METRICS_H_
