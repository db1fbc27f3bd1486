// MarketAuditor: clearings (re-run with matching::Clear), fills, settlements
// and corrections (re-run with matching::Settle), and the zero-sum rule.
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "check_convert.h"
#include "check_market.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/matching/energy_balance.h"
#include "peergrid/matching/settlement.h"

namespace peergrid::audit::internal {

bool MarketAuditor::CheckFills(uint64_t index, const v1::ClearingResult& result,
                               OpenInterval* book) {
  for (int i = 0; i < result.fills_size(); ++i) {
    const v1::Fill& f = result.fills(i);
    auto fail = [&](absl::string_view why) {
      Fail(AuditCheck::kFill, index,
           absl::StrCat("fill ", i, " (", f.buy_order_id(), " <- ", f.sell_order_id(), "): ", why));
      return false;
    };
    if (f.buyer_id() == f.seller_id()) {
      return fail(absl::StrCat("self-trade: participant ", f.buyer_id(), " on both sides"));
    }
    auto buy_at = book->by_id.find(f.buy_order_id());
    auto sell_at = book->by_id.find(f.sell_order_id());
    if (buy_at == book->by_id.end()) return fail("the buy order is not in the interval's book");
    if (sell_at == book->by_id.end()) return fail("the sell order is not in the interval's book");
    BookOrder& buy = book->orders[buy_at->second];
    BookOrder& sell = book->orders[sell_at->second];
    if (buy.cancelled || sell.cancelled) return fail("a cancelled order was filled");
    if (buy.order.side != matching::Side::kBuy) return fail("the buy order is a SELL");
    if (sell.order.side != matching::Side::kSell) return fail("the sell order is a BUY");
    if (buy.order.participant_id.value() != f.buyer_id() ||
        sell.order.participant_id.value() != f.seller_id()) {
      return fail(absl::StrCat(
          "buyer/seller ", f.buyer_id(), "/", f.seller_id(), " are not the orders' participants ",
          buy.order.participant_id.value(), "/", sell.order.participant_id.value()));
    }
    const int64_t price = f.price_mcu_per_kwh();
    if (price > buy.order.limit_price.value()) {
      return fail(absl::StrCat("price ", price, " is above the buyer's limit ",
                               buy.order.limit_price.value()));
    }
    if (price < sell.order.limit_price.value()) {
      return fail(absl::StrCat("price ", price, " is below the seller's limit ",
                               sell.order.limit_price.value()));
    }
    const int64_t q = f.quantity_wh();
    absl::StatusOr<MoneyUcu> amount = Amount(EnergyWh(q), PriceMcuPerKwh(price));
    if (q < 1 || !amount.ok() || amount->value() != f.amount_ucu()) {
      return fail(
          absl::StrCat("quantity_wh ", q, " x price ", price, " != amount_ucu ", f.amount_ucu()));
    }
    buy.filled_wh += q;
    sell.filled_wh += q;
    if (buy.filled_wh > buy.order.quantity.value() ||
        sell.filled_wh > sell.order.quantity.value()) {
      return fail("an order is filled beyond its quantity");
    }
    report_->Pass(AuditCheck::kFill);
  }
  return true;
}

std::optional<std::string> MarketAuditor::RerunProblem(int64_t start,
                                                       const std::vector<matching::Order>& live,
                                                       const v1::ClearingResult& recorded) {
  absl::StatusOr<matching::ClearingResult> rerun = matching::Clear(start, live);
  if (!rerun.ok()) {
    return absl::StrCat("re-running the clearing failed: ", rerun.status().message());
  }
  if (std::optional<std::string> diff = DiffClearing(*rerun, recorded)) {
    return absl::StrCat("the recorded result does not follow from its ", live.size(),
                        " orders: ", *diff);
  }
  return std::nullopt;
}

void MarketAuditor::CheckClearing(uint64_t index, const v1::LedgerEntry& entry) {
  const v1::IntervalCleared& cleared = entry.interval_cleared();
  const v1::ClearingResult& result = cleared.result();
  const int64_t start = result.interval_start();
  ++report_->intervals_cleared;
  report_->fills += static_cast<uint64_t>(result.fills_size());
  report_->CoverInterval(start);
  bool ok = true;
  auto fail = [&](absl::string_view why) {
    Fail(AuditCheck::kClearing, index, absl::StrCat("interval ", start, ": ", why));
    ok = false;
  };
  if (!timing_.IsAligned(start)) return fail("interval_start is not aligned to the interval");
  if (std::optional<uint64_t> first = ClearedBy(start)) {
    return fail(absl::StrCat("cleared twice (first at entry ", *first, ")"));
  }
  coverage_->AddSingle(start, index);
  OpenInterval book;
  if (auto it = open_.find(start); it != open_.end()) {
    book = std::move(it->second);
    open_.erase(it);
  }
  ClearedInterval& done = cleared_[start];
  done.clearing_index = index;
  done.tariff = tariff_;
  if (absl::StatusOr<matching::ClearingResult> recorded = convert::FromProto(result);
      recorded.ok()) {
    done.clearing = *std::move(recorded);
  }
  if (entry.recorded_at_unix_ms() < timing_.GateClosure(start) * 1000) {
    fail(absl::StrCat("cleared at ", entry.recorded_at_unix_ms(), " ms, before gate closure at ",
                      timing_.GateClosure(start) * 1000, " ms"));
  }
  std::vector<matching::Order> live;
  live.reserve(book.orders.size());
  for (const BookOrder& o : book.orders) {
    if (!o.cancelled) live.push_back(o.order);
  }
  if (cleared.order_count() != static_cast<int64_t>(live.size())) {
    fail(absl::StrCat("order_count ", cleared.order_count(), " but the book holds ", live.size(),
                      " orders"));
  }
  if (!CheckFills(index, result, &book)) ok = false;
  if (std::optional<std::string> problem = RerunProblem(start, live, result)) fail(*problem);
  if (!ok) return;
  report_->Pass(AuditCheck::kClearing);
  report_->volume_wh += result.volume_wh();
}

bool MarketAuditor::CheckZeroSum(uint64_t index, const v1::SettlementResult& result) {
  absl::int128 sum = result.grid_ucu();
  for (const v1::Bill& bill : result.bills()) sum += bill.bill_ucu();
  if (sum != 0) {
    Fail(AuditCheck::kZeroSum, index,
         absl::StrCat("interval ", result.interval_start(), ": bills plus grid line sum to ",
                      absl::Int128Low64(sum) == static_cast<uint64_t>(static_cast<int64_t>(sum))
                          ? absl::StrCat(static_cast<int64_t>(sum))
                          : std::string("more than int64"),
                      " ucu, not 0"));
    return false;
  }
  report_->Pass(AuditCheck::kZeroSum);
  return true;
}

std::vector<std::string> MarketAuditor::SettlementLinkProblems(
    const v1::LedgerEntry& entry, const v1::IntervalSettled& settled,
    std::optional<uint64_t> corrects_index, const ClearedInterval& interval) const {
  std::vector<std::string> problems;
  if (settled.clearing_index() != interval.clearing_index) {
    problems.push_back(absl::StrCat("clearing_index ", settled.clearing_index(),
                                    " but the interval was cleared at entry ",
                                    interval.clearing_index));
  }
  const std::optional<uint64_t>& latest = interval.latest_settlement;
  if (corrects_index && (!latest || *corrects_index != *latest)) {
    problems.push_back(absl::StrCat("corrects_index ", *corrects_index,
                                    " but the interval's latest settlement is ",
                                    latest ? absl::StrCat("entry ", *latest) : "none"));
  }
  if (!corrects_index && latest) {
    problems.push_back(absl::StrCat("settled twice (first at entry ", *latest, ")"));
  }
  const int64_t due_ms = timing_.SettlementDue(settled.interval_start()) * 1000;
  if (entry.recorded_at_unix_ms() < due_ms) {
    problems.push_back(absl::StrCat("settled at ", entry.recorded_at_unix_ms(),
                                    " ms, before it was due at ", due_ms, " ms"));
  }
  const v1::Tariff& got = settled.tariff();
  if (!interval.tariff) {
    problems.push_back("no tariff was in force at the interval's clearing");
  } else if (got.feed_in_price_mcu_per_kwh() != interval.tariff->feed_in_price_mcu_per_kwh() ||
             got.retail_price_mcu_per_kwh() != interval.tariff->retail_price_mcu_per_kwh()) {
    problems.push_back(absl::StrCat(
        "tariff ", got.feed_in_price_mcu_per_kwh(), "/", got.retail_price_mcu_per_kwh(),
        " is not the one in force at the clearing, ", interval.tariff->feed_in_price_mcu_per_kwh(),
        "/", interval.tariff->retail_price_mcu_per_kwh()));
  }
  return problems;
}

std::optional<std::string> MarketAuditor::RecomputeProblem(const v1::IntervalSettled& settled,
                                                           const ClearedInterval& interval) const {
  std::vector<matching::MeterRead> reads;
  reads.reserve(settled.meter_reads_size());
  for (const v1::MeterRead& read : settled.meter_reads()) {
    absl::StatusOr<matching::MeterRead> r = convert::FromProto(read);
    if (!r.ok()) return std::string(r.status().message());
    if (!participants_.contains(read.participant_id())) {
      return absl::StrCat("meter read of unregistered participant ", read.participant_id());
    }
    reads.push_back(*std::move(r));
  }
  absl::StatusOr<matching::Tariff> tariff = TariffFromProto(settled.tariff());
  if (!tariff.ok()) return std::string(tariff.status().message());
  absl::StatusOr<matching::SettlementResult> rerun =
      matching::Settle(settled.interval_start(), *tariff, interval.clearing, reads);
  if (!rerun.ok()) {
    return absl::StrCat("re-running the settlement failed: ", rerun.status().message());
  }
  if (std::optional<std::string> diff = DiffSettlement(*rerun, settled.result())) {
    return absl::StrCat("the recorded bills do not follow from their inputs: ", *diff);
  }
  return std::nullopt;
}

void MarketAuditor::CheckSettlement(uint64_t index, const v1::LedgerEntry& entry,
                                    const v1::IntervalSettled& settled,
                                    std::optional<uint64_t> corrects_index) {
  const int64_t start = settled.interval_start();
  const bool correction = corrects_index.has_value();
  ++(correction ? report_->corrections : report_->intervals_settled);
  report_->bills += static_cast<uint64_t>(settled.result().bills_size());
  bool ok = CheckZeroSum(index, settled.result());
  auto fail = [&](absl::string_view why) {
    Fail(AuditCheck::kSettlement, index,
         absl::StrCat(correction ? "correction of interval " : "interval ", start, ": ", why));
    ok = false;
  };
  ClearedInterval* found = FindCleared(start);
  if (found == nullptr) return fail("the interval is not cleared");
  ClearedInterval& interval = *found;
  for (const std::string& problem :
       SettlementLinkProblems(entry, settled, corrects_index, interval)) {
    fail(problem);
  }
  interval.latest_settlement = index;
  // Re-run with the recorded tariff only when it is the interval's (else reported above).
  if (interval.tariff &&
      settled.tariff().SerializeAsString() == interval.tariff->SerializeAsString()) {
    if (std::optional<std::string> problem = RecomputeProblem(settled, interval)) fail(*problem);
  }
  if (ok) report_->Pass(AuditCheck::kSettlement);
  CheckEnergyBalance(index, settled);
}

void MarketAuditor::CheckEnergyBalance(uint64_t index, const v1::IntervalSettled& settled) {
  absl::flat_hash_map<std::string, std::vector<matching::MeterRead>> by_hub;
  for (const v1::MeterRead& read : settled.meter_reads()) {
    auto participant = participants_.find(read.participant_id());
    if (participant == participants_.end()) continue;
    absl::StatusOr<matching::MeterRead> domain = convert::FromProto(read);
    if (domain.ok()) by_hub[participant->second.hub_id()].push_back(*std::move(domain));
  }
  for (const v1::HubRead& hub_read : settled.hub_reads()) {
    auto hub = hubs_.find(hub_read.hub_id());
    if (hub == hubs_.end()) {
      Fail(AuditCheck::kEnergyBalance, index,
           absl::StrCat("interval ", settled.interval_start(), ": a grid read of hub \"",
                        hub_read.hub_id(), "\", which is not registered"));
      continue;
    }
    absl::StatusOr<matching::MeterRead> hub_domain =
        convert::FromProto(convert::AsMeterRead(hub_read));
    if (!hub_domain.ok()) {
      Fail(AuditCheck::kEnergyBalance, index,
           absl::StrCat("interval ", settled.interval_start(), ": hub ", hub_read.hub_id(),
                        "'s grid read is invalid: ", hub_domain.status().message()));
      continue;
    }
    const std::vector<matching::MeterRead>& reads = by_hub[hub_read.hub_id()];
    std::vector<const matching::MeterRead*> pointers;
    for (const matching::MeterRead& read : reads) pointers.push_back(&read);
    const std::optional<matching::EnergyBalance> balance = matching::HubEnergyBalance(
        *hub_domain, pointers, participant_count_by_hub_[hub_read.hub_id()],
        hub->second.max_loss_ppm());
    if (!balance) continue;  // incomplete reads prove nothing either way
    if (!balance->holds()) {
      Fail(AuditCheck::kEnergyBalance, index,
           absl::StrCat(
               "interval ", settled.interval_start(), ": hub ", hub_read.hub_id(),
               "'s grid read and its participants' reads do not balance: ", balance->Describe()));
      continue;
    }
    report_->Pass(AuditCheck::kEnergyBalance);
  }
}

}  // namespace peergrid::audit::internal
