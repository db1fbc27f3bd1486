// MarketAuditor: dispatch, registrations, tariffs, orders and cancels.
// Clearings and settlements are in audit_check_clearing.cc.
#include "check_market.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "check_convert.h"
#include "peergrid/common/ids.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/ledger/note.h"
#include "peergrid/matching/validation.h"

namespace peergrid::audit::internal {
namespace {

matching::Side Opposite(matching::Side side) {
  return side == matching::Side::kBuy ? matching::Side::kSell : matching::Side::kBuy;
}

}  // namespace

MarketAuditor::MarketAuditor(const MarketTiming& timing, AuditReport* report)
    : timing_(timing), report_(report) {}

void MarketAuditor::Fail(AuditCheck check, uint64_t index, std::string reason) {
  report_->Fail(check, index, std::move(reason));
}

void MarketAuditor::Check(uint64_t index, const v1::LedgerEntry& entry) {
  if (entry.kind_case() == v1::LedgerEntry::KIND_NOT_SET) {
    Fail(AuditCheck::kEntryFormat, index, "the entry has no kind");
    return;
  }
  report_->Pass(AuditCheck::kEntryFormat);
  if (!coverage_) {
    coverage_.emplace(timing_.interval_s,
                      timing_.FirstOpenInterval(entry.recorded_at_unix_ms() / 1000));
  }
  switch (entry.kind_case()) {
    case v1::LedgerEntry::kHubRegistered:
      CheckHub(index, entry.hub_registered().hub());
      break;
    case v1::LedgerEntry::kParticipantRegistered:
      CheckParticipant(index, entry.participant_registered().participant());
      break;
    case v1::LedgerEntry::kTariffSet:
      CheckTariff(index, entry.tariff_set().tariff());
      break;
    case v1::LedgerEntry::kOrderAccepted:
      CheckOrder(index, entry);
      break;
    case v1::LedgerEntry::kOrderCancelled:
      CheckCancel(index, entry);
      break;
    case v1::LedgerEntry::kIntervalCleared:
      CheckClearing(index, entry);
      break;
    case v1::LedgerEntry::kIntervalSettled:
      CheckSettlement(index, entry, entry.interval_settled(), std::nullopt);
      break;
    case v1::LedgerEntry::kSettlementCorrected:
      CheckSettlement(index, entry, entry.settlement_corrected().settlement(),
                      entry.settlement_corrected().corrects_index());
      break;
    case v1::LedgerEntry::kEmptyIntervals:
      CheckEmptyIntervals(index, entry);
      break;
    case v1::LedgerEntry::kSigningPolicySet:
      if (entry.signing_policy_set().require_signed_orders()) {
        signatures_required_by_ = index;
      } else {
        signatures_required_by_.reset();
      }
      break;
    case v1::LedgerEntry::kKeyRotated:  // the log's business (audit_check_log.cc)
    case v1::LedgerEntry::KIND_NOT_SET:
      break;
  }
}

void MarketAuditor::CheckHub(uint64_t index, const v1::Hub& hub) {
  if (absl::Status valid = ValidateId("hub_id", hub.hub_id()); !valid.ok()) {
    Fail(AuditCheck::kRegistration, index, std::string(valid.message()));
  } else if (hubs_.contains(hub.hub_id())) {
    Fail(AuditCheck::kRegistration, index,
         absl::StrCat("hub_id \"", hub.hub_id(), "\" is registered twice"));
  } else if (absl::Status key = hub.public_key().empty()
                                    ? absl::OkStatus()
                                    : ledger::ValidateEd25519PublicKey(hub.public_key());
             !key.ok()) {
    Fail(AuditCheck::kRegistration, index,
         absl::StrCat("hub \"", hub.hub_id(), "\" has a public_key ", key.message()));
  } else {
    hubs_.emplace(hub.hub_id(), hub);
    report_->Pass(AuditCheck::kRegistration);
  }
}

void MarketAuditor::CheckParticipant(uint64_t index, const v1::Participant& participant) {
  const std::string& id = participant.participant_id();
  if (absl::Status valid = ValidateId("participant_id", id); !valid.ok()) {
    Fail(AuditCheck::kRegistration, index, std::string(valid.message()));
  } else if (!hubs_.contains(participant.hub_id())) {
    Fail(AuditCheck::kRegistration, index,
         absl::StrCat("participant \"", id, "\" is on hub_id \"", participant.hub_id(),
                      "\", which is not registered"));
  } else if (!AddParticipant(participant)) {
    Fail(AuditCheck::kRegistration, index,
         absl::StrCat("participant_id \"", id, "\" is registered twice"));
  } else if (absl::Status key = participant.public_key().empty()
                                    ? absl::OkStatus()
                                    : ledger::ValidateEd25519PublicKey(participant.public_key());
             !key.ok()) {
    Fail(AuditCheck::kRegistration, index,
         absl::StrCat("participant \"", id, "\" has a public_key ", key.message()));
  } else {
    report_->Pass(AuditCheck::kRegistration);
  }
}

bool MarketAuditor::AddParticipant(const v1::Participant& participant) {
  if (!participants_.emplace(participant.participant_id(), participant).second) return false;
  ++participant_count_by_hub_[participant.hub_id()];
  return true;
}

void MarketAuditor::CheckTariff(uint64_t index, const v1::Tariff& tariff) {
  absl::StatusOr<matching::Tariff> domain = TariffFromProto(tariff);
  if (!domain.ok()) {
    Fail(AuditCheck::kTariff, index, absl::StrCat("invalid tariff: ", domain.status().message()));
    return;  // the previous tariff stays in force
  }
  report_->Pass(AuditCheck::kTariff);
  tariff_ = tariff;
  domain_tariff_ = *domain;
}

std::optional<std::string> MarketAuditor::AcceptanceProblem(const v1::OrderAccepted& accepted,
                                                            int64_t recorded_at_ms,
                                                            const matching::Order& order) const {
  const int64_t start = order.interval_start;
  const int64_t at_ms = accepted.accepted_at_unix_ms();
  if (at_ms >= timing_.GateClosure(start) * 1000) {
    return absl::StrCat("order ", order.order_id.value(), " accepted at ", at_ms,
                        " ms, not before gate closure of interval ", start, " at ",
                        timing_.GateClosure(start) * 1000, " ms");
  }
  if (at_ms > recorded_at_ms) {
    return absl::StrCat("order ", order.order_id.value(), ": accepted_at_unix_ms ", at_ms,
                        " is after the entry's recorded_at_unix_ms ", recorded_at_ms);
  }
  if (std::optional<uint64_t> cleared = ClearedBy(start)) {
    return absl::StrCat("order ", order.order_id.value(), " for interval ", start,
                        " is recorded after that interval's clearing (entry ", *cleared, ")");
  }
  if (!domain_tariff_) {
    return absl::StrCat("order ", order.order_id.value(), " accepted before any tariff was set");
  }
  // Floor division: the exchange's clock in whole seconds.
  const int64_t now_s = at_ms >= 0 ? at_ms / 1000 : -((-at_ms + 999) / 1000);
  if (absl::Status rules = matching::ValidateOrder(order, *domain_tariff_, timing_, now_s);
      !rules.ok()) {
    return std::string(rules.message());
  }
  if (!participants_.contains(order.participant_id.value())) {
    return absl::StrCat("order ", order.order_id.value(), ": participant_id \"",
                        order.participant_id.value(), "\" is not registered");
  }
  return std::nullopt;
}

void MarketAuditor::CheckOrder(uint64_t index, const v1::LedgerEntry& entry) {
  const v1::OrderAccepted& accepted = entry.order_accepted();
  ++report_->orders;
  absl::StatusOr<matching::Order> order = OrderFromProto(accepted.order(), index);
  if (!order.ok()) {
    Fail(AuditCheck::kOrderAcceptance, index, std::string(order.status().message()));
    return;
  }
  const std::string& id = order->order_id.value();
  const int64_t q = order->quantity.value(), price = order->limit_price.value();
  if (q < 1 || q > matching::kMaxQuantityWh || price < 0 || price > matching::kMaxPriceMcuPerKwh) {
    Fail(AuditCheck::kOrderAcceptance, index,
         absl::StrCat("order ", id, ": quantity_wh ", q, " or limit_price_mcu_per_kwh ", price,
                      " is outside what any book may hold"));
    return;
  }
  if (!order_ids_.insert(id).second) {
    Fail(AuditCheck::kOrderAcceptance, index, absl::StrCat("duplicate order_id \"", id, "\""));
    return;
  }
  OpenInterval& book = open_[order->interval_start];
  auto side = book.sides.find(order->participant_id.value());
  if (side != book.sides.end() && side->second.second > 0 &&
      side->second.first == Opposite(order->side)) {
    Fail(AuditCheck::kOrderAcceptance, index,
         absl::StrCat("order ", id, ": participant ", order->participant_id.value(),
                      " already has a ", matching::SideName(side->second.first),
                      " order in interval ", order->interval_start, " (one side per interval)"));
    return;
  }
  if (std::optional<std::string> problem =
          AcceptanceProblem(accepted, entry.recorded_at_unix_ms(), *order)) {
    Fail(AuditCheck::kOrderAcceptance, index, *std::move(problem));
  } else {
    report_->Pass(AuditCheck::kOrderAcceptance);
  }
  CheckOrderSignature(index, accepted);
  // Recorded before the interval's clearing, so it is in the book regardless.
  auto& [live_side, live] = book.sides[order->participant_id.value()];
  live_side = order->side;
  ++live;
  book.by_id.emplace(id, book.orders.size());
  book.orders.push_back(BookOrder{*std::move(order)});
}

void MarketAuditor::CheckOrderSignature(uint64_t index, const v1::OrderAccepted& accepted) {
  const v1::Order& order = accepted.order();
  CheckSignature(index, absl::StrCat("order ", order.order_id()), order.participant_id(),
                 convert::OrderSigningText(order), accepted.signature());
}

void MarketAuditor::CheckSignature(uint64_t index, const std::string& what,
                                   const std::string& participant_id, const std::string& text,
                                   const std::string& signature) {
  auto participant = participants_.find(participant_id);
  const v1::Hub* hub = nullptr;
  if (participant != participants_.end()) {
    auto found = hubs_.find(participant->second.hub_id());
    if (found != hubs_.end()) hub = &found->second;
  }
  if (signature.empty()) {
    // Unsigned is allowed unless the policy in force requires signatures:
    // then every order and cancel is signed (a participant with no key to
    // sign with cannot trade), as the exchange enforces it.
    if (signatures_required_by_ && participant != participants_.end()) {
      Fail(AuditCheck::kOrderSignature, index,
           absl::StrCat(what, " is unsigned, but the signing policy in force (entry ",
                        *signatures_required_by_, ") requires participant ", participant_id,
                        "'s signature"));
    }
    return;
  }
  if (participant == participants_.end()) {
    Fail(AuditCheck::kOrderSignature, index,
         absl::StrCat(what, " is signed but participant ", participant_id, " is not registered"));
    return;
  }
  if (absl::Status verified =
          convert::VerifyParticipantSignature(text, signature, participant->second, hub);
      !verified.ok()) {
    Fail(AuditCheck::kOrderSignature, index,
         absl::StrCat(
             what, ": ", verified.message(), ": the recorded entry is not the one its ",
             participant->second.delegates_trading() ? "participant or its hub" : "participant",
             " signed"));
    return;
  }
  report_->Pass(AuditCheck::kOrderSignature);
}

void MarketAuditor::CheckCancel(uint64_t index, const v1::LedgerEntry& entry) {
  const v1::OrderCancelled& cancel = entry.order_cancelled();
  ++report_->cancellations;
  const std::string& id = cancel.order_id();
  auto fail = [&](absl::string_view why) {
    Fail(AuditCheck::kCancellation, index, absl::StrCat("cancel of order ", id, ": ", why));
  };
  const int64_t start = cancel.interval_start();
  if (ClearedBy(start)) return fail(absl::StrCat("interval ", start, " is already cleared"));
  auto interval = open_.find(start);
  const size_t* pos = nullptr;
  if (interval != open_.end()) {
    auto it = interval->second.by_id.find(id);
    if (it != interval->second.by_id.end()) pos = &it->second;
  }
  if (pos == nullptr)
    return fail(absl::StrCat("no order ", id, " was accepted for interval ", start));
  OpenInterval* at = &interval->second;
  BookOrder& order = at->orders[*pos];
  if (order.order.seq != cancel.order_seq()) {
    return fail(absl::StrCat("order_seq ", cancel.order_seq(), " but the order is entry ",
                             order.order.seq));
  }
  if (order.order.participant_id.value() != cancel.participant_id()) {
    return fail(absl::StrCat("participant_id \"", cancel.participant_id(),
                             "\" does not own it (owner \"", order.order.participant_id.value(),
                             "\")"));
  }
  if (order.cancelled) return fail("the order is already cancelled");
  CheckSignature(index, absl::StrCat("cancel of order ", id), cancel.participant_id(),
                 convert::CancelSigningText(id, cancel.participant_id()), cancel.signature());
  if (entry.recorded_at_unix_ms() >= timing_.GateClosure(start) * 1000) {
    return fail(absl::StrCat("recorded at ", entry.recorded_at_unix_ms(),
                             " ms, not before gate closure at ", timing_.GateClosure(start) * 1000,
                             " ms"));
  }
  order.cancelled = true;
  --at->sides[order.order.participant_id.value()].second;
  report_->Pass(AuditCheck::kCancellation);
}

}  // namespace peergrid::audit::internal
