// Order intake and order/bill queries of the Exchange.
#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "exchange_impl.h"
#include "exchange_state.h"
#include "peergrid/common/status.h"
#include "peergrid/common/text.h"
#include "peergrid/convert/hub_convert.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/hub/battery_monitor.h"
#include "peergrid/ledger/note.h"
#include "peergrid/matching/validation.h"

namespace peergrid::exchange {
namespace {

// Returns OK when `key_id` is empty or a C2SP key id: 8 lowercase hex digits
// (it is recorded in the signed ledger as it is).
absl::Status ValidateKeyId(const std::string& key_id) {
  if (key_id.empty()) return absl::OkStatus();
  const bool hex = key_id.size() == 8 && std::all_of(key_id.begin(), key_id.end(), [](char c) {
                     return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   });
  if (hex) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "key_id ", QuoteInput(key_id), " is not 8 lowercase hex digits (the signing key's id)"));
}

}  // namespace

absl::Status ExchangeImpl::CheckSellerCapacityLocked(const v1::Order& order,
                                                     const v1::Participant& seller,
                                                     int64_t now_ms) {
  std::vector<matching::StorageCapacity> banks;
  if (!seller.storage_bank_ids().empty() || seller.pv_nameplate_w() > 0) {
    absl::StatusOr<v1::Hub> hub = state_->directory().FindHub(seller.hub_id());
    PEERGRID_RETURN_IF_ERROR(hub.status());
    absl::StatusOr<HubLatest> latest = telemetry_->Latest(seller.hub_id());
    const int32_t stale_after = options_.timing.stale_after_periods;
    if (!latest.ok() || ::peergrid::hub::IsHubStale(latest->received_at_unix_ms, 0, now_ms,
                                                    hub->reporting_period_s(), stale_after)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "seller ", seller.participant_id(), "'s hub ", seller.hub_id(),
          " is stale (no report in ", stale_after, " reporting periods): it cannot sell"));
    }
    for (const v1::BatteryBankReading& bank : latest->report.banks()) {
      if (std::find(seller.storage_bank_ids().begin(), seller.storage_bank_ids().end(),
                    bank.bank_id()) == seller.storage_bank_ids().end()) {
        continue;
      }
      banks.push_back(convert::ToStorageCapacity(bank));
    }
  }
  PEERGRID_ASSIGN_OR_RETURN(EnergyWh deliverable,
                            matching::DeliverableEnergy(PowerW(seller.pv_nameplate_w()), banks,
                                                        options_.timing.interval_s));
  const std::pair<std::string, int64_t> key{seller.participant_id(), order.interval_start()};
  int64_t other_sells = state_->OpenPositionOf(key.first, key.second).sell_wh;
  if (auto pending = pending_positions_.find(key); pending != pending_positions_.end()) {
    other_sells += pending->second.sell_wh;
  }
  PEERGRID_ASSIGN_OR_RETURN(matching::Order domain, convert::FromProto(order));
  return matching::CheckDeliverable(domain, deliverable, EnergyWh(other_sells));
}

absl::Status ExchangeImpl::CheckSignature(const std::string& text, const std::string& signature,
                                          const v1::Participant& participant,
                                          const std::optional<v1::Hub>& hub) const {
  const v1::Hub* its_hub = hub ? &*hub : nullptr;
  if (signature.empty()) {
    if (!options_.require_signed_orders) return absl::OkStatus();
    // The zone's policy: every order and cancel is signed (DESIGN.md §9),
    // so a participant with no key to sign with cannot trade at all.
    const bool can_sign = !convert::OrderSigners(participant, its_hub).empty();
    return absl::PermissionDeniedError(absl::StrCat(
        "signature is required for participant ", participant.participant_id(),
        can_sign ? (participant.delegates_trading() ? " (by its key or its hub's)" : "")
                 : ", which has no key to sign with (register a public_key, or delegate to a hub "
                   "that has one)"));
  }
  return convert::VerifyParticipantSignature(
      participant, its_hub, [&](const convert::OrderSigner& signer) {
        absl::StatusOr<ledger::VerifierKey> key = VerifierFor(signer);
        return key.ok() && key->VerifySignature(text, signature);
      });
}

std::optional<v1::Hub> ExchangeImpl::DelegateHub(const v1::Participant& participant) const {
  if (!participant.delegates_trading()) return std::nullopt;
  absl::StatusOr<v1::Hub> hub = directory_->FindHub(participant.hub_id());
  if (!hub.ok()) return std::nullopt;
  return *std::move(hub);
}

absl::StatusOr<ledger::VerifierKey> ExchangeImpl::VerifierFor(
    const convert::OrderSigner& signer) const {
  {
    absl::MutexLock lock(&verifiers_mu_);
    auto it = verifiers_.find(signer.public_key);
    if (it != verifiers_.end()) return it->second;
  }
  PEERGRID_ASSIGN_OR_RETURN(ledger::VerifierKey key,
                            ledger::VerifierKey::FromPublicKey(signer.name, signer.public_key));
  absl::MutexLock lock(&verifiers_mu_);
  // Bounded by the registered keys; the cap is a backstop.
  if (verifiers_.size() >= kMaxCachedVerifiers) verifiers_.clear();
  verifiers_.insert_or_assign(signer.public_key, key);
  return key;
}

absl::Status ExchangeImpl::CheckOneSideLocked(const v1::Order& order,
                                              const matching::Order& domain) {
  // Fast path: the participant's open and pending orders of the interval are
  // all on this order's side (or there are none).
  const std::pair<std::string, int64_t> key{order.participant_id(), order.interval_start()};
  const OpenPosition open = state_->OpenPositionOf(key.first, key.second);
  auto pending = pending_positions_.find(key);
  const bool conflict = (open.orders > 0 && open.side != order.side()) ||
                        (pending != pending_positions_.end() && pending->second.orders > 0 &&
                         pending->second.side != order.side());
  if (!conflict) return absl::OkStatus();
  // A conflict: gather the orders so the error names the one in the way.
  std::vector<matching::Order> existing;
  for (const OrderRecord* record : state_->OpenOrdersOf(key.first, key.second)) {
    PEERGRID_ASSIGN_OR_RETURN(matching::Order o, convert::FromProto(record->order));
    existing.push_back(std::move(o));
  }
  for (const auto& [id, other] : pending_orders_) {
    if (other.participant_id() != key.first || other.interval_start() != key.second) continue;
    PEERGRID_ASSIGN_OR_RETURN(matching::Order o, convert::FromProto(other));
    existing.push_back(std::move(o));
  }
  return matching::CheckOneSide(domain, existing);
}

void ExchangeImpl::AddPendingLocked(const v1::Order& order) {
  pending_orders_.emplace(order.order_id(), order);
  ++in_flight_[order.interval_start()];
  pending_positions_[{order.participant_id(), order.interval_start()}].Add(order);
}

void ExchangeImpl::RemovePendingLocked(const v1::Order& order) {
  pending_orders_.erase(order.order_id());
  --in_flight_[order.interval_start()];
  auto it = pending_positions_.find({order.participant_id(), order.interval_start()});
  it->second.Remove(order);
  if (it->second.orders == 0) pending_positions_.erase(it);
}

absl::Status ExchangeImpl::ValidateSubmitLocked(const v1::SubmitOrderRequest& request,
                                                int64_t now_ms,
                                                const std::optional<absl::Status>& signature) {
  const int64_t now_s = now_ms / 1000;
  const v1::Order& order = request.order();
  PEERGRID_RETURN_IF_ERROR(ValidateKeyId(request.key_id()));
  if (order.seq() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("order.seq must be 0 on submission (got ", order.seq(), ")"));
  }
  PEERGRID_ASSIGN_OR_RETURN(matching::Order domain, convert::FromProto(order));
  if (!state_->tariff()) return absl::FailedPreconditionError("the zone has no tariff yet");
  PEERGRID_ASSIGN_OR_RETURN(matching::Tariff tariff, convert::FromProto(*state_->tariff()));
  PEERGRID_RETURN_IF_ERROR(matching::ValidateOrder(domain, tariff, options_.timing, now_s));
  if (closed_through_ && order.interval_start() <= *closed_through_) {
    return absl::FailedPreconditionError(absl::StrCat("interval_start ", order.interval_start(),
                                                      " is past gate closure (already cleared)"));
  }
  PEERGRID_ASSIGN_OR_RETURN(v1::Participant participant,
                            state_->directory().FindParticipant(order.participant_id()));
  if (state_->FindOrder(order.order_id()) != nullptr ||
      pending_orders_.contains(order.order_id())) {
    return absl::AlreadyExistsError(
        absl::StrCat("order_id \"", order.order_id(), "\" is already used"));
  }
  PEERGRID_RETURN_IF_ERROR(CheckOneSideLocked(order, domain));
  // Checked before the lock was taken; again only for a participant
  // registered in between (rare: keys never change once registered).
  PEERGRID_RETURN_IF_ERROR(signature ? *signature
                                     : CheckSignature(convert::OrderSigningText(order),
                                                      request.signature(), participant,
                                                      DelegateHub(participant)));
  if (order.side() == v1::SELL) {
    PEERGRID_RETURN_IF_ERROR(CheckSellerCapacityLocked(order, participant, now_ms));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SubmitOrderResponse> ExchangeImpl::SubmitOrder(
    const v1::SubmitOrderRequest& request) {
  absl::Notification answered;
  absl::StatusOr<v1::SubmitOrderResponse> answer;
  SubmitOrderAsync(request, [&](absl::StatusOr<v1::SubmitOrderResponse> response) {
    answer = std::move(response);
    answered.Notify();
  });
  answered.WaitForNotification();
  return answer;
}

void ExchangeImpl::SubmitOrderAsync(const v1::SubmitOrderRequest& request, SubmitDone done) {
  const v1::Order& order = request.order();
  const int64_t now_ms = NowMs();
  // A registered participant's key never changes, so its signature is
  // verified with no lock held: submitters verify in parallel, and the
  // exchange-wide lock covers only the checks against the state.
  // The directory needs no mu_ (see directory_).
  const absl::StatusOr<v1::Participant> participant =
      directory_->FindParticipant(order.participant_id());
  std::optional<absl::Status> signature;
  if (participant.ok()) {
    signature = CheckSignature(convert::OrderSigningText(order), request.signature(), *participant,
                               DelegateHub(*participant));
  }
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status valid = ValidateSubmitLocked(request, now_ms, signature); !valid.ok()) {
      done(valid);
      return;
    }
    AddPendingLocked(order);
  }
  OrderAppend append;
  append.entry.set_recorded_at_unix_ms(now_ms);
  v1::OrderAccepted* accepted = append.entry.mutable_order_accepted();
  *accepted->mutable_order() = order;
  // What was signed is the canonical text, not these bytes: fields this
  // exchange does not know are not recorded (a signed entry carries none).
  accepted->mutable_order()->DiscardUnknownFields();
  accepted->set_signature(request.signature());
  accepted->set_key_id(request.key_id());
  accepted->set_accepted_at_unix_ms(now_ms);
  append.bytes = append.entry.SerializeAsString();
  append.done = std::move(done);
  intake_.Push(std::move(append));
}

void ExchangeImpl::IntakeLoop() {
  // Bounds one batch, so the first orders of a long queue are not held back
  // by the hashing and writing of all the others.
  constexpr size_t kMaxBatch = 1024;
  std::vector<OrderAppend> batch;
  while (intake_.PopBatch(kMaxBatch, &batch)) CommitOrders(std::move(batch));
}

void ExchangeImpl::CommitOrders(std::vector<OrderAppend> batch) {
  std::vector<std::string> bytes;
  bytes.reserve(batch.size());
  for (OrderAppend& append : batch) bytes.push_back(std::move(append.bytes));
  const absl::StatusOr<uint64_t> first = ledger_->AppendBatch(std::move(bytes));

  CommittedOrders committed;
  committed.status = first.status();
  committed.first_index = first.value_or(0);
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < batch.size(); ++i) {
      RemovePendingLocked(batch[i].entry.order_accepted().order());
      // In index order; each returns once its entry is in the state.
      if (committed.status.ok()) committed.status = ApplyLocked(*first + i, batch[i].entry);
    }
    committed.on_order = events_.on_order;
  }
  committed.orders = std::move(batch);
  committed_.Push(std::move(committed));
}

void ExchangeImpl::AnswerLoop() {
  std::vector<CommittedOrders> ready;
  while (committed_.PopBatch(std::numeric_limits<size_t>::max(), &ready)) {
    for (CommittedOrders& committed : ready) Answer(std::move(committed));
  }
}

void ExchangeImpl::Answer(CommittedOrders committed) {
  for (size_t i = 0; i < committed.orders.size(); ++i) {
    OrderAppend& append = committed.orders[i];
    if (!committed.status.ok()) {
      append.done(committed.status);
      continue;
    }
    const uint64_t seq = committed.first_index + i;
    v1::OrderAccepted* accepted = append.entry.mutable_order_accepted();
    accepted->mutable_order()->set_seq(seq);
    if (committed.on_order) committed.on_order(accepted->order());
    v1::SubmitOrderResponse response;
    response.set_seq(seq);
    response.set_accepted_at_unix_ms(accepted->accepted_at_unix_ms());
    append.done(std::move(response));
  }
}

absl::StatusOr<v1::CancelOrderResponse> ExchangeImpl::CancelOrder(
    const v1::CancelOrderRequest& request) {
  PEERGRID_RETURN_IF_ERROR(ValidateKeyId(request.key_id()));
  v1::LedgerEntry entry;
  int64_t interval_start = 0;
  const int64_t now_ms = NowMs();
  // As for orders: the participant's key never changes, so the signature is
  // verified with no lock held. An unknown participant owns no order.
  const absl::StatusOr<v1::Participant> participant =
      directory_->FindParticipant(request.participant_id());
  const std::optional<v1::Hub> hub =
      participant.ok() ? DelegateHub(*participant) : std::optional<v1::Hub>();
  if (participant.ok()) {
    PEERGRID_RETURN_IF_ERROR(
        CheckSignature(convert::CancelSigningText(request.order_id(), request.participant_id()),
                       request.signature(), *participant, hub));
  }
  {
    absl::MutexLock lock(&mu_);
    const OrderRecord* record = state_->FindOrder(request.order_id());
    if (record == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("order_id ", QuoteInput(request.order_id()), " not found"));
    }
    if (record->order.participant_id() != request.participant_id()) {
      return absl::PermissionDeniedError(absl::StrCat("order ", request.order_id(),
                                                      " does not belong to participant_id \"",
                                                      request.participant_id(), "\""));
    }
    if (record->cancel_index || pending_cancels_.contains(request.order_id())) {
      return absl::FailedPreconditionError(
          absl::StrCat("order ", request.order_id(), " is already cancelled"));
    }
    interval_start = record->order.interval_start();
    if (!options_.timing.GateOpen(interval_start, now_ms / 1000) ||
        (closed_through_ && interval_start <= *closed_through_)) {
      return absl::FailedPreconditionError(absl::StrCat("order ", request.order_id(), ": interval ",
                                                        interval_start, " is past gate closure"));
    }
    v1::OrderCancelled* cancel = entry.mutable_order_cancelled();
    cancel->set_order_id(request.order_id());
    cancel->set_participant_id(request.participant_id());
    cancel->set_interval_start(interval_start);
    cancel->set_order_seq(record->order.seq());
    cancel->set_signature(request.signature());
    cancel->set_key_id(request.key_id());
    ++in_flight_[interval_start];
    pending_cancels_.insert(request.order_id());
  }
  entry.set_recorded_at_unix_ms(now_ms);
  absl::StatusOr<uint64_t> index = ledger_->Append(entry.SerializeAsString());
  absl::MutexLock lock(&mu_);
  --in_flight_[interval_start];
  pending_cancels_.erase(request.order_id());
  if (!index.ok()) return index.status();
  PEERGRID_RETURN_IF_ERROR(ApplyLocked(*index, entry));
  v1::CancelOrderResponse response;
  response.set_ledger_index(*index);
  return response;
}

}  // namespace peergrid::exchange
