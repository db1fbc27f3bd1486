// The Exchange catching up after an outage: runs of empty intervals cleared
// and settled by one EmptyIntervals entry each, and the catch-up's progress
// for health (docs/LEDGER.md "Empty intervals", docs/OPERATIONS.md).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "exchange_impl.h"
#include "exchange_state.h"
#include "peergrid/common/status.h"
#include "peergrid/matching/empty_run.h"
#include "peergrid/runtime/json_log.h"

namespace peergrid::exchange {
namespace {

// A catch-up is when at least this many intervals' clearings are due at once.
constexpr int64_t kCatchUpIntervals = 2;

}  // namespace

bool ExchangeImpl::EmptyRunMayStartLocked(int64_t first) const {
  if (!state_->tariff()) return false;  // as today: nothing to settle under
  if (!uncleared_.empty() && *uncleared_.begin() < first) return false;
  if (closed_through_) return *closed_through_ <= first;
  std::optional<int64_t> zone_first = FirstIntervalLocked();
  return zone_first && *zone_first == first;
}

bool ExchangeImpl::BusyLocked(int64_t start) const {
  if (const IntervalRecord* record = state_->FindInterval(start);
      record != nullptr && (!record->order_ids.empty() || record->clearing_index)) {
    return true;
  }
  auto in_flight = in_flight_.find(start);
  return in_flight != in_flight_.end() && in_flight->second > 0;
}

bool ExchangeImpl::HasReads(int64_t start) const {
  absl::StatusOr<std::map<std::string, v1::IntervalRead>> reads = telemetry_->IntervalReads(start);
  if (!reads.ok()) return true;  // SettleInterval retries it and says why
  for (const auto& [participant_id, read] : *reads) {
    // Settlement ignores the reads of unknown participants, so does a run.
    if (directory().FindParticipant(participant_id).ok()) return true;
  }
  // A registered hub's grid or bank read is a flow to settle and balance too.
  absl::StatusOr<HubMeterReads> hub_reads = telemetry_->HubReads(start);
  if (!hub_reads.ok()) return true;
  for (const auto& [hub_id, read] : hub_reads->grid) {
    if (directory().FindHub(hub_id).ok()) return true;
  }
  for (const auto& [key, read] : hub_reads->banks) {
    if (directory().FindHub(key.first).ok()) return true;
  }
  return false;
}

absl::StatusOr<bool> ExchangeImpl::ClearEmptyRun(int64_t first, int64_t now_s) {
  const MarketTiming& t = options_.timing;
  const int64_t last_due = matching::LastSettlementDue(t, now_s);
  std::optional<matching::EmptyRun> run;
  auto not_busy = [this](int64_t s) ABSL_NO_THREAD_SAFETY_ANALYSIS { return !BusyLocked(s); };
  {
    absl::MutexLock lock(&mu_);
    if (!EmptyRunMayStartLocked(first)) return false;
    run = matching::FindEmptyRun(first, last_due, t, not_busy);
  }
  if (!run) return false;
  // Reads are looked up without mu_ (the telemetry store has its own locks).
  run = matching::FindEmptyRun(first, run->last, t, [this](int64_t s) { return !HasReads(s); });
  if (!run) return false;
  v1::LedgerEntry entry;
  {
    absl::MutexLock lock(&mu_);
    // Every gate in the run closed long before its settlement fell due, so
    // no order can have arrived meanwhile; checked again all the same.
    run = matching::FindEmptyRun(first, run->last, t, not_busy);
    if (!run) return false;
    closed_through_ = run->last;  // it was at most `first` (EmptyRunMayStartLocked)
    v1::EmptyIntervals* empty = entry.mutable_empty_intervals();
    empty->set_first_interval_start(run->first);
    empty->set_last_interval_start(run->last);
    empty->set_interval_s(run->interval_s);
    *empty->mutable_tariff() = *state_->tariff();
  }
  entry.set_recorded_at_unix_ms(NowMs());
  absl::StatusOr<uint64_t> index = ledger_->Append(entry.SerializeAsString());
  if (!index.ok()) {
    // As a failed ClearInterval leaves it: `first` closed and retried, the
    // rest of the run still ahead.
    absl::MutexLock lock(&mu_);
    closed_through_ = first;
    return index.status();
  }
  std::function<void(const v1::TradeEvent&)> on_cleared;
  std::function<void(const v1::IntervalSettled&, bool)> on_settled;
  {
    absl::MutexLock lock(&mu_);
    PEERGRID_RETURN_IF_ERROR(ApplyLocked(*index, entry));
    on_cleared = events_.on_cleared;
    on_settled = events_.on_settled;
  }
  runtime::LogJson("info", "empty intervals cleared and settled",
                   {{"first", run->first},
                    {"last", run->last},
                    {"intervals", run->count()},
                    {"ledger_index", *index}});
  // The run is durable and applied: a checkpoint that fails now is signed by
  // the next one (the daemon signs every few seconds), not a reason to redo it.
  if (absl::Status signed_ = SignCheckpoint(); !signed_.ok()) {
    runtime::LogJson("error", "checkpoint failed", {{"error", std::string(signed_.message())}});
  }
  if (!on_cleared && !on_settled) return true;
  for (int64_t start = run->first; start <= run->last; start += run->interval_s) {
    if (on_cleared) {
      v1::TradeEvent event;
      event.set_interval_start(start);
      event.set_ledger_index(*index);
      on_cleared(event);
    }
    if (on_settled) {
      v1::IntervalSettled settled;
      settled.set_interval_start(start);
      *settled.mutable_tariff() = entry.empty_intervals().tariff();
      settled.mutable_result()->set_interval_start(start);
      settled.set_clearing_index(*index);
      on_settled(settled, /*correction=*/false);
    }
  }
  return true;
}

void ExchangeImpl::TrackCatchUpLocked(const std::optional<WorkItem>& item, int64_t now_s) {
  const MarketTiming& t = options_.timing;
  if (!item) {
    if (catch_up_) {
      runtime::LogJson(
          "info", "caught up",
          {{"intervals", (catch_up_->last - catch_up_->first) / t.interval_s + 1},
           {"ledger_entries", ledger_->Size() - catch_up_->ledger_size_at_start},
           {"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - catch_up_->started))}});
      catch_up_.reset();
    }
    return;
  }
  std::optional<int64_t> zone_first = FirstIntervalLocked();
  if (!zone_first) return;
  const int64_t next = closed_through_ ? *closed_through_ + t.interval_s : *zone_first;
  const int64_t last_due = t.IntervalStartFor(now_s + t.gate_lead_s);  // latest gate closed
  if (!catch_up_) {
    if (last_due < next || (last_due - next) / t.interval_s + 1 < kCatchUpIntervals) return;
    catch_up_ = CatchUp{next, last_due, next, ledger_->Size(), absl::Now()};
    runtime::LogJson(
        "info", "catching up: NOT_SERVING",
        {{"first", next}, {"last", last_due}, {"intervals", (last_due - next) / t.interval_s + 1}});
  }
  catch_up_->last = std::max(catch_up_->last, last_due);
  catch_up_->next = std::max(catch_up_->next, next);
}

std::string ExchangeImpl::CatchUpReasonLocked() const {
  const int64_t interval_s = options_.timing.interval_s;
  const int64_t of = (catch_up_->last - catch_up_->first) / interval_s + 1;
  const int64_t at = std::min(of, (catch_up_->next - catch_up_->first) / interval_s + 1);
  return absl::StrCat("catching up: interval ", at, " of ", of, " missed while down (interval ",
                      catch_up_->next, ")");
}

}  // namespace peergrid::exchange
