// Conversion between matching/'s domain structs and peergrid.v1 messages —
// the one place the market's vocabulary crosses the proto edge.
//
// FromProto rejects proto3 zero defaults that are not valid values
// (SIDE_UNSPECIFIED, READ_QUALITY_UNSPECIFIED) and malformed ids with
// InvalidArgument naming the field and, inside lists, the order or
// participant ("orders[3] (order_id \"o-7\"): side is SIDE_UNSPECIFIED").
// Range checks of values (quantity ≥ 1, prices in the band) are matching/'s
// (ValidateOrder, Clear, Settle), not these functions'.
// Inside a ClearingInput an order whose interval_start is 0 (left out, as in
// a hand-written `peergridctl clear` file) takes the input's interval_start;
// a SettlementInput whose interval_start is 0 takes its clearing's.
// Thread-safety: pure functions; thread-safe.
#ifndef PEERGRID_CONVERT_MARKET_CONVERT_H_
#define PEERGRID_CONVERT_MARKET_CONVERT_H_

#include "absl/status/statusor.h"
#include "peergrid/matching/auction.h"
#include "peergrid/matching/order.h"
#include "peergrid/matching/settlement.h"
#include "peergrid/v1/ledger.pb.h"
#include "peergrid/v1/types.pb.h"

namespace peergrid::convert {

absl::StatusOr<matching::Side> FromProto(v1::Side side);
absl::StatusOr<matching::ReadQuality> FromProto(v1::ReadQuality quality);
absl::StatusOr<matching::Tariff> FromProto(const v1::Tariff& tariff);
absl::StatusOr<matching::Order> FromProto(const v1::Order& order);
absl::StatusOr<matching::Fill> FromProto(const v1::Fill& fill);
absl::StatusOr<matching::ClearingResult> FromProto(const v1::ClearingResult& result);
absl::StatusOr<matching::MeterRead> FromProto(const v1::MeterRead& read);
// Returns a hub's grid-connection read as a MeterRead named by the hub id
// (for FromProto and the energy balance).
v1::MeterRead AsMeterRead(const v1::HubRead& read);
absl::StatusOr<matching::Bill> FromProto(const v1::Bill& bill);
absl::StatusOr<matching::SettlementResult> FromProto(const v1::SettlementResult& result);
absl::StatusOr<matching::ClearingInput> FromProto(const v1::ClearingInput& input);
absl::StatusOr<matching::SettlementInput> FromProto(const v1::SettlementInput& input);

v1::Side ToProto(matching::Side side);
v1::ReadQuality ToProto(matching::ReadQuality quality);
v1::Tariff ToProto(const matching::Tariff& tariff);
v1::Order ToProto(const matching::Order& order);
v1::Fill ToProto(const matching::Fill& fill);
v1::ClearingResult ToProto(const matching::ClearingResult& result);
v1::MeterRead ToProto(const matching::MeterRead& read);
v1::Bill ToProto(const matching::Bill& bill);
v1::SettlementResult ToProto(const matching::SettlementResult& result);

}  // namespace peergrid::convert

#endif  // PEERGRID_CONVERT_MARKET_CONVERT_H_
