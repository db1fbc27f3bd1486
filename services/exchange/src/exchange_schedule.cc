// The Exchange's clock-driven work: clearing at gate closure, settlement after
// the interval plus grace, and corrections when late meter reads arrive.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "exchange_impl.h"
#include "exchange_state.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/matching/auction.h"
#include "peergrid/matching/settlement.h"

namespace peergrid::exchange {
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
  std::optional<int64_t> last_settled = state_->LastSettled();
  const int64_t next_settle = last_settled ? *last_settled + t.interval_s : *first;
  return std::min(t.GateClosure(next_clear), t.SettlementDue(next_settle));
}

absl::StatusOr<int> ExchangeImpl::RunDue() {
  absl::MutexLock due(&due_mu_);
  const MarketTiming& t = options_.timing;
  int ran = 0;
  for (;;) {
    const int64_t now_s = clock_->NowUnixSeconds();
    int64_t clear_next = 0, settle_next = 0;
    {
      absl::MutexLock lock(&mu_);
      std::optional<int64_t> first = FirstIntervalLocked();
      if (!first) return ran;
      clear_next = closed_through_ ? *closed_through_ + t.interval_s : *first;
      std::optional<int64_t> last_settled = state_->LastSettled();
      settle_next = last_settled ? *last_settled + t.interval_s : *first;
    }
    const bool clear_due = t.GateClosure(clear_next) <= now_s;
    const bool settle_due = t.SettlementDue(settle_next) <= now_s && settle_next < clear_next;
    if (clear_due && (!settle_due || t.GateClosure(clear_next) <= t.SettlementDue(settle_next))) {
      PEERGRID_RETURN_IF_ERROR(ClearInterval(clear_next));
    } else if (settle_due) {
      PEERGRID_RETURN_IF_ERROR(SettleInterval(settle_next));
    } else {
      break;
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
  if (check) PEERGRID_RETURN_IF_ERROR(CorrectLateReads(now_s));
  return ran;
}

absl::Status ExchangeImpl::ClearInterval(int64_t interval_start) {
  std::vector<matching::Order> book;
  {
    absl::MutexLock lock(&mu_);
    closed_through_ = interval_start;  // no new orders or cancels for it from now on
    auto drained = [this, interval_start]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto it = in_flight_.find(interval_start);
      return it == in_flight_.end() || it->second == 0;
    };
    mu_.Await(absl::Condition(&drained));
    in_flight_.erase(interval_start);
    for (const OrderRecord* record : state_->OpenOrders(interval_start)) {
      PEERGRID_ASSIGN_OR_RETURN(matching::Order order, convert::FromProto(record->order));
      book.push_back(std::move(order));
    }
  }
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
    int64_t interval_start, const v1::ClearingResult& clearing, const v1::Tariff& tariff) const {
  PEERGRID_ASSIGN_OR_RETURN(const auto reads, telemetry_->IntervalReads(interval_start));
  v1::IntervalSettled settled;
  settled.set_interval_start(interval_start);
  *settled.mutable_tariff() = tariff;
  std::vector<matching::MeterRead> domain_reads;
  for (const auto& [participant_id, read] : reads) {  // ordered by participant_id
    if (!directory().FindParticipant(participant_id).ok()) continue;
    v1::MeterRead* meter = settled.add_meter_reads();
    meter->set_participant_id(participant_id);
    meter->set_import_wh(read.import_wh());
    meter->set_export_wh(read.export_wh());
    meter->set_quality(read.quality());
    PEERGRID_ASSIGN_OR_RETURN(matching::MeterRead domain, convert::FromProto(*meter));
    domain_reads.push_back(std::move(domain));
  }
  PEERGRID_ASSIGN_OR_RETURN(matching::Tariff domain_tariff, convert::FromProto(tariff));
  PEERGRID_ASSIGN_OR_RETURN(matching::ClearingResult domain_clearing, convert::FromProto(clearing));
  PEERGRID_ASSIGN_OR_RETURN(
      matching::SettlementResult result,
      matching::Settle(interval_start, domain_tariff, domain_clearing, domain_reads));
  *settled.mutable_result() = convert::ToProto(result);
  return settled;
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
  PEERGRID_ASSIGN_OR_RETURN(v1::IntervalSettled settled,
                            ComputeSettlement(interval_start, clearing, tariff));
  settled.set_clearing_index(clearing_index);
  v1::LedgerEntry entry;
  entry.set_recorded_at_unix_ms(NowMs());
  *entry.mutable_interval_settled() = settled;
  PEERGRID_ASSIGN_OR_RETURN(uint64_t index, ledger_->Append(entry.SerializeAsString()));
  std::function<void(const v1::IntervalSettled&, bool)> on_settled;
  {
    absl::MutexLock lock(&mu_);
    PEERGRID_RETURN_IF_ERROR(ApplyLocked(index, entry));
    on_settled = events_.on_settled;
  }
  PEERGRID_RETURN_IF_ERROR(SignCheckpoint());
  if (on_settled) on_settled(settled, false);
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
  for (const Candidate& c : candidates) {
    PEERGRID_ASSIGN_OR_RETURN(v1::IntervalSettled fresh,
                              ComputeSettlement(
                                  c.interval_start,
                                  [&] {
                                    absl::MutexLock lock(&mu_);
                                    return state_->FindInterval(c.interval_start)->clearing;
                                  }(),
                                  c.recorded.tariff()));
    fresh.set_clearing_index(c.recorded.clearing_index());
    if (fresh.meter_reads().size() == c.recorded.meter_reads().size()) {
      bool same = true;
      for (int i = 0; i < fresh.meter_reads().size() && same; ++i) {
        same = fresh.meter_reads(i).SerializeAsString() ==
               c.recorded.meter_reads(i).SerializeAsString();
      }
      if (same) continue;
    }
    v1::LedgerEntry entry;
    entry.set_recorded_at_unix_ms(NowMs());
    v1::SettlementCorrected* correction = entry.mutable_settlement_corrected();
    correction->set_corrects_index(c.corrects_index);
    *correction->mutable_settlement() = fresh;
    PEERGRID_ASSIGN_OR_RETURN(uint64_t index, ledger_->Append(entry.SerializeAsString()));
    std::function<void(const v1::IntervalSettled&, bool)> on_settled;
    {
      absl::MutexLock lock(&mu_);
      PEERGRID_RETURN_IF_ERROR(ApplyLocked(index, entry));
      on_settled = events_.on_settled;
    }
    PEERGRID_RETURN_IF_ERROR(SignCheckpoint());
    if (on_settled) on_settled(fresh, true);
  }
  return absl::OkStatus();
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
