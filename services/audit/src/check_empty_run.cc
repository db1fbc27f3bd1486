// MarketAuditor: runs of empty intervals (EmptyIntervals entries), and the
// lookups that let orders, clearings and settlements see intervals cleared
// in a run.
#include <utility>

#include "absl/strings/str_cat.h"
#include "check_convert.h"
#include "check_market.h"
#include "peergrid/matching/settlement.h"

namespace peergrid::audit::internal {

std::optional<uint64_t> MarketAuditor::ClearedBy(int64_t start) const {
  return coverage_ ? coverage_->ClearedBy(start) : std::nullopt;
}

MarketAuditor::ClearedInterval* MarketAuditor::FindCleared(int64_t start) {
  if (auto it = cleared_.find(start); it != cleared_.end()) return &it->second;
  std::optional<uint64_t> run = ClearedBy(start);
  if (!run) return nullptr;
  // An interval of a run, settled by the run itself: what its own clearing
  // and settlement entries would have recorded.
  ClearedInterval& interval = cleared_[start];
  interval.clearing_index = *run;
  interval.clearing.interval_start = start;
  interval.tariff = run_tariffs_.at(*run);
  interval.latest_settlement = *run;
  return &interval;
}

std::optional<std::string> MarketAuditor::EmptyRunProblem(const v1::LedgerEntry& entry,
                                                          const matching::EmptyRun& run) const {
  const int64_t due_ms = timing_.SettlementDue(run.last) * 1000;
  if (entry.recorded_at_unix_ms() < due_ms) {
    return absl::StrCat("recorded at ", entry.recorded_at_unix_ms(),
                        " ms, before the settlement of its last interval was due at ", due_ms,
                        " ms");
  }
  const v1::Tariff& got = entry.empty_intervals().tariff();
  if (!tariff_) return std::string("no tariff is in force");
  if (got.feed_in_price_mcu_per_kwh() != tariff_->feed_in_price_mcu_per_kwh() ||
      got.retail_price_mcu_per_kwh() != tariff_->retail_price_mcu_per_kwh()) {
    return absl::StrCat("tariff ", got.feed_in_price_mcu_per_kwh(), "/",
                        got.retail_price_mcu_per_kwh(), " is not the one in force, ",
                        tariff_->feed_in_price_mcu_per_kwh(), "/",
                        tariff_->retail_price_mcu_per_kwh());
  }
  // The orders of every interval of the run: there must be none, cancelled
  // or not (an interval with orders keeps its own entries).
  for (auto it = open_.lower_bound(run.first); it != open_.end() && it->first <= run.last; ++it) {
    if (!run.Contains(it->first) || it->second.orders.empty()) continue;
    return absl::StrCat("interval ", it->first, " has ", it->second.orders.size(),
                        " accepted order(s) (the first at entry ",
                        it->second.orders.front().order.seq, "): it was not empty");
  }
  // What the run states, derived: an empty book clears to nothing, and
  // settling nothing with no reads bills nobody.
  absl::StatusOr<matching::ClearingResult> cleared = matching::Clear(run.first, {});
  if (!cleared.ok() || cleared->clearing_price || cleared->volume.value() != 0 ||
      !cleared->fills.empty()) {
    return std::string("an empty book does not clear to nothing");
  }
  absl::StatusOr<matching::Tariff> tariff = TariffFromProto(got);
  if (!tariff.ok()) return std::string(tariff.status().message());
  absl::StatusOr<matching::SettlementResult> settled =
      matching::Settle(run.first, *tariff, *cleared, {});
  if (!settled.ok()) {
    return absl::StrCat("settling it failed: ", settled.status().message());
  }
  if (!settled->bills.empty() || settled->grid.value() != 0) {
    return std::string("settling an empty interval with no reads bills someone");
  }
  return std::nullopt;
}

void MarketAuditor::CheckEmptyIntervals(uint64_t index, const v1::LedgerEntry& entry) {
  const v1::EmptyIntervals& empty = entry.empty_intervals();
  const matching::EmptyRun run{empty.first_interval_start(), empty.last_interval_start(),
                               empty.interval_s()};
  ++report_->empty_runs;
  auto fail = [&](absl::string_view why) {
    Fail(AuditCheck::kEmptyIntervals, index,
         absl::StrCat("empty intervals [", run.first, ", ", run.last, "]: ", why));
  };
  if (absl::Status valid = matching::ValidateEmptyRun(run, timing_.interval_s); !valid.ok()) {
    return fail(valid.message());
  }
  if (std::optional<std::string> overlap = coverage_->OverlapProblem(run)) {
    return fail(*overlap);  // not recorded: its intervals stay as they were
  }
  bool ok = true;
  if (std::optional<std::string> skip = coverage_->SkipProblem(run)) {
    fail(*skip);
    ok = false;
  }
  if (std::optional<std::string> problem = EmptyRunProblem(entry, run)) {
    fail(*problem);
    ok = false;
  }
  // Recorded even when wrong, so that what follows is judged against the
  // ledger as it is (a later clearing of one of its intervals is a second one).
  coverage_->AddRun(run, index);
  run_tariffs_[index] = tariff_;
  report_->empty_intervals += static_cast<uint64_t>(run.count());
  report_->intervals_cleared += static_cast<uint64_t>(run.count());
  report_->intervals_settled += static_cast<uint64_t>(run.count());
  report_->CoverInterval(run.first);
  report_->CoverInterval(run.last);
  if (ok) report_->Pass(AuditCheck::kEmptyIntervals);
}

}  // namespace peergrid::audit::internal
