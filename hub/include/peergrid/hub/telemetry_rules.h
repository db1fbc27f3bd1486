// Validation rules for incoming telemetry (DESIGN.md §6, §9), pure: the
// exchange's ingest applies them before storing a report. A report is checked
// on its own (ValidateSample), against the hub's last stored seq
// (ValidateSeqAdvance) and against the hub's previous stored report
// (ValidateAgainstPrevious). Every bound is a named constant of
// peergrid/common/limits.h. Thread-safe (pure functions).
//
// Errors name the offending field and value (ids and strings through
// QuoteInput, at most 128 bytes of them):
//   InvalidArgument     a value that is wrong by itself: outside what the
//                       device can physically do (an interval read above the
//                       meter's max power × the interval, a temperature
//                       outside −50…150 °C, energy above capacity, capacity
//                       above 10 GWh), not finite, an unknown enum value or
//                       alarm bit, a timestamp more than 5 minutes ahead of
//                       the exchange clock, seq 0 or a seq jump above 10⁶, a
//                       bad id, a misaligned read;
//   FailedPrecondition  a value that contradicts the stored history (a counter
//                       that decreased, a seq or measurement time that went
//                       backwards).
#ifndef PEERGRID_HUB_TELEMETRY_RULES_H_
#define PEERGRID_HUB_TELEMETRY_RULES_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "peergrid/hub/telemetry.h"

namespace peergrid::hub {

// What a report is checked against besides its own values.
struct SampleContext {
  // The zone's interval length, s: interval reads must be aligned to it, and
  // a read is at most the meter's max power × interval_s.
  int64_t interval_s = 900;
  // The exchange clock, Unix ms: measured_at and the end of every interval
  // read may be at most limits::kMaxClockSkewMs ahead of it.
  int64_t now_unix_ms = 0;
  // Returns the max power, W, of the meter of a participant
  // (limits::MeterMaxPowerW of its registration). Empty: every meter is
  // bounded as a household without PV (limits::kMaxServiceConnectionW).
  std::function<int64_t(const std::string& participant_id)> meter_max_power_w;
};

// Returns OK when every field of `sample` is valid by itself.
absl::Status ValidateSample(const HubSample& sample, const SampleContext& context);

// Returns OK when a new report's `seq` may follow the hub's last stored seq
// (0: none): at most limits::kMaxSeqAdvance past it. (A seq at or below it
// is a duplicate or goes backwards: the store decides which.)
absl::Status ValidateSeqAdvance(uint64_t seq, uint64_t last_stored_seq);

// Returns OK when `sample` may follow `previous` (the hub's last stored
// report): seq and measurement time increase and no monotonic counter of a
// meter, bank or the grid present in both decreases.
absl::Status ValidateAgainstPrevious(const HubSample& sample, const HubSample& previous);

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_TELEMETRY_RULES_H_
