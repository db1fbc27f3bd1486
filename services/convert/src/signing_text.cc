#include "peergrid/convert/signing_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "peergrid/ledger/note.h"

namespace peergrid::convert {

std::string OrderSigningText(const v1::Order& order) {
  return absl::StrCat("peergrid order v1\n", order.order_id(), "\n", order.participant_id(), "\n",
                      v1::Side_Name(order.side()), "\n", order.quantity_wh(), "\n",
                      order.limit_price_mcu_per_kwh(), "\n", order.interval_start(), "\n");
}

std::string CancelSigningText(const std::string& order_id, const std::string& participant_id) {
  return absl::StrCat("peergrid cancel v1\n", order_id, "\n", participant_id, "\n");
}

std::vector<OrderSigner> OrderSigners(const v1::Participant& participant, const v1::Hub* hub) {
  std::vector<OrderSigner> signers;
  if (!participant.public_key().empty()) {
    signers.push_back({participant.participant_id(), participant.public_key()});
  }
  if (participant.delegates_trading() && hub != nullptr && hub->hub_id() == participant.hub_id() &&
      !hub->public_key().empty()) {
    signers.push_back({hub->hub_id(), hub->public_key()});
  }
  return signers;
}

absl::Status VerifyParticipantSignature(const v1::Participant& participant, const v1::Hub* hub,
                                        absl::FunctionRef<bool(const OrderSigner&)> verifies) {
  const std::vector<OrderSigner> signers = OrderSigners(participant, hub);
  if (signers.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "signature given but participant ", participant.participant_id(), " has no public_key",
        participant.delegates_trading() ? " and its hub has none either" : ""));
  }
  std::vector<std::string> tried;
  for (const OrderSigner& signer : signers) {
    if (verifies(signer)) return absl::OkStatus();
    tried.push_back(signer.name == participant.participant_id()
                        ? absl::StrCat("participant ", signer.name, "'s key")
                        : absl::StrCat("its hub ", signer.name, "'s key"));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("signature does not verify with ", absl::StrJoin(tried, " or "),
                   participant.public_key().empty() || tried.size() > 1
                       ? absl::StrCat(" (participant ", participant.participant_id(), ")")
                       : std::string()));
}

absl::Status VerifyParticipantSignature(const std::string& text, const std::string& signature,
                                        const v1::Participant& participant, const v1::Hub* hub) {
  return VerifyParticipantSignature(participant, hub, [&](const OrderSigner& signer) {
    absl::StatusOr<ledger::VerifierKey> key =
        ledger::VerifierKey::FromPublicKey(signer.name, signer.public_key);
    return key.ok() && key->VerifySignature(text, signature);
  });
}

}  // namespace peergrid::convert
