// A household meter: monotonic counters of imported, exported and PV energy
// (and, for the simulator's own accounting, load), accumulated exactly in
// watt-seconds and reported in whole Wh (floor), and the interval reads of
// each closed delivery interval: the differences of the Wh counters at the
// interval's boundaries, so reads always add up to the counters.
//
// Thread-safety: thread-compatible.
#ifndef PEERGRID_HUB_METER_H_
#define PEERGRID_HUB_METER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "peergrid/hub/telemetry.h"

namespace peergrid::hub {

// Whole-Wh counters at an instant.
struct MeterCounters {
  int64_t import_wh = 0;
  int64_t export_wh = 0;
  int64_t pv_wh = 0;
  int64_t load_wh = 0;
};

class Meter {
 public:
  explicit Meter(std::string participant_id);

  // Accumulates one step of PV generation and load (W ≥ 0) over `dt_s`
  // seconds; the household's net is imported or exported.
  void Step(int64_t pv_w, int64_t load_w, int64_t dt_s);
  // Closes the interval starting at `interval_start`: queues its read with
  // `quality` and returns the interval's counter differences.
  MeterCounters CloseInterval(int64_t interval_start, ReadQuality quality);
  // Returns the reads queued since the previous call, oldest first.
  std::vector<IntervalRead> TakeReads();
  // Returns the reading a report carries now (without interval reads).
  MeterSample Sample() const;
  // Restores the counters a previous report carried (daemon restart). The
  // energy of the interval in progress before the restart is unknown, so its
  // read will be marked ESTIMATED by the caller.
  void Restore(const MeterSample& sample);

  MeterCounters counters() const;
  const std::string& participant_id() const { return participant_id_; }

 private:
  std::string participant_id_;
  int64_t import_j_ = 0;
  int64_t export_j_ = 0;
  int64_t pv_j_ = 0;
  int64_t load_j_ = 0;
  int64_t pv_w_ = 0;
  int64_t load_w_ = 0;
  MeterCounters at_interval_start_;
  std::vector<IntervalRead> pending_;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_METER_H_
