// Read-only queries of the Exchange: orders, interval results, bills.
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "exchange_impl.h"
#include "exchange_state.h"
#include "peergrid/common/status.h"
#include "peergrid/common/text.h"
#include "peergrid/exchange/exchange.h"

namespace peergrid::exchange {
namespace {

v1::OrderState StateOf(const OrderRecord& record) {
  v1::OrderState out;
  *out.mutable_order() = record.order;
  out.set_filled_wh(record.filled_wh);
  out.set_accepted_at_unix_ms(record.accepted_at_unix_ms);
  if (record.cancel_index) {
    out.mutable_cancel_index()->set_value(*record.cancel_index);
    out.set_status(v1::CANCELLED);
  } else if (!record.cleared) {
    out.set_status(v1::OPEN);
  } else if (record.filled_wh == record.order.quantity_wh()) {
    out.set_status(v1::FILLED);
  } else if (record.filled_wh > 0) {
    out.set_status(v1::PARTIALLY_FILLED);
  } else {
    out.set_status(v1::EXPIRED);
  }
  return out;
}

}  // namespace

absl::StatusOr<v1::OrderState> ExchangeImpl::GetOrder(const std::string& order_id) const {
  absl::MutexLock lock(&mu_);
  const OrderRecord* record = state_->FindOrder(order_id);
  if (record == nullptr) {
    return absl::NotFoundError(absl::StrCat("order_id ", QuoteInput(order_id), " not found"));
  }
  return StateOf(*record);
}

absl::StatusOr<uint64_t> ExchangeImpl::OrderIndex(const std::string& order_id) const {
  absl::MutexLock lock(&mu_);
  const OrderRecord* record = state_->FindOrder(order_id);
  if (record == nullptr) {
    return absl::NotFoundError(absl::StrCat("order_id ", QuoteInput(order_id), " not found"));
  }
  return record->order.seq();
}

absl::StatusOr<v1::ListOrdersResponse> ExchangeImpl::ListOrders(
    const v1::ListOrdersRequest& request) const {
  if (request.participant_id().empty()) {
    return absl::InvalidArgumentError("participant_id is required");
  }
  if (request.page_size() < 0 || request.page_size() > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size ", request.page_size(), " is outside [0, 1000]"));
  }
  size_t offset = 0;
  if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &offset)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token \"", request.page_token(), "\" is not one this server gave"));
  }
  const size_t page_size = request.page_size() == 0 ? 100 : request.page_size();
  absl::MutexLock lock(&mu_);
  PEERGRID_RETURN_IF_ERROR(state_->directory().FindParticipant(request.participant_id()).status());
  const std::vector<std::string>& ids = state_->OrdersOf(request.participant_id());
  v1::ListOrdersResponse response;
  size_t seen = 0;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {  // newest first
    const OrderRecord* record = state_->FindOrder(*it);
    if (request.interval_start() != 0 &&
        record->order.interval_start() != request.interval_start()) {
      continue;
    }
    if (seen++ < offset) continue;
    if (static_cast<size_t>(response.orders_size()) == page_size) {
      response.set_next_page_token(absl::StrCat(offset + page_size));
      break;
    }
    *response.add_orders() = StateOf(*record);
  }
  return response;
}

absl::StatusOr<v1::IntervalResult> ExchangeImpl::GetIntervalResult(int64_t interval_start) const {
  if (!options_.timing.IsAligned(interval_start)) {
    return absl::InvalidArgumentError(absl::StrCat("interval_start ", interval_start,
                                                   " is not aligned to ",
                                                   options_.timing.interval_s, " s"));
  }
  const int64_t now_s = clock_->NowUnixSeconds();
  v1::IntervalResult out;
  out.set_interval_start(interval_start);
  absl::MutexLock lock(&mu_);
  const IntervalRecord* record = state_->FindInterval(interval_start);
  out.set_phase(options_.timing.GateOpen(interval_start, now_s) ? v1::PHASE_GATE_OPEN
                                                                : v1::PHASE_GATE_CLOSED);
  if (record == nullptr) return out;
  out.set_order_count(static_cast<int64_t>(record->order_ids.size()));
  if (record->clearing_index) {
    out.set_phase(v1::PHASE_CLEARED);
    *out.mutable_clearing() = record->clearing;
    out.mutable_clearing_index()->set_value(*record->clearing_index);
    out.set_order_count(record->order_count);
  }
  if (record->settlement_index) {
    out.set_phase(v1::PHASE_SETTLED);
    *out.mutable_settlement() = record->settlement.result();
    out.mutable_settlement_index()->set_value(*record->settlement_index);
  }
  return out;
}

absl::StatusOr<v1::GetBillResponse> ExchangeImpl::GetBill(const v1::GetBillRequest& request) const {
  if (request.participant_id().empty()) {
    return absl::InvalidArgumentError("participant_id is required");
  }
  if (request.to_interval_start() < request.from_interval_start()) {
    return absl::InvalidArgumentError(
        absl::StrCat("to_interval_start ", request.to_interval_start(),
                     " is before from_interval_start ", request.from_interval_start()));
  }
  const bool all = request.from_interval_start() == 0 && request.to_interval_start() == 0;
  v1::GetBillResponse response;
  response.set_participant_id(request.participant_id());
  absl::MutexLock lock(&mu_);
  PEERGRID_RETURN_IF_ERROR(state_->directory().FindParticipant(request.participant_id()).status());
  for (const auto& [start, record] : state_->intervals()) {
    if (!all && (start < request.from_interval_start() || start > request.to_interval_start())) {
      continue;
    }
    if (!record.settlement_index) continue;
    for (const v1::Bill& bill : record.settlement.result().bills()) {
      if (bill.participant_id() != request.participant_id()) continue;
      v1::IntervalBill* out = response.add_bills();
      out->set_interval_start(start);
      *out->mutable_bill() = bill;
      out->set_ledger_index(*record.settlement_index);
      out->set_corrected(record.corrected);
      response.set_total_bill_ucu(response.total_bill_ucu() + bill.bill_ucu());
      response.set_total_baseline_ucu(response.total_baseline_ucu() + bill.baseline_ucu());
      response.set_total_savings_ucu(response.total_savings_ucu() + bill.savings_ucu());
      response.set_total_bought_wh(response.total_bought_wh() + bill.bought_wh());
      response.set_total_sold_wh(response.total_sold_wh() + bill.sold_wh());
    }
  }
  return response;
}

}  // namespace peergrid::exchange
