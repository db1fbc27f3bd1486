// The audit's reading of recorded peergrid.v1 messages as matching/ values
// (market_convert.h, plus what the ledger implies: an order's seq is its
// entry's index; a tariff must be valid), and its field-by-field comparison
// of recomputed results with recorded ones.
//
// Thread-safety: pure functions; thread-safe.
// Errors: InvalidArgument naming the field and value.
#ifndef PEERGRID_AUDIT_CHECK_CONVERT_H_
#define PEERGRID_AUDIT_CHECK_CONVERT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "peergrid/matching/auction.h"
#include "peergrid/matching/order.h"
#include "peergrid/matching/settlement.h"
#include "peergrid/v1/types.pb.h"

namespace peergrid::audit::internal {

// Converts a recorded order; `seq` is its entry's index (the recorded seq is ignored).
absl::StatusOr<matching::Order> OrderFromProto(const v1::Order& order, uint64_t seq);
// Converts a tariff and checks it (matching::Tariff::Validate).
absl::StatusOr<matching::Tariff> TariffFromProto(const v1::Tariff& tariff);

// Returns a description of the first difference between the recomputed
// clearing and the recorded one ("fill 3: quantity_wh recorded 500,
// recomputed 400"), or nullopt when they are identical.
std::optional<std::string> DiffClearing(const matching::ClearingResult& recomputed,
                                        const v1::ClearingResult& recorded);

// Same for settlements, bill by bill and field by field.
std::optional<std::string> DiffSettlement(const matching::SettlementResult& recomputed,
                                          const v1::SettlementResult& recorded);

}  // namespace peergrid::audit::internal

#endif  // PEERGRID_AUDIT_CHECK_CONVERT_H_
