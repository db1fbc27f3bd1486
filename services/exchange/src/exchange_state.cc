#include "exchange_state.h"

#include "absl/strings/str_cat.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/matching/empty_run.h"
#include "peergrid/matching/order.h"

namespace peergrid::exchange {
namespace {

absl::Status Broken(uint64_t index, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("ledger entry ", index, ": ", why));
}

}  // namespace

std::optional<std::string> BookProblem(const v1::Order& order) {
  absl::StatusOr<matching::Order> domain = convert::FromProto(order);
  if (!domain.ok()) return std::string(domain.status().message());
  const int64_t q = order.quantity_wh(), price = order.limit_price_mcu_per_kwh();
  if (q < 1 || q > matching::kMaxQuantityWh || price < 0 || price > matching::kMaxPriceMcuPerKwh) {
    return absl::StrCat("order ", order.order_id(), ": quantity_wh ", q,
                        " or limit_price_mcu_per_kwh ", price,
                        " is outside what any book may hold");
  }
  return std::nullopt;
}

void ExchangeState::Skip(uint64_t index) {
  if (index == size_) ++size_;
}

absl::Status ExchangeState::Apply(uint64_t index, const v1::LedgerEntry& entry) {
  if (index != size_) {
    return Broken(index, absl::StrCat("applied out of order (expected index ", size_, ")"));
  }
  absl::Status status;
  switch (entry.kind_case()) {
    case v1::LedgerEntry::kHubRegistered:
      status = directory_.AddHub(entry.hub_registered().hub());
      break;
    case v1::LedgerEntry::kParticipantRegistered:
      status = directory_.AddParticipant(entry.participant_registered().participant());
      break;
    case v1::LedgerEntry::kTariffSet:
      tariff_ = entry.tariff_set().tariff();
      break;
    case v1::LedgerEntry::kOrderAccepted:
      status = ApplyOrderAccepted(index, entry);
      break;
    case v1::LedgerEntry::kOrderCancelled:
      status = ApplyOrderCancelled(index, entry.order_cancelled());
      break;
    case v1::LedgerEntry::kIntervalCleared:
      status = ApplyCleared(index, entry.interval_cleared());
      break;
    case v1::LedgerEntry::kIntervalSettled:
      status = ApplySettled(index, entry.interval_settled(), /*correction=*/false);
      break;
    case v1::LedgerEntry::kSettlementCorrected:
      status = ApplySettled(index, entry.settlement_corrected().settlement(), /*correction=*/true);
      break;
    case v1::LedgerEntry::kEmptyIntervals:
      status = ApplyEmptyIntervals(index, entry.empty_intervals());
      break;
    case v1::LedgerEntry::kKeyRotated:
      break;
    case v1::LedgerEntry::kSigningPolicySet:
      signatures_required_ = entry.signing_policy_set().require_signed_orders();
      break;
    case v1::LedgerEntry::KIND_NOT_SET:
      status = absl::InvalidArgumentError("entry has no kind");
      break;
  }
  if (!status.ok()) return Broken(index, status.message());
  if (!first_entry_unix_ms_) first_entry_unix_ms_ = entry.recorded_at_unix_ms();
  ++size_;
  return absl::OkStatus();
}

absl::Status ExchangeState::ApplyOrderAccepted(uint64_t index, const v1::LedgerEntry& entry) {
  const v1::OrderAccepted& accepted = entry.order_accepted();
  OrderRecord record;
  record.order = accepted.order();
  record.order.set_seq(index);
  record.signature = accepted.signature();
  record.key_id = accepted.key_id();
  record.accepted_at_unix_ms = accepted.accepted_at_unix_ms();
  record.unbookable = BookProblem(record.order);
  const std::string& id = record.order.order_id();
  if (orders_.contains(id)) return absl::AlreadyExistsError(absl::StrCat("order_id ", id));
  intervals_[record.order.interval_start()].order_ids.push_back(id);
  orders_by_participant_[record.order.participant_id()].push_back(id);
  ParticipantInterval& mine =
      by_participant_interval_[{record.order.participant_id(), record.order.interval_start()}];
  mine.order_ids.push_back(id);
  if (!record.unbookable) mine.open.Add(record.order);
  orders_.emplace(id, std::move(record));
  return absl::OkStatus();
}

absl::Status ExchangeState::ApplyOrderCancelled(uint64_t index, const v1::OrderCancelled& cancel) {
  auto it = orders_.find(cancel.order_id());
  if (it == orders_.end()) {
    return absl::NotFoundError(absl::StrCat("cancel of unknown order_id ", cancel.order_id()));
  }
  if (it->second.cancel_index) {
    return absl::FailedPreconditionError(
        absl::StrCat("order ", cancel.order_id(), " cancelled twice"));
  }
  it->second.cancel_index = index;
  const v1::Order& order = it->second.order;
  if (!it->second.cleared && !it->second.unbookable) {
    by_participant_interval_.at({order.participant_id(), order.interval_start()})
        .open.Remove(order);
  }
  return absl::OkStatus();
}

absl::Status ExchangeState::ApplyCleared(uint64_t index, const v1::IntervalCleared& cleared) {
  const int64_t start = cleared.result().interval_start();
  if (const IntervalRecord* done = FindInterval(start); done != nullptr && done->clearing_index) {
    return absl::AlreadyExistsError(absl::StrCat("interval ", start, " cleared twice"));
  }
  for (const v1::Fill& fill : cleared.result().fills()) {  // check before changing anything
    for (const std::string* id : {&fill.buy_order_id(), &fill.sell_order_id()}) {
      if (!orders_.contains(*id)) {
        return absl::NotFoundError(absl::StrCat("fill of unknown order ", *id));
      }
    }
  }
  IntervalRecord& interval = intervals_[start];
  interval.clearing_index = index;
  interval.clearing = cleared.result();
  interval.order_count = cleared.order_count();
  if (tariff_) interval.tariff_at_clearing = *tariff_;
  for (const std::string& id : interval.order_ids) {
    OrderRecord& order = orders_.at(id);
    if (!order.cancel_index) order.cleared = true;
    by_participant_interval_.at({order.order.participant_id(), start}).open = OpenPosition{};
  }
  for (const v1::Fill& fill : cleared.result().fills()) {
    for (const std::string* id : {&fill.buy_order_id(), &fill.sell_order_id()}) {
      orders_.at(*id).filled_wh += fill.quantity_wh();
    }
  }
  if (!last_cleared_ || start > *last_cleared_) last_cleared_ = start;
  return absl::OkStatus();
}

absl::Status ExchangeState::ApplySettled(uint64_t index, const v1::IntervalSettled& settled,
                                         bool correction) {
  const IntervalRecord* existing = FindInterval(settled.interval_start());
  if (existing == nullptr || !existing->clearing_index) {
    return absl::FailedPreconditionError(
        absl::StrCat("settlement of uncleared interval ", settled.interval_start()));
  }
  IntervalRecord& interval = intervals_[settled.interval_start()];
  if (!correction && interval.settlement_index) {
    return absl::AlreadyExistsError(
        absl::StrCat("interval ", settled.interval_start(), " settled twice"));
  }
  if (correction && !interval.settlement_index) {
    return absl::FailedPreconditionError(
        absl::StrCat("correction of unsettled interval ", settled.interval_start()));
  }
  interval.settlement_index = index;
  interval.settlement = settled;
  interval.corrected = correction;
  if (!last_settled_ || settled.interval_start() > *last_settled_) {
    last_settled_ = settled.interval_start();
  }
  return absl::OkStatus();
}

absl::Status ExchangeState::ApplyEmptyIntervals(uint64_t index, const v1::EmptyIntervals& empty) {
  const matching::EmptyRun run{empty.first_interval_start(), empty.last_interval_start(),
                               empty.interval_s()};
  if (absl::Status valid = matching::ValidateEmptyRun(run, interval_s_); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("empty intervals: ", valid.message()));
  }
  if (!tariff_ || tariff_->SerializeAsString() != empty.tariff().SerializeAsString()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "empty intervals [", run.first, ", ", run.last, "]: the tariff is not the one in force"));
  }
  // Check before changing anything: none of them has an order or a clearing.
  for (auto it = intervals_.lower_bound(run.first); it != intervals_.end() && it->first <= run.last;
       ++it) {
    if (!it->second.order_ids.empty() || it->second.clearing_index) {
      return absl::FailedPreconditionError(
          absl::StrCat("empty intervals [", run.first, ", ", run.last, "]: interval ", it->first,
                       it->second.clearing_index ? " is already cleared" : " has orders"));
    }
  }
  for (int64_t start = run.first; start <= run.last; start += run.interval_s) {
    IntervalRecord& interval = intervals_[start];
    interval.clearing_index = index;
    interval.clearing = v1::ClearingResult();
    interval.clearing.set_interval_start(start);
    interval.order_count = 0;
    interval.tariff_at_clearing = *tariff_;
    interval.settlement_index = index;
    interval.settlement = v1::IntervalSettled();
    interval.settlement.set_interval_start(start);
    *interval.settlement.mutable_tariff() = *tariff_;
    interval.settlement.mutable_result()->set_interval_start(start);
    interval.settlement.set_clearing_index(index);
    interval.corrected = false;
  }
  if (!last_cleared_ || run.last > *last_cleared_) last_cleared_ = run.last;
  if (!last_settled_ || run.last > *last_settled_) last_settled_ = run.last;
  return absl::OkStatus();
}

const OrderRecord* ExchangeState::FindOrder(const std::string& order_id) const {
  auto it = orders_.find(order_id);
  return it == orders_.end() ? nullptr : &it->second;
}

const IntervalRecord* ExchangeState::FindInterval(int64_t interval_start) const {
  auto it = intervals_.find(interval_start);
  return it == intervals_.end() ? nullptr : &it->second;
}

std::vector<const OrderRecord*> ExchangeState::OpenOrders(int64_t interval_start) const {
  std::vector<const OrderRecord*> out;
  const IntervalRecord* interval = FindInterval(interval_start);
  if (interval == nullptr) return out;
  for (const std::string& id : interval->order_ids) {
    const OrderRecord& order = orders_.at(id);
    if (!order.cancel_index && !order.cleared) out.push_back(&order);
  }
  return out;
}

std::vector<const OrderRecord*> ExchangeState::OpenOrdersOf(const std::string& participant_id,
                                                            int64_t interval_start) const {
  std::vector<const OrderRecord*> out;
  auto it = by_participant_interval_.find({participant_id, interval_start});
  if (it == by_participant_interval_.end()) return out;
  for (const std::string& id : it->second.order_ids) {
    const OrderRecord& order = orders_.at(id);
    if (!order.cancel_index && !order.cleared) out.push_back(&order);
  }
  return out;
}

OpenPosition ExchangeState::OpenPositionOf(const std::string& participant_id,
                                           int64_t interval_start) const {
  auto it = by_participant_interval_.find({participant_id, interval_start});
  return it == by_participant_interval_.end() ? OpenPosition{} : it->second.open;
}

const std::vector<std::string>& ExchangeState::OrdersOf(const std::string& participant_id) const {
  static const std::vector<std::string> kNone;
  auto it = orders_by_participant_.find(participant_id);
  return it == orders_by_participant_.end() ? kNone : it->second;
}

}  // namespace peergrid::exchange
