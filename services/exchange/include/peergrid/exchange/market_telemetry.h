// What the market needs from hub telemetry: each hub's latest report (for the
// deliverable-energy check and staleness) and each interval's meter reads
// (for settlement). The exchange adapts its TelemetryStore to it.
// Thread-safety: implementations are thread-safe.
#ifndef PEERGRID_EXCHANGE_MARKET_TELEMETRY_H_
#define PEERGRID_EXCHANGE_MARKET_TELEMETRY_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "peergrid/v1/hub.pb.h"

namespace peergrid::exchange {

struct HubLatest {
  v1::HubReport report;
  // Exchange-clock time the report was stored, Unix milliseconds.
  int64_t received_at_unix_ms = 0;
};

// The hub-level meters' reads of one interval (DESIGN.md §12).
struct HubMeterReads {
  // Each bank meter's read (charge = import, discharge = export), keyed by
  // (hub_id, bank_id): its storage participant settles on them.
  std::map<std::pair<std::string, std::string>, v1::IntervalRead> banks;
  // Each hub's grid-connection read, keyed by hub_id.
  std::map<std::string, v1::IntervalRead> grid;
};

class MarketTelemetry {
 public:
  virtual ~MarketTelemetry() = default;
  // Returns the hub's latest stored report, or NotFound when it never reported.
  virtual absl::StatusOr<HubLatest> Latest(const std::string& hub_id) const = 0;
  // Returns every participant's read for one interval, keyed by participant_id;
  // DataLoss when a stored read does not decode (settling without it would
  // bill that participant wrongly), Unavailable when it cannot be read.
  virtual absl::StatusOr<std::map<std::string, v1::IntervalRead>> IntervalReads(
      int64_t interval_start) const = 0;
  // Returns the bank and grid-connection reads of one interval; errors as
  // IntervalReads.
  virtual absl::StatusOr<HubMeterReads> HubReads(int64_t interval_start) const = 0;
};

}  // namespace peergrid::exchange

#endif  // PEERGRID_EXCHANGE_MARKET_TELEMETRY_H_
