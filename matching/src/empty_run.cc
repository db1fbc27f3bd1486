#include "peergrid/matching/empty_run.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace peergrid::matching {

absl::Status ValidateEmptyRun(const EmptyRun& run, int64_t interval_s) {
  if (interval_s <= 0 || run.interval_s != interval_s) {
    return absl::InvalidArgumentError(
        absl::StrCat("interval_s ", run.interval_s, " is not the zone's ", interval_s));
  }
  if (run.first % interval_s != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("first_interval_start ", run.first, " is not aligned to ", interval_s, " s"));
  }
  if (run.last < run.first) {
    return absl::InvalidArgumentError(absl::StrCat("last_interval_start ", run.last,
                                                   " is before first_interval_start ", run.first));
  }
  if ((run.last - run.first) % interval_s != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("last_interval_start ", run.last, " is not aligned to ", interval_s, " s"));
  }
  // Divide first: last − first may not fit an int64 multiplication.
  if ((run.last - run.first) / interval_s >= kMaxEmptyRunIntervals) {
    return absl::InvalidArgumentError(absl::StrCat("the run [", run.first, ", ", run.last,
                                                   "] holds more than ", kMaxEmptyRunIntervals,
                                                   " intervals"));
  }
  return absl::OkStatus();
}

int64_t LastSettlementDue(const MarketTiming& timing, int64_t now_unix_s) {
  return timing.IntervalStartFor(now_unix_s - timing.interval_s - timing.settlement_grace_s);
}

std::optional<EmptyRun> FindEmptyRun(int64_t first, int64_t last, const MarketTiming& timing,
                                     absl::FunctionRef<bool(int64_t)> is_empty) {
  if (first > last || !is_empty(first)) return std::nullopt;
  EmptyRun run{first, first, timing.interval_s};
  for (int64_t n = 1; n < kMaxEmptyRunIntervals && last - run.last >= timing.interval_s; ++n) {
    const int64_t next = run.last + timing.interval_s;
    if (!is_empty(next)) break;
    run.last = next;
  }
  return run;
}

std::optional<uint64_t> ClearedCoverage::ClearedBy(int64_t start) const {
  if (auto it = singles_.find(start); it != singles_.end()) return it->second;
  if (const RecordedRun* run = OverlappingRun(start, start);
      run != nullptr && run->run.Contains(start)) {
    return run->index;
  }
  return std::nullopt;
}

const ClearedCoverage::RecordedRun* ClearedCoverage::OverlappingRun(int64_t first,
                                                                    int64_t last) const {
  // Runs never overlap each other: the only one that starts at or before
  // `first` and may reach it is the last such; otherwise the first run that
  // starts after `first` is the earliest candidate.
  auto after = runs_.upper_bound(first);
  if (after != runs_.begin()) {
    auto before = std::prev(after);
    if (before->second.run.last >= first) return &before->second;
  }
  if (after != runs_.end() && after->first <= last) return &after->second;
  return nullptr;
}

std::optional<std::string> ClearedCoverage::OverlapProblem(const EmptyRun& run) const {
  std::optional<std::pair<int64_t, uint64_t>> hit;  // (interval, entry), the earliest
  if (auto it = singles_.lower_bound(run.first); it != singles_.end() && it->first <= run.last) {
    hit = {it->first, it->second};
  }
  if (const RecordedRun* other = OverlappingRun(run.first, run.last)) {
    const int64_t at = std::max(other->run.first, run.first);
    if (!hit || at < hit->first) hit = {at, other->index};
  }
  if (!hit) return std::nullopt;
  return absl::StrCat("interval ", hit->first, " of the run [", run.first, ", ", run.last,
                      "] is already cleared (entry ", hit->second, ")");
}

std::optional<std::string> ClearedCoverage::SkipProblem(const EmptyRun& run) const {
  const int64_t expected = latest_ ? *latest_ + interval_s_ : zone_first_;
  if (run.first == expected) return std::nullopt;
  const std::string after =
      latest_ ? absl::StrCat("the latest interval cleared before it is ", *latest_)
              : absl::StrCat("nothing is cleared before it and the zone's first interval is ",
                             zone_first_);
  if (run.first > expected) {
    return absl::StrCat("the run [", run.first, ", ", run.last, "] skips intervals [", expected,
                        ", ", run.first - interval_s_, "]: ", after);
  }
  return absl::StrCat("the run [", run.first, ", ", run.last, "] starts before ", expected, ": ",
                      after);
}

void ClearedCoverage::AddSingle(int64_t start, uint64_t index) {
  singles_.emplace(start, index);
  latest_ = latest_ ? std::max(*latest_, start) : start;
}

void ClearedCoverage::AddRun(const EmptyRun& run, uint64_t index) {
  runs_.emplace(run.first, RecordedRun{run, index});
  latest_ = latest_ ? std::max(*latest_, run.last) : run.last;
}

}  // namespace peergrid::matching
