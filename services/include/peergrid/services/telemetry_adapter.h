// Adapts a TelemetryStore to the market's MarketTelemetry interface (the store
// already implements it; the adapter keeps the exchange's wiring explicit).
// Thread-safe (the store is).
#ifndef PEERGRID_SERVICES_TELEMETRY_ADAPTER_H_
#define PEERGRID_SERVICES_TELEMETRY_ADAPTER_H_

#include <cstdint>
#include <map>
#include <string>

#include "peergrid/services/market_telemetry.h"
#include "peergrid/services/telemetry_store.h"

namespace peergrid::services {

class TelemetryAdapter final : public MarketTelemetry {
 public:
  explicit TelemetryAdapter(const TelemetryStore* store) : store_(store) {}
  absl::StatusOr<HubLatest> Latest(const std::string& hub_id) const override {
    return store_->Latest(hub_id);
  }
  std::map<std::string, v1::IntervalRead> IntervalReads(int64_t interval_start) const override {
    return store_->IntervalReads(interval_start);
  }

 private:
  const TelemetryStore* const store_;
};

}  // namespace peergrid::services

#endif  // PEERGRID_SERVICES_TELEMETRY_ADAPTER_H_
