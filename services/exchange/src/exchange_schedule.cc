// The Exchange's clock-driven work: clearing at gate closure, settlement after
// the interval plus grace, and corrections when late meter reads arrive.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "exchange_impl.h"
#include "exchange_state.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/matching/auction.h"
#include "peergrid/matching/energy_balance.h"
#include "peergrid/matching/settlement.h"
#include "peergrid/runtime/json_log.h"

namespace peergrid::exchange {
namespace {

// Returns whether two recorded read lists are the same, read by read.
template <typename Reads>
bool SameReads(const Reads& a, const Reads& b) {
  if (a.size() != b.size()) return false;
  for (int i = 0; i < a.size(); ++i) {
    if (a.Get(i).SerializeAsString() != b.Get(i).SerializeAsString()) return false;
  }
  return true;
}

}  // namespace

namespace {

// Corrections are looked for this far back (exchange clock).
constexpr int64_t kCorrectionWindowS = 24 * 3600;

v1::TradeEvent TradeEventFor(const v1::ClearingResult& clearing, uint64_t index,
                             const std::string& participant_id) {
  v1::TradeEvent event;
  event.set_interval_start(clearing.interval_start());
  if (clearing.has_clearing_price_mcu_per_kwh()) {
    *event.mutable_clearing_price_mcu_per_kwh() = clearing.clearing_price_mcu_per_kwh();
  }
  event.set_volume_wh(clearing.volume_wh());
  event.set_ledger_index(index);
  for (const v1::Fill& fill : clearing.fills()) {
    if (participant_id.empty() || fill.buyer_id() == participant_id ||
        fill.seller_id() == participant_id) {
      *event.add_fills() = fill;
    }
  }
  return event;
}

}  // namespace

std::optional<int64_t> ExchangeImpl::FirstIntervalLocked() const {
  std::optional<int64_t> first_ms = state_->first_entry_unix_ms();
  if (!first_ms) return std::nullopt;
  return options_.timing.FirstOpenInterval(*first_ms / 1000);
}

std::optional<int64_t> ExchangeImpl::NextDueUnixSeconds() const {
  absl::MutexLock lock(&mu_);
  std::optional<int64_t> first = FirstIntervalLocked();
  if (!first) return std::nullopt;
  const MarketTiming& t = options_.timing;
  const int64_t next_clear = closed_through_ ? *closed_through_ + t.interval_s : *first;
  int64_t due = t.GateClosure(next_clear);
  for (const auto& [item, failure] : failures_) due = std::min(due, failure.retry_at_unix_s);
  for (int64_t start : unsettled_) {
    if (!failures_.contains({Work::kSettle, start})) {
      due = std::min(due, t.SettlementDue(start));
      break;  // ordered: the first one not failing is the earliest due
    }
  }
  return due;
}

void ExchangeImpl::RebuildScheduleLocked() {
  unsettled_.clear();
  uncleared_.clear();
  for (const auto& [start, record] : state_->intervals()) {
    if (record.clearing_index && !record.settlement_index) unsettled_.insert(start);
  }
  std::optional<int64_t> first = FirstIntervalLocked();
  if (!first || !closed_through_) return;
  for (int64_t start = *first; start < *closed_through_; start += options_.timing.interval_s) {
    const IntervalRecord* record = state_->FindInterval(start);
    if (record == nullptr || !record->clearing_index) uncleared_.insert(start);
  }
}

bool ExchangeImpl::RetryReadyLocked(const WorkItem& item, int64_t now_s) const {
  auto it = failures_.find(item);
  return it == failures_.end() || it->second.retry_at_unix_s <= now_s;
}

std::optional<ExchangeImpl::WorkItem> ExchangeImpl::NextWorkLocked(int64_t now_s) const {
  std::optional<int64_t> first = FirstIntervalLocked();
  if (!first) return std::nullopt;
  const MarketTiming& t = options_.timing;
  // (due time, clearing before settlement, interval)
  std::optional<std::tuple<int64_t, int, int64_t>> best;
  auto offer = [&](int64_t due, Work work, int64_t start) {
    std::tuple<int64_t, int, int64_t> key{due, work == Work::kClear ? 0 : 1, start};
    if (!best || key < *best) best = key;
  };
  const int64_t next_clear = closed_through_ ? *closed_through_ + t.interval_s : *first;
  if (t.GateClosure(next_clear) <= now_s)
    offer(t.GateClosure(next_clear), Work::kClear, next_clear);
  for (int64_t start : uncleared_) {
    if (RetryReadyLocked({Work::kClear, start}, now_s)) {
      offer(t.GateClosure(start), Work::kClear, start);
      break;
    }
  }
  for (int64_t start : unsettled_) {
    if (t.SettlementDue(start) > now_s) break;
    if (RetryReadyLocked({Work::kSettle, start}, now_s)) {
      offer(t.SettlementDue(start), Work::kSettle, start);
      break;
    }
  }
  if (!best) return std::nullopt;
  return WorkItem{std::get<1>(*best) == 0 ? Work::kClear : Work::kSettle, std::get<2>(*best)};
}

void ExchangeImpl::RecordOutcomeLocked(const WorkItem& item, const absl::Status& status,
                                       int64_t now_s) {
  const auto& [work, start] = item;
  if (work == Work::kClear && status.ok()) {
    uncleared_.erase(start);
    unsettled_.insert(start);
  } else if (work == Work::kClear) {
    uncleared_.insert(start);  // its gate stays closed; retried
  } else if (work == Work::kSettle && status.ok()) {
    unsettled_.erase(start);
  }
  if (status.ok()) {
    if (failures_.erase(item) > 0) {
      runtime::LogJson("info", "scheduled work recovered", {{"interval", start}});
    }
    return;
  }
  WorkFailure& failure = failures_[item];
  if (failure.attempts == 0) failure.first_failed_unix_ms = NowMs();
  ++failure.attempts;
  constexpr int64_t kMaxBackoffS = 60;
  failure.retry_at_unix_s =
      now_s + std::min<int64_t>(kMaxBackoffS, int64_t{1} << std::min(failure.attempts - 1, 6));
  // Long enough to say what went wrong, short enough to never carry a whole input.
  failure.error = std::string(status.message().substr(0, 300));
  const char* what = work == Work::kClear    ? "clearing"
                     : work == Work::kSettle ? "settlement"
                                             : "correction";
  runtime::LogJson("error", "scheduled work failed",
                   {{"work", what},
                    {"interval", start},
                    {"attempts", failure.attempts},
                    {"retry_at", failure.retry_at_unix_s},
                    {"error", failure.error}});
  if (failure.attempts == 1) {
    pending_alarms_.push_back(
        MarketAlarm(v1::SCHEDULED_WORK_FAILING, "",
                    absl::StrCat(what, " of interval ", start,
                                 " failed (retried with backoff): ", failure.error)));
  }
}

SchedulerHealth ExchangeImpl::GetSchedulerHealthLocked() const {
  SchedulerHealth health;
  health.failing = static_cast<int>(failures_.size());
  health.stuck = !failures_.empty();
  const std::pair<const WorkItem, WorkFailure>* oldest = nullptr;
  for (const auto& entry : failures_) {
    if (oldest == nullptr ||
        entry.second.first_failed_unix_ms < oldest->second.first_failed_unix_ms)
      oldest = &entry;
  }
  if (oldest != nullptr) {
    const auto& [item, failure] = *oldest;
    const char* what = item.first == Work::kClear    ? "clearing"
                       : item.first == Work::kSettle ? "settlement"
                                                     : "correction";
    health.reason =
        absl::StrCat(what, " of interval ", item.second, " has failed ", failure.attempts,
                     " times since ", failure.first_failed_unix_ms, " ms: ", failure.error);
  }
  if (catch_up_) {
    health.catching_up = true;
    const std::string progress = CatchUpReasonLocked();
    health.reason = health.reason.empty() ? progress : absl::StrCat(health.reason, "; ", progress);
  }
  return health;
}

SchedulerHealth ExchangeImpl::GetSchedulerHealth() const {
  absl::MutexLock lock(&mu_);
  return GetSchedulerHealthLocked();
}

absl::StatusOr<int> ExchangeImpl::RunDue() {
  absl::MutexLock due(&due_mu_);
  const MarketTiming& t = options_.timing;
  int ran = 0;
  absl::Status first_error;
  for (;;) {
    const int64_t now_s = clock_->NowUnixSeconds();
    std::optional<WorkItem> item;
    {
      absl::MutexLock lock(&mu_);
      item = NextWorkLocked(now_s);
      TrackCatchUpLocked(item, now_s);
    }
    if (!item) break;
    absl::Status status;
    bool settled_too = false;  // an empty run: cleared and settled in one entry
    if (item->first == Work::kClear) {
      absl::StatusOr<bool> run = ClearEmptyRun(item->second, now_s);
      settled_too = run.ok() && *run;
      status = !run.ok()     ? run.status()
               : settled_too ? absl::OkStatus()
                             : ClearInterval(item->second);
    } else {
      status = SettleInterval(item->second);
    }
    {
      absl::MutexLock lock(&mu_);
      RecordOutcomeLocked(*item, status, now_s);
      if (settled_too) unsettled_.erase(item->second);
    }
    RaisePending();
    if (!status.ok()) {
      if (first_error.ok()) first_error = status;
      continue;
    }
    ++ran;
  }
  const int64_t now_s = clock_->NowUnixSeconds();
  bool check = false;
  {
    absl::MutexLock lock(&mu_);
    if (now_s - last_correction_check_s_ >= t.interval_s) {
      last_correction_check_s_ = now_s;
      check = true;
    }
  }
  if (check) {
    absl::Status corrected = CorrectLateReads(now_s);
    if (first_error.ok()) first_error = corrected;
  }
  if (!first_error.ok()) return first_error;
  return ran;
}

absl::Status ExchangeImpl::ClearInterval(int64_t interval_start) {
  std::vector<matching::Order> book;
  std::vector<v1::Alarm> excluded;
  {
    absl::MutexLock lock(&mu_);
    if (!closed_through_ || interval_start > *closed_through_) {
      closed_through_ = interval_start;  // no new orders or cancels for it from now on
    }
    auto drained = [this, interval_start]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto it = in_flight_.find(interval_start);
      return it == in_flight_.end() || it->second == 0;
    };
    mu_.Await(absl::Condition(&drained));
    in_flight_.erase(interval_start);
    for (const OrderRecord* record : state_->OpenOrders(interval_start)) {
      if (record->unbookable) {
        // Recorded before input bounds existed: no book may hold it.
        excluded.push_back(MarketAlarm(v1::ORDER_UNUSABLE, "",
                                       absl::StrCat("order at ledger index ", record->order.seq(),
                                                    " left out of the clearing of interval ",
                                                    interval_start, ": ", *record->unbookable)));
        continue;
      }
      PEERGRID_ASSIGN_OR_RETURN(matching::Order order, convert::FromProto(record->order));
      book.push_back(std::move(order));
    }
  }
  for (v1::Alarm& alarm : excluded) Raise(std::move(alarm));
  PEERGRID_ASSIGN_OR_RETURN(matching::ClearingResult result, matching::Clear(interval_start, book));
  v1::LedgerEntry entry;
  entry.set_recorded_at_unix_ms(NowMs());
  v1::IntervalCleared* cleared = entry.mutable_interval_cleared();
  *cleared->mutable_result() = convert::ToProto(result);
  cleared->set_order_count(static_cast<int64_t>(book.size()));
  PEERGRID_ASSIGN_OR_RETURN(uint64_t index, ledger_->Append(entry.SerializeAsString()));
  std::function<void(const v1::TradeEvent&)> on_cleared;
  {
    absl::MutexLock lock(&mu_);
    PEERGRID_RETURN_IF_ERROR(ApplyLocked(index, entry));
    on_cleared = events_.on_cleared;
  }
  PEERGRID_RETURN_IF_ERROR(SignCheckpoint());
  if (on_cleared) on_cleared(TradeEventFor(cleared->result(), index, ""));
  return absl::OkStatus();
}

absl::StatusOr<v1::IntervalSettled> ExchangeImpl::ComputeSettlement(
    int64_t interval_start, const v1::ClearingResult& clearing, const v1::Tariff& tariff,
    std::vector<v1::Alarm>* alarms) const {
  PEERGRID_ASSIGN_OR_RETURN(auto reads, telemetry_->IntervalReads(interval_start));
  PEERGRID_ASSIGN_OR_RETURN(HubMeterReads hub_reads, telemetry_->HubReads(interval_start));
  AddStorageReads(hub_reads, &reads);
  v1::IntervalSettled settled;
  settled.set_interval_start(interval_start);
  *settled.mutable_tariff() = tariff;
  std::vector<matching::MeterRead> domain_reads;
  for (const auto& [participant_id, read] : reads) {  // ordered by participant_id
    absl::StatusOr<v1::Participant> participant = directory().FindParticipant(participant_id);
    if (!participant.ok()) continue;
    v1::MeterRead* meter = settled.add_meter_reads();
    meter->set_participant_id(participant_id);
    meter->set_import_wh(read.import_wh());
    meter->set_export_wh(read.export_wh());
    meter->set_quality(read.quality());
    absl::StatusOr<matching::MeterRead> domain = convert::FromProto(*meter);
    absl::Status usable = domain.ok() ? matching::CheckReadUsable(*domain) : domain.status();
    if (!usable.ok()) {
      // One bad read never stops the market: this participant settles
      // ESTIMATED on a BAD 0/0 read (what the ledger records), and operators
      // hear of it.
      if (alarms != nullptr) {
        alarms->push_back(MarketAlarm(
            v1::METER_READ_UNUSABLE, participant->hub_id(),
            absl::StrCat("interval ", interval_start, ": the read of participant ", participant_id,
                         " is unusable (settled ESTIMATED): ", usable.message())));
      }
      meter->set_import_wh(0);
      meter->set_export_wh(0);
      meter->set_quality(v1::BAD);
      domain = convert::FromProto(*meter);
    }
    PEERGRID_RETURN_IF_ERROR(domain.status());
    domain_reads.push_back(*std::move(domain));
  }
  for (const auto& [hub_id, read] : hub_reads.grid) {  // ordered by hub_id
    if (!directory().FindHub(hub_id).ok()) continue;
    v1::HubRead* hub = settled.add_hub_reads();
    hub->set_hub_id(hub_id);
    hub->set_import_wh(read.import_wh());
    hub->set_export_wh(read.export_wh());
    hub->set_quality(read.quality());
    absl::StatusOr<matching::MeterRead> domain = convert::FromProto(convert::AsMeterRead(*hub));
    absl::Status usable = domain.ok() ? matching::CheckReadUsable(*domain) : domain.status();
    if (!usable.ok()) {
      if (alarms != nullptr) {
        alarms->push_back(MarketAlarm(
            v1::METER_READ_UNUSABLE, hub_id,
            absl::StrCat("interval ", interval_start, ": the grid-connection read of hub ", hub_id,
                         " is unusable (recorded BAD): ", usable.message())));
      }
      hub->set_import_wh(0);
      hub->set_export_wh(0);
      hub->set_quality(v1::BAD);
    }
  }
  PEERGRID_ASSIGN_OR_RETURN(matching::Tariff domain_tariff, convert::FromProto(tariff));
  PEERGRID_ASSIGN_OR_RETURN(matching::ClearingResult domain_clearing, convert::FromProto(clearing));
  PEERGRID_ASSIGN_OR_RETURN(
      matching::SettlementResult result,
      matching::Settle(interval_start, domain_tariff, domain_clearing, domain_reads));
  *settled.mutable_result() = convert::ToProto(result);
  return settled;
}

void ExchangeImpl::AddStorageReads(const HubMeterReads& hub_reads,
                                   std::map<std::string, v1::IntervalRead>* reads) const {
  std::set<std::string> hubs;
  for (const auto& [key, read] : hub_reads.banks) hubs.insert(key.first);
  for (const std::string& hub_id : hubs) {
    for (const v1::Participant& p : directory().ParticipantsOf(hub_id)) {
      if (p.storage_bank_ids().empty() || reads->contains(p.participant_id())) continue;
      // The participant's read is the sum of its banks' meter reads, OK only
      // when every one of them is there and OK.
      v1::IntervalRead sum;
      sum.set_quality(v1::OK);
      for (const std::string& bank : p.storage_bank_ids()) {
        auto it = hub_reads.banks.find({hub_id, bank});
        if (it == hub_reads.banks.end()) {
          sum.set_quality(v1::MISSING);
          continue;
        }
        sum.set_interval_start(it->second.interval_start());
        sum.set_import_wh(sum.import_wh() + it->second.import_wh());
        sum.set_export_wh(sum.export_wh() + it->second.export_wh());
        if (it->second.quality() != v1::OK && sum.quality() == v1::OK) {
          sum.set_quality(it->second.quality());
        }
      }
      reads->emplace(p.participant_id(), std::move(sum));
    }
  }
}

void ExchangeImpl::BalanceAlarms(const v1::IntervalSettled& settled,
                                 std::vector<v1::Alarm>* alarms) const {
  std::map<std::string, const v1::MeterRead*> by_participant;
  for (const v1::MeterRead& read : settled.meter_reads()) {
    by_participant[read.participant_id()] = &read;
  }
  for (const v1::HubRead& hub_read : settled.hub_reads()) {
    absl::StatusOr<v1::Hub> hub = directory().FindHub(hub_read.hub_id());
    if (!hub.ok()) continue;
    const std::vector<v1::Participant> participants = directory().ParticipantsOf(hub->hub_id());
    std::vector<matching::MeterRead> domain;
    domain.reserve(participants.size());
    for (const v1::Participant& p : participants) {
      auto it = by_participant.find(p.participant_id());
      if (it == by_participant.end()) continue;
      absl::StatusOr<matching::MeterRead> read = convert::FromProto(*it->second);
      if (read.ok()) domain.push_back(*std::move(read));
    }
    std::vector<const matching::MeterRead*> pointers;
    for (const matching::MeterRead& read : domain) pointers.push_back(&read);
    absl::StatusOr<matching::MeterRead> hub_domain =
        convert::FromProto(convert::AsMeterRead(hub_read));
    if (!hub_domain.ok()) continue;
    const std::optional<matching::EnergyBalance> balance = matching::HubEnergyBalance(
        *hub_domain, pointers, static_cast<int64_t>(participants.size()), hub->max_loss_ppm());
    if (!balance || balance->holds()) continue;
    v1::Alarm alarm =
        MarketAlarm(v1::METER_BALANCE, hub->hub_id(),
                    absl::StrCat("interval ", settled.interval_start(), ": hub ", hub->hub_id(),
                                 "'s grid read and its ", participants.size(),
                                 " participants' reads do not balance: ", balance->Describe()));
    alarm.set_value(static_cast<double>(balance->residual_wh));
    alarm.set_threshold(static_cast<double>(balance->max_loss_wh));
    alarms->push_back(std::move(alarm));
  }
}

absl::Status ExchangeImpl::SettleInterval(int64_t interval_start) {
  v1::ClearingResult clearing;
  v1::Tariff tariff;
  uint64_t clearing_index = 0;
  {
    absl::MutexLock lock(&mu_);
    const IntervalRecord* record = state_->FindInterval(interval_start);
    if (record == nullptr || !record->clearing_index) {
      return absl::InternalError(absl::StrCat("interval ", interval_start, " is not cleared"));
    }
    clearing = record->clearing;
    tariff = record->tariff_at_clearing;
    clearing_index = *record->clearing_index;
  }
  std::vector<v1::Alarm> alarms;
  absl::StatusOr<v1::IntervalSettled> computed =
      ComputeSettlement(interval_start, clearing, tariff, &alarms);
  if (computed.ok()) BalanceAlarms(*computed, &alarms);
  for (v1::Alarm& alarm : alarms) Raise(std::move(alarm));
  PEERGRID_RETURN_IF_ERROR(computed.status());
  v1::IntervalSettled settled = *std::move(computed);
  settled.set_clearing_index(clearing_index);
  v1::LedgerEntry entry;
  entry.set_recorded_at_unix_ms(NowMs());
  *entry.mutable_interval_settled() = settled;
  return RecordSettlement(entry, settled, /*correction=*/false);
}

absl::Status ExchangeImpl::RecordSettlement(const v1::LedgerEntry& entry,
                                            const v1::IntervalSettled& settled, bool correction) {
  PEERGRID_ASSIGN_OR_RETURN(uint64_t index, ledger_->Append(entry.SerializeAsString()));
  std::function<void(const v1::IntervalSettled&, bool)> on_settled;
  {
    absl::MutexLock lock(&mu_);
    PEERGRID_RETURN_IF_ERROR(ApplyLocked(index, entry));
    on_settled = events_.on_settled;
  }
  PEERGRID_RETURN_IF_ERROR(SignCheckpoint());
  if (on_settled) on_settled(settled, correction);
  return absl::OkStatus();
}

absl::Status ExchangeImpl::CorrectLateReads(int64_t now_s) {
  struct Candidate {
    int64_t interval_start;
    uint64_t corrects_index;
    v1::IntervalSettled recorded;
  };
  std::vector<Candidate> candidates;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [start, record] : state_->intervals()) {
      if (!record.settlement_index || start < now_s - kCorrectionWindowS) continue;
      candidates.push_back({start, *record.settlement_index, record.settlement});
    }
  }
  absl::Status first_error;
  for (const Candidate& c : candidates) {
    absl::Status status = CorrectInterval(c.interval_start, c.corrects_index, c.recorded);
    {
      absl::MutexLock lock(&mu_);
      RecordOutcomeLocked({Work::kCorrect, c.interval_start}, status, now_s);
    }
    RaisePending();
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  return first_error;
}

absl::Status ExchangeImpl::CorrectInterval(int64_t interval_start, uint64_t corrects_index,
                                           const v1::IntervalSettled& recorded) {
  v1::ClearingResult clearing;
  {
    absl::MutexLock lock(&mu_);
    clearing = state_->FindInterval(interval_start)->clearing;
  }
  // No alarms here: an unusable read raised one when the interval settled.
  PEERGRID_ASSIGN_OR_RETURN(
      v1::IntervalSettled fresh,
      ComputeSettlement(interval_start, clearing, recorded.tariff(), /*alarms=*/nullptr));
  fresh.set_clearing_index(recorded.clearing_index());
  if (SameReads(fresh.meter_reads(), recorded.meter_reads()) &&
      SameReads(fresh.hub_reads(), recorded.hub_reads())) {
    return absl::OkStatus();
  }
  // The late reads may complete a hub's balance for the first time.
  std::vector<v1::Alarm> alarms;
  BalanceAlarms(fresh, &alarms);
  for (v1::Alarm& alarm : alarms) Raise(std::move(alarm));
  v1::LedgerEntry entry;
  entry.set_recorded_at_unix_ms(NowMs());
  v1::SettlementCorrected* correction = entry.mutable_settlement_corrected();
  correction->set_corrects_index(corrects_index);
  *correction->mutable_settlement() = fresh;
  return RecordSettlement(entry, fresh, /*correction=*/true);
}

void ExchangeImpl::RaisePending() {
  std::vector<v1::Alarm> alarms;
  {
    absl::MutexLock lock(&mu_);
    alarms.swap(pending_alarms_);
  }
  for (v1::Alarm& alarm : alarms) Raise(std::move(alarm));
}

absl::Status ExchangeImpl::SignCheckpoint() {
  absl::MutexLock lock(&checkpoint_mu_);
  if (ledger_->Size() == last_checkpoint_size_) return absl::OkStatus();
  PEERGRID_ASSIGN_OR_RETURN(ledger::SignedCheckpoint checkpoint, ledger_->Checkpoint());
  if (checkpoint.checkpoint.tree_size == last_checkpoint_size_) return absl::OkStatus();
  last_checkpoint_size_ = checkpoint.checkpoint.tree_size;
  std::function<void(const ledger::SignedCheckpoint&)> on_checkpoint;
  {
    absl::MutexLock state_lock(&mu_);
    on_checkpoint = events_.on_checkpoint;
  }
  if (on_checkpoint) on_checkpoint(checkpoint);
  return absl::OkStatus();
}

std::vector<v1::TradeEvent> ExchangeImpl::ClearedSince(int64_t from_interval_start,
                                                       const std::string& participant_id) const {
  std::vector<v1::TradeEvent> out;
  absl::MutexLock lock(&mu_);
  for (auto it = state_->intervals().lower_bound(from_interval_start);
       it != state_->intervals().end(); ++it) {
    if (!it->second.clearing_index) continue;
    out.push_back(TradeEventFor(it->second.clearing, *it->second.clearing_index, participant_id));
  }
  return out;
}

}  // namespace peergrid::exchange
