// Runs of consecutive empty intervals (docs/LEDGER.md "Empty intervals"). An
// exchange catching up after an outage clears and settles a run of intervals
// that had no orders and no meter reads with one EmptyIntervals ledger entry
// instead of two entries per interval. This is the arithmetic both sides
// share: the exchange finds the run (FindEmptyRun), the audit checks that runs
// and single clearings neither overlap nor leave an interval out
// (ClearedCoverage).
//
// Thread-safety: EmptyRun and the free functions are pure; ClearedCoverage is
// thread-compatible.
// Errors: ValidateEmptyRun returns InvalidArgument naming the field.
#ifndef PEERGRID_MATCHING_EMPTY_RUN_H_
#define PEERGRID_MATCHING_EMPTY_RUN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "peergrid/common/market_time.h"

namespace peergrid::matching {

// The most intervals one run may hold (682 days of 900 s intervals): bounds
// what replaying or auditing one entry may cost.
inline constexpr int64_t kMaxEmptyRunIntervals = 65'536;

// The intervals first, first + interval_s, …, last (interval starts, Unix s).
struct EmptyRun {
  int64_t first = 0;
  int64_t last = 0;
  int64_t interval_s = 0;

  // Returns how many intervals the run holds (a validated run: ≥ 1).
  int64_t count() const { return (last - first) / interval_s + 1; }
  // Returns whether `start` is one of the run's intervals.
  bool Contains(int64_t start) const {
    return start >= first && start <= last && (start - first) % interval_s == 0;
  }
  friend bool operator==(const EmptyRun&, const EmptyRun&) = default;
};

// Returns OK when `run` is well formed for a zone whose intervals are
// `interval_s` long: the same interval_s, first aligned, first ≤ last, last −
// first a multiple of interval_s, at most kMaxEmptyRunIntervals intervals.
absl::Status ValidateEmptyRun(const EmptyRun& run, int64_t interval_s);

// Returns the latest interval whose settlement is due at `now_unix_s`
// (timing.SettlementDue(start) ≤ now_unix_s).
int64_t LastSettlementDue(const MarketTiming& timing, int64_t now_unix_s);

// Returns the longest run that starts at `first` (aligned), ends at or before
// `last` and holds at most kMaxEmptyRunIntervals intervals, every one of
// which `is_empty` accepts; it stops before the first interval `is_empty`
// refuses. Returns nullopt when `first` > `last` or `is_empty(first)` is false.
// `is_empty` is called in interval order, at most once per interval.
std::optional<EmptyRun> FindEmptyRun(int64_t first, int64_t last, const MarketTiming& timing,
                                     absl::FunctionRef<bool(int64_t)> is_empty);

// Which intervals a ledger has cleared, one at a time or in runs, and by
// which entry. Memory is O(single clearings + runs), never O(intervals in runs).
class ClearedCoverage {
 public:
  // `zone_first`: the first interval the zone clears (its gate was open when
  // the ledger began); a run recorded before any clearing must start there.
  ClearedCoverage(int64_t interval_s, int64_t zone_first)
      : interval_s_(interval_s), zone_first_(zone_first) {}

  // Returns the index of the entry that cleared `start`, if any.
  std::optional<uint64_t> ClearedBy(int64_t start) const;
  // Returns why `run` overlaps what is cleared: the first of its intervals
  // already cleared, and by which entry.
  std::optional<std::string> OverlapProblem(const EmptyRun& run) const;
  // Returns why `run` cannot be the next run: it does not start right after
  // the latest interval cleared so far (or at zone_first when none is), so
  // it would skip intervals or reach back behind cleared ones.
  std::optional<std::string> SkipProblem(const EmptyRun& run) const;
  // Records a clearing of `start` by entry `index`.
  void AddSingle(int64_t start, uint64_t index);
  // Records `run` (validated, without an OverlapProblem) as cleared by entry
  // `index`.
  void AddRun(const EmptyRun& run, uint64_t index);
  // Returns the latest interval cleared so far, if any.
  std::optional<int64_t> latest() const { return latest_; }

 private:
  struct RecordedRun {
    EmptyRun run;
    uint64_t index = 0;
  };
  // Returns the earliest recorded run that overlaps [first, last], if any.
  const RecordedRun* OverlappingRun(int64_t first, int64_t last) const;

  const int64_t interval_s_;
  const int64_t zone_first_;
  std::map<int64_t, uint64_t> singles_;  // interval start -> entry index
  std::map<int64_t, RecordedRun> runs_;  // by first interval; never overlapping
  std::optional<int64_t> latest_;
};

}  // namespace peergrid::matching

#endif  // PEERGRID_MATCHING_EMPTY_RUN_H_
