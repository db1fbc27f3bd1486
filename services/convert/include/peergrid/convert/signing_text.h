// The canonical texts participants sign (docs/API.md): what the exchange and
// the audit verify a signature against. Changing a text breaks every
// signature already in a ledger, so each text carries its version.
//
// Thread-safety: pure functions; thread-safe.
#ifndef PEERGRID_CONVERT_SIGNING_TEXT_H_
#define PEERGRID_CONVERT_SIGNING_TEXT_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "peergrid/v1/admin.pb.h"
#include "peergrid/v1/types.pb.h"

namespace peergrid::convert {

// Returns the canonical text a participant signs for an order.
std::string OrderSigningText(const v1::Order& order);

// Returns the canonical text a participant signs to cancel one of its
// orders. Order ids are never reused, so a cancel cannot be replayed.
std::string CancelSigningText(const std::string& order_id, const std::string& participant_id);

// A key that may sign a participant's orders and cancels.
struct OrderSigner {
  std::string name;        // whose key: the participant's id or its hub's id
  std::string public_key;  // Ed25519, 32 raw bytes
};

// Returns the keys that may sign `participant`'s orders and cancels (DESIGN.md
// §9): its own registered key and, when it delegates trading, its hub's
// registered key. `hub` is the participant's hub, or null when unknown. Empty
// when neither has a key: then the participant cannot sign at all.
std::vector<OrderSigner> OrderSigners(const v1::Participant& participant, const v1::Hub* hub);

// Checks `signature` over `text` for `participant` against OrderSigners():
// OK when it verifies with one of them; FailedPrecondition when there is a
// signature but no key to check it with; PermissionDenied when it verifies
// with none (the message names the keys tried). An empty signature is the
// caller's business (whether the zone's policy requires one).
absl::Status VerifyParticipantSignature(const std::string& text, const std::string& signature,
                                        const v1::Participant& participant, const v1::Hub* hub);
// The same, with the caller checking the signature against a signer's key
// (`verifies`, e.g. with a cached verifier).
absl::Status VerifyParticipantSignature(const v1::Participant& participant, const v1::Hub* hub,
                                        absl::FunctionRef<bool(const OrderSigner&)> verifies);

}  // namespace peergrid::convert

#endif  // PEERGRID_CONVERT_SIGNING_TEXT_H_
