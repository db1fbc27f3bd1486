// Validation rules for incoming telemetry (DESIGN.md §6), pure: the exchange's
// ingest applies them before storing a report. A report is checked on its own
// (ValidateSample) and against the hub's previous stored report
// (ValidateAgainstPrevious). Thread-safe (pure functions).
//
// Errors name the offending field and value:
//   InvalidArgument     a value that is wrong by itself (SoC outside 0–100, a
//                       negative counter, seq 0, a bad id, a misaligned read);
//   FailedPrecondition  a value that contradicts the stored history (a counter
//                       that decreased, a seq or measurement time that went
//                       backwards).
#ifndef PEERGRID_HUB_TELEMETRY_RULES_H_
#define PEERGRID_HUB_TELEMETRY_RULES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "peergrid/hub/telemetry.h"

namespace peergrid::hub {

// Returns OK when every field of `sample` is valid by itself. `interval_s` is
// the zone's interval length: interval reads must be aligned to it.
absl::Status ValidateSample(const HubSample& sample, int64_t interval_s);

// Returns OK when `sample` may follow `previous` (the hub's last stored
// report): seq and measurement time increase and no monotonic counter of a
// meter, bank or the grid present in both decreases.
absl::Status ValidateAgainstPrevious(const HubSample& sample, const HubSample& previous);

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_TELEMETRY_RULES_H_
