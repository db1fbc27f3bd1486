// The canonical texts participants sign (docs/API.md): what the exchange and
// the audit verify a signature against. Changing a text breaks every
// signature already in a ledger, so each text carries its version.
//
// Thread-safety: pure functions; thread-safe.
#ifndef PEERGRID_CONVERT_SIGNING_TEXT_H_
#define PEERGRID_CONVERT_SIGNING_TEXT_H_

#include <string>

#include "peergrid/v1/types.pb.h"

namespace peergrid::convert {

// Returns the canonical text a participant signs for an order.
std::string OrderSigningText(const v1::Order& order);

// Returns the canonical text a participant signs to cancel one of its
// orders. Order ids are never reused, so a cancel cannot be replayed.
std::string CancelSigningText(const std::string& order_id, const std::string& participant_id);

}  // namespace peergrid::convert

#endif  // PEERGRID_CONVERT_SIGNING_TEXT_H_
