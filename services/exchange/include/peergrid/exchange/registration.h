// The checks a registration must pass before it is written to the zone's
// append-only ledger (DESIGN.md §9, "input that cannot hurt"): what is wrong
// by itself, as plain functions of the request (the exchange also checks the
// request against its state: taken ids, an unknown hub, a bank another
// participant already names). Bounds are peergrid/common/limits.h's.
//
// Errors are InvalidArgument naming the field and quoting at most 128 bytes
// of the value (QuoteInput).
// Thread-safety: pure functions; thread-safe.
#ifndef PEERGRID_EXCHANGE_REGISTRATION_H_
#define PEERGRID_EXCHANGE_REGISTRATION_H_

#include <string>

#include "absl/status/status.h"
#include "peergrid/v1/admin.pb.h"
#include "peergrid/v1/types.pb.h"

namespace peergrid::exchange {

// Returns OK when `hub` may be registered in zone `zone_id`: a valid hub_id,
// its zone_id is `zone_id`, a display name (≤ 128 characters, no control
// characters), finite latitude in [−90, 90] and longitude in [−180, 180], a
// reporting period in [kMinReportingPeriodS, kMaxReportingPeriodS].
absl::Status ValidateHub(const v1::Hub& hub, const std::string& zone_id);

// Returns OK when `participant` is well formed: valid participant and hub
// ids, a display name, a known kind (HOUSEHOLD or SHARED_STORAGE),
// pv_nameplate_w in [0, kMaxPvNameplateW], at most kMaxBanksPerParticipant
// distinct valid bank ids, and an empty or valid Ed25519 public key.
absl::Status ValidateParticipant(const v1::Participant& participant);

// Returns OK when `tariff` is a valid tariff (matching::Tariff::Validate).
absl::Status ValidateTariff(const v1::Tariff& tariff);

}  // namespace peergrid::exchange

#endif  // PEERGRID_EXCHANGE_REGISTRATION_H_
